// Package godoc is an embedded documentation and symbol index of the Go standard library and of
// quire's cell-facing packages, for completion and inspection in the Go kernel without a Go
// toolchain or GOROOT at run time.
//
// The index is built at go generate time by internal/gen from $(go env GOROOT)/src (every
// importable, non-internal package, files selected for linux/amd64) plus
// github.com/quire-go/quire/executors, .../display and .../display/widget when they exist, and embedded as
// index.gz. Regenerate it after changing Go versions, the generator, or those packages:
//
//	go generate ./eval/godoc
//
// The index is decoded once, lazily, on the first call of any function here (or by Load);
// after that every function is safe for concurrent use and a lookup is a map access plus a
// binary search.
//
// Each Symbol records Since, the Go release that added it (from GOROOT/api). The interpreter
// behind cells (yaegi v0.16.1) only knows go1.22 standard library API, so callers offering
// completions should drop package-level symbols for which NewerThan("go1.22") is true (methods
// of types that do exist keep working in yaegi through reflection).
//
// The pseudo-package "builtin" (append, len, any, error, ...) is indexed under BuiltinPath:
// Package, Members and Lookup answer for it, but Packages does not list it, since it cannot be
// imported.
package godoc

//go:generate go run ./internal/gen -o index.gz

import (
	_ "embed"
	"go/doc/comment"
	"go/version"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quire-go/quire/eval/godoc/internal/format"
)

//go:embed index.gz
var indexData []byte

// BuiltinPath is the path under which Go's predeclared identifiers are documented.
const BuiltinPath = "builtin"

// Kind is the kind of an exported symbol.
type Kind string

// Symbol kinds.
const (
	KindFunc   Kind = "func"
	KindType   Kind = "type"
	KindMethod Kind = "method" // Name is "Type.Method"
	KindConst  Kind = "const"
	KindVar    Kind = "var"
)

var kinds = [...]Kind{
	format.KindFunc:   KindFunc,
	format.KindType:   KindType,
	format.KindMethod: KindMethod,
	format.KindConst:  KindConst,
	format.KindVar:    KindVar,
}

// PackageInfo describes one indexed package. (It cannot be called Package: that is the
// function returning it.)
type PackageInfo struct {
	Path     string // import path
	Name     string // package name
	Synopsis string // first sentence of Doc
	Doc      string // package doc comment, in Go doc comment syntax
	Since    string // Go release that added the package ("go1.22"); "" if unknown (quire's packages)
}

// NewerThan reports whether the package is known to have been added after Go release goVersion
// (for example "go1.22").
func (p PackageInfo) NewerThan(goVersion string) bool { return newer(p.Since, goVersion) }

// Symbol describes one exported member of a package.
type Symbol struct {
	PkgPath string // import path of the package it belongs to
	Name    string // "Println", or "Builder.WriteString" for a method
	Kind    Kind
	Decl    string // Go declaration: a func signature without body, a type or const/var declaration
	Doc     string // doc comment, in Go doc comment syntax
	Since   string // Go release that added it ("go1", "go1.21"); "" if unknown
}

// NewerThan reports whether the symbol is known to have been added after Go release goVersion
// (for example "go1.22").
func (s Symbol) NewerThan(goVersion string) bool { return newer(s.Since, goVersion) }

func newer(since, goVersion string) bool {
	return since != "" && version.Compare(since, goVersion) > 0
}

// index is the decoded, query-ready form.
type index struct {
	goVersion string
	generator string // format.SourceHash of the generator that wrote the index
	pkgs      map[string]*format.Package
	paths     []string            // importable paths, sorted
	byName    map[string][]string // package name -> sorted paths
	loadTime  time.Duration
}

var load = sync.OnceValues(func() (*index, error) {
	start := time.Now()
	ix, err := decode(indexData)
	if err != nil {
		slog.Error("godoc: embedded index unusable", "err", err)
		return &index{}, err
	}
	ix.loadTime = time.Since(start)
	return ix, nil
})

// decode turns the embedded bytes into a query-ready index.
func decode(data []byte) (*index, error) {
	raw, err := format.Decode(data)
	if err != nil {
		return nil, err
	}
	ix := &index{
		goVersion: raw.GoVersion,
		generator: raw.Generator,
		pkgs:      make(map[string]*format.Package, len(raw.Packages)),
		byName:    map[string][]string{},
	}
	for i := range raw.Packages {
		p := &raw.Packages[i]
		ix.pkgs[p.Path] = p
		if p.Path == BuiltinPath {
			continue
		}
		ix.paths = append(ix.paths, p.Path)
		ix.byName[p.Name] = append(ix.byName[p.Name], p.Path)
	}
	slices.Sort(ix.paths)
	for _, ps := range ix.byName {
		slices.Sort(ps)
	}
	return ix, nil
}

func get() *index {
	ix, _ := load()
	return ix
}

// Load decodes the embedded index if that has not happened yet and reports how long decoding
// took and whether it failed. Calling it is optional: every other function loads on demand.
// After a failure every query answers as if the index were empty.
func Load() (time.Duration, error) {
	ix, err := load()
	return ix.loadTime, err
}

// GoVersion is the version of the Go tree the index was generated from, e.g. "go1.26.8".
func GoVersion() string { return get().goVersion }

// Packages returns the import paths of all indexed importable packages, sorted.
func Packages() []string { return slices.Clone(get().paths) }

// Package returns the package with the given import path.
func Package(path string) (PackageInfo, bool) {
	p, ok := get().pkgs[path]
	if !ok {
		return PackageInfo{}, false
	}
	return PackageInfo{Path: p.Path, Name: p.Name, Synopsis: p.Synopsis, Doc: p.Doc, Since: p.Since}, true
}

// Members returns the exported members of the package, sorted by Name (a type's methods
// follow it as "Type.Method"), or nil for an unknown package.
func Members(path string) []Symbol {
	p, ok := get().pkgs[path]
	if !ok {
		return nil
	}
	out := make([]Symbol, len(p.Symbols))
	for i := range p.Symbols {
		out[i] = symbol(p, &p.Symbols[i])
	}
	return out
}

// Lookup returns the member name of the package at path; name may be "Type.Method".
func Lookup(path, name string) (Symbol, bool) {
	p, ok := get().pkgs[path]
	if !ok {
		return Symbol{}, false
	}
	i, ok := slices.BinarySearchFunc(p.Symbols, name, func(s format.Symbol, name string) int {
		return strings.Compare(s.Name, name)
	})
	if !ok {
		return Symbol{}, false
	}
	return symbol(p, &p.Symbols[i]), true
}

// FindPackageByName returns the import paths, sorted, of the packages whose name is name: for
// "rand", crypto/rand, math/rand and math/rand/v2.
func FindPackageByName(name string) []string { return slices.Clone(get().byName[name]) }

func symbol(p *format.Package, s *format.Symbol) Symbol {
	var k Kind
	if int(s.Kind) < len(kinds) {
		k = kinds[s.Kind]
	}
	return Symbol{PkgPath: p.Path, Name: s.Name, Kind: k, Decl: s.Decl, Doc: s.Doc, Since: s.Since}
}

// Format renders sym for an inspect reply: plain is the declaration, a blank line and the doc
// as text; markdown is the declaration in a Go code block followed by the doc as Markdown, with
// doc links pointing at pkg.go.dev. A symbol newer than go1.22 gets a note saying so.
func Format(sym Symbol) (plain, markdown string) {
	d := parseDoc(sym.PkgPath, sym.Doc)
	pr := printer(sym.PkgPath)
	text := strings.TrimSpace(string(pr.Text(d)))
	md := strings.TrimSpace(string(pr.Markdown(d)))
	header := sym.PkgPath
	if header != "" && sym.Since != "" {
		header += " (since " + sym.Since + ")"
	}

	var pb, mb strings.Builder
	pb.WriteString(sym.Decl)
	pb.WriteString("\n\n")
	if header != "" {
		pb.WriteString("package " + header + "\n\n")
	}
	pb.WriteString(text)

	mb.WriteString("```go\n" + sym.Decl + "\n```\n\n")
	if header != "" {
		mb.WriteString("*package " + header + "*\n\n")
	}
	mb.WriteString(md)
	return strings.TrimSpace(pb.String()) + "\n", strings.TrimSpace(mb.String()) + "\n"
}

// FormatPackage renders a package's documentation the way Format renders a symbol's, with the
// import clause as the code block.
func FormatPackage(p PackageInfo) (plain, markdown string) {
	d := parseDoc(p.Path, p.Doc)
	pr := printer(p.Path)
	clause := "import \"" + p.Path + "\""
	if p.Path == BuiltinPath {
		clause = "package builtin // predeclared identifiers"
	} else if last := p.Path[strings.LastIndex(p.Path, "/")+1:]; last != p.Name {
		clause = "import " + p.Name + " \"" + p.Path + "\""
	}
	plain = strings.TrimSpace(clause+"\n\n"+string(pr.Text(d))) + "\n"
	markdown = strings.TrimSpace("```go\n"+clause+"\n```\n\n"+string(pr.Markdown(d))) + "\n"
	return plain, markdown
}

// parseDoc parses a doc comment of package pkg, resolving doc links ([Builder], [fmt.Println],
// [io.Reader.Read]) against the index.
func parseDoc(pkg, text string) *comment.Doc {
	p := comment.Parser{
		LookupPackage: func(name string) (string, bool) {
			if paths := get().byName[name]; len(paths) == 1 {
				return paths[0], true
			}
			if _, ok := get().pkgs[name]; ok {
				return name, true
			}
			return "", false
		},
		LookupSym: func(recv, name string) bool {
			if recv != "" {
				name = recv + "." + name
			}
			_, ok := Lookup(pkg, name)
			return ok
		},
	}
	return p.Parse(text)
}

// printer renders docs of package pkg; links to its own symbols point at its pkg.go.dev page.
func printer(pkg string) *comment.Printer {
	return &comment.Printer{
		TextWidth: 80,
		// No {#hdr-...} anchors after Markdown headings: pagers and tooltips show them raw.
		HeadingID: func(*comment.Heading) string { return "" },
		DocLinkURL: func(link *comment.DocLink) string {
			l := *link
			if l.ImportPath == "" {
				l.ImportPath = pkg
			}
			return l.DefaultURL("https://pkg.go.dev")
		},
	}
}
