package executors

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"
)

// Task is handed to a user function whose first parameter is *Task. Its helpers are the
// model's wait points: under Threads they simply wait; under the GIL they release the lock
// while waiting; under Gather they are the awaits of a coroutine (the loop runs another
// coroutine meanwhile); in a child process they wait in that process.
//
// Call a Task's methods only from the goroutine running the task.
type Task struct {
	ID   int    // index of the task in its run, from 0
	Name string // label of the task

	ctx   context.Context
	sched scheduler
	rec   *TaskRecord
	run   *run
	holds bool      // holds the GIL
	since time.Time // when it took the GIL or the loop
	co    *coro     // under Gather
}

// scheduler implements the wait points of one model.
type scheduler interface {
	sleep(t *Task, d time.Duration)
	block(t *Task, f func()) // run blocking f (I/O); the model may run others meanwhile
	yield(t *Task)
	checkpoint(t *Task)
}

// Context returns the task's context, cancelled when the run is cancelled.
func (t *Task) Context() context.Context {
	if t.ctx == nil {
		return context.Background()
	}
	return t.ctx
}

// Cancelled reports whether the run was cancelled.
func (t *Task) Cancelled() bool { return t.ctx != nil && t.ctx.Err() != nil }

// Printf writes to standard output, whole lines at a time (in a child process the parent
// prefixes each line with the child's pid).
func (t *Task) Printf(format string, args ...any) {
	writeOut(fmt.Sprintf(format, args...))
}

// Println writes its arguments and a newline to standard output.
func (t *Task) Println(args ...any) {
	writeOut(fmt.Sprintln(args...))
}

var outMu sync.Mutex

func writeOut(s string) {
	outMu.Lock()
	defer outMu.Unlock()
	io.WriteString(os.Stdout, s)
}

// Sleep waits d: time.sleep under threads (releasing the GIL), await asyncio.sleep(d) under
// Gather. A cancelled run interrupts it and unwinds the task.
// The duration is multiplied by Scale (QUIRE_LESSON_SCALE, 1 for learners).
func (t *Task) Sleep(d time.Duration) {
	t.scheduler().sleep(t, Scaled(d))
}

// Yield lets other tasks run: await asyncio.sleep(0) under Gather, a GIL release under the GIL,
// runtime.Gosched otherwise.
func (t *Task) Yield() { t.scheduler().yield(t) }

// Checkpoint is where CPU-bound code lets the model intervene: under the GIL it releases the
// lock once the switch interval has passed and another task waits (CPython's eval-loop check);
// it also unwinds a cancelled task. Under Gather it does NOT yield: computing blocks the loop.
func (t *Task) Checkpoint() { t.scheduler().checkpoint(t) }

// Fetch GETs url and returns the body: real I/O, during which the GIL is released and, under
// Gather, other coroutines run.
func (t *Task) Fetch(url string) (string, error) {
	var body string
	var err error
	t.scheduler().block(t, func() { body, err = httpGet(t.Context(), url) })
	return body, err
}

// Await waits for f and returns its result; under Gather other coroutines run meanwhile
// (await loop.run_in_executor(...)).
func (t *Task) Await(f *Future) (any, error) {
	t.scheduler().block(t, func() { <-f.done })
	return f.Result()
}

// Go starts fn(args...) as a new task of the same model and returns its Future at once: under
// Gather a coroutine on the same loop (asyncio.create_task; the run waits for it too, and it
// is added to the report), elsewhere a goroutine (not in the report). Await it with t.Await.
func (t *Task) Go(fn any, args ...any) *Future {
	ps, err := prepareJobs([]Job{{Fn: fn, Args: args}})
	id := 0
	if t.run != nil {
		id = len(t.run.recs) + int(t.run.spawnedN.Add(1)) - 1
	}
	if err != nil {
		f := newFuture(id, "task")
		f.set(nil, err)
		return f
	}
	p := ps[0]
	p.id, p.name = id, fmt.Sprintf("%s#%d", p.c.name, id)
	if l, ok := t.sched.(*eventLoop); ok {
		return l.spawn(p)
	}
	f := newFuture(id, p.name)
	f.start()
	ctx, t0 := t.Context(), time.Now()
	if t.run != nil {
		t0 = t.run.t0
	}
	go func() {
		var rec TaskRecord
		execTask(ctx, t0, nil, p, &rec, fmt.Sprintf("goroutine %d", goid()), plainSched{}, nil)
		f.set(rec.Result, rec.Err)
	}()
	return f
}

// WaitTurn runs f, a blocking wait for a turn that the task's own code imposes (taking a slot
// of a semaphore, a lock, a connection from a small pool), as an await point like Blocking,
// and counts its time as waiting (TaskRecord.Turn and Waited), not as the task's work: so a
// report of six 0.5 s jobs through a 2-slot semaphore shows their 3 s of work (speedup 2x over
// running them one by one), not 6 s, and an ideal wall time that includes the turns.
//
//	t.WaitTurn(func() { slots <- struct{}{} }) // acquire
//	defer func() { <-slots }()                 // release
func (t *Task) WaitTurn(f func()) {
	var d time.Duration
	t.scheduler().block(t, func() {
		t0 := time.Now()
		f()
		d = time.Since(t0)
	})
	if t.rec != nil {
		t.rec.Turn += d
		t.rec.Waited += d
	}
}

// Blocking runs f, a blocking call, as an await point: it releases the GIL, and under Gather
// it runs f on another goroutine while the loop runs other coroutines (asyncio.to_thread).
func (t *Task) Blocking(f func()) { t.scheduler().block(t, f) }

func (t *Task) scheduler() scheduler {
	if t.sched == nil {
		return plainSched{}
	}
	return t.sched
}

var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

func httpGet(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", url, err)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("fetch %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("fetch %s: %s", url, resp.Status)
	}
	return string(b), nil
}

// plainSched: goroutines and OS processes wait for real (Sequential, Threads, children).
type plainSched struct{}

func (plainSched) sleep(t *Task, d time.Duration) { ctxSleep(t.ctx, d) }

func (plainSched) block(t *Task, f func()) {
	checkCancel(t.ctx)
	f()
}

func (plainSched) yield(t *Task) {
	checkCancel(t.ctx)
	runtime.Gosched()
}

func (plainSched) checkpoint(t *Task) { checkCancel(t.ctx) }

func ctxSleep(ctx context.Context, d time.Duration) {
	if ctx == nil {
		time.Sleep(d)
		return
	}
	checkCancel(ctx)
	tm := time.NewTimer(d)
	select {
	case <-tm.C:
	case <-ctx.Done():
		tm.Stop()
		panic(cancelSignal{})
	}
}

func checkCancel(ctx context.Context) {
	if ctx == nil {
		return
	}
	select {
	case <-ctx.Done():
		panic(cancelSignal{})
	default:
	}
}
