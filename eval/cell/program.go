package cell

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"sort"
	"strconv"
	"strings"
)

// Compiled cells (%%go) are built as one Go program: the package-level declarations of the
// session's earlier cells that the cell needs, the cell's own declarations at package level,
// and the cell's statements as the body of main. The program keeps the cell's positions with
// /*line*/ directives, so the compiler, the race detector and panics name "cell7.go:3:5".
//
// What carries over from earlier cells is source, not values: imports, funcs, methods, types,
// consts and var declarations (whose initialisers run again in the program). Variables made with
// := in earlier cells live only in the interpreter and are not part of the program.

// ProgramCell is one cell given to BuildProgram: its source and the file name its positions use.
type ProgramCell struct {
	File string // "cell7.go"
	Src  string
}

// ProgramOptions tune BuildProgram.
type ProgramOptions struct {
	// Runtime is the import path of the package linked into every program for Start and Show
	// (quire's eval/compiled/cellrt).
	Runtime string
	// Executors is the import path of quire's executors package: a program that imports it
	// registers its top-level funcs and calls ChildMain first, so executors' child processes
	// can run them.
	Executors string
	// NoResult runs the trailing expression as a statement instead of showing its value (for
	// a call with no result, which cannot be passed to Show).
	NoResult bool
}

// Program is the source of a compiled cell's program.
type Program struct {
	// Files maps file names to Go source (package main).
	Files map[string]string
	// Result reports that the trailing expression's value is shown; ResultLine is its line.
	Result     bool
	ResultLine int
	// Whole reports a cell that was a whole program (package clause and func main).
	Whole bool
	// Defines lists the names the cell declares at package level (funcs, methods as "T.M",
	// types, consts, vars), in source order.
	Defines []string
	// Carried lists the names taken from earlier cells, sorted.
	Carried []string
	// Locals lists the names that earlier cells made with := (interpreter variables, not part
	// of the program); a compile error "undefined: x" for one of them deserves a hint.
	Locals []string
}

// Runtime names used in generated code.
const (
	rtName   = "__quire_rt"
	execName = "__quire_exec"
	genFile  = "quire_generated.go"
)

// pdecl is one package-level declaration found in a cell.
type pdecl struct {
	names []string // declared names: "f", "T.M" for methods, every name of a var/const/type group
	recv  string   // receiver type of a method
	kind  DeclKind
	text  string // source with a /*line*/ directive
	uses  []string
	fn    *ast.FuncDecl
}

type pimport struct {
	name, path string // name: local name, "_" or "."
}

// parsedCell is what a cell contributes.
type parsedCell struct {
	imports  []pimport
	decls    []pdecl
	stmts    []string // main statements with /*line*/ directives (current cell only)
	stmtUses []string
	trailing string // trailing expression with its directive
	trailUse []string
	trailLn  int
	suppress bool     // trailing expression is a print-like call
	locals   []string // names defined with := at top level
	whole    bool
	wholeSrc string
	hasMain  bool
}

// BuildProgram assembles the program of cell c, given the session's earlier cells (oldest
// first; Go source only, magics removed). Earlier cells that do not parse are skipped; an error
// in c is returned as *Error with c's positions.
func BuildProgram(history []ProgramCell, c ProgramCell, opt ProgramOptions) (*Program, error) {
	cur, err := parseProgramCell(c, true)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) && ce.File == "" {
			ce.File = c.File
		}
		return nil, err
	}
	if cur.whole {
		return wholeProgram(c, cur, opt), nil
	}
	if cur.hasMain && (len(cur.stmts) > 0 || cur.trailing != "") {
		return nil, &Error{Line: 1, Col: 1, Msg: "a compiled cell with func main cannot also have statements: put them in main, or drop func main"}
	}
	prog := &Program{Files: map[string]string{}}
	earlier := newSessionDecls(history)

	// The cell's own declarations replace earlier ones.
	own := map[string]bool{}
	for _, d := range cur.decls {
		for _, n := range d.names {
			own[n] = true
		}
		prog.Defines = append(prog.Defines, d.names...)
	}
	for _, n := range cur.locals {
		own[n] = true
	}
	included, need := earlier.needed(cur, own)

	// Imports: the cell's own, then earlier ones, each kept when something uses its name.
	for _, im := range cur.imports {
		if im.name != "_" && im.name != "." {
			earlier.imports[im.name] = im.path
		}
	}
	var b strings.Builder
	usesExec := writeImports(&b, cur, earlier.imports, need, opt)

	var funcs []string // top-level non-generic funcs, for executors.Register
	for _, i := range included {
		d := earlier.all[i]
		b.WriteString("\n" + d.text + "\n")
		prog.Carried = append(prog.Carried, d.names...)
		funcs = append(funcs, registrable(d)...)
	}
	for _, d := range cur.decls {
		b.WriteString("\n" + d.text + "\n")
		funcs = append(funcs, registrable(d)...)
	}
	writeInit(&b, funcs, usesExec, opt)
	if !cur.hasMain {
		prog.Result, prog.ResultLine = writeMain(&b, cur, opt)
	}
	prog.Files["main.go"] = b.String()
	sort.Strings(prog.Carried)
	for n := range earlier.locals {
		if !own[n] {
			prog.Locals = append(prog.Locals, n)
		}
	}
	sort.Strings(prog.Locals)
	return prog, nil
}

// wholeProgram is the Program of a cell that is a whole program (package main, func main): the
// cell as it is, and a generated file that starts the runtime.
func wholeProgram(c ProgramCell, cur *parsedCell, opt ProgramOptions) *Program {
	prog := &Program{Whole: true, Files: map[string]string{
		"main.go": fmt.Sprintf("//line %s:1:1\n%s", c.File, cur.wholeSrc),
		genFile:   fmt.Sprintf("package main\n\nimport %s %q\n\nfunc init() { %s.Start() }\n", rtName, opt.Runtime, rtName),
	}}
	for _, d := range cur.decls {
		prog.Defines = append(prog.Defines, d.names...)
	}
	return prog
}

// sessionDecls is what earlier cells declared: the latest declaration of each name, their
// imports and the names they defined with := at the top level.
type sessionDecls struct {
	all     []pdecl
	byName  map[string]int            // name -> index in all
	methods map[string]map[string]int // receiver type -> method name -> index in all
	imports map[string]string         // local name -> path
	locals  map[string]bool           // := names not declared since
}

func newSessionDecls(history []ProgramCell) *sessionDecls {
	s := &sessionDecls{byName: map[string]int{}, methods: map[string]map[string]int{},
		imports: map[string]string{}, locals: map[string]bool{}}
	for _, h := range history {
		p, err := parseProgramCell(h, false)
		if err != nil {
			continue
		}
		for _, im := range p.imports {
			if im.name != "_" && im.name != "." {
				s.imports[im.name] = im.path
			}
		}
		for _, d := range p.decls {
			s.add(d)
		}
		for _, n := range p.locals {
			if _, ok := s.byName[n]; !ok {
				s.locals[n] = true
			}
		}
	}
	return s
}

// add records d, replacing whole any older group that declared one of its names.
func (s *sessionDecls) add(d pdecl) {
	for _, n := range d.names {
		if i, ok := s.byName[n]; ok {
			for _, m := range s.all[i].names {
				if s.byName[m] == i {
					delete(s.byName, m)
				}
			}
		}
	}
	s.all = append(s.all, d)
	i := len(s.all) - 1
	if d.kind == DeclMethod {
		if s.methods[d.recv] == nil {
			s.methods[d.recv] = map[string]int{}
		}
		s.methods[d.recv][d.names[0]] = i
		return
	}
	for _, n := range d.names {
		s.byName[n] = i
		delete(s.locals, n)
	}
}

// needed returns the earlier declarations cell cur needs, transitively, as indexes into s.all
// in source order, and every name needed. A type brings its methods along; a method the cell
// declares on an earlier type names that type in its uses, so the type comes too. Names in
// own (the cell's) are the cell's to declare.
func (s *sessionDecls) needed(cur *parsedCell, own map[string]bool) ([]int, map[string]bool) {
	need := map[string]bool{}
	var queue []string
	want := func(names []string) {
		for _, n := range names {
			if !need[n] {
				need[n] = true
				queue = append(queue, n)
			}
		}
	}
	want(cur.stmtUses)
	want(cur.trailUse)
	for _, d := range cur.decls {
		want(d.uses)
	}
	included := map[int]bool{}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if own[n] {
			continue
		}
		i, ok := s.byName[n]
		if !ok || included[i] {
			continue
		}
		included[i] = true
		want(s.all[i].uses)
		if s.all[i].kind != DeclType {
			continue
		}
		for _, tn := range s.all[i].names {
			for _, mi := range s.methods[tn] {
				if !included[mi] && !own[s.all[mi].names[0]] {
					included[mi] = true
					want(s.all[mi].uses)
				}
			}
		}
	}
	idx := make([]int, 0, len(included))
	for i := range included {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx, need
}

// writeImports writes the package clause and imports: the runtime, the cell's blank and dot
// imports, every import whose name is needed, and the executors package under execName when
// the program uses it (which it reports).
func writeImports(b *strings.Builder, cur *parsedCell, imports map[string]string, need map[string]bool, opt ProgramOptions) (usesExec bool) {
	b.WriteString("package main\n\nimport (\n")
	fmt.Fprintf(b, "\t%s %q\n", rtName, opt.Runtime)
	for _, im := range cur.imports {
		if im.name == "_" || im.name == "." {
			fmt.Fprintf(b, "\t%s %q\n", im.name, im.path)
		}
	}
	names := make([]string, 0, len(imports))
	for n := range imports {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if need[n] {
			fmt.Fprintf(b, "\t%s %q\n", n, imports[n])
			if imports[n] == opt.Executors {
				usesExec = true
			}
		}
	}
	if usesExec {
		fmt.Fprintf(b, "\t%s %q\n", execName, opt.Executors)
	}
	b.WriteString(")\n")
	return usesExec
}

// writeInit writes the generated init, which starts the runtime. When the program uses
// executors, children of executors.Processes run this same program: init registers funcs,
// serves the call and exits before the cell's statements run.
func writeInit(b *strings.Builder, funcs []string, usesExec bool, opt ProgramOptions) {
	fmt.Fprintf(b, "\n//line %s:1:1\nfunc init() {\n", genFile)
	if usesExec {
		sort.Strings(funcs)
		fmt.Fprintf(b, "\t_ = %s.Register(%s)\n\t%s.ChildMain()\n", execName, strings.Join(funcs, ", "), execName)
	}
	fmt.Fprintf(b, "\t%s.Start()\n}\n", rtName)
}

// writeMain writes func main from the cell's statements; a trailing expression is shown
// (result true, with its line) unless it is print-like or opt.NoResult.
func writeMain(b *strings.Builder, cur *parsedCell, opt ProgramOptions) (result bool, line int) {
	b.WriteString("\nfunc main() {\n")
	for _, s := range cur.stmts {
		b.WriteString(s + "\n")
	}
	if cur.trailing != "" {
		if cur.suppress || opt.NoResult {
			b.WriteString(cur.trailing + "\n")
		} else {
			fmt.Fprintf(b, "%s.Show(%s)\n", rtName, cur.trailing)
			result, line = true, cur.trailLn
		}
	}
	b.WriteString("}\n")
	return result, line
}

// registrable lists the funcs of d that executors.Register accepts: top-level, not generic,
// not init or main.
func registrable(d pdecl) []string {
	if d.kind != DeclFunc || d.fn == nil || d.fn.Recv != nil || d.fn.Type.TypeParams != nil {
		return nil
	}
	if n := d.fn.Name.Name; n != "init" && n != "main" && n != "_" {
		return []string{n}
	}
	return nil
}

// parseProgramCell splits a cell into what a program needs. current is the cell being
// compiled: its statements, trailing expression and := names matter; earlier cells give
// declarations only.
func parseProgramCell(c ProgramCell, current bool) (*parsedCell, error) {
	src := []byte(c.Src)
	fset := token.NewFileSet()
	tf := fset.AddFile(c.File, -1, len(src))
	items, err := split(tf, src)
	if err != nil {
		return nil, syntaxErr(err)
	}
	p := &parsedCell{}
	for _, it := range items {
		if it.kind == itemPackage {
			return parseWhole(c, current)
		}
	}
	items = mergeStmts(items)
	localSet := map[string]bool{}
	for n, it := range items {
		last := n == len(items)-1
		switch it.kind {
		case itemImport:
			f, _, _, err := parseItem(src, it, filePrefix, "")
			if err != nil {
				return nil, err
			}
			p.imports = append(p.imports, importsOf(f)...)
		case itemFunc:
			f, fset, off, err := parseItem(src, it, filePrefix, "")
			if err != nil {
				return nil, err
			}
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok {
					continue
				}
				key := funcKey(fd)
				if !current && (key == "main" || key == "init") {
					continue
				}
				if current && key == "main" {
					p.hasMain = true
				}
				p.decls = append(p.decls, funcDecl(fd, key, slice(src, fset, off, fd.Pos(), fd.End(), c.File)))
			}
		case itemStmts:
			f, fset, off, err := parseItem(src, it, bodyPrefix, "\n}")
			if err != nil {
				return nil, err
			}
			var body []ast.Stmt
			if len(f.Decls) > 0 {
				if fd, ok := f.Decls[0].(*ast.FuncDecl); ok && fd.Body != nil {
					body = fd.Body.List
				}
			}
			for k, st := range body {
				if ds, ok := st.(*ast.DeclStmt); ok {
					gd, ok := ds.Decl.(*ast.GenDecl)
					if !ok {
						continue
					}
					us := uses(gd)
					mainVar := false
					if current && gd.Tok == token.VAR {
						for _, u := range us {
							if localSet[u] {
								mainVar = true
							}
						}
					}
					if !mainVar {
						if pd, ok := genDecl(gd, slice(src, fset, off, gd.Pos(), gd.End(), c.File)); ok {
							p.decls = append(p.decls, pd)
						}
						continue
					}
				}
				defined := definedNames(st)
				if !current {
					p.locals = append(p.locals, defined...)
					continue
				}
				if es, ok := st.(*ast.ExprStmt); ok && last && k == len(body)-1 {
					p.trailing = slice(src, fset, off, es.X.Pos(), es.X.End(), c.File)
					p.trailUse = uses(es.X)
					p.suppress = trailingSuppressed(es.X)
					p.trailLn = fset.PositionFor(es.X.Pos(), false).Line
					continue
				}
				text := slice(src, fset, off, st.Pos(), st.End(), c.File)
				for _, d := range defined {
					localSet[d] = true
					text += "; _ = " + d
				}
				p.locals = append(p.locals, defined...)
				p.stmts = append(p.stmts, text)
				p.stmtUses = append(p.stmtUses, uses(st)...)
			}
		}
	}
	return p, nil
}

// mergeStmts joins runs of statement items into one: split cuts at every semicolon of bracket
// depth 0, which includes those of a header such as `for i := 0; i < n; i++ {` or
// `switch x := f(); x {`, and a statement list parses only whole.
func mergeStmts(items []item) []item {
	var out []item
	for _, it := range items {
		if n := len(out); n > 0 && it.kind == itemStmts && out[n-1].kind == itemStmts {
			out[n-1].end = it.end
			continue
		}
		out = append(out, it)
	}
	return out
}

// parseWhole handles a cell that is a whole program (starts with a package clause).
func parseWhole(c ProgramCell, current bool) (*parsedCell, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, c.File, c.Src, parser.SkipObjectResolution)
	if err != nil {
		return nil, syntaxErr(err)
	}
	if f.Name.Name != "main" {
		return nil, &Error{Line: 1, Col: 1, Msg: fmt.Sprintf("a whole program in a cell must be package main, not package %s", f.Name.Name)}
	}
	p := &parsedCell{whole: true, wholeSrc: c.Src}
	src := []byte(c.Src)
	p.imports = importsOf(f)
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			key := funcKey(d)
			if key == "main" || key == "init" {
				if key == "main" {
					p.hasMain = true
				}
				continue
			}
			p.decls = append(p.decls, funcDecl(d, key, slice(src, fset, 0, d.Pos(), d.End(), c.File)))
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				continue
			}
			if pd, ok := genDecl(d, slice(src, fset, 0, d.Pos(), d.End(), c.File)); ok {
				p.decls = append(p.decls, pd)
			}
		}
	}
	if current && !p.hasMain {
		return nil, &Error{Line: 1, Col: 1, Msg: "a whole program in a cell needs func main"}
	}
	return p, nil
}

// importsOf lists a file's imports with their local names.
func importsOf(f *ast.File) []pimport {
	var out []pimport
	for _, s := range f.Imports {
		path, _ := strconv.Unquote(s.Path.Value)
		name := defaultImportName(path)
		if s.Name != nil {
			name = s.Name.Name
		}
		out = append(out, pimport{name: name, path: path})
	}
	return out
}

// funcDecl records a func or method declaration (key as funcKey gives it) with its text.
func funcDecl(fd *ast.FuncDecl, key, text string) pdecl {
	pd := pdecl{names: []string{key}, kind: DeclFunc, fn: fd, uses: uses(fd), text: text}
	if fd.Recv != nil {
		pd.kind = DeclMethod
		pd.recv = strings.SplitN(key, ".", 2)[0]
	}
	return pd
}

// genDecl records a type, const or var declaration with its text; false when it declares no
// name.
func genDecl(gd *ast.GenDecl, text string) (pdecl, bool) {
	pd := pdecl{kind: genKind(gd.Tok), uses: uses(gd), text: text}
	for _, sp := range gd.Specs {
		switch sp := sp.(type) {
		case *ast.ValueSpec:
			for _, id := range sp.Names {
				pd.names = append(pd.names, id.Name)
			}
		case *ast.TypeSpec:
			pd.names = append(pd.names, sp.Name.Name)
		}
	}
	return pd, len(pd.names) > 0
}

func genKind(t token.Token) DeclKind {
	switch t {
	case token.TYPE:
		return DeclType
	case token.CONST:
		return DeclConst
	}
	return DeclVar
}

// definedNames lists the names a top-level statement defines with :=.
func definedNames(st ast.Stmt) []string {
	var out []string
	switch s := st.(type) {
	case *ast.AssignStmt:
		if s.Tok == token.DEFINE {
			for _, l := range s.Lhs {
				if id, ok := l.(*ast.Ident); ok && id.Name != "_" {
					out = append(out, id.Name)
				}
			}
		}
	case *ast.DeclStmt:
		if gd, ok := s.Decl.(*ast.GenDecl); ok && gd.Tok == token.VAR {
			for _, sp := range gd.Specs {
				if vs, ok := sp.(*ast.ValueSpec); ok {
					for _, id := range vs.Names {
						if id.Name != "_" {
							out = append(out, id.Name)
						}
					}
				}
			}
		}
	}
	return out
}

// parseItem parses src[it.start:it.end] after prefix, padded with newlines so that parsed line
// numbers are the cell's. It returns the file and the offset to subtract from a parsed offset
// to get the cell offset.
func parseItem(src []byte, it item, prefix, suffix string) (*ast.File, *token.FileSet, int, error) {
	line, _ := lineCol(src, it.start)
	var buf strings.Builder
	buf.WriteString(prefix)
	buf.WriteString(strings.Repeat("\n", line-1))
	buf.Write(src[it.start:it.end])
	buf.WriteString(suffix)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", buf.String(), parser.SkipObjectResolution)
	if err != nil {
		var list scanner.ErrorList
		if errors.As(err, &list) && len(list) > 0 {
			e := list[0]
			l, c := e.Pos.Line, e.Pos.Column
			if l == line {
				if line == 1 {
					c -= len(prefix)
				}
				c += colOf(src, it.start) - 1
			}
			if c < 1 {
				c = 1
			}
			return nil, nil, 0, &Error{Line: l, Col: c, Msg: "syntax error: " + e.Msg}
		}
		return nil, nil, 0, &Error{Line: line, Col: 1, Msg: "syntax error: " + err.Error()}
	}
	return f, fset, len(prefix) + (line - 1) - it.start, nil
}

func colOf(src []byte, off int) int {
	_, c := lineCol(src, off)
	return c
}

// slice returns the cell text of [from, to) preceded by a /*line*/ directive with its position.
func slice(src []byte, fs *token.FileSet, off int, from, to token.Pos, file string) string {
	a := fs.PositionFor(from, false).Offset - off
	z := fs.PositionFor(to, false).Offset - off
	if a < 0 {
		a = 0
	}
	if z > len(src) {
		z = len(src)
	}
	l, c := lineCol(src, a)
	return fmt.Sprintf("/*line %s:%d:%d*/%s", file, l, c, src[a:z])
}

func syntaxErr(err error) error {
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		return &Error{Line: e.Pos.Line, Col: e.Pos.Column, Msg: "syntax error: " + e.Msg}
	}
	return &Error{Line: 1, Col: 1, Msg: err.Error()}
}
