package eval

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/backend/backendtest"
	"github.com/quire-go/quire/eval/worker"
)

const workerEnv = "QUIRE_EVAL_TEST_WORKER"

// TestMain lets the test binary act as the worker, so no separate build is needed.
func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		os.Exit(worker.Main(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func testOptions() Options {
	return Options{
		WorkerCommand: func(ctx context.Context, args ...string) *exec.Cmd {
			cmd := exec.CommandContext(ctx, os.Args[0], args...)
			cmd.Env = append(os.Environ(), workerEnv+"=1")
			return cmd
		},
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		MemoryLimit: 2 << 30,
	}
}

func newSup(t testing.TB) *Supervisor {
	t.Helper()
	s, err := NewSupervisor(testOptions())
	if err != nil {
		t.Fatalf("NewSupervisor: %v", err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background(), false) })
	if err := s.Ready(context.Background()); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	return s
}

func TestBrokenWorkerCommand(t *testing.T) {
	opts := testOptions()
	opts.WorkerCommand = func(ctx context.Context, args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, "/nonexistent/quire", args...)
	}
	s, err := NewSupervisor(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background(), false)
	r, _ := run(t, s, "1+1")
	if r.Error == nil || r.Error.Name != "WorkerError" || !strings.Contains(r.Error.Value, "/nonexistent/quire") {
		t.Fatalf("got %+v", r.Error)
	}
	if c, _ := s.Complete(context.Background(), "fmt.Prin", 8); len(c.Matches) != 3 {
		t.Fatalf("complete without a worker: %v", c.Matches)
	}
}

// fakeOut records what a cell sends; Input answers from Inputs (ErrNoStdin when nil).
type fakeOut struct{ backendtest.Recorder }

// events returns what the Output received, one entry per write (backendtest.Recorder.Log).
func (f *fakeOut) events() []string { return f.Log(false) }

// interruptOnOutput interrupts s once out's stdout has marker, which the cell prints first:
// the interrupt then reaches the cell running, not before it starts, however slow the machine.
// The channel receives the time the interrupt was sent.
func interruptOnOutput(t testing.TB, s *Supervisor, out *fakeOut, marker string) <-chan time.Time {
	sent := make(chan time.Time, 1)
	go func() {
		if err := out.WaitText(30*time.Second, marker); err != nil {
			t.Errorf("before the interrupt: %v", err)
		}
		sent <- time.Now()
		_ = s.Interrupt()
	}()
	return sent
}

// waitOut waits until cond is true, checking each time out receives something, for at most d.
func waitOut(out *fakeOut, d time.Duration, cond func() bool) error { return out.WaitUntil(d, cond) }

func run(t testing.TB, s *Supervisor, code string) (backend.ExecuteResult, *fakeOut) {
	t.Helper()
	out := &fakeOut{}
	return runOut(t, s, code, out), out
}

func runOut(t testing.TB, s *Supervisor, code string, out *fakeOut) backend.ExecuteResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return s.Execute(ctx, backend.ExecuteRequest{Code: code, AllowStdin: out.Inputs != nil}, out)
}

func text(r backend.ExecuteResult) string {
	if r.Result == nil {
		return ""
	}
	s, _ := r.Result.Data["text/plain"].(string)
	return s
}

// mustOK runs code, fails on an error, and returns the shown text.
func mustOK(t testing.TB, s *Supervisor, code string) (string, *fakeOut) {
	t.Helper()
	r, out := run(t, s, code)
	if r.Status != backend.StatusOK {
		t.Fatalf("cell %q: %s: %s\n%s\nstderr: %s", code, r.Error.Name, r.Error.Value, strings.Join(r.Error.Traceback, "\n"), out.Stderr())
	}
	return text(r), out
}

func mustErr(t testing.TB, s *Supervisor, code string) (*backend.Error, *fakeOut) {
	t.Helper()
	r, out := run(t, s, code)
	if r.Status != backend.StatusError || r.Error == nil {
		t.Fatalf("cell %q: want an error, got %s %q (stdout %q)", code, r.Status, text(r), out.Stdout())
	}
	return r.Error, out
}

func TestBasics(t *testing.T) {
	s := newSup(t)
	if got, _ := mustOK(t, s, "1+1"); got != "2" {
		t.Fatalf("1+1 = %q", got)
	}
	got, out := mustOK(t, s, `import "fmt"
fmt.Println("hello")`)
	if got != "" || out.Stdout() != "hello\n" {
		t.Fatalf("Println: shown %q, stdout %q", got, out.Stdout())
	}
	if got, _ := mustOK(t, s, `x := 3
x * 2`); got != "6" {
		t.Fatalf("x*2 = %q", got)
	}
	if got, _ := mustOK(t, s, `"abc"`); got != `"abc"` {
		t.Fatalf("string = %q", got)
	}
	if got, _ := mustOK(t, s, `x = 5`); got != "" {
		t.Fatalf("assignment shows %q", got)
	}
	// A type named T after the prelude's generic helpers (yaegi leaks type parameter names).
	mustOK(t, s, "type T int")
	if got, _ := mustOK(t, s, "T(3) + 1"); got != "4" {
		t.Fatalf("T(3)+1 = %q", got)
	}
}

func TestMultiValueAndRender(t *testing.T) {
	s := newSup(t)
	got, _ := mustOK(t, s, `import "strconv"
func two() (int, string) { return 1, "a" }
two()`)
	if got != `1, "a"` {
		t.Fatalf("two() = %q", got)
	}
	if got, _ := mustOK(t, s, `strconv.Atoi("x")`); !strings.HasPrefix(got, `0, strconv.Atoi: parsing "x": invalid syntax`) {
		t.Fatalf("Atoi = %q", got)
	}
	got, _ = mustOK(t, s, `type Temp float64
func (t Temp) String() string { return strconv.FormatFloat(float64(t), 'f', 1, 64) + "°C" }
Temp(21.5)`)
	if got != "21.5°C" {
		t.Fatalf("Stringer = %q", got)
	}
	r, _ := run(t, s, `type Page string
func (p Page) HTML() string { return "<b>" + string(p) + "</b>" }
func (p Page) String() string { return "page " + string(p) }
Page("x")`)
	if r.Result == nil || r.Result.Data["text/html"] != "<b>x</b>" || r.Result.Data["text/plain"] != "page x" {
		t.Fatalf("HTML+String render: %#v", r.Result)
	}
	got, _ = mustOK(t, s, `type E struct{ m string }
func (e E) Error() string { return "custom: " + e.m }
E{"m"}`)
	if got != "custom: m" {
		t.Fatalf("error render = %q", got)
	}
}

func TestCompileErrorAndPanic(t *testing.T) {
	s := newSup(t)
	e, _ := mustErr(t, s, "y + 1")
	if e.Name != "CompileError" || !strings.Contains(e.Value, "cell") || !strings.Contains(e.Value, "undefined: y") {
		t.Fatalf("compile error: %s %q", e.Name, e.Value)
	}
	e, out := mustErr(t, s, `func inner() { var m map[string]int; m["a"] = 1 }
func outer() { inner() }
outer()`)
	if e.Name != "panic" || !strings.Contains(e.Value, "assignment to entry in nil map") {
		t.Fatalf("panic: %s %q", e.Name, e.Value)
	}
	tb := strings.Join(e.Traceback, "\n")
	if !strings.Contains(tb, "main.inner") || !strings.Contains(tb, ":1:") {
		t.Fatalf("traceback lacks frames:\n%s", tb)
	}
	if strings.Contains(out.Stderr(), "panic: main") {
		t.Fatalf("panic frame lines streamed to stderr: %q", out.Stderr())
	}
	if got, _ := mustOK(t, s, "2+3"); got != "5" {
		t.Fatalf("after panic: %q", got)
	}
}

// blockingOut's Input waits for ctx (an interrupt) instead of answering. It closes asked, when
// set, as it starts waiting.
type blockingOut struct {
	fakeOut
	asked chan struct{}
	once  sync.Once
}

func (b *blockingOut) Input(ctx context.Context, prompt string, password bool) (string, error) {
	if b.asked != nil {
		b.once.Do(func() { close(b.asked) })
	}
	<-ctx.Done()
	return "", ctx.Err()
}

func runOut2(t testing.TB, s *Supervisor, code string, out backend.Output) backend.ExecuteResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return s.Execute(ctx, backend.ExecuteRequest{Code: code, AllowStdin: true}, out)
}

func TestEmptyAndCommentCells(t *testing.T) {
	s := newSup(t)
	for _, code := range []string{"", "   \n", "// just a comment", "/* block */"} {
		if got, _ := mustOK(t, s, code); got != "" {
			t.Fatalf("%q shows %q", code, got)
		}
	}
}

// A worker from another build (another wire protocol) is refused with an error that says so,
// rather than misreading its messages.
func TestWorkerProtocolMismatch(t *testing.T) {
	opts := testOptions()
	opts.WorkerCommand = func(ctx context.Context, args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, "sh", "-c", `echo '{"ev":"ready","pid":1,"proto":1}' >&4; sleep 30`)
	}
	s, err := NewSupervisor(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background(), false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = s.Ready(ctx)
	if err == nil || !strings.Contains(err.Error(), "different builds") {
		t.Fatalf("Ready() = %v, want the protocol mismatch explained", err)
	}
}

// TestHostPlumbingRefused: the setters the worker relies on are refused with an error that says
// why, and output still works afterwards.
func TestHostPlumbingRefused(t *testing.T) {
	s := newSup(t)
	for _, c := range []struct{ code, name string }{
		{`import "github.com/quire-go/quire/display"` + "\ndisplay.SetPublisher(nil)", "display.SetPublisher"},
		{`import "github.com/quire-go/quire/executors"` + "\nexecutors.SetProcessHost(nil)", "executors.SetProcessHost"},
		{`import ("context"; "github.com/quire-go/quire/executors")` + "\nexecutors.SetBaseContext(context.Background())", "executors.SetBaseContext"},
	} {
		e, _ := mustErr(t, s, c.code)
		if !strings.Contains(e.Value, c.name+" is the notebook's own plumbing") {
			t.Errorf("%s: got %s %q", c.name, e.Name, e.Value)
		}
	}
	if _, out := mustOK(t, s, "import \"fmt\"\nfmt.Println(\"still here\")"); !strings.Contains(out.Stdout(), "still here") {
		t.Fatalf("output after the refused calls: %q", out.Stdout())
	}
}
