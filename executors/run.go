package executors

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/quire-go/quire/display"
)

// run is the bookkeeping shared by every model: clock, CPU usage, records and progress.
type run struct {
	model  string
	cfg    config
	ctx    context.Context
	cancel context.CancelFunc
	t0     time.Time
	cpu0   time.Duration
	recs   []TaskRecord
	done   atomic.Int64
	prog   *progress
	// spawnedN counts tasks started with Task.Go (their ids follow the run's jobs).
	spawnedN atomic.Int64
	// prevProcs is GOMAXPROCS before a MaxProcs option changed it (0: unchanged).
	prevProcs int
}

func newRun(model string, cfg config, n int) *run {
	if cfg.label != "" {
		model = cfg.label
	}
	parent := cfg.ctx
	if parent == nil {
		parent = BaseContext()
	}
	ctx, cancel := context.WithCancel(parent)
	r := &run{model: model, cfg: cfg, ctx: ctx, cancel: cancel, recs: make([]TaskRecord, n)}
	if cfg.maxProcs > 0 {
		r.prevProcs = runtime.GOMAXPROCS(cfg.maxProcs)
	}
	for i := range r.recs {
		r.recs[i].ID = i
	}
	r.cpu0 = cpuTime()
	r.t0 = time.Now()
	if !cfg.quiet {
		r.prog = startProgress(r)
	}
	return r
}

var baseCtx atomic.Pointer[context.Context]

// SetBaseContext sets the context of runs that have no WithContext option (nil restores
// context.Background). The quire worker sets it to the running cell's context, so that an
// interrupt cancels the tasks at their next await point and kills child processes.
func SetBaseContext(ctx context.Context) {
	if ctx == nil {
		baseCtx.Store(nil)
		return
	}
	baseCtx.Store(&ctx)
}

// BaseContext returns the context set by SetBaseContext, or context.Background.
func BaseContext() context.Context {
	if p := baseCtx.Load(); p != nil {
		return *p
	}
	return context.Background()
}

func (r *run) since() time.Duration { return time.Since(r.t0) }

// report stops the clock and builds the report. held is the total time the GIL or the event
// loop was held (a lower bound of the ideal wall time), 0 when not relevant.
func (r *run) report(workers int, held time.Duration, err error) *Report {
	return r.reportIdeal(workers, workers, held, err)
}

// reportIdeal is report with a separate degree of parallelism for the ideal time.
func (r *run) reportIdeal(workers, parallel int, held time.Duration, err error) *Report {
	wall := r.since()
	cpu := cpuTime() - r.cpu0
	r.cancel()
	if r.prog != nil {
		r.prog.finish()
	}
	rep := &Report{Model: r.model, Workers: workers, Wall: wall, CPU: cpu, Records: r.recs, Err: err, GOMAXPROCS: gomaxprocs()}
	if r.prevProcs > 0 {
		runtime.GOMAXPROCS(r.prevProcs)
	}
	rep.finish(held, parallel)
	return rep
}

func gomaxprocs() int { return runtime.GOMAXPROCS(0) }

// cpuTime is the user+system CPU time of this process, of its terminated, waited-for
// children, and of the jobs that live children (a process pool's workers) have run so far: a
// pool's workers exit only at shutdown, so without that last part a run that awaits a process
// pool (Gather + ProcessPool) would show the children's work as idle.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) != nil || syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids) != nil {
		return 0
	}
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime) + time.Duration(liveChildCPU.Load())
}

// liveChildCPU is the CPU time (ns) reported by the results of child processes that have not
// been waited for yet.
var liveChildCPU atomic.Int64

// selfCPU is the user+system CPU time of this process alone.
func selfCPU() time.Duration {
	var self syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &self) != nil {
		return 0
	}
	return time.Duration(self.Utime.Nano() + self.Stime.Nano())
}

// goid returns the current goroutine's id (parsed from its stack header).
func goid() int {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	b := bytes.TrimPrefix(buf[:n], []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		id, _ := strconv.Atoi(string(b[:i]))
		return id
	}
	return 0
}

var progressDelay atomic.Int64

func init() { progressDelay.Store(int64(time.Second)) }

// SetProgressDelay sets how long a run lasts before its live progress display appears
// (default 1 s); a negative delay turns progress displays off.
func SetProgressDelay(d time.Duration) { progressDelay.Store(int64(d)) }

// progressInterval bounds the update rate of the progress display (at most 5 updates/s).
const progressInterval = 200 * time.Millisecond

type progress struct {
	stop chan struct{}
	wg   sync.WaitGroup
}

func startProgress(r *run) *progress {
	delay := time.Duration(progressDelay.Load())
	if delay < 0 {
		return nil
	}
	p := &progress{stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		tm := time.NewTimer(delay)
		defer tm.Stop()
		select {
		case <-p.stop:
			return
		case <-tm.C:
		}
		h := display.New()
		view := func(final bool) progressView {
			return progressView{Model: r.model, Done: int(r.done.Load()), Total: len(r.recs), Elapsed: r.since(), Final: final}
		}
		h.Update(view(false))
		tick := time.NewTicker(progressInterval)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				h.Update(view(true))
				return
			case <-tick.C:
				h.Update(view(false))
			}
		}
	}()
	return p
}

func (p *progress) finish() {
	close(p.stop)
	p.wg.Wait()
}

// progressView is the live display of a long run.
type progressView struct {
	Model       string
	Done, Total int
	Elapsed     time.Duration
	Final       bool
}

func (v progressView) String() string {
	state := "running"
	if v.Final {
		state = "finished"
	}
	return fmt.Sprintf("%s %s: %d/%d tasks done, %.1f s", v.Model, state, v.Done, v.Total, v.Elapsed.Seconds())
}

func (v progressView) HTML() string {
	return fmt.Sprintf(`<div><progress value="%d" max="%d"></progress> %s</div>`, v.Done, max(v.Total, 1), html.EscapeString(v.String()))
}

func pidLabel(pid int) string { return "pid " + strconv.Itoa(pid) }

var selfPid = os.Getpid()
