package executors

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const unit = 200 * time.Millisecond

func within(t *testing.T, what string, got, lo, hi time.Duration) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s took %v, want between %v and %v", what, got, lo, hi)
	}
}

func TestSequentialRunsInOrder(t *testing.T) {
	var order []int
	r := Sequential(Repeat(3, func(t *Task) { order = append(order, t.ID); t.Sleep(unit / 2) }))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	within(t, "3 x 100 ms sequential", r.Wall, 3*unit/2, 3*unit)
	if fmt.Sprint(order) != "[0 1 2]" {
		t.Errorf("order = %v", order)
	}
	if r.Workers != 1 || r.Tasks != 3 {
		t.Errorf("workers %d tasks %d", r.Workers, r.Tasks)
	}
}

// E2 shape: three threads each sleep; they overlap, so the run takes one sleep, not three.
func TestThreadsOverlapSleeps(t *testing.T) {
	r := Threads(Each(func(t *Task, name string) string {
		t.Printf("Worker %s: starting\n", name)
		t.Sleep(unit)
		return "finished " + name
	}, "A", "B", "C"))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	within(t, "3 x 200 ms threads", r.Wall, unit, 2*unit)
	want := []any{"finished A", "finished B", "finished C"}
	for i, w := range want {
		if r.Results[i] != w {
			t.Errorf("result %d = %v, want %v", i, r.Results[i], w)
		}
	}
	if r.Speedup < 2 {
		t.Errorf("speedup %.2f, want about 3", r.Speedup)
	}
	if r.Ideal < unit || r.Ideal > unit+unit/2 {
		t.Errorf("ideal %v, want about %v", r.Ideal, unit)
	}
	lanes := map[string]bool{}
	for _, rec := range r.Records {
		lanes[rec.Worker] = true
	}
	if len(lanes) != 3 {
		t.Errorf("workers %v, want 3 goroutines", lanes)
	}
}

func TestThreadsPlainFuncAndCount(t *testing.T) {
	var n atomic.Int32
	r := Threads(3, func() { n.Add(1); time.Sleep(unit) })
	if r.Err != nil || n.Load() != 3 {
		t.Fatalf("err %v, ran %d", r.Err, n.Load())
	}
	within(t, "3 x time.Sleep threads", r.Wall, unit, 2*unit)
}

// E7 shape with Workers: 5 jobs of one unit on 3 workers take two units.
func TestThreadsWorkers(t *testing.T) {
	r := Threads(Workers(3), Repeat(5, sleepFor, int(unit/time.Millisecond)))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	within(t, "5 x 200 ms on 3 workers", r.Wall, 2*unit, 3*unit)
	if r.Ideal < 2*unit-unit/10 || r.Ideal > 2*unit+unit/2 {
		t.Errorf("ideal %v, want about %v", r.Ideal, 2*unit)
	}
	if r.Workers != 3 {
		t.Errorf("workers %d", r.Workers)
	}
}

func TestThreadsErrorsAndPanics(t *testing.T) {
	r := Threads(
		Call(func() error { return errors.New("boom") }),
		Call(panicker, "kaput"),
		Call(square, 7),
	)
	if r.Records[0].Err == nil || r.Records[0].Err.Error() != "boom" {
		t.Errorf("task 0 err = %v", r.Records[0].Err)
	}
	var pe *PanicError
	if !errors.As(r.Records[1].Err, &pe) || pe.Value != "kaput" || !strings.Contains(pe.Error(), "kaput") {
		t.Errorf("task 1 err = %v", r.Records[1].Err)
	}
	if r.Results[2] != 49 {
		t.Errorf("task 2 result = %v", r.Results[2])
	}
	if r.Err == nil || len(r.Errors()) != 2 {
		t.Errorf("report err %v, errors %v", r.Err, r.Errors())
	}
}

func TestThreadsCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(unit/2, cancel)
	var after atomic.Bool
	r := Threads(WithContext(ctx), Repeat(2, func(t *Task) { t.Sleep(10 * time.Second); after.Store(true) }))
	within(t, "cancelled threads", r.Wall, unit/4, 5*unit)
	if after.Load() {
		t.Error("code after a cancelled Sleep ran")
	}
	for _, rec := range r.Records {
		if !errors.Is(rec.Err, ErrCancelled) {
			t.Errorf("record err = %v, want ErrCancelled", rec.Err)
		}
	}
	if r.Err == nil {
		t.Error("report has no error")
	}
}

func TestArgumentErrors(t *testing.T) {
	cases := []struct {
		args []any
		want string
	}{
		{[]any{Call(square)}, "takes 1 argument"},
		{[]any{Call(square, "x")}, "string cannot be used as int"},
		{[]any{42}, "must be followed by the function"},
		{[]any{"hello"}, "has type string"},
		{[]any{Call(Named{Name: "x", Fn: 3})}, "not a function"},
	}
	for _, c := range cases {
		r := Threads(c.args...)
		if r.Err == nil || !strings.Contains(r.Err.Error(), c.want) {
			t.Errorf("Threads(%v): err %v, want %q", c.args, r.Err, c.want)
		}
	}
}

func TestShapes(t *testing.T) {
	r := Sequential(
		Call(func() {}),
		Call(func(s string) string { return s + "!" }, "hi"),
		Call(func(t *Task) int { return t.ID * 10 }),
		Call(func(t *Task, a, b int) (int, error) { return a + b, nil }, 2, 3),
		Call(func(xs ...int) int { return len(xs) }, 1, 2, 3),
		Call(func(f float64) float64 { return f * 2 }, 2),
		Call(func() (int, string) { return 1, "a" }),
	)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	want := []string{"<nil>", "hi!", "20", "5", "3", "4", "[1 a]"}
	for i, w := range want {
		if got := fmtAny(r.Results[i]); got != w {
			t.Errorf("result %d = %s, want %s", i, got, w)
		}
	}
}

// GIL: CPU-bound tasks run one at a time (switching at the interval); sleeping tasks overlap.
func TestGILSerialisesCPU(t *testing.T) {
	n := PrimesFor(unit / 2)
	r := GILThreads(Repeat(3, CountPrimes(n)))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	// Spans (GIL held) never overlap, and the tasks took turns.
	type iv struct{ s, e time.Duration }
	var all []iv
	switched := 0
	for _, rec := range r.Records {
		if len(rec.Spans) > 1 {
			switched++
		}
		for _, s := range rec.Spans {
			all = append(all, iv{s.Start, s.End})
		}
	}
	for i := range all {
		for j := range all {
			if i != j && all[i].s < all[j].e && all[j].s < all[i].e {
				t.Fatalf("GIL spans overlap: %v and %v", all[i], all[j])
			}
		}
	}
	if switched < 2 {
		t.Errorf("only %d tasks were switched out; the switch interval did not work", switched)
	}
	if r.Speedup > 1.3 {
		t.Errorf("GIL speedup %.2f, want about 1.0", r.Speedup)
	}
	if float64(r.Wall) < 0.8*float64(r.Work) {
		t.Errorf("wall %v < work %v: CPU tasks overlapped under the GIL", r.Wall, r.Work)
	}

	s := GILThreads(Repeat(3, Sleep(unit)))
	within(t, "3 sleeps under the GIL", s.Wall, unit, 2*unit)
}

func TestThreadStartJoin(t *testing.T) {
	var ran atomic.Bool
	th := NewThread(func(t *Task) { t.Sleep(unit); ran.Store(true) })
	if err := th.Join(); err == nil {
		t.Error("join before start: no error")
	}
	t0 := time.Now()
	if err := th.Start(); err != nil {
		t.Fatal(err)
	}
	if !th.IsAlive() {
		t.Error("not alive after start")
	}
	if err := th.Start(); err == nil {
		t.Error("second start: no error")
	}
	if err := th.Join(); err != nil {
		t.Fatal(err)
	}
	within(t, "thread", time.Since(t0), unit, 3*unit)
	if !ran.Load() || th.IsAlive() {
		t.Error("thread did not run or is still alive")
	}
	if r := th.Report(); r.Tasks != 1 || r.Wall < unit {
		t.Errorf("report %v", r)
	}
}

func TestPrimes(t *testing.T) {
	if got := Primes(100); got != 25 {
		t.Errorf("Primes(100) = %d", got)
	}
	n1, n2 := PrimesFor(100*time.Millisecond), PrimesFor(400*time.Millisecond)
	if n1 <= 1000 || n2 <= n1 {
		t.Errorf("PrimesFor: %d, %d", n1, n2)
	}
}

func fmtAny(v any) string { return fmt.Sprint(v) }

// GOMAXPROCS=1 gives goroutines the GIL's shape for CPU work; the setting is restored.
func TestMaxProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	n := PrimesFor(unit / 2)
	r := Threads(MaxProcs(1), Repeat(2, CountPrimes(n)))
	if r.Err != nil || r.GOMAXPROCS != 1 {
		t.Fatalf("err %v, GOMAXPROCS in run %d", r.Err, r.GOMAXPROCS)
	}
	if got := runtime.GOMAXPROCS(0); got != before {
		t.Errorf("GOMAXPROCS %d after the run, want %d", got, before)
	}
	if c := r.CoresBusy(); c > 1.2 {
		t.Errorf("%.2f cores busy with GOMAXPROCS=1", c)
	}
}
