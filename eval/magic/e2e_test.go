package magic

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval"
	"github.com/quire-go/quire/eval/worker"
)

const workerEnv = "QUIRE_MAGIC_TEST_WORKER"

// TestMain lets the test binary act as the Go worker (as package eval's tests do).
func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		os.Exit(worker.Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// newSup starts a Supervisor whose Magics are New(opts).
func newSup(t testing.TB, opts Options) (*eval.Supervisor, *Magics) {
	t.Helper()
	mg := New(opts)
	s, err := eval.NewSupervisor(eval.Options{
		WorkerCommand: func(ctx context.Context, args ...string) *exec.Cmd {
			cmd := exec.CommandContext(ctx, os.Args[0], args...)
			cmd.Env = append(os.Environ(), workerEnv+"=1")
			return cmd
		},
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		MemoryLimit: 2 << 30,
		GoPath:      "-",
		Magics:      mg,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background(), false) })
	if err := s.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, mg
}

func execute(t testing.TB, s *eval.Supervisor, code string) (backend.ExecuteResult, *fakeOut) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out := &fakeOut{}
	return s.Execute(ctx, backend.ExecuteRequest{Code: code}, out), out
}

func mustRun(t *testing.T, s *eval.Supervisor, code string) (backend.ExecuteResult, *fakeOut) {
	t.Helper()
	r, out := execute(t, s, code)
	if r.Status != backend.StatusOK {
		t.Fatalf("cell %q: %+v\nstdout %q\nstderr %q", code, r.Error, out.stdout(), out.stderr())
	}
	return r, out
}

var timeitLine = regexp.MustCompile(`^([0-9.e+]+) (ns|µs|ms|s) ± ([0-9.e+]+) (ns|µs|ms|s) per loop \(mean ± std\. dev\. of (\d+) runs?, ([0-9,]+) loops? each\)\n$`)

// lastLine returns the last line of s (with its newline): %timeit may warn on a line before.
func lastLine(s string) string {
	t := strings.TrimSuffix(s, "\n")
	return s[strings.LastIndex(t, "\n")+1:]
}

func seconds(v, unit string) float64 {
	f, _ := strconv.ParseFloat(v, 64)
	return f / map[string]float64{"ns": 1e9, "µs": 1e6, "ms": 1e3, "s": 1}[unit]
}

func TestE2ETimeit(t *testing.T) {
	s, _ := newSup(t, Options{})
	_, out := mustRun(t, s, "%timeit 1+1")
	m := timeitLine.FindStringSubmatch(lastLine(out.stdout()))
	if m == nil {
		t.Fatalf("%%timeit output: %q", out.stdout())
	}
	mean := seconds(m[1], m[2])
	loops, _ := strconv.Atoi(strings.ReplaceAll(m[6], ",", ""))
	t.Logf("%%timeit 1+1: %s", strings.TrimSpace(out.stdout()))
	if mean < 1e-9 || mean > 1e-3 || m[5] != "7" || loops < 1000 {
		t.Fatalf("implausible: mean %v s, runs %s, loops %d", mean, m[5], loops)
	}
	// Explicit -n/-r; nothing declared leaks into the session.
	_, out = mustRun(t, s, "%timeit -n 10 -r 2 x := make([]int, 100); _ = x")
	if m := timeitLine.FindStringSubmatch(lastLine(out.stdout())); m == nil || m[5] != "2" || m[6] != "10" {
		t.Fatalf("-n 10 -r 2: %q", out.stdout())
	}
	_, out = mustRun(t, s, "%%timeit -n 5 -r 1 s := []int{3, 1, 2}\n_ = len(s)")
	if m := timeitLine.FindStringSubmatch(lastLine(out.stdout())); m == nil || m[5] != "1" || m[6] != "5" {
		t.Fatalf("%%%%timeit: %q", out.stdout())
	}
	_, out = mustRun(t, s, "%who")
	if got := out.stdout(); got != "Interactive namespace is empty.\n" {
		t.Fatalf("declarations leaked: %q", got)
	}
	// A compile error in the statement is the cell's error.
	if r, _ := execute(t, s, "%timeit undefinedThing()"); r.Status != backend.StatusError {
		t.Fatalf("undefined: %+v", r)
	}
}

var timeLines = regexp.MustCompile(`^CPU times: user ([0-9.e+]+) (ns|µs|ms|s), sys: ([0-9.e+]+) (ns|µs|ms|s), total: ([0-9.e+]+) (ns|µs|ms|s)\nWall time: ([0-9.e+]+) (ns|µs|ms|s)\n$`)

func TestE2ETime(t *testing.T) {
	s, _ := newSup(t, Options{})
	mustRun(t, s, `import "time"`)
	_, out := mustRun(t, s, "%time time.Sleep(100*time.Millisecond)")
	m := timeLines.FindStringSubmatch(out.stdout())
	if m == nil {
		t.Fatalf("%%time output: %q", out.stdout())
	}
	t.Logf("%%time sleep: %q", out.stdout())
	if wall := seconds(m[7], m[8]); wall < 0.090 || wall > 1 {
		t.Fatalf("wall %v s", wall)
	}
	if total := seconds(m[5], m[6]); total > 0.09 {
		t.Fatalf("sleeping used %v s of CPU", total)
	}
	// CPU-bound code (a fixed amount of work, so the CPU time does not depend on the machine's
	// load): some CPU time, not more than the wall time. The value is shown; declarations stay.
	r, out := mustRun(t, s, "%%time\nn := 0\nfor i := 0; i < 3000000; i++ {\n\tn += i & 1\n}\nn > 0")
	m = timeLines.FindStringSubmatch(out.stdout())
	if m == nil || r.Result == nil || r.Result.Data["text/plain"] != "true" {
		t.Fatalf("%%%%time: %q %+v", out.stdout(), r.Result)
	}
	t.Logf("%%%%time busy loop: %q", out.stdout())
	if total, wall := seconds(m[5], m[6]), seconds(m[7], m[8]); total < 0.02 || total > wall+0.2 {
		t.Fatalf("busy loop: CPU %v s, wall %v s", total, wall)
	}
	if _, out := mustRun(t, s, "%who var"); out.stdout() != "n\n" {
		t.Fatalf("%%who var: %q", out.stdout())
	}
}

func TestE2EShell(t *testing.T) {
	s, _ := newSup(t, Options{})
	_, out := mustRun(t, s, "!echo hi")
	if got := out.events(); strings.Join(got, "|") != "stdout:hi\n" {
		t.Fatalf("!echo hi: %q", got)
	}
	r, out := execute(t, s, "%%bash\necho before\necho oops >&2\nexit 3")
	if r.Status != backend.StatusError || r.Error.Name != "CalledProcessError" ||
		r.Error.Value != "Command 'echo before\necho oops >&2\nexit 3' returned non-zero exit status 3." {
		t.Fatalf("%%%%bash exit 3: %+v", r.Error)
	}
	if out.stdout() != "before\n" || out.stderr() != "oops\n" {
		t.Fatalf("%%%%bash output: %q %q", out.stdout(), out.stderr())
	}
	// %go get reports the supervisor's error (these tests disable it with GoPath "-").
	r, _ = execute(t, s, "%go get golang.org/x/sync@v0.7.0")
	if r.Error == nil || r.Error.Name != "GoGetError" || !strings.Contains(r.Error.Value, "%go get is disabled") {
		t.Fatalf("%%go get: %+v", r.Error)
	}
	// A line magic followed by Go code.
	r, out = mustRun(t, s, "!echo one\nx := 40\nx + 2")
	if out.stdout() != "one\n" || r.Result == nil || r.Result.Data["text/plain"] != "42" {
		t.Fatalf("mixed cell: %q %+v", out.stdout(), r.Result)
	}
}

func TestE2EEnvCdWritefile(t *testing.T) {
	s, _ := newSup(t, Options{})
	t.Cleanup(func() { os.Unsetenv("QUIRE_MAGIC_E2E") })
	_, out := mustRun(t, s, "%env QUIRE_MAGIC_E2E=hello world")
	if out.stdout() != "env: QUIRE_MAGIC_E2E=hello world\n" {
		t.Fatalf("%%env set: %q", out.stdout())
	}
	if os.Getenv("QUIRE_MAGIC_E2E") != "hello world" {
		t.Fatal("not set in the kernel process")
	}
	mustRun(t, s, `import "os"`)
	if r, _ := mustRun(t, s, `os.Getenv("QUIRE_MAGIC_E2E")`); r.Result.Data["text/plain"] != `"hello world"` {
		t.Fatalf("worker env: %v", r.Result.Data)
	}
	if _, out := mustRun(t, s, "!echo $QUIRE_MAGIC_E2E"); out.stdout() != "hello world\n" {
		t.Fatalf("shell env: %q", out.stdout())
	}
	if _, out := mustRun(t, s, "%env QUIRE_MAGIC_E2E"); out.stdout() != "hello world\n" {
		t.Fatalf("%%env NAME: %q", out.stdout())
	}
	if _, out := mustRun(t, s, "%env"); !strings.Contains(out.stdout(), "\nQUIRE_MAGIC_E2E=hello world\n") {
		t.Fatalf("%%env list lacks the variable")
	}

	dir := t.TempDir()
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	if _, out := mustRun(t, s, "%cd "+dir); out.stdout() != dir+"\n" {
		t.Fatalf("%%cd: %q", out.stdout())
	}
	if r, _ := mustRun(t, s, "func() string { d, _ := os.Getwd(); return d }()"); r.Result.Data["text/plain"] != strconv.Quote(dir) {
		t.Fatalf("worker cwd: %v", r.Result.Data)
	}
	if _, out := mustRun(t, s, "%%writefile notes.txt\nline 1"); out.stdout() != "Writing notes.txt\n" {
		t.Fatalf("%%%%writefile: %q", out.stdout())
	}
	if _, out := mustRun(t, s, "%%writefile -a notes.txt\nline 2\n"); out.stdout() != "Appending to notes.txt\n" {
		t.Fatalf("%%%%writefile -a: %q", out.stdout())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(b) != "line 1\nline 2\n" {
		t.Fatalf("file: %q", b)
	}
	if r, _ := mustRun(t, s, `func() string { b, _ := os.ReadFile("notes.txt"); return string(b) }()`); r.Result.Data["text/plain"] != `"line 1\nline 2\n"` {
		t.Fatalf("worker reads the file: %v", r.Result.Data)
	}
	if _, out := mustRun(t, s, "!cat notes.txt"); out.stdout() != "line 1\nline 2\n" {
		t.Fatalf("!cat: %q", out.stdout())
	}
}

func TestE2EWho(t *testing.T) {
	s, _ := newSup(t, Options{})
	mustRun(t, s, "import \"fmt\"\nconst limit = 10\ntype Point struct{ X, Y int }\nfunc (p Point) String() string { return fmt.Sprint(p.X, p.Y) }\nfunc double(x int) int { return 2 * x }\nxs := []int{1, 2, 3}\nname := \"gopher\"")
	_, out := mustRun(t, s, "%who")
	if got := out.stdout(); got != "Point\tPoint.String\tdouble\tlimit\tname\txs\n" {
		t.Fatalf("%%who: %q", got)
	}
	_, out = mustRun(t, s, "%whos")
	want := `Name           Kind     Type     Value/Info
---------------------------------------------------------------
Point          type              type Point struct{ X, Y int }
Point.String   method            func (p Point) String() string
double         func              func double(x int) int
limit          const    int      10
name           var      string   gopher
xs             var      []int    [1 2 3]
`
	if got := out.stdout(); got != want {
		t.Fatalf("%%whos:\n%s\nwant:\n%s", got, want)
	}
	// The helper imports %whos used are not shown; the user's are.
	if _, out := mustRun(t, s, "%who import"); out.stdout() != "fmt\n" {
		t.Fatalf("%%who import: %q", out.stdout())
	}
	_, out = mustRun(t, s, "%reset")
	if !strings.HasPrefix(out.stdout(), "Cleared 7 declarations: import fmt, ") {
		t.Fatalf("%%reset: %q", out.stdout())
	}
	if _, out := mustRun(t, s, "%who"); out.stdout() != "Interactive namespace is empty.\n" {
		t.Fatalf("after reset: %q", out.stdout())
	}
}

func TestE2ETimeitInterrupt(t *testing.T) {
	s, _ := newSup(t, Options{})
	mustRun(t, s, "import \"time\"\nkeep := 5")
	done := make(chan backend.ExecuteResult, 1)
	timing := &fakeOut{}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		done <- s.Execute(ctx, backend.ExecuteRequest{Code: "%timeit println(\"timing\"); time.Sleep(time.Second)"}, timing)
	}()
	// Interrupt once the timed statement runs (it says so first).
	if err := timing.WaitText(30*time.Second, "timing"); err != nil {
		t.Fatalf("the timed statement did not start: %v", err)
	}
	if err := s.Interrupt(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.Error == nil || r.Error.Name != "KeyboardInterrupt" {
			t.Fatalf("%+v", r)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("timeit was not interrupted")
	}
	// The session (and the helper import) was replayed; %timeit works again.
	_, out := mustRun(t, s, "%timeit -n 3 -r 2 time.Sleep(time.Millisecond)")
	if m := timeitLine.FindStringSubmatch(lastLine(out.stdout())); m == nil || seconds(m[1], m[2]) < 0.0009 {
		t.Fatalf("after the interrupt: %q", out.stdout())
	}
	if _, out := mustRun(t, s, "%who"); out.stdout() != "keep\n" && out.stdout() != "Interactive namespace is empty.\n" {
		t.Fatalf("%%who: %q", out.stdout())
	}
}

// The Supervisor's Interrupt, which the kernel calls, also stops a shell command (through
// eval.Magics.Interrupt): there is one interrupt route.
func TestE2EInterruptStopsShell(t *testing.T) {
	s, _ := newSup(t, Options{})
	b := s
	done := make(chan backend.ExecuteResult, 1)
	out := &fakeOut{}
	go func() {
		done <- b.Execute(context.Background(), backend.ExecuteRequest{Code: "!echo started; sleep 60"}, out)
	}()
	if err := waitOut(out, 10*time.Second, func() bool { return out.stdout() == "started\n" }); err != nil {
		t.Fatalf("no output (%v): %q", err, out.events())
	}
	if err := b.Interrupt(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.Error == nil || r.Error.Name != "KeyboardInterrupt" {
			t.Fatalf("%+v", r)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the shell command was not interrupted")
	}
	// The session goes on.
	if r, _ := mustRun(t, s, "1+2"); r.Result.Data["text/plain"] != "3" {
		t.Fatalf("after: %v", r.Result.Data)
	}
}
