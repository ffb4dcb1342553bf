package cell

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/scanner"
	"go/token"
	"strconv"
	"strings"
)

// Build plans the evaluation of one cell. cellName names the cell ("cell3"); //line directives
// and errors use FileName(cellName). known describes the session so far. Errors are *Error
// values with the cell position and a message naming the construct and a way around it.
func Build(cellName, src string, known Known) (plan *Plan, err error) {
	fname := FileName(cellName)
	defer func() {
		// Build must never panic across the package boundary (the fuzz test checks it does
		// not panic at all); turn a bug into an error the user can report.
		if r := recover(); r != nil {
			plan = nil
			err = &Error{File: strings.TrimSuffix(fname, fileSuffix) + ".go", Msg: fmt.Sprintf("internal error in the cell rewriter: %v", r)}
		}
	}()
	src = strings.TrimPrefix(src, "\uFEFF") // a byte order mark is only legal at a file's start
	b := &builder{
		file:  fname,
		src:   []byte(src),
		known: known,
		plan:  &Plan{File: fname},
		names: map[string]bool{},
	}
	if err := b.run(); err != nil {
		return nil, err
	}
	b.describe()
	return b.plan, nil
}

// FileName returns the file name used in the //line directives of a cell: "cell3/_.go" for
// "cell3" (a trailing ".go" is dropped first).
//
// The base name must be yaegi's default source name "_.go": yaegi v0.16.1 looks up an imported
// package used in a type (var mu sync.Mutex, func f(wg *sync.WaitGroup)) under the base name of
// the position's file, while imports are registered under "_.go"; with any other name it fails
// with "constant definition loop" or a nil pointer panic. Use DisplayPositions on yaegi's
// messages to show "cell3.go" to the user.
func FileName(cellName string) string {
	name := strings.TrimSuffix(cellName, ".go")
	name = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ':' || r == '/' {
			return '_'
		}
		return r
	}, name)
	if name == "" {
		name = "cell"
	}
	return name + fileSuffix
}

const fileSuffix = "/_.go"

// DisplayPositions rewrites the positions in a yaegi message (an error or a panic trace line)
// from the directive file names ("cell3/_.go:4:2") to the names users see ("cell3.go:4:2").
func DisplayPositions(msg string) string {
	return strings.ReplaceAll(msg, fileSuffix+":", ".go:")
}

type builder struct {
	file  string
	src   []byte
	psrc  []byte // src with import and package items blanked out
	known Known
	plan  *Plan

	imports     map[string]string // cell imports so far: local name -> path
	generics    map[string]bool   // generic funcs declared in this cell
	iterNames   map[string]int    // the cell's funcs returning iterators, top-level vars holding them
	methodNames map[string]bool   // names of the cell's methods
	yields      map[string]int    // the cell's funcs that are iterators
	userFns     map[string]bool   // funcs declared in this cell
	consts      map[string]bool   // consts declared at the top level of this cell
	ints        map[string]bool   // top-level names of this cell known to be integers
	names       map[string]bool   // names := defined at top level in the current stmts segment
	tmp         int               // counter for generated names
	importSeg   *Segment
	stmtNames   map[string]bool // names declared by the cell's top-level statements
	resolve     bool            // parse with object resolution (Undefined)

	whole    bool // the cell has a package clause: a whole program
	mainLine int  // position of a whole program's func main (0: none)
	mainCol  int
}

func (b *builder) errorf(line, col int, format string, args ...any) *Error {
	return &Error{File: DisplayPositions(b.file + ":")[:len(b.file)-len(fileSuffix)+3], Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (b *builder) run() error {
	tf := token.NewFileSet().AddFile(b.file, -1, len(b.src))
	items, err := split(tf, b.src)
	if err != nil {
		return b.convertErr(err, 0, 1, 1)
	}
	b.imports = map[string]string{}
	b.generics = map[string]bool{}
	b.iterNames = map[string]int{}
	b.methodNames = map[string]bool{}
	b.yields = map[string]int{}
	b.userFns = map[string]bool{}
	b.consts = map[string]bool{}
	b.ints = map[string]bool{}
	b.stmtNames = map[string]bool{}
	// Imports are hoisted and package clauses dropped: blank them out (keeping newlines) in the
	// text the other items are parsed from, so items around them can merge.
	b.psrc = append([]byte(nil), b.src...)
	var rest []item
	for _, it := range items {
		if it.kind == itemPackage {
			if err := b.checkPackage(it); err != nil {
				return err
			}
			b.whole = true
		}
	}
	for _, it := range items {
		switch it.kind {
		case itemPackage, itemImport:
			if it.kind == itemImport {
				if err := b.doImport(it); err != nil {
					return err
				}
			}
			for k := it.start; k < it.end; k++ {
				if b.psrc[k] != '\n' {
					b.psrc[k] = ' '
				}
			}
			continue
		}
		if it.kind == itemStmts && startsTypeOrConst(b.src[tf.Offset(it.first):]) {
			it.kind = itemTypes
		}
		rest = append(rest, it)
	}
	// Merge adjacent items of one kind and parse each group.
	var groups []*parsed
	var kinds []itemKind
	for i := 0; i < len(rest); {
		j := i + 1
		// Funcs are parsed one by one so each can be hoisted on its own (mergeSegments joins
		// adjacent ones again).
		for j < len(rest) && rest[j].kind == rest[i].kind && rest[i].kind != itemFunc {
			j++
		}
		g := item{kind: rest[i].kind, start: rest[i].start, end: rest[j-1].end}
		var p *parsed
		var err error
		if g.kind == itemFunc {
			p, err = b.parse(g, filePrefix, "")
		} else {
			p, err = b.parse(g, bodyPrefix, "\n}")
		}
		if err != nil {
			return err
		}
		groups = append(groups, p)
		kinds = append(kinds, g.kind)
		i = j
	}
	b.renameMain(groups, kinds)
	// Learn the cell's own funcs, consts and integer names before rewriting, so rewrites know
	// which builtins are shadowed, which calls are generic and which ranges are over ints.
	for i, p := range groups {
		if kinds[i] == itemFunc {
			b.prescanFuncs(p)
		} else {
			b.prescanStmts(p)
		}
	}
	// Funcs are visible in the whole cell, as in a Go file: func groups that reference nothing
	// the cell's statements declare are evaluated first, so statements may call funcs declared
	// below them. When funcs use types or consts the cell declares, all type and const
	// declarations go first (they cannot refer to variables), so a func may use a type declared
	// below it.
	early := b.earlyTypes(groups, kinds)
	hoist := b.hoistable(groups, kinds)
	order := make([]int, 0, len(groups))
	for i := range groups {
		if early[i] {
			order = append(order, i)
		}
	}
	for i := range groups {
		if hoist[i] {
			order = append(order, i)
		}
	}
	for i := range groups {
		if !hoist[i] && !early[i] {
			order = append(order, i)
		}
	}
	for _, i := range order {
		var err error
		if kinds[i] == itemFunc {
			err = b.doFuncs(groups[i])
		} else {
			err = b.doStmts(groups[i], i == len(groups)-1)
		}
		if err != nil {
			return err
		}
	}
	b.mergeSegments()
	b.unrenameMain()
	if b.mainLine > 0 {
		// A whole program: its main runs once, as go run runs it, after every declaration.
		b.plan.Segments = append(b.plan.Segments, Segment{
			Kind: Stmts, Src: fmt.Sprintf(";\n//line %s:%d:%d\n%s()", b.file, b.mainLine, b.mainCol, WholeMain),
			Line: b.mainLine, Col: b.mainCol,
		})
	}
	if b.importSeg != nil {
		b.plan.Segments = append([]Segment{*b.importSeg}, b.plan.Segments...)
	}
	return nil
}

// startsTypeOrConst reports whether src starts with the keyword type or const.
func startsTypeOrConst(src []byte) bool {
	for _, kw := range []string{"type", "const"} {
		if bytes.HasPrefix(src, []byte(kw)) && (len(src) == len(kw) || !isIdentByte(src[len(kw)])) {
			return true
		}
	}
	return false
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// earlyTypes reports the type and const groups to evaluate before everything else: all of
// them when a func of the cell uses a name they declare (none otherwise, keeping source
// order). Their names then no longer stop funcs from being hoisted (see hoistable).
func (b *builder) earlyTypes(groups []*parsed, kinds []itemKind) []bool {
	early := make([]bool, len(groups))
	names := map[string]bool{}
	for i, p := range groups {
		if kinds[i] != itemTypes {
			continue
		}
		for _, s := range stmtsOf(p) {
			ds, ok := s.(*ast.DeclStmt)
			if !ok {
				continue
			}
			gd, ok := ds.Decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, sp := range gd.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					names[sp.Name.Name] = true
				case *ast.ValueSpec:
					for _, n := range sp.Names {
						names[n.Name] = true
					}
				}
			}
		}
	}
	used := false
	for i, p := range groups {
		if kinds[i] != itemFunc {
			continue
		}
		for _, d := range p.file.Decls {
			for _, u := range uses(d) {
				used = used || names[u]
			}
		}
	}
	if !used {
		return early
	}
	for i := range groups {
		if kinds[i] == itemTypes {
			early[i] = true
		}
	}
	for n := range names {
		delete(b.stmtNames, n)
	}
	return early
}

// WholeMain is the name func main of a whole program gets in the session: the cell calls it
// once; yaegi would run a func main after every later cell.
const WholeMain = "__quire_program_main"

// checkPackage accepts the package clause of a whole program: package main only.
func (b *builder) checkPackage(it item) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", string(b.src[it.start:it.end]), parser.PackageClauseOnly)
	if err != nil {
		return nil // the parse of the rest reports it
	}
	if f.Name.Name != "main" {
		l, c := lineCol(b.src, firstText(b.src, it.start, it.end))
		return b.errorf(l, c, "a cell that is a whole program must be package main (it is package %s)", f.Name.Name)
	}
	return nil
}

// hoistable reports the func groups that can be evaluated before every statement of the cell:
// those that use no name declared by the cell's top-level statements, nor a func of a group
// that is not hoistable.
func (b *builder) hoistable(groups []*parsed, kinds []itemKind) []bool {
	hoist := make([]bool, len(groups))
	declared := make([]map[string]bool, len(groups))
	used := make([]map[string]bool, len(groups))
	for i, p := range groups {
		if kinds[i] != itemFunc {
			continue
		}
		hoist[i] = true
		declared[i] = map[string]bool{}
		used[i] = map[string]bool{}
		for _, d := range p.file.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				declared[i][fd.Name.Name] = true
			}
			for _, u := range uses(d) {
				used[i][u] = true
			}
		}
		for u := range used[i] {
			if b.stmtNames[u] {
				hoist[i] = false
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for i := range groups {
			if !hoist[i] {
				continue
			}
			for j := range groups {
				if kinds[j] != itemFunc || hoist[j] {
					continue
				}
				for name := range declared[j] {
					if used[i][name] {
						hoist[i], changed = false, true
					}
				}
			}
		}
	}
	return hoist
}

// mergeSegments merges adjacent segments of one kind.
func (b *builder) mergeSegments() {
	var out []Segment
	for _, seg := range b.plan.Segments {
		if n := len(out); n > 0 && out[n-1].Kind == seg.Kind && !out[n-1].alone {
			last := &out[n-1]
			body := seg.Src
			if seg.Kind == Stmts {
				body = strings.TrimPrefix(body, ";")
			}
			last.Src += body
			last.Defines = append(last.Defines, seg.Defines...)
			continue
		}
		out = append(out, seg)
	}
	b.plan.Segments = out
}

// parsed is one group of items parsed in its own file whose line numbers match the cell's.
type parsed struct {
	fset *token.FileSet
	file *ast.File
	line int // cell line and column where the group's text starts
	col  int
	pcol int // column of the group's first byte in the parsed file
	// tline and tcol are the cell position of the group's first text (comment or token).
	tline, tcol int
}

const (
	filePrefix = "package p;"
	bodyPrefix = "package p;func _(){"
)

// parse parses src[it.start:it.end] after prefix (and before suffix), padding with newlines so
// that line numbers in the parsed file are the cell's line numbers.
func (b *builder) parse(it item, prefix, suffix string) (*parsed, error) {
	line, col := lineCol(b.src, it.start)
	var buf strings.Builder
	buf.WriteString(prefix)
	pcol := len(prefix) + 1
	if line > 1 {
		buf.WriteString(strings.Repeat("\n", line-1))
		pcol = 1
	}
	text := b.src
	if b.psrc != nil {
		text = b.psrc
	}
	buf.Write(text[it.start:it.end])
	buf.WriteString(suffix)
	fset := token.NewFileSet()
	mode := parser.SkipObjectResolution
	if b.resolve {
		mode = 0
	}
	f, err := parser.ParseFile(fset, b.file, buf.String(), mode)
	if err != nil {
		return nil, b.convertErr(err, line, col, pcol)
	}
	tl, tc := lineCol(b.src, firstText(text, it.start, it.end))
	return &parsed{fset: fset, file: f, line: line, col: col, pcol: pcol, tline: tl, tcol: tc}, nil
}

// convertErr turns a scanner/parser error into an *Error with cell positions.
func (b *builder) convertErr(err error, line, col, pcol int) error {
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		e := list[0]
		c := e.Pos.Column
		if e.Pos.Line == line {
			c = c - pcol + col
		}
		if c < 1 {
			c = 1
		}
		l := e.Pos.Line
		if l < 1 {
			l = 1
		}
		if l > bytes.Count(b.src, []byte("\n"))+1 {
			l = bytes.Count(b.src, []byte("\n")) + 1
		}
		return b.errorf(l, c, "syntax error: %s", e.Msg)
	}
	return b.errorf(line, col, "syntax error: %v", err)
}

// pos returns the cell position of p.
func (p *parsed) pos(pos token.Pos) (int, int) {
	if !pos.IsValid() {
		return p.line, p.col
	}
	ps := p.fset.PositionFor(pos, false)
	c := ps.Column
	if ps.Line == p.line {
		c = c - p.pcol + p.col
	}
	if c < 1 {
		c = 1
	}
	return ps.Line, c
}

// print prints node with //line directives that keep the cell's line numbers, prefixed with a
// directive carrying the exact line and column of the node's start.
//
// at is the position reported for the node's start when the node is synthesized (it has no
// position of its own).
func (b *builder) print(p *parsed, node ast.Node, at token.Pos) (string, error) {
	var buf bytes.Buffer
	cfg := printer.Config{Mode: printer.RawFormat | printer.SourcePos, Tabwidth: 8}
	if err := cfg.Fprint(&buf, p.fset, node); err != nil {
		return "", fmt.Errorf("printing rewritten cell: %w", err)
	}
	out := buf.String()
	// The printer starts with "//line file:L\n"; make it exact with the column.
	if node.Pos().IsValid() {
		at = node.Pos()
	}
	l, c := p.pos(at)
	head := "//line " + b.file + ":"
	if strings.HasPrefix(out, head) {
		if i := strings.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
	}
	return fmt.Sprintf("//line %s:%d:%d\n%s", b.file, l, c, out), nil
}

// --- imports ---

func (b *builder) doImport(it item) error {
	p, err := b.parse(it, filePrefix, "")
	if err != nil {
		return err
	}
	for _, d := range p.file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			l, c := p.pos(d.Pos())
			return b.errorf(l, c, "only imports can follow an import on the same line; put the declaration on its own line")
		}
		for _, s := range gd.Specs {
			is := s.(*ast.ImportSpec)
			path, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				l, c := p.pos(is.Pos())
				return b.errorf(l, c, "bad import path %s", is.Path.Value)
			}
			name := defaultImportName(path)
			explicit := ""
			if is.Name != nil {
				name = is.Name.Name
				explicit = name + " "
			}
			l, c := p.pos(is.Pos())
			key := name
			if name == "_" || name == "." {
				// Blank and dot imports are recorded as "_ path" and ". path".
				key = name + " " + path
				_, dup := b.imports[key]
				if _, known := b.known.Imports[key]; dup || known {
					continue
				}
				b.imports[key] = path
			} else {
				prev, ok := b.imports[name]
				if !ok {
					prev, ok = b.known.Imports[name]
				}
				if ok {
					if prev == path {
						continue // repeat: drop silently
					}
					return b.errorf(l, c, "import %s %q: the name %s already refers to %q in this session; import it under another name, e.g. import %s2 %q",
						name, path, name, prev, name, path)
				}
				b.imports[name] = path
			}
			src := fmt.Sprintf("//line %s:%d:%d\nimport %s%s", b.file, l, c, explicit, is.Path.Value)
			if b.importSeg == nil {
				l0, c0 := lineCol(b.src, firstText(b.src, it.start, it.end))
				b.importSeg = &Segment{Kind: Import, Line: l0, Col: c0}
			}
			b.importSeg.Src += "\n" + src
			b.importSeg.Defines = append(b.importSeg.Defines, Decl{Name: key, Kind: DeclImport, Src: "\n" + src, Path: path})
		}
	}
	return nil
}

// defaultImportName guesses the package name of an import path: its last element, skipping a
// major version suffix (v2) and dropping a ".vN" suffix and a "go-" prefix.
func defaultImportName(path string) string {
	parts := strings.Split(path, "/")
	name := parts[len(parts)-1]
	if len(parts) > 1 && len(name) > 1 && name[0] == 'v' && isDigits(name[1:]) {
		name = parts[len(parts)-2]
	}
	if i := strings.Index(name, ".v"); i > 0 && isDigits(name[i+2:]) {
		name = name[:i]
	}
	name = strings.TrimPrefix(name, "go-")
	name = strings.ReplaceAll(name, "-", "_")
	return name
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
