package cell

import (
	"go/ast"
	"go/token"
	"strings"
)

// Range over a func (Go 1.23 iterators), which yaegi v0.16.1 cannot run, is rewritten into a
// loop over a pull iterator when the range expression is known to be an iterator func:
//
//	for k, v := range seq { body }
//
// becomes
//
//	{
//		__q_next1, __q_stop2 := __quire_pull2(seq)
//		for {
//			__q_k3, __q_v4, __q_ok5 := __q_next1()
//			if !__q_ok5 { break }
//			k, v := __q_k3, __q_v4
//			body    // return ... is { __q_stop2(); return ... }
//		}
//		__q_stop2()
//	}
//
// so break, continue, labels and return keep their meaning. The iterator runs in a goroutine
// (Prelude's pull helpers), handing over one value at a time; it is stopped (yield returns
// false) when the loop ends, by break, return, a labelled break or continue, goto or
// exhaustion (not by a panic in the body).
//
// The expression is known to be an iterator when it is a func literal, a call of a standard
// library func that returns one (strings.Lines, maps.Keys, slices.All...), a call of a func of
// the session declared to return iter.Seq, iter.Seq2 or func(yield func(...) bool), or a
// variable assigned such a value or declared with such a type.

// Names of the pull helpers declared by Prelude.
const (
	pullHelper  = "__quire_pull"
	pull2Helper = "__quire_pull2"
)

// iterFuncs are the standard library funcs that return iterators, with the iterators' arity.
var iterFuncs = map[string]map[string]int{
	"strings": {"Lines": 1, "SplitSeq": 1, "SplitAfterSeq": 1, "FieldsSeq": 1, "FieldsFuncSeq": 1},
	"bytes":   {"Lines": 1, "SplitSeq": 1, "SplitAfterSeq": 1, "FieldsSeq": 1, "FieldsFuncSeq": 1},
	"maps":    {"Keys": 1, "Values": 1, "All": 2},
	"slices":  {"Values": 1, "Chunk": 1, "All": 2, "Backward": 2},
	"ast":     {"Preorder": 1},
}

// iterMethods are the names of the standard library's methods without arguments that return
// iterators (reflect.Type.Fields, reflect.Value.Seq2, go/types' Methods...), with their
// arity; anyArity where it depends on the type (reflect.Type.Fields yields one value,
// reflect.Value.Fields two): the range statement's variables decide. They count only when no
// method of the session has the name.
var iterMethods = map[string]int{
	"Fields": anyArity, "Methods": anyArity, "Ins": 1, "Outs": 1, "Seq": 1, "Seq2": 2,
	"Children": 1, "EmbeddedTypes": 1, "ExplicitMethods": 1, "Terms": 1, "Variables": 1,
}

const anyArity = 3

// yieldArity returns the number of values an iterator func type yields (1 or 2), 0 when ft
// is no iterator type, -1 for func(yield func() bool).
func yieldArity(ft *ast.FuncType) int {
	if ft == nil || ft.Params == nil || len(ft.Params.List) != 1 || len(ft.Params.List[0].Names) > 1 || (ft.Results != nil && len(ft.Results.List) > 0) {
		return 0
	}
	y, ok := ft.Params.List[0].Type.(*ast.FuncType)
	if !ok || y.Results == nil || len(y.Results.List) != 1 || len(y.Results.List[0].Names) > 1 {
		return 0
	}
	if id, ok := y.Results.List[0].Type.(*ast.Ident); !ok || id.Name != "bool" {
		return 0
	}
	n := 0
	if y.Params != nil {
		for _, f := range y.Params.List {
			if len(f.Names) == 0 {
				n++
			}
			n += len(f.Names)
		}
	}
	if n == 0 {
		return -1
	}
	if n > 2 {
		return 0
	}
	return n
}

// typeIterArity is the arity of an iterator type expression (iter.Seq[V], iter.Seq2[K, V] or
// a func type), 0 for other types.
func typeIterArity(t ast.Expr) int {
	switch x := t.(type) {
	case *ast.FuncType:
		return yieldArity(x)
	case *ast.IndexExpr:
		if sel, ok := x.X.(*ast.SelectorExpr); ok && isIdent(sel.X, "iter") && sel.Sel.Name == "Seq" {
			return 1
		}
	case *ast.IndexListExpr:
		if sel, ok := x.X.(*ast.SelectorExpr); ok && isIdent(sel.X, "iter") && sel.Sel.Name == "Seq2" {
			return 2
		}
	case *ast.ParenExpr:
		return typeIterArity(x.X)
	}
	return 0
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// funcIterArity is the arity of the iterator a func declaration returns (0 for none).
func funcIterArity(ft *ast.FuncType) int {
	if ft.Results == nil || len(ft.Results.List) != 1 || len(ft.Results.List[0].Names) > 1 {
		return 0
	}
	return typeIterArity(ft.Results.List[0].Type)
}

// iterArity is the arity of the iterator e is known to be, 0 if it is not known to be one.
func (r *rewriter) iterArity(e ast.Expr) int {
	switch x := ast.Unparen(e).(type) {
	case *ast.FuncLit:
		return yieldArity(x.Type)
	case *ast.Ident:
		if n, ok := r.iters[x.Name]; ok {
			return n
		}
		if d, _ := r.lookup(x.Name); d {
			return 0
		}
		if r.b.userFns[x.Name] || r.b.known.Funcs[x.Name] {
			// A func that is itself an iterator: func seq(yield func(int) bool).
			if n, ok := r.b.yields[x.Name]; ok {
				return n
			}
			return r.b.known.Yields[x.Name]
		}
		if n, ok := r.b.iterNames[x.Name]; ok {
			return n
		}
		return r.b.known.Iters[x.Name]
	case *ast.CallExpr:
		f := x.Fun
		switch y := f.(type) {
		case *ast.IndexExpr:
			f = y.X
		case *ast.IndexListExpr:
			f = y.X
		}
		switch y := f.(type) {
		case *ast.SelectorExpr:
			if pkg, ok := y.X.(*ast.Ident); ok && r.isPackage(pkg.Name) {
				return iterFuncs[pkg.Name][y.Sel.Name]
			}
			if n := iterMethods[y.Sel.Name]; n != 0 && len(x.Args) == 0 && !r.sessionMethod(y.Sel.Name) {
				return n
			}
		case *ast.Ident:
			if d, _ := r.lookup(y.Name); d {
				return 0
			}
			if n, ok := r.b.iterNames[y.Name]; ok {
				return n
			}
			return r.b.known.Iters[y.Name]
		case *ast.FuncLit:
			if y.Type.Results != nil && len(y.Type.Results.List) == 1 {
				return typeIterArity(y.Type.Results.List[0].Type)
			}
		}
	}
	return 0
}

// isPackage reports whether name is an imported package here (not shadowed).
func (r *rewriter) isPackage(name string) bool {
	if d, _ := r.lookup(name); d || r.b.stmtNames[name] {
		return false
	}
	_, ok := r.b.imports[name]
	_, known := r.b.known.Imports[name]
	return ok || known
}

// sessionMethod reports whether the cell or the session declares a method called name.
func (r *rewriter) sessionMethod(name string) bool {
	if r.b.methodNames[name] {
		return true
	}
	for k := range r.b.known.Funcs {
		if strings.HasSuffix(k, "."+name) {
			return true
		}
	}
	return false
}

// noteIter records that name holds an iterator of arity n (0: it does not, now).
func (r *rewriter) noteIter(name string, n int) {
	if name == "_" {
		return
	}
	if r.iters == nil {
		r.iters = map[string]int{}
	}
	r.iters[name] = n
}

// rangeFunc rewrites a range over an iterator func of arity n (see the top of this file).
// The body has been rewritten already.
func (r *rewriter) rangeFunc(s *ast.RangeStmt, label *ast.LabeledStmt, n int) ast.Stmt {
	if n == anyArity {
		n = 1
		if s.Value != nil {
			n = 2
		}
	}
	if n < 0 {
		r.fail(s.X.Pos(), "range over a func(yield func() bool) is not supported by yaegi v0.16.1; call the func with a yield callback instead")
		return s
	}
	if s.Value != nil && n == 1 {
		r.fail(s.Value.Pos(), "range over an iterator of one value permits only one iteration variable")
		return s
	}
	r.helpers = true
	pos := s.For
	next, stop := ast.NewIdent(r.tmp("next")), ast.NewIdent(r.tmp("stop"))
	helper := pullHelper
	if n == 2 {
		helper = pull2Helper
	}
	start := &ast.AssignStmt{Lhs: []ast.Expr{next, stop}, Tok: token.DEFINE, TokPos: pos,
		Rhs: []ast.Expr{&ast.CallExpr{Fun: ast.NewIdent(helper), Args: []ast.Expr{s.X}}}}
	vals := []*ast.Ident{ast.NewIdent(r.tmp("k"))}
	if n == 2 {
		vals = append(vals, ast.NewIdent(r.tmp("v")))
	}
	ok := ast.NewIdent(r.tmp("ok"))
	lhs := []ast.Expr{}
	for _, v := range vals {
		lhs = append(lhs, v)
	}
	body := []ast.Stmt{
		&ast.AssignStmt{Lhs: append(lhs, ok), Tok: token.DEFINE, TokPos: s.Body.Lbrace,
			Rhs: []ast.Expr{&ast.CallExpr{Fun: ast.NewIdent(next.Name)}}},
		&ast.IfStmt{If: s.Body.Lbrace, Cond: &ast.UnaryExpr{Op: token.NOT, X: ast.NewIdent(ok.Name)},
			Body: &ast.BlockStmt{List: []ast.Stmt{&ast.BranchStmt{Tok: token.BREAK}}}},
	}
	var dst, src []ast.Expr
	for i, e := range []ast.Expr{s.Key, s.Value} {
		if e == nil || i >= n || isIdent(e, "_") {
			continue
		}
		dst = append(dst, e)
		src = append(src, ast.NewIdent(vals[i].Name))
	}
	if len(dst) > 0 {
		tok := s.Tok
		if tok != token.DEFINE {
			tok = token.ASSIGN
		}
		body = append(body, &ast.AssignStmt{Lhs: dst, Tok: tok, TokPos: s.Body.Lbrace, Rhs: src})
	}
	own := ""
	if label != nil {
		own = label.Label.Name
	}
	stopExits(s.Body, stop.Name, own)
	body = append(body, &ast.BlockStmt{Lbrace: s.Body.Lbrace, List: s.Body.List, Rbrace: s.Body.Rbrace})
	loop := &ast.ForStmt{For: pos, Body: &ast.BlockStmt{Lbrace: s.Body.Lbrace, List: body, Rbrace: s.Body.Rbrace}}
	end := &ast.ExprStmt{X: &ast.CallExpr{Fun: ast.NewIdent(stop.Name)}}
	return &ast.BlockStmt{Lbrace: pos, List: []ast.Stmt{start, labeled(label, loop), end}, Rbrace: s.Body.Rbrace}
}

// stopExits makes each statement in body (outside func literals) that leaves the loop other
// than by its own break call stop first: return, and goto, break and continue with a label
// that is neither the loop's (own) nor declared in body.
func stopExits(body *ast.BlockStmt, stop, own string) {
	inner := map[string]bool{}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.LabeledStmt:
			inner[n.Label.Name] = true
		}
		return true
	})
	var fix func(list []ast.Stmt)
	var visit func(s ast.Stmt) ast.Stmt
	visit = func(s ast.Stmt) ast.Stmt {
		switch s := s.(type) {
		case *ast.ReturnStmt:
			return &ast.BlockStmt{Lbrace: s.Return, List: []ast.Stmt{&ast.ExprStmt{X: &ast.CallExpr{Fun: ast.NewIdent(stop)}}, s}}
		case *ast.BranchStmt:
			if s.Label != nil && s.Label.Name != own && !inner[s.Label.Name] {
				return &ast.BlockStmt{Lbrace: s.TokPos, List: []ast.Stmt{&ast.ExprStmt{X: &ast.CallExpr{Fun: ast.NewIdent(stop)}}, s}}
			}
		case *ast.BlockStmt:
			fix(s.List)
		case *ast.IfStmt:
			fix(s.Body.List)
			if s.Else != nil {
				s.Else = visit(s.Else)
			}
		case *ast.ForStmt:
			fix(s.Body.List)
		case *ast.RangeStmt:
			fix(s.Body.List)
		case *ast.SwitchStmt:
			fix(s.Body.List)
		case *ast.TypeSwitchStmt:
			fix(s.Body.List)
		case *ast.SelectStmt:
			fix(s.Body.List)
		case *ast.CaseClause:
			fix(s.Body)
		case *ast.CommClause:
			fix(s.Body)
		case *ast.LabeledStmt:
			s.Stmt = visit(s.Stmt)
		}
		return s
	}
	fix = func(list []ast.Stmt) {
		for i, s := range list {
			list[i] = visit(s)
		}
	}
	fix(body.List)
}

// pullPrelude is the source of the pull helpers (in Prelude): iter.Pull and iter.Pull2 of
// quire's interpreted iter (eval/worker/gostd), under other names (yaegi v0.16.1 mixes up
// the instances of a generic func made from another generic func and from a cell).
const pullPrelude = `
func __quire_pull[__quire_V any](seq func(yield func(__quire_V) bool)) (func() (__quire_V, bool), func()) {
	req := make(chan bool)
	vals := make(chan __quire_V)
	fin := make(chan any)
	started, done := false, false
	run := func() {
		defer func() { fin <- recover() }()
		if !<-req {
			return
		}
		seq(func(v __quire_V) bool {
			vals <- v
			more := <-req // (yaegi v0.16.1 fails on return <-req in a closure)
			return more
		})
	}
	next := func() (__quire_V, bool) {
		var zero __quire_V
		if done {
			return zero, false
		}
		if !started {
			started = true
			go run()
		}
		req <- true
		select {
		case v := <-vals:
			return v, true
		case p := <-fin:
			done = true
			if p != nil {
				panic(p)
			}
			return zero, false
		}
	}
	stop := func() {
		if done {
			return
		}
		done = true
		if !started {
			return
		}
		req <- false
		if p := <-fin; p != nil {
			panic(p)
		}
	}
	return next, stop
}

func __quire_pull2[__quire_K, __quire_V any](seq func(yield func(__quire_K, __quire_V) bool)) (func() (__quire_K, __quire_V, bool), func()) {
	req := make(chan bool)
	keys := make(chan __quire_K)
	vals := make(chan __quire_V)
	fin := make(chan any)
	started, done := false, false
	run := func() {
		defer func() { fin <- recover() }()
		if !<-req {
			return
		}
		seq(func(k __quire_K, v __quire_V) bool {
			keys <- k
			vals <- v
			more := <-req // (yaegi v0.16.1 fails on return <-req in a closure)
			return more
		})
	}
	next := func() (__quire_K, __quire_V, bool) {
		var zk __quire_K
		var zv __quire_V
		if done {
			return zk, zv, false
		}
		if !started {
			started = true
			go run()
		}
		req <- true
		select {
		case k := <-keys:
			v := <-vals
			return k, v, true
		case p := <-fin:
			done = true
			if p != nil {
				panic(p)
			}
			return zk, zv, false
		}
	}
	stop := func() {
		if done {
			return
		}
		done = true
		if !started {
			return
		}
		req <- false
		if p := <-fin; p != nil {
			panic(p)
		}
	}
	return next, stop
}
`
