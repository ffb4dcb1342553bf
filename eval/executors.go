package eval

import (
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
	s.rec.mu.Lock()
	if s.rec.execVars == nil {
		s.rec.execVars = map[string]bool{}
	}
	for i := range plan.Segments {
		cell.CollectAssigned(plan.Segments[i].Src, plan.Segments[i].Kind == cell.Stmts, pkg, s.rec.execVars)
	}
	for v := range s.rec.execVars {
		callees[v+"."] = true
	}
	s.rec.mu.Unlock()
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
	return cell.RewriteCallArgs(src, stmts, func(x, sel string) bool {
		pkgCall := x == pkg && callees[sel]
		methodCall := x != pkg && callees[x+"."] && callees["."+sel]
		return pkgCall || methodCall
	}, func(arg string) string {
		if !funcs[arg] {
			return arg
		}
		return pkg + ".Func(" + strconv.Quote(arg) + ", " + arg + ")"
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
	s.rec.mu.Lock()
	if s.rec.displayVars == nil {
		s.rec.displayVars = map[string]bool{}
	}
	for i := range plan.Segments {
		cell.CollectAssigned(plan.Segments[i].Src, plan.Segments[i].Kind == cell.Stmts, pkg, s.rec.displayVars)
	}
	vars := make(map[string]bool, len(s.rec.displayVars))
	for v := range s.rec.displayVars {
		vars[v] = true
	}
	s.rec.mu.Unlock()
	rewrite := func(src string, stmts bool) string {
		return cell.RewriteCallArgs(src, stmts, func(x, sel string) bool {
			return vars[x] && (sel == "Show" || sel == "Update")
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
