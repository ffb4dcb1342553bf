package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel/client"
	"github.com/quire-go/quire/kernel/kerneltest"
)

// startKernel starts the built quire binary as a kernel through the Go client.
func startKernel(t *testing.T) *client.Client {
	t.Helper()
	bin := quireBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Setenv("JUPYTER_DATA_DIR", t.TempDir())
	c, err := client.Start(ctx, []string{bin, "kernel", "{connection_file}"})
	if err != nil {
		t.Fatalf("starting the kernel: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func execute(t *testing.T, c *client.Client, code string) *client.Reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := c.Execute(ctx, code, nil)
	if err != nil {
		t.Fatalf("execute %q: %v", code, err)
	}
	return r
}

// TestInterruptKeepsDeclarations interrupts endless and blocked cells through interrupt_request
// and checks the kernel stops them quickly and keeps the session's declarations.
func TestInterruptKeepsDeclarations(t *testing.T) {
	c := startKernel(t)
	if r := execute(t, c, "func double(x int) int { return 2 * x }\nimport (\"fmt\"; \"sync\")\ntype Box struct{ N int }"); r.Status() != "ok" {
		t.Fatalf("declarations: %v", r.Content)
	}
	cases := []string{
		"for {\n}",
		"import \"time\"\ntime.Sleep(time.Hour)",
		"ch := make(chan int)\n<-ch",
		"var wg sync.WaitGroup\nwg.Add(1)\nwg.Wait()",
	}
	for _, code := range cases {
		// The cell says it runs, then blocks; the interrupt follows what it says.
		opts, running := kerneltest.StreamSeen("running\n")
		call, err := c.ExecuteAsync("fmt.Println(\"running\")\n"+code, opts)
		if err != nil {
			t.Fatal(err)
		}
		kerneltest.Wait(t, running, time.Minute, "the cell did not start")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		t0 := time.Now()
		if _, err := c.Interrupt(ctx); err != nil {
			cancel()
			t.Fatalf("interrupt: %v", err)
		}
		r, err := call.Wait(ctx)
		latency := time.Since(t0)
		cancel()
		if err != nil {
			t.Fatalf("%q: waiting after interrupt: %v", code, err)
		}
		if r.Status() != "error" || r.Content["ename"] != "KeyboardInterrupt" {
			t.Errorf("%q: reply %v, want a KeyboardInterrupt error", code, r.Content)
		}
		t.Logf("%-40q interrupted in %v", code, latency.Round(time.Millisecond))
		// The goal is 100 ms; the bound leaves room for a loaded 2-core CI machine.
		if latency > 2*time.Second {
			t.Errorf("%q: interrupt took %v", code, latency)
		}
		if r := execute(t, c, "double(21) + Box{0}.N"); r.Status() != "ok" || !strings.Contains(resultText(r), "42") {
			t.Errorf("after interrupting %q: %v %v", code, r.Content, resultText(r))
		}
	}
}

// resultText returns the text/plain of a reply's execute_result.
func resultText(r *client.Reply) string {
	for _, m := range r.IOPub {
		if m.Header.MsgType == "execute_result" {
			var c struct {
				Data map[string]any `json:"data"`
			}
			if err := m.DecodeContent(&c); err == nil {
				s, _ := c.Data["text/plain"].(string)
				return s
			}
		}
	}
	return ""
}
