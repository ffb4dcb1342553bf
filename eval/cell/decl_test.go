package cell

import (
	"reflect"
	"testing"
)

func TestDeclReplayable(t *testing.T) {
	for src, want := range map[string]bool{
		";\n//line cell1/_.go:1:1\nc1 := 0":    true,
		"x, y := 1, \"a\"":                     true,
		"m := map[string]int{}":                true,
		"s := make([]int, 3)":                  true,
		"n := len(\"abc\") * 2":                true,
		"v := f()":                             false,
		"v := <-ch":                            false,
		"t := time.Now()":                      false,
		"g := func() int { return f() }":       true,
		"v := m[k]; ok := false; v, ok = m[k]": true,
		"variable := 1":                        true,
		"var x = 1":                            false, // a var declaration, not a :=
		"if true { x := 1 }":                   false,
	} {
		d := Decl{Kind: DeclVar, Src: src}
		d.describe()
		if got := d.Define && d.Pure; got != want {
			t.Errorf("%q: Define %v, Pure %v; want a pure := %v", src, d.Define, d.Pure, want)
		}
	}
	for src, want := range map[string]bool{
		";\n//line cell1/_.go:1:1\nvar a = 1": true,
		"var m = map[string][]int{}":          true,
		"var b = make(chan int, len(\"ab\"))": true,
		"var s []string":                      true,
		"var c = strings.Repeat(\"b\", 2)":    false,
		"var v = <-ch":                        false,
		"var f = func() { g() }":              true,
	} {
		d := Decl{Kind: DeclVar, Src: src}
		d.describe()
		if got := !d.Define && d.Pure; got != want {
			t.Errorf("%q: Define %v, Pure %v; want a pure var %v", src, d.Define, d.Pure, want)
		}
	}
}

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		kind      DeclKind
		src, want string
	}{
		{DeclType, ";\n//line cell2.go:1:1\ntype P struct{ A int; B string }", "type P struct { A int; B string }"},
		{DeclFunc, "// Doc.\nfunc f(xs ...int) map[string]struct{} {\n\treturn nil\n}", "func f(xs ...int) map[string]struct{}"},
		{DeclType, "type Shape interface {\n\tArea() float64\n\tName() string\n}", "type Shape interface { Area() float64; Name() string }"},
		{DeclMethod, "func (s *Stack[T]) Push(v T) { s.items = append(s.items, v) }", "func (s *Stack[T]) Push(v T)"},
		{DeclType, "type Pair[K comparable, V any] struct {\n\tKey K\n\tVal V\n}", "type Pair[K comparable, V any] struct { Key K; Val V }"},
		{DeclFunc, "not go at all {", ""},
		{DeclVar, "var x = 1", ""},
	} {
		d := Decl{Kind: tc.kind, Src: tc.src}
		d.describe()
		if d.Summary != tc.want {
			t.Errorf("Summary of %q = %q, want %q", tc.src, d.Summary, tc.want)
		}
	}
}

// TestDeclDescription checks what a plan's declarations say about themselves: where they are,
// what the user wrote, their doc comment, free names, receivers and summaries.
func TestDeclDescription(t *testing.T) {
	src := `import "strings"

// Greet says hello.
// Twice.
func Greet(name string) string {
	return strings.Repeat(prefix, 1) + name
}
type S struct{ N int }
func (s *S) String() string { return "s" }
func (s S) Twice() int { return 2 * s.N }
var (
	a = 1
	b = make([]int, a)
)
c := Greet("x")
const k = 3`
	plan, err := Build("cell4", src, Known{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Decl{}
	for _, d := range plan.Defines() {
		got[d.Name] = d
	}
	type want struct {
		pos, written, doc, summary, recv string
		free                             []string
		define, pure                     bool
	}
	for name, w := range map[string]want{
		"Greet": {pos: "cell4.go:5", written: "func Greet(name string) string {\n\treturn strings.Repeat(prefix, 1) + name\n}",
			doc: "// Greet says hello.\n// Twice.", summary: "func Greet(name string) string", free: []string{"prefix", "string", "strings"}},
		"S":        {pos: "cell4.go:8", written: "type S struct{ N int }", summary: "type S struct{ N int }"},
		"S.String": {pos: "cell4.go:9", written: `func (s *S) String() string { return "s" }`, summary: "func (s *S) String() string", recv: "*S", free: []string{"S", "string"}},
		"S.Twice":  {pos: "cell4.go:10", written: "func (s S) Twice() int { return 2 * s.N }", summary: "func (s S) Twice() int", recv: "S", free: []string{"S", "int"}},
		"a":        {pos: "cell4.go:12", written: "a = 1", pure: true},
		"b":        {pos: "cell4.go:13", written: "b = make([]int, a)", pure: true},
		"c":        {pos: "cell4.go:15", written: `c := Greet("x")`, define: true},
		"k":        {pos: "cell4.go:16", written: "const k = 3"},
		"strings":  {},
	} {
		d, ok := got[name]
		if !ok {
			t.Errorf("no declaration %s in %v", name, got)
			continue
		}
		if d.Kind == DeclImport {
			continue
		}
		g := want{d.Pos, d.Written, d.Doc, d.Summary, d.Recv, d.Free, d.Define, d.Pure}
		if len(g.free) == 0 {
			g.free = nil
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\n got %+v\nwant %+v", name, g, w)
		}
	}
}

func TestNames(t *testing.T) {
	decls, free, err := Names("type R struct{ Got int }\nfunc near(a, b float64) bool { return math.Abs(a-b) < tol }\nx := near(got, 1)\nr := R{Got: x}\nfmt.Println(r.Got)")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range decls {
		names = append(names, d.Name)
	}
	if want := []string{"near", "R", "x", "r"}; !reflect.DeepEqual(names, want) {
		t.Errorf("declares %v, want %v", names, want)
	}
	if want := map[string]bool{"math": true, "tol": true, "got": true, "fmt": true}; !reflect.DeepEqual(free, want) {
		t.Errorf("free %v, want %v", free, want)
	}
	if d, f, err := Names("%timeit x"); err != nil || d != nil || len(f) != 0 {
		t.Errorf("magic cell: %v %v %v", d, f, err)
	}
}
