package cell

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
)

// Names returns what a cell of Go code declares at top level (funcs, methods as "T.M",
// types, vars, consts, import names) and its free names: the identifiers it refers to without
// declaring them anywhere in the cell (at any scope), Go's predeclared names excluded. Free
// names over-approximate (a name declared in one scope of the cell and used in another counts
// as declared), which is the safe side for grading: a check cell's free names are what it
// takes from the rest of the notebook (lessons use it to grade). Magic cells (starting with %) declare and use nothing.
func Names(src string) (declares []Decl, free map[string]bool, err error) {
	free = map[string]bool{}
	if strings.HasPrefix(strings.TrimSpace(src), "%") {
		return nil, free, nil
	}
	plan, err := Build("cell", src, Known{})
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the cell: %w", err)
	}
	declares = plan.Defines()
	var chunks []string
	for _, s := range plan.Segments {
		switch s.Kind {
		case Import:
		case Func:
			chunks = append(chunks, "package p\n"+s.Src)
		default:
			chunks = append(chunks, "package p\nfunc _() {\n"+s.Src+"\n}")
		}
	}
	if plan.Trailing != "" {
		chunks = append(chunks, "package p\nfunc _() {\n_ = "+plan.Trailing+"\n}")
	}
	used, local := map[string]bool{}, map[string]bool{}
	for _, d := range declares {
		local[d.Name] = true
	}
	fset := token.NewFileSet()
	for _, c := range chunks {
		f, err := parser.ParseFile(fset, "cell.go", c, parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, fmt.Errorf("parsing the cell: %w", err)
		}
		collectNames(f, used, local)
	}
	for n := range used {
		if !local[n] && !Predeclared(n) && !strings.HasPrefix(n, "__q") && n != "_" {
			free[n] = true
		}
	}
	return declares, free, nil
}

// collectNames adds to used every identifier f refers to and to local every identifier it
// declares, in any scope. Selector names (x.Sel), struct field names, method names and the
// keys of composite literals are neither: they do not name anything of the notebook.
func collectNames(f *ast.File, used, local map[string]bool) {
	skip := map[*ast.Ident]bool{f.Name: true}
	def := func(ids ...*ast.Ident) {
		for _, id := range ids {
			if id != nil {
				local[id.Name] = true
				skip[id] = true
			}
		}
	}
	fields := func(fl *ast.FieldList) {
		if fl == nil {
			return
		}
		for _, fd := range fl.List {
			def(fd.Names...)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			skip[n.Sel] = true
		case *ast.FuncDecl:
			if n.Recv != nil {
				skip[n.Name] = true
				fields(n.Recv)
			} else {
				def(n.Name)
			}
			fields(n.Type.TypeParams)
			fields(n.Type.Params)
			fields(n.Type.Results)
		case *ast.FuncLit:
			fields(n.Type.Params)
			fields(n.Type.Results)
		case *ast.StructType:
			for _, fd := range n.Fields.List {
				for _, id := range fd.Names {
					skip[id] = true
				}
			}
		case *ast.InterfaceType:
			for _, fd := range n.Methods.List {
				for _, id := range fd.Names {
					skip[id] = true
				}
			}
		case *ast.KeyValueExpr:
			if id, ok := n.Key.(*ast.Ident); ok {
				skip[id] = true
			}
		case *ast.AssignStmt:
			if n.Tok == token.DEFINE {
				for _, e := range n.Lhs {
					if id, ok := e.(*ast.Ident); ok {
						def(id)
					}
				}
			}
		case *ast.RangeStmt:
			if n.Tok == token.DEFINE {
				for _, e := range []ast.Expr{n.Key, n.Value} {
					if id, ok := e.(*ast.Ident); ok {
						def(id)
					}
				}
			}
		case *ast.ValueSpec:
			def(n.Names...)
		case *ast.TypeSpec:
			def(n.Name)
			fields(n.TypeParams)
		case *ast.LabeledStmt:
			skip[n.Label] = true
		case *ast.BranchStmt:
			if n.Label != nil {
				skip[n.Label] = true
			}
		case *ast.Ident:
			if !skip[n] {
				used[n.Name] = true
			}
		}
		return true
	})
}
