// The repeated "run this cell, expect this output" cases are golden files of testdata/rewrite
// (TestRewriteGolden, rewrite_golden_test.go), which also record each cell's plan; the tests
// here need their own logic.
package cell

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSplitMixedCell(t *testing.T) {
	s := newSession(t)
	cell := `package main

import "fmt"
// doc for f
func f() int { return 1 }
x := f()
type P struct{ A int }
func (p P) Twice() int { return 2 * p.A }
var m = map[string]int{}
m["a"] = x
import "strings"
func(){ fmt.Println("iife", P{3}.Twice()) }()
func a1() int { return b1() }
func b1() int { return 2 }
strings.Repeat("ab", m["a"]+a1())`
	r := s.mustRun(cell)
	if r.out != "iife 6\n" || r.shown != "ababab" {
		t.Errorf("out=%q shown=%q, want %q %q", r.out, r.shown, "iife 6\n", "ababab")
	}
	var kinds []Kind
	for _, seg := range r.plan.Segments {
		kinds = append(kinds, seg.Kind)
		if seg.Kind == Stmts && !strings.HasPrefix(seg.Src, ";") {
			t.Errorf("statement segment does not start with ';': %q", seg.Src)
		}
		if !strings.Contains(seg.Src, "//line cell1/_.go:") {
			t.Errorf("segment without //line directive: %q", seg.Src)
		}
	}
	// The type P goes first because a method uses it; then f, Twice, a1 and b1 are hoisted
	// into one segment.
	want := []Kind{Import, Stmts, Func, Stmts}
	if !slices.Equal(kinds, want) {
		t.Errorf("segment kinds %v, want %v", kinds, want)
	}
	if r.plan.Segments[0].Line != 3 {
		t.Errorf("import segment line %d, want 3", r.plan.Segments[0].Line)
	}
	// The IIFE ran once: a later cell must not run it again (yaegi's func main trap).
	r = s.mustRun(`fmt.Println("next")`)
	if r.out != "next\n" {
		t.Errorf("second cell printed %q", r.out)
	}
}

func TestImports(t *testing.T) {
	s := newSession(t)
	s.mustRun(`import "fmt"`)
	// Repeats, within the cell and across cells, are dropped; grouped imports are split.
	r := s.mustRun("import \"fmt\"\nimport (\n\t\"fmt\"\n\t\"strings\"\n\tstr \"strconv\"\n)\nimport \"strings\"\nfmt.Println(strings.ToUpper(\"a\"), str.Itoa(4))")
	if r.out != "A 4\n" {
		t.Errorf("out %q", r.out)
	}
	var names []string
	for _, d := range r.plan.Defines() {
		if d.Kind == DeclImport {
			names = append(names, d.Name+"="+d.Path)
		}
	}
	if want := []string{"strings=strings", "str=strconv"}; !slices.Equal(names, want) {
		t.Errorf("import defines %v, want %v", names, want)
	}
	// An import-only cell that adds nothing yields no segment at all.
	r = s.mustRun("package main\nimport \"fmt\"")
	if len(r.plan.Segments) != 0 {
		t.Errorf("segments for a repeated import: %+v", r.plan.Segments)
	}
	// Blank imports are deduplicated by path.
	r = s.mustRun("import _ \"image/png\"\nimport _ \"image/png\"")
	if d := r.plan.Defines(); len(d) != 1 || d[0].Name != "_ image/png" {
		t.Errorf("blank import defines %+v", d)
	}
	if r = s.mustRun("import _ \"image/png\""); len(r.plan.Segments) != 0 {
		t.Errorf("repeated blank import planned %+v", r.plan.Segments)
	}
	if got := defaultImportName("math/rand/v2"); got != "rand" {
		t.Errorf("defaultImportName(math/rand/v2) = %q", got)
	}
	if got := defaultImportName("gopkg.in/yaml.v3"); got != "yaml" {
		t.Errorf("defaultImportName(gopkg.in/yaml.v3) = %q", got)
	}
}

// Go 1.22 per-iteration loop variables, checked against the compiled Go 1.22+ semantics of the
// same code (loopModified and friends below are compiled by the Go toolchain of this test).
const loopFuncs = `
func loopModified() []int {
	var fns []func() int
	for i := 0; i < 10; i++ {
		if i%3 == 0 {
			i++
			fns = append(fns, func() int { return i })
			continue
		}
		fns = append(fns, func() int { return i * 100 })
	}
	var out []int
	for _, f := range fns {
		out = append(out, f())
	}
	return out
}

func loopLabeled() []int {
	var fns []func() int
outer:
	for i, j := 0, 10; i < j; i, j = i+1, j-1 {
		for k := 0; k < 3; k++ {
			if k == 1 && i%2 == 0 {
				i += 1
				fns = append(fns, func() int { return i*1000 + j })
				continue outer
			}
			if i > 6 {
				break outer
			}
		}
		fns = append(fns, func() int { return -i })
	}
	var out []int
	for _, f := range fns {
		out = append(out, f())
	}
	return out
}

func loopPointers() []int {
	var ps []*int
	for i := 0; i < 3; i++ {
		ps = append(ps, &i)
	}
	for _, v := range []int{7, 8} {
		ps = append(ps, &v)
	}
	var out []int
	for _, p := range ps {
		out = append(out, *p)
	}
	return out
}
`

func loopModified() []int {
	var fns []func() int
	for i := 0; i < 10; i++ {
		if i%3 == 0 {
			i++
			fns = append(fns, func() int { return i })
			continue
		}
		fns = append(fns, func() int { return i * 100 })
	}
	var out []int
	for _, f := range fns {
		out = append(out, f())
	}
	return out
}

func loopLabeled() []int {
	var fns []func() int
outer:
	for i, j := 0, 10; i < j; i, j = i+1, j-1 {
		for k := 0; k < 3; k++ {
			if k == 1 && i%2 == 0 {
				i += 1
				fns = append(fns, func() int { return i*1000 + j })
				continue outer
			}
			if i > 6 {
				break outer
			}
		}
		fns = append(fns, func() int { return -i })
	}
	var out []int
	for _, f := range fns {
		out = append(out, f())
	}
	return out
}

func loopPointers() []int {
	var ps []*int
	for i := 0; i < 3; i++ {
		ps = append(ps, &i)
	}
	for _, v := range []int{7, 8} {
		ps = append(ps, &v)
	}
	var out []int
	for _, p := range ps {
		out = append(out, *p)
	}
	return out
}

func TestLoopVarsMatchCompiledGo(t *testing.T) {
	s := newSession(t)
	s.mustRun(loopFuncs)
	for name, want := range map[string][]int{
		"loopModified": loopModified(),
		"loopLabeled":  loopLabeled(),
		"loopPointers": loopPointers(),
	} {
		r := s.mustRun(name + "()")
		if r.shown != fmt.Sprint(want) {
			t.Errorf("%s() = %s in yaegi, %v compiled", name, r.shown, want)
		}
	}
	// The same loops at the top level of a cell (wrapped in a closure).
	r := s.mustRun(`var fns []func() int
for i := 0; i < 10; i++ {
	if i%3 == 0 {
		i++
		fns = append(fns, func() int { return i })
		continue
	}
	fns = append(fns, func() int { return i * 100 })
}
var got []int
for _, f := range fns {
	got = append(got, f())
}
got`)
	if want := fmt.Sprint(loopModified()); r.shown != want {
		t.Errorf("top-level modified loop: %s, compiled Go: %s", r.shown, want)
	}
}

func TestLoopVarsGoroutines(t *testing.T) {
	s := newSession(t)
	s.mustRun(`import ("fmt"; "sort"; "sync")
var mu sync.Mutex
var seen []int
func record(i int) { mu.Lock(); seen = append(seen, i); mu.Unlock() }
func spawn() {
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); record(i * 10) }()
	}
	for _, v := range []int{7, 8, 9} {
		wg.Add(1)
		go func() { defer wg.Done(); record(v) }()
	}
	wg.Wait()
}`)
	r := s.mustRun(`var wg sync.WaitGroup
for i := 0; i < 3; i++ {
	wg.Add(1)
	go func() { defer wg.Done(); record(i) }()
}
for i := range []string{"a", "b", "c"} {
	wg.Add(1)
	go func() { defer wg.Done(); record(100 + i) }()
}
for k, v := range map[string]int{"x": 1000, "y": 2000} {
	wg.Add(1)
	go func() { defer wg.Done(); record(v + len(k)) }()
}
wg.Wait()
spawn()
sort.Ints(seen)
fmt.Println(seen)`)
	if want := "[0 0 1 2 7 8 9 10 20 100 101 102 1001 2001]\n"; r.out != want {
		t.Errorf("goroutines saw %q, want %q", r.out, want)
	}
	// go v.M() with a pointer receiver binds each iteration's own v.
	r = s.mustRun(`type W struct{ id int }
func (w *W) Run(wg *sync.WaitGroup) { defer wg.Done(); record(w.id) }
seen = nil
for _, w := range []W{{1}, {2}, {3}} {
	wg.Add(1)
	go w.Run(&wg)
}
wg.Wait()
sort.Ints(seen)
seen`)
	if r.shown != "[1 2 3]" {
		t.Errorf("go w.Run() in a range loop saw %s", r.shown)
	}
	// A loop without closures is left alone.
	r = s.mustRun("type node struct{ v int; next *node }\nlist := &node{1, &node{2, nil}}\nsum := 0\nfor n := list; n != nil; n = n.next {\n\tsum += n.v\n}\nsum")
	if r.shown != "3" || strings.Contains(r.plan.Segments[0].Src, tmpPrefix) {
		t.Errorf("plain loop: shown %s, rewritten to\n%s", r.shown, r.plan.Segments[0].Src)
	}
	// Closures from a range loop in a func.
	r = s.mustRun(`func order() (out []string) {
	var fns []func()
	for _, w := range []string{"a", "b", "c"} {
		fns = append(fns, func() { out = append(out, w) })
	}
	for _, f := range fns {
		f()
	}
	return out
}
order()`)
	if r.shown != "[a b c]" {
		t.Errorf("closures from a range loop: %s", r.shown)
	}
}

func TestGoStatementsRecoverPanics(t *testing.T) {
	s := newSession(t)
	s.mustRun(`import ("fmt"; "sync")
func boom(n int, wg *sync.WaitGroup) { defer wg.Done(); panic(fmt.Sprint("worker ", n, " failed")) }
type C struct{ n int }
func (c *C) Add(k int, wg *sync.WaitGroup) { defer wg.Done(); c.n += k }`)
	r := s.mustRun(`var wg sync.WaitGroup
wg.Add(3)
go func() {
	defer wg.Done()
	panic("boom")
}()
n := 1
go boom(n, &wg)
n = 2
c := &C{}
go c.Add(n, &wg)
wg.Wait()
fmt.Println("alive", c.n)`)
	// yaegi also traces the recovered panic on stderr ("cell2.go:2:46: panic: main.boom(...)").
	if !strings.HasSuffix(r.out, "alive 2\n") {
		t.Errorf("out %q", r.out)
	}
	// The goroutines' deferred wg.Done runs before their guard's recover (see below): wait
	// for both panics to be recorded.
	got := s.panics()
	for wait := time.Now().Add(5 * time.Second); len(got) < 2 && time.Now().Before(wait); got = s.panics() {
		time.Sleep(5 * time.Millisecond)
	}
	slices.Sort(got)
	if want := []string{"boom", "worker 1 failed"}; !slices.Equal(got, want) {
		t.Errorf("goroutine panics %q, want %q", got, want)
	}
	if !strings.Contains(r.plan.Segments[0].Src, HostPkg+"."+GoPanicFunc+"(recover())") {
		t.Errorf("no guard in %s", r.plan.Segments[0].Src)
	}
	// Guarded inside funcs too, with variadic calls.
	r = s.mustRun(`func fan(xs ...int) { defer wg.Done(); panic(len(xs)) }
func start() {
	wg.Add(1)
	xs := []int{1, 2, 3}
	go fan(xs...)
	wg.Wait()
}
start()`)
	// fan's deferred wg.Done runs before the guard's recover (defers run last-in first-out), so
	// wg.Wait may return a moment before the panic is recorded: wait for it.
	deadline := time.Now().Add(5 * time.Second)
	got = s.panics()
	for len(got) < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		got = s.panics()
	}
	if len(got) != 3 || got[2] != "3" {
		t.Errorf("goroutine panics %q", got)
	}
}

// TestTrailingPosition: the trailing expression's position, kept in ShowSrc's //line comment
// (the trailing expressions' values and Suppress are in testdata/rewrite/trailing-expression.txt).
func TestTrailingPosition(t *testing.T) {
	p, err := Build("cell9", "x := 1\n\n  x +\n  2", Known{})
	if err != nil {
		t.Fatal(err)
	}
	if p.TrailingLine != 3 || p.TrailingCol != 3 || !strings.HasPrefix(p.ShowSrc("show"), ";\nshow(/*line cell9/_.go:3:3*/x") {
		t.Errorf("trailing at %d:%d, ShowSrc %q", p.TrailingLine, p.TrailingCol, p.ShowSrc("show"))
	}
}

func TestErrorsNameCellLines(t *testing.T) {
	s := newSession(t)
	s.mustRun(`import "fmt"`)
	_, err := s.run("x := 1\n\n\n\nfor i := 0; i < 2; i++ {\n\tgo func() { fmt.Println(i) }()\n}\n\ny := undefinedThing + x")
	if err == nil || !strings.Contains(err.Error(), "cell2.go:9") {
		t.Errorf("error %v does not name cell2.go:9", err)
	}
	// yaegi's trace names a statement of the frame (here the var line), not always the
	// faulting one; what matters is that it is the cell's own line, not a shifted one.
	_, err = s.run("func f() {\n\n\tvar m map[string]int\n\tm[\"a\"] = 1\n}\nf()")
	trace := DisplayPositions(s.out.String())
	if err == nil || !strings.Contains(trace, "cell3.go:3:6: panic: main.f") || !strings.Contains(trace, "cell3.go:6:1: panic: main") {
		t.Errorf("panic trace %q (err %v) does not name cell3.go:3 and 6", trace, err)
	}
	_, err = s.run("for i := range 3 {\n\tfmt.Println(i)\n\n\n\tfmt.Println(undefinedToo)\n}")
	if err == nil || !strings.Contains(err.Error(), "cell4.go:5") {
		t.Errorf("error %v does not name cell4.go:5", err)
	}
}

func TestRedefinitionAndReplay(t *testing.T) {
	s := newSession(t)
	s.mustRun("import \"fmt\"\nfunc f() int { return 1 }\nfunc g() int { return f() * 10 }\nfunc h() string { return fmt.Sprint(g()) }\ntype P struct{ A int }\nfunc (p P) Get() int { return p.A }\nfunc k() int { return P{4}.Get() }")
	r := s.mustRun("func f() int { return 2 }")
	d := r.plan.Defines()
	if len(d) != 1 || d[0].Name != "f" || !d[0].Redefines || d[0].Kind != DeclFunc {
		t.Fatalf("defines %+v", d)
	}
	callers := Callers(s.decls, "f")
	if !slices.Equal(callers, []string{"g", "h"}) {
		t.Errorf("Callers(f) = %v", callers)
	}
	if got := Callers(s.decls, "P.Get"); !slices.Equal(got, []string{"k"}) {
		t.Errorf("Callers(P.Get) = %v", got)
	}
	// Re-evaluate the callers' latest sources: g now sees the new f.
	for _, name := range callers {
		for i := len(s.decls) - 1; i >= 0; i-- {
			if s.decls[i].Name == name {
				if err := s.eval(s.decls[i].Src); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
	}
	if r := s.mustRun("h()"); r.shown != "20" {
		t.Errorf("h() after redefining f = %s", r.shown)
	}
	// Replay into a fresh interpreter: imports, types, then funcs, from Decl.Src alone.
	s.mustRun("const Base = 5\nvar total = Base * 2\nfor i := 0; i < 3; i++ { total += i }")
	fresh := newSession(t)
	for _, src := range Replay(s.decls) {
		if err := fresh.eval(src); err != nil {
			t.Fatalf("replaying: %v\n%s", err, src)
		}
	}
	fresh.n = s.n
	if r := fresh.mustRun("fmt.Sprint(h(), \" \", k(), \" \", total)"); r.shown != "20 4 10" {
		t.Errorf("after replay: %s", r.shown)
	}
}

func TestIsComplete(t *testing.T) {
	for _, tc := range []struct{ src, status, indent string }{
		{"x := 1", StatusComplete, ""},
		{"", StatusComplete, ""},
		{"func f() {", StatusIncomplete, "\t"},
		{"for {\n\tif x {", StatusIncomplete, "\t\t"},
		{"x := foo(1,", StatusIncomplete, "\t"},
		{"s := `raw", StatusIncomplete, ""},
		{"x := 1 +", StatusIncomplete, "\t"},
		{"x := a &&", StatusIncomplete, "\t"},
		{"/* open comment", StatusIncomplete, ""},
		{"x := 1 }", StatusInvalid, ""},
		{"x := := 2", StatusInvalid, ""},
		{"x++", StatusComplete, ""},
		{"import \"fmt\"\nfmt.Println(1)", StatusComplete, ""},
		{"func main() {}", StatusComplete, ""},
		{"func f( {", StatusInvalid, ""},
		{"x := []int{1, 2", StatusIncomplete, "\t"},
		{"f(func() {", StatusIncomplete, "\t\t"},
		{"m := map[string]int{\"a\":", StatusIncomplete, "\t"},
		{"if x := := 1; x {", StatusInvalid, ""},
		{"type T struct {\n\tA int", StatusIncomplete, "\t"},
	} {
		st, in := IsComplete(tc.src)
		if st != tc.status || in != tc.indent {
			t.Errorf("IsComplete(%q) = %q, %q; want %q, %q", tc.src, st, in, tc.status, tc.indent)
		}
	}
}

func TestHints(t *testing.T) {
	p, err := Build("cell1", "func f(c struct{ N int }) {\n\tfor i := range c.N {\n\t\t_ = i\n\t}\n\tfor i := range []int{1} {\n\t\t_ = i\n\t}\n\tfor i := range 3 {\n\t\t_ = i\n\t}\n}", Known{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Hints) != 1 || p.Hints[0].Line != 2 || p.Hints[0].Col != 17 || !strings.Contains(p.Hints[0].Msg, "if c.N is an integer") {
		t.Errorf("hints %+v", p.Hints)
	}
}

func TestHintCompiledIndex(t *testing.T) {
	p, err := Build("cell2", "rec := e.Records[0]\nvar d3 = e.Records[0].End - e.Records[0].Start\nvar d4 T = e.Records[0]\nn := len(xs)\nf := func() int { return xs[0] }", Known{Vars: map[string]bool{"e": true, "xs": true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Hints) != 2 {
		t.Fatalf("hints %+v", p.Hints)
	}
	h := p.Hints[0]
	if h.Line != 1 || h.Col != 1 || !strings.Contains(h.Msg, "var rec T; rec = e.Records[0]") {
		t.Errorf("hint %+v", h)
	}
	if !h.Applies("cell2.go:1:1: constant definition loop") || !h.Applies("runtime error: invalid memory address or nil pointer dereference") || h.Applies("undefined: e") {
		t.Errorf("Applies is wrong for %+v", h)
	}
	if h := p.Hints[1]; h.Line != 2 || !strings.Contains(h.Msg, "var d3 T; d3 = e.Records[0].End - e.Records[0].Start") {
		t.Errorf("hint %+v", h)
	}
}

func TestStripLineDirectives(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"//line cell3/_.go:2:1\nfunc f() {}\n", "func f() {}\n"},
		{"x := /*line cell3/_.go:4:6*/f()", "x := f()"},
		{"func g() {} // line 3\n", "func g() {} // line 3\n"},
	} {
		if got := StripLineDirectives(tc.in); got != tc.want {
			t.Errorf("StripLineDirectives(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
