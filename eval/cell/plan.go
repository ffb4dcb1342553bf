package cell

import (
	"go/ast"
	"go/token"
	"strings"
)

// funcKey is the Decl name of a func or method declaration: "f" or "T.M".
func funcKey(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.ParenExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		}
		break
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

func (b *builder) prescanFuncs(p *parsed) {
	for _, d := range p.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil {
			b.methodNames[fd.Name.Name] = true
		}
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
			b.userFns[fd.Name.Name] = true
			if fd.Type.TypeParams != nil && len(fd.Type.TypeParams.List) > 0 {
				b.generics[fd.Name.Name] = true
			}
			if n := funcIterArity(fd.Type); n != 0 {
				b.iterNames[fd.Name.Name] = n
			}
			if n := yieldArity(fd.Type); n != 0 && (fd.Type.TypeParams == nil || len(fd.Type.TypeParams.List) == 0) {
				b.yields[fd.Name.Name] = n
			}
		}
	}
}

func (b *builder) prescanStmts(p *parsed) {
	body := stmtsOf(p)
	r := newRewriter(b)
	for _, s := range body {
		switch s := s.(type) {
		case *ast.DeclStmt:
			gd, ok := s.Decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			r.declareGen(gd, func(name string, isInt bool, _ ast.Spec) {
				b.stmtNames[name] = true
				if gd.Tok == token.CONST {
					b.consts[name] = true
				}
				if isInt {
					b.ints[name] = true
				}
			})
		case *ast.AssignStmt:
			if s.Tok == token.DEFINE {
				for _, l := range s.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						b.stmtNames[id.Name] = true
					}
				}
			}
			if s.Tok == token.DEFINE && len(s.Lhs) == len(s.Rhs) {
				for i, l := range s.Lhs {
					if id, ok := l.(*ast.Ident); ok && r.intLike(s.Rhs[i]) {
						b.ints[id.Name] = true
					}
				}
			}
		}
	}
}

// stmtsOf returns the statements of a group parsed with bodyPrefix.
func stmtsOf(p *parsed) []ast.Stmt {
	for _, d := range p.file.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Body != nil {
			return fd.Body.List
		}
	}
	return nil
}

func (b *builder) doFuncs(p *parsed) error {
	var srcs []string
	var defs []Decl
	for _, d := range p.file.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			l, c := p.pos(d.Pos())
			return b.errorf(l, c, "expected a func declaration")
		}
		key := funcKey(fd)
		l, c := p.pos(fd.Pos())
		if key == "main" && b.whole && fd.Recv == nil && fd.Type.TypeParams == nil {
			// The main of a whole program (package clause): renamed, and called at the end of
			// the cell (see builder.run).
			fd.Name.Name = WholeMain
			key = WholeMain
			b.mainLine, b.mainCol = l, c
		}
		if key == "main" {
			return b.errorf(l, c, "func main is not allowed in a cell (yaegi would run it again after every later cell): write its body as top-level statements, or start the cell with package main to run it as a whole program")
		}
		if fd.Body == nil {
			return b.errorf(l, c, "func %s has no body; declarations without a body are not supported", key)
		}
		r := newRewriter(b)
		r.p = p
		r.funcBody(fd.Recv, fd.Type, fd.Body)
		if r.err != nil {
			return r.err
		}
		src, err := b.print(p, fd, fd.Pos())
		if err != nil {
			return err
		}
		srcs = append(srcs, src)
		kind := DeclFunc
		redef := b.known.Funcs[key]
		if fd.Recv != nil {
			kind = DeclMethod
		}
		defs = append(defs, Decl{
			Name:      key,
			Kind:      kind,
			Src:       "\n" + src,
			Uses:      uses(fd.Type, fd.Body),
			Generic:   fd.Type.TypeParams != nil && len(fd.Type.TypeParams.List) > 0,
			Iter:      funcIterArity(fd.Type),
			Yields:    yieldArity(fd.Type),
			Redefines: redef,
			Line:      l,
			EndLine:   endLine(p, fd),
		})
		if r.helpers {
			b.plan.NeedsHelpers = true
		}
	}
	if len(srcs) == 0 {
		return nil
	}
	b.plan.Segments = append(b.plan.Segments, Segment{
		Kind: Func, Src: "\n" + strings.Join(srcs, "\n"), Line: p.tline, Col: p.tcol, Defines: defs,
	})
	return nil
}

// trailingSuppressed reports calls whose value a notebook should not show.
func trailingSuppressed(e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	switch f := ast.Unparen(call.Fun).(type) {
	case *ast.Ident:
		switch f.Name {
		case "print", "println", "panic", "copy", "delete", "close", "clear":
			return true
		}
	case *ast.SelectorExpr:
		n := f.Sel.Name
		if x, ok := f.X.(*ast.Ident); ok && (x.Name == "fmt" || x.Name == "log") {
			if x.Name == "log" || strings.HasPrefix(n, "Print") || strings.HasPrefix(n, "Fprint") {
				return true
			}
		}
		for _, p := range []string{"Print", "Fatal", "Panic", "Write"} {
			if strings.HasPrefix(n, p) {
				return true
			}
		}
	}
	return false
}

func (b *builder) doStmts(p *parsed, last bool) error {
	list := stmtsOf(p)
	if last && len(list) > 0 {
		if es, ok := list[len(list)-1].(*ast.ExprStmt); ok {
			list = list[:len(list)-1]
			r := newRewriter(b)
			r.p = p
			es.X = r.expr(es.X)
			if r.helpers {
				b.plan.NeedsHelpers = true
			}
			if err := r.err; err != nil {
				return err
			}
			src, err := b.print(p, es.X, es.X.Pos())
			if err != nil {
				return err
			}
			// Drop the leading directive: ShowSrc and StmtSrc add their own.
			if i := strings.IndexByte(src, '\n'); i >= 0 {
				src = src[i+1:]
			}
			b.plan.Trailing = strings.TrimRight(src, "\n")
			b.plan.TrailingLine, b.plan.TrailingCol = p.pos(es.X.Pos())
			b.plan.Suppress = trailingSuppressed(es.X)
		}
	}
	if len(list) == 0 {
		return nil
	}
	b.names = map[string]bool{}
	var srcs []string
	var defs []Decl
	line, col := p.tline, p.tcol
	flush := func(alone bool) {
		b.plan.Segments = append(b.plan.Segments, Segment{
			Kind: Stmts, Src: ";\n" + strings.Join(srcs, "\n"), Line: line, Col: col, Defines: defs, alone: alone,
		})
		srcs, defs = nil, nil
	}
	for k, s := range list {
		r := newRewriter(b)
		out, ds, err := r.topStmt(p, s)
		if err != nil {
			return err
		}
		if r.helpers {
			b.plan.NeedsHelpers = true
		}
		var parts, all []string
		for j, o := range out {
			src, err := b.print(p, o, s.Pos())
			if err != nil {
				return err
			}
			parts = append(parts, src)
			all = append(all, src)
			// A global defined by a generic call is typed when its segment runs: what
			// follows, which may use its type, goes in the next segment.
			if r.genericDefine(o) && (j < len(out)-1 || k < len(list)-1) {
				srcs = append(srcs, strings.Join(parts, "\n"))
				parts = nil
				if j == len(out)-1 {
					// The statement ends the segment: its names belong there.
					for i := range ds {
						ds[i].Src = ";\n" + strings.Join(all, "\n")
					}
					defs = append(defs, ds...)
					ds = nil
				}
				flush(true)
				line, col = p.pos(s.Pos())
				if j == len(out)-1 {
					line, col = p.pos(list[k+1].Pos())
				}
			}
		}
		if len(parts) > 0 {
			srcs = append(srcs, strings.Join(parts, "\n"))
		}
		src := strings.Join(all, "\n")
		for i := range ds {
			ds[i].Src = ";\n" + src
			defs = append(defs, ds[i])
		}
	}
	if len(srcs) > 0 || len(defs) > 0 {
		flush(false)
	}
	return nil
}

// genericDefine reports a := of globals from generic calls.
func (r *rewriter) genericDefine(s ast.Stmt) bool {
	a, ok := s.(*ast.AssignStmt)
	if !ok || a.Tok != token.DEFINE {
		return false
	}
	for _, e := range a.Rhs {
		if g, direct := r.genericCall(e); g != "" && direct {
			return true
		}
	}
	return false
}

// uses returns the sorted identifiers (and selector names) referenced under the nodes.
func uses(nodes ...ast.Node) []string {
	m := map[string]bool{}
	for _, n := range nodes {
		if n == nil {
			continue
		}
		ast.Inspect(n, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name != "_" {
				m[id.Name] = true
			}
			return true
		})
	}
	return sortedKeys(m)
}
