package executors

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// E7 shape: a pool of 3, five one-unit jobs, results read in submission order: two units.
func TestThreadPoolE7(t *testing.T) {
	pool := NewThreadPool(3)
	t0 := time.Now()
	var fs []*Future
	for i := range 5 {
		fs = append(fs, pool.Submit(func(t *Task, n int) string {
			t.Sleep(unit)
			return fmt.Sprintf("Task %d completed", n)
		}, i))
	}
	for i, f := range fs {
		res, err := f.Result()
		if err != nil || res != fmt.Sprintf("Task %d completed", i) {
			t.Errorf("future %d: %v, %v", i, res, err)
		}
	}
	// Two rounds of sleeps: about 2 units (1 would mean no limit, 5 no concurrency); the upper
	// bound leaves room for late timers on a loaded 2-core machine.
	within(t, "pool of 3, 5 jobs", time.Since(t0), 2*unit, 4*unit)
	pool.Shutdown(true)
	r := pool.Report()
	if r.Tasks != 5 || r.Workers != 3 {
		t.Errorf("report tasks %d workers %d", r.Tasks, r.Workers)
	}
	if r.Ideal < 2*unit-unit/10 || r.Ideal > 3*unit {
		t.Errorf("ideal %v, want about %v", r.Ideal, 2*unit)
	}
	if f := pool.Submit(noop); !errors.Is(f.Err(), ErrShutdown) {
		t.Errorf("submit after shutdown: %v", f.Err())
	}
}

// Results come back in submission order through the futures, in completion order through
// AsCompleted.
func TestSubmissionVsCompletionOrder(t *testing.T) {
	pool := NewThreadPool(3)
	defer pool.Shutdown(true)
	ms := []int{300, 100, 200}
	var fs []*Future
	for _, m := range ms {
		fs = append(fs, pool.Submit(sleepFor, m))
	}
	var completed []any
	for f := range AsCompleted(fs...) {
		v, _ := f.Result()
		completed = append(completed, v)
	}
	if fmt.Sprint(completed) != "[100 200 300]" {
		t.Errorf("completion order %v", completed)
	}
	var submitted []any
	for _, f := range fs {
		v, _ := f.Result()
		submitted = append(submitted, v)
	}
	if fmt.Sprint(submitted) != "[300 100 200]" {
		t.Errorf("submission order %v", submitted)
	}
}

func TestFutureCancelTimeoutPanic(t *testing.T) {
	pool := NewThreadPool(1)
	defer pool.Shutdown(true)
	running := pool.Submit(sleepFor, int(unit/time.Millisecond))
	queued := pool.Submit(sleepFor, 1)
	time.Sleep(unit / 4)
	if running.Cancel() {
		t.Error("cancelled a running job")
	}
	if !running.Running() {
		t.Error("first job not running")
	}
	if !queued.Cancel() || !queued.Cancelled() || !queued.Done() {
		t.Error("could not cancel a queued job")
	}
	if _, err := queued.Result(); !errors.Is(err, ErrCancelled) {
		t.Errorf("cancelled result err %v", err)
	}
	if _, err := running.ResultTimeout(time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("timeout err %v", err)
	}
	if v, err := running.ResultTimeout(5 * unit); err != nil || v != int(unit/time.Millisecond) {
		t.Errorf("result %v, %v", v, err)
	}
	p := pool.Submit(panicker, "in pool")
	var pe *PanicError
	if !errors.As(p.Err(), &pe) || !strings.Contains(p.Err().Error(), "in pool") {
		t.Errorf("panic err %v", p.Err())
	}
	if bad := pool.Submit(square, "x"); bad.Err() == nil || !bad.Done() {
		t.Error("bad arguments gave no error")
	}
	done, pending := WaitFirst(pool.Submit(sleepFor, 1), pool.Submit(sleepFor, 1000))
	if len(done) != 1 || len(pending) != 1 {
		t.Errorf("WaitFirst: %d done, %d pending", len(done), len(pending))
	}
	Wait(pending...)
	if !pending[0].Done() {
		t.Error("Wait returned early")
	}
}

func TestThreadPoolMap(t *testing.T) {
	pool := NewThreadPool(2)
	defer pool.Shutdown(true)
	res, err := pool.Map(square, []int{1, 2, 3, 4})
	if err != nil || fmt.Sprint(res) != "[1 4 9 16]" {
		t.Errorf("map: %v, %v", res, err)
	}
	if _, err := pool.Map(square, 3); err == nil {
		t.Error("map over a non-slice: no error")
	}
}

func TestProcessPool(t *testing.T) {
	pool := NewProcessPool(2)
	res, err := pool.Map(square, []int{1, 2, 3, 4, 5})
	if err != nil || fmt.Sprint(res) != "[1 4 9 16 25]" {
		t.Errorf("map: %v, %v", res, err)
	}
	var fs []*Future
	for range 6 {
		fs = append(fs, pool.Submit(getPid))
	}
	pids := map[any]bool{}
	for _, f := range fs {
		v, err := f.Result()
		if err != nil {
			t.Fatal(err)
		}
		pids[v] = true
	}
	if len(pids) > 2 {
		t.Errorf("a pool of 2 used %d processes", len(pids))
	}
	var pe *PanicError
	if f := pool.Submit(panicker, "boom"); !errors.As(f.Err(), &pe) {
		t.Errorf("panic: %v", f.Err())
	}
	if f := pool.Submit(exiter); f.Err() == nil {
		t.Error("a crashing child gave no error")
	}
	if v, err := pool.Submit(square, 6).Result(); err != nil || v != 36 {
		t.Errorf("after a crash: %v, %v", v, err)
	}
	pool.Shutdown(true)
	if r := pool.Report(); r.Tasks < 10 {
		t.Errorf("report has %d tasks", r.Tasks)
	}
}

func xmlValid(t *testing.T, what, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s is not valid XML: %v\n%s", what, err, s)
		}
	}
}

func TestReportRendering(t *testing.T) {
	r := GILThreads(Call(func(t *Task) { t.Sleep(unit / 4) }), Call(panicker, "<bad & \"worse\">"), CountPrimes(20000))
	s := r.String()
	for _, want := range []string{"Threads+GIL", "task", "worker", "error: panic: <bad"} {
		if !strings.Contains(s, want) {
			t.Errorf("text lacks %q:\n%s", want, s)
		}
	}
	svg := r.SVG()
	xmlValid(t, "SVG", svg)
	if !strings.HasPrefix(svg, "<svg") || !strings.Contains(svg, "seconds") || strings.Contains(svg, "<bad") {
		t.Errorf("svg: %s", svg)
	}
	h := r.HTML()
	if !strings.Contains(h, "<table>") || strings.Contains(h, "<bad") {
		t.Errorf("html: %s", h)
	}
	b := r.MIMEBundle()
	for _, k := range []string{"text/plain", "text/html", "image/svg+xml"} {
		if s, ok := b[k].(string); !ok || s == "" {
			t.Errorf("bundle lacks %s", k)
		}
	}
	xmlValid(t, "empty report SVG", errorReport("X", errors.New("e")).SVG())
	many := Gather(Repeat(100, Sleep(time.Millisecond)))
	xmlValid(t, "100-lane SVG", many.SVG())
	if !strings.Contains(many.SVG(), "more lane") || !strings.Contains(many.String(), "more") {
		t.Error("large report not truncated")
	}
}

func TestCompare(t *testing.T) {
	c := Compare(Repeat(3, Sleep(unit)), Sequential, Threads, GILThreads, Gather, Processes,
		With(Threads, Workers(1), Label("1 worker")))
	if len(c.Reports) != 6 || c.Baseline == nil {
		t.Fatalf("reports %d, baseline %v", len(c.Reports), c.Baseline)
	}
	for _, r := range c.Reports {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Model, r.Err)
		}
	}
	for _, m := range []string{"Threads", "Threads+GIL", "Gather"} {
		if r := c.Report(m); r == nil || r.Speedup < 1.8 {
			t.Errorf("%s speedup %v, want about 3", m, r)
		}
	}
	// Processes pay a start cost (large under -race or load), but their sleeps overlap.
	if r := c.Report("Processes"); r != nil && !raceEnabled {
		var lastStart, firstEnd time.Duration = 0, time.Hour
		for _, rec := range r.Records {
			lastStart, firstEnd = max(lastStart, rec.Start), min(firstEnd, rec.End)
		}
		if lastStart >= firstEnd {
			t.Errorf("process sleeps did not overlap:\n%v", r)
		}
	}
	if r := c.Report("1 worker"); r == nil || r.Speedup > 1.3 {
		t.Errorf("1 worker speedup %v, want about 1", r)
	}
	xmlValid(t, "comparison SVG", c.SVG())
	if !strings.Contains(c.String(), "Sequential wall") || !strings.Contains(c.HTML(), "<details>") {
		t.Error("comparison rendering incomplete")
	}
}
