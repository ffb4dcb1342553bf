package cell

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"strconv"
	"strings"
)

// describe fills in the descriptive fields of every declaration of the plan (Pos, Written,
// Doc, Text, Summary, Free, Define, Pure, Recv) from its final source and the cell's source,
// once, so that the session never parses a declaration again.
func (b *builder) describe() {
	lines := strings.Split(string(b.src), "\n")
	display := strings.TrimSuffix(b.file, fileSuffix) + ".go"
	for i := range b.plan.Segments {
		for j := range b.plan.Segments[i].Defines {
			d := &b.plan.Segments[i].Defines[j]
			d.describe()
			if d.Line < 1 || d.Line > len(lines) {
				d.Line, d.EndLine, d.Written = 0, 0, d.Text
				continue
			}
			if d.EndLine < d.Line || d.EndLine > len(lines) {
				d.EndLine = d.Line
			}
			d.Pos = display + ":" + strconv.Itoa(d.Line)
			d.Written = strings.TrimSpace(strings.Join(lines[d.Line-1:d.EndLine], "\n"))
			top := d.Line - 1
			for top > 0 && strings.HasPrefix(strings.TrimSpace(lines[top-1]), "//") {
				top--
			}
			d.Doc = strings.Join(lines[top:d.Line-1], "\n")
		}
	}
}

// describe fills in the fields derived from d.Src alone.
func (d *Decl) describe() {
	d.Text = strings.TrimSpace(strings.TrimLeft(StripLineDirectives(d.Src), ";\n \t"))
	switch d.Kind {
	case DeclFunc, DeclMethod:
		f, fset, err := parseDecls(d.Text, 0)
		if err != nil {
			return
		}
		free := map[string]bool{}
		for _, id := range f.Unresolved {
			free[id.Name] = true
		}
		d.Free = sortedKeys(free)
		if fd, ok := f.Decls[0].(*ast.FuncDecl); ok {
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				d.Recv = nodeString(fset, fd.Recv.List[0].Type)
			}
			d.Summary = summary(fset, fd)
		}
	case DeclType:
		if f, fset, err := parseDecls(d.Text, parser.SkipObjectResolution); err == nil {
			d.Summary = summary(fset, f.Decls[0])
		}
	case DeclVar:
		d.Define = !isVarDecl(d.Text)
		if !d.Define {
			f, _, err := parseDecls(d.Text, parser.SkipObjectResolution)
			d.Pure = err == nil && pureNode(f)
			return
		}
		d.Pure = pureDefine(d.Text)
	}
}

// isVarDecl reports source that starts with the keyword var.
func isVarDecl(src string) bool {
	rest, ok := strings.CutPrefix(src, "var")
	return ok && (rest == "" || !isIdentByte(rest[0]))
}

// parseDecls parses declarations (file mode); it fails on source with none.
func parseDecls(src string, mode parser.Mode) (*ast.File, *token.FileSet, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", filePrefix+src, mode)
	if err == nil && len(f.Decls) == 0 {
		err = errNoDecl
	}
	return f, fset, err
}

var errNoDecl = errors.New("no declaration")

// pureDefine reports statements that are all := or = assignments whose values are pure.
func pureDefine(src string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", bodyPrefix+"\n"+src+"\n}", parser.SkipObjectResolution)
	if err != nil || len(f.Decls) != 1 {
		return false
	}
	fd, ok := f.Decls[0].(*ast.FuncDecl)
	if !ok || fd.Body == nil || len(fd.Body.List) == 0 {
		return false
	}
	for _, st := range fd.Body.List {
		as, ok := st.(*ast.AssignStmt)
		if !ok || (as.Tok != token.DEFINE && as.Tok != token.ASSIGN) {
			return false
		}
		for _, e := range as.Rhs {
			if !pureNode(e) {
				return false
			}
		}
	}
	return true
}

// pureNode reports whether n calls nothing but pureCalls and receives from no channel (func
// literals are not looked into: defining one runs nothing).
func pureNode(n ast.Node) bool {
	ok := true
	ast.Inspect(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			id, isID := x.Fun.(*ast.Ident)
			if !isID || !pureCalls[id.Name] {
				ok = false
			}
		case *ast.UnaryExpr:
			if x.Op == token.ARROW {
				ok = false
			}
		case *ast.FuncLit:
			return false
		}
		return ok
	})
	return ok
}

var pureCalls = map[string]bool{
	"make": true, "new": true, "len": true, "cap": true, "int": true, "int64": true, "int32": true,
	"uint": true, "uint64": true, "float64": true, "float32": true, "string": true, "byte": true,
	"rune": true, "bool": true, "complex": true,
}

// summary prints d without its doc comment and body, on one line.
func summary(fset *token.FileSet, d ast.Decl) string {
	switch d := d.(type) {
	case *ast.FuncDecl:
		c := *d
		c.Body, c.Doc = nil, nil
		return compact(nodeString(fset, &c))
	case *ast.GenDecl:
		c := *d
		c.Doc = nil
		return compact(nodeString(fset, &c))
	}
	return ""
}

// nodeString prints n (empty if it cannot be printed).
func nodeString(fset *token.FileSet, n ast.Node) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, fset, n); err != nil {
		return ""
	}
	return b.String()
}

// compact puts printed Go on one line: "type P struct { A int; B string }".
func compact(src string) string {
	var b strings.Builder
	prev := ""
	for i, l := range strings.Split(src, "\n") {
		l = strings.Join(strings.Fields(l), " ") // the printer aligns fields with tabs
		if l == "" {
			continue
		}
		switch {
		case i == 0:
		case strings.HasSuffix(prev, "{") || strings.HasPrefix(l, "}") || strings.HasSuffix(prev, ","):
			b.WriteString(" ")
		default:
			b.WriteString("; ")
		}
		b.WriteString(l)
		prev = l
	}
	return b.String()
}

// endLine is the cell line where n ends.
func endLine(p *parsed, n ast.Node) int {
	l, _ := p.pos(n.End() - 1)
	return l
}
