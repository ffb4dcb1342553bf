// Package worker is the quire worker process: it runs one yaegi interpreter for one kernel
// session and evaluates what the supervisor (package eval, in the kernel process) sends it.
//
// File descriptors (set up by the supervisor, see package wire):
//
//	0  /dev/null (os.Stdin of cells is replaced by a reader that asks the supervisor)
//	1  the user's stdout (a pipe read by the supervisor)
//	2  the Go runtime's own output: crash reports, worker diagnostics (read by the supervisor)
//	3  requests (JSON lines)
//	4  events (JSON lines)
//	5  the user's stderr; the worker sets the os.Stderr variable to it, so host packages and
//	   cells write there while runtime crash dumps stay on fd 2
//	6  the output buffers shared with the supervisor; 7 to 10 the internal pipes of stdout and
//	   stderr (os.Stdout and os.Stderr write there), so output survives a crash (wire.FdShm)
//
// The worker evaluates each request's steps in order under recover; a panic escaping into a
// goroutine, a fatal runtime error or an os.Exit kills the process, which the supervisor sees and
// reports. Every goroutine a cell starts is guarded by the cell rewriter with a deferred
// __quire.GoPanic(recover()): a goroutine panic then ends the worker the way Go ends a program,
// but with the interpreted panic trace already sent.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quire-go/quire/display"
	"github.com/quire-go/quire/display/widget"
	"github.com/quire-go/quire/eval/exports"
	"github.com/quire-go/quire/eval/internal/wire"
	"github.com/quire-go/quire/executors"
	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/unrestricted"
	yaegiunsafe "github.com/traefik/yaegi/stdlib/unsafe"
)

// Environment variables the supervisor passes to the worker.
const (
	EnvMemLimit = wire.EnvMemLimit
	EnvGoPath   = wire.EnvGoPath
	EnvSession  = "QUIRE_TASK_SESSION" // --task mode: file holding the session replay steps
)

// HostImportPath is the import path of the host package the session imports as cell.HostPkg.
const HostImportPath = "quire.host"

// Worker is the state of the worker process.
type Worker struct {
	nested nestedMethods // methods.go
	uses   useNotes      // usenotes.go
	// idleGoroutines is the number of goroutines after the first request (snapshot.go).
	idleGoroutines int
	snapGot        []any // SnapValues' arguments (snapshot.go; the run goroutine only)
	in             *os.File
	evMu           sync.Mutex
	ev             *os.File
	stdout         *outStream // user's stdout: buffered, to fd 1 (nil in --task mode)
	stderr         *outStream // user's stderr: buffered, to fd 5 (nil in --task mode)
	outW           io.Writer  // the interpreter's stdout
	errW           io.Writer  // where non-trace stderr text goes

	nonce   string      // marker nonce (wire.EnvNonce)
	cleanup []func()    // run before a normal exit
	task    bool        // --task mode: a child process of an executor
	session []wire.Step // replay steps for task children

	i      *interp.Interpreter
	syncMu sync.Mutex
	seq    atomic.Uint64

	mu     sync.Mutex
	reqID  uint64
	stdin  bool // the running (or last) request allows stdin
	result map[string]any
	shown  bool
	// deferred holds the running cell's top-level defers (Defer), run when it ends.
	deferred []func()

	inputMu sync.Mutex
	inputCh chan wire.Request

	own       owners       // which request a goroutine works for (output of goroutines outliving a cell)
	cell      *cellRun     // the running request (nil between requests); see osExit
	stepsDone atomic.Int64 // steps of the running request done so far

	dbgState debugState // the debugger (debug.go)

	log *slog.Logger
}

var origStdout, origStderr *os.File

// exitRequest is the panic value of os.Exit and log.Fatal in executors' child processes.
type exitRequest struct{ Code int }

func (e exitRequest) Error() string { return "os.Exit(" + strconv.Itoa(e.Code) + ")" }

type goexitRequest struct{}

func (goexitRequest) Error() string { return "runtime.Goexit() called at top level of a cell" }

// Main runs the worker; args are the arguments after "worker". It returns the exit code.
func Main(args []string) int {
	task := false
	for _, a := range args {
		if a == "--task" {
			task = true
		}
	}
	if task {
		return taskMain()
	}
	w, err := newWorker()
	if err != nil {
		fmt.Fprintln(os.NewFile(2, "stderr"), "quire worker:", err)
		return 1
	}
	w.serve()
	return 0
}

func newWorker() (*Worker, error) {
	// Keep the original *os.File values of fd 1 and 2 reachable: their finalizers would close
	// the descriptors once os.Stdout and os.Stderr point elsewhere.
	origStdout, origStderr = os.Stdout, os.Stderr
	diag := origStderr
	// Requests arrive on fd 3. In non-blocking mode the runtime's poller waits for them, so the
	// goroutine reading them parks instead of sitting in a read system call, and the cell it
	// hands a request to runs at once on the same P (with a blocking read, the hand-off waits
	// for another thread to wake up and steal it, which costs tens of microseconds here).
	_ = syscall.SetNonblock(3, true)
	// The pipes to the supervisor are not for the worker's children (executors, commands a cell
	// runs): a child holding fd 5 would keep the supervisor from seeing the end of the
	// worker's stderr when the worker dies.
	for fd := 3; fd <= 5; fd++ {
		syscall.CloseOnExec(fd)
	}
	w := &Worker{
		in:      os.NewFile(3, "requests"),
		ev:      os.NewFile(4, "events"),
		inputCh: make(chan wire.Request, 1),
		nonce:   os.Getenv(wire.EnvNonce),
		log:     slog.New(slog.NewTextHandler(diag, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	errFile := os.NewFile(5, "stderr")
	if w.in == nil || w.ev == nil || errFile == nil {
		return nil, errors.New("missing pipes: run by the quire kernel only")
	}
	if _, err := errFile.Stat(); err != nil {
		return nil, fmt.Errorf("fd 5: %w (the worker is started by the quire kernel)", err)
	}
	var err error
	if w.stdout, w.stderr, err = sharedStreams(origStdout, errFile); err != nil {
		w.log.Warn("output is not crash-safe", "err", err)
		if w.stdout, err = newOutStream(origStdout, "/dev/stdout"); err != nil {
			return nil, fmt.Errorf("stdout pipe: %w", err)
		}
		if w.stderr, err = newOutStream(errFile, "/dev/stderr"); err != nil {
			return nil, fmt.Errorf("stderr pipe: %w", err)
		}
	}
	w.stdout.tagOwners(w.nonce, w.own.current)
	w.stderr.tagOwners(w.nonce, w.own.current)
	// Compiled code, child processes and cells using the *os.File write into the streams'
	// internal pipes; the runtime's crash reports still go to fd 2.
	os.Stdout, os.Stderr = w.stdout.pw, w.stderr.pw
	w.outW, w.errW = w.stdout, w.stderr
	log.SetOutput(stdLog{w}) // cells' log and log/slog (see logs.go)
	limits(w.memoryExceeded)
	if err := w.newInterp(); err != nil {
		return nil, err
	}
	display.SetPublisher(publisher{w})
	widget.SetTransport(commTransport{w})
	installProcessHost(w)
	return w, nil
}

func (w *Worker) newInterp() error {
	i := interp.New(interp.Options{
		Stdin:        stdinReader{w},
		Stdout:       w.outW,
		Stderr:       &traceWriter{w: w},
		Unrestricted: true,
		GoPath:       os.Getenv(EnvGoPath),
	})
	// The key of the builtin error wrapper is only reachable before source packages exist.
	var errWrap reflect.Value
	func() {
		defer func() { _ = recover() }()
		errWrap = i.Symbols("")[""]["_error"]
	}()
	for _, e := range []interp.Exports{unrestricted.Symbols, stdlib.Symbols, newStdSymbols, yaegiunsafe.Symbols, unsafeFuncs, exports.Symbols} {
		if err := i.Use(e); err != nil {
			return fmt.Errorf("loading symbols: %w", err)
		}
	}
	if err := i.Use(w.overrides()); err != nil {
		return fmt.Errorf("loading overrides: %w", err)
	}
	if err := i.Use(widgetOverrides()); err != nil {
		return fmt.Errorf("loading the widget overrides: %w", err)
	}
	logExp, logTypes := w.logSymbols()
	if err := i.Use(logExp); err != nil {
		return fmt.Errorf("loading the log package: %w", err)
	}
	// The overridden fmt functions need the same interface wrapping (Stringer, Formatter,
	// error) as the originals.
	// fmt.Fprint*(os.Stdout, ...) goes through the same buffer as fmt.Print*, keeping order.
	// (Use with a "fmt/fmt" key would reload yaegi's generic sources: edit the table in place.)
	route := func(wr io.Writer) io.Writer {
		if w.task {
			return wr
		}
		switch wr {
		case io.Writer(w.stdout.pw):
			return w.stdout
		case io.Writer(w.stderr.pw):
			return w.stderr
		}
		return wr
	}
	fmtSyms := i.Symbols("fmt")["fmt"]
	fmtSyms["Fprint"] = reflect.ValueOf(func(wr io.Writer, a ...any) (int, error) { return fmt.Fprint(route(wr), a...) })
	fmtSyms["Fprintf"] = reflect.ValueOf(func(wr io.Writer, f string, a ...any) (int, error) { return fmt.Fprintf(route(wr), f, a...) })
	fmtSyms["Fprintln"] = reflect.ValueOf(func(wr io.Writer, a ...any) (int, error) { return fmt.Fprintln(route(wr), a...) })
	w.checkedFmt(fmtSyms)
	mt := logTypes
	for _, name := range []string{"Print", "Printf", "Println", "Fprint", "Fprintf", "Fprintln", "Sprint", "Sprintf", "Sprintln", "Errorf"} {
		if ts := stdlib.MapTypes[stdlib.Symbols["fmt/fmt"][name]]; ts != nil {
			mt[fmtSyms[name]] = ts
		}
	}
	if err := i.Use(interp.Exports{".": {"MapTypes": reflect.ValueOf(mt)}}); err != nil {
		return fmt.Errorf("loading fmt map types: %w", err)
	}
	host := w.hostSymbols()
	if err := i.Use(host); err != nil {
		return fmt.Errorf("loading host package: %w", err)
	}
	show := host[HostImportPath+"/__quire"]["Show"]
	wrap := host[HostImportPath+"/__quire"]["Wrap"]
	disp := exports.Symbols["github.com/quire-go/quire/display/display"]
	if err := i.Use(mapTypes(errWrap, show, wrap, disp["Show"], disp["Render"])); err != nil {
		return fmt.Errorf("loading map types: %w", err)
	}
	if _, err := w.eval(i, `import __quire "`+HostImportPath+`"`); err != nil {
		return fmt.Errorf("importing host package: %w", err)
	}
	w.i = i
	return nil
}

// overrides replaces process-level escapes (findings §7): os.Exit ends the cell without
// unwinding (see osExit), runtime.Goexit and runtime.Breakpoint panic with errors that end it.
func (w *Worker) overrides() interp.Exports {
	stdinFile := stdinShared(w)
	return interp.Exports{
		"os/os": {
			"Exit":  reflect.ValueOf(w.osExit),
			"Stdin": reflect.ValueOf(&stdinFile).Elem(),
		},
		"runtime/runtime": {
			"Goexit":     reflect.ValueOf(func() { panic(goexitRequest{}) }),
			"Breakpoint": reflect.ValueOf(func() { panic("runtime.Breakpoint() is not supported in a notebook") }),
		},
		// The worker's plumbing stays in place: a cell that tries to replace it gets an error
		// naming why, instead of output or interrupts that silently stop working.
		"github.com/quire-go/quire/display/display": {
			"SetPublisher": reflect.ValueOf(func(display.Publisher) { panic(plumbing("display.SetPublisher")) }),
		},
		"github.com/quire-go/quire/executors/executors": {
			"SetProcessHost": reflect.ValueOf(func(executors.ProcessHost) { panic(plumbing("executors.SetProcessHost")) }),
			"SetBaseContext": reflect.ValueOf(func(context.Context) { panic(plumbing("executors.SetBaseContext")) }),
		},
		"github.com/quire-go/quire/display/widget/widget": {
			"SetTransport": reflect.ValueOf(func(widget.Transport) {}),
			"SetMessageID": reflect.ValueOf(func(string) {}),
		},
	}
}

// plumbing is the error of a cell calling one of the worker's host-only setters.
func plumbing(name string) error {
	return fmt.Errorf("%s is the notebook's own plumbing and cannot be called from a cell (interrupts, output and process tasks depend on it)", name)
}

// hostSymbols is the host package imported as __quire, plus the user-facing package "quire".
func (w *Worker) hostSymbols() interp.Exports {
	return interp.Exports{
		HostImportPath + "/__quire": {
			"Show": reflect.ValueOf(w.show),
			// Wrap returns v with its display methods kept (see render.go), for compiled
			// methods that take any (display.Handle.Update), where yaegi does not wrap.
			"Wrap":    reflect.ValueOf(func(v any) any { return v }),
			"GoPanic": reflect.ValueOf(w.goPanic),
			// NoteMethod: the String or Error method of a type declared in a cell (methods.go).
			"NoteMethod": reflect.ValueOf(w.noteMethod),
			// SnapValues receives pointers to the variables of a snapshot (snapshot.go).
			"SnapValues": reflect.ValueOf(func(ps ...any) { w.snapGot = ps }),
			"Defer":      reflect.ValueOf(w.deferCall),
		},
		"quire/quire": {
			"Input":    reflect.ValueOf(func(prompt string) (string, error) { return w.input(prompt, false) }),
			"Password": reflect.ValueOf(func(prompt string) (string, error) { return w.input(prompt, true) }),
		},
	}
}

// show receives the values of a cell's trailing expression.
func (w *Worker) show(vs ...any) {
	b := renderValues(vs)
	w.mu.Lock()
	w.result, w.shown = b, true
	w.mu.Unlock()
}

// deferCall registers a top-level defer of the running cell (see eval/cell's topDefer).
func (w *Worker) deferCall(f func()) {
	w.mu.Lock()
	w.deferred = append(w.deferred, f)
	w.mu.Unlock()
}

// runDeferred runs the cell's top-level defers, last first, when its steps are done (also
// after an error, as Go runs defers while a panic unwinds). A panic in one is the cell's error
// unless the cell already failed; the remaining defers still run.
func (w *Worker) runDeferred(ev *wire.Event) {
	for {
		w.mu.Lock()
		n := len(w.deferred)
		if n == 0 {
			w.mu.Unlock()
			return
		}
		f := w.deferred[n-1]
		w.deferred = w.deferred[:n-1]
		w.mu.Unlock()
		func() {
			defer func() {
				if r := recover(); r != nil && ev.Error == nil {
					ev.Error = toError(interp.Panic{Value: r})
				}
			}()
			f()
		}()
	}
}

// goPanic is deferred in every goroutine a cell starts. A panic there ends the program in Go;
// here it ends the worker, after telling the supervisor what happened.
func (w *Worker) goPanic(v any) {
	if v == nil {
		return
	}
	var e wire.Error
	switch x := v.(type) {
	case exitRequest:
		e = wire.Error{Name: "Exit", Value: fmt.Sprintf("os.Exit(%d) called in a goroutine", x.Code)}
	case goexitRequest:
		return
	default:
		e = wire.Error{Name: "panic", Value: "panic: " + panicString(v) + " [in a goroutine]"}
	}
	if w.task {
		fmt.Fprintln(w.errW, e.Value)
		os.Exit(2)
	}
	w.syncSend(wire.Event{Ev: wire.EvFatal, Error: &e})
	os.Exit(2)
}

func panicString(v any) string {
	switch x := v.(type) {
	case reflect.Value:
		if x.IsValid() && x.CanInterface() {
			return panicString(x.Interface())
		}
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// syncSend writes a fresh marker into both output pipes and sends e with its number. The
// whole is atomic: the supervisor relies on markers and their events arriving in one order.
func (w *Worker) syncSend(e wire.Event) {
	w.syncMu.Lock()
	defer w.syncMu.Unlock()
	n := w.seq.Add(1)
	if !w.task {
		e.Marks = [2]uint64{w.stdout.writeMarker(w.nonce, n), w.stderr.writeMarker(w.nonce, n)}
	}
	e.Sync = n
	w.send(e)
}

// send writes one event; a broken event pipe means the supervisor is gone.
func (w *Worker) send(e wire.Event) {
	if w.ev == nil {
		if e.Ev == wire.EvTrace {
			fmt.Fprintln(w.errW, e.Text)
		}
		return
	}
	b, err := json.Marshal(e)
	if err != nil {
		if e.Display != nil {
			// A JSON payload that cannot be encoded: keep the text.
			e.Display.Data = map[string]any{"text/plain": fmt.Sprint(e.Display.Data["text/plain"])}
		}
		if e.Result != nil {
			e.Result = map[string]any{"text/plain": fmt.Sprint(e.Result["text/plain"])}
		}
		if b, err = json.Marshal(e); err != nil {
			w.log.Error("encoding event", "err", err)
			return
		}
	}
	b = append(b, '\n')
	w.evMu.Lock()
	_, err = w.ev.Write(b)
	w.evMu.Unlock()
	if err != nil {
		os.Exit(0)
	}
}

type publisher struct{ w *Worker }

func (p publisher) Publish(m display.Message) {
	kind := wire.DisplayShow
	switch m.Kind {
	case display.KindUpdate:
		kind = wire.DisplayUpdate
	case display.KindClear:
		kind = wire.DisplayClear
	}
	p.w.syncSend(wire.Event{Ev: wire.EvDisplay, Owner: p.w.own.current(), Display: &wire.Display{
		Kind: kind, Data: m.Data, Metadata: m.Metadata, ID: m.ID, Wait: m.Wait,
	}})
}

// traceWriter is the interpreter's Stderr: yaegi's panic frame lines
// ("cell3.go:2:5: panic: main.f(...)") go to the supervisor as trace events, the rest to fd 5.
type traceWriter struct {
	w *Worker
}

func (t *traceWriter) Write(p []byte) (int, error) {
	s := string(p)
	if isTraceLine(s) {
		t.w.send(wire.Event{Ev: wire.EvTrace, Text: strings.TrimRight(s, "\n")})
		return len(p), nil
	}
	return t.w.errW.Write(p)
}

// isTraceLine reports whether s is one line yaegi prints while unwinding a panic.
func isTraceLine(s string) bool {
	s = strings.TrimRight(s, "\n")
	if strings.Contains(s, "\n") || !strings.HasSuffix(s, ")") {
		return false
	}
	i := strings.Index(s, ": panic")
	if i < 0 {
		return false
	}
	pos := s[:i]
	// pos is file:line:col, line:col or file:line (after a //line directive without column).
	parts := strings.Split(pos, ":")
	n := len(parts)
	if n < 2 {
		return false
	}
	if _, err := strconv.Atoi(parts[n-1]); err != nil {
		return false
	}
	if _, err := strconv.Atoi(parts[n-2]); err == nil {
		return true
	}
	return strings.HasSuffix(parts[n-2], ".go")
}

// exit runs the cleanups and ends the process.
func (w *Worker) exit(code int) {
	for _, f := range w.cleanup {
		f()
	}
	os.Exit(code)
}

// serve reads requests until the supervisor closes the pipe.
func (w *Worker) serve() {
	w.send(wire.Event{Ev: wire.EvReady, PID: os.Getpid(), Proto: wire.Protocol})
	dec := json.NewDecoder(w.in)
	reqs := make(chan wire.Request, 16)
	go func() {
		for r := range reqs {
			w.run(r)
		}
	}()
	for {
		var r wire.Request
		if err := dec.Decode(&r); err != nil {
			w.exit(0)
		}
		switch r.Op {
		case wire.OpInput:
			select {
			case w.inputCh <- r:
			default:
			}
		case wire.OpExit:
			w.exit(0)
		case wire.OpDebug:
			go w.debugRequest(r) // never behind the running cell
		default:
			reqs <- r
		}
	}
}

// run executes one request in its own goroutine, so a runtime.Goexit reached through some
// path the overrides miss still produces a reply.
func (w *Worker) run(r wire.Request) {
	if r.Op == wire.OpComm {
		w.runComm(r)
		return
	}
	w.mu.Lock()
	if r.Session != nil {
		w.session = r.Session
	}
	w.reqID, w.stdin, w.result, w.shown = r.ID, r.AllowStdin, nil, false
	w.mu.Unlock()
	w.newCellMethods()
	w.stepsDone.Store(0)
	ev, _ := w.runGuarded(r.ID, "the cell called runtime.Goexit", func() wire.Event {
		w.noteUses(r.Steps)
		ev := w.steps(r.Steps)
		w.runDeferred(&ev)
		return ev
	})
	if w.idleGoroutines == 0 {
		w.idleGoroutines = settledGoroutines() // after the first request (snapshot.go)
	}
	ev.Ev, ev.ID = wire.EvDone, r.ID
	w.mu.Lock()
	w.cell = nil
	if ev.Error == nil && w.shown {
		ev.Result = w.result
	}
	w.result, w.shown = nil, false
	w.mu.Unlock()
	if ev.Error == nil && len(ev.Failed) == 0 && len(r.Snapshot) > 0 {
		ev.Snapshot = w.snapshot(r.Snapshot)
	}
	if msg, over := checkMemory(); over {
		w.memoryExceeded(msg)
	}
	w.syncSend(ev)
}

// runGuarded runs body on a goroutine of its own, owned by request id (so what it prints goes
// to that request) and registered as the running cell (so os.Exit and panics find it), and
// returns body's event with Duration set. A runtime.Goexit in body ends it with a Goexit error
// whose message is goexit; after os.Exit, whose goroutine stays parked, the event is the exit
// path's and exited is true.
func (w *Worker) runGuarded(id uint64, goexit string, body func() wire.Event) (ev wire.Event, exited bool) {
	done := make(chan wire.Event, 1)
	ended := make(chan struct{}) // closed as the goroutine returns
	cr := &cellRun{exitC: make(chan wire.Event, 1)}
	start := time.Now()
	go func() {
		defer close(ended)
		w.own.enter(id)
		w.mu.Lock()
		cr.g = goid()
		w.cell = cr
		w.mu.Unlock()
		finished := false
		defer func() {
			if !finished {
				done <- wire.Event{Error: &wire.Error{Name: "Goexit", Value: goexit}}
			}
		}()
		ev := body()
		finished = true
		done <- ev
	}()
	select {
	case ev = <-done:
		<-ended // so that the goroutine counts of snapshot.go do not see it
	case ev = <-cr.exitC:
		exited = true
	}
	ev.Duration = int64(time.Since(start))
	return ev, exited
}

func (w *Worker) steps(steps []wire.Step) wire.Event {
	var ev wire.Event
	var retry []wire.Step
	for k, s := range steps {
		w.stepsDone.Store(int64(ev.Steps))
		err := w.step(s)
		if err == nil {
			ev.Steps = k + 1
			continue
		}
		if s.Retry {
			retry = append(retry, s)
			continue
		}
		if s.Tolerant {
			ev.Failed = append(ev.Failed, wire.Failure{Name: s.Name, Err: err.Value})
			ev.Steps = k + 1
			continue
		}
		ev.Error = err
		return ev
	}
	// Retry failed replay steps while that makes progress (declaration order problems).
	for len(retry) > 0 {
		var again []wire.Step
		var last *wire.Error
		for _, s := range retry {
			if err := w.step(s); err != nil {
				again = append(again, s)
				last = err
			}
		}
		if len(again) == len(retry) {
			for _, s := range again {
				msg := ""
				if last != nil {
					msg = last.Value
				}
				if err := w.step(s); err != nil {
					msg = err.Value
				}
				ev.Failed = append(ev.Failed, wire.Failure{Name: s.Name, Err: msg})
			}
			break
		}
		retry = again
	}
	return ev
}

func (w *Worker) step(s wire.Step) *wire.Error {
	switch s.Kind {
	case wire.StepShow:
		prog, err := w.compile(s.Src)
		if err == nil {
			// It is a value: prefer a form through variables (Alts, most results first; yaegi
			// rejects more variables than results but accepts fewer).
			for _, src := range s.Alts {
				if p2, err := w.compile(src); err == nil {
					_, err = w.execute(p2)
					return toError(err)
				}
			}
		}
		if err != nil {
			// Not a value (a call of a func without results, for example): run it as a statement.
			if s.Alt == "" {
				return toError(err)
			}
			_, err := w.eval(w.i, s.Alt)
			return toError(err)
		}
		_, err = w.execute(prog)
		return toError(err)
	default:
		_, err := w.eval(w.i, s.Src)
		return toError(err)
	}
}

// eval runs src under recover: yaegi's compile stage panics on some inputs.
func (w *Worker) eval(i *interp.Interpreter, src string) (v reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = hostPanic{r}
		}
	}()
	return i.Eval(src)
}

func (w *Worker) compile(src string) (p *interp.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = hostPanic{r}
		}
	}()
	return w.i.Compile(src)
}

func (w *Worker) execute(p *interp.Program) (v reflect.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = hostPanic{r}
		}
	}()
	return w.i.Execute(p)
}

// hostPanic is a panic of yaegi itself (not of the cell), recovered.
type hostPanic struct{ v any }

func (h hostPanic) Error() string { return fmt.Sprint(h.v) }

// toError maps an evaluation error to the error the user sees.
func toError(err error) *wire.Error {
	if err == nil {
		return nil
	}
	var p interp.Panic
	if errors.As(err, &p) {
		v := p.Value
		if rv, ok := v.(reflect.Value); ok && rv.IsValid() && rv.CanInterface() {
			v = rv.Interface()
		}
		switch x := v.(type) {
		case exitRequest:
			return &wire.Error{Name: "Exit", Value: fmt.Sprintf("os.Exit(%d): the cell stopped (the kernel keeps running)", x.Code)}
		case goexitRequest:
			return &wire.Error{Name: "Goexit", Value: x.Error()}
		case runtime.Error:
			return &wire.Error{Name: "panic", Value: "panic: " + x.Error()}
		}
		return &wire.Error{Name: "panic", Value: "panic: " + panicString(v)}
	}
	var hp hostPanic
	if errors.As(err, &hp) {
		return &wire.Error{Name: "InternalError", Value: "the interpreter (yaegi) failed on this code: " + hp.Error()}
	}
	msg := err.Error()
	return &wire.Error{Name: "CompileError", Value: msg}
}

// input asks the supervisor for one line of input.
func (w *Worker) input(prompt string, password bool) (string, error) {
	w.mu.Lock()
	allowed := w.stdin
	w.mu.Unlock()
	if !allowed {
		return "", ErrNoStdin
	}
	w.inputMu.Lock()
	defer w.inputMu.Unlock()
	select { // drop a stale reply
	case <-w.inputCh:
	default:
	}
	w.syncSend(wire.Event{Ev: wire.EvInput, Text: prompt, Password: password})
	r := <-w.inputCh
	if r.Err != "" {
		return "", errors.New(r.Err)
	}
	return r.Text, nil
}

// ErrNoStdin is what reading os.Stdin returns when the frontend does not accept input.
var ErrNoStdin = errors.New(wire.NoStdin)

// Stdin is the os.Stdin of cells: each read with an empty buffer asks the frontend for a line
// (input_request), so fmt.Scanln, bufio.NewReader(os.Stdin) and io.ReadAll work in a notebook.
type Stdin struct {
	w   *Worker
	mu  sync.Mutex
	buf []byte
}

// Read returns buffered input or asks the frontend for the next line.
func (s *Stdin) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf) == 0 {
		line, err := s.w.input("", false)
		if err != nil {
			return 0, err
		}
		s.buf = append(s.buf, line...)
		s.buf = append(s.buf, '\n')
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// Close does nothing.
func (s *Stdin) Close() error { return nil }

// Name returns "/dev/stdin".
func (s *Stdin) Name() string { return "/dev/stdin" }

// Fd returns 0.
func (s *Stdin) Fd() uintptr { return 0 }

type stdinReader struct{ w *Worker }

func (r stdinReader) Read(p []byte) (int, error) { return stdinShared(r.w).Read(p) }

var (
	sharedOnce sync.Once
	shared     *Stdin
)

func stdinShared(w *Worker) *Stdin {
	sharedOnce.Do(func() { shared = &Stdin{w: w} })
	return shared
}

var _ io.Reader = (*Stdin)(nil)
