package executors

import (
	"container/heap"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"sync"
	"time"
)

// Gather runs the jobs as coroutines on a single-threaded cooperative event loop and waits for
// all of them (asyncio.run(asyncio.gather(...))). Exactly one coroutine runs at a time; the loop
// switches only at await points: Task.Sleep, Task.Fetch, Task.Await, Task.Blocking, Task.Yield.
// A coroutine that computes, or calls time.Sleep, without awaiting blocks every other one.
//
// By default the first error cancels the coroutines still running (each is unwound at its
// await point with ErrCancelled) and becomes Report.Err; with ReturnExceptions() every
// coroutine runs to the end and every error is kept in its record. Results are in job order.
func Gather(args ...any) *Report {
	jobs, cfg, err := parseArgs(args)
	if err != nil {
		return errorReport("Gather", err)
	}
	ps, err := prepareJobs(jobs)
	if err != nil {
		return errorReport("Gather", err)
	}
	r := newRun("Gather", cfg, len(ps))
	l := newLoop(r, ps)
	l.loop()
	for _, rec := range l.spawned {
		r.recs = append(r.recs, *rec)
	}
	err = l.firstErr
	if err == nil {
		err = r.ctxErr()
	}
	return r.reportIdeal(1, 0, l.held, err)
}

type coState int

const (
	coReady coState = iota
	coWaiting
	coDone
)

// coro is one coroutine: a goroutine handed control by iter.Pull's direct switch, so the loop
// and its coroutines never run at the same time.
type coro struct {
	t         *Task
	p         prepared
	next      func() (struct{}, bool)
	stop      func()
	yield     func(struct{}) bool
	state     coState
	started   bool
	cancelled bool
	gen       uint64 // bumped at each suspension; stale timers and wake-ups are ignored
	readyAt   time.Time
	result    any
	err       error
	fut       *Future // for coroutines started with Task.Go
	// sleepOnly is the duration of a built-in Sleep job, which the loop runs as a stackless
	// state machine (start: arm a timer; wake: finish) instead of on its own goroutine.
	sleepOnly time.Duration
}

type timerEntry struct {
	at  time.Time
	c   *coro
	gen uint64
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

type wakeup struct {
	c   *coro
	gen uint64
	at  time.Time
}

// eventLoop schedules coroutines: a FIFO ready queue, a timer heap (one entry per sleeping
// coroutine, one OS timer for the whole loop) and a wake-up list fed by finished I/O.
type eventLoop struct {
	r         *run
	coros     []*coro
	ready     []*coro
	head      int
	timers    timerHeap
	timer     *time.Timer
	mu        sync.Mutex
	woken     []wakeup
	wakeCh    chan struct{}
	remaining int
	held      time.Duration
	firstErr  error
	cancelled bool
	spawned   []*TaskRecord // records of coroutines started with Task.Go
}

func newLoop(r *run, ps []prepared) *eventLoop {
	l := &eventLoop{r: r, wakeCh: make(chan struct{}, 1), remaining: len(ps)}
	l.timer = time.NewTimer(time.Hour)
	l.timer.Stop()
	// One allocation each for all coroutines, tasks and their first two spans: a gather of
	// 100,000 coroutines should cost little more than its timers.
	l.coros = make([]*coro, len(ps))
	coros := make([]coro, len(ps))
	tasks := make([]Task, len(ps))
	spans := make([]Span, 2*len(ps))
	for i, p := range ps {
		c := &coros[i]
		c.p = p
		if p.c.named == "executors.Sleep" && len(p.vals) == 1 {
			d, _ := p.vals[0].(time.Duration)
			c.sleepOnly = Scaled(d)
		}
		rec := &r.recs[p.id]
		rec.Name, rec.Worker, rec.Pid = p.name, "coroutine "+strconv.Itoa(p.id), selfPid
		rec.Spans = spans[2*i : 2*i : 2*i+2]
		c.t = &tasks[i]
		*c.t = Task{ID: p.id, Name: p.name, ctx: r.ctx, sched: l, rec: rec, run: r, co: c}
		l.coros[i] = c
	}
	return l
}

func (l *eventLoop) push(c *coro, at time.Time) {
	c.state = coReady
	c.readyAt = at
	l.ready = append(l.ready, c)
}

func (l *eventLoop) loop() {
	now := time.Now()
	start := now.Sub(l.r.t0)
	for _, c := range l.coros {
		c.t.rec.Start = start
		l.push(c, now)
	}
	for l.remaining > 0 {
		for l.head < len(l.ready) {
			c := l.ready[l.head]
			l.ready[l.head] = nil
			l.head++
			l.resume(c)
			if !l.cancelled && l.r.ctx.Err() != nil {
				l.cancelAll()
			}
		}
		l.ready, l.head = l.ready[:0], 0
		if l.remaining == 0 {
			break
		}
		l.waitEvents()
	}
}

// resume runs c until its next await point or its end.
func (l *eventLoop) resume(c *coro) {
	rec := c.t.rec
	now := time.Now()
	if d := now.Sub(c.readyAt); d > 0 {
		rec.Waited += d
	}
	if c.sleepOnly > 0 {
		l.stepSleeper(c, now)
		end := time.Now()
		l.held += end.Sub(now)
		addSpan(rec, Span{now.Sub(l.r.t0), end.Sub(l.r.t0)})
		return
	}
	if !c.started {
		c.started = true
		if c.cancelled {
			l.finish(c, nil, ErrCancelled)
			return
		}
		c.next, c.stop = iter.Pull(func(yield func(struct{}) bool) {
			c.yield = yield
			c.result, c.err = c.p.invoke(c.t)
		})
	}
	_, more := c.next()
	end := time.Now()
	l.held += end.Sub(now)
	addSpan(rec, Span{now.Sub(l.r.t0), end.Sub(l.r.t0)})
	if !more {
		l.finish(c, c.result, c.err)
	}
}

// stepSleeper runs a built-in Sleep coroutine one step: arm its timer, then finish.
func (l *eventLoop) stepSleeper(c *coro, now time.Time) {
	switch {
	case c.cancelled:
		l.finish(c, nil, ErrCancelled)
	case !c.started:
		c.started = true
		c.gen++
		c.state = coWaiting
		heap.Push(&l.timers, timerEntry{at: now.Add(c.sleepOnly), c: c, gen: c.gen})
	default:
		l.finish(c, nil, nil)
	}
}

func (l *eventLoop) finish(c *coro, res any, err error) {
	c.state = coDone
	if c.stop != nil {
		c.stop()
	}
	rec := c.t.rec
	rec.End = l.r.since()
	rec.Result, rec.Err = res, err
	if c.fut != nil {
		c.fut.start()
		c.fut.set(res, err)
	}
	l.remaining--
	l.r.done.Add(1)
	if err != nil && !l.r.cfg.returnExceptions && !l.cancelled && !errors.Is(err, ErrCancelled) {
		l.firstErr = fmt.Errorf("%s: %w", rec.Name, err)
		l.cancelAll()
	}
}

// cancelAll cancels every unfinished coroutine: each is resumed and unwinds at its await point.
func (l *eventLoop) cancelAll() {
	l.cancelled = true
	now := time.Now()
	for _, c := range l.coros {
		if c.state == coDone || c.cancelled {
			continue
		}
		c.cancelled = true
		if c.state == coWaiting {
			c.gen++
			l.push(c, now)
		}
	}
}

// waitEvents blocks until a timer is due or an I/O wake-up arrives, and queues those coroutines.
func (l *eventLoop) waitEvents() {
	for {
		now := time.Now()
		for len(l.timers) > 0 && !l.timers[0].at.After(now) {
			e := heap.Pop(&l.timers).(timerEntry)
			if e.c.gen == e.gen && e.c.state == coWaiting {
				l.push(e.c, e.at)
			}
		}
		l.mu.Lock()
		woken := l.woken
		l.woken = nil
		l.mu.Unlock()
		for _, w := range woken {
			if w.c.gen == w.gen && w.c.state == coWaiting {
				l.push(w.c, w.at)
			}
		}
		if len(l.ready) > 0 {
			return
		}
		var timerC <-chan time.Time
		if len(l.timers) > 0 {
			l.timer.Reset(l.timers[0].at.Sub(now))
			timerC = l.timer.C
		}
		var done <-chan struct{}
		if !l.cancelled {
			done = l.r.ctx.Done()
		}
		select {
		case <-timerC:
		case <-l.wakeCh:
			l.timer.Stop()
		case <-done:
			l.timer.Stop()
			l.cancelAll()
			return
		}
	}
}

// suspend hands control back to the loop; it returns when the loop resumes c, and unwinds
// the coroutine if it was cancelled meanwhile.
func (l *eventLoop) suspend(c *coro) {
	if !c.yield(struct{}{}) || c.cancelled {
		panic(cancelSignal{})
	}
}

func (l *eventLoop) sleep(t *Task, d time.Duration) {
	c := t.co
	if c.cancelled {
		panic(cancelSignal{})
	}
	c.gen++
	c.state = coWaiting
	heap.Push(&l.timers, timerEntry{at: time.Now().Add(d), c: c, gen: c.gen})
	l.suspend(c)
}

func (l *eventLoop) block(t *Task, f func()) {
	c := t.co
	if c.cancelled {
		panic(cancelSignal{})
	}
	c.gen++
	c.state = coWaiting
	gen := c.gen
	go func() {
		f()
		l.mu.Lock()
		l.woken = append(l.woken, wakeup{c: c, gen: gen, at: time.Now()})
		l.mu.Unlock()
		select {
		case l.wakeCh <- struct{}{}:
		default:
		}
	}()
	l.suspend(c)
}

func (l *eventLoop) yield(t *Task) {
	c := t.co
	if c.cancelled {
		panic(cancelSignal{})
	}
	c.gen++
	l.push(c, time.Now())
	l.suspend(c)
}

func (l *eventLoop) checkpoint(t *Task) {
	if t.co.cancelled {
		panic(cancelSignal{})
	}
}

// spawn adds a coroutine for p to the running loop (asyncio.create_task).
func (l *eventLoop) spawn(p prepared) *Future {
	rec := &TaskRecord{ID: p.id, Name: p.name, Worker: "coroutine " + strconv.Itoa(p.id), Pid: selfPid, Start: l.r.since()}
	l.spawned = append(l.spawned, rec)
	c := &coro{p: p, fut: newFuture(p.id, p.name)}
	c.t = &Task{ID: p.id, Name: p.name, ctx: l.r.ctx, sched: l, rec: rec, run: l.r, co: c}
	l.coros = append(l.coros, c)
	l.remaining++
	if l.cancelled {
		c.cancelled = true
	}
	l.push(c, time.Now())
	return c.fut
}
