package integration

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestWidgetsThroughJupyterClient drives testdata/widgets_test.py: jupyter_client plays the part
// of JupyterLab's widget manager against the real kernel (slider created by a cell, an update
// from the frontend, echo_update and the Go callback's output, request_state, the
// jupyter.widget.control comm, a panicking callback, a worker crash closing the widgets).
func TestWidgetsThroughJupyterClient(t *testing.T) {
	requireJupyter(t, "jupyter_client")
	env := installKernel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, "widgets_test.py")
	cmd.Dir = "testdata"
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("widgets through jupyter_client:\n%s", filterLogs(out))
	if err != nil {
		t.Fatalf("widgets_test.py: %v", err)
	}
	if !strings.Contains(string(out), "\nOK") {
		t.Fatal("widgets_test.py did not report OK")
	}
}
