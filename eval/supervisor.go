package eval

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/internal/wire"
)

// Options configure a Supervisor.
type Options struct {
	// WorkerCommand builds the command that starts a worker with the given arguments
	// ("worker"). Default: the running executable (os.Executable) with those arguments. The
	// supervisor sets Stdin, Stdout, Stderr, ExtraFiles, SysProcAttr and appends to Env.
	WorkerCommand func(ctx context.Context, args ...string) *exec.Cmd
	// Logger receives the supervisor's diagnostics. Default: slog.Default().
	Logger *slog.Logger
	// MemoryLimit bounds the memory the worker uses, in bytes (each executors' child process
	// has the same bound): the Go runtime's soft limit (debug.SetMemoryLimit) is set to 90% of
	// it, so the garbage collector works harder as the cell approaches it, and a watchdog in
	// the worker ends it once its resident memory (or the memory its Go runtime holds) exceeds
	// it. Address space is not limited (Go reserves much more than it uses). 0 means
	// DefaultMemoryLimit(); math.MaxUint64 (or any value >= 1<<50) means no limit. Exceeding it
	// ends the cell with a MemoryError naming the limit ("cell exceeded the memory limit of
	// 256 MiB (--memory-limit)") and restarts the worker.
	MemoryLimit uint64
	// GoPath is the kernel-owned GOPATH where %go get links module sources (see
	// MagicEnv.GoGet). Default: <user cache dir>/quire/gopath; "-" disables %go get.
	GoPath string
	// SpareWorker keeps one started, idle worker in reserve so a restart (interrupt, crash,
	// type redefinition) only replays the session (a few ms) instead of also starting a
	// process (about 40 ms). It costs the memory of a second worker (about 20 MB).
	SpareWorker bool
	// Magics handles cells whose first non-blank line starts with % or !. Nil: such cells are
	// Go (and usually a syntax error).
	Magics Magics
	// UserExpressionTimeout bounds the evaluation of one execute_request's user_expressions
	// (frontends use them for quick queries; an endless one would hold the kernel): past it, the
	// worker is restarted as on interrupt and the remaining entries get a TimeoutError. 0 means
	// DefaultUserExpressionTimeout.
	UserExpressionTimeout time.Duration
}

// Supervisor implements backend.Backend: it lives in the kernel process and runs cells in a
// worker process (see package worker), restarting it when it dies. Its parts own their state
// and lock: workers (the processes), outs (where their output goes), run (the running cell,
// what Interrupt stops) and rec (the session's records).
type Supervisor struct {
	opts Options
	log  *slog.Logger

	execMu sync.Mutex // one Execute (or magic action) at a time

	workers workers  // the worker processes: current, starting, spare
	rec     records  // the session's records
	outs    outputs  // where worker output goes
	run     runState // the running cell, what Interrupt stops

	reqID  atomic.Uint64
	closed atomic.Bool

	dbg debugSession // the Jupyter debugger (debug.go)
}

var _ backend.Backend = (*Supervisor)(nil)

// records are what the supervisor keeps of the session: its declarations and history (for
// replay, magics, completion), and notes for the next cell. They own their lock.
type records struct {
	mu           sync.Mutex
	sess         *session
	lastDuration time.Duration   // the worker's time for the last cell that ran without error
	methodNoted  map[string]bool // methods whose limits in the interpreter were explained (methodNote)
	execVars     map[string]bool // variables assigned from executors calls (see wrapExecutorFuncs)
	displayVars  map[string]bool // variables assigned from display calls (see wrapDisplayArgs)
	notes        []string        // messages for the next cell (replay failures after a background restart)
}

// NewSupervisor returns a Supervisor for a fresh session. The worker starts in the background
// (so the kernel can answer kernel_info at once); Execute waits for it, and Ready waits
// explicitly. A worker that cannot start is reported by the first Execute.
func NewSupervisor(opts Options) (*Supervisor, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.WorkerCommand == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("locating the quire binary for the worker: %w", err)
		}
		opts.WorkerCommand = func(ctx context.Context, args ...string) *exec.Cmd {
			return exec.CommandContext(ctx, exe, args...)
		}
	}
	if opts.MemoryLimit == 0 {
		opts.MemoryLimit = DefaultMemoryLimit()
	}
	if opts.GoPath == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			opts.GoPath = filepath.Join(dir, "quire", "gopath")
		}
	}
	if opts.GoPath == "-" {
		opts.GoPath = ""
	}
	if opts.MemoryLimit >= 1<<50 {
		opts.MemoryLimit = 0
	}
	s := &Supervisor{opts: opts, log: opts.Logger, rec: records{sess: newSession()}}
	s.workers = workers{config: s.procConfig, replay: s.replay, watch: s.watch, log: s.log, useSpare: opts.SpareWorker, closed: &s.closed}
	go s.sweepSessionFiles()
	s.workers.restart(nil)
	return s, nil
}

// Ready waits until the worker is started and returns the error that prevented it, if any.
func (s *Supervisor) Ready(ctx context.Context) error {
	_, err := s.workers.get(ctx)
	return err
}

// replay evaluates the session's declarations (and restores its variables) in a new worker p.
// Declarations that fail are told to the next cell (notes).
func (s *Supervisor) replay(ctx context.Context, p *proc) (int, error) {
	s.rec.mu.Lock()
	steps := append(s.rec.sess.replaySteps(prelude()), s.rec.sess.restoreSteps()...)
	s.rec.mu.Unlock()
	if len(steps) == 0 {
		return 0, nil
	}
	ev, ok := p.run(ctx, wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1), Steps: steps})
	if !ok {
		return 0, fmt.Errorf("the Go worker died while replaying the session: %s", p.crashError().Value)
	}
	if len(ev.Failed) > 0 {
		var b strings.Builder
		b.WriteString("could not restore after the restart:")
		for _, f := range ev.Failed {
			fmt.Fprintf(&b, "\n  %s: %s", f.Name, f.Err)
		}
		s.rec.mu.Lock()
		s.rec.notes = append(s.rec.notes, b.String())
		s.rec.mu.Unlock()
	}
	return len(steps), nil
}

// watch handles a worker that dies while no cell runs (a goroutine or timer callback
// panicked after its cell ended): it tells the last cell's Output and restarts.
func (s *Supervisor) watch(p *proc) {
	<-p.dead
	if s.closed.Load() || p.wasKilled() {
		return
	}
	s.rec.mu.Lock()
	if s.run.reportsDeath(p) || s.workers.current() != p {
		s.rec.mu.Unlock()
		return // the running cell reports it
	}
	note := lostNote(s.rec.sess.lost(), s.rec.sess.reset(), s.rec.sess.restored())
	s.rec.sess.forgetVars()
	s.rec.mu.Unlock()
	e := p.crashError()
	msg := "\n" + e.Value + "\n" + crashNote(p.takeTraces(), note) + "\n"
	s.stream("stderr", cleanPositions(msg))
	s.workers.restartIf(p)
}

func crashNote(traces []string, lostNote string) string {
	var b strings.Builder
	for _, t := range traces {
		b.WriteString(t + "\n")
	}
	b.WriteString("The Go worker process stopped; quire started a new one and replayed your declarations.")
	if lostNote != "" {
		b.WriteString("\n" + lostNote)
	}
	return b.String()
}

// stream forwards the supervisor's own messages to the running cell's Output, or the last
// cell's when none runs.
func (s *Supervisor) stream(name, text string) { s.outs.stream(0, name, text) }

// input answers a worker's stdin read through the current Output.
func (s *Supervisor) input(p *proc, ev wire.Event) {
	out := s.outs.current()
	ctx, cancel := context.WithCancel(context.Background())
	s.run.setInputCancel(cancel)
	defer cancel()
	go func() {
		select {
		case <-p.dead:
			cancel()
		case <-ctx.Done():
		}
	}()
	r := wire.Request{Op: wire.OpInput}
	if out == nil {
		r.Err = backend.ErrNoStdin.Error()
	} else {
		text, err := out.Input(ctx, ev.Text, ev.Password)
		if err != nil {
			if errors.Is(err, backend.ErrNoStdin) {
				r.Err = wire.NoStdin
			} else {
				r.Err = "reading stdin: " + err.Error()
			}
		}
		r.Text = text
	}
	_ = p.send(r)
}

// Info describes the backend for kernel_info_reply.
func (s *Supervisor) Info() backend.Info {
	return backend.Info{
		Implementation:        "quire",
		ImplementationVersion: "0.1",
		Banner:                "quire: Go " + strings.TrimPrefix(runtime.Version(), "go") + " cells interpreted by yaegi v0.16.1 (Go 1.22 standard library API)",
		Language: backend.LanguageInfo{
			Name: "go", Version: "1.22", MIMEType: "text/x-go", FileExtension: ".go",
			PygmentsLexer: "go", CodemirrorMode: "go", NBConvertExporter: "script",
		},
		HelpLinks: []backend.HelpLink{
			{Text: "Go standard library", URL: "https://pkg.go.dev/std"},
			{Text: "Go language specification", URL: "https://go.dev/ref/spec"},
		},
	}
}

// Interrupt stops the running cell: the worker is killed, a new one starts and the session's
// declarations are replayed; the cell ends with a KeyboardInterrupt error. A shell command or
// build a magic runs is stopped too (Magics.Interrupt).
func (s *Supervisor) Interrupt() error {
	if s.opts.Magics != nil {
		s.opts.Magics.Interrupt()
	}
	if p := s.run.interrupt(); p != nil {
		p.kill()
	}
	return nil
}

// interruptedResult is the reply of a cell interrupted before it reached the worker: nothing
// ran, so nothing was lost.
func interruptedResult() backend.ExecuteResult {
	return errorResult("KeyboardInterrupt", "interrupted", "The cell was stopped before it started; the session is unchanged.")
}

// Shutdown ends the worker (and a shell command a magic runs); with restart, a fresh session
// and worker follow (the worker starts in the background, as with NewSupervisor). It returns
// when ctx ends at the latest: a worker start that does not finish by then is abandoned (its
// process killed), and the error says so.
func (s *Supervisor) Shutdown(ctx context.Context, restart bool) error {
	if s.opts.Magics != nil {
		s.opts.Magics.Interrupt()
	}
	if !restart {
		s.closed.Store(true)
		s.workers.dropSpare()
	}
	p, err := s.workers.settled(ctx)
	if err != nil {
		err = fmt.Errorf("the Go worker was still starting at shutdown, and was stopped: %w", err)
	}
	if p != nil {
		_ = p.send(wire.Request{Op: wire.OpExit})
		select {
		case <-p.dead:
		case <-time.After(100 * time.Millisecond):
		}
		p.kill()
		// Wait for the reaper, which removes the worker's session file: the kernel process
		// may exit right after Shutdown returns.
		select {
		case <-p.dead:
		case <-time.After(time.Second):
		case <-ctx.Done():
		}
	}
	if restart {
		// The new worker starts in the background; the next request waits for it.
		s.execMu.Lock()
		s.rec.mu.Lock()
		s.rec.sess = newSession()
		s.rec.notes = nil
		s.rec.execVars, s.rec.displayVars = nil, nil
		s.rec.mu.Unlock()
		s.workers.restart(nil)
		s.execMu.Unlock()
	}
	return err
}

// cellName names the n-th executed cell in positions ("cell3.go").
func cellName(n int) string { return fmt.Sprintf("cell%d.go", n) }

// prelude returns the helper declarations the cell rewriter's plans may call.
func prelude() string { return cellPrelude() }

var _ = cell.HostPkg

// DefaultMemoryLimit is half of the machine's physical memory (from /proc/meminfo), and at
// least 2 GiB; 4 GiB when the amount cannot be read.
func DefaultMemoryLimit() uint64 {
	const floor, fallback = 2 << 30, 4 << 30
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return fallback
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return fallback
			}
			return max(kb<<10/2, floor)
		}
	}
	return fallback
}
