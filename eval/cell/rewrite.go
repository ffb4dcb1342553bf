package cell

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/printer"
	"go/token"
	"strings"
)

// Names of the helpers declared by Prelude.
const (
	minHelper   = "__quire_min"
	maxHelper   = "__quire_max"
	clearHelper = "__quire_clear"
	tmpPrefix   = "__q_"
)

// rewriter rewrites statements and expressions of one top-level item (a func declaration or a
// top-level statement). It keeps a scope of names known to be integers, for range-over-int.
type rewriter struct {
	b       *builder
	scopes  []map[string]bool // name -> integer type known
	helpers bool              // uses Prelude helpers
	err     *Error
	p       *parsed
	loops   int            // depth of for and range bodies being rewritten
	iters   map[string]int // local names known to hold iterator funcs: their arity (rangefunc.go)
}

func newRewriter(b *builder) *rewriter {
	return &rewriter{b: b, scopes: []map[string]bool{{}}}
}

func (r *rewriter) push() { r.scopes = append(r.scopes, map[string]bool{}) }
func (r *rewriter) pop()  { r.scopes = r.scopes[:len(r.scopes)-1] }

func (r *rewriter) declare(name string, isInt bool) {
	if name != "_" {
		r.scopes[len(r.scopes)-1][name] = isInt
	}
}

// lookup reports whether name is declared in a scope of this rewriter, and if it is an integer.
func (r *rewriter) lookup(name string) (declared, isInt bool) {
	for i := len(r.scopes) - 1; i >= 0; i-- {
		if v, ok := r.scopes[i][name]; ok {
			return true, v
		}
	}
	return false, false
}

func (r *rewriter) tmp(what string) string {
	r.b.tmp++
	return fmt.Sprintf("%s%s%d", tmpPrefix, what, r.b.tmp)
}

func (r *rewriter) fail(pos token.Pos, format string, args ...any) {
	if r.err != nil {
		return
	}
	l, c := 0, 0
	if r.p != nil {
		l, c = r.p.pos(pos)
	}
	r.err = r.b.errorf(l, c, format, args...)
}

var intTypes = map[string]bool{
	"int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "uintptr": true,
	"byte": true, "rune": true,
}

func isIntType(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && intTypes[id.Name]
}

// intLike reports whether e is syntactically known to be an integer.
func (r *rewriter) intLike(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.BasicLit:
		return e.Kind == token.INT || e.Kind == token.CHAR
	case *ast.Ident:
		if e.Name == "iota" {
			return true
		}
		if d, isInt := r.lookup(e.Name); d {
			return isInt
		}
		return r.b.ints[e.Name] || r.b.known.Ints[e.Name]
	case *ast.ParenExpr:
		return r.intLike(e.X)
	case *ast.UnaryExpr:
		switch e.Op {
		case token.ADD, token.SUB, token.XOR:
			return r.intLike(e.X)
		}
	case *ast.BinaryExpr:
		switch e.Op {
		case token.SHL, token.SHR:
			return r.intLike(e.X)
		case token.ADD, token.SUB, token.MUL, token.QUO, token.REM, token.AND, token.OR, token.XOR, token.AND_NOT:
			if notInt(e.X) || notInt(e.Y) {
				return false
			}
			return r.intLike(e.X) || r.intLike(e.Y)
		}
	case *ast.CallExpr:
		switch f := ast.Unparen(e.Fun).(type) {
		case *ast.Ident:
			switch f.Name {
			case "len", "cap", "copy":
				return true
			case minHelper, maxHelper, "min", "max":
				for _, a := range e.Args {
					if r.intLike(a) {
						return true
					}
				}
			}
			return intTypes[f.Name] && len(e.Args) == 1
		}
	}
	return false
}

// notInt reports literals that make an arithmetic expression non-integer.
func notInt(e ast.Expr) bool {
	bl, ok := ast.Unparen(e).(*ast.BasicLit)
	return ok && (bl.Kind == token.FLOAT || bl.Kind == token.IMAG || bl.Kind == token.STRING)
}

// declareGen declares the names of a var/const/type declaration, calling each (if not nil) with
// the name and whether it is known to be an integer.
func (r *rewriter) declareGen(gd *ast.GenDecl, each func(name string, isInt bool, spec ast.Spec)) {
	prevInt := false // const specs without values repeat the previous expression list
	for _, s := range gd.Specs {
		switch s := s.(type) {
		case *ast.ValueSpec:
			isInt := false
			switch {
			case s.Type != nil:
				isInt = isIntType(s.Type)
			case len(s.Values) > 0:
				isInt = len(s.Values) == len(s.Names) && r.intLike(s.Values[0])
			case gd.Tok == token.CONST:
				isInt = prevInt
			}
			if len(s.Values) > 0 || s.Type != nil {
				prevInt = isInt
			}
			for i, n := range s.Names {
				v := isInt
				if s.Type == nil && len(s.Values) == len(s.Names) {
					v = r.intLike(s.Values[i])
				}
				r.declare(n.Name, v)
				it := typeIterArity(s.Type)
				if s.Type == nil && len(s.Values) == len(s.Names) {
					it = r.iterArity(s.Values[i])
				}
				r.noteIter(n.Name, it)
				if each != nil {
					each(n.Name, v, s)
				}
			}
		case *ast.TypeSpec:
			r.declare(s.Name.Name, false)
			if each != nil {
				each(s.Name.Name, false, s)
			}
		}
	}
}

// funcBody rewrites a func body with its parameters in scope.
func (r *rewriter) funcBody(recv *ast.FieldList, ft *ast.FuncType, body *ast.BlockStmt) {
	r.push()
	defer r.pop()
	for _, fl := range []*ast.FieldList{recv, ft.Params, ft.Results} {
		if fl == nil {
			continue
		}
		for _, f := range fl.List {
			for _, n := range f.Names {
				r.declare(n.Name, isIntType(f.Type))
				r.noteIter(n.Name, typeIterArity(f.Type))
			}
		}
	}
	if body != nil {
		body.List = r.stmts(body.List)
	}
}

// stmts rewrites a statement list in a new scope.
func (r *rewriter) stmts(list []ast.Stmt) []ast.Stmt {
	r.push()
	defer r.pop()
	for i, s := range list {
		list[i] = r.stmt(s)
	}
	return list
}

func (r *rewriter) exprs(list []ast.Expr) {
	for i, e := range list {
		list[i] = r.expr(e)
	}
}

// stmt rewrites one statement (not at the top level of a cell).
func (r *rewriter) stmt(s ast.Stmt) ast.Stmt {
	switch s := s.(type) {
	case nil:
		return nil
	case *ast.BlockStmt:
		s.List = r.stmts(s.List)
	case *ast.ExprStmt:
		s.X = r.expr(s.X)
	case *ast.AssignStmt:
		r.exprs(s.Rhs)
		if s.Tok == token.DEFINE {
			for i, l := range s.Lhs {
				if id, ok := l.(*ast.Ident); ok {
					r.declare(id.Name, len(s.Lhs) == len(s.Rhs) && r.intLike(s.Rhs[i]))
					if len(s.Lhs) == len(s.Rhs) {
						r.noteIter(id.Name, r.iterArity(s.Rhs[i]))
					} else {
						r.noteIter(id.Name, 0)
					}
				}
			}
		} else {
			r.exprs(s.Lhs)
		}
	case *ast.DeclStmt:
		if gd, ok := s.Decl.(*ast.GenDecl); ok {
			for _, sp := range gd.Specs {
				if vs, ok := sp.(*ast.ValueSpec); ok {
					r.exprs(vs.Values)
				}
			}
			r.declareGen(gd, nil)
		}
	case *ast.GoStmt:
		s.Call.Args = r.exprsCopy(s.Call.Args)
		s.Call.Fun = r.expr(s.Call.Fun)
		return r.guardGo(s)
	case *ast.DeferStmt:
		s.Call = r.expr(s.Call).(*ast.CallExpr)
	case *ast.ReturnStmt:
		r.exprs(s.Results)
	case *ast.IfStmt:
		r.push()
		s.Init = r.stmt(s.Init)
		s.Cond = r.expr(s.Cond)
		s.Body.List = r.stmts(s.Body.List)
		if s.Else != nil {
			s.Else = r.stmt(s.Else)
		}
		r.pop()
	case *ast.SwitchStmt:
		r.push()
		s.Init = r.stmt(s.Init)
		if s.Tag != nil {
			s.Tag = r.expr(s.Tag)
		}
		r.clauses(s.Body)
		r.pop()
	case *ast.TypeSwitchStmt:
		r.push()
		s.Init = r.stmt(s.Init)
		s.Assign = r.stmt(s.Assign)
		r.clauses(s.Body)
		r.pop()
	case *ast.SelectStmt:
		r.clauses(s.Body)
	case *ast.ForStmt:
		return r.forStmt(s, nil)
	case *ast.RangeStmt:
		return r.rangeStmt(s, nil)
	case *ast.LabeledStmt:
		switch inner := s.Stmt.(type) {
		case *ast.ForStmt:
			return r.forStmt(inner, s)
		case *ast.RangeStmt:
			return r.rangeStmt(inner, s)
		}
		s.Stmt = r.stmt(s.Stmt)
	case *ast.SendStmt:
		s.Chan = r.expr(s.Chan)
		s.Value = r.expr(s.Value)
	case *ast.IncDecStmt:
		s.X = r.expr(s.X)
	}
	return s
}

func (r *rewriter) exprsCopy(list []ast.Expr) []ast.Expr {
	r.exprs(list)
	return list
}

func (r *rewriter) clauses(body *ast.BlockStmt) {
	for _, c := range body.List {
		r.push()
		switch c := c.(type) {
		case *ast.CaseClause:
			r.exprs(c.List)
			c.Body = r.stmts(c.Body)
		case *ast.CommClause:
			c.Comm = r.stmt(c.Comm)
			c.Body = r.stmts(c.Body)
		}
		r.pop()
	}
}

// expr rewrites an expression: func literal bodies, min/max/clear calls.
func (r *rewriter) expr(e ast.Expr) ast.Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case *ast.FuncLit:
		r.funcBody(nil, e.Type, e.Body)
	case *ast.CallExpr:
		r.exprs(e.Args)
		if r.loops > 0 && !r.interpretedCallee(e.Fun) {
			for i, a := range e.Args {
				if fl, ok := a.(*ast.FuncLit); ok {
					e.Args[i] = r.closureValue(fl)
				}
			}
		}
		if id, ok := e.Fun.(*ast.Ident); ok && r.isBuiltin(id.Name) {
			switch id.Name {
			case "min", "max":
				return r.minMax(e, id.Name)
			case "clear":
				if len(e.Args) == 1 && !e.Ellipsis.IsValid() {
					r.helpers = true
					return &ast.CallExpr{Fun: &ast.Ident{Name: clearHelper, NamePos: id.NamePos}, Lparen: e.Lparen, Args: e.Args, Rparen: e.Rparen}
				}
			}
			return e
		}
		e.Fun = r.expr(e.Fun)
	case *ast.ParenExpr:
		e.X = r.expr(e.X)
	case *ast.SelectorExpr:
		e.X = r.expr(e.X)
	case *ast.IndexExpr:
		e.X = r.expr(e.X)
		e.Index = r.expr(e.Index)
	case *ast.IndexListExpr:
		e.X = r.expr(e.X)
		r.exprs(e.Indices)
	case *ast.SliceExpr:
		e.X = r.expr(e.X)
		e.Low = r.expr(e.Low)
		e.High = r.expr(e.High)
		e.Max = r.expr(e.Max)
	case *ast.TypeAssertExpr:
		e.X = r.expr(e.X)
	case *ast.StarExpr:
		e.X = r.expr(e.X)
	case *ast.UnaryExpr:
		e.X = r.expr(e.X)
	case *ast.BinaryExpr:
		e.X = r.expr(e.X)
		e.Y = r.expr(e.Y)
	case *ast.KeyValueExpr:
		e.Key = r.expr(e.Key)
		e.Value = r.expr(e.Value)
	case *ast.CompositeLit:
		r.exprs(e.Elts)
	}
	return e
}

// interpretedCallee reports a callee known to be interpreted: a builtin or a func of the session.
func (r *rewriter) interpretedCallee(fun ast.Expr) bool {
	id, ok := ast.Unparen(fun).(*ast.Ident)
	return ok && (r.isBuiltin(id.Name) || r.b.userFns[id.Name] || r.b.known.Funcs[id.Name])
}

// closureValue returns (fl): the func literal fl as a closure value. yaegi v0.16.1 turns a
// func literal passed straight to a compiled function into a Go func that reads the variables
// of the frame it was made in when it is called, not when it was made: in a loop, every
// iteration's closure then sees the last iteration's variables (wg.Go(func() { use(i) }) in a
// loop printed "2 2 2"). In parentheses it is first made into a closure, which keeps its own.
func (r *rewriter) closureValue(fl *ast.FuncLit) ast.Expr {
	return &ast.ParenExpr{Lparen: fl.Pos(), X: fl, Rparen: fl.End()}
}

// isBuiltin reports whether name refers to the predeclared func: not declared by the user.
func (r *rewriter) isBuiltin(name string) bool {
	if d, _ := r.lookup(name); d {
		return false
	}
	return !r.b.userFns[name] && !r.b.known.Funcs[name] && !r.b.known.Vars[name]
}

// constValue evaluates e if it is a constant expression of literals (and known consts are not
// followed: only literals), or returns nil.
func constValue(e ast.Expr) constant.Value {
	switch e := e.(type) {
	case *ast.BasicLit:
		v := constant.MakeFromLiteral(e.Value, e.Kind, 0)
		if v.Kind() == constant.Unknown {
			return nil
		}
		return v
	case *ast.ParenExpr:
		return constValue(e.X)
	case *ast.UnaryExpr:
		x := constValue(e.X)
		if x == nil {
			return nil
		}
		switch e.Op {
		case token.ADD, token.SUB:
			if x.Kind() == constant.Int || x.Kind() == constant.Float {
				return constant.UnaryOp(e.Op, x, 0)
			}
		}
	}
	return nil
}

// minMax rewrites min/max: constant arguments fold to the chosen literal; otherwise nested calls
// of the 2-argument generic helper, with a non-constant argument first so that yaegi infers the
// type from it (it cannot infer from an untyped constant).
func (r *rewriter) minMax(call *ast.CallExpr, name string) ast.Expr {
	if len(call.Args) == 0 || call.Ellipsis.IsValid() {
		return call
	}
	if len(call.Args) == 1 {
		return &ast.ParenExpr{Lparen: call.Pos(), X: call.Args[0], Rparen: call.End() - 1}
	}
	vals := make([]constant.Value, len(call.Args))
	allConst := true
	for i, a := range call.Args {
		vals[i] = constValue(a)
		if vals[i] == nil {
			allConst = false
		}
	}
	if allConst {
		if e := foldMinMax(call, vals, name); e != nil {
			return e
		}
		return call
	}
	seed := -1
	for i, a := range call.Args {
		if vals[i] == nil && !r.isConstIdent(a) {
			seed = i
			break
		}
	}
	if seed < 0 {
		for i := range call.Args {
			if vals[i] == nil {
				seed = i
				break
			}
		}
	}
	helper := minHelper
	if name == "max" {
		helper = maxHelper
	}
	r.helpers = true
	acc := call.Args[seed]
	for i, a := range call.Args {
		if i == seed {
			continue
		}
		acc = &ast.CallExpr{Fun: &ast.Ident{Name: helper, NamePos: call.Pos()}, Lparen: call.Lparen, Args: []ast.Expr{acc, a}, Rparen: call.Rparen}
	}
	return acc
}

func (r *rewriter) isConstIdent(e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return false
	}
	if d, _ := r.lookup(id.Name); d {
		return false
	}
	return r.b.consts[id.Name] || r.b.known.Consts[id.Name]
}

func foldMinMax(call *ast.CallExpr, vals []constant.Value, name string) ast.Expr {
	best := 0
	kind := vals[0].Kind()
	for i, v := range vals {
		switch v.Kind() {
		case constant.Int, constant.Float, constant.String:
		default:
			return nil // complex, bool or unknown: not ordered; the compiler reports it
		}
		if (v.Kind() == constant.String) != (kind == constant.String) {
			return nil // mixed strings and numbers: leave it for the compiler to report
		}
		if v.Kind() > kind {
			kind = v.Kind()
		}
		if i == 0 {
			continue
		}
		op := token.LSS
		if name == "max" {
			op = token.GTR
		}
		if constant.Compare(v, op, vals[best]) {
			best = i
		}
	}
	arg := call.Args[best]
	if kind == constant.Float && vals[best].Kind() == constant.Int {
		// min(1, 2.5) is the untyped float constant 1.
		return &ast.ParenExpr{Lparen: call.Pos(), X: &ast.BasicLit{ValuePos: arg.Pos(), Kind: token.FLOAT, Value: vals[best].ExactString() + ".0"}, Rparen: call.End() - 1}
	}
	return &ast.ParenExpr{Lparen: call.Pos(), X: arg, Rparen: call.End() - 1}
}

// guardGo makes a go statement recover panics in its goroutine and report them to the host:
//
//	go func(...){ body }(args)  ->  go func(...){ defer func(){ __quire.GoPanic(recover()) }(); body }(args)
//	go f(a, b)                  ->  func(){ a1, a2 := a, b; go func(){ defer ...; f(a1, a2) }() }()
//
// The second form still evaluates the function value and the arguments at the go statement.
func (r *rewriter) guardGo(s *ast.GoStmt) ast.Stmt {
	if fl, ok := s.Call.Fun.(*ast.FuncLit); ok {
		fl.Body.List = append([]ast.Stmt{goGuard(fl.Body.Lbrace)}, fl.Body.List...)
		return s
	}
	pre, lit := r.callLater(s.Call, s.Go, true)
	inner := &ast.GoStmt{Go: s.Go, Call: &ast.CallExpr{Fun: lit}}
	return iife(s.Go, s.End(), append(pre, inner))
}

// topDefer turns a defer at the top level of a cell into a call registered with the host,
// which runs it when the cell ends (yaegi would run a global-scope defer after every later
// cell). As in Go, the function value and the arguments are evaluated at the defer statement:
//
//	defer f(a, b)        ->  func(){ a1, a2 := a, b; __quire.Defer(func(){ f(a1, a2) }) }()
//	defer func(){...}()  ->  __quire.Defer(func(){...})
func (r *rewriter) topDefer(s *ast.DeferStmt) ast.Stmt {
	register := func(lit *ast.FuncLit) ast.Stmt {
		return &ast.ExprStmt{X: &ast.CallExpr{
			Fun:    &ast.SelectorExpr{X: &ast.Ident{Name: HostPkg, NamePos: s.Defer}, Sel: ast.NewIdent(DeferFunc)},
			Lparen: s.Defer, Args: []ast.Expr{lit}, Rparen: s.End(),
		}}
	}
	if fl, ok := s.Call.Fun.(*ast.FuncLit); ok && len(s.Call.Args) == 0 {
		return register(fl)
	}
	pre, lit := r.callLater(s.Call, s.Defer, false)
	return iife(s.Defer, s.End(), append(pre, register(lit)))
}

// callLater splits call into statements that evaluate its function value and arguments now,
// and a func literal that makes the call later with those values (guarded against panics in a
// goroutine when guard is set). The second form of guardGo, and topDefer, use it.
func (r *rewriter) callLater(call *ast.CallExpr, pos token.Pos, guard bool) ([]ast.Stmt, *ast.FuncLit) {
	var pre []ast.Stmt
	fun := call.Fun
	if !r.staticFunc(fun) {
		name := ast.NewIdent(r.tmp("f"))
		pre = append(pre, define(name, fun))
		fun = name
	}
	args := make([]ast.Expr, len(call.Args))
	for i, a := range call.Args {
		if constValue(a) != nil || r.isConstIdent(a) || isNil(a) {
			args[i] = a
			continue
		}
		name := ast.NewIdent(r.tmp("a"))
		pre = append(pre, define(name, a))
		args[i] = name
	}
	var body []ast.Stmt
	if guard {
		body = append(body, goGuard(pos))
	}
	body = append(body, &ast.ExprStmt{X: &ast.CallExpr{Fun: fun, Args: args, Ellipsis: call.Ellipsis, Lparen: call.Lparen, Rparen: call.Rparen}})
	return pre, &ast.FuncLit{
		Type: &ast.FuncType{Func: pos, Params: &ast.FieldList{}},
		Body: &ast.BlockStmt{Lbrace: pos, List: body, Rbrace: call.Rparen},
	}
}

func isNil(e ast.Expr) bool {
	id, ok := ast.Unparen(e).(*ast.Ident)
	return ok && id.Name == "nil"
}

// staticFunc reports a callee that needs no evaluation at the go statement: a plain name, a
// package-qualified name, or an explicit instantiation of a plain name.
func (r *rewriter) staticFunc(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return true
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			if d, _ := r.lookup(x.Name); d {
				return false
			}
			_, cellImp := r.b.imports[x.Name]
			_, knownImp := r.b.known.Imports[x.Name]
			return cellImp || knownImp
		}
	case *ast.IndexExpr:
		_, ok := e.X.(*ast.Ident)
		return ok
	case *ast.IndexListExpr:
		_, ok := e.X.(*ast.Ident)
		return ok
	}
	return false
}

// goGuard is: defer func() { __quire.GoPanic(recover()) }()
func goGuard(pos token.Pos) ast.Stmt {
	return &ast.DeferStmt{Defer: pos, Call: &ast.CallExpr{
		Fun: &ast.FuncLit{
			Type: &ast.FuncType{Func: pos, Params: &ast.FieldList{}},
			Body: &ast.BlockStmt{Lbrace: pos, List: []ast.Stmt{
				&ast.ExprStmt{X: &ast.CallExpr{
					Fun:  &ast.SelectorExpr{X: ast.NewIdent(HostPkg), Sel: ast.NewIdent(GoPanicFunc)},
					Args: []ast.Expr{&ast.CallExpr{Fun: ast.NewIdent("recover")}},
				}},
			}, Rbrace: pos},
		},
	}}
}

func define(name *ast.Ident, value ast.Expr) ast.Stmt {
	return &ast.AssignStmt{Lhs: []ast.Expr{name}, Tok: token.DEFINE, TokPos: value.Pos(), Rhs: []ast.Expr{value}}
}

// iife wraps statements in func(){ ... }().
func iife(pos, end token.Pos, list []ast.Stmt) ast.Stmt {
	return &ast.ExprStmt{X: &ast.CallExpr{
		Fun: &ast.FuncLit{
			Type: &ast.FuncType{Func: pos, Params: &ast.FieldList{}},
			Body: &ast.BlockStmt{Lbrace: pos, List: list, Rbrace: end},
		},
		Lparen: end, Rparen: end,
	}}
}

func labeled(l *ast.LabeledStmt, s ast.Stmt) ast.Stmt {
	if l == nil {
		return s
	}
	l.Stmt = s
	return l
}

// recvIn reports a selector v.M whose operand is one of vars.
func recvIn(e ast.Expr, vars map[string]bool) bool {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := ast.Unparen(sel.X).(*ast.Ident)
	return ok && vars[id.Name]
}

// loopUse reports how a loop body uses the loop variables: captured (referenced from a func
// literal, address taken, or the receiver of a method value in a go or defer statement) and
// modified (assigned, incremented, address taken, or the receiver of a method call, which may
// have a pointer receiver).
func loopUse(body ast.Node, vars map[string]bool) (captured, modified bool) {
	var walk func(n ast.Node, inFunc bool)
	root := func(e ast.Expr) string {
		for {
			switch x := e.(type) {
			case *ast.Ident:
				return x.Name
			case *ast.ParenExpr:
				e = x.X
			case *ast.SelectorExpr:
				e = x.X
			case *ast.IndexExpr:
				e = x.X
			default:
				return ""
			}
		}
	}
	walk = func(n ast.Node, inFunc bool) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				if !inFunc {
					walk(n.Body, true)
					return false
				}
			case *ast.Ident:
				if inFunc && vars[n.Name] {
					captured = true
				}
			case *ast.UnaryExpr:
				if n.Op == token.AND && vars[root(n.X)] {
					captured, modified = true, true
				}
			case *ast.GoStmt:
				// go v.M(): a method value that may bind &v.
				if recvIn(n.Call.Fun, vars) {
					captured = true
				}
			case *ast.DeferStmt:
				if recvIn(n.Call.Fun, vars) {
					captured = true
				}
			case *ast.CallExpr:
				// v.M() may have a pointer receiver that changes v.
				if recvIn(n.Fun, vars) {
					modified = true
				}
			case *ast.AssignStmt:
				if n.Tok != token.DEFINE {
					for _, l := range n.Lhs {
						if vars[root(l)] {
							modified = true
						}
					}
				}
			case *ast.IncDecStmt:
				if vars[root(n.X)] {
					modified = true
				}
			case *ast.RangeStmt:
				if n.Tok == token.ASSIGN {
					for _, l := range []ast.Expr{n.Key, n.Value} {
						if l != nil && vars[root(l)] {
							modified = true
						}
					}
				}
			}
			return true
		})
	}
	walk(body, false)
	return captured, modified
}

// namedIdents returns the identifiers among es, except the blank one: the variables a loop
// header declares.
func namedIdents(es []ast.Expr) []*ast.Ident {
	var ids []*ast.Ident
	for _, e := range es {
		if id, ok := e.(*ast.Ident); ok && id.Name != "_" {
			ids = append(ids, id)
		}
	}
	return ids
}

// nameSet returns the names of ids as a set.
func nameSet(ids []*ast.Ident) map[string]bool {
	set := map[string]bool{}
	for _, id := range ids {
		set[id.Name] = true
	}
	return set
}

// forStmt gives a three-clause loop that declares variables Go 1.22 per-iteration variables.
//
// When no func literal, address or selector can capture them, nothing changes. When the body
// does not assign them, each iteration gets a copy: for i := 0; i < n; i++ { i := i; body }.
// Otherwise the loop is rebuilt with copy-in/copy-out:
//
//	{
//		__q_v1 := init
//		__q_first2 := true
//		for {
//			i := __q_v1
//			if __q_first2 { __q_first2 = false } else { post }
//			if !(cond) { break }
//			{ body }          // continue becomes goto __q_next3
//		__q_next3:
//			__q_v1 = i
//		}
//	}
func (r *rewriter) forStmt(s *ast.ForStmt, label *ast.LabeledStmt) ast.Stmt {
	var vars []*ast.Ident
	var init *ast.AssignStmt
	if a, ok := s.Init.(*ast.AssignStmt); ok && a.Tok == token.DEFINE {
		init = a
		vars = namedIdents(a.Lhs)
	}
	captured, modified := loopUse(s.Body, nameSet(vars))

	r.push()
	s.Init = r.stmt(s.Init)
	s.Cond = r.expr(s.Cond)
	s.Post = r.stmt(s.Post)
	r.loops++
	s.Body.List = r.stmts(s.Body.List)
	r.loops--
	r.pop()

	if len(vars) == 0 || !captured {
		return labeled(label, s)
	}
	if !modified {
		// A body that already copies the variable (i := i) needs nothing more.
		if cp := without(vars, redeclared(s.Body.List, vars)); len(cp) > 0 {
			s.Body.List = append([]ast.Stmt{copyVars(cp, cp, s.Body.Lbrace)}, s.Body.List...)
		}
		return labeled(label, s)
	}

	pos := s.For
	outer := make([]*ast.Ident, len(vars))
	for i := range vars {
		outer[i] = ast.NewIdent(r.tmp("v"))
	}
	lhs := make([]ast.Expr, len(init.Lhs))
	k := 0
	for i, l := range init.Lhs {
		if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
			lhs[i] = outer[k]
			k++
		} else {
			lhs[i] = ast.NewIdent("_")
		}
	}
	pre := []ast.Stmt{&ast.AssignStmt{Lhs: lhs, Tok: token.DEFINE, TokPos: init.TokPos, Rhs: init.Rhs}}
	var body []ast.Stmt
	body = append(body, copyVars(vars, outer, s.Body.Lbrace))
	if s.Post != nil {
		first := ast.NewIdent(r.tmp("first"))
		pre = append(pre, define(first, ast.NewIdent("true")))
		body = append(body, &ast.IfStmt{If: pos, Cond: first,
			Body: &ast.BlockStmt{List: []ast.Stmt{&ast.AssignStmt{Lhs: []ast.Expr{first}, Tok: token.ASSIGN, Rhs: []ast.Expr{ast.NewIdent("false")}}}},
			Else: &ast.BlockStmt{List: []ast.Stmt{s.Post}},
		})
	}
	if s.Cond != nil {
		body = append(body, &ast.IfStmt{If: pos,
			Cond: &ast.UnaryExpr{Op: token.NOT, X: &ast.ParenExpr{X: s.Cond}},
			Body: &ast.BlockStmt{List: []ast.Stmt{&ast.BranchStmt{Tok: token.BREAK}}},
		})
	}
	next := ast.NewIdent(r.tmp("next"))
	var labelName string
	if label != nil {
		labelName = label.Label.Name
	}
	usedNext := replaceContinue(s.Body, labelName, next)
	body = append(body, s.Body)
	copyOut := &ast.AssignStmt{Tok: token.ASSIGN}
	for i := range vars {
		copyOut.Lhs = append(copyOut.Lhs, outer[i])
		copyOut.Rhs = append(copyOut.Rhs, ast.NewIdent(vars[i].Name))
	}
	if usedNext {
		body = append(body, &ast.LabeledStmt{Label: next, Stmt: copyOut})
	} else {
		body = append(body, copyOut)
	}
	loop := &ast.ForStmt{For: pos, Body: &ast.BlockStmt{Lbrace: s.Body.Lbrace, List: body, Rbrace: s.Body.Rbrace}}
	return &ast.BlockStmt{Lbrace: pos, List: append(pre, labeled(label, loop)), Rbrace: s.Body.Rbrace}
}

// redeclared returns the names among vars that a top-level statement of body declares again
// (for example the pre-Go 1.22 idiom i := i).
func redeclared(body []ast.Stmt, vars []*ast.Ident) map[string]bool {
	want := map[string]bool{}
	for _, v := range vars {
		want[v.Name] = true
	}
	out := map[string]bool{}
	for _, s := range body {
		switch s := s.(type) {
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				for _, l := range s.Lhs {
					if id, ok := l.(*ast.Ident); ok && want[id.Name] {
						out[id.Name] = true
					}
				}
			}
		case *ast.DeclStmt:
			if gd, ok := s.Decl.(*ast.GenDecl); ok {
				for _, sp := range gd.Specs {
					if vs, ok := sp.(*ast.ValueSpec); ok {
						for _, n := range vs.Names {
							if want[n.Name] {
								out[n.Name] = true
							}
						}
					}
				}
			}
		}
	}
	return out
}

// without returns vars minus the names in drop.
func without(vars []*ast.Ident, drop map[string]bool) []*ast.Ident {
	var out []*ast.Ident
	for _, v := range vars {
		if !drop[v.Name] {
			out = append(out, v)
		}
	}
	return out
}

// copyVars is: a, b := from1, from2
func copyVars(vars, from []*ast.Ident, pos token.Pos) ast.Stmt {
	a := &ast.AssignStmt{Tok: token.DEFINE, TokPos: pos}
	for i := range vars {
		a.Lhs = append(a.Lhs, ast.NewIdent(vars[i].Name))
		a.Rhs = append(a.Rhs, ast.NewIdent(from[i].Name))
	}
	return a
}

// replaceContinue turns the continue statements of the loop whose body is body (unlabeled ones
// not inside a nested loop, and those naming label) into goto next. It reports whether it
// replaced any.
func replaceContinue(body *ast.BlockStmt, label string, next *ast.Ident) bool {
	used := false
	var walk func(n ast.Node, nested bool)
	walk = func(n ast.Node, nested bool) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ForStmt:
				walk(n.Body, true)
				return false
			case *ast.RangeStmt:
				walk(n.Body, true)
				return false
			case *ast.BranchStmt:
				if n.Tok == token.CONTINUE && ((n.Label == nil && !nested) || (n.Label != nil && n.Label.Name == label)) {
					n.Tok = token.GOTO
					n.Label = ast.NewIdent(next.Name)
					used = true
				}
			}
			return true
		})
	}
	walk(body, false)
	return used
}

// rangeStmt rewrites range over an integer into a three-clause loop, and gives range loops that
// declare captured variables per-iteration copies.
//
//	for i := range n { body }  ->  { __q_n1 := n; for __q_i2 := __q_n1 - __q_n1; __q_i2 < __q_n1; __q_i2++ { i := __q_i2; body } }
func (r *rewriter) rangeStmt(s *ast.RangeStmt, label *ast.LabeledStmt) ast.Stmt {
	s.X = r.expr(s.X)
	isInt := s.Value == nil && r.intLike(s.X)
	iterN := r.iterArity(s.X)
	if iterN != 0 {
		isInt = false
	}
	if !isInt && iterN == 0 && s.Value == nil && !obviouslyNotInt(s.X) && r.p != nil {
		l, c := r.p.pos(s.X.Pos())
		r.b.plan.Hints = append(r.b.plan.Hints, Hint{Line: l, Col: c, Msg: fmt.Sprintf(
			"if %s is an integer, write for i := 0; i < %s; i++ instead of range (yaegi v0.16.1 crashes with \"nil type\" on range over an int the cell rewriter could not prove to be one); if it is an iterator func, which quire could not tell, range over %s(seq) instead, or call it with a yield func",
			exprString(r.p.fset, s.X), exprString(r.p.fset, s.X), "slices.Collect"), When: []string{"nil type"}})
	}
	var vars []*ast.Ident
	if s.Tok == token.DEFINE {
		vars = namedIdents([]ast.Expr{s.Key, s.Value})
	}
	captured, _ := loopUse(s.Body, nameSet(vars))

	r.push()
	for _, v := range vars {
		r.declare(v.Name, isInt && v == s.Key)
	}
	r.loops++
	s.Body.List = r.stmts(s.Body.List)
	r.loops--
	r.pop()
	if iterN != 0 {
		return r.rangeFunc(s, label, iterN)
	}

	if isInt {
		pos := s.For
		n := ast.NewIdent(r.tmp("n"))
		i := ast.NewIdent(r.tmp("i"))
		var body []ast.Stmt
		if key, ok := s.Key.(*ast.Ident); s.Key != nil && (!ok || key.Name != "_") {
			tok := token.ASSIGN
			if s.Tok == token.DEFINE {
				tok = token.DEFINE
			}
			body = append(body, &ast.AssignStmt{Lhs: []ast.Expr{s.Key}, Tok: tok, TokPos: s.Body.Lbrace, Rhs: []ast.Expr{ast.NewIdent(i.Name)}})
		}
		if key, ok := s.Key.(*ast.Ident); ok && s.Tok == token.DEFINE && len(redeclared(s.Body.List, []*ast.Ident{key})) > 0 {
			// The body declares the variable again: keep it in its own block, as in Go.
			body = append(body, &ast.BlockStmt{Lbrace: s.Body.Lbrace, List: s.Body.List, Rbrace: s.Body.Rbrace})
		} else {
			body = append(body, s.Body.List...)
		}
		loop := &ast.ForStmt{
			For:  pos,
			Init: define(ast.NewIdent(i.Name), &ast.BinaryExpr{X: ast.NewIdent(n.Name), Op: token.SUB, Y: ast.NewIdent(n.Name)}),
			Cond: &ast.BinaryExpr{X: ast.NewIdent(i.Name), Op: token.LSS, Y: ast.NewIdent(n.Name)},
			Post: &ast.IncDecStmt{X: ast.NewIdent(i.Name), Tok: token.INC},
			Body: &ast.BlockStmt{Lbrace: s.Body.Lbrace, List: body, Rbrace: s.Body.Rbrace},
		}
		return &ast.BlockStmt{Lbrace: pos, List: []ast.Stmt{define(n, s.X), labeled(label, loop)}, Rbrace: s.Body.Rbrace}
	}
	if cp := without(vars, redeclared(s.Body.List, vars)); captured && len(cp) > 0 {
		s.Body.List = append([]ast.Stmt{copyVars(cp, cp, s.Body.Lbrace)}, s.Body.List...)
	}
	return labeled(label, s)
}

// obviouslyNotInt reports range operands that are visibly not integers.
func obviouslyNotInt(e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.CompositeLit, *ast.SliceExpr, *ast.FuncLit:
		return true
	case *ast.BasicLit:
		return e.Kind == token.STRING
	case *ast.UnaryExpr:
		return e.Op == token.ARROW || e.Op == token.AND
	case *ast.CallExpr:
		if id, ok := e.Fun.(*ast.Ident); ok {
			switch id.Name {
			case "make", "append", "new":
				return true
			}
		}
	}
	return false
}

// exprString prints a short expression for messages.
func exprString(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	if err := printer.Fprint(&b, fset, e); err != nil {
		return "x"
	}
	s := b.String()
	if len(s) > 40 {
		return "x"
	}
	return s
}

// --- top level ---

// topStmt rewrites one statement at the top level of a cell, where yaegi runs code in its
// global scope. It returns the statements to print and the names they declare.
func (r *rewriter) topStmt(p *parsed, s ast.Stmt) ([]ast.Stmt, []Decl, error) {
	r.p = p
	var out []ast.Stmt
	var defs []Decl
	switch s := s.(type) {
	case *ast.DeferStmt:
		s.Call.Args = r.exprsCopy(s.Call.Args)
		s.Call.Fun = r.expr(s.Call.Fun)
		if r.err != nil {
			return nil, nil, r.err
		}
		return []ast.Stmt{r.topDefer(s)}, nil, nil
	case *ast.ReturnStmt:
		l, c := p.pos(s.Pos())
		return nil, nil, r.b.errorf(l, c, "return at the top level of a cell is not supported: wrap the code in a func and return from it")
	case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt, *ast.BlockStmt, *ast.LabeledStmt:
		// yaegi crashes or misbehaves on several of these in its global scope; inside a
		// closure they work and can still assign globals.
		inner := r.stmt(s)
		out = append(out, iife(s.Pos(), s.End(), []ast.Stmt{inner}))
	case *ast.AssignStmt:
		if s.Tok != token.DEFINE {
			out = append(out, r.stmt(s))
			break
		}
		pre, err := r.topDefine(p, s)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, pre...)
		out = append(out, s)
		for i, l := range s.Lhs {
			id, ok := l.(*ast.Ident)
			if !ok || id.Name == "_" {
				continue
			}
			isInt := len(s.Lhs) == len(s.Rhs) && r.intLike(s.Rhs[i])
			it := 0
			if len(s.Lhs) == len(s.Rhs) {
				it = r.iterArity(s.Rhs[i])
			}
			r.b.names[id.Name] = true
			r.b.iterNames[id.Name] = it
			line, _ := p.pos(s.Pos())
			defs = append(defs, Decl{Name: id.Name, Kind: DeclVar, Int: isInt, Iter: it,
				Redefines: r.b.known.Vars[id.Name], Uses: uses(s), Line: line, EndLine: endLine(p, s)})
		}
	case *ast.DeclStmt:
		gd, ok := s.Decl.(*ast.GenDecl)
		if !ok {
			out = append(out, s)
			break
		}
		var pre []ast.Stmt
		// var x = G(...) with a generic G is x := G(...), which yaegi v0.16.1 can type at
		// the top level (the same global, declared once in the cell either way).
		var define *ast.AssignStmt
		if vs, ok := soleValueSpec(gd); ok && vs.Type == nil && len(vs.Names) == len(vs.Values) {
			define = &ast.AssignStmt{TokPos: vs.Names[0].End(), Tok: token.DEFINE}
			for i, n := range vs.Names {
				if g, direct := r.genericCall(vs.Values[i]); g == "" || !direct || n.Name == "_" {
					define = nil
					break
				}
				define.Lhs = append(define.Lhs, n)
			}
			if define != nil {
				define.Rhs = vs.Values
			}
		}
		for _, sp := range gd.Specs {
			vs, ok := sp.(*ast.ValueSpec)
			if !ok {
				continue
			}
			r.exprs(vs.Values)
			if gd.Tok == token.VAR && vs.Type == nil {
				names := make([]ast.Expr, len(vs.Names))
				for i, n := range vs.Names {
					names[i] = n
				}
				r.hintCompiledIndex(p, names, vs.Values)
			}
			if gd.Tok == token.VAR {
				for i, v := range vs.Values {
					if define != nil {
						continue
					}
					if err := r.checkGenericTop(p, v, "var x = G(...)"); err != nil {
						return nil, nil, err
					}
					var h []ast.Stmt
					vs.Values[i], h = r.hoistMinMax(v)
					pre = append(pre, h...)
				}
			}
		}
		out = append(out, pre...)
		if define != nil {
			out = append(out, define)
		} else {
			out = append(out, s)
		}
		r.declareGen(gd, func(name string, isInt bool, spec ast.Spec) {
			var at ast.Node = gd // var x = 1: the line with the keyword
			if gd.Lparen.IsValid() {
				at = spec // var ( ... ): the spec's own lines
			}
			line, _ := p.pos(at.Pos())
			d := Decl{Name: name, Int: isInt, Uses: uses(s), Iter: r.iters[name], Line: line, EndLine: endLine(p, at)}
			r.b.iterNames[name] = r.iters[name]
			switch gd.Tok {
			case token.VAR:
				d.Kind = DeclVar
				d.Redefines = r.b.known.Vars[name]
			case token.CONST:
				d.Kind = DeclConst
				d.Redefines = r.b.known.Vars[name]
			case token.TYPE:
				d.Kind = DeclType
				d.Redefines = r.b.known.Types[name]
				for _, sp := range gd.Specs {
					if ts, ok := sp.(*ast.TypeSpec); ok && ts.Name.Name == name && ts.TypeParams != nil {
						d.Generic = true
					}
				}
			}
			defs = append(defs, d)
		})
	default:
		out = append(out, r.stmt(s))
	}
	if r.err != nil {
		return nil, nil, r.err
	}
	return out, defs, nil
}

// topDefine rewrites a top-level := (in place) and returns statements to run before it.
func (r *rewriter) topDefine(p *parsed, s *ast.AssignStmt) ([]ast.Stmt, error) {
	r.exprs(s.Rhs)
	if len(s.Lhs) == 2 && len(s.Rhs) == 1 {
		switch x := ast.Unparen(s.Rhs[0]).(type) {
		case *ast.IndexExpr:
			// v, ok := m[k] -> v := m[k]; ok := false; v, ok = m[k]
			var pre []ast.Stmt
			if hasCall(x.X) {
				t := ast.NewIdent(r.tmp("m"))
				pre = append(pre, define(t, x.X))
				x.X = ast.NewIdent(t.Name)
			}
			if hasCall(x.Index) {
				t := ast.NewIdent(r.tmp("k"))
				pre = append(pre, define(t, x.Index))
				x.Index = ast.NewIdent(t.Name)
			}
			pre = append(pre, r.commaOK(s, &ast.IndexExpr{X: x.X, Index: x.Index, Lbrack: x.Lbrack, Rbrack: x.Rbrack})...)
			return pre, nil
		case *ast.TypeAssertExpr:
			// v, ok := x.(T) -> v := *new(T); ok := false; v, ok = x.(T)
			zero := &ast.StarExpr{X: &ast.CallExpr{Fun: ast.NewIdent("new"), Args: []ast.Expr{x.Type}}}
			return r.commaOK(s, zero), nil
		case *ast.UnaryExpr:
			if x.Op == token.ARROW {
				l, c := p.pos(s.Pos())
				return nil, r.b.errorf(l, c, "v, ok := <-ch at the top level of a cell crashes yaegi v0.16.1: declare the variables first (var v T; var ok bool; v, ok = <-ch) or do it inside a func")
			}
		}
	}
	var pre []ast.Stmt
	if len(s.Rhs) == 1 {
		// first := slices.Sorted(seq)[0] is t := slices.Sorted(seq); first := t[0], when
		// the generic call is the first call evaluated (so the order of calls stays Go's).
		for i := 0; i < 8; i++ {
			b := genericFlow(s.Rhs[0], r)
			if b == nil || b == s.Rhs[0] || firstCall(s.Rhs[0]) != b {
				break
			}
			t := ast.NewIdent(r.tmp("g"))
			pre = append(pre, define(t, b))
			s.Rhs[0] = replaceFlow(s.Rhs[0], b, ast.NewIdent(t.Name))
		}
	}
	for _, e := range s.Rhs {
		if err := r.checkGenericTop(p, e, defineForm); err != nil {
			return nil, err
		}
	}
	r.hintCompiledIndex(p, s.Lhs, s.Rhs)
	for i, e := range s.Rhs {
		var h []ast.Stmt
		s.Rhs[i], h = r.hoistMinMax(e)
		pre = append(pre, h...)
	}
	return pre, nil
}

// hintCompiledIndex adds a Hint for a top-level variable whose value (outside func literals)
// indexes a slice, array or map: yaegi v0.16.1 cannot infer the type of a global from an element
// of a compiled package's slice, array or map (rec := e.Records[0] with e from executors fails
// with "constant definition loop"; e.Records[0].End - e.Records[0].Start with a nil pointer
// dereference), and the cell rewriter cannot tell without types whether the indexed value is
// compiled. The hint says to declare the variable with its type first, which works.
func (r *rewriter) hintCompiledIndex(p *parsed, lhs, rhs []ast.Expr) {
	if len(lhs) != len(rhs) {
		return
	}
	for i, e := range rhs {
		var idx ast.Expr
		ast.Inspect(e, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.IndexExpr:
				if idx == nil {
					idx = x
				}
			}
			return idx == nil
		})
		id, ok := lhs[i].(*ast.Ident)
		if idx == nil || !ok || id.Name == "_" {
			continue
		}
		l, c := p.pos(id.Pos())
		val := exprString(p.fset, e)
		if val == "x" {
			val = "..."
		}
		r.b.plan.Hints = append(r.b.plan.Hints, Hint{Line: l, Col: c, When: []string{"constant definition loop", "nil pointer dereference"}, Msg: fmt.Sprintf(
			"if %s is an element of a slice, array or map that comes from a compiled package (a field of a value an imported package returned), yaegi v0.16.1 cannot infer the type of the top-level variable %s from it: declare %s with its type first (var %s T; %s = %s), or compute it inside a func",
			exprString(p.fset, idx), id.Name, id.Name, id.Name, id.Name, val)})
	}
}

// commaOK rewrites v, ok := X into v := first; ok := false; v, ok = X (in place, returning the
// statements that go before), skipping names already defined in this segment and blanks.
func (r *rewriter) commaOK(s *ast.AssignStmt, first ast.Expr) []ast.Stmt {
	var pre []ast.Stmt
	vals := []ast.Expr{first, ast.NewIdent("false")}
	for i, l := range s.Lhs {
		id, ok := l.(*ast.Ident)
		if !ok || id.Name == "_" || r.b.names[id.Name] {
			continue
		}
		pre = append(pre, &ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent(id.Name)}, Tok: token.DEFINE, TokPos: s.TokPos, Rhs: []ast.Expr{vals[i]}})
	}
	s.Tok = token.ASSIGN
	return pre
}

func hasCall(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.CallExpr:
			found = true
		case *ast.FuncLit:
			return false
		}
		return !found
	})
	return found
}

// checkGenericTop rejects a generic call in the value of a top-level variable where yaegi
// v0.16.1 cannot type the variable: in a var declaration (anywhere outside func literals),
// and in a := whose value takes its type from the generic call without being that call
// (1 + G(x), G(x)[0]); y := G(x) itself works (third_party/yaegi PATCHES.md, 5).
func (r *rewriter) checkGenericTop(p *parsed, e ast.Expr, form string) error {
	var bad ast.Expr
	var name string
	if form == defineForm {
		if _, direct := r.genericCall(e); !direct {
			bad = genericFlow(e, r)
			if bad != nil {
				name, _ = r.genericCall(bad)
			}
		}
	} else {
		ast.Inspect(e, func(n ast.Node) bool {
			if bad != nil {
				return false
			}
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.CallExpr:
				if g, _ := r.genericCall(n); g != "" {
					bad, name = n, g
				}
			}
			return true
		})
	}
	if bad == nil {
		return nil
	}
	l, c := p.pos(bad.Pos())
	return r.b.errorf(l, c, "%s with the generic func %s at the top level of a cell crashes yaegi v0.16.1: declare the variable with its type first (var y T; y = %s(...)), or give the call its own variable (t := %s(...)), or use y := func() T { return %s(...) }(), or do it inside a func",
		form, name, name, name, name)
}

const defineForm = "y := G(x)"

// genericPkgFuncs are the generic funcs of the standard library that cells call as quire's
// interpreted source (eval/worker/gostd): every func of the packages mapped to nil.
var genericPkgFuncs = map[string]map[string]bool{
	"slices": nil, "maps": nil, "cmp": nil, "iter": nil,
	"sync":   {"OnceValue": true, "OnceValues": true},
	"errors": {"AsType": true},
}

// genericCall returns the name of the generic func e calls ("" if e is no such call), and
// whether e is that call itself (not in parentheses).
func (r *rewriter) genericCall(e ast.Expr) (string, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return "", false
	}
	f := call.Fun
	switch x := f.(type) {
	case *ast.IndexExpr:
		f = x.X
	case *ast.IndexListExpr:
		f = x.X
	}
	switch x := f.(type) {
	case *ast.Ident:
		if r.b.generics[x.Name] || r.b.known.Generics[x.Name] {
			if d, _ := r.lookup(x.Name); !d {
				return x.Name, true
			}
		}
	case *ast.SelectorExpr:
		if pkg, ok := x.X.(*ast.Ident); ok {
			if fs, ok := genericPkgFuncs[pkg.Name]; ok && (fs == nil || fs[x.Sel.Name]) && ast.IsExported(x.Sel.Name) {
				if d, _ := r.lookup(pkg.Name); !d {
					return pkg.Name + "." + x.Sel.Name, true
				}
			}
		}
	}
	return "", false
}

// genericFlow returns a generic call in e whose result type becomes e's type (an operand, an
// indexed, sliced or selected value), or nil.
func genericFlow(e ast.Expr, r *rewriter) ast.Expr {
	switch x := e.(type) {
	case *ast.CallExpr:
		if g, _ := r.genericCall(x); g != "" {
			return x
		}
	case *ast.ParenExpr:
		return genericFlow(x.X, r)
	case *ast.BinaryExpr:
		if b := genericFlow(x.X, r); b != nil {
			return b
		}
		return genericFlow(x.Y, r)
	case *ast.UnaryExpr:
		return genericFlow(x.X, r)
	case *ast.StarExpr:
		return genericFlow(x.X, r)
	case *ast.IndexExpr:
		return genericFlow(x.X, r)
	case *ast.SliceExpr:
		return genericFlow(x.X, r)
	case *ast.SelectorExpr:
		return genericFlow(x.X, r)
	}
	return nil
}

// firstCall returns the call in e that Go evaluates first (outside func literals), or nil.
func firstCall(e ast.Expr) *ast.CallExpr {
	var first *ast.CallExpr
	ast.Inspect(e, func(n ast.Node) bool {
		if first != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			first = n
			return false
		}
		return true
	})
	return first
}

// replaceFlow replaces old, found by genericFlow, with new in e.
func replaceFlow(e, old, new ast.Expr) ast.Expr {
	if e == old {
		return new
	}
	switch x := e.(type) {
	case *ast.ParenExpr:
		x.X = replaceFlow(x.X, old, new)
	case *ast.BinaryExpr:
		x.X = replaceFlow(x.X, old, new)
		x.Y = replaceFlow(x.Y, old, new)
	case *ast.UnaryExpr:
		x.X = replaceFlow(x.X, old, new)
	case *ast.StarExpr:
		x.X = replaceFlow(x.X, old, new)
	case *ast.IndexExpr:
		x.X = replaceFlow(x.X, old, new)
	case *ast.SliceExpr:
		x.X = replaceFlow(x.X, old, new)
	case *ast.SelectorExpr:
		x.X = replaceFlow(x.X, old, new)
	}
	return e
}

// hoistMinMax replaces min/max helper calls in e (outside func literals) by temporaries
// computed in statements that go before: __q_t1 := a; __q_t1 = __quire_min(__q_t1, b). yaegi
// v0.16.1 cannot type a top-level := from a generic call, but it can assign one.
func (r *rewriter) hoistMinMax(e ast.Expr) (ast.Expr, []ast.Stmt) {
	var pre []ast.Stmt
	temps := map[*ast.Ident]bool{}
	var visit func(e ast.Expr) ast.Expr
	visit = func(e ast.Expr) ast.Expr {
		switch x := e.(type) {
		case *ast.CallExpr:
			for i, a := range x.Args {
				x.Args[i] = visit(a)
			}
			if id, ok := x.Fun.(*ast.Ident); ok && (id.Name == minHelper || id.Name == maxHelper) && len(x.Args) == 2 {
				t, ok := x.Args[0].(*ast.Ident)
				if !ok || !temps[t] {
					t = ast.NewIdent(r.tmp("t"))
					temps[t] = true
					pre = append(pre, define(t, x.Args[0]))
				}
				pre = append(pre, &ast.AssignStmt{Lhs: []ast.Expr{ast.NewIdent(t.Name)}, Tok: token.ASSIGN, Rhs: []ast.Expr{
					&ast.CallExpr{Fun: id, Args: []ast.Expr{ast.NewIdent(t.Name), x.Args[1]}},
				}})
				return t
			}
			x.Fun = visit(x.Fun)
		case *ast.ParenExpr:
			x.X = visit(x.X)
		case *ast.BinaryExpr:
			x.X = visit(x.X)
			x.Y = visit(x.Y)
		case *ast.UnaryExpr:
			x.X = visit(x.X)
		case *ast.IndexExpr:
			x.X = visit(x.X)
			x.Index = visit(x.Index)
		case *ast.SelectorExpr:
			x.X = visit(x.X)
		case *ast.StarExpr:
			x.X = visit(x.X)
		case *ast.CompositeLit:
			for i, a := range x.Elts {
				x.Elts[i] = visit(a)
			}
		case *ast.KeyValueExpr:
			x.Value = visit(x.Value)
		case *ast.SliceExpr:
			x.X = visit(x.X)
			x.Low = visit(x.Low)
			x.High = visit(x.High)
			x.Max = visit(x.Max)
		}
		return e
	}
	e = visit(e)
	return e, pre
}

// Prelude returns the Go source (file mode, for one Eval at session start) of the helpers that
// plans with NeedsHelpers call: generic 2-argument min and max, and a reflection-based clear.
func Prelude() string {
	var b strings.Builder
	b.WriteString("\nimport __quire_reflect \"reflect\"\n" + pullPrelude + "\n")
	ordered := "~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr | ~float32 | ~float64 | ~string"
	for _, f := range []struct{ name, op string }{{minHelper, "<"}, {maxHelper, ">"}} {
		// b != b is true only for NaN: min and max return NaN if any argument is NaN.
		// The type parameter is not called T: in yaegi v0.16.1 a generic func's type
		// parameter leaks into the global scope, and a user's later "type T" would break.
		fmt.Fprintf(&b, "func %s[__quire_T %s](a, b __quire_T) __quire_T {\n\tif b %s a || b != b {\n\t\treturn b\n\t}\n\treturn a\n}\n\n", f.name, ordered, f.op)
	}
	fmt.Fprintf(&b, `func %s(x any) {
	v := __quire_reflect.ValueOf(x)
	switch v.Kind() {
	case __quire_reflect.Map:
		v.Clear()
	case __quire_reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			v.Index(i).SetZero()
		}
	}
}
`, clearHelper)
	return b.String()
}

// soleValueSpec returns the one spec of a var declaration with exactly one; false for an
// empty group (var ()), several specs, or another token.
func soleValueSpec(gd *ast.GenDecl) (*ast.ValueSpec, bool) {
	if gd.Tok != token.VAR || len(gd.Specs) != 1 {
		return nil, false
	}
	vs, ok := gd.Specs[0].(*ast.ValueSpec)
	return vs, ok
}
