package eval

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/internal/symtab"
)

const executorsPath = "github.com/quire-go/quire/executors"

// executorsName returns the local name under which the cell or session imports executors.
func executorsName(plan *cell.Plan, known cell.Known) string {
	for _, d := range plan.Defines() {
		if d.Kind == cell.DeclImport && d.Path == executorsPath {
			return d.Name
		}
	}
	for name, p := range known.Imports {
		if p == executorsPath {
			return name
		}
	}
	return ""
}

func usesExecutors(plan *cell.Plan, known cell.Known) bool {
	return executorsName(plan, known) != ""
}

// wrapExecutorFuncs passes top-level functions to executors by name: in a call of a package
// function listed in executors.FuncParamCallees, an argument that is the bare name of a
// top-level func of the session becomes executors.Func("name", name), so a child process can
// find it (an interpreted func value has no name). Method calls (pool.Submit(f)) are wrapped
// when the receiver is a variable the session assigned from an executors call
// (pool := executors.NewProcessPool(4)); other types' methods of the same name are left alone.
func (s *Supervisor) wrapExecutorFuncs(plan *cell.Plan, known cell.Known) *cell.Plan {
	pkg := executorsName(plan, known)
	if pkg == "" {
		return plan
	}
	callees := map[string]bool{}
	methods := map[string]bool{}
	for _, c := range symtab.FuncParamCallees() {
		if _, m, ok := strings.Cut(c, "."); ok {
			methods[m] = true
		} else if c != "Func" {
			callees[c] = true
		}
	}
	s.mu.Lock()
	if s.execVars == nil {
		s.execVars = map[string]bool{}
	}
	for i := range plan.Segments {
		collectExecVars(plan.Segments[i].Src, plan.Segments[i].Kind == cell.Stmts, pkg, s.execVars)
	}
	for v := range s.execVars {
		callees[v+"."] = true
	}
	s.mu.Unlock()
	for m := range methods {
		callees["."+m] = true
	}
	funcs := map[string]bool{}
	for name := range known.Funcs {
		if !strings.Contains(name, ".") {
			funcs[name] = true
		}
	}
	for _, d := range plan.Defines() {
		if d.Kind == cell.DeclFunc {
			funcs[d.Name] = true
		}
	}
	for i := range plan.Segments {
		seg := &plan.Segments[i]
		seg.Src = wrapFuncArgs(seg.Src, seg.Kind == cell.Stmts, pkg, callees, funcs)
		for j := range seg.Defines {
			d := &seg.Defines[j]
			if d.Kind == cell.DeclImport {
				continue
			}
			stmts := d.Kind != cell.DeclFunc && d.Kind != cell.DeclMethod
			d.Src = wrapFuncArgs(d.Src, stmts, pkg, callees, funcs)
		}
	}
	if plan.Trailing != "" {
		plan.Trailing = wrapFuncArgs(plan.Trailing, true, pkg, callees, funcs)
	}
	return plan
}

// wrapFuncArgs rewrites src (statements, or a file of declarations) textually: in calls of
// pkg's callees and of the methods of executors values, an argument that is the bare name of a
// top-level func becomes pkg.Func("name", name).
func wrapFuncArgs(src string, stmts bool, pkg string, callees, funcs map[string]bool) string {
	return rewriteArgs(src, stmts, func(x *ast.Ident, sel string) bool {
		pkgCall := x.Name == pkg && callees[sel]
		methodCall := x.Name != pkg && callees[x.Name+"."] && callees["."+sel]
		return pkgCall || methodCall
	}, func(arg string) string {
		if !funcs[arg] {
			return arg
		}
		return pkg + ".Func(" + strconv.Quote(arg) + ", " + arg + ")"
	})
}

// collectExecVars adds to vars the names assigned from a call of a function of package pkg
// (pool := executors.NewProcessPool(2), var tp = executors.NewThreadPool(3)).
func collectExecVars(src string, stmts bool, pkg string, vars map[string]bool) {
	if !strings.Contains(src, pkg+".") {
		return
	}
	prefix, suffix := "package p;", ""
	if stmts {
		prefix, suffix = "package p;func _(){", "\n}"
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", prefix+src+suffix, parser.SkipObjectResolution)
	if err != nil {
		return
	}
	fromPkg := func(e ast.Expr) bool {
		call, ok := e.(*ast.CallExpr)
		if !ok {
			return false
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return false
		}
		x, ok := sel.X.(*ast.Ident)
		return ok && x.Name == pkg
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			if len(x.Lhs) == len(x.Rhs) {
				for i, l := range x.Lhs {
					if id, ok := l.(*ast.Ident); ok && fromPkg(x.Rhs[i]) {
						vars[id.Name] = true
					}
				}
			}
		case *ast.ValueSpec:
			if len(x.Names) == len(x.Values) {
				for i, id := range x.Names {
					if fromPkg(x.Values[i]) {
						vars[id.Name] = true
					}
				}
			}
		}
		return true
	})
}

const displayPath = "github.com/quire-go/quire/display"

// wrapDisplayArgs keeps the display methods of values passed to display.Handle methods: yaegi
// hands a compiled method a value of an interpreted type without its methods, so
// h.Update(v) becomes h.Update(__quire.Wrap(v)) when h was assigned from display.New().
func (s *Supervisor) wrapDisplayArgs(plan *cell.Plan, known cell.Known) *cell.Plan {
	pkg := ""
	for _, d := range plan.Defines() {
		if d.Kind == cell.DeclImport && d.Path == displayPath {
			pkg = d.Name
		}
	}
	for name, p := range known.Imports {
		if p == displayPath && pkg == "" {
			pkg = name
		}
	}
	if pkg == "" {
		return plan
	}
	s.mu.Lock()
	if s.displayVars == nil {
		s.displayVars = map[string]bool{}
	}
	for i := range plan.Segments {
		collectExecVars(plan.Segments[i].Src, plan.Segments[i].Kind == cell.Stmts, pkg, s.displayVars)
	}
	vars := make(map[string]bool, len(s.displayVars))
	for v := range s.displayVars {
		vars[v] = true
	}
	s.mu.Unlock()
	rewrite := func(src string, stmts bool) string {
		return rewriteArgs(src, stmts, func(x *ast.Ident, sel string) bool {
			return vars[x.Name] && (sel == "Show" || sel == "Update")
		}, func(arg string) string { return cell.HostPkg + ".Wrap(" + arg + ")" })
	}
	for i := range plan.Segments {
		seg := &plan.Segments[i]
		seg.Src = rewrite(seg.Src, seg.Kind == cell.Stmts)
		for j := range seg.Defines {
			d := &seg.Defines[j]
			if d.Kind != cell.DeclImport {
				d.Src = rewrite(d.Src, d.Kind != cell.DeclFunc && d.Kind != cell.DeclMethod)
			}
		}
	}
	if plan.Trailing != "" {
		plan.Trailing = rewrite(plan.Trailing, true)
	}
	return plan
}

// rewriteArgs replaces every argument of calls x.sel(...) for which match is true by
// replace(argument source).
func rewriteArgs(src string, stmts bool, match func(x *ast.Ident, sel string) bool, replace func(string) string) string {
	prefix, suffix := "package p;", ""
	if stmts {
		prefix, suffix = "package p;func _(){", "\n}"
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", prefix+src+suffix, parser.SkipObjectResolution|parser.ParseComments)
	if err != nil {
		return src
	}
	type edit struct{ off, end int }
	var edits []edit
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if x, ok := sel.X.(*ast.Ident); !ok || !match(x, sel.Sel.Name) {
			return true
		}
		for _, a := range call.Args {
			edits = append(edits, edit{fset.Position(a.Pos()).Offset - len(prefix), fset.Position(a.End()).Offset - len(prefix)})
		}
		return true
	})
	sort.Slice(edits, func(i, j int) bool { return edits[i].off > edits[j].off })
	for _, e := range edits {
		if e.off < 0 || e.end > len(src) || e.off > e.end {
			continue
		}
		src = src[:e.off] + replace(src[e.off:e.end]) + src[e.end:]
	}
	return src
}
