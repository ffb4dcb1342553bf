package eval

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/backend/backendtest"
)

func TestFuncRedefinitionReachesCallers(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, "func f() int { return 1 }\nfunc g() int { return f() * 10 }")
	if got, _ := mustOK(t, s, "g()"); got != "10" {
		t.Fatalf("g() = %q", got)
	}
	mustOK(t, s, "func f() int { return 2 }")
	if got, _ := mustOK(t, s, "g()"); got != "20" {
		t.Fatalf("after redefining f, g() = %q", got)
	}
	// Same cell: redefine and call through the caller.
	if got, _ := mustOK(t, s, "func f() int { return 3 }\ng()"); got != "30" {
		t.Fatalf("redefine+call in one cell: g() = %q", got)
	}
}

func TestTypeRedefinition(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, "type T struct{ A int }\nfunc (t T) Sum() int { return t.A }\nx := 5")
	_, out := mustOK(t, s, "type T struct{ A, B int }\nfunc (t T) Sum() int { return t.A + t.B }")
	if !strings.Contains(out.Stderr(), "restored to their value after the last cell that ran without error: x.") {
		t.Fatalf("no lost-variables note: %q", out.Stderr())
	}
	if got, _ := mustOK(t, s, "T{1, 2}.Sum()"); got != "3" {
		t.Fatalf("T{1,2}.Sum() = %q", got)
	}
	// Re-running the same cell does not restart.
	mustOK(t, s, "y := 1")
	_, out = mustOK(t, s, "type T struct{ A, B int }\nfunc (t T) Sum() int { return t.A + t.B }")
	if out.Stderr() != "" {
		t.Fatalf("re-running an unchanged type restarted: %q", out.Stderr())
	}
	if got, _ := mustOK(t, s, "y"); got != "1" {
		t.Fatalf("y = %q", got)
	}
}

func TestRepeatedImportAndMixedCell(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import "fmt"`)
	got, out := mustOK(t, s, `import "fmt"
import "strings"
// doc for f
func f() int { return 1 }
x := f()
type P struct{ A int }
func (p P) Twice() int { return 2 * p.A }
var m = map[string]int{}
m["a"] = x
func(){ fmt.Println("iife") }()
strings.Repeat("ab", m["a"]+1)`)
	if got != `"abab"` || out.Stdout() != "iife\n" {
		t.Fatalf("mixed cell: %q, stdout %q", got, out.Stdout())
	}
	if got, _ := mustOK(t, s, "P{A: 4}.Twice()"); got != "8" {
		t.Fatalf("method: %q", got)
	}
}

func TestGo122Semantics(t *testing.T) {
	s := newSup(t)
	_, out := mustOK(t, s, `import ("fmt"; "sync")
var wg sync.WaitGroup
res := make([]int, 3)
for i := 0; i < 3; i++ {
	wg.Add(1)
	go func() { defer wg.Done(); res[i] = i }()
}
wg.Wait()
fmt.Println(res[0], res[1], res[2])
var fs []func()
for i := 0; i < 3; i++ { fs = append(fs, func() { fmt.Print(i, " ") }) }
for _, f := range fs { f() }`)
	if out.Stdout() != "0 1 2\n0 1 2 " {
		t.Fatalf("loop vars: %q", out.Stdout())
	}
	if got, _ := mustOK(t, s, "min(3, 1)"); got != "1" {
		t.Fatalf("min(3, 1) = %q", got)
	}
	if got, _ := mustOK(t, s, "a, b := 2.5, 7.0\nmax(a, b)"); got != "7" {
		t.Fatalf("max = %q", got)
	}
	_, out = mustOK(t, s, "for i := range 3 { fmt.Print(i) }")
	if out.Stdout() != "012" {
		t.Fatalf("range over int: %q", out.Stdout())
	}
	got, _ := mustOK(t, s, `mm := map[string]int{"a": 1}
v, ok := mm["a"]
var x any = 3
switch y := x.(type) {
case int:
	v += y
}
if w, ok2 := mm["b"]; !ok2 { v += w + 100 }
clear(mm)
fmt.Sprint(v, ok, len(mm))`)
	if got != `"104 true 0"` {
		t.Fatalf("comma-ok/type switch/clear: %q", got)
	}
}

func TestOutputOrderAndDisplay(t *testing.T) {
	s := newSup(t)
	_, out := mustOK(t, s, `import ("fmt"; "os"; "github.com/quire-go/quire/display")
fmt.Println("one")
display.Show(display.HTML("<i>two</i>"))
fmt.Fprintln(os.Stdout, "three")
display.Show(42)
fmt.Fprintln(os.Stderr, "err")`)
	got := strings.Join(out.events(), "|")
	want := "stdout:one\n|display:<i>two</i> html:<i>two</i>|stdout:three\n|display:42|stderr:err\n"
	if got != want {
		t.Fatalf("order:\n got %q\nwant %q", got, want)
	}
}

func TestManyLines(t *testing.T) {
	s := newSup(t)
	start := time.Now()
	_, out := mustOK(t, s, `import "fmt"
for i := 0; i < 100000; i++ { fmt.Println(i) }`)
	took := time.Since(start)
	lines := strings.Split(strings.TrimSuffix(out.Stdout(), "\n"), "\n")
	if len(lines) != 100000 {
		t.Fatalf("got %d lines", len(lines))
	}
	for i, l := range lines {
		if l != fmt.Sprint(i) {
			t.Fatalf("line %d = %q", i, l)
		}
	}
	t.Logf("100000 lines in %v, %d stream messages", took, len(out.events()))
}

func TestGoroutineOutputAfterCell(t *testing.T) {
	s := newSup(t)
	out1 := &fakeOut{}
	r := runOut(t, s, `import ("fmt"; "time")
go func() { time.Sleep(200 * time.Millisecond); fmt.Println("late") }()`, out1)
	if r.Status != backend.StatusOK {
		t.Fatal(r.Error)
	}
	_ = waitOut(out1, 5*time.Second, func() bool { return strings.Contains(out1.Stdout(), "late") })
	if out1.Stdout() != "late\n" {
		t.Fatalf("late output to the last cell: %q", out1.Stdout())
	}
	// While another cell runs, late output still goes to the cell that started the goroutine
	// (issue 17 item 14), and so does a display.
	out2 := &fakeOut{}
	if r := runOut(t, s, `import "github.com/quire-go/quire/display"
var next = make(chan bool)
go func() { <-next; fmt.Println("bg"); display.Show(display.HTML("<b>bg</b>")); next <- true }()`, out2); r.Status != backend.StatusOK {
		t.Fatal(r.Error)
	}
	_, out3 := mustOK(t, s, "next <- true\n<-next\nfmt.Println(\"cell 3\")")
	if out3.Stdout() != "cell 3\n" || len(out3.displays()) != 0 {
		t.Fatalf("the running cell got the goroutine's output: stdout %q, %d displays", out3.Stdout(), len(out3.displays()))
	}
	if out2.Stdout() != "bg\n" || len(out2.displays()) != 1 {
		t.Fatalf("late output of the goroutine's cell: stdout %q, %d displays", out2.Stdout(), len(out2.displays()))
	}
}

func TestStdin(t *testing.T) {
	s := newSup(t)
	out := &fakeOut{backendtest.Recorder{Inputs: []string{"Ada", "42", "line three", "secret"}}}
	r := runOut(t, s, `import ("bufio"; "fmt"; "os"; "quire")
var name string
fmt.Print("name? ")
fmt.Scanln(&name)
var n int
fmt.Scanln(&n)
line, err := bufio.NewReader(os.Stdin).ReadString('\n')
pw, _ := quire.Password("pw: ")
fmt.Println(name, n+1, line, err, pw)`, out)
	if r.Status != backend.StatusOK {
		t.Fatalf("%s: %s", r.Error.Name, r.Error.Value)
	}
	if got := out.Stdout(); got != "name? Ada 43 line three\n <nil> secret\n" {
		t.Fatalf("stdout %q", got)
	}
	if prompts, password := out.Prompts(); len(password) != 4 || !password[3] || prompts[3] != "pw: " {
		t.Fatalf("prompts %q password %v", prompts, password)
	}
	// Without stdin: an immediate error, no hang.
	start := time.Now()
	got, out2 := mustOK(t, s, `var z int
_, err2 := fmt.Scanln(&z)
err2`)
	if !strings.Contains(got, "allow_stdin is false") || time.Since(start) > 5*time.Second {
		t.Fatalf("no stdin: %q (stderr %q)", got, out2.Stderr())
	}
}

func TestCompleteInspect(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import "fmt"
// Area computes the area.
func Area(w, h int) int { return w * h }
type Shape struct{ W int }
func (s Shape) Scale() int { return s.W }
total := 1`)
	ctx := context.Background()
	c, err := s.Complete(ctx, "fmt.Prin", 8)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Matches, ",") != "Print,Printf,Println" || c.CursorStart != 4 || c.CursorEnd != 8 {
		t.Fatalf("fmt.Prin: %v %d-%d", c.Matches, c.CursorStart, c.CursorEnd)
	}
	c, _ = s.Complete(ctx, "héllo := Ar", 11)
	if len(c.Matches) == 0 || c.Matches[0] != "Area" || c.CursorStart != 9 {
		t.Fatalf("Ar: %v %d", c.Matches, c.CursorStart)
	}
	c, _ = s.Complete(ctx, "tot", 3)
	if !contains(c.Matches, "total") {
		t.Fatalf("tot: %v", c.Matches)
	}
	c, _ = s.Complete(ctx, "strings.Cut", 11)
	if !contains(c.Matches, "CutPrefix") || contains(c.Matches, "Lines") {
		t.Fatalf("strings.Cut: %v", c.Matches)
	}
	c, _ = s.Complete(ctx, "Shape{}.Sc", 10)
	if !contains(c.Matches, "Scale") {
		t.Fatalf("method: %v", c.Matches)
	}
	c, _ = s.Complete(ctx, "fo", 2)
	if !contains(c.Matches, "for") {
		t.Fatalf("keyword: %v", c.Matches)
	}
	in, _ := s.Inspect(ctx, "fmt.Println", 6, 0)
	if !in.Found || !strings.Contains(in.Data["text/plain"].(string), "func Println(a ...any) (n int, err error)") {
		t.Fatalf("inspect Println: %#v", in)
	}
	in, _ = s.Inspect(ctx, "Area(1, ", 8, 0)
	if !in.Found || !strings.Contains(in.Data["text/plain"].(string), "// Area computes the area.") {
		t.Fatalf("inspect Area: %#v", in)
	}
	ic, _ := s.IsComplete(ctx, "func f() {")
	if ic.Status != backend.Incomplete {
		t.Fatalf("is_complete: %#v", ic)
	}
	// Answers while a cell runs (once it has said it runs).
	busy := &fakeOut{}
	go func() {
		runOut(t, s, `import "time"
fmt.Println("running")
time.Sleep(2 * time.Second)`, busy)
	}()
	if err := busy.WaitText(30*time.Second, "running\n"); err != nil {
		t.Fatalf("the busy cell did not start: %v", err)
	}
	start := time.Now()
	c, _ = s.Complete(ctx, "fmt.Prin", 8)
	if len(c.Matches) != 3 || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("complete while busy: %v in %v", c.Matches, time.Since(start))
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestOutputOrderFprint(t *testing.T) {
	s := newSup(t)
	_, out := mustOK(t, s, `import ("fmt"; "os")
type V struct{}
func (V) String() string { return "vee" }
for i := 0; i < 3; i++ {
	fmt.Println("a", i)
	fmt.Fprintln(os.Stdout, "b", i, V{})
	fmt.Printf("c %d\n", i)
}`)
	want := "a 0\nb 0 vee\nc 0\na 1\nb 1 vee\nc 1\na 2\nb 2 vee\nc 2\n"
	if out.Stdout() != want {
		t.Fatalf("got %q", out.Stdout())
	}
}

func TestDisplayShowUserType(t *testing.T) {
	s := newSup(t)
	r, out := run(t, s, `import "github.com/quire-go/quire/display"
type Card string
func (c Card) HTML() string { return "<div>" + string(c) + "</div>" }
display.Show(Card("hi"))
h := display.New()
h.Show(Card("a"))
h.Update(Card("b"))`)
	if r.Status != backend.StatusOK {
		t.Fatalf("%+v", r.Error)
	}
	want := `display:"hi" html:<div>hi</div>|display:"a" html:<div>a</div>|display:"b" html:<div>b</div> update`
	if strings.Join(out.events(), "|") != want {
		t.Fatalf("events %q", out.events())
	}
}

func TestUserExpressions(t *testing.T) {
	s := newSup(t)
	r := s.Execute(context.Background(), backend.ExecuteRequest{
		Code:            "n := 20",
		UserExpressions: map[string]string{"twice": "n * 2", "bad": "nope + 1"},
	}, &fakeOut{})
	if r.Status != backend.StatusOK {
		t.Fatal(r.Error)
	}
	tw, _ := r.UserExpressions["twice"].(map[string]any)
	if tw["status"] != "ok" || tw["data"].(map[string]any)["text/plain"] != "40" {
		t.Fatalf("twice: %#v", r.UserExpressions["twice"])
	}
	bad, _ := r.UserExpressions["bad"].(map[string]any)
	if bad["status"] != "error" {
		t.Fatalf("bad: %#v", r.UserExpressions["bad"])
	}
}

func TestHelpSyntax(t *testing.T) {
	s := newSup(t)
	for _, code := range []string{"fmt.Println?", "?strings.Cut", "len??"} {
		r, _ := run(t, s, code)
		if r.Status != backend.StatusOK || len(r.Payload) != 1 || r.Payload[0]["source"] != "page" {
			t.Fatalf("%q: %+v", code, r)
		}
	}
	if r, _ := run(t, s, "nothing.Here?"); r.Status != backend.StatusError {
		t.Fatalf("unknown: %+v", r)
	}
}

// TestBackgroundOutputStress runs cells while goroutines print and display continuously: no
// deadlock, and every cell finishes.
func TestBackgroundOutputStress(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("fmt"; "os"; "time"; "github.com/quire-go/quire/display")
stop := false
for g := 0; g < 3; g++ {
	go func() {
		for k := 0; !stop; k++ {
			fmt.Println("bg", g, k)
			fmt.Fprintln(os.Stderr, "e", k)
			if k%50 == 0 { display.Show(k) }
			time.Sleep(100 * time.Microsecond)
		}
	}()
}`)
	for i := 0; i < 40; i++ {
		got, _ := mustOK(t, s, fmt.Sprintf("fmt.Println(%d)\ndisplay.Show(%d)\n%d*2", i, i, i))
		if got != fmt.Sprint(i*2) {
			t.Fatalf("cell %d: %q", i, got)
		}
	}
	mustOK(t, s, "stop = true")
}

// TestOutputOrderDirectWrites mixes fmt.Println with writes to the os.Stdout *os.File, which
// take another path through the worker: the order holds.
func TestOutputOrderDirectWrites(t *testing.T) {
	s := newSup(t)
	_, out := mustOK(t, s, `import ("fmt"; "os"; "time")
os.Stdout.WriteString("start\n")
time.Sleep(5 * time.Millisecond)
for i := 0; i < 500; i++ {
	fmt.Println("a", i)
	os.Stdout.WriteString(fmt.Sprintln("b", i))
	fmt.Println("c", i)
}`)
	var want strings.Builder
	want.WriteString("start\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&want, "a %d\nb %d\nc %d\n", i, i, i)
	}
	if out.Stdout() != want.String() {
		t.Fatalf("order broken; first 300 bytes: %q", out.Stdout()[:300])
	}
}

// yaegi v0.16.1 cannot type a global from an element of a compiled package's slice: the error
// says to declare the variable with its type, and that form works.
func TestCompiledIndexHint(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("time"; "github.com/quire-go/quire/executors")
e := executors.Threads(3, func(t *executors.Task) {})`)
	for _, c := range []string{"rec := e.Records[0]", "d1 := e.Records[0].End - e.Records[0].Start"} {
		e, _ := mustErr(t, s, c)
		tb := strings.Join(e.Traceback, "\n")
		if !strings.Contains(tb, "Hint (cell") || !strings.Contains(tb, "declare") || !strings.Contains(tb, "with its type first") {
			t.Errorf("%q: no hint in %q", c, tb)
		}
	}
	got, _ := mustOK(t, s, "var rec executors.TaskRecord; rec = e.Records[0]\nvar d2 time.Duration; d2 = e.Records[0].End - e.Records[0].Start\nrec.End-rec.Start == d2")
	if got != "true" {
		t.Fatalf("typed form: %s", got)
	}
	// A panic of the cell's own code gets no hint.
	e, _ := mustErr(t, s, "var ps []*int\nq := *ps[0]")
	if strings.Contains(strings.Join(e.Traceback, "\n"), "Hint") {
		t.Errorf("hint on a user panic: %q", e.Traceback)
	}
}

// displays returns the display events the Output received.
func (f *fakeOut) displays() []string {
	var out []string
	for _, e := range f.events() {
		if strings.HasPrefix(e, "display:") {
			out = append(out, e)
		}
	}
	return out
}
