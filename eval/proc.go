package eval

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/quire-go/quire/eval/internal/wire"
)

// proc is one worker process, seen from the supervisor. It knows nothing of its owner: what
// its readers meet (output, displays, input requests, comms, debug events) goes to its hooks.
type proc struct {
	hooks procHooks
	cmd   *exec.Cmd
	pid   int
	reqW  *os.File
	enc   *json.Encoder
	encM  sync.Mutex

	done chan wire.Event // EvDone and EvReady events
	dead chan struct{}   // closed once the process is gone and its output drained
	// After dead is closed:
	exitErr error
	fatal   *wire.Error // EvFatal sent before exiting, if any

	markMu sync.Mutex
	markC  *sync.Cond
	marks  [2]uint64 // last marker seen on stdout, stderr (MaxUint64 at EOF)
	// handled is the last sync number whose event was handled: an output reader that meets
	// marker n waits for it, so text written after an event is not shown before it.
	handled uint64
	evEOF   bool

	diagMu sync.Mutex
	diag   []byte // tail of fd 2 (runtime crash output, worker diagnostics)

	traceMu sync.Mutex
	traces  []string // yaegi panic frame lines since the last request started

	crashOut *crashOutput

	killed bool   // set by kill (interrupt, shutdown)
	nonce  string // of its sync markers

	widgets widgetSet // comms of the widgets it opened (widgets.go)

	sessionSent []wire.Step // replay steps last sent for task children
	reported    bool        // its death is reported by the cell that ran (guarded by runState.mu)
}

const diagKeep = 64 << 10

// procHooks receive what a worker's readers meet. Each is called from the reader of the
// stream the event came on, in order with that worker's output; none may be nil.
type procHooks struct {
	log     *slog.Logger
	stream  func(owner uint64, name, text string) // text the worker wrote on fd 1 or 2 for request owner
	display func(owner uint64, d *wire.Display)
	input   func(p *proc, ev wire.Event) // a stdin read (called on a goroutine of its own)
	comm    func(p *proc, ev wire.Event) // a widget's comm message
	debug   func(p *proc, ev wire.Event) // a DAP answer or event
	gone    func(p *proc)                // p was killed or seen dead by a request (closes its widgets)
}

// procConfig is how to start a worker.
type procConfig struct {
	command func(ctx context.Context, args ...string) *exec.Cmd // Options.WorkerCommand
	env     []string                                            // appended to the worker's environment
	hooks   procHooks
}

// startProc starts a worker and waits until it is ready.
func startProc(ctx context.Context, cfg procConfig) (*proc, error) {
	pp, err := openProcPipes()
	if err != nil {
		return nil, err
	}
	crashOut, err := newCrashOutput()
	if err != nil {
		pp.closeAll()
		return nil, err
	}
	cmd := cfg.command(context.Background(), "worker")
	cmd.Stdin = nil
	cmd.Stdout = pp.outW
	cmd.Stderr = pp.diagW
	cmd.ExtraFiles = append([]*os.File{pp.reqR, pp.evW, pp.errW}, crashOut.extraFiles()...)
	var nb [8]byte
	_, _ = rand.Read(nb[:])
	nonce := hex.EncodeToString(nb[:])
	// The session file for executors' children: named here so that it can be removed however
	// the worker ends (see sessionFile).
	sessFile := filepath.Join(os.TempDir(), fmt.Sprintf("quire-session-%d-%s.json", os.Getpid(), nonce))
	cmd.Env = append(cmd.Environ(), append(cfg.env, wire.EnvNonce+"="+nonce, wire.EnvSessionFile+"="+sessFile)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		pp.closeAll()
		crashOut.close()
		return nil, fmt.Errorf("starting the Go worker: %w", err)
	}
	pp.closeChildEnds()
	crashOut.started()
	p := &proc{
		hooks:    cfg.hooks,
		crashOut: crashOut,
		cmd:      cmd,
		pid:      cmd.Process.Pid,
		reqW:     pp.reqW,
		enc:      json.NewEncoder(pp.reqW),
		done:     make(chan wire.Event, 4),
		nonce:    nonce,
		dead:     make(chan struct{}),
	}
	p.markC = sync.NewCond(&p.markMu)
	go p.watch(pp, sessFile)
	return p.awaitReady(ctx)
}

// watch runs p's readers, waits for the process to exit and its output to drain (for at most
// 200ms: grandchildren may keep the output pipes open), cleans up after it and closes p.dead.
func (p *proc) watch(pp *procPipes, sessFile string) {
	var readers sync.WaitGroup
	readers.Add(3)
	go func() { defer readers.Done(); p.readStream(pp.outR, 0, "stdout") }()
	go func() { defer readers.Done(); p.readStream(pp.errR, 1, "stderr") }()
	go func() { defer readers.Done(); p.readDiag(pp.diagR) }()
	evDone := make(chan struct{})
	go func() { defer close(evDone); p.readEvents(pp.evR) }()
	err := p.cmd.Wait()
	drained := make(chan struct{})
	go func() { readers.Wait(); <-evDone; close(drained) }()
	select {
	case <-drained:
	case <-time.After(200 * time.Millisecond):
		for _, f := range []*os.File{pp.outR, pp.errR, pp.diagR, pp.evR} {
			f.Close()
		}
		p.setMark(0, math.MaxUint64)
		p.setMark(1, math.MaxUint64)
	}
	p.crashOut.close()
	p.exitErr = err
	p.reqW.Close()
	removeSessionFile(p.hooks.log, sessFile)
	close(p.dead)
}

// awaitReady waits for the worker's ready event and checks it speaks this kernel's protocol.
func (p *proc) awaitReady(ctx context.Context) (*proc, error) {
	select {
	case ev := <-p.done:
		if ev.Ev != wire.EvReady {
			p.kill()
			return nil, fmt.Errorf("the Go worker sent %q before ready", ev.Ev)
		}
		if ev.Proto != wire.Protocol {
			p.kill()
			return nil, fmt.Errorf("the Go worker (%s) speaks protocol %d, this kernel %d: the kernel and the quire binary "+
				"come from different builds; install both again (go install ./cmd/...)", strings.Join(p.cmd.Args, " "), ev.Proto, wire.Protocol)
		}
		return p, nil
	case <-p.dead:
		return nil, fmt.Errorf("the Go worker exited at start (%v): %s", p.exitErr, bytes.TrimSpace(p.diagTail()))
	case <-ctx.Done():
		p.kill()
		return nil, fmt.Errorf("starting the Go worker: %w", ctx.Err())
	}
}

// procPipes are the pipes to one worker: requests (fd 3), events (fd 4), stdout (fd 1),
// stderr (fd 5, the cell's os.Stderr) and diagnostics (fd 2). The kernel keeps reqW and the
// read ends; the worker's ends are closed in the kernel once it has started.
type procPipes struct {
	reqR, reqW, evR, evW, outR, outW, errR, errW, diagR, diagW *os.File
}

func openProcPipes() (*procPipes, error) {
	pp := &procPipes{}
	for _, pair := range [][2]**os.File{{&pp.reqR, &pp.reqW}, {&pp.evR, &pp.evW}, {&pp.outR, &pp.outW}, {&pp.errR, &pp.errW}, {&pp.diagR, &pp.diagW}} {
		r, w, err := os.Pipe()
		if err != nil {
			pp.closeAll()
			return nil, fmt.Errorf("worker pipes: %w", err)
		}
		*pair[0], *pair[1] = r, w
	}
	return pp, nil
}

// closeAll closes every pipe opened so far (the worker did not start).
func (pp *procPipes) closeAll() {
	for _, f := range []*os.File{pp.reqR, pp.reqW, pp.evR, pp.evW, pp.outR, pp.outW, pp.errR, pp.errW, pp.diagR, pp.diagW} {
		if f != nil {
			f.Close()
		}
	}
}

// closeChildEnds closes the worker's ends in the kernel, so that the readers see EOF when the
// worker exits.
func (pp *procPipes) closeChildEnds() {
	for _, f := range []*os.File{pp.reqR, pp.evW, pp.outW, pp.errW, pp.diagW} {
		f.Close()
	}
}

// removeSessionFile removes the session file a worker wrote for executors' children (and
// the temporary file it writes first).
func removeSessionFile(log *slog.Logger, path string) {
	for _, f := range []string{path, path + ".tmp"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			log.Warn("removing a worker's session file", "err", err)
		}
	}
}

// sweepSessionFiles removes the session files of kernels that died without cleaning up
// (kill -9 of the kernel: its workers die with it, Pdeathsig): quire-session-PID-*.json in
// TMPDIR, of this user, whose kernel process PID no longer exists.
func (s *Supervisor) sweepSessionFiles() {
	files, _ := filepath.Glob(filepath.Join(os.TempDir(), "quire-session-*-*.json*"))
	for _, f := range files {
		rest := strings.TrimPrefix(filepath.Base(f), "quire-session-")
		pidStr, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if info, err := os.Stat(f); err != nil || !ownedByMe(info) {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			s.log.Debug("removing a dead kernel's session file", "file", f)
			os.Remove(f)
		}
	}
}

func ownedByMe(info os.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Getuid()
}

// procConfig is how the supervisor starts its workers.
func (s *Supervisor) procConfig() procConfig {
	return procConfig{command: s.opts.WorkerCommand, env: s.workerEnv(), hooks: procHooks{
		log:     s.log,
		stream:  s.outs.stream,
		display: s.outs.display,
		input:   s.input,
		comm:    s.commEvent,
		debug:   s.debugFromWorker,
		gone:    s.closeWidgets,
	}}
}

func (s *Supervisor) workerEnv() []string {
	env := []string{wire.EnvMemLimit + "=" + strconv.FormatUint(s.opts.MemoryLimit, 10)}
	if s.opts.GoPath != "" {
		env = append(env, wire.EnvGoPath+"="+s.opts.GoPath)
	}
	return env
}

// send writes a request; an error means the worker is gone.
func (p *proc) send(r wire.Request) error {
	p.encM.Lock()
	defer p.encM.Unlock()
	return p.enc.Encode(r)
}

// kill ends the worker and its process group (children it started).
func (p *proc) kill() {
	p.markMu.Lock()
	p.killed = true
	p.markMu.Unlock()
	_ = syscall.Kill(-p.pid, syscall.SIGKILL)
	_ = p.cmd.Process.Kill()
	p.hooks.gone(p)
}

func (p *proc) wasKilled() bool {
	p.markMu.Lock()
	defer p.markMu.Unlock()
	return p.killed
}

func (p *proc) setMark(i int, n uint64) {
	p.markMu.Lock()
	if n > p.marks[i] {
		p.marks[i] = n
	}
	p.markMu.Unlock()
	p.markC.Broadcast()
}

// waitMarks returns once both output readers have forwarded everything before the markers
// the event names.
func (p *proc) waitMarks(ev wire.Event) {
	p.markMu.Lock()
	for p.marks[0] < ev.Marks[0] || p.marks[1] < ev.Marks[1] {
		p.markC.Wait()
	}
	p.markMu.Unlock()
}

// setHandled records that the event with sync number n was handled.
func (p *proc) setHandled(n uint64) {
	p.markMu.Lock()
	if n > p.handled {
		p.handled = n
	}
	p.markMu.Unlock()
	p.markC.Broadcast()
}

func (p *proc) waitHandled(n uint64) {
	p.markMu.Lock()
	for p.handled < n && !p.evEOF {
		p.markC.Wait()
	}
	p.markMu.Unlock()
}

// readStream forwards one output pipe to the current Output, in order, and tracks markers.
func (p *proc) readStream(r *os.File, idx int, name string) {
	defer p.setMark(idx, math.MaxUint64)
	sc := wire.NewScanner(p.nonce)
	var owner uint64 // the request the text is for (see wire.OwnerMarker)
	sc.Owner = func(id uint64) { owner = id }
	buf := make([]byte, 64<<10)
	emit := func(b []byte) { p.hooks.stream(owner, name, string(b)) }
	mark := func(n uint64) {
		p.setMark(idx, n)
		p.waitHandled(n)
	}
	var received uint64 // bytes read, markers included
	for {
		n, err := r.Read(buf)
		if n > 0 {
			received += uint64(n)
			sc.Feed(buf[:n], emit, mark)
		}
		if err != nil {
			// The worker is gone. What it buffered and did not write before it died (a fatal
			// error, syscall.Exit) comes after all it wrote.
			if lost := p.crashOut.recover(idx, received); len(lost) > 0 {
				sc.Feed(lost, emit, func(n uint64) { p.setMark(idx, n) })
			}
			if rest := sc.Flush(); len(rest) > 0 {
				emit(rest)
			}
			return
		}
	}
}

// readDiag keeps the tail of the worker's fd 2 and logs it.
func (p *proc) readDiag(r *os.File) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			p.hooks.log.Debug("worker fd 2", "pid", p.pid, "line", string(bytes.TrimRight(line, "\n")))
			p.diagMu.Lock()
			p.diag = append(p.diag, line...)
			if len(p.diag) > diagKeep {
				p.diag = append([]byte(nil), p.diag[len(p.diag)-diagKeep/2:]...)
			}
			p.diagMu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

func (p *proc) diagTail() []byte {
	p.diagMu.Lock()
	defer p.diagMu.Unlock()
	return append([]byte(nil), p.diag...)
}

func (p *proc) takeTraces() []string {
	p.traceMu.Lock()
	defer p.traceMu.Unlock()
	t := p.traces
	p.traces = nil
	return t
}

// readEvents decodes events: displays and input requests are handled here, in order with the
// output streams; done/ready go to p.done.
func (p *proc) readEvents(r io.Reader) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	defer func() {
		p.markMu.Lock()
		p.evEOF = true
		p.markMu.Unlock()
		p.markC.Broadcast()
	}()
	for {
		var ev wire.Event
		if err := dec.Decode(&ev); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				p.hooks.log.Debug("worker events", "err", err)
			}
			return
		}
		switch ev.Ev {
		case wire.EvDisplay:
			p.waitMarks(ev)
			p.hooks.display(ev.Owner, ev.Display)
			p.setHandled(ev.Sync)
		case wire.EvTrace:
			p.traceMu.Lock()
			p.traces = append(p.traces, ev.Text)
			p.traceMu.Unlock()
		case wire.EvInput:
			p.waitMarks(ev)
			p.setHandled(ev.Sync)
			go p.hooks.input(p, ev)
		case wire.EvFatal:
			p.waitMarks(ev)
			p.markMu.Lock()
			p.fatal = ev.Error
			p.markMu.Unlock()
			p.setHandled(ev.Sync)
		case wire.EvComm:
			p.waitMarks(ev)
			p.hooks.comm(p, ev)
			p.setHandled(ev.Sync)
		case wire.EvLog:
			p.hooks.log.Info("worker", "msg", ev.Text)
		case wire.EvDebug, wire.EvDebugEv:
			p.hooks.debug(p, ev)
		default:
			p.done <- ev
		}
	}
}

// crashError describes why the worker died.
func (p *proc) crashError() *wire.Error {
	p.markMu.Lock()
	fatal := p.fatal
	p.markMu.Unlock()
	if fatal != nil {
		return fatal
	}
	return parseCrash(string(p.diagTail()), p.exitErr)
}

// run sends one request and waits for its end. It returns the done event, or ok=false when the
// worker died first.
func (p *proc) run(ctx context.Context, r wire.Request) (wire.Event, bool) {
	p.takeTraces()
	if err := p.send(r); err != nil {
		<-p.dead
		return wire.Event{}, false
	}
	for {
		select {
		case ev := <-p.done:
			if ev.ID != r.ID {
				p.setHandled(ev.Sync)
				continue
			}
			p.waitMarks(ev)
			p.setHandled(ev.Sync)
			return ev, true
		case <-p.dead:
			p.hooks.gone(p)
			return wire.Event{}, false
		case <-ctx.Done():
			p.kill()
			<-p.dead
			return wire.Event{}, false
		}
	}
}
