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

func TestFuncsVisibleInWholeCell(t *testing.T) {
	s := newSession(t)
	r := s.mustRun(`x := later(2)
type S struct{ n int }
func later(k int) int { return helper() * k }
func (s S) N() int { return s.n + later(1) }
y := S{x}.N()
func helper() int { return 7 }
y`)
	if r.shown != "21" {
		t.Errorf("shown %s, want 21", r.shown)
	}
}

// A func may use a type or const declared below it in the cell, as in a Go file.
func TestTypesVisibleInWholeCell(t *testing.T) {
	s := newSession(t)
	r := s.mustRun(`x := 1
func f() T { return T{A: x + N} }
func (t T) Twice() int { return 2 * t.A }
type T struct{ A int }
const N = 2
f().Twice()`)
	if r.shown != "6" {
		t.Errorf("shown %s, want 6", r.shown)
	}
}

func TestDeclsAndStatementsAcrossCells(t *testing.T) {
	s := newSession(t)
	s.mustRun("import \"fmt\"\ntype T struct{ A, B int }\nconst K = 3\nvar y = K + 1\nx := 2")
	s.mustRun("func (t T) Sum() int { return t.A + t.B }\nfunc add(a, b int) int { return a + b }")
	r := s.mustRun("z := add(x, y)\nfmt.Println(z, T{1, 2}.Sum())\nz * K")
	if r.out != "6 3\n" || r.shown != "18" {
		t.Errorf("out=%q shown=%q", r.out, r.shown)
	}
}

func TestRejections(t *testing.T) {
	known := Known{Imports: map[string]string{"rand": "math/rand"}, Generics: map[string]bool{"Map": true}}
	for _, tc := range []struct {
		src       string
		line, col int
		msg       string
	}{
		{"x := 1\nfunc main() {\n\tfmt.Println(x)\n}", 2, 1, "func main is not allowed"},
		{"x := 1\nreturn", 2, 1, "return at the top level"},
		{"import \"math/rand/v2\"", 1, 8, `the name rand already refers to "math/rand"`},
		{"import \"os\"\nimport os \"io\"", 2, 8, `the name os already refers to "os"`},
		{"ch := make(chan int)\nv, ok := <-ch", 2, 1, "v, ok := <-ch at the top level"},
		{"func G[T any](x T) T { return x }\ny := len(\"a\") + G[int](2)", 2, 17, "generic func G"},
		{"var y, z = Map(xs), 1", 1, 12, "var y T; y = Map(...)"},
		{"var y = 1 + slices.Max(xs)", 1, 13, "generic func slices.Max"},
		{"x := (1 +\ny := 2", 2, 3, "syntax error"},
		{"for range func(yield func() bool) {} {}", 1, 11, "range over a func(yield func() bool)"},
	} {
		e := buildErr(t, tc.src, known)
		if e.Line != tc.line || e.Col != tc.col || !strings.Contains(e.Msg, tc.msg) {
			t.Errorf("Build(%q) error %v (line %d col %d), want %d:%d containing %q", tc.src, e, e.Line, e.Col, tc.line, tc.col, tc.msg)
		}
		if !strings.HasPrefix(e.Error(), "cell1.go:") {
			t.Errorf("error %q does not name the cell", e.Error())
		}
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

func TestPastedFile(t *testing.T) {
	s := newSession(t)
	r := s.mustRun("package main\n\nimport (\n\t\"fmt\"\n)\n\nfunc hello(name string) string {\n\treturn fmt.Sprintf(\"hello %s\", name)\n}\n\nfmt.Println(hello(\"go\"))\n")
	if r.out != "hello go\n" || r.shown != "" || !r.plan.Suppress {
		t.Errorf("out=%q shown=%q suppress=%v", r.out, r.shown, r.plan.Suppress)
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

func TestLoopVarsOldIdiom(t *testing.T) {
	s := newSession(t)
	r := s.mustRun(`var fns []func() int
for i := 0; i < 3; i++ {
	i := i // the pre-Go 1.22 idiom
	fns = append(fns, func() int { return i })
}
for _, v := range []int{10, 20} {
	v := v
	fns = append(fns, func() int { return v })
}
for i := range 2 {
	i := i * 100
	fns = append(fns, func() int { return i })
}
var got []int
for _, f := range fns {
	got = append(got, f())
}
got`)
	if r.shown != "[0 1 2 10 20 0 100]" {
		t.Errorf("got %s", r.shown)
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

func TestRangeOverInt(t *testing.T) {
	s := newSession(t)
	s.mustRun(`import "fmt"`)
	r := s.mustRun(`for i := range 3 {
	fmt.Print(i, " ")
}
n := 2
for range n {
	fmt.Print("x ")
}
for i := range n + 1 {
	i += 10 // does not change the iteration (range semantics)
	fmt.Print(i, " ")
}
var k int64 = 2
for i := range k {
	fmt.Printf("%T ", i)
}
xs := []string{"a", "b"}
for i := range len(xs) {
	fmt.Print(xs[i])
}
var fns []func() int
for i := range 3 {
	fns = append(fns, func() int { return i })
}
fmt.Println(fns[0](), fns[1](), fns[2]())`)
	if want := "0 1 2 x x 10 11 12 int64 int64 ab0 1 2\n"; r.out != want {
		t.Errorf("out %q, want %q", r.out, want)
	}
	r = s.mustRun(`func count(n int) (c int) {
	for range n {
		c++
	}
	const m = 4
	for i := range m {
		c += i
	}
outer:
	for i := range n {
		for j := range 10 {
			if j > i {
				continue outer
			}
			c += 100
		}
	}
	return c
}
var j int
for j = range 4 {
}
count(3) + j`)
	if r.shown != "612" { // 3 + 6 + 100*(1+2+3) = 609, + j == 3
		t.Errorf("count(3)+j = %s, want 612", r.shown)
	}
	// Known.Ints from an earlier cell.
	s.mustRun("total := 3")
	r = s.mustRun("sum := 0\nfor i := range total { sum += i }\nsum")
	if r.shown != "3" {
		t.Errorf("range over an int from an earlier cell: %s", r.shown)
	}
}

func TestMinMaxClear(t *testing.T) {
	s := newSession(t)
	s.mustRun(`import "fmt"`)
	if r := s.mustRun("min(3, 1)"); r.shown != "1" {
		t.Errorf("min(3, 1) = %s", r.shown)
	}
	r := s.mustRun(`a, b := 3, 2
x := min(a, b)
f := 2.5
y := max(f, 1, 7)
z := min(4, f)
w := max("b", "abc", "c")
u := min(1, 2.5)
fmt.Printf("%v %v %v %v %v %T\n", x, y, z, w, u, u)
func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }
fmt.Println(clamp(15, 0, 10), clamp(-3, 0, 10), clamp(5, 0, 10), max(x, a) + 1)
m := map[string]int{"a": 1, "b": 2}
s := []int{1, 2, 3}
clear(m)
clear(s[1:])
fmt.Println(len(m), s)
v := min(a, b) * 10 + max(a, b)
v`)
	if want := "2 7 2.5 c 1 float64\n10 0 5 4\n0 [1 0 0]\n"; r.out != want || r.shown != "23" {
		t.Errorf("out %q shown %q, want %q and 23", r.out, r.shown, want)
	}
	r = s.mustRun(`import "cmp"
func Clamp[T cmp.Ordered](v, lo, hi T) T { return max(lo, min(v, hi)) }
fmt.Println(min(a, b), Clamp(f, 0, 1), Clamp(w, "a", "b"))
max(a, b)`)
	if r.out != "2 1 b\n" || r.shown != "3" {
		t.Errorf("generic use: out %q shown %q", r.out, r.shown)
	}
	// The helpers' type parameter does not collide with a user type T.
	r = newSession(t).mustRun("a := 1\ntype T int\nT(3) + T(min(a, 2))")
	if r.shown != "4" {
		t.Errorf("type T after the prelude: %s", r.shown)
	}
	// A user func named max shadows the builtin.
	r = s.mustRun("func max(xs ...int) int { return -1 }\nmax(1, 2)")
	if r.shown != "-1" {
		t.Errorf("user max: %s", r.shown)
	}
}

func TestTopLevelControlFlow(t *testing.T) {
	s := newSession(t)
	s.mustRun(`import "fmt"`)
	r := s.mustRun(`total := 0
for i := 0; i < 3; i++ {
	total += i
}
m := map[string]int{"a": 1}
w := -1
if v, ok := m["z"]; !ok {
	w = v
}
var a any = 3
switch v := a.(type) {
case int:
	fmt.Println("int", v)
}
switch {
case total > 2:
	fmt.Println("big")
}
ch := make(chan int, 1)
ch <- 5
select {
case got := <-ch:
	fmt.Println("got", got)
default:
}
{
	hidden := 1
	total += hidden
}
loop:
for {
	break loop
}
fmt.Println(total, w)`)
	if want := "int 3\nbig\ngot 5\n4 0\n"; r.out != want {
		t.Errorf("out %q, want %q", r.out, want)
	}
	if _, err := s.run("hidden"); err == nil || !strings.Contains(err.Error(), "undefined: hidden") {
		t.Errorf("a := inside a top-level block leaked: %v", err)
	}
	r = s.mustRun(`v, ok := m["a"]
_, ok2 := m["b"]
n, isInt := a.(int)
str, isStr := a.(string)
keys := func() string { return "a" }
v2, ok3 := m[keys()]
fmt.Println(v, ok, ok2, n, isInt, str == "", isStr, v2, ok3)`)
	if want := "1 true false 3 true true false 1 true\n"; r.out != want {
		t.Errorf("comma-ok: %q, want %q", r.out, want)
	}
	// Other top-level forms that must keep working untouched.
	r = s.mustRun(`import ("context"; "strconv")
n2, err := strconv.Atoi("12")
ctx, cancel := context.WithCancel(context.Background())
cancel()
c2 := make(chan string, 1)
c2 <- "msg"
got := <-c2
fmt.Println(n2, err, ctx.Err(), got)`)
	if want := "12 <nil> context canceled msg\n"; r.out != want {
		t.Errorf("multi-value := : %q, want %q", r.out, want)
	}
	// Redefinition of a comma-ok variable in the same cell reuses it.
	r = s.mustRun("q := 0\nq, found := m[\"a\"]\nfmt.Println(q, found)")
	if r.out != "1 true\n" {
		t.Errorf("comma-ok reusing a name: %q", r.out)
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

func TestTrailingExpression(t *testing.T) {
	s := newSession(t)
	s.mustRun(`import ("fmt"; "log"; "os")`)
	for _, tc := range []struct {
		src, out, shown string
		suppress        bool
	}{
		{"1 + 2", "", "3", false},
		{"func two() (int, string) { return 1, \"a\" }\ntwo()", "", "1, a", false},
		{`fmt.Println("hi")`, "hi\n", "", true},
		{`fmt.Fprintln(os.Stdout, "x")`, "", "", true},
		{`log.SetFlags(0); log.Print("l")`, "l\n", "", true},
		{"x := 4\nx", "", "4", false},
		{"func none() {}\nnone()", "", "", false},
		{"// just a comment", "", "", false},
		{"x := 5 // no trailing expression", "", "", false},
		{"fmt.Sprint(\"a\",\n\t\"b\")", "", "ab", false},
	} {
		r := s.mustRun(tc.src)
		if r.shown != tc.shown || r.plan.Suppress != tc.suppress || (tc.out != "" && r.out != tc.out) {
			t.Errorf("%q: out %q shown %q suppress %v; want %q %q %v", tc.src, r.out, r.shown, r.plan.Suppress, tc.out, tc.shown, tc.suppress)
		}
	}
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

// The forms the generic-call error suggests do work at the top level, and so do y := G(x),
// var y = G(x) and a generic call evaluated first in a :=, which quire makes work.
func TestGenericAdviceWorks(t *testing.T) {
	s := newSession(t)
	s.mustRun("func G[T any](x T) T { return x }\nx := 5")
	r := s.mustRun("var y1 int\ny1 = G(x)\ny2 := x\ny2 = G(x)\ny3 := func() int { return G(x) }()\ny1 + y2 + y3 + G(1)")
	if r.shown != "16" {
		t.Errorf("shown %s, want 16", r.shown)
	}
	r = s.mustRun("y4 := G(x)\nvar y5 = G(y4 + 1)\ny6 := G(y5) * 2\ny4 + y5 + y6")
	if r.shown != "23" {
		t.Errorf("shown %s, want 23", r.shown)
	}
	if r := s.mustRun("y4 + y5 + y6"); r.shown != "23" {
		t.Errorf("next cell: shown %s, want 23", r.shown)
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
