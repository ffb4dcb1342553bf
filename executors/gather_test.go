package executors

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// E5/E6 shape: gathered coroutines sleeping one unit finish in one unit, results in order.
func TestGatherOverlapsAwaits(t *testing.T) {
	fetchData := func(t *Task) string {
		t.Printf("fetching %d\n", t.ID)
		t.Sleep(unit)
		return fmt.Sprintf("data %d", t.ID)
	}
	r := Gather(fetchData, fetchData, fetchData)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	within(t, "3 gathered sleeps", r.Wall, unit, 2*unit)
	for i := range 3 {
		if r.Results[i] != fmt.Sprintf("data %d", i) {
			t.Errorf("result %d = %v", i, r.Results[i])
		}
	}
	assertOneAtATime(t, r)
}

// assertOneAtATime checks the event loop's invariant: no two coroutines ran at the same time.
func assertOneAtATime(t *testing.T, r *Report) {
	t.Helper()
	var spans []Span
	for _, rec := range r.Records {
		spans = append(spans, rec.Spans...)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start < spans[j].Start })
	for i := 1; i < len(spans); i++ {
		if spans[i].Start < spans[i-1].End {
			t.Fatalf("coroutines ran at the same time: %v and %v", spans[i-1], spans[i])
		}
	}
}

// A coroutine that computes without awaiting blocks all the others.
func TestGatherCPUBlocksLoop(t *testing.T) {
	n := PrimesFor(2 * unit)
	var woke time.Duration
	t0 := time.Now()
	r := Gather(
		func(t *Task) { t.Sleep(unit / 10); woke = time.Since(t0) }, // wants to wake at 20 ms
		CountPrimes(n), // computes for about 400 ms without awaiting
	)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	cpu := r.Records[1].End - r.Records[1].Start
	if woke < cpu*3/4 {
		t.Errorf("sleeper woke after %v although the CPU coroutine held the loop for %v", woke, cpu)
	}
	if r.Records[0].Waited < cpu/2 {
		t.Errorf("sleeper waited %v for the loop, want about %v", r.Records[0].Waited, cpu)
	}
	assertOneAtATime(t, r)

	// The same sleeper next to a cooperative coroutine wakes on time.
	woke = 0
	t0 = time.Now()
	Gather(
		func(t *Task) { t.Sleep(unit / 10); woke = time.Since(t0) },
		func(t *Task) {
			for i := 0; i < 20; i++ {
				Primes(2000)
				t.Yield()
				t.Sleep(time.Millisecond)
			}
		},
	)
	if woke > unit {
		t.Errorf("sleeper woke after %v next to a cooperative coroutine", woke)
	}
}

func TestGatherFirstErrorCancelsRest(t *testing.T) {
	var after atomic.Bool
	r := Gather(
		func(t *Task) error { t.Sleep(unit / 4); return errors.New("failed") },
		func(t *Task) { t.Sleep(10 * time.Second); after.Store(true) },
		func(t *Task) { t.Sleep(10 * time.Second); after.Store(true) },
	)
	within(t, "gather with an error", r.Wall, unit/4, 3*unit)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "failed") {
		t.Errorf("report err = %v", r.Err)
	}
	if after.Load() {
		t.Error("a cancelled coroutine went on after its await")
	}
	for _, rec := range r.Records[1:] {
		if !errors.Is(rec.Err, ErrCancelled) {
			t.Errorf("%s: err = %v, want ErrCancelled", rec.Name, rec.Err)
		}
	}
}

func TestGatherReturnExceptions(t *testing.T) {
	r := Gather(ReturnExceptions(),
		func(t *Task) error { t.Sleep(unit / 4); return errors.New("failed") },
		func(t *Task) int { t.Sleep(unit); return 7 },
		func(t *Task) { t.Sleep(unit / 2); panic("oops") },
	)
	within(t, "gather return_exceptions", r.Wall, unit, 3*unit)
	if r.Results[1] != 7 {
		t.Errorf("result 1 = %v", r.Results[1])
	}
	var pe *PanicError
	if r.Records[0].Err == nil || !errors.As(r.Records[2].Err, &pe) || pe.Value != "oops" {
		t.Errorf("errors = %v, %v", r.Records[0].Err, r.Records[2].Err)
	}
	if r.Err == nil {
		t.Error("report has no error")
	}
}

func TestGatherContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(unit/2, cancel)
	r := Gather(WithContext(ctx), Repeat(3, Sleep(10*time.Second)))
	within(t, "cancelled gather", r.Wall, unit/4, 5*unit)
	for _, rec := range r.Records {
		if !errors.Is(rec.Err, ErrCancelled) {
			t.Errorf("%s: err = %v", rec.Name, rec.Err)
		}
	}
}

func TestGatherManySleeps(t *testing.T) {
	r := Gather(Repeat(10000, Sleep(unit)))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	within(t, "10,000 gathered sleeps", r.Wall, unit, 10*unit)
}

func TestGatherFetchAndAwait(t *testing.T) {
	srv, err := StartServer(unit)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pool := NewThreadPool(1)
	defer pool.Shutdown(true)
	r := Gather(
		Repeat(4, Fetch(srv.URL+"a")),
		func(t *Task) (any, error) { return t.Await(pool.Submit(sleepFor, int(unit/time.Millisecond))) },
		func(t *Task) string {
			var s string
			t.Blocking(func() { time.Sleep(unit); s = "blocked" })
			return s
		},
	)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	within(t, "4 fetches + await + blocking", r.Wall, unit, 2*unit)
	if srv.Requests() != 4 || !strings.Contains(fmt.Sprint(r.Results[0]), "response") {
		t.Errorf("requests %d, result %v", srv.Requests(), r.Results[0])
	}
	if r.Results[4] != int(unit/time.Millisecond) || r.Results[5] != "blocked" {
		t.Errorf("results %v", r.Results[4:])
	}
	assertOneAtATime(t, r)
}

func TestThreadsFetch(t *testing.T) {
	srv, err := StartServer(0)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := Threads(Repeat(3, Fetch(srv.URL+"x?delay=200ms")))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	within(t, "3 threaded fetches", r.Wall, unit, 2*unit)
}

// SetBaseContext cancels runs that have no context of their own (a kernel interrupt).
func TestBaseContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	SetBaseContext(ctx)
	defer SetBaseContext(nil)
	time.AfterFunc(unit/2, cancel)
	r := Gather(Repeat(2, Sleep(10*time.Second)))
	within(t, "gather under a cancelled base context", r.Wall, unit/4, 5*unit)
	if r.Err == nil || !errors.Is(r.Records[0].Err, ErrCancelled) {
		t.Errorf("err %v, record %v", r.Err, r.Records[0].Err)
	}
}

// Task.Go is asyncio.create_task: the new coroutine runs on the same loop and can be awaited.
func TestGatherCreateTask(t *testing.T) {
	r := Gather(func(t *Task) (any, error) {
		a := t.Go(sleepFor, int(unit/time.Millisecond))
		b := t.Go(func(t *Task) string { t.Sleep(unit); return "b" })
		va, err := t.Await(a)
		if err != nil {
			return nil, err
		}
		vb, err := t.Await(b)
		return fmt.Sprint(va, vb), err
	})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	within(t, "two created tasks", r.Wall, unit, 2*unit)
	if r.Results[0] != fmt.Sprint(int(unit/time.Millisecond), "b") || r.Tasks != 3 {
		t.Errorf("results %v, tasks %d", r.Results, r.Tasks)
	}
	assertOneAtATime(t, r)

	th := Threads(func(t *Task) (any, error) { return t.Await(t.Go(square, 5)) })
	if th.Results[0] != 25 {
		t.Errorf("threads Go: %v", th.Results)
	}
}
