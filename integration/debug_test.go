package integration

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
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
