package magic

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
)

func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH: compiled cells need the Go toolchain")
	}
}

// TestGoCellSession: compiled cells use the session's declarations, keep their own for later
// compiled cells, show the trailing expression and run the generic standard library.
func TestGoCellSession(t *testing.T) {
	needGo(t)
	s, _ := newSup(t, Options{GoCache: t.TempDir()})
	mustRun(t, s, "import \"strings\"\nfunc shout(s string) string { return strings.ToUpper(s) + \"!\" }\ntype P struct{ X int }\nfunc (p P) String() string { return \"P\" + strings.Repeat(\"*\", p.X) }\nn := 3")
	r, out := mustRun(t, s, "%%go\nimport (\n\t\"fmt\"\n\t\"maps\"\n\t\"slices\"\n)\nm := map[string]int{\"b\": 2, \"a\": 1, \"c\": 3}\nfmt.Println(slices.Sorted(maps.Keys(m)), shout(\"hi\"))\nfunc twice(x int) int { return 2 * x }\nP{twice(2)}")
	if got := out.Text("stdout"); got != "[a b c] HI!\n" {
		t.Errorf("stdout %q", got)
	}
	if r.Result == nil || r.Result.Data["text/plain"] != "P****" {
		t.Errorf("result %+v", r.Result)
	}
	// A later compiled cell sees twice; a void trailing call shows nothing.
	r, out = mustRun(t, s, "%%go\nfunc say(x int) { println(x) }\nsay(twice(21))")
	if r.Result != nil || withoutBuildNotice(out.Text("stderr")) != "42\n" {
		t.Errorf("result %+v, stderr %q", r.Result, out.Text("stderr"))
	}
	// A := variable of the interpreter is not part of the program: the error says why.
	r, _ = execute(t, s, "%%go\nfmt.Println(n)")
	if r.Status != backend.StatusError || !strings.Contains(strings.Join(r.Error.Traceback, "\n"), "n was made with := in an interpreted cell") {
		t.Errorf("want a hint about n: %+v", r.Error)
	}
	if !strings.HasPrefix(r.Error.Value, "cell0.go:2:13: undefined: n") {
		t.Errorf("error position: %q", r.Error.Value)
	}
}

// withoutBuildNotice drops the note a slow build prints (on a loaded machine any build may be).
func withoutBuildNotice(s string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, "quire: compiling the cell") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// TestGoCellErrors: compile errors point at the cell's lines, panics and os.Exit are errors
// with Go's message, and flags are checked.
func TestGoCellErrors(t *testing.T) {
	needGo(t)
	s, _ := newSup(t, Options{GoCache: t.TempDir()})
	r, _ := execute(t, s, "%%go\nx := 1\ny := \"a\" + x")
	if r.Status != backend.StatusError || r.Error.Name != "CompileError" || !strings.HasPrefix(r.Error.Value, "cell0.go:3:6: invalid operation") {
		t.Errorf("compile error: %+v", r.Error)
	}
	r, out := execute(t, s, "%%go\nimport \"fmt\"\nfmt.Println(\"before\")\nvar m map[string]int\nm[\"a\"] = 1")
	if r.Status != backend.StatusError || r.Error.Name != "panic" || r.Error.Value != "assignment to entry in nil map" {
		t.Errorf("panic: %+v", r.Error)
	}
	if !strings.Contains(out.Text("stderr"), "cell0.go:5") || out.Text("stdout") != "before\n" {
		t.Errorf("stdout %q stderr %q", out.Text("stdout"), out.Text("stderr"))
	}
	r, _ = execute(t, s, "%%go\nimport \"os\"\ndefer println(\"deferred\")\nos.Exit(3)")
	if r.Status != backend.StatusError || r.Error.Value != "exit status 3" {
		t.Errorf("os.Exit: %+v", r.Error)
	}
	r, _ = execute(t, s, "%%go -nope\n1")
	if r.Status != backend.StatusError || r.Error.Name != "UsageError" {
		t.Errorf("bad flag: %+v", r.Error)
	}
}

// TestInterpreterSuggestsGoCell: where the interpreter fails and the compiler would not, the
// error suggests %%go, and the cell then runs compiled.
func TestInterpreterSuggestsGoCell(t *testing.T) {
	s, _ := newSup(t, Options{GoCache: t.TempDir()})
	cases := []struct{ code, hint, out string }{
		{"import \"unique\"\nh := unique.Make(\"a\")\nh.Value()", "package unique is Go 1.23; the interpreter's standard library is Go 1.22", `"a"`},
		{"import \"runtime\"\nx := new(int)\nruntime.AddCleanup(x, func(int) {}, 0)\n\"added\"", "runtime.AddCleanup is Go 1.24", `"added"`},
		{"type box struct{ f func(func(int) bool) }\nfunc total(b box) (n int) {\n\tfor x := range b.f {\n\t\tn += x\n\t}\n\treturn\n}\ntotal(box{func(y func(int) bool) { _ = y(1) && y(2) }})", "limit of the Go interpreter", "3"},
	}
	for _, tc := range cases {
		r, _ := execute(t, s, tc.code)
		if r.Status != backend.StatusError || !strings.Contains(strings.Join(r.Error.Traceback, "\n"), tc.hint) || !strings.Contains(strings.Join(r.Error.Traceback, "\n"), "%%go") {
			t.Errorf("%q: want a hint %q suggesting %%%%go, got %+v", tc.code, tc.hint, r.Error)
			continue
		}
		if _, err := exec.LookPath("go"); err != nil {
			continue
		}
		r, out := execute(t, s, "%%go\n"+tc.code)
		if r.Status != backend.StatusOK {
			t.Errorf("%q compiled: %+v\n%s", tc.code, r.Error, out.Text("stderr"))
			continue
		}
		got := ""
		if r.Result != nil {
			got, _ = r.Result.Data["text/plain"].(string)
		}
		if tc.out != "" && got != tc.out {
			t.Errorf("%q compiled: Out %q, want %q", tc.code, got, tc.out)
		}
	}
}

// TestGoCellWithoutToolchain: %%go says clearly that Go is missing; everything else works.
func TestGoCellWithoutToolchain(t *testing.T) {
	s, _ := newSup(t, Options{Go: "no-such-go-for-quire", GoCache: t.TempDir()})
	r, _ := execute(t, s, "%%go\n1 + 1")
	if r.Status != backend.StatusError || r.Error.Name != "GoNotInstalled" || !strings.Contains(r.Error.Value, "needs the Go toolchain") || !strings.Contains(r.Error.Value, "QUIRE_GO") {
		t.Fatalf("want GoNotInstalled, got %+v", r.Error)
	}
	if r, _ := mustRun(t, s, "1 + 1"); r.Result == nil || r.Result.Data["text/plain"] != "2" {
		t.Errorf("interpreted cell after: %+v", r.Result)
	}
}

// TestGoCellPrograms: a whole pasted program runs main like go run; displays keep their order
// with prints; executors' child processes run the cell's own funcs.
func TestGoCellPrograms(t *testing.T) {
	needGo(t)
	s, _ := newSup(t, Options{GoCache: t.TempDir()})
	_, out := mustRun(t, s, "%%go\npackage main\n\nimport \"fmt\"\n\nfunc main() {\n\tdefer fmt.Println(\"deferred\")\n\tfmt.Println(\"main ran\")\n}\n")
	if got := out.Text("stdout"); got != "main ran\ndeferred\n" {
		t.Errorf("whole program: %q", got)
	}
	r, _ := execute(t, s, "%%go\nimport \"os\"\ndefer println(\"deferred\")\nos.Exit(3)")
	if r.Status != backend.StatusError || r.Error.Value != "exit status 3" {
		t.Errorf("os.Exit: %+v", r.Error)
	}
	_, out = mustRun(t, s, "%%go\nimport (\n\t\"fmt\"\n\t\"github.com/quire-go/quire/display\"\n)\nfmt.Println(\"one\")\ndisplay.Show(display.HTML(\"<b>two</b>\"))\nfmt.Println(\"three\")")
	var evs []string
	for _, e := range out.events() {
		if !strings.HasPrefix(e, "stderr:") { // a slow build's notice
			evs = append(evs, e)
		}
	}
	if ev := strings.Join(evs, "|"); ev != "stdout:one\n|display:<b>two</b> html:<b>two</b>|stdout:three\n" {
		t.Errorf("order of prints and displays: %q", ev)
	}
	if len(out.Displays()) != 1 || out.Displays()[0].Data["text/html"] != "<b>two</b>" {
		t.Errorf("display: %+v", out.Displays())
	}
	r, out = mustRun(t, s, "%%go\nimport (\n\t\"os\"\n\t\"github.com/quire-go/quire/executors\"\n)\nfunc square(x int) int { return x * x * os.Getpid() / os.Getpid() }\nrep := executors.Processes(executors.Each(square, 2, 3))\nrep.Results")
	if r.Result == nil || !strings.Contains(r.Result.Data["text/plain"].(string), "4") || !strings.Contains(r.Result.Data["text/plain"].(string), "9") {
		t.Errorf("processes: %+v\n%s", r.Result, out.Text("stderr"))
	}
}

// timedOut records when each stdout chunk arrived.
type timedOut struct {
	fakeOut
	mu    sync.Mutex
	times map[string]time.Time
}

func (o *timedOut) Stream(name, text string) {
	o.mu.Lock()
	if o.times == nil {
		o.times = map[string]time.Time{}
	}
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		o.times[l] = time.Now()
	}
	o.mu.Unlock()
	o.fakeOut.Stream(name, text)
}

// TestGoCellStreamsLive: a compiled cell's output reaches the notebook while it runs.
func TestGoCellStreamsLive(t *testing.T) {
	needGo(t)
	s, _ := newSup(t, Options{GoCache: t.TempDir()})
	code := "%%go\nimport (\n\t\"fmt\"\n\t\"time\"\n)\nfmt.Println(\"first\")\ntime.Sleep(1500 * time.Millisecond)\nfmt.Println(\"second\")"
	mustRun(t, s, code) // build
	out := &timedOut{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r := s.Execute(ctx, backend.ExecuteRequest{Code: code}, out); r.Status != backend.StatusOK {
		t.Fatalf("%+v", r.Error)
	}
	first, second := out.times["first"], out.times["second"]
	if first.IsZero() || second.IsZero() || second.Sub(first) < time.Second {
		t.Errorf("first at %v, second at %v: output was not streamed while the program ran", first, second)
	}
}
