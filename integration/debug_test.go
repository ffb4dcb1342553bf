package integration

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel/client"
)

// TestDebugProtocolJupyterClient drives the Jupyter debugger through jupyter_client
// (testdata/debug_session.py): a breakpoint inside a goroutine, its stop, threads, frames,
// variables, next, continue, the cell's output.
func TestDebugProtocolJupyterClient(t *testing.T) {
	requireJupyter(t, "jupyter_client")
	env := installKernel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, "debug_session.py")
	cmd.Dir = "testdata"
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("debug session through jupyter_client:\n%s", filterLogs(out))
	if err != nil {
		t.Fatalf("debug session: %v", err)
	}
	if !strings.Contains(string(out), "\nPASS") {
		t.Fatal("the debug session did not print PASS")
	}
}

// debugCell is the cell of the Go client test: a breakpoint goes on line 8, inside the
// goroutines' loop.
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

// TestDebugProtocolGoClient drives the debugger of the real kernel process over ZeroMQ with
// the Go client: debug requests on control are answered while a cell, stopped at a
// breakpoint in a goroutine, blocks the shell; debug_event messages arrive on iopub; an
// interrupt_request while stopped ends the cell without hanging the kernel.
func TestDebugProtocolGoClient(t *testing.T) {
	c := startKernel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ki, err := c.KernelInfo(ctx)
	if err != nil || ki.Content["debugger"] != true {
		t.Fatalf("kernel_info debugger: %v %v", err, ki.Content["debugger"])
	}
	seq := 0
	dap := func(cmd string, args map[string]any) map[string]any {
		t.Helper()
		seq++
		r, err := c.Request(ctx, client.Control, "debug_request", map[string]any{"seq": seq, "type": "request", "command": cmd, "arguments": args}, true)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		if r.Msg.Type() != "debug_reply" || r.Content["success"] != true || r.Content["request_seq"] != float64(seq) {
			t.Fatalf("%s: %s %v", cmd, r.Msg.Type(), r.Content)
		}
		b, _ := r.Content["body"].(map[string]any)
		return b
	}
	event := func(name string) map[string]any {
		t.Helper()
		for {
			m, err := c.Recv(ctx, client.IOPub)
			if err != nil {
				t.Fatalf("waiting for debug_event %s: %v", name, err)
			}
			if m.Type() == "debug_event" && m.ContentMap()["event"] == name {
				b, _ := m.ContentMap()["body"].(map[string]any)
				return b
			}
		}
	}
	dap("initialize", map[string]any{"clientID": "quire-test"})
	dap("attach", nil)
	path := dap("dumpCell", map[string]any{"code": debugCell})["sourcePath"].(string)
	dap("setBreakpoints", map[string]any{"source": map[string]any{"path": path}, "breakpoints": []any{map[string]any{"line": 8}}})
	dap("configurationDone", nil)

	call, err := c.ExecuteAsync(debugCell, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	stop := event("stopped")
	t.Logf("stopped %v after %v", stop, time.Since(t0))
	// The shell is blocked by the cell; control answers.
	t1 := time.Now()
	frames := dap("stackTrace", map[string]any{"threadId": stop["threadId"]})["stackFrames"].([]any)
	top := frames[0].(map[string]any)
	scopes := dap("scopes", map[string]any{"frameId": top["id"]})["scopes"].([]any)
	vars := dap("variables", map[string]any{"variablesReference": scopes[0].(map[string]any)["variablesReference"]})["variables"].([]any)
	t.Logf("stackTrace+scopes+variables while stopped: %v; top frame %v; locals %v", time.Since(t1), top, vars)
	if top["line"] != float64(8) {
		t.Errorf("top frame line %v, want 8", top["line"])
	}
	select {
	case <-call.Done():
		t.Fatal("the cell finished while a goroutine was stopped at a breakpoint")
	default:
	}
	t2 := time.Now()
	if _, err := c.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := call.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("interrupt while stopped: the cell ended after %v with %v", time.Since(t2), r.Content["ename"])
	if r.Status() != "error" || r.Content["ename"] != "KeyboardInterrupt" {
		t.Errorf("interrupted cell: %v", r.Content)
	}
	// The session goes on: without the breakpoint, the cell runs to its end.
	dap("setBreakpoints", map[string]any{"source": map[string]any{"path": path}, "breakpoints": []any{}})
	r = execute(t, c, debugCell)
	if out := r.Stream("stdout"); r.Status() != "ok" || !strings.HasSuffix(out, "all done\n") {
		t.Errorf("cell after the interrupt: %v %q", r.Content, out)
	}
	dap("disconnect", nil)
}
