package yaegitest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/executors"
	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// yaegiSymbols is a hand-written subset of what `yaegi extract` generates for this package.
var yaegiSymbols = interp.Exports{
	"github.com/quire-go/quire/executors/executors": {
		"Threads":          reflect.ValueOf(executors.Threads),
		"GILThreads":       reflect.ValueOf(executors.GILThreads),
		"Gather":           reflect.ValueOf(executors.Gather),
		"Sequential":       reflect.ValueOf(executors.Sequential),
		"Processes":        reflect.ValueOf(executors.Processes),
		"Compare":          reflect.ValueOf(executors.Compare),
		"Each":             reflect.ValueOf(executors.Each),
		"Repeat":           reflect.ValueOf(executors.Repeat),
		"Call":             reflect.ValueOf(executors.Call),
		"Func":             reflect.ValueOf(executors.Func),
		"Sleep":            reflect.ValueOf(executors.Sleep),
		"NewThreadPool":    reflect.ValueOf(executors.NewThreadPool),
		"ReturnExceptions": reflect.ValueOf(executors.ReturnExceptions),
		"WithContext":      reflect.ValueOf(executors.WithContext),
		"Task":             reflect.ValueOf((*executors.Task)(nil)),
		"Report":           reflect.ValueOf((*executors.Report)(nil)),
		"Model":            reflect.ValueOf((*executors.Model)(nil)),
		"Future":           reflect.ValueOf((*executors.Future)(nil)),
		"Named":            reflect.ValueOf((*executors.Named)(nil)),
	},
}

// yaegiHost stands in for the kernel's host: it names interpreted functions by Named only.
type yaegiHost struct{}

func (yaegiHost) Command(ctx context.Context) (*exec.Cmd, error) {
	return nil, errors.New("no child processes in this test")
}

func (yaegiHost) NameOf(fn any) (string, error) {
	return "", errors.New("executors: cannot run an interpreted function passed without its name; wrap it with executors.Func(\"name\", fn)")
}

func newInterp(t *testing.T) (*interp.Interpreter, *bytes.Buffer) {
	t.Helper()
	var stderr bytes.Buffer
	i := interp.New(interp.Options{Stderr: &stderr})
	if err := i.Use(stdlib.Symbols); err != nil {
		t.Fatal(err)
	}
	if err := i.Use(yaegiSymbols); err != nil {
		t.Fatal(err)
	}
	if _, err := i.Eval(`import ("errors"; "time"; "github.com/quire-go/quire/executors")`); err != nil {
		t.Fatal(err)
	}
	return i, &stderr
}

func evalReport(t *testing.T, i *interp.Interpreter, src string) *executors.Report {
	t.Helper()
	v, err := i.Eval(src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	r, ok := v.Interface().(*executors.Report)
	if !ok {
		t.Fatalf("%s returned %T", src, v.Interface())
	}
	return r
}

// Interpreted functions, passed as `any`, run under every in-process model.
func TestInterpretedFunctions(t *testing.T) {
	i, stderr := newInterp(t)
	_, err := i.Eval(`
func worker(t *executors.Task, name string) string {
	t.Sleep(200 * time.Millisecond)
	return "done " + name
}
func fail(t *executors.Task) error { t.Sleep(50 * time.Millisecond); return errors.New("bad") }
func long(t *executors.Task) { t.Sleep(10 * time.Second); println("must not print") }
func boom() { var m map[string]int; m["x"] = 1 }`)
	if err != nil {
		t.Fatal(err)
	}
	r := evalReport(t, i, `executors.Threads(executors.Each(worker, "A", "B", "C"))`)
	if r.Err != nil || r.Results[2] != "done C" {
		t.Fatalf("threads: %v %v", r.Err, r.Results)
	}
	within(t, "interpreted threads", r.Wall, unit, 2*unit)

	r = evalReport(t, i, `executors.Gather(executors.Each(executors.Func("worker", worker), "x", "y"))`)
	if r.Err != nil || r.Results[1] != "done y" {
		t.Fatalf("gather: %v %v", r.Err, r.Results)
	}
	within(t, "interpreted gather", r.Wall, unit, 2*unit)
	assertOneAtATime(t, r)

	// The first error cancels an interpreted coroutine at its await point, silently.
	stderr.Reset()
	r = evalReport(t, i, `executors.Gather(fail, long)`)
	if r.Err == nil || !errors.Is(r.Records[1].Err, executors.ErrCancelled) || r.Wall > 5*unit {
		t.Errorf("gather cancel: %v, %v, %v", r.Err, r.Records[1].Err, r.Wall)
	}
	if s := stderr.String(); strings.Contains(s, "panic") || strings.Contains(s, "must not") {
		t.Errorf("cancellation wrote to stderr: %q", s)
	}

	// A runtime panic in interpreted code becomes the task's error.
	r = evalReport(t, i, `executors.Threads(boom)`)
	var pe *executors.PanicError
	if !errors.As(r.Records[0].Err, &pe) || !strings.Contains(pe.Error(), "nil map") {
		t.Errorf("interpreted panic: %v", r.Records[0].Err)
	}

	r = evalReport(t, i, `executors.Compare(executors.Repeat(2, executors.Sleep(200*time.Millisecond)), executors.Sequential, executors.Threads).Reports[1]`)
	if r.Model != "Threads" || r.Speedup < 1.3 {
		t.Errorf("compare through yaegi: %v", r)
	}
}

// Processes refuse interpreted functions that come without a name, and say how to fix it.
func TestInterpretedClosureRefused(t *testing.T) {
	executors.SetProcessHost(yaegiHost{})
	defer executors.SetProcessHost(nil)
	i, _ := newInterp(t)
	r := evalReport(t, i, `executors.Processes(func() {})`)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "executors.Func") {
		t.Errorf("err = %v", r.Err)
	}
}

const unit = 200 * time.Millisecond

func within(t *testing.T, what string, got, lo, hi time.Duration) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s took %v, want between %v and %v", what, got, lo, hi)
	}
}

// assertOneAtATime checks the event loop's invariant: no two coroutines ran at the same time.
func assertOneAtATime(t *testing.T, r *executors.Report) {
	t.Helper()
	var spans []executors.Span
	for _, rec := range r.Records {
		spans = append(spans, rec.Spans...)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start < spans[j].Start })
	for i := 1; i < len(spans); i++ {
		if spans[i].Start < spans[i-1].End {
			t.Fatalf("coroutines ran at the same time: %v and %v", spans[i-1], spans[i])
		}
	}
}

func TestMain(m *testing.M) {
	os.Unsetenv(executors.ScaleEnv) // these tests assert real times
	executors.SetProgressDelay(-1)
	os.Exit(m.Run())
}
