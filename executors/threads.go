package executors

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Model is a way of running jobs; Sequential, Threads, GILThreads, Processes and Gather are
// Models, and With derives one with options.
type Model func(args ...any) *Report

// With returns m with opts added to every call (for Compare).
func With(m Model, opts ...Option) Model {
	return func(args ...any) *Report {
		all := make([]any, 0, len(args)+len(opts))
		all = append(all, args...)
		for _, o := range opts {
			all = append(all, o)
		}
		return m(all...)
	}
}

// Sequential runs the jobs one after the other in the calling goroutine: the baseline.
func Sequential(args ...any) *Report {
	jobs, cfg, err := parseArgs(args)
	if err != nil {
		return errorReport("Sequential", err)
	}
	ps, err := prepareJobs(jobs)
	if err != nil {
		return errorReport("Sequential", err)
	}
	r := newRun("Sequential", cfg, len(ps))
	for _, p := range ps {
		r.exec(p, "main", plainSched{}, nil)
	}
	return r.report(1, 0, nil)
}

// Threads runs each job on its own goroutine and joins them all (threading.Thread + start +
// join), or on Workers(n) goroutines taking jobs in order. With GIL() they run one at a time
// like CPython threads. Goroutines run in parallel up to GOMAXPROCS.
//
//	executors.Threads(3, worker)                            // three copies of worker
//	executors.Threads(executors.Each(worker, "A", "B", "C")) // worker("A"), worker("B"), worker("C")
func Threads(args ...any) *Report {
	jobs, cfg, err := parseArgs(args)
	model := "Threads"
	if cfg.gil {
		model = "Threads+GIL"
	}
	if err != nil {
		return errorReport(model, err)
	}
	return runThreads(model, jobs, cfg)
}

// GILThreads is Threads with GIL(): CPython's threads.
func GILThreads(args ...any) *Report { return Threads(append(args, GIL())...) }

func runThreads(model string, jobs []Job, cfg config) *Report {
	ps, err := prepareJobs(jobs)
	if err != nil {
		return errorReport(model, err)
	}
	r := newRun(model, cfg, len(ps))
	var sched scheduler = plainSched{}
	var g *gilSched
	if cfg.gil {
		g = newGIL(r, cfg.switchInterval)
		sched = g
	}
	workers := len(ps)
	var wg sync.WaitGroup
	if cfg.workers > 0 && cfg.workers < len(ps) {
		workers = cfg.workers
		var next atomic.Int64
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				label := fmt.Sprintf("worker %d", w)
				for {
					i := int(next.Add(1) - 1)
					if i >= len(ps) {
						return
					}
					r.exec(ps[i], label, sched, g)
				}
			}()
		}
	} else {
		for _, p := range ps {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.exec(p, fmt.Sprintf("goroutine %d", goid()), sched, g)
			}()
		}
	}
	wg.Wait()
	var held time.Duration
	if g != nil {
		held = g.heldTotal()
	}
	return r.report(workers, held, r.ctxErr())
}

func (r *run) ctxErr() error {
	ctx := r.cfg.ctx
	if ctx == nil {
		ctx = BaseContext()
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s cancelled: %w", r.model, ctx.Err())
	}
	return nil
}

// exec runs one prepared job on the current goroutine and fills its record.
func (r *run) exec(p prepared, worker string, sched scheduler, g *gilSched) {
	execTask(r.ctx, r.t0, r, p, &r.recs[p.id], worker, sched, g)
	r.done.Add(1)
}

func execTask(ctx context.Context, t0 time.Time, r *run, p prepared, rec *TaskRecord, worker string, sched scheduler, g *gilSched) {
	rec.ID, rec.Name, rec.Worker, rec.Pid = p.id, p.name, worker, selfPid
	if r != nil { // pools skip the syscall: their round trip is the measure
		rec.Thread = syscall.Gettid()
	}
	t := &Task{ID: p.id, Name: p.name, ctx: ctx, sched: sched, rec: rec, run: r}
	rec.Start = time.Since(t0)
	var res any
	var err error
	if ctx.Err() != nil {
		err = ErrCancelled
	} else {
		if g != nil {
			g.acquire(t)
		}
		res, err = p.invoke(t)
		if g != nil && t.holds {
			g.release(t)
		}
	}
	rec.End = time.Since(t0)
	rec.Result, rec.Err = res, err
}

// gilSched is a fair global lock with CPython's switch-interval behaviour: a releasing task
// hands the lock directly to the longest waiter (FIFO), like CPython's forced switching.
type gilSched struct {
	run      *run
	interval time.Duration

	mu      sync.Mutex
	held    bool
	queue   []chan struct{}
	heldFor time.Duration
	waiting atomic.Int32
}

const maxSpans = 4096

func newGIL(r *run, interval time.Duration) *gilSched {
	if interval <= 0 {
		interval = 5 * time.Millisecond
	}
	return &gilSched{run: r, interval: interval}
}

func (g *gilSched) acquire(t *Task) { g.acquireSince(t, time.Now()) }

// acquireSince takes the lock, counting the time since w0 as waiting.
func (g *gilSched) acquireSince(t *Task, w0 time.Time) {
	g.mu.Lock()
	if !g.held && len(g.queue) == 0 {
		g.held = true
		g.mu.Unlock()
	} else {
		ch := make(chan struct{})
		g.queue = append(g.queue, ch)
		g.waiting.Add(1)
		g.mu.Unlock()
		<-ch // the releasing task handed the lock over
	}
	now := time.Now()
	t.rec.Waited += now.Sub(w0)
	t.holds = true
	t.since = now
}

// release hands the lock over and returns when it did (the start of the task's wait if it
// asks for the lock again at once).
func (g *gilSched) release(t *Task) time.Time {
	now := time.Now()
	t.holds = false
	g.mu.Lock()
	g.heldFor += now.Sub(t.since)
	if len(g.queue) > 0 {
		ch := g.queue[0]
		g.queue[0] = nil
		g.queue = g.queue[1:]
		g.waiting.Add(-1)
		close(ch) // hand over: held stays true
	} else {
		g.held = false
	}
	g.mu.Unlock()
	addSpan(t.rec, Span{t.since.Sub(g.run.t0), now.Sub(g.run.t0)})
	return now
}

func addSpan(rec *TaskRecord, s Span) {
	if n := len(rec.Spans); n >= maxSpans {
		rec.Spans[n-1].End = s.End
		return
	}
	rec.Spans = append(rec.Spans, s)
}

func (g *gilSched) heldTotal() time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.heldFor
}

func (g *gilSched) sleep(t *Task, d time.Duration) {
	g.release(t)
	ctxSleep(t.ctx, d)
	g.acquire(t)
}

func (g *gilSched) block(t *Task, f func()) {
	g.release(t)
	checkCancel(t.ctx)
	f()
	g.acquire(t)
}

func (g *gilSched) yield(t *Task) {
	w0 := g.release(t)
	checkCancel(t.ctx)
	g.acquireSince(t, w0)
}

func (g *gilSched) checkpoint(t *Task) {
	checkCancel(t.ctx)
	if g.waiting.Load() > 0 && time.Since(t.since) >= g.interval {
		g.acquireSince(t, g.release(t))
	}
}

// Thread is one goroutine started and joined explicitly (threading.Thread).
type Thread struct {
	job     Job
	mu      sync.Mutex
	started bool
	done    chan struct{}
	report  *Report
}

// NewThread returns an unstarted thread that will run fn(args...).
func NewThread(fn any, args ...any) *Thread {
	return &Thread{job: Job{Fn: fn, Args: args}, done: make(chan struct{})}
}

// Start starts the thread; starting it twice is an error.
func (th *Thread) Start() error {
	th.mu.Lock()
	defer th.mu.Unlock()
	if th.started {
		return fmt.Errorf("executors: thread already started")
	}
	th.started = true
	go func() {
		defer close(th.done)
		th.report = runThreads("Thread", []Job{th.job}, config{quiet: true})
	}()
	return nil
}

func (th *Thread) isStarted() bool {
	th.mu.Lock()
	defer th.mu.Unlock()
	return th.started
}

// Join waits for the thread to finish and returns the task's error.
func (th *Thread) Join() error {
	if !th.isStarted() {
		return fmt.Errorf("executors: cannot join a thread before it is started")
	}
	<-th.done
	return th.report.Err
}

// IsAlive reports whether the thread has started and not finished.
func (th *Thread) IsAlive() bool {
	select {
	case <-th.done:
		return false
	default:
		return th.isStarted()
	}
}

// Result waits for the thread and returns the function's result and error.
func (th *Thread) Result() (any, error) {
	if err := th.Join(); err != nil && th.report == nil {
		return nil, err
	}
	if len(th.report.Records) == 0 {
		return nil, th.report.Err
	}
	rec := th.report.Records[0]
	return rec.Result, rec.Err
}

// Report waits for the thread and returns its timing report.
func (th *Thread) Report() *Report {
	if err := th.Join(); err != nil && th.report == nil {
		return errorReport("Thread", err)
	}
	return th.report
}
