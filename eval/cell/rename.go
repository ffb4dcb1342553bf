package cell

import (
	"go/ast"
	"go/token"
	"sort"
	"strings"
)

// MainName is what a cell's own variable, constant or type named main is called in the
// interpreter: yaegi v0.16.1 treats a global named main as the program's entry point and calls
// it after every later evaluation, which breaks every later cell ("index out of range"). The
// session sees the name main (Decl.Name); messages should show main again (the session
// replaces MainName in them).
const MainName = HostPkg + "_main"

// renameMain renames main to MainName in the cell's groups when main is (or becomes) one of
// the session's variables, constants or types. Field, method and label names, selectors and
// composite literal keys keep their names; a cell declaring func main keeps it as is.
func (b *builder) renameMain(groups []*parsed, kinds []itemKind) {
	want := b.known.Vars["main"] || b.known.Types["main"] || b.known.Consts["main"]
	for i, p := range groups {
		if kinds[i] == itemFunc {
			for _, d := range p.file.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
					return
				}
			}
			continue
		}
		for _, s := range stmtsOf(p) {
			if declaresMain(s) {
				want = true
			}
		}
	}
	if !want {
		return
	}
	for _, p := range groups {
		keep := map[*ast.Ident]bool{}
		ast.Inspect(p.file, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.SelectorExpr:
				keep[x.Sel] = true
			case *ast.KeyValueExpr:
				if id, ok := x.Key.(*ast.Ident); ok {
					keep[id] = true
				}
			case *ast.StructType:
				markFieldNames(x.Fields, keep)
			case *ast.InterfaceType:
				markFieldNames(x.Methods, keep)
			case *ast.FuncDecl:
				keep[x.Name] = true
			case *ast.LabeledStmt:
				keep[x.Label] = true
			case *ast.BranchStmt:
				if x.Label != nil {
					keep[x.Label] = true
				}
			}
			return true
		})
		ast.Inspect(p.file, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name == "main" && !keep[id] {
				id.Name = MainName
			}
			return true
		})
	}
}

func markFieldNames(fl *ast.FieldList, keep map[*ast.Ident]bool) {
	if fl == nil {
		return
	}
	for _, f := range fl.List {
		for _, n := range f.Names {
			keep[n] = true
		}
	}
}

// declaresMain reports a top-level statement declaring main (:=, var, const, type).
func declaresMain(s ast.Stmt) bool {
	switch s := s.(type) {
	case *ast.AssignStmt:
		if s.Tok == token.DEFINE {
			for _, l := range s.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name == "main" {
					return true
				}
			}
		}
	case *ast.DeclStmt:
		if gd, ok := s.Decl.(*ast.GenDecl); ok {
			for _, sp := range gd.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					if sp.Name.Name == "main" {
						return true
					}
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						if n.Name == "main" {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// unrenameMain gives the plan's declarations their user-visible names back.
func (b *builder) unrenameMain() {
	fix := func(s string) string {
		if s == MainName {
			return "main"
		}
		if strings.HasPrefix(s, MainName+".") {
			return "main" + strings.TrimPrefix(s, MainName)
		}
		return s
	}
	for i := range b.plan.Segments {
		ds := b.plan.Segments[i].Defines
		for j := range ds {
			ds[j].Name = fix(ds[j].Name)
			for k, u := range ds[j].Uses {
				ds[j].Uses[k] = fix(u)
			}
			sort.Strings(ds[j].Uses)
		}
	}
}
