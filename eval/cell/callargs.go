package cell

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
)

// CollectAssigned adds to vars the names src (statements, or a file of declarations, as
// stmts says) assigns from a call of a function of package pkg (pool :=
// executors.NewProcessPool(2), var tp = executors.NewThreadPool(3)). Source that does not
// parse adds nothing.
func CollectAssigned(src string, stmts bool, pkg string, vars map[string]bool) {
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

// RewriteCallArgs replaces every argument of the calls x.sel(...) in src (statements, or a file
// of declarations, as stmts says) for which match(x, sel) is true by replace(argument source).
// Source that does not parse is returned as it is.
func RewriteCallArgs(src string, stmts bool, match func(x, sel string) bool, replace func(string) string) string {
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
		if x, ok := sel.X.(*ast.Ident); !ok || !match(x.Name, sel.Sel.Name) {
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
