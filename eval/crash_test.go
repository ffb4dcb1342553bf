package eval

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/backend/backendtest"
)

func TestGoroutinePanic(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import "time"
func helper() int { return 41 }
var total int
total = 9
kept := 1
f := func() int { return 2 }`)
	e, _ := mustErr(t, s, `go func() { panic("boom") }()
time.Sleep(2 * time.Second)`)
	if e.Name != "panic" || !strings.Contains(e.Value, "boom") {
		t.Fatalf("goroutine panic: %s %q", e.Name, e.Value)
	}
	tb := strings.Join(e.Traceback, "\n")
	if !strings.Contains(tb, "Lost variables: f.") || !strings.Contains(tb, "restored to their value after the last cell that ran without error: kept, total.") {
		t.Fatalf("traceback does not name lost and restored variables:\n%s", tb)
	}
	if got, _ := mustOK(t, s, "total + kept"); got != "10" {
		t.Fatalf("restored total + kept = %q", got)
	}
	if got, _ := mustOK(t, s, "helper() + 1"); got != "42" {
		t.Fatalf("after restart helper()+1 = %q", got)
	}
	if _, out := mustErr(t, s, "f"); out == nil {
		t.Fatal("unreachable")
	}
}

func TestConcurrentMapWrites(t *testing.T) {
	s := newSup(t)
	e, _ := mustErr(t, s, `import "sync"
m := map[int]int{}
var wg sync.WaitGroup
for g := 0; g < 8; g++ {
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 1000000; i++ { m[i%100] = i }
	}()
}
wg.Wait()`)
	if !strings.HasPrefix(e.Value, "fatal error: concurrent map writes") {
		t.Fatalf("got %s %q", e.Name, e.Value)
	}
	if got, _ := mustOK(t, s, "1+1"); got != "2" {
		t.Fatalf("after crash: %q", got)
	}
}

func TestAfterFuncPanicAndExitInGoroutine(t *testing.T) {
	s := newSup(t)
	e, _ := mustErr(t, s, `import "time"
time.AfterFunc(10*time.Millisecond, func() { panic("timer boom") })
time.Sleep(3 * time.Second)`)
	if !strings.Contains(e.Value, "timer boom") {
		t.Fatalf("AfterFunc panic: %s %q", e.Name, e.Value)
	}
	e, _ = mustErr(t, s, `go func() { os.Exit(3) }()
time.Sleep(3 * time.Second)`)
	if e.Name != "Exit" && !strings.Contains(e.Value, "os.Exit") {
		// os is not imported in this cell: the compile error is fine too, check the next one.
	}
	// As in Go, a recover in the goroutine does not stop os.Exit, nor does the cell go on.
	e, out := mustErr(t, s, `import "os"
go func() { defer func() { recover() }(); os.Exit(3) }()
time.Sleep(3 * time.Second)
println("not reached")`)
	if e.Name != "Exit" || !strings.HasPrefix(e.Value, "exit status 3: os.Exit(3) in a goroutine") || out.Stderr() != "" {
		t.Fatalf("os.Exit in goroutine: %s %q", e.Name, e.Value)
	}
	if got, _ := mustOK(t, s, "3*3"); got != "9" {
		t.Fatalf("after: %q", got)
	}
}

func TestStackOverflowAndOOM(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow; and the race detector's shadow memory does not fit the memory limit")
	}
	s := newSup(t)
	e, _ := mustErr(t, s, `func rec(n int) int { return rec(n+1) + 1 }
rec(0)`)
	if !strings.Contains(e.Value, "stack overflow") && !strings.Contains(e.Value, "stack exceeds") {
		t.Fatalf("stack overflow: %s %q\n%s", e.Name, e.Value, strings.Join(e.Traceback, "\n"))
	}
	e, _ = mustErr(t, s, `b := make([]byte, 3<<30)
b[1] = 1`)
	if !strings.Contains(e.Value, "exceeded the memory limit of 2 GiB") {
		t.Fatalf("OOM: %s %q", e.Name, e.Value)
	}
	if got, _ := mustOK(t, s, `rec != nil`); got != "true" {
		t.Fatalf("rec kept after crashes: %q", got)
	}
}

func TestOsExitLogFatal(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("os"; "log"; "runtime")
v := 7`)
	e, _ := mustErr(t, s, "os.Exit(3)")
	if e.Name != "Exit" || e.Value != "exit status 3" {
		t.Fatalf("os.Exit: %s %q", e.Name, e.Value)
	}
	e, out := mustErr(t, s, `log.Fatal("bad thing")`)
	if e.Name != "Exit" || !strings.Contains(out.Stderr(), "bad thing") {
		t.Fatalf("log.Fatal: %s %q, stderr %q", e.Name, e.Value, out.Stderr())
	}
	e, _ = mustErr(t, s, "runtime.Goexit()")
	if e.Name != "Goexit" {
		t.Fatalf("Goexit: %s %q", e.Name, e.Value)
	}
	e, _ = mustErr(t, s, "runtime.Breakpoint()")
	if !strings.Contains(e.Value, "Breakpoint") {
		t.Fatalf("Breakpoint: %s %q", e.Name, e.Value)
	}
	if got, _ := mustOK(t, s, "v"); got != "7" {
		t.Fatalf("worker kept state: v = %q", got)
	}
}

func TestInterrupt(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("fmt"; "sync"; "time")
func keep() int { return 2 }
type P struct{ A int }`)
	for _, code := range []string{
		"for {}",
		"time.Sleep(time.Hour)",
		"ch := make(chan int)\n<-ch",
		"var wg sync.WaitGroup\nwg.Add(1)\nwg.Wait()",
	} {
		// The cell says it runs, then blocks; the interrupt follows what it says.
		out := &fakeOut{}
		done := interruptOnOutput(t, s, out, "running\n")
		r := runOut(t, s, "fmt.Println(\"running\")\n"+code, out)
		took := time.Since(<-done)
		if r.Status != backend.StatusError || r.Error == nil {
			t.Fatalf("cell %q: want an error, got %s %q (stdout %q)", code, r.Status, text(r), out.Stdout())
		}
		e := r.Error
		if e.Name != "KeyboardInterrupt" {
			t.Fatalf("%q: %s %q", code, e.Name, e.Value)
		}
		if took > time.Second {
			t.Errorf("%q: interrupt took %v", code, took)
		}
		if got, _ := mustOK(t, s, "1+1"); got != "2" {
			t.Fatalf("after interrupt: %q", got)
		}
		if got, _ := mustOK(t, s, "keep() + P{A: 1}.A"); got != "3" {
			t.Fatalf("declarations after interrupt: %q", got)
		}
	}
}

func TestPanicAfterCellEnded(t *testing.T) {
	s := newSup(t)
	out1 := &fakeOut{}
	r := runOut(t, s, `import "time"
func still() int { return 5 }
func late() { panic("late boom") }
go func() { time.Sleep(200 * time.Millisecond); late() }()`, out1)
	if r.Status != "ok" {
		t.Fatal(r.Error)
	}
	_ = waitOut(out1, 10*time.Second, func() bool { return strings.Contains(out1.Stderr(), "late boom") })
	if !strings.Contains(out1.Stderr(), "panic: late boom") || !strings.Contains(out1.Stderr(), "started a new one") ||
		strings.Contains(out1.Stderr(), "/_.go") {
		t.Fatalf("late panic report: %q", out1.Stderr())
	}
	if got, _ := mustOK(t, s, "still()"); got != "5" {
		t.Fatalf("after late panic: %q", got)
	}
}

func TestInterruptDuringInput(t *testing.T) {
	s := newSup(t)
	out := &blockingOut{fakeOut: fakeOut{backendtest.Recorder{Inputs: []string{}}}, asked: make(chan struct{})}
	go func() {
		select { // interrupt the cell once it waits for input
		case <-out.asked:
		case <-time.After(30 * time.Second):
			t.Errorf("the cell did not ask for input")
		}
		_ = s.Interrupt()
	}()
	r := runOut2(t, s, "import \"fmt\"\nvar x int\nfmt.Scanln(&x)", out)
	if r.Error == nil || r.Error.Name != "KeyboardInterrupt" {
		t.Fatalf("got %+v", r)
	}
	if got, _ := mustOK(t, s, "1+2"); got != "3" {
		t.Fatalf("after: %q", got)
	}
}

func TestShutdownRestart(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, "zz := 1")
	if err := s.Shutdown(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if e, _ := mustErr(t, s, "zz"); !strings.Contains(e.Value, "undefined: zz") {
		t.Fatalf("after restart: %q", e.Value)
	}
	if got, _ := mustOK(t, s, "zz := 2\nzz"); got != "2" {
		t.Fatalf("fresh session: %q", got)
	}
}
