package reliability

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
	"github.com/quire-go/quire/kernel/kerneltest"
)

// runningMarker is what runningCell's cells print first (on stderr, with println, which needs
// no import).
const runningMarker = "quire-test: the cell runs"

// runningCell starts code after a line that prints runningMarker, and returns once the marker
// has arrived: the worker is inside the cell, not just sent it, so a kill, signal or interrupt
// sent next reaches a running cell however loaded the machine is.
func (k *kern) runningCell(code string) *client.Call {
	k.t.Helper()
	opts, running := kerneltest.StreamSeen(runningMarker)
	call := k.startCell("println(\""+runningMarker+"\")\n"+code, opts)
	kerneltest.Wait(k.t, running, 2*time.Minute, "the cell did not start")
	return call
}

// startCell sends code and waits until its execute_input has been published (the cell is
// running or queued to run next).
func (k *kern) startCell(code string, opts *client.ExecuteOptions) *client.Call {
	k.t.Helper()
	if opts == nil {
		opts = &client.ExecuteOptions{}
	}
	started := make(chan struct{})
	var once sync.Once
	prev := opts.OnIOPub
	opts.OnIOPub = func(m *kernel.Message) {
		if m.Type() == "execute_input" {
			once.Do(func() { close(started) })
		}
		if prev != nil {
			prev(m)
		}
	}
	call, err := k.ExecuteAsync(code, opts)
	if err != nil {
		k.t.Fatalf("execute: %v", err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		k.t.Fatalf("cell %.40q did not start", code)
	}
	return call
}

func wait(t *testing.T, call *client.Call, d time.Duration) *client.Reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	r, err := call.Wait(ctx)
	if err != nil {
		t.Fatalf("waiting for the cell: %v", err)
	}
	return r
}

// TestFaultKillWorker kills the worker with SIGKILL while a cell sleeps, spins or waits on a
// channel: the cell ends with an error, the kernel lives, and the next cell runs with the
// session's declarations.
func TestFaultKillWorker(t *testing.T) {
	k := startKernel(t)
	if r := k.execute("func triple(x int) int { return 3 * x }", time.Minute); r.Status() != "ok" {
		t.Fatalf("declaration: %v", r.Content)
	}
	cells := []string{
		"import \"time\"\ntime.Sleep(time.Hour)",
		"for {\n}",
		"ch := make(chan int)\n<-ch",
	}
	survived := 0
	for _, code := range cells {
		call := k.runningCell(code)
		ws := workers(k.pid())
		if len(ws) == 0 {
			t.Fatal("no worker process under the kernel")
		}
		for _, w := range ws {
			if err := syscall.Kill(w.pid, syscall.SIGKILL); err != nil {
				t.Fatalf("kill -9 %d: %v", w.pid, err)
			}
		}
		t0 := time.Now()
		r := wait(t, call, 30*time.Second)
		if r.Status() != "error" {
			t.Errorf("%q: the cell whose worker was killed ended %q: %v", code, r.Status(), r.Content)
		}
		t.Logf("%-28q worker %d killed: cell ended in %v with %v: %.80v", code, ws[0].pid,
			time.Since(t0).Round(time.Millisecond), r.Content["ename"], r.Content["evalue"])
		if r := k.execute("triple(14)", time.Minute); r.Status() != "ok" || !strings.Contains(resultText(r), "42") {
			t.Fatalf("after killing the worker: triple(14) = %v %q", r.Content, resultText(r))
		}
		survived++
	}
	k.alive("killed workers")
	t.Logf("faults survived: %d kill -9 of the worker mid-cell", survived)
}

// TestFaultMemoryLimit allocates in a cell until the worker reaches its memory limit (cmd/quire
// leaves eval's default, half the RAM and at least 2 GiB; the chunks are never written, so the
// machine's memory is not actually used, but the Go runtime holds them): the cell fails, the
// kernel lives, the next cell runs.
func TestFaultMemoryLimit(t *testing.T) {
	k := startKernel(t)
	t0 := time.Now()
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			for _, w := range workers(k.pid()) {
				if n := rssBytes(w.pid); n > peak.Load() {
					peak.Store(n)
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	r := k.execute(`var hoard [][]byte
for {
	hoard = append(hoard, make([]byte, 256<<20))
}`, 2*time.Minute)
	close(stop)
	<-done
	if r.Status() != "error" {
		t.Fatalf("allocating without end ended %q: %v", r.Status(), r.Content)
	}
	ev, _ := r.Content["evalue"].(string)
	if !strings.Contains(ev, "exceeded the memory limit") {
		t.Errorf("error %q does not say the memory limit was exceeded", ev)
	}
	t.Logf("cell failed after %v: %v: %.100s (worker RSS peak %d MB)", time.Since(t0).Round(time.Millisecond),
		r.Content["ename"], ev, peak.Load()>>20)
	k.alive("the worker's memory limit")
	t.Logf("faults survived: 1 (memory limit)")
}

// TestFaultDeepRecursion recurses without end: the worker's stack limit ends the cell with an
// error, the kernel lives, the next cell runs.
func TestFaultDeepRecursion(t *testing.T) {
	k := startKernel(t)
	t0 := time.Now()
	r := k.execute("func down(n int) int { return down(n+1) + 1 }\ndown(0)", 2*time.Minute)
	if r.Status() != "error" {
		t.Fatalf("endless recursion ended %q: %v", r.Status(), r.Content)
	}
	ev, _ := r.Content["evalue"].(string)
	if !strings.Contains(ev, "stack") {
		t.Errorf("error %q does not mention the stack", ev)
	}
	t.Logf("cell failed after %v: %v: %.100s", time.Since(t0).Round(time.Millisecond), r.Content["ename"], ev)
	k.alive("deep recursion")
	t.Logf("faults survived: 1 (stack overflow)")
}

// TestFaultBlockedGoroutines leaves 10,000 goroutines blocked for ever: the next cells run
// (promptly), and an interrupt of a blocked cell gets rid of them.
func TestFaultBlockedGoroutines(t *testing.T) {
	k := startKernel(t)
	r := k.execute(`import "runtime"
for i := 0; i < 10000; i++ {
	go func() { select {} }()
}
runtime.NumGoroutine()`, 2*time.Minute)
	n, _ := strconv.Atoi(resultText(r))
	if r.Status() != "ok" || n < 10000 {
		t.Fatalf("starting 10,000 goroutines: %v, NumGoroutine %q", r.Content, resultText(r))
	}
	t0 := time.Now()
	r = k.execute("1 + 1", time.Minute)
	if r.Status() != "ok" || resultText(r) != "2" {
		t.Fatalf("next cell: %v %q", r.Content, resultText(r))
	}
	t.Logf("with %d goroutines blocked, the next cell ran in %v", n, time.Since(t0).Round(time.Millisecond))

	call := k.runningCell("ch := make(chan int)\n<-ch")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := k.Interrupt(ctx); err != nil {
		t.Fatalf("interrupt: %v", err)
	}
	if r := wait(t, call, 30*time.Second); r.Status() != "error" {
		t.Errorf("interrupted cell: %v", r.Content)
	}
	r = k.execute("runtime.NumGoroutine()", time.Minute)
	after, err := strconv.Atoi(resultText(r))
	if err != nil || after >= 1000 {
		t.Errorf("after the interrupt NumGoroutine = %q (%v), want the blocked goroutines gone", resultText(r), r.Content)
	}
	t.Logf("goroutines: %d before the interrupt, %d after", n, after)
	k.alive("10,000 blocked goroutines")
	t.Logf("faults survived: 1 (10,000 blocked goroutines)")
}

// TestFaultClientDisconnects closes a client while its cell runs (and while its cell waits for
// input from it); a new client connects to the same kernel and works.
func TestFaultClientDisconnects(t *testing.T) {
	k := startKernel(t)
	info := k.ConnectionInfo()
	connect := func() *client.Client {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := client.Connect(ctx, info)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		return c
	}
	// A cell printing for a while; its client goes away in the middle.
	c1 := connect()
	printed := make(chan struct{})
	var once sync.Once
	if _, err := c1.ExecuteAsync(`import ("fmt"; "time")
for i := 0; i < 20; i++ {
	fmt.Println("tick", i)
	time.Sleep(50 * time.Millisecond)
}`, &client.ExecuteOptions{OnIOPub: func(m *kernel.Message) {
		if m.Type() == "stream" {
			once.Do(func() { close(printed) })
		}
	}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-printed:
	case <-time.After(30 * time.Second):
		t.Fatal("the cell printed nothing")
	}
	c1.Close()
	c2 := connect()
	defer c2.Close()
	r := execOn(t, c2, "40 + 2", time.Minute)
	if r.Status() != "ok" || resultText(r) != "42" {
		t.Fatalf("new client after a disconnect mid-cell: %v %q", r.Content, resultText(r))
	}
	if r.ExecutionCount() != 2 {
		t.Errorf("execution_count %d, want 2", r.ExecutionCount())
	}

	// A cell waiting for input from a client that goes away: another client interrupts it.
	c3 := connect()
	asked := make(chan struct{})
	if _, err := c3.ExecuteAsync(`import "fmt"
var s string
fmt.Scanln(&s)`, &client.ExecuteOptions{Input: func(string, bool) (string, error) {
		close(asked)
		select {} // never answers: the client disappears instead
	}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-asked:
	case <-time.After(30 * time.Second):
		t.Fatal("no input_request")
	}
	c3.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c2.Interrupt(ctx); err != nil {
		t.Fatalf("interrupt from another client: %v", err)
	}
	// A cell sent before the interrupted one has ended is aborted (stop_on_error), as in Jupyter.
	for i := 0; i < 5; i++ {
		if r = execOn(t, c2, "6 * 7", time.Minute); r.Status() != "aborted" {
			break
		}
	}
	if r.Status() != "ok" || resultText(r) != "42" {
		t.Fatalf("after interrupting the orphaned input: %v %q", r.Content, resultText(r))
	}
	k.alive("clients disconnecting mid-execute")
	t.Logf("faults survived: 2 clients disconnected mid-execute (one printing, one waiting for input)")
}

// TestFaultKernelKilled kills the kernel itself with SIGKILL while a cell runs executor child
// processes: nothing can clean up, yet no worker or task process may be left (they die with
// their parent).
func TestFaultKernelKilled(t *testing.T) {
	k := startKernel(t)
	k.startCell(`import ("time"; "github.com/quire-go/quire/executors")
func nap(t *executors.Task, name string) { t.Sleep(time.Hour) }
executors.Processes(executors.Each(nap, "A", "B"))`, nil)
	deadline := time.Now().Add(30 * time.Second)
	for len(ours()) < 4 { // kernel, worker, 2 tasks
		if time.Now().After(deadline) {
			t.Fatalf("the executor children did not start: %v", ours())
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := ours()
	if err := k.Process().Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-k.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the kernel did not die")
	}
	left := leftover(t, 5*time.Second)
	if len(left) > 0 {
		t.Errorf("processes left after kill -9 of the kernel: %v", left)
	}
	t.Logf("kill -9 of the kernel: processes before %d, left %d", len(before), len(left))
}

// TestFaultSIGTERM sends SIGTERM to the kernel while a cell runs executor child processes: the
// kernel exits cleanly and no worker or task process is left.
func TestFaultSIGTERM(t *testing.T) {
	k := startKernel(t)
	call := k.startCell(`import ("time"; "github.com/quire-go/quire/executors")
func nap(t *executors.Task, name string) { t.Sleep(time.Hour) }
executors.Processes(executors.Each(nap, "A", "B", "C"))`, nil)
	var below []proc
	deadline := time.Now().Add(30 * time.Second)
	for {
		below = descendants(k.pid())
		tasks := 0
		for _, p := range below {
			if strings.Contains(p.cmdline, "--task") {
				tasks++
			}
		}
		if tasks >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the executor children did not start: %v", below)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("before SIGTERM: kernel %d with %d descendants: %v", k.pid(), len(below), below)
	// The leftover check below must see these processes while they live (kernel, worker, 3 tasks).
	if n := len(ours()); n < 5 {
		t.Fatalf("the /proc scan finds %d processes of this run's binary, want at least 5", n)
	}
	if err := k.Process().Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-k.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("the kernel did not exit within 15 s of SIGTERM")
	}
	if st := k.ProcessState(); !st.Success() {
		t.Errorf("kernel exit after SIGTERM: %v, want status 0", st)
	}
	_ = call // the cell's reply may or may not have been sent before the kernel exited
	left := leftover(t, 5*time.Second)
	if len(left) > 0 {
		t.Errorf("processes left after SIGTERM: %v", left)
	}
	t.Logf("SIGTERM: kernel exited %v; processes left: %d (of %d descendants)", k.ProcessState(), len(left), len(below))
}
