// Command gen builds the godoc index embedded by package godoc.
//
// It walks $(go env GOROOT)/src for every importable standard library package (no internal,
// vendor, testdata or cmd trees, no package main), selects files for linux/amd64 with go/build,
// extracts exported documentation with go/doc, records when each symbol was added from
// GOROOT/api/go1*.txt, and also indexes a few of quire's own packages (executors, display, display/widget)
// when they exist. The pseudo-package "builtin" is indexed too, with its lower-case identifiers.
//
// Run it through go generate in eval/godoc:
//
//	go generate ./eval/godoc
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/doc"
	goformat "go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"go/version"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/quire-go/quire/eval/godoc/internal/format"
)

// Declarations longer than maxDecl bytes are printed without inner comments; longer than
// maxDeclLines lines they are cut.
const (
	maxDecl      = 4096
	maxDeclLines = 80
	// A const/var group larger than this is not printed whole for each member.
	maxGroup      = 2048
	maxGroupLines = 40
)

func main() {
	out := flag.String("o", "index.gz", "output file")
	extra := flag.String("quire", "executors,display,display/widget", "comma-separated quire packages (module-relative) to index when present")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
	if err := run(*out, strings.Split(*extra, ",")); err != nil {
		slog.Error("godoc gen failed", "err", err)
		os.Exit(1)
	}
}

func run(out string, extra []string) error {
	goroot, goversion, err := goEnv()
	if err != nil {
		return err
	}
	since, err := readAPI(filepath.Join(goroot, "api"))
	if err != nil {
		return err
	}

	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "linux", "amd64", false
	ctx.GOROOT = goroot

	hash, err := format.SourceHash(".")
	if err != nil {
		return fmt.Errorf("run from the eval/godoc directory (go generate does): %w", err)
	}
	ix := &format.Index{GoVersion: goversion, Generator: hash}
	src := filepath.Join(goroot, "src")
	err = filepath.WalkDir(src, func(dir string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(src, dir)
		rel = filepath.ToSlash(rel)
		base := d.Name()
		if rel != "." && (base == "internal" || base == "vendor" || base == "testdata" ||
			strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || rel == "cmd") {
			return filepath.SkipDir
		}
		if rel == "." {
			return nil
		}
		p, err := indexDir(&ctx, dir, rel, since)
		if err != nil {
			return err
		}
		if p != nil {
			ix.Packages = append(ix.Packages, *p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk %s: %w", src, err)
	}

	if root, mod, err := findModule(); err != nil {
		slog.Warn("quire packages not indexed", "err", err)
	} else {
		for _, rel := range extra {
			rel = strings.TrimSpace(rel)
			if rel == "" {
				continue
			}
			dir := filepath.Join(root, filepath.FromSlash(rel))
			if _, err := os.Stat(dir); err != nil {
				slog.Info("quire package absent, skipped", "pkg", rel)
				continue
			}
			// These are being written while we run: a broken one is skipped, not fatal.
			p, err := indexDir(&ctx, dir, mod+"/"+rel, nil)
			switch {
			case err != nil:
				slog.Warn("quire package skipped", "pkg", rel, "err", err)
			case p == nil:
				slog.Info("quire package has no Go files, skipped", "pkg", rel)
			default:
				ix.Packages = append(ix.Packages, *p)
			}
		}
	}

	slices.SortFunc(ix.Packages, func(a, b format.Package) int { return strings.Compare(a.Path, b.Path) })
	var buf bytes.Buffer
	if err := format.Encode(&buf, ix); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	nsym := 0
	for _, p := range ix.Packages {
		nsym += len(p.Symbols)
	}
	slog.Info("godoc index written", "file", out, "bytes", buf.Len(), "packages", len(ix.Packages), "symbols", nsym, "go", goversion)
	return nil
}

// goEnv asks the go command for GOROOT and its version.
func goEnv() (goroot, goversion string, err error) {
	outb, err := exec.Command("go", "env", "GOROOT", "GOVERSION").Output()
	if err != nil {
		return "", "", fmt.Errorf("go env: %w", err)
	}
	lines := strings.Fields(string(outb))
	if len(lines) != 2 {
		return "", "", fmt.Errorf("go env: unexpected output %q", outb)
	}
	return lines[0], lines[1], nil
}

// findModule walks up from the working directory to go.mod and returns its directory and
// module path.
func findModule() (root, modPath string, err error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(data), "\n") {
				if f := strings.Fields(line); len(f) == 2 && f[0] == "module" {
					return dir, strings.Trim(f[1], `"`), nil
				}
			}
			return "", "", fmt.Errorf("%s/go.mod: no module line", dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", "", errors.New("go.mod not found")
		}
		dir = parent
	}
}

// sinceKey keys the since map: import path, NUL, symbol name ("T.M" for methods).
func sinceKey(pkg, name string) string { return pkg + "\x00" + name }

// readAPI reads GOROOT/api/go1*.txt and returns the earliest version mentioning each
// package-level symbol and method, for linux/amd64 (lines for other platforms are ignored).
func readAPI(dir string) (map[string]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "go1*.txt"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no api files in %s: %v", dir, err)
	}
	ver := func(f string) string { return strings.TrimSuffix(filepath.Base(f), ".txt") }
	slices.SortFunc(files, func(a, b string) int { return version.Compare(ver(a), ver(b)) })
	since := map[string]string{}
	for _, f := range files {
		v := ver(f)
		fh, err := os.Open(f)
		if err != nil {
			return nil, fmt.Errorf("api: %w", err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			pkg, name, ok := parseAPILine(sc.Text())
			if !ok {
				continue
			}
			if k := sinceKey(pkg, name); since[k] == "" {
				since[k] = v
			}
		}
		fh.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("api %s: %w", f, err)
		}
	}
	return since, nil
}

// parseAPILine extracts the package and symbol from one api line such as
// "pkg strings, method (*Builder) Grow(int) #123". Struct fields and interface methods are
// not symbols of their own and are skipped.
func parseAPILine(line string) (pkg, name string, ok bool) {
	rest, ok := strings.CutPrefix(line, "pkg ")
	if !ok {
		return "", "", false
	}
	head, decl, ok := strings.Cut(rest, ", ")
	if !ok {
		return "", "", false
	}
	pkg, ctx, hasCtx := strings.Cut(head, " ")
	if hasCtx && !strings.Contains(ctx, "linux-amd64") {
		return "", "", false
	}
	ident := func(s string) string {
		if i := strings.IndexAny(s, " ([,"); i >= 0 {
			s = s[:i]
		}
		return s
	}
	kind, rest, _ := strings.Cut(decl, " ")
	switch kind {
	case "func", "const", "var":
		return pkg, ident(rest), true
	case "type":
		n := ident(rest)
		after := strings.TrimPrefix(rest, n)
		// "type I interface, M()" adds method I.M; "type T struct, F X" adds a field (skipped).
		if _, m, ok := strings.Cut(after, "interface, "); ok {
			return pkg, n + "." + ident(m), true
		}
		if strings.Contains(after, "struct, ") {
			return "", "", false
		}
		return pkg, n, true
	case "method":
		recv, m, ok := strings.Cut(rest, ") ")
		if !ok {
			return "", "", false
		}
		recv = strings.TrimPrefix(strings.TrimPrefix(recv, "("), "*")
		return pkg, ident(recv) + "." + ident(m), true
	}
	return "", "", false
}

// builtinSince records when predeclared identifiers appeared (the api files do not list them).
var builtinSince = map[string]string{
	"any": "go1.18", "comparable": "go1.18",
	"min": "go1.21", "max": "go1.21", "clear": "go1.21",
}

// indexDir indexes the package in dir, or returns nil if there is no importable package.
func indexDir(ctx *build.Context, dir, path string, since map[string]string) (*format.Package, error) {
	bp, err := ctx.ImportDir(dir, 0)
	if err != nil {
		var noGo *build.NoGoError
		if errors.As(err, &noGo) {
			return nil, nil
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if bp.Name == "main" || len(bp.GoFiles) == 0 {
		return nil, nil
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		files = append(files, f)
	}
	mode := doc.Mode(0)
	if path == "builtin" {
		mode = doc.AllDecls
		since = nil
	}
	dp, err := doc.NewFromFiles(fset, files, path, mode)
	if err != nil {
		return nil, fmt.Errorf("go/doc %s: %w", path, err)
	}

	x := &extractor{fset: fset, pkg: path}
	for _, v := range dp.Consts {
		x.value(v, format.KindConst)
	}
	for _, v := range dp.Vars {
		x.value(v, format.KindVar)
	}
	for _, f := range dp.Funcs {
		x.fn(f, "", format.KindFunc)
	}
	for _, t := range dp.Types {
		x.typ(t)
	}
	p := &format.Package{
		Path:     path,
		Name:     dp.Name,
		Synopsis: dp.Synopsis(dp.Doc),
		Doc:      dp.Doc,
		Symbols:  x.syms,
	}
	slices.SortFunc(p.Symbols, func(a, b format.Symbol) int { return strings.Compare(a.Name, b.Name) })
	p.Symbols = slices.CompactFunc(p.Symbols, func(a, b format.Symbol) bool { return a.Name == b.Name })
	for i := range p.Symbols {
		s := &p.Symbols[i]
		switch {
		case path == "builtin":
			s.Since = builtinSince[s.Name]
		case since != nil:
			s.Since = since[sinceKey(path, s.Name)]
		}
		if s.Since != "" && (p.Since == "" || version.Compare(s.Since, p.Since) < 0) {
			p.Since = s.Since
		}
	}
	return p, nil
}

// extractor turns go/doc entries into symbols.
type extractor struct {
	fset *token.FileSet
	pkg  string
	syms []format.Symbol
}

func (x *extractor) add(name string, kind byte, decl, docText string) {
	x.syms = append(x.syms, format.Symbol{Name: name, Kind: kind, Decl: decl, Doc: docText})
}

func (x *extractor) typ(t *doc.Type) {
	x.ifaceMethods(t) // before declText, which may strip comments
	x.add(t.Name, format.KindType, x.declText(t.Decl), t.Doc)
	for _, v := range t.Consts {
		x.value(v, format.KindConst)
	}
	for _, v := range t.Vars {
		x.value(v, format.KindVar)
	}
	for _, f := range t.Funcs {
		x.fn(f, "", format.KindFunc)
	}
	for _, m := range t.Methods {
		x.fn(m, t.Name+".", format.KindMethod)
	}
}

// ifaceMethods adds the methods written out in an interface type as "Type.Method" symbols,
// declared like method expressions: func (Reader) Read(p []byte) (n int, err error).
func (x *extractor) ifaceMethods(t *doc.Type) {
	if len(t.Decl.Specs) != 1 {
		return
	}
	it, ok := t.Decl.Specs[0].(*ast.TypeSpec).Type.(*ast.InterfaceType)
	if !ok {
		return
	}
	for _, f := range it.Methods.List {
		ft, ok := f.Type.(*ast.FuncType)
		if !ok {
			continue // embedded interface or type constraint
		}
		var parts []string
		for _, c := range []*ast.CommentGroup{f.Doc, f.Comment} {
			if c := strings.TrimSpace(c.Text()); c != "" {
				parts = append(parts, c)
			}
		}
		docText := ""
		if len(parts) > 0 {
			docText = strings.Join(parts, "\n\n") + "\n"
		}
		for _, n := range f.Names {
			if !n.IsExported() {
				continue
			}
			fd := &ast.FuncDecl{
				Recv: &ast.FieldList{List: []*ast.Field{{Type: ast.NewIdent(t.Name)}}},
				Name: n,
				Type: &ast.FuncType{Params: ft.Params, Results: ft.Results},
			}
			x.add(t.Name+"."+n.Name, format.KindMethod, x.print(fd, nil), docText)
		}
	}
}

func (x *extractor) fn(f *doc.Func, prefix string, kind byte) {
	d := *f.Decl
	d.Body, d.Doc = nil, nil
	x.add(prefix+f.Name, kind, x.print(&d, nil), f.Doc)
}

// value adds one symbol per exported name of a const or var group. Each gets the whole group
// as its declaration when the group is small, else its own spec (with the spec that sets the
// type or iota expression, for implicitly repeated specs); its doc is the spec's comment
// followed by the group's doc.
func (x *extractor) value(v *doc.Value, kind byte) {
	docs := make([]string, len(v.Decl.Specs))
	for i, s := range v.Decl.Specs {
		spec := s.(*ast.ValueSpec)
		var parts []string
		for _, t := range []string{spec.Comment.Text(), spec.Doc.Text(), v.Doc} {
			if t = strings.TrimSpace(t); t != "" {
				parts = append(parts, t)
			}
		}
		if len(parts) > 0 {
			docs[i] = strings.Join(parts, "\n\n") + "\n"
		}
	}
	whole := x.declText(v.Decl) // may strip comments from the AST: docs are read above
	kw := v.Decl.Tok.String()
	var last *ast.ValueSpec // the latest spec with explicit values (what implicit specs repeat)
	for i, s := range v.Decl.Specs {
		spec := s.(*ast.ValueSpec)
		if len(spec.Values) > 0 || spec.Type != nil {
			last = spec
		}
		docText := docs[i]
		decl := whole
		if len(whole) > maxGroup || strings.Count(whole, "\n") >= maxGroupLines {
			decl = kw + " " + x.printSpec(spec)
			if len(spec.Values) == 0 && spec.Type == nil && last != nil {
				decl = kw + " (\n\t" + x.printSpec(last) + "\n\t...\n\t" + x.printSpec(spec) + "\n)"
			}
		}
		for _, n := range spec.Names {
			if n.Name != "_" && (n.IsExported() || x.pkg == "builtin") {
				x.add(n.Name, kind, decl, docText)
			}
		}
	}
}

// printSpec prints one spec of a group on its own, without comments, and with the elements of
// long composite literals elided: var Plan9 = []color.Color{...}.
func (x *extractor) printSpec(spec *ast.ValueSpec) string {
	c := *spec
	c.Doc, c.Comment = nil, nil
	s := x.print(&c, nil)
	if len(s) <= maxGroup && strings.Count(s, "\n") < maxGroupLines {
		return s
	}
	c.Values = slices.Clone(c.Values)
	for i, v := range c.Values {
		if cl, ok := v.(*ast.CompositeLit); ok {
			short := *cl
			short.Elts = []ast.Expr{ast.NewIdent("...")}
			c.Values[i] = &short
		}
	}
	return capLines(elided.ReplaceAllString(x.print(&c, nil), "{...}"))
}

// elided matches what the printer makes of a composite literal whose elements are "...".
var elided = regexp.MustCompile(`\{\.\.\.,\s*\}`)

// declText prints a type or value declaration with the comments inside it (field and spec
// comments, not its own doc comment), falling back to no comments and then to a cut when it
// is too long.
func (x *extractor) declText(decl *ast.GenDecl) string {
	d := *decl
	d.Doc = nil
	var comments []*ast.CommentGroup
	ast.Inspect(&d, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			comments = append(comments, n.Doc, n.Comment)
		case *ast.ValueSpec:
			comments = append(comments, n.Doc, n.Comment)
		case *ast.TypeSpec:
			comments = append(comments, n.Comment)
			if d.Lparen.IsValid() {
				comments = append(comments, n.Doc)
			}
		}
		return true
	})
	comments = slices.DeleteFunc(comments, func(c *ast.CommentGroup) bool { return c == nil })
	slices.SortFunc(comments, func(a, b *ast.CommentGroup) int { return int(a.Pos() - b.Pos()) })
	comments = slices.Compact(comments)
	s := x.print(&d, comments)
	if len(s) > maxDecl || strings.Count(s, "\n") >= maxDeclLines {
		// The printer also prints comments attached to fields and specs: detach them (callers
		// have read what they need from this AST already), and drop the blank lines that
		// separated commented fields.
		ast.Inspect(&d, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.Field:
				n.Doc, n.Comment = nil, nil
			case *ast.ValueSpec:
				n.Doc, n.Comment = nil, nil
			case *ast.TypeSpec:
				n.Doc, n.Comment = nil, nil
			}
			return true
		})
		lines := strings.Split(x.print(&d, nil), "\n")
		lines = slices.DeleteFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "" })
		s = strings.Join(lines, "\n")
		if b, err := goformat.Source([]byte(s)); err == nil { // realign the fields
			s = string(b)
		}
	}
	return capLines(s)
}

// print formats node as gofmt would, with the given comments.
func (x *extractor) print(node ast.Node, comments []*ast.CommentGroup) string {
	var buf bytes.Buffer
	var n any = node
	if len(comments) > 0 {
		n = &printer.CommentedNode{Node: node, Comments: comments}
	}
	cfg := printer.Config{Mode: printer.UseSpaces | printer.TabIndent, Tabwidth: 8}
	if err := cfg.Fprint(&buf, x.fset, n); err != nil {
		return fmt.Sprintf("/* %v */", err)
	}
	return buf.String()
}

// capLines cuts a declaration longer than maxDeclLines, keeping its closing line.
func capLines(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= maxDeclLines {
		return s
	}
	kept := append(lines[:maxDeclLines-2:maxDeclLines-2],
		fmt.Sprintf("\t// ... %d more lines", len(lines)-maxDeclLines+1),
		lines[len(lines)-1])
	return strings.Join(kept, "\n")
}
