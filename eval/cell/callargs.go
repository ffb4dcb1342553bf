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
		_, x, _, ok := selectorCall(e)
		return ok && x == pkg
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
		call, x, sel, ok := selectorCall(n)
		if !ok || !match(x, sel) {
			return true
		}
		for _, a := range call.Args {
			e := edit{fset.Position(a.Pos()).Offset - len(prefix), fset.Position(a.End()).Offset - len(prefix)}
			if e.off >= 0 && e.end <= len(src) && e.off <= e.end {
				edits = append(edits, e)
			}
		}
		return true
	})
	if len(edits) == 0 {
		return src
	}
	// Outer arguments first; an argument that holds another matching call (h.Update(h.Update(v)))
	// is replaced after its inner arguments are.
	sort.Slice(edits, func(i, j int) bool {
		if edits[i].off != edits[j].off {
			return edits[i].off < edits[j].off
		}
		return edits[i].end > edits[j].end
	})
	var emit func(lo, hi int, es []edit) string
	emit = func(lo, hi int, es []edit) string {
		var b strings.Builder
		at := lo
		for i := 0; i < len(es); {
			e := es[i]
			j := i + 1
			for j < len(es) && es[j].end <= e.end { // the edits inside e
				j++
			}
			b.WriteString(src[at:e.off])
			b.WriteString(replace(emit(e.off, e.end, es[i+1:j])))
			at = e.end
			i = j
		}
		b.WriteString(src[at:hi])
		return b.String()
	}
	return emit(0, len(src), edits)
}

// selectorCall returns n as a call x.sel(...) of an identifier's selector, and whether it is one.
func selectorCall(n ast.Node) (call *ast.CallExpr, x, sel string, ok bool) {
	call, ok = n.(*ast.CallExpr)
	if !ok {
		return nil, "", "", false
	}
	s, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil, "", "", false
	}
	id, ok := s.X.(*ast.Ident)
	if !ok {
		return nil, "", "", false
	}
	return call, id.Name, s.Sel.Name, true
}
