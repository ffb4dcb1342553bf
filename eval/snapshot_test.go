package eval

import (
	"context"
	"strings"
	"testing"
)

// TestSnapshotRestore: after a crash, variables of plain data (numbers, strings, bools and
// slices, arrays and maps of them) have the values they had after the last cell that ran
// without error; the message names them, and the variables it could not restore (issue 12,
// item 5).
func TestSnapshotRestore(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("fmt"; "time")
type Celsius float64
type ints []int
n := 41
var names = []string{"a"}
m := map[string][]int{"k": {1}}
var temp Celsius = 3
c := Celsius(2)
xs := ints{1}
var grid [2][2]float64
f := 0.1
nan := 0.0
ptr := &n
big := uint64(1) << 63`)
	mustOK(t, s, `n++
names = append(names, "b\n\"q\"")
m["j"] = []int{2, 3}
temp = 5.5
c = 4
grid[1][0] = 2.5
f = f * 3
nan = nan / nan
_ = ptr`)
	// This cell fails: its changes are not in the snapshot.
	mustErr(t, s, "n = 100\npanic(\"no\")")
	e, _ := mustErr(t, s, `go func() { panic("boom") }()
time.Sleep(2 * time.Second)`)
	tb := strings.Join(e.Traceback, "\n")
	for _, want := range []string{
		"restored to their value after the last cell that ran without error: big, f, grid, m, n, names, temp.",
		"Lost variables: c, nan, ptr, xs.",
	} {
		if !strings.Contains(tb, want) {
			t.Errorf("traceback lacks %q:\n%s", want, tb)
		}
	}
	if _, out := mustOK(t, s, `fmt.Printf("%d %q %v %v %v %v %v %v", n, names, m, temp, temp+1, grid, f, big)`); out.Stdout() != `42 ["a" "b\n\"q\""] map[j:[2 3] k:[1]] 5.5 6.5 [[0 0] [2.5 0]] 0.30000000000000004 9223372036854775808` {
		t.Errorf("restored values: %s", out.Stdout())
	}
	// A restart the user asks for starts from the declarations.
	if _, err := (&magicEnv{s: s}).Restart(context.Background()); err != nil {
		t.Fatalf("restart: %v", err)
	}
	if got, _ := mustOK(t, s, "len(names)"); got != "1" {
		t.Errorf("after %%restart len(names) = %s", got)
	}
}

// TestNestedStringWarns: where fmt cannot be given the String or Error method of a cell's
// type nested in an argument (%#v, a map keyed by the type), the cell says so, once per type
// (issue 12, item 4); elsewhere fmt prints what Go prints (testdata/semantics).
func TestNestedStringWarns(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import "fmt"
type P struct{ N string }
func (p P) String() string { return "P(" + p.N + ")" }`)
	_, out := mustOK(t, s, `fmt.Println([]P{{"b"}})
x := fmt.Sprintf("%#v", []P{{"c"}})
fmt.Println(len(map[P]int{{"k"}: 1}))
y := fmt.Sprint(map[P]int{{"k"}: 1}, []P{{"d"}})
_, _ = x, y`)
	if got := out.Stdout(); got != "[P(b)]\n1\n" {
		t.Errorf("stdout %q", got)
	}
	w := "quire: fmt.Sprintf does not call the String method of the P values inside a slice, map, struct or pointer here (Go does)"
	if strings.Count(out.Stderr(), "does not call the String method") != 1 || !strings.Contains(out.Stderr(), w) {
		t.Errorf("stderr %q: want once %q", out.Stderr(), w)
	}
}

// TestSnapshotSkipsMapsWhileGoroutinesRun: while a goroutine of a cell still runs, the
// snapshot leaves maps out (reading one that goroutine writes would end the worker), and the
// crash message says the map is lost; the first cell of a session counts too.
func TestSnapshotSkipsMapsWhileGoroutinesRun(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, "import \"time\"\nm := map[int]int{}\ngo func() {\n\tfor {\n\t\tm[1]++\n\t\ttime.Sleep(time.Millisecond)\n\t}\n}()")
	mustOK(t, s, "n := 1\nk := map[string]int{\"a\": 1}")
	e, _ := mustErr(t, s, "go func() { panic(\"boom\") }()\ntime.Sleep(2 * time.Second)")
	tb := strings.Join(e.Traceback, "\n")
	if !strings.Contains(tb, "restored to their value after the last cell that ran without error: n.") ||
		!strings.Contains(tb, "Lost variables: k, m.") {
		t.Errorf("traceback:\n%s", tb)
	}
}
