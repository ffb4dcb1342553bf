package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel/client"
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

// TestWidgetsDemoNotebook runs the demo notebook's widget cell through quire's own client
// (no Jupyter needed), then moves its slider as JupyterLab does: the Go callback re-runs the
// executors with that many workers and redraws the caption and the timeline.
func TestWidgetsDemoNotebook(t *testing.T) {
	raw, err := os.ReadFile("testdata/widgets_demo.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	var nb struct {
		Cells []struct {
			Type   string   `json:"cell_type"`
			Source []string `json:"source"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatal(err)
	}
	var code []string
	for _, c := range nb.Cells {
		if c.Type == "code" {
			code = append(code, strings.Join(c.Source, ""))
		}
	}
	c := startKernel(t)
	r := execute(t, c, code[0])
	if r.Status() != "ok" {
		t.Fatalf("widget cell: %v", r.Content)
	}
	ids := map[string]string{} // model name -> comm id
	for _, m := range r.IOPub {
		if m.Type() == "comm_open" {
			cm := m.ContentMap()
			st := cm["data"].(map[string]any)["state"].(map[string]any)
			ids[st["_model_name"].(string)] = cm["comm_id"].(string)
		}
	}
	if ids["IntSliderModel"] == "" || ids["OutputModel"] == "" || ids["LabelModel"] == "" {
		t.Fatalf("comm_open models: %v", ids)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t0 := time.Now()
	r, err = c.Request(ctx, client.Shell, "comm_msg", map[string]any{"comm_id": ids["IntSliderModel"],
		"data": map[string]any{"method": "update", "state": map[string]any{"value": 4}, "buffer_paths": []any{}}}, false)
	took := time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	var caption string
	var svg bool
	for _, m := range r.IOPub {
		if m.Type() != "comm_msg" {
			continue
		}
		cm := m.ContentMap()
		data := cm["data"].(map[string]any)
		methods = append(methods, data["method"].(string))
		st, _ := data["state"].(map[string]any)
		switch cm["comm_id"] {
		case ids["LabelModel"]:
			caption, _ = st["value"].(string)
		case ids["OutputModel"]:
			outs := st["outputs"].([]any)
			_, svg = outs[0].(map[string]any)["data"].(map[string]any)["image/svg+xml"]
		}
	}
	if len(methods) != 3 || methods[0] != "echo_update" {
		t.Errorf("comm_msg methods %v, want echo_update and two updates", methods)
	}
	if !strings.HasPrefix(caption, "4 workers: ") || !svg {
		t.Errorf("caption %q, timeline redrawn as SVG: %v", caption, svg)
	}
	t.Logf("slider moved to 4: echo, caption %q and timeline back in %v", caption, took.Round(time.Millisecond))
	r = execute(t, c, code[1])
	value := ""
	for _, m := range r.IOPub {
		if m.Type() == "execute_result" {
			value = fmt.Sprint(m.ContentMap()["data"].(map[string]any)["text/plain"])
		}
	}
	if value != "4" {
		t.Errorf("workers.Value() after the move = %q, want 4", value)
	}
}
