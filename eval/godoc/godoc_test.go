package godoc

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/quire-go/quire/eval/godoc/internal/format"
)

func mustLookup(t *testing.T, path, name string) Symbol {
	t.Helper()
	s, ok := Lookup(path, name)
	if !ok {
		t.Fatalf("Lookup(%q, %q): not found", path, name)
	}
	if s.PkgPath != path || s.Name != name {
		t.Fatalf("Lookup(%q, %q) = %q %q", path, name, s.PkgPath, s.Name)
	}
	return s
}

func TestLoad(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Logf("index: %d bytes compressed, %d packages, go %s, decoded in %v",
		len(indexData), len(Packages()), GoVersion(), d)
	if !strings.HasPrefix(GoVersion(), "go1.") {
		t.Errorf("GoVersion() = %q", GoVersion())
	}
}

// TestIndexFresh fails when the generator or the format changed without go generate.
func TestIndexFresh(t *testing.T) {
	raw, err := format.Decode(indexData)
	if err != nil {
		t.Fatalf("embedded index does not decode with format version %d: %v (run go generate ./eval/godoc)", format.Version, err)
	}
	want, err := format.SourceHash(".")
	if err != nil {
		t.Fatal(err)
	}
	if raw.Generator != want {
		t.Errorf("index.gz was written by another generator (%.12s, sources are %.12s): run go generate ./eval/godoc", raw.Generator, want)
	}
}

func TestPrintln(t *testing.T) {
	s := mustLookup(t, "fmt", "Println")
	if s.Kind != KindFunc {
		t.Errorf("Kind = %q, want func", s.Kind)
	}
	if want := "func Println(a ...any) (n int, err error)"; s.Decl != want {
		t.Errorf("Decl = %q, want %q", s.Decl, want)
	}
	if !strings.Contains(strings.ToLower(s.Doc), "spaces") {
		t.Errorf("Doc does not mention spaces: %q", s.Doc)
	}
	if s.Since != "go1" || s.NewerThan("go1.22") {
		t.Errorf("Since = %q, NewerThan(go1.22) = %v", s.Since, s.NewerThan("go1.22"))
	}
}

func TestKinds(t *testing.T) {
	for _, c := range []struct {
		path, name string
		kind       Kind
		decl       string // substring of Decl
	}{
		{"strings", "Builder", KindType, "type Builder struct {"},
		{"strings", "Builder.WriteString", KindMethod, "func (b *Builder) WriteString(s string) (int, error)"},
		{"time", "Second", KindConst, "Second"},
		{"time", "Duration", KindType, "type Duration int64"},
		{"time", "Duration.String", KindMethod, "func (d Duration) String() string"},
		{"os", "Args", KindVar, "var Args []string"},
		{"io", "Reader.Read", KindMethod, "func (Reader) Read(p []byte) (n int, err error)"},
		{"slices", "Sort", KindFunc, "func Sort[S ~[]E, E cmp.Ordered](x S)"},
		{BuiltinPath, "append", KindFunc, "func append(slice []Type, elems ...Type) []Type"},
		{BuiltinPath, "error", KindType, "type error interface"},
	} {
		s := mustLookup(t, c.path, c.name)
		if s.Kind != c.kind {
			t.Errorf("%s.%s: Kind = %q, want %q", c.path, c.name, s.Kind, c.kind)
		}
		if !strings.Contains(s.Decl, c.decl) {
			t.Errorf("%s.%s: Decl = %q, want it to contain %q", c.path, c.name, s.Decl, c.decl)
		}
		if strings.Contains(s.Decl, "{\n\treturn") {
			t.Errorf("%s.%s: Decl has a body: %q", c.path, c.name, s.Decl)
		}
	}
	if s := mustLookup(t, "time", "Second"); !strings.Contains(s.Decl, "Second               = 1000 * Millisecond") {
		t.Errorf("time.Second Decl = %q, want the const group", s.Decl)
	}
}

func TestLookupMissing(t *testing.T) {
	for _, q := range [][2]string{{"fmt", "println"}, {"fmt", "Nope"}, {"no/such", "X"}, {"strings", "Builder.Nope"}, {"", ""}} {
		if s, ok := Lookup(q[0], q[1]); ok {
			t.Errorf("Lookup(%q, %q) = %+v, want not found", q[0], q[1], s)
		}
	}
	if m := Members("no/such"); m != nil {
		t.Errorf("Members(no/such) = %v", m)
	}
	if _, ok := Package("internal/poll"); ok {
		t.Error("internal/poll is indexed")
	}
}

func TestMembers(t *testing.T) {
	m := Members("fmt")
	names := make([]string, len(m))
	for i, s := range m {
		names[i] = s.Name
		if s.PkgPath != "fmt" || s.Decl == "" {
			t.Errorf("member %+v", s)
		}
	}
	for _, want := range []string{"Print", "Printf", "Println", "Errorf", "Stringer"} {
		if !slices.Contains(names, want) {
			t.Errorf("Members(fmt) lacks %s: %v", want, names)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("Members(fmt) not sorted: %v", names)
	}
	for _, n := range names {
		if n[0] < 'A' || n[0] > 'Z' {
			t.Errorf("unexported member %q", n)
		}
	}
	// The result is a copy.
	m[0].Name = "clobbered"
	if Members("fmt")[0].Name == "clobbered" {
		t.Error("Members returns the index's own slice")
	}
}

func TestPackages(t *testing.T) {
	ps := Packages()
	if len(ps) < 150 {
		t.Fatalf("only %d packages", len(ps))
	}
	if !slices.IsSorted(ps) {
		t.Error("Packages() not sorted")
	}
	for _, want := range []string{"fmt", "net/http", "math/rand/v2", "encoding/json", "sync/atomic", "unsafe"} {
		if !slices.Contains(ps, want) {
			t.Errorf("Packages() lacks %q", want)
		}
	}
	for _, p := range ps {
		elems := strings.Split(p, "/")
		if slices.Contains(elems, "internal") || slices.Contains(elems, "vendor") ||
			slices.Contains(elems, "testdata") || elems[0] == "cmd" || p == BuiltinPath {
			t.Errorf("Packages() has %q", p)
		}
	}
	p, ok := Package("net/http")
	if !ok || p.Name != "http" || p.Path != "net/http" || !strings.Contains(p.Synopsis, "HTTP") || len(p.Doc) < len(p.Synopsis) {
		t.Errorf("Package(net/http) = %+v, %v", p, ok)
	}
	if p, ok := Package(BuiltinPath); !ok || p.Name != "builtin" {
		t.Errorf("Package(builtin) = %+v, %v", p, ok)
	}
	const display = "github.com/quire-go/quire/display"
	if p, ok := Package(display); ok && (p.Name != "display" || !slices.Contains(ps, display)) {
		t.Errorf("Package(%s) = %+v", display, p)
	}
}

func TestFindPackageByName(t *testing.T) {
	got := FindPackageByName("rand")
	want := []string{"crypto/rand", "math/rand", "math/rand/v2"}
	if !slices.Equal(got, want) {
		t.Errorf("FindPackageByName(rand) = %v, want %v", got, want)
	}
	if got := FindPackageByName("http"); !slices.Equal(got, []string{"net/http"}) {
		t.Errorf("FindPackageByName(http) = %v", got)
	}
	if got := FindPackageByName("nosuchpkg"); len(got) != 0 {
		t.Errorf("FindPackageByName(nosuchpkg) = %v", got)
	}
}

func TestSince(t *testing.T) {
	for _, c := range []struct {
		path, name, since string
		newer             bool // than go1.22
	}{
		{"strings", "Builder", "go1.10", false},
		{"strings", "Lines", "go1.24", true},
		{"slices", "Sort", "go1.21", false},
		{"math/rand/v2", "IntN", "go1.22", false},
		{"sync", "WaitGroup.Go", "go1.25", true},
		{"context", "Context.Done", "go1.7", false},
		{BuiltinPath, "min", "go1.21", false},
	} {
		s := mustLookup(t, c.path, c.name)
		if s.Since != c.since || s.NewerThan("go1.22") != c.newer {
			t.Errorf("%s.%s: Since = %q NewerThan(go1.22) = %v, want %q %v", c.path, c.name, s.Since, s.NewerThan("go1.22"), c.since, c.newer)
		}
	}
	for path, newer := range map[string]bool{"iter": true, "unique": true, "math/rand/v2": false, "fmt": false} {
		p, ok := Package(path)
		if !ok || p.NewerThan("go1.22") != newer {
			t.Errorf("Package(%s).Since = %q, want NewerThan(go1.22) = %v", path, p.Since, newer)
		}
	}
}

func TestFormat(t *testing.T) {
	plain, md := Format(mustLookup(t, "fmt", "Println"))
	if !strings.HasPrefix(plain, "func Println(a ...any) (n int, err error)\n\n") || !strings.Contains(plain, "Spaces are always added") {
		t.Errorf("plain:\n%s", plain)
	}
	if !strings.HasPrefix(md, "```go\nfunc Println(a ...any) (n int, err error)\n```\n\n") || !strings.Contains(md, "Spaces are always added") {
		t.Errorf("markdown:\n%s", md)
	}
	// Doc links resolve to pkg.go.dev, including links to the symbol's own package.
	_, md = Format(mustLookup(t, "strings", "Builder"))
	if !strings.Contains(md, "(https://pkg.go.dev/strings#Builder.Write)") {
		t.Errorf("markdown link missing:\n%s", md)
	}
	plain, md = FormatPackage(mustPackage(t, "math/rand/v2"))
	if !strings.HasPrefix(plain, "import rand \"math/rand/v2\"\n") || !strings.HasPrefix(md, "```go\nimport rand \"math/rand/v2\"\n```") {
		t.Errorf("FormatPackage:\n%s\n%s", plain, md)
	}
}

func mustPackage(t *testing.T, path string) PackageInfo {
	t.Helper()
	p, ok := Package(path)
	if !ok {
		t.Fatalf("Package(%q) not found", path)
	}
	return p
}

func TestDeclSizes(t *testing.T) {
	if s := mustLookup(t, "net/http", "Server"); len(s.Decl) > 5000 || !strings.Contains(s.Decl, "ReadTimeout") {
		t.Errorf("http.Server decl (%d bytes):\n%s", len(s.Decl), s.Decl)
	}
	max := 0
	for _, p := range append(Packages(), BuiltinPath) {
		for _, s := range Members(p) {
			if n := strings.Count(s.Decl, "\n"); n > max {
				max = n
			}
		}
	}
	if max > 85 {
		t.Errorf("longest decl has %d lines", max)
	}
}

func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				if _, ok := Lookup("fmt", "Println"); !ok {
					t.Error("Lookup failed")
					return
				}
				_ = FindPackageByName("rand")
			}
		}()
	}
	wg.Wait()
}

func TestDecodeRejectsOtherVersion(t *testing.T) {
	if _, err := format.Decode([]byte("not gzip")); err == nil {
		t.Error("garbage decoded")
	}
}

func BenchmarkLookup(b *testing.B) {
	if _, err := Load(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Lookup("strings", "Builder.WriteString"); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkLookupSyscall(b *testing.B) {
	if _, err := Load(); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok := Lookup("syscall", "SYS_WRITE"); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkMembersFmt(b *testing.B) {
	for b.Loop() {
		_ = Members("fmt")
	}
}

func BenchmarkFormat(b *testing.B) {
	s, _ := Lookup("fmt", "Println")
	for b.Loop() {
		Format(s)
	}
}

// BenchmarkLoad measures decoding the embedded index (what the first call pays).
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode(indexData); err != nil {
			b.Fatal(err)
		}
	}
}

// Headings in docs (fmt's "Printing", "Scanning") come without Markdown anchors, which
// JupyterLab's pager shows as text.
func TestNoHeadingAnchors(t *testing.T) {
	p, ok := Package("fmt")
	if !ok {
		t.Skip("fmt not indexed")
	}
	plain, md := FormatPackage(p)
	if strings.Contains(md, "{#hdr-") || strings.Contains(plain, "{#hdr-") {
		t.Errorf("heading anchors in fmt's docs:\n%s", md[:min(len(md), 400)])
	}
	if !strings.Contains(md, "Printing") {
		t.Errorf("fmt's docs lost their headings")
	}
}
