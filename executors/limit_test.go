package executors

import (
	"bytes"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// childCount counts the live (not zombie) child processes of this process.
func childCount() int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return -1
	}
	self := os.Getpid()
	n := 0
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 || f[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == self {
			n++
		}
	}
	return n
}

// peakChildren runs f while sampling how many children this process has, and returns the
// largest count seen.
func peakChildren(t *testing.T, f func()) int {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc")
	}
	DiscardSpares()
	stop := make(chan struct{})
	var peak int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			peak = max(peak, childCount())
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peak
}

// maxOverlap is the largest number of records whose [Start, End) intervals overlap.
func maxOverlap(recs []TaskRecord) int {
	type ev struct {
		at time.Duration
		d  int
	}
	var evs []ev
	for _, r := range recs {
		evs = append(evs, ev{r.Start, 1}, ev{r.End, -1})
	}
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].at != evs[j].at {
			return evs[i].at < evs[j].at
		}
		return evs[i].d < evs[j].d // an end before a start at the same instant
	})
	n, m := 0, 0
	for _, e := range evs {
		n += e.d
		m = max(m, n)
	}
	return m
}

// TestProcessesLimit: with ProcessLimit(3), 12 jobs of 100 ms run in fresh children, at most
// 3 at a time (counted in /proc and in the records), the report says 9 were queued, and the
// records' start times show the queueing (4 rounds, so the wall time is at least 400 ms).
func TestProcessesLimit(t *testing.T) {
	var r *Report
	peak := peakChildren(t, func() { r = Processes(Repeat(12, sleepFor, 100), ProcessLimit(3)) })
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	t.Logf("peak children %d, wall %v\n%s", peak, r.Wall, r)
	if peak > 3 {
		t.Errorf("peak of %d child processes at once, want at most 3", peak)
	}
	if m := maxOverlap(r.Records); m > 3 {
		t.Errorf("%d tasks overlap in the records, want at most 3", m)
	}
	if r.ProcessLimit != 3 || r.Queued != 9 || r.Workers != 3 {
		t.Errorf("ProcessLimit %d, Queued %d, Workers %d; want 3, 9, 3", r.ProcessLimit, r.Queued, r.Workers)
	}
	pids := map[int]bool{}
	for _, rec := range r.Records {
		pids[rec.Pid] = true
	}
	if len(pids) != 12 {
		t.Errorf("12 jobs ran in %d processes, want one fresh process per job", len(pids))
	}
	within(t, "12 x 100 ms, 3 at a time", r.Wall, 400*time.Millisecond, 20*time.Second)
	starts := make([]time.Duration, 0, len(r.Records))
	for _, rec := range r.Records {
		starts = append(starts, rec.Start)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	if last := starts[len(starts)-1]; last < 300*time.Millisecond {
		t.Errorf("the last task started at %v: queued tasks' start times must be when they really started (>= 300 ms)", last)
	}
	want := "at most 3 processes at a time"
	for name, s := range map[string]string{"text": r.String(), "HTML": r.HTML()} {
		if !strings.Contains(s, want) || !strings.Contains(s, "9 task(s) queued") {
			t.Errorf("the %s report does not say %q and \"9 task(s) queued\":\n%s", name, want, s)
		}
	}
}

// TestProcessesDefaultLimit: 60 jobs without options never run more children at once than
// DefaultProcessLimit (unbounded, all 60 started at once); QUIRE_MAX_PROCESSES sets the
// default, 0 lifts it.
func TestProcessesDefaultLimit(t *testing.T) {
	t.Setenv(ProcessLimitEnv, "")
	limit := DefaultProcessLimit()
	if limit < 2 {
		t.Fatalf("DefaultProcessLimit() = %d, want at least 2", limit)
	}
	const jobs = 60
	var r *Report
	peak := peakChildren(t, func() { r = Processes(Repeat(jobs, sleepFor, 50)) })
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	t.Logf("default limit %d: %d jobs, peak children %d, wall %v, queued %d", limit, jobs, peak, r.Wall, r.Queued)
	if peak > limit {
		t.Errorf("peak of %d child processes at once, want at most the default limit %d", peak, limit)
	}
	if limit < jobs && r.Queued != jobs-limit {
		t.Errorf("Queued = %d, want %d", r.Queued, jobs-limit)
	}

	t.Setenv(ProcessLimitEnv, "2")
	if n := DefaultProcessLimit(); n != 2 {
		t.Errorf("with %s=2, DefaultProcessLimit() = %d", ProcessLimitEnv, n)
	}
	peak = peakChildren(t, func() { r = Processes(Repeat(6, sleepFor, 50)) })
	if r.Err != nil || peak > 2 || r.Queued != 4 {
		t.Errorf("with %s=2: err %v, peak %d, queued %d; want nil, <= 2, 4", ProcessLimitEnv, r.Err, peak, r.Queued)
	}
	t.Setenv(ProcessLimitEnv, "0")
	r = Processes(Repeat(6, sleepFor, 50))
	if r.Err != nil || r.Queued != 0 || r.Workers != 6 || r.ProcessLimit != 0 {
		t.Errorf("with %s=0: err %v, queued %d, workers %d, limit %d; want no limit", ProcessLimitEnv, r.Err, r.Queued, r.Workers, r.ProcessLimit)
	}
	if strings.Contains(r.String(), "queued") {
		t.Errorf("a run without queueing mentions it:\n%s", r)
	}
}

// TestProcessesLimitRefusesSharedQueue: jobs sharing a Queue may wait for each other, so more
// of them than the limit is an error that says what to do, not a possible deadlock.
func TestProcessesLimitRefusesSharedQueue(t *testing.T) {
	q, err := NewQueue()
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	r := Processes(Repeat(3, producer, q, 1), ProcessLimit(2))
	if r.Err == nil || !strings.Contains(r.Err.Error(), "ProcessLimit(3)") {
		t.Fatalf("3 jobs sharing a Queue with ProcessLimit(2): err %v, want a refusal naming ProcessLimit(3)", r.Err)
	}
}

// TestPrestartLimit: idle spares hold memory too, so Prestart keeps at most the process limit
// of them waiting and says when it started fewer than asked.
func TestPrestartLimit(t *testing.T) {
	t.Setenv(ProcessLimitEnv, "3")
	DiscardSpares()
	defer DiscardSpares()
	err := Prestart(5)
	if err == nil || !strings.Contains(err.Error(), "started 3 of 5") {
		t.Errorf("Prestart(5) with a limit of 3: err %v, want one saying it started 3 of 5", err)
	}
	if n := Spares(); n != 3 {
		t.Errorf("Spares() = %d, want 3", n)
	}
	if err := Prestart(1); err == nil || !strings.Contains(err.Error(), "started 0 of 1") {
		t.Errorf("Prestart(1) with 3 spares waiting and a limit of 3: err %v", err)
	}
	if n := Spares(); n != 3 {
		t.Errorf("Spares() = %d, want 3", n)
	}
}
