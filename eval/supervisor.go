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
// worker process (see package worker), restarting it when it dies.
type Supervisor struct {
	opts Options
	log  *slog.Logger

	execMu sync.Mutex // one Execute (or magic action) at a time

	mu           sync.Mutex
	p            *proc              // current worker (nil while starting)
	ready        chan struct{}      // closed when p is usable (restart finished)
	stopStart    context.CancelFunc // abandons the start that closes ready (Shutdown)
	startErr     error
	sess         *session
	lastDuration time.Duration
	methodNoted  map[string]bool // methods whose limits in the interpreter were explained (methodNote)
	execVars     map[string]bool // variables assigned from executors calls (see wrapExecutorFuncs)
	displayVars  map[string]bool // variables assigned from display calls (see wrapDisplayArgs)
	notes        []string        // messages for the next cell (replay failures after a background restart)

	outs outputs  // where worker output goes
	run  runState // the running cell, what Interrupt stops

	spareMu sync.Mutex
	spare   chan *proc // a started worker in reserve (SpareWorker), or nil

	reqID  atomic.Uint64
	closed atomic.Bool

	dbg debugSession // the Jupyter debugger (debug.go)
}

var _ backend.Backend = (*Supervisor)(nil)

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
	s := &Supervisor{opts: opts, log: opts.Logger, sess: newSession()}
	go s.sweepSessionFiles()
	s.restart(nil)
	return s, nil
}

// Ready waits until the worker is started and returns the error that prevented it, if any.
func (s *Supervisor) Ready(ctx context.Context) error {
	_, err := s.worker(ctx)
	return err
}

// restart starts a new worker (in the background) and replays the session into it. old, if
// not nil, is killed first. The returned channel closes when the worker is ready.
func (s *Supervisor) restart(old *proc) chan struct{} {
	ready := make(chan struct{})
	s.mu.Lock()
	start := s.newStartLocked(ready)
	s.mu.Unlock()
	if old != nil {
		old.kill()
	}
	go s.startAndReplay(start, ready)
	return ready
}

// newStartLocked makes ready the channel of the worker start in progress and returns that
// start's context: Shutdown cancels it when it cannot wait for the start to end. s.mu must be
// held.
func (s *Supervisor) newStartLocked(ready chan struct{}) startCtx {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	s.p, s.ready, s.startErr, s.stopStart = nil, ready, nil, cancel
	return startCtx{ctx, cancel}
}

// startCtx bounds one worker start (30 s, or until Shutdown abandons it).
type startCtx struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// restartIf restarts the worker unless someone already did since p was current (p nil: unless
// a start is in progress).
func (s *Supervisor) restartIf(p *proc) {
	s.mu.Lock()
	if p != nil && s.p != p {
		s.mu.Unlock()
		return
	}
	if p == nil {
		select {
		case <-s.ready:
		default:
			s.mu.Unlock()
			return
		}
	}
	ready := make(chan struct{})
	start := s.newStartLocked(ready)
	s.mu.Unlock()
	go s.startAndReplay(start, ready)
}

// startAndReplay starts a worker (or takes the spare), replays the session into it and makes it
// the current worker if ready is still the current start's channel. ctx bounds the start.
func (s *Supervisor) startAndReplay(start startCtx, ready chan struct{}) {
	func() {
		defer close(ready)
		t0 := time.Now()
		ctx := start.ctx
		defer start.cancel()
		p, err := s.takeSpare(ctx)
		if err != nil {
			s.mu.Lock()
			s.startErr = err
			s.mu.Unlock()
			s.log.Error("starting the Go worker", "err", err)
			return
		}
		s.mu.Lock()
		steps := append(s.sess.replaySteps(prelude()), s.sess.restoreSteps()...)
		s.mu.Unlock()
		if len(steps) > 0 {
			ev, ok := p.run(ctx, wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1), Steps: steps})
			if !ok {
				s.mu.Lock()
				s.startErr = fmt.Errorf("the Go worker died while replaying the session: %s", p.crashError().Value)
				s.mu.Unlock()
				return
			}
			if len(ev.Failed) > 0 {
				var b strings.Builder
				b.WriteString("could not restore after the restart:")
				for _, f := range ev.Failed {
					fmt.Fprintf(&b, "\n  %s: %s", f.Name, f.Err)
				}
				s.mu.Lock()
				s.notes = append(s.notes, b.String())
				s.mu.Unlock()
			}
		}
		s.log.Debug("worker ready", "pid", p.pid, "replayed", len(steps), "took", time.Since(t0))
		s.mu.Lock()
		current := s.ready == ready
		if current {
			s.p = p
		}
		s.mu.Unlock()
		if !current {
			p.kill()
			return
		}
		go s.watch(p)
	}()
}

// takeSpare returns the spare worker if one is ready and alive, else starts one; with
// SpareWorker it then starts the next spare in the background.
func (s *Supervisor) takeSpare(ctx context.Context) (*proc, error) {
	if !s.opts.SpareWorker {
		return startProc(ctx, s.procConfig())
	}
	s.spareMu.Lock()
	ch := s.spare
	next := make(chan *proc, 1)
	s.spare = next
	s.spareMu.Unlock()
	go func() {
		if s.closed.Load() {
			next <- nil
			return
		}
		p, err := startProc(context.Background(), s.procConfig())
		if err != nil {
			s.log.Warn("starting a spare Go worker", "err", err)
		}
		next <- p
	}()
	if ch != nil {
		select {
		case p := <-ch:
			if p != nil {
				select {
				case <-p.dead:
				default:
					return p, nil
				}
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return startProc(ctx, s.procConfig())
}

// dropSpare kills the spare worker (shutdown).
func (s *Supervisor) dropSpare() {
	s.spareMu.Lock()
	ch := s.spare
	s.spare = nil
	s.spareMu.Unlock()
	if ch != nil {
		go func() {
			if p := <-ch; p != nil {
				p.kill()
			}
		}()
	}
}

// watch handles a worker that dies while no cell runs (a goroutine or timer callback
// panicked after its cell ended): it tells the last cell's Output and restarts.
func (s *Supervisor) watch(p *proc) {
	<-p.dead
	if s.closed.Load() || p.wasKilled() {
		return
	}
	s.mu.Lock()
	if s.run.reportsDeath(p) || s.p != p {
		s.mu.Unlock()
		return // the running cell reports it
	}
	note := lostNote(s.sess.lost(), s.sess.reset(), s.sess.restored())
	s.sess.forgetVars()
	s.mu.Unlock()
	e := p.crashError()
	msg := "\n" + e.Value + "\n" + crashNote(p.takeTraces(), note) + "\n"
	s.stream("stderr", cleanPositions(msg))
	s.restartIf(p)
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

// worker returns the ready worker, waiting for a restart in progress.
func (s *Supervisor) worker(ctx context.Context) (*proc, error) {
	for attempt := 0; ; attempt++ {
		if s.closed.Load() {
			return nil, errors.New("the Go backend is shut down")
		}
		s.mu.Lock()
		ready := s.ready
		s.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		s.mu.Lock()
		p, err, cur := s.p, s.startErr, s.ready
		s.mu.Unlock()
		if cur != ready {
			continue // another restart began
		}
		if err != nil || p == nil {
			if attempt > 2 {
				return nil, err
			}
			s.restartIf(nil)
			continue
		}
		select {
		case <-p.dead:
			s.restartIf(p)
			continue
		default:
		}
		return p, nil
	}
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
	s.mu.Lock()
	p := s.p
	ready, stopStart := s.ready, s.stopStart
	s.mu.Unlock()
	if !restart {
		s.closed.Store(true)
		s.dropSpare()
	}
	var err error
	if p == nil {
		select {
		case <-ready:
			s.mu.Lock()
			p = s.p
			s.mu.Unlock()
		case <-ctx.Done():
			stopStart()
			err = fmt.Errorf("the Go worker was still starting at shutdown, and was stopped: %w", ctx.Err())
		}
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
		s.mu.Lock()
		s.sess = newSession()
		s.notes = nil
		s.execVars, s.displayVars = nil, nil
		s.mu.Unlock()
		s.restart(nil)
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
