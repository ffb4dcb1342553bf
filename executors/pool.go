package executors

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"
)

// ErrTimeout is returned by Future.ResultTimeout when the result is not ready in time.
var ErrTimeout = errors.New("executors: timed out waiting for the result")

// ErrShutdown is the error of a job submitted to a pool after Shutdown.
var ErrShutdown = errors.New("executors: the pool is shut down")

type futureState int

const (
	fsPending futureState = iota
	fsRunning
	fsDone
	fsCancelled
)

// Future stands for the result of a job submitted to a pool, which may not be ready yet
// (concurrent.futures.Future).
type Future struct {
	ID   int    // submission index in its pool, from 0
	Name string // label of the job

	mu     sync.Mutex
	state  futureState
	done   chan struct{}
	result any
	err    error
}

func newFuture(id int, name string) *Future {
	return &Future{ID: id, Name: name, done: make(chan struct{})}
}

// start moves a pending future to running; false if it was cancelled.
func (f *Future) start() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state != fsPending {
		return false
	}
	f.state = fsRunning
	return true
}

func (f *Future) set(res any, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.state == fsDone || f.state == fsCancelled {
		return
	}
	f.result, f.err, f.state = res, err, fsDone
	close(f.done)
}

// Result waits for the job and returns its result and error (a panic in the job comes back
// as a *PanicError).
func (f *Future) Result() (any, error) {
	<-f.done
	return f.result, f.err
}

// ResultTimeout waits at most d; after that it returns ErrTimeout (the job keeps running).
func (f *Future) ResultTimeout(d time.Duration) (any, error) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-f.done:
		return f.result, f.err
	case <-tm.C:
		return nil, ErrTimeout
	}
}

// Err waits for the job and returns its error (Future.exception()).
func (f *Future) Err() error {
	<-f.done
	return f.err
}

// Done reports whether the job finished or was cancelled.
func (f *Future) Done() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// Running reports whether the job is running now.
func (f *Future) Running() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state == fsRunning
}

// Cancelled reports whether the future was cancelled.
func (f *Future) Cancelled() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state == fsCancelled
}

// Cancel cancels the job if it has not started, like Python: a running or finished job cannot
// be cancelled, and Cancel returns false.
func (f *Future) Cancel() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch f.state {
	case fsCancelled:
		return true
	case fsPending:
		f.state, f.err = fsCancelled, ErrCancelled
		close(f.done)
		return true
	}
	return false
}

func (f *Future) String() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	state := [...]string{"pending", "running", "finished", "cancelled"}[f.state]
	if f.state == fsDone && f.err != nil {
		return fmt.Sprintf("<Future %s %s: error %v>", f.Name, state, f.err)
	}
	if f.state == fsDone {
		return fmt.Sprintf("<Future %s %s: %v>", f.Name, state, f.result)
	}
	return fmt.Sprintf("<Future %s %s>", f.Name, state)
}

// AsCompleted returns a channel that yields the futures as they finish, in completion order,
// and is closed after the last (concurrent.futures.as_completed).
func AsCompleted(futures ...*Future) <-chan *Future {
	ch := make(chan *Future, len(futures))
	var wg sync.WaitGroup
	for _, f := range futures {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-f.done
			ch <- f
		}()
	}
	go func() {
		wg.Wait()
		close(ch)
	}()
	return ch
}

// Wait waits until every future is done.
func Wait(futures ...*Future) {
	for _, f := range futures {
		<-f.done
	}
}

// WaitFirst waits until at least one future is done and returns the done ones and the others
// (concurrent.futures.wait(..., return_when=FIRST_COMPLETED)).
func WaitFirst(futures ...*Future) (done, pending []*Future) {
	if len(futures) == 0 {
		return nil, nil
	}
	<-AsCompleted(futures...)
	for _, f := range futures {
		if f.Done() {
			done = append(done, f)
		} else {
			pending = append(pending, f)
		}
	}
	return done, pending
}

// pool is the machinery shared by ThreadPool and ProcessPool.
type pool struct {
	model   string
	workers int
	t0      time.Time
	cpu0    time.Duration
	ctx     context.Context
	cancel  context.CancelFunc

	mu      sync.Mutex
	cond    *sync.Cond
	queue   []*poolItem
	closed  bool
	items   []*poolItem
	lastEnd time.Duration
	cpuEnd  time.Duration // cpuTime() when the job that ended last (lastEnd) finished
	wg      sync.WaitGroup
}

type poolItem struct {
	f   *Future
	p   prepared
	rj  remoteJob
	rec TaskRecord
}

func newPool(model string, n int) *pool {
	if n <= 0 {
		n = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &pool{model: model, workers: n, t0: time.Now(), cpu0: cpuTime(), ctx: ctx, cancel: cancel}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// take waits for the next job; nil when the pool is shut down and drained.
func (p *pool) take() *poolItem {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		for len(p.queue) > 0 {
			it := p.queue[0]
			p.queue[0] = nil
			p.queue = p.queue[1:]
			if it.f.start() {
				return it
			}
		}
		if p.closed {
			return nil
		}
		p.cond.Wait()
	}
}

func (p *pool) enqueue(it *poolItem) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.items = append(p.items, it)
	if p.closed {
		it.f.set(nil, ErrShutdown)
		return
	}
	p.queue = append(p.queue, it)
	p.cond.Signal()
}

func (p *pool) nextID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.items)
}

func (p *pool) finished(it *poolItem) {
	cpu := cpuTime()
	p.mu.Lock()
	if it.rec.End >= p.lastEnd {
		// The pool's run ends with its last job: its CPU time is measured up to then, not
		// when Report is called (a cell may compute for a while before asking).
		p.lastEnd, p.cpuEnd = it.rec.End, cpu
	}
	p.mu.Unlock()
	it.f.set(it.rec.Result, it.rec.Err)
}

func (p *pool) shutdown(wait bool) {
	p.mu.Lock()
	p.closed = true
	p.cond.Broadcast()
	p.mu.Unlock()
	if wait {
		p.wg.Wait()
	}
}

func (p *pool) cancelPending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, it := range p.queue {
		if it.f.Cancel() {
			n++
		}
	}
	return n
}

// report describes every job submitted so far; the wall time runs from the pool's creation
// to the last job's end.
func (p *pool) report() *Report {
	p.mu.Lock()
	defer p.mu.Unlock()
	rep := &Report{Model: p.model, Workers: p.workers, GOMAXPROCS: gomaxprocs()}
	if p.cpuEnd > p.cpu0 {
		rep.CPU = p.cpuEnd - p.cpu0
	}
	for _, it := range p.items {
		if it.f.Done() {
			rec := it.rec
			if it.f.Cancelled() {
				rec = TaskRecord{ID: it.p.id, Name: it.p.name, Err: ErrCancelled}
			}
			rep.Records = append(rep.Records, rec)
		}
	}
	rep.Wall = p.lastEnd
	rep.finish(0, p.workers)
	return rep
}

func (p *pool) mapJobs(submit func(fn any, args ...any) *Future, fn any, items any) ([]any, error) {
	v := reflect.ValueOf(items)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return nil, fmt.Errorf("executors: Map wants a slice of arguments, got %T", items)
	}
	fs := make([]*Future, v.Len())
	for i := range fs {
		fs[i] = submit(fn, v.Index(i).Interface())
	}
	out := make([]any, len(fs))
	var errs []error
	for i, f := range fs {
		res, err := f.Result()
		out[i] = res
		if err != nil {
			errs = append(errs, fmt.Errorf("item %d: %w", i, err))
		}
	}
	return out, joinErrs(errs)
}

// ThreadPool runs submitted jobs on a fixed number of goroutines
// (concurrent.futures.ThreadPoolExecutor).
type ThreadPool struct{ p *pool }

// NewThreadPool starts a pool of n worker goroutines.
func NewThreadPool(n int) *ThreadPool {
	tp := &ThreadPool{p: newPool(fmt.Sprintf("ThreadPool(%d)", max(n, 1)), n)}
	for w := 0; w < tp.p.workers; w++ {
		tp.p.wg.Add(1)
		go func() {
			defer tp.p.wg.Done()
			label := fmt.Sprintf("worker %d", w)
			for {
				it := tp.p.take()
				if it == nil {
					return
				}
				execTask(tp.p.ctx, tp.p.t0, nil, it.p, &it.rec, label, plainSched{}, nil)
				tp.p.finished(it)
			}
		}()
	}
	return tp
}

// Submit schedules fn(args...) and returns its Future at once. A job that cannot be called
// (wrong arguments, not a function) gets a Future that is already done with the error.
func (tp *ThreadPool) Submit(fn any, args ...any) *Future {
	return submitTo(tp.p, fn, args, false)
}

func submitTo(p *pool, fn any, args []any, remote bool) *Future {
	id := p.nextID()
	job := Job{Fn: fn, Args: args}
	it := &poolItem{}
	var err error
	if remote {
		var rjs []remoteJob
		if rjs, _, err = prepareRemote([]Job{job}, false); err == nil {
			it.rj = rjs[0]
			it.p = rjs[0].p
		}
	} else {
		var ps []prepared
		if ps, err = prepareJobs([]Job{job}); err == nil {
			it.p = ps[0]
		}
	}
	name := fmt.Sprintf("task#%d", id)
	if err == nil {
		name = fmt.Sprintf("%s#%d", it.p.c.name, id)
	}
	it.p.id, it.p.name, it.rj.p.id, it.rj.p.name = id, name, id, name
	it.f = newFuture(id, name)
	if err != nil {
		it.rec = TaskRecord{ID: id, Name: name, Err: err}
		p.mu.Lock()
		p.items = append(p.items, it)
		p.mu.Unlock()
		it.f.set(nil, err)
		return it.f
	}
	p.enqueue(it)
	return it.f
}

// Map runs fn on each element of items (a slice; one element per call) and returns the
// results in order, with the errors joined (executor.map).
func (tp *ThreadPool) Map(fn any, items any) ([]any, error) {
	return tp.p.mapJobs(tp.Submit, fn, items)
}

// Shutdown stops accepting jobs; with wait, it returns when every submitted job has finished.
func (tp *ThreadPool) Shutdown(wait bool) { tp.p.shutdown(wait) }

// CancelPending cancels the jobs that have not started and returns how many.
func (tp *ThreadPool) CancelPending() int { return tp.p.cancelPending() }

// Report returns the timing report of the jobs finished so far.
func (tp *ThreadPool) Report() *Report { return tp.p.report() }

// ProcessPool runs submitted jobs in a fixed number of child processes, started on demand and
// reused (concurrent.futures.ProcessPoolExecutor). Functions must be top-level; arguments and
// results travel by value (JSON). A child that crashes fails its job and is replaced.
type ProcessPool struct{ p *pool }

// NewProcessPool returns a pool of at most n child processes.
func NewProcessPool(n int) *ProcessPool {
	pp := &ProcessPool{p: newPool(fmt.Sprintf("ProcessPool(%d)", max(n, 1)), n)}
	for w := 0; w < pp.p.workers; w++ {
		pp.p.wg.Add(1)
		go func() {
			defer pp.p.wg.Done()
			var c *child
			defer func() {
				if c != nil {
					c.close()
				}
			}()
			for {
				it := pp.p.take()
				if it == nil {
					return
				}
				if c == nil {
					var err error
					if c, err = acquireChild(pp.p.ctx, nil); err != nil {
						it.rec = TaskRecord{ID: it.p.id, Name: it.p.name, Err: err}
						pp.p.finished(it)
						continue
					}
				}
				callRemote(pp.p.ctx, c, it.rj, &it.rec, pp.p.t0)
				pp.p.finished(it)
				select {
				case <-c.exited:
					c.close()
					c = nil
				default:
				}
			}
		}()
	}
	return pp
}

// Submit schedules fn(args...) in a child process and returns its Future at once.
func (pp *ProcessPool) Submit(fn any, args ...any) *Future {
	return submitTo(pp.p, fn, args, true)
}

// Map runs fn on each element of items in the children and returns the results in order.
func (pp *ProcessPool) Map(fn any, items any) ([]any, error) {
	return pp.p.mapJobs(pp.Submit, fn, items)
}

// Shutdown stops accepting jobs; with wait, it waits for them and for the children to exit.
func (pp *ProcessPool) Shutdown(wait bool) { pp.p.shutdown(wait) }

// Kill kills the children at once; running jobs fail.
func (pp *ProcessPool) Kill() {
	pp.p.cancelPending()
	pp.p.cancel()
	pp.p.shutdown(true)
}

// CancelPending cancels the jobs that have not started and returns how many.
func (pp *ProcessPool) CancelPending() int { return pp.p.cancelPending() }

// Report returns the timing report of the jobs finished so far.
func (pp *ProcessPool) Report() *Report { return pp.p.report() }
