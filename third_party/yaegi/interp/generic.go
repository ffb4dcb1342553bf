package interp

import (
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
)

// adot produces an AST dot(1) directed acyclic graph for the given node. For debugging only.
// func (n *node) adot() { n.astDot(dotWriter(n.interp.dotCmd), n.ident) }

// genAST returns a new AST where generic types are replaced by instantiated types.
func genAST(sc *scope, root *node, types []*itype) (*node, bool, error) {
	typeParam := map[string]*node{}
	pindex := 0
	tname := ""
	rtname := ""
	recvrPtr := false
	fixNodes := []*node{}
	var gtree func(*node, *node) (*node, error)
	sname := root.child[0].ident + "["
	if root.kind == funcDecl {
		sname = root.child[1].ident + "["
	}

	// Input type parameters must be resolved prior AST generation, as compilation
	// of generated AST may occur in a different scope.
	for _, t := range types {
		sname += t.id() + ","
	}
	sname = strings.TrimSuffix(sname, ",") + "]"

	gtree = func(n, anc *node) (*node, error) {
		nod := copyNode(n, anc, false)
		switch n.kind {
		case funcDecl, funcType:
			nod.val = nod

		case identExpr:
			// Replace generic type by instantiated one.
			nt, ok := typeParam[n.ident]
			if !ok {
				break
			}
			nod = copyNode(nt, anc, true)
			nod.typ = nt.typ

		case indexExpr:
			// Catch a possible recursive generic type definition
			if root.kind != typeSpec {
				break
			}
			if root.child[0].ident != n.child[0].ident {
				break
			}
			nod := copyNode(n.child[0], anc, false)
			fixNodes = append(fixNodes, nod)
			return nod, nil

		case fieldList:
			//  Node is the type parameters list of a generic function.
			if root.kind == funcDecl && n.anc == root.child[2] && childPos(n) == 0 {
				// Fill the types lookup table used for type substitution.
				for _, c := range n.child {
					l := len(c.child) - 1
					for _, cc := range c.child[:l] {
						if pindex >= len(types) {
							return nil, cc.cfgErrorf("undefined type for %s", cc.ident)
						}
						t, err := nodeType(c.interp, sc, c.child[l])
						if err != nil {
							return nil, err
						}
						if err := checkConstraint(types[pindex], t); err != nil {
							return nil, err
						}
						typeParam[cc.ident] = copyNode(cc, cc.anc, false)
						typeParam[cc.ident].ident = types[pindex].id()
						typeParam[cc.ident].typ = types[pindex]
						pindex++
					}
				}
				// Skip type parameters specification, so generated func doesn't look generic.
				return nod, nil
			}

			// Node is the receiver of a generic method.
			if root.kind == funcDecl && n.anc == root && childPos(n) == 0 && len(n.child) > 0 {
				rtn := n.child[0].child[1]
				// Method receiver is a generic type if it takes some type parameters.
				if rtn.kind == indexExpr || rtn.kind == indexListExpr || (rtn.kind == starExpr && (rtn.child[0].kind == indexExpr || rtn.child[0].kind == indexListExpr)) {
					if rtn.kind == starExpr {
						// Method receiver is a pointer on a generic type.
						rtn = rtn.child[0]
						recvrPtr = true
					}
					rtname = rtn.child[0].ident + "["
					for _, cc := range rtn.child[1:] {
						if pindex >= len(types) {
							return nil, cc.cfgErrorf("undefined type for %s", cc.ident)
						}
						it := types[pindex]
						typeParam[cc.ident] = copyNode(cc, cc.anc, false)
						typeParam[cc.ident].ident = it.id()
						typeParam[cc.ident].typ = it
						rtname += it.id() + ","
						pindex++
					}
					rtname = strings.TrimSuffix(rtname, ",") + "]"
				}
			}

			// Node is the type parameters list of a generic type.
			if root.kind == typeSpec && n.anc == root && childPos(n) == 1 {
				// Fill the types lookup table used for type substitution.
				tname = n.anc.child[0].ident + "["
				for _, c := range n.child {
					l := len(c.child) - 1
					for _, cc := range c.child[:l] {
						if pindex >= len(types) {
							return nil, cc.cfgErrorf("undefined type for %s", cc.ident)
						}
						it := types[pindex]
						t, err := nodeType(c.interp, sc, c.child[l])
						if err != nil {
							return nil, err
						}
						if err := checkConstraint(types[pindex], t); err != nil {
							return nil, err
						}
						typeParam[cc.ident] = copyNode(cc, cc.anc, false)
						typeParam[cc.ident].ident = it.id()
						typeParam[cc.ident].typ = it
						tname += it.id() + ","
						pindex++
					}
				}
				tname = strings.TrimSuffix(tname, ",") + "]"
				return nod, nil
			}
		}

		for _, c := range n.child {
			gn, err := gtree(c, nod)
			if err != nil {
				return nil, err
			}
			nod.child = append(nod.child, gn)
		}
		return nod, nil
	}

	// quire patch (PATCHES.md, 4): instances are keyed by their generic declaration too;
	// the name alone made cmp.Compare[int] the instance of slices.Compare[int] made before.
	key := fmt.Sprintf("%p:%s", root, sname)
	if nod, found := root.interp.generic[key]; found {
		return nod, true, nil
	}

	r, err := gtree(root, root.anc)
	if err != nil {
		return nil, false, err
	}
	root.interp.generic[key] = r
	r.param = append(r.param, types...)
	if tname != "" {
		for _, nod := range fixNodes {
			nod.ident = tname
		}
		r.child[0].ident = tname
	}
	if rtname != "" {
		// Replace method receiver type by synthetized ident.
		nod := r.child[0].child[0].child[1]
		if recvrPtr {
			nod = nod.child[0]
		}
		nod.kind = identExpr
		nod.ident = rtname
		nod.child = nil
	}
	// r.adot() // Used for debugging only.
	return r, false, nil
}

func copyNode(n, anc *node, recursive bool) *node {
	var i interface{}
	nindex := atomic.AddInt64(&n.interp.nindex, 1)
	nod := &node{
		debug:  n.debug,
		anc:    anc,
		interp: n.interp,
		index:  nindex,
		level:  n.level,
		nleft:  n.nleft,
		nright: n.nright,
		kind:   n.kind,
		pos:    n.pos,
		action: n.action,
		gen:    n.gen,
		val:    &i,
		rval:   n.rval,
		ident:  n.ident,
		meta:   n.meta,
	}
	nod.start = nod
	if recursive {
		for _, c := range n.child {
			nod.child = append(nod.child, copyNode(c, nod, true))
		}
	}
	return nod
}

func inferTypesFromCall(sc *scope, fun *node, args []*node, ellipsis bool) ([]*itype, error) {
	// quire patch (PATCHES.md, 4): types are inferred by type parameter name, not by the
	// position of the parameter they were found in (Map[T, U any](s []T, f func(T) U) gave
	// U the type of T), each parameter name is matched with its own argument (s1, s2 S
	// used to share the first one), a variadic parameter is inferred from its arguments,
	// and a type parameter left undetermined is inferred from the core type of the
	// constraint of one that is (S ~[]E gives E).
	ftn := fun.typ.node
	// Fill the map of parameter types, indexed by type param ident.
	paramTypes := map[string]*itype{}
	var names []string
	for _, c := range ftn.child[0].child {
		typ, err := nodeType(fun.interp, sc, c.lastChild())
		if err != nil {
			return nil, err
		}
		for _, cc := range c.child[:len(c.child)-1] {
			paramTypes[cc.ident] = typ
			names = append(names, cc.ident)
		}
	}
	inferred := map[string]*itype{}
	var inferTypes func(*itype, *itype)
	inferTypes = func(param, input *itype) {
		if param == nil || input == nil {
			return
		}
		switch param.cat {
		case genericT, nilT:
			if _, ok := paramTypes[param.name]; ok {
				// A typed argument wins over untyped constants, and among those the
				// last kind of int, rune, float, complex (Go's default type rule).
				cur := inferred[param.name]
				if input.cat != nilT && (cur == nil || cur.untyped && (!input.untyped || untypedRank(input) > untypedRank(cur))) {
					inferred[param.name] = input
				}
				return
			}
		}
		input = structural(input.underlying())
		switch param.cat {
		case chanT, ptrT, sliceT, arrayT:
			inferTypes(param.val, input.val)

		case variadicT:
			inferTypes(param.val, input)

		case mapT:
			inferTypes(param.key, input.key)
			inferTypes(param.val, input.val)

		case structT:
			for i, f := range param.field {
				if i < len(input.field) {
					inferTypes(f.typ, input.field[i].typ)
				}
			}

		case funcT:
			for i, t := range param.arg {
				if i < len(input.arg) {
					inferTypes(t, input.arg[i])
				}
			}
			for i, t := range param.ret {
				if i < len(input.ret) {
					inferTypes(t, input.ret[i])
				}
			}
		}
	}

	ai := 0
	for _, c := range ftn.child[1].child {
		typ, err := nodeType(fun.interp, sc, c.lastChild())
		if err != nil {
			return nil, err
		}
		n := len(c.child) - 1
		if n == 0 {
			n = 1 // an unnamed parameter
		}
		for k := 0; k < n; k++ {
			if typ.cat == variadicT {
				for ; ai < len(args); ai++ {
					if ellipsis {
						inferTypes(sliceOf(typ.val), args[ai].typ)
					} else {
						inferTypes(typ, args[ai].typ)
					}
				}
				break
			}
			if ai < len(args) {
				inferTypes(typ, args[ai].typ)
			}
			ai++
		}
	}
	// Core types of constraints: S ~[]E with S known gives E.
	for changed := true; changed; {
		changed = false
		for _, name := range names {
			ct, t := paramTypes[name], inferred[name]
			if t == nil || ct == nil {
				continue
			}
			var core *itype
			switch {
			case len(ct.ulconstraint) == 1 && len(ct.constraint) == 0:
				core = ct.ulconstraint[0]
			case len(ct.constraint) == 1 && len(ct.ulconstraint) == 0:
				core = ct.constraint[0]
			case ct.cat == sliceT || ct.cat == mapT || ct.cat == ptrT || ct.cat == chanT || ct.cat == arrayT || ct.cat == funcT:
				core = ct // an inline ~[]E constraint is typed []E
			default:
				continue
			}
			before := len(inferred)
			inferTypes(core, t)
			changed = changed || len(inferred) > before
		}
	}

	types := []*itype{}
	for _, name := range names {
		t := inferred[name]
		if t != nil && t.untyped {
			t = untypedDefault(sc, t)
		}
		if t == nil {
			break
		}
		types = append(types, t)
	}
	return types, nil
}

func checkConstraint(it, ct *itype) error {
	if len(ct.constraint) == 0 && len(ct.ulconstraint) == 0 {
		return nil
	}
	for _, c := range ct.constraint {
		if it.equals(c) || it.matchDefault(c) {
			return nil
		}
	}
	for _, c := range ct.ulconstraint {
		if it.underlying().equals(c) || it.matchDefault(c) {
			return nil
		}
	}
	return it.node.cfgErrorf("%s does not implement %s", it.id(), ct.id())
}

// structural returns t, or for a compiled (valueT) slice, array, pointer, channel, map or func
// type, the same type made of itypes, so that inference can look inside it (quire patch,
// PATCHES.md, 4).
func structural(t *itype) *itype {
	if t.cat != valueT || t.rtype == nil {
		return t
	}
	rt := t.rtype
	switch rt.Kind() {
	case reflect.Slice:
		return sliceOf(valueTOf(rt.Elem()))
	case reflect.Array:
		return arrayOf(valueTOf(rt.Elem()), rt.Len())
	case reflect.Ptr:
		return ptrOf(valueTOf(rt.Elem()))
	case reflect.Map:
		return mapOf(valueTOf(rt.Key()), valueTOf(rt.Elem()))
	case reflect.Chan:
		return chanOf(valueTOf(rt.Elem()), chanSendRecv)
	case reflect.Func:
		args := make([]*itype, rt.NumIn())
		for i := range args {
			args[i] = valueTOf(rt.In(i))
		}
		rets := make([]*itype, rt.NumOut())
		for i := range rets {
			rets[i] = valueTOf(rt.Out(i))
		}
		return funcOf(args, rets)
	}
	return t
}

// untypedRank orders the kinds of untyped constants: int, rune, float, complex (quire patch,
// PATCHES.md, 4).
func untypedRank(t *itype) int {
	switch t.cat {
	case int32T:
		return 2
	case float32T, float64T:
		return 3
	case complex64T, complex128T:
		return 4
	}
	return 1
}

// untypedDefault is the default type of an untyped constant's type.
func untypedDefault(sc *scope, t *itype) *itype {
	name := ""
	switch t.cat {
	case intT, int8T, int16T, int64T, uintT, uint8T, uint16T, uint32T, uint64T:
		name = "int"
	case int32T:
		name = "int32"
	case float32T, float64T:
		name = "float64"
	case complex64T, complex128T:
		name = "complex128"
	case boolT:
		name = "bool"
	case stringT:
		name = "string"
	default:
		return t
	}
	if d := sc.getType(name); d != nil {
		return d
	}
	return t
}
