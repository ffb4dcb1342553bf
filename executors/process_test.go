package executors

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// captureStdout redirects os.Stdout while f runs and returns what was written.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	var out strings.Builder
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
		}
	}()
	defer func() {
		os.Stdout = old
		w.Close()
		wg.Wait()
		r.Close()
	}()
	f()
	os.Stdout = old
	w.Close()
	wg.Wait()
	return out.String()
}

// E4 shape: three processes run worker(name); output is prefixed with each child's pid.
func TestProcessesRunWorkers(t *testing.T) {
	var r *Report
	out := captureStdout(t, func() { r = Processes(Each(worker, "A", "B", "C")) })
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	within(t, "3 processes x 50 ms", r.Wall, 50*time.Millisecond, 50*time.Millisecond+2*time.Second)
	pids := map[int]bool{}
	for i, rec := range r.Records {
		if rec.Pid == os.Getpid() || rec.Pid == 0 {
			t.Errorf("task %d ran in pid %d", i, rec.Pid)
		}
		pids[rec.Pid] = true
		if want := "done " + string(rune('A'+i)); r.Results[i] != want {
			t.Errorf("result %d = %v, want %s", i, r.Results[i], want)
		}
	}
	if len(pids) != 3 {
		t.Errorf("pids %v, want 3 distinct", pids)
	}
	for pid := range pids {
		for _, what := range []string{"starting", "finished"} {
			re := regexp.MustCompile(fmt.Sprintf(`(?m)^\[pid %d\] Process [ABC]: %s$`, pid, what))
			if !re.MatchString(out) {
				t.Errorf("no %q line prefixed with pid %d in output:\n%s", what, pid, out)
			}
		}
	}
}

// A global changed in a child is unchanged in the parent (own memory per process).
func TestProcessMemoryIsolation(t *testing.T) {
	before := counter
	r := Processes(Call(bumpCounter, 5), Call(bumpCounter, 7))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.Results[0] != before+5 || r.Results[1] != before+7 {
		t.Errorf("children saw %v, want %d and %d (each starts from the initial value)", r.Results, before+5, before+7)
	}
	if counter != before {
		t.Errorf("parent counter changed to %d", counter)
	}
	th := Threads(Call(bumpCounter, 1))
	if th.Results[0] != before+1 || counter != before+1 {
		t.Errorf("threads share memory: got %v, counter %d", th.Results[0], counter)
	}
	counter = before
}

func TestProcessesValuesAndErrors(t *testing.T) {
	r := Processes(
		Call(addPoints, point{1, 2}, point{10, 20}),
		Call(addPoints, point{-1, 0}, point{0, 0}),
		Call(panicker, "child panic"),
		Call(exiter),
		Call(square, 9),
	)
	if got, ok := r.Results[0].(point); !ok || got != (point{11, 22}) {
		t.Errorf("addPoints = %#v", r.Results[0])
	}
	var re *RemoteError
	if !errors.As(r.Records[1].Err, &re) || re.Msg != "negative X" {
		t.Errorf("error = %v", r.Records[1].Err)
	}
	var pe *PanicError
	if !errors.As(r.Records[2].Err, &pe) || pe.Value != "child panic" {
		t.Errorf("panic = %v", r.Records[2].Err)
	}
	if err := r.Records[3].Err; err == nil || !strings.Contains(err.Error(), "exit status 7") {
		t.Errorf("exit error = %v", err)
	}
	if r.Results[4] != 81 {
		t.Errorf("square = %v", r.Results[4])
	}
}

func TestProcessesRefuseClosures(t *testing.T) {
	x := 3
	r := Processes(func() int { return x })
	if r.Err == nil || !strings.Contains(r.Err.Error(), "closure") || !strings.Contains(r.Err.Error(), "top-level") {
		t.Errorf("err = %v", r.Err)
	}
	if len(r.Records) != 0 {
		t.Errorf("a refused run started %d tasks", len(r.Records))
	}
	var p point
	r = Processes(Call(fmt.Sprint, p)) // top-level but not registered
	if r.Err == nil || !strings.Contains(r.Err.Error(), "Register") {
		t.Errorf("unregistered: err = %v", r.Err)
	}
	f := NewProcessPool(1).Submit(func() {})
	if _, err := f.Result(); err == nil || !strings.Contains(err.Error(), "closure") {
		t.Errorf("pool closure: err = %v", err)
	}
}

func childrenOf(pid int) []int {
	var kids []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		b, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 {
			if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
				k, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
				kids = append(kids, k)
			}
		}
	}
	return kids
}

// Cancelling kills the children: none is left in /proc.
func TestProcessesCancelLeavesNoChildren(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(unit, cancel)
	r := Processes(WithContext(ctx), Repeat(3, sleepFor, 20000))
	within(t, "cancelled processes", r.Wall, unit/2, 10*unit)
	for _, rec := range r.Records {
		if !errors.Is(rec.Err, ErrCancelled) {
			t.Errorf("%s: err = %v", rec.Name, rec.Err)
		}
		if rec.Pid != 0 {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", rec.Pid)); err == nil {
				t.Errorf("child %d still exists", rec.Pid)
			}
		}
	}
	if kids := childrenOf(os.Getpid()); len(kids) != 0 {
		t.Errorf("children left: %v", kids)
	}
}

// E3 shape: one process started and joined.
func TestNewProcessStartJoin(t *testing.T) {
	p := NewProcess(sleepFor, int(unit/time.Millisecond))
	if err := p.Join(); err == nil {
		t.Error("join before start: no error")
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if p.Pid() <= 0 || p.Pid() == os.Getpid() {
		t.Errorf("pid %d", p.Pid())
	}
	if !p.IsAlive() {
		t.Error("not alive after start")
	}
	if err := p.Join(); err != nil {
		t.Fatal(err)
	}
	res, err := p.Result()
	if err != nil || res != int(unit/time.Millisecond) {
		t.Errorf("result %v, %v", res, err)
	}
	rep := p.Report()
	if rep.Wall < unit || rep.Records[0].Pid != p.Pid() {
		t.Errorf("report %v", rep)
	}

	k := NewProcess(sleepFor, 20000)
	if err := k.Start(); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(unit/2, k.Kill)
	if err := k.Join(); err == nil {
		t.Error("killed process: no error")
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", k.Pid())); err == nil {
		t.Errorf("killed child %d still exists", k.Pid())
	}
}

func TestQueueAndPipe(t *testing.T) {
	q, err := NewQueue()
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	r := Processes(Call(producer, q, 3), Call(producer, q, 2))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	seen := map[int]int{}
	for range 5 {
		v, err := q.Get()
		if err != nil {
			t.Fatal(err)
		}
		m := v.(map[string]any)
		seen[m["pid"].(int)]++
	}
	if len(seen) != 2 || seen[os.Getpid()] != 0 {
		t.Errorf("messages by pid: %v", seen)
	}

	a, b, err := NewPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	p := NewProcess(echoConn, b)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(42); err != nil {
		t.Fatal(err)
	}
	v, err := a.Recv()
	if err != nil || v != "echo 42" {
		t.Errorf("recv %v, %v", v, err)
	}
	if err := p.Join(); err != nil {
		t.Fatal(err)
	}
	if f := NewProcessPool(1).Submit(producer, q, 1); f.Err() == nil {
		t.Error("a queue passed to a pool task was accepted")
	}
}

func TestProcessesWorkersReuseChildren(t *testing.T) {
	r := Processes(Workers(2), Repeat(6, getPid))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	pids := map[any]bool{}
	for _, v := range r.Results {
		pids[v] = true
	}
	if len(pids) != 2 {
		t.Errorf("6 jobs on 2 workers ran in %d processes", len(pids))
	}
}

// Built-in workloads are found by name in any child, without Register.
func TestProcessesBuiltinWorkloads(t *testing.T) {
	srv, err := StartServer(unit / 2)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := Processes(Fetch(srv.URL+"p"), CountPrimes(100), Sleep(unit/2))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if !strings.Contains(fmt.Sprint(r.Results[0]), "response") || r.Results[1] != 25 {
		t.Errorf("results %v", r.Results)
	}
	if srv.Requests() != 1 {
		t.Errorf("server saw %d requests", srv.Requests())
	}
}
