package kernel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
)

// fakeBackend interprets a tiny command language, one command per cell:
//
//	print TEXT        stdout TEXT + "\n"
//	eprint TEXT       stderr TEXT + "\n"
//	lines N           N separate Stream calls "line i\n"
//	value TEXT        result text/plain TEXT
//	sleep DUR         wait DUR (interruptible)
//	spin DUR          burn CPU for DUR (interruptible)
//	fail MSG          error TestError: MSG
//	sleepfail DUR     sleep DUR, then fail
//	input PROMPT      ask for input, print "got: VALUE" (or the error on stderr)
//	panic             panic in Execute
//	display           display_data with id "d1", update_display_data, clear_output
//	mixed             stdout a, stderr b, display c, stdout d, stdout e
//	printsleep T DUR  stdout T, then sleep DUR
//	late              return at once; a goroutine prints "late\n" 50 ms later
type fakeBackend struct {
	executed  atomic.Int64
	interrupt chan struct{}
	mu        sync.Mutex
	codes     []string
	shutdowns []bool
	started   []string      // the cells that have started, after dropping an idle interrupt
	changed   chan struct{} // closed (and replaced) when a cell starts
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{interrupt: make(chan struct{}, 1), changed: make(chan struct{})}
}

// waitStarted returns once a cell of this code has started running (an interrupt sent from
// then on reaches it), and fails the test after a generous deadline. Tests use it instead of
// sleeping "long enough for the cell to start".
func (f *fakeBackend) waitStarted(t testing.TB, code string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		f.mu.Lock()
		ok, ch := slices.Contains(f.started, code), f.changed
		f.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("the cell %q did not start; started: %q", code, f.Started())
		}
	}
}

// Started returns the cells that have started, in order.
func (f *fakeBackend) Started() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.started...)
}

func (f *fakeBackend) Info() backend.Info {
	return backend.Info{
		Implementation:        "fake",
		ImplementationVersion: "0.1",
		Banner:                "fake backend for tests",
		Language: backend.LanguageInfo{
			Name: "fake", Version: "1.0", MIMEType: "text/x-fake", FileExtension: ".fake",
		},
		HelpLinks: []backend.HelpLink{{Text: "Fake", URL: "https://example.com/fake"}},
	}
}

func (f *fakeBackend) Codes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.codes...)
}

func (f *fakeBackend) Shutdowns() []bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.shutdowns...)
}

// goProfile maps the cells of /work/shared/bench/profiles/go.json to fake commands, so that
// kbench.py can measure the kernel layer alone.
var goProfile = map[string]string{
	"import (\n\t\"fmt\"\n\t\"sync\"\n\t\"time\"\n)": "ok",
	"1+1": "value 2",
	"for i := 0; i < 100000; i++ {\n\tfmt.Println(i)\n}": "numbers 100000",
	"for {\n}": "spin 1h",
}

var errInterrupted = &backend.Error{Name: "KeyboardInterrupt", Value: "interrupted"}

// wait sleeps d unless interrupted or ctx ends.
func (f *fakeBackend) wait(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-f.interrupt:
		return errInterrupted
	case <-ctx.Done():
		return ctx.Err()
	}
}

func errResult(err error) backend.ExecuteResult {
	var be *backend.Error
	if errors.As(err, &be) {
		return backend.ExecuteResult{Status: backend.StatusError, Error: be}
	}
	return backend.ExecuteResult{Status: backend.StatusError, Error: &backend.Error{Name: "Error", Value: err.Error()}}
}

func (f *fakeBackend) Execute(ctx context.Context, req backend.ExecuteRequest, out backend.Output) backend.ExecuteResult {
	f.executed.Add(1)
	f.mu.Lock()
	f.codes = append(f.codes, req.Code)
	f.mu.Unlock()
	// Drop an interrupt that arrived while idle.
	select {
	case <-f.interrupt:
	default:
	}
	f.mu.Lock()
	f.started = append(f.started, req.Code)
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
	code := req.Code
	if c, ok := goProfile[code]; ok {
		code = c
	}
	cmd, arg, _ := strings.Cut(code, " ")
	switch cmd {
	case "print":
		out.Stream("stdout", arg+"\n")
	case "eprint":
		out.Stream("stderr", arg+"\n")
	case "lines":
		n, _ := strconv.Atoi(arg)
		for i := range n {
			out.Stream("stdout", "line "+strconv.Itoa(i)+"\n")
		}
	case "numbers":
		n, _ := strconv.Atoi(arg)
		for i := range n {
			out.Stream("stdout", strconv.Itoa(i)+"\n")
		}
	case "ok":
	case "value":
		return backend.ExecuteResult{Status: backend.StatusOK, Result: &backend.Display{Data: backend.Bundle{"text/plain": arg}}}
	case "sleep", "sleepfail":
		d, _ := time.ParseDuration(arg)
		if err := f.wait(ctx, d); err != nil {
			return errResult(err)
		}
		if cmd == "sleepfail" {
			return errResult(&backend.Error{Name: "TestError", Value: "failed after sleep", Traceback: []string{"line 1"}})
		}
	case "spin":
		d, _ := time.ParseDuration(arg)
		end := time.Now().Add(d)
		x := 0
		for time.Now().Before(end) {
			for i := range 10000 {
				x += i
			}
			select {
			case <-f.interrupt:
				return errResult(errInterrupted)
			default:
			}
		}
		_ = x
	case "fail":
		return errResult(&backend.Error{Name: "TestError", Value: arg, Traceback: []string{"TestError: " + arg}})
	case "input":
		v, err := out.Input(ctx, arg, false)
		if err != nil {
			out.Stream("stderr", "input error: "+err.Error()+"\n")
			return errResult(err)
		}
		out.Stream("stdout", "got: "+v+"\n")
	case "panic":
		panic("fake backend panic")
	case "display":
		out.Display(backend.Display{Data: backend.Bundle{"text/plain": "v1"}, ID: "d1"})
		out.Display(backend.Display{Data: backend.Bundle{"text/plain": "v2"}, ID: "d1", Update: true})
		out.ClearOutput(true)
	case "mixed":
		out.Stream("stdout", "a\n")
		out.Stream("stderr", "b\n")
		out.Display(backend.Display{Data: backend.Bundle{"text/plain": "c"}})
		out.Stream("stdout", "d\n")
		out.Stream("stdout", "e\n")
	case "printsleep":
		text, dur, _ := strings.Cut(arg, " ")
		out.Stream("stdout", text+"\n")
		d, _ := time.ParseDuration(dur)
		if err := f.wait(ctx, d); err != nil {
			return errResult(err)
		}
	case "late":
		go func() {
			time.Sleep(50 * time.Millisecond)
			out.Stream("stdout", "late\n")
		}()
	default:
		return errResult(fmt.Errorf("unknown fake command %q", cmd))
	}
	return backend.ExecuteResult{Status: backend.StatusOK}
}

func (f *fakeBackend) Complete(ctx context.Context, code string, cursor int) (backend.CompleteResult, error) {
	if code == "err" {
		return backend.CompleteResult{}, &backend.Error{Name: "CompleteError", Value: "no"}
	}
	return backend.CompleteResult{Matches: []string{"fmt.Println", "fmt.Printf"}, CursorStart: 0, CursorEnd: cursor}, nil
}

func (f *fakeBackend) Inspect(ctx context.Context, code string, cursor, detail int) (backend.InspectResult, error) {
	return backend.InspectResult{Found: true, Data: backend.Bundle{"text/plain": "doc of " + code}}, nil
}

func (f *fakeBackend) IsComplete(ctx context.Context, code string) (backend.IsCompleteResult, error) {
	if strings.HasSuffix(code, "{") {
		return backend.IsCompleteResult{Status: backend.Incomplete, Indent: "\t"}, nil
	}
	return backend.IsCompleteResult{Status: backend.Complete}, nil
}

func (f *fakeBackend) Interrupt() error {
	select {
	case f.interrupt <- struct{}{}:
	default:
	}
	return nil
}

func (f *fakeBackend) Shutdown(_ context.Context, restart bool) error {
	if restart {
		time.Sleep(30 * time.Millisecond) // a restart takes a while, as a worker's start does
	}
	f.mu.Lock()
	f.shutdowns = append(f.shutdowns, restart)
	f.mu.Unlock()
	select {
	case f.interrupt <- struct{}{}:
	default:
	}
	return nil
}
