package eval

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
)

// TestMurmur2 checks the cell hash against JupyterLab 4.6's murmur2 (@jupyterlab/debugger's
// lib/hash.js, run under Node with seed DebugHashSeed): JupyterLab computes the same hash to
// map cells to dumped sources, so it must match exactly, non-ASCII text included.
func TestMurmur2(t *testing.T) {
	for _, c := range []struct {
		code string
		want uint32
	}{
		{"", 2496897256},
		{"a", 115598505},
		{"ab", 608389596},
		{"abc", 4016309163},
		{"abcd", 103468879},
		{"fmt.Println(1)\n", 3688050506},
		{"x := \"héllo 世界 🎉\"\nfmt.Println(x)", 612777656},
	} {
		if got := Murmur2(c.code, DebugHashSeed); got != c.want {
			t.Errorf("Murmur2(%q) = %d, want %d", c.code, got, c.want)
		}
	}
}

// debugClient drives Supervisor.DebugRequest and collects events.
type debugClient struct {
	t      *testing.T
	s      *Supervisor
	seq    int
	events chan map[string]any
}

func newDebugClient(t *testing.T, s *Supervisor) *debugClient {
	return &debugClient{t: t, s: s, events: make(chan map[string]any, 256)}
}

func (c *debugClient) req(cmd string, args map[string]any) map[string]any {
	c.t.Helper()
	c.seq++
	r := c.s.DebugRequest(context.Background(), map[string]any{"seq": float64(c.seq), "type": "request", "command": cmd, "arguments": args},
		func(e map[string]any) { c.events <- e })
	if r["type"] != "response" || r["command"] != cmd || r["request_seq"] != float64(c.seq) {
		c.t.Fatalf("%s: bad response envelope %v", cmd, r)
	}
	return r
}

func (c *debugClient) ok(cmd string, args map[string]any) map[string]any {
	c.t.Helper()
	r := c.req(cmd, args)
	if r["success"] != true {
		c.t.Fatalf("%s failed: %v", cmd, r["message"])
	}
	b, _ := r["body"].(map[string]any)
	return b
}

// roundTrip passes v through JSON, as the kernel's wire does.
func roundTrip(t *testing.T, v map[string]any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (c *debugClient) waitEvent(name string, match map[string]any) map[string]any {
	c.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case e := <-c.events:
			e = roundTrip(c.t, e)
			c.t.Logf("event %v %v", e["event"], e["body"])
			if e["event"] != name {
				continue
			}
			body, _ := e["body"].(map[string]any)
			okm := true
			for k, v := range match {
				if body[k] != v {
					okm = false
				}
			}
			if okm {
				return body
			}
		case <-deadline:
			c.t.Fatalf("no %s event %v", name, match)
		}
	}
}

const debugCell = `import ("fmt"; "sync")
var wg sync.WaitGroup
for w := 0; w < 2; w++ {
	wg.Add(1)
	go func(id int) {
		defer wg.Done()
		for k := 0; k < 3; k++ {
			fmt.Println("worker", id, "step", k)
		}
	}(w)
}
wg.Wait()
fmt.Println("all done")
`

// TestDebuggerGoroutineBreakpoint: a breakpoint inside a goroutine stops it; its frame,
// locals and the threads are shown while the cell is blocked; next and continue work; the
// cell then finishes with all its output.
func TestDebuggerGoroutineBreakpoint(t *testing.T) {
	s := newSup(t)
	c := newDebugClient(t, s)
	c.ok("initialize", map[string]any{"clientID": "test"})
	c.ok("attach", nil)
	path := c.ok("dumpCell", map[string]any{"code": debugCell})["sourcePath"].(string)
	c.ok("setBreakpoints", map[string]any{"source": map[string]any{"path": path}, "breakpoints": []any{map[string]any{"line": float64(8)}}})
	c.ok("configurationDone", nil)
	out := &fakeOut{}
	done := make(chan backend.ExecuteResult, 1)
	go func() {
		done <- s.Execute(context.Background(), backend.ExecuteRequest{Code: debugCell, ExecutionCount: 1}, out)
	}()
	stop := c.waitEvent("stopped", map[string]any{"reason": "breakpoint"})
	tid := stop["threadId"]
	threads := roundTrip(t, c.ok("threads", nil))["threads"].([]any)
	if len(threads) < 2 {
		t.Errorf("threads: %v", threads)
	}
	st := roundTrip(t, c.ok("stackTrace", map[string]any{"threadId": tid}))
	frames := st["stackFrames"].([]any)
	top := frames[0].(map[string]any)
	t.Logf("frames %v", frames)
	if top["line"] != float64(8) || top["source"].(map[string]any)["path"] != path {
		t.Errorf("top frame %v", top)
	}
	scopes := roundTrip(t, c.ok("scopes", map[string]any{"frameId": top["id"]}))["scopes"].([]any)
	locals := scopes[0].(map[string]any)
	vars := roundTrip(t, c.ok("variables", map[string]any{"variablesReference": locals["variablesReference"]}))["variables"].([]any)
	t.Logf("locals %v", vars)
	vals := map[string]any{}
	for _, v := range vars {
		m := v.(map[string]any)
		vals[m["name"].(string)] = m["value"]
	}
	if vals["k"] != "0" {
		t.Errorf("k = %v, want 0", vals["k"])
	}
	c.ok("next", map[string]any{"threadId": tid})
	c.waitEvent("stopped", map[string]any{"reason": "step", "threadId": tid})
	st = roundTrip(t, c.ok("stackTrace", map[string]any{"threadId": tid}))
	if line := st["stackFrames"].([]any)[0].(map[string]any)["line"]; line != float64(7) {
		t.Errorf("after next: line %v, want 7 (the loop's k++)", line)
	}
	c.ok("setBreakpoints", map[string]any{"source": map[string]any{"path": path}, "breakpoints": []any{}})
	for {
		c.ok("continue", map[string]any{"threadId": tid})
		select {
		case res := <-done:
			if res.Status != backend.StatusOK {
				t.Fatalf("cell: %v", res.Error)
			}
			if !strings.HasSuffix(out.Stdout(), "all done\n") || strings.Count(out.Stdout(), "worker") != 6 {
				t.Errorf("output %q", out.Stdout())
			}
			c.ok("disconnect", nil)
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// TestDebuggerInterruptWhileStopped: an interrupt while a goroutine is stopped at a
// breakpoint ends the cell (the worker is replaced), tells the frontend the threads are gone,
// and the next cell runs, still under the debugger.
func TestDebuggerInterruptWhileStopped(t *testing.T) {
	s := newSup(t)
	c := newDebugClient(t, s)
	c.ok("initialize", nil)
	c.ok("attach", nil)
	path := c.ok("dumpCell", map[string]any{"code": debugCell})["sourcePath"].(string)
	c.ok("setBreakpoints", map[string]any{"source": map[string]any{"path": path}, "breakpoints": []any{map[string]any{"line": float64(8)}}})
	done := make(chan backend.ExecuteResult, 1)
	go func() {
		done <- s.Execute(context.Background(), backend.ExecuteRequest{Code: debugCell, ExecutionCount: 1}, &fakeOut{})
	}()
	c.waitEvent("stopped", map[string]any{"reason": "breakpoint"})
	t0 := time.Now()
	if err := s.Interrupt(); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if res.Error == nil || res.Error.Name != "KeyboardInterrupt" {
			t.Errorf("interrupted cell: %+v", res)
		}
		t.Logf("interrupt while stopped: the cell ended after %v", time.Since(t0))
	case <-time.After(10 * time.Second):
		t.Fatal("the cell did not end after the interrupt")
	}
	c.waitEvent("continued", nil)
	c.waitEvent("output", nil)
	if got := roundTrip(t, c.ok("debugInfo", nil))["stoppedThreads"].([]any); len(got) != 0 {
		t.Errorf("stoppedThreads after the interrupt: %v", got)
	}
	// The breakpoint still holds in the new worker.
	out := &fakeOut{}
	go func() {
		done <- s.Execute(context.Background(), backend.ExecuteRequest{Code: debugCell, ExecutionCount: 2}, out)
	}()
	c.waitEvent("stopped", map[string]any{"reason": "breakpoint"})
	c.ok("disconnect", nil) // resumes everything and removes the breakpoints
	select {
	case res := <-done:
		if res.Status != backend.StatusOK || !strings.HasSuffix(out.Stdout(), "all done\n") {
			t.Errorf("cell after disconnect: %+v %q", res, out.Stdout())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cell did not finish after disconnect")
	}
}

// TestDebuggerCrashWhileStopped: a goroutine panics while another is stopped: the worker
// dies, the cell reports the panic, and the stopped thread is reported gone.
func TestDebuggerCrashWhileStopped(t *testing.T) {
	s := newSup(t)
	c := newDebugClient(t, s)
	c.ok("initialize", nil)
	c.ok("attach", nil)
	code := `import "time"
go func() {
	time.Sleep(200 * time.Millisecond)
	panic("boom")
}()
x := 1
x++
time.Sleep(time.Second)
`
	path := c.ok("dumpCell", map[string]any{"code": code})["sourcePath"].(string)
	c.ok("setBreakpoints", map[string]any{"source": map[string]any{"path": path}, "breakpoints": []any{map[string]any{"line": float64(7)}}})
	done := make(chan backend.ExecuteResult, 1)
	go func() {
		done <- s.Execute(context.Background(), backend.ExecuteRequest{Code: code, ExecutionCount: 1}, &fakeOut{})
	}()
	c.waitEvent("stopped", map[string]any{"reason": "breakpoint", "threadId": float64(1)})
	select {
	case res := <-done:
		if res.Error == nil || !strings.Contains(res.Error.Value, "boom") {
			t.Errorf("cell: %+v", res.Error)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cell did not end when the worker crashed")
	}
	c.waitEvent("continued", map[string]any{"threadId": float64(1)})
	r := c.req("stackTrace", map[string]any{"threadId": float64(1)})
	if r["success"] != false {
		t.Errorf("stackTrace of a dead worker's thread: %v", r)
	}
}

// TestDebuggerPause: pause stops a busy goroutine where it is (JupyterLab's pause button);
// continue lets it finish.
func TestDebuggerPause(t *testing.T) {
	s := newSup(t)
	c := newDebugClient(t, s)
	c.ok("initialize", nil)
	c.ok("attach", nil)
	code := `import ("fmt"; "time")
done := make(chan int)
go func() {
	n := 0
	fmt.Println("looping")
	for start := time.Now(); time.Since(start) < 2*time.Second; {
		n++
	}
	done <- n
}()
n := <-done
n > 0
`
	out := &fakeOut{}
	res := make(chan backend.ExecuteResult, 1)
	go func() {
		res <- s.Execute(context.Background(), backend.ExecuteRequest{Code: code, ExecutionCount: 1}, out)
	}()
	c.waitEvent("thread", map[string]any{"reason": "started"})
	// Pause once the goroutine is in its loop (it says so just before).
	if err := out.WaitText(30*time.Second, "looping\n"); err != nil {
		t.Fatalf("the goroutine did not start its loop: %v", err)
	}
	c.ok("pause", map[string]any{"threadId": float64(1)})
	stop := c.waitEvent("stopped", map[string]any{"reason": "pause"})
	frames := roundTrip(t, c.ok("stackTrace", map[string]any{"threadId": stop["threadId"]}))["stackFrames"].([]any)
	t.Logf("paused: %v", frames)
	if line := frames[0].(map[string]any)["line"].(float64); line < 6 || line > 7 {
		t.Errorf("paused at line %v, want the loop (6 or 7)", line)
	}
	c.ok("continue", map[string]any{"threadId": stop["threadId"]})
	select {
	case r := <-res:
		if r.Status != backend.StatusOK || r.Result == nil || r.Result.Data["text/plain"] != "true" {
			t.Errorf("cell after pause and continue: %+v", r)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the cell did not finish after continue")
	}
	c.ok("disconnect", nil)
}

// TestDebuggerEarlierCell: a breakpoint in a function declared by a cell that ran before the
// debugger started stops when a later cell calls it.
func TestDebuggerEarlierCell(t *testing.T) {
	s := newSup(t)
	decl := "func double(x int) int {\n\ty := 2 * x\n\treturn y\n}\n"
	if r := s.Execute(context.Background(), backend.ExecuteRequest{Code: decl, ExecutionCount: 1}, &fakeOut{}); r.Status != backend.StatusOK {
		t.Fatalf("declaring: %+v", r.Error)
	}
	c := newDebugClient(t, s)
	c.ok("initialize", nil)
	c.ok("attach", nil)
	path := c.ok("dumpCell", map[string]any{"code": decl})["sourcePath"].(string)
	bps := roundTrip(t, c.ok("setBreakpoints", map[string]any{"source": map[string]any{"path": path}, "breakpoints": []any{map[string]any{"line": float64(3)}}}))
	if bp := bps["breakpoints"].([]any)[0].(map[string]any); bp["verified"] != true {
		t.Errorf("breakpoint in the earlier cell: %v", bp)
	}
	res := make(chan backend.ExecuteResult, 1)
	go func() {
		res <- s.Execute(context.Background(), backend.ExecuteRequest{Code: "double(21)", ExecutionCount: 2}, &fakeOut{})
	}()
	stop := c.waitEvent("stopped", map[string]any{"reason": "breakpoint"})
	frames := roundTrip(t, c.ok("stackTrace", map[string]any{"threadId": stop["threadId"]}))["stackFrames"].([]any)
	top := frames[0].(map[string]any)
	if top["name"] != "double" || top["line"] != float64(3) || top["source"].(map[string]any)["path"] != path {
		t.Errorf("top frame %v", top)
	}
	scopes := roundTrip(t, c.ok("scopes", map[string]any{"frameId": top["id"]}))["scopes"].([]any)
	vars := roundTrip(t, c.ok("variables", map[string]any{"variablesReference": scopes[0].(map[string]any)["variablesReference"]}))["variables"].([]any)
	t.Logf("frames %v locals %v", frames, vars)
	c.ok("disconnect", nil)
	select {
	case r := <-res:
		if r.Status != backend.StatusOK || r.Result == nil || r.Result.Data["text/plain"] != "42" {
			t.Errorf("double(21): %+v", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cell did not finish after disconnect")
	}
}

// TestDebuggerOverhead measures a CPU-bound cell without the debugger, with it attached and
// no breakpoint, and after disconnect (which must cost nothing again).
func TestDebuggerOverhead(t *testing.T) {
	s := newSup(t)
	code := "func spin(n int) int {\n\ts := 0\n\tfor i := 0; i < n; i++ {\n\t\ts += i % 7\n\t}\n\treturn s\n}\nspin(300000)"
	run := func(n int) time.Duration {
		t0 := time.Now()
		r := s.Execute(context.Background(), backend.ExecuteRequest{Code: code, ExecutionCount: n}, &fakeOut{})
		if r.Status != backend.StatusOK || r.Result == nil || r.Result.Data["text/plain"] != "899997" {
			t.Fatalf("spin: %+v", r)
		}
		return time.Since(t0)
	}
	run(1)
	plain := run(2)
	c := newDebugClient(t, s)
	c.ok("initialize", nil)
	c.ok("attach", nil)
	attached := run(3)
	c.ok("disconnect", nil)
	after := run(4)
	t.Logf("spin(300000): %v without the debugger, %v attached (no breakpoint), %v after disconnect", plain, attached, after)
	if after > 3*plain+50*time.Millisecond {
		t.Errorf("after disconnect the cell took %v, %v before attaching", after, plain)
	}
}
