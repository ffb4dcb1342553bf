package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel/client"
	"github.com/quire-go/quire/kernel/kerneltest"
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

// TestWidgetCallbackLatencyAndInterrupt measures the round trip of a slider update whose
// callback changes a label, then interrupts a callback stuck in a loop: the comm message ends
// with the interruption reported, the worker is replaced, and its widgets are closed.
func TestWidgetCallbackLatencyAndInterrupt(t *testing.T) {
	c := startKernel(t)
	r := execute(t, c, `import (
	"fmt"
	"github.com/quire-go/quire/display"
	"github.com/quire-go/quire/display/widget"
)
s := widget.NewIntSlider("n", 0, 1000, 0)
l := widget.NewLabel("")
s.OnChange(func(n int) { l.SetValue(fmt.Sprint(n)) })
stuck := widget.NewButton("loop")
stuck.OnClick(func() { fmt.Println("looping"); for {} })
display.Show(widget.NewHBox(s, l, stuck))`)
	if r.Status() != "ok" {
		t.Fatalf("widget cell: %v", r.Content)
	}
	ids := map[string]string{}
	for _, m := range r.IOPub {
		if m.Type() == "comm_open" {
			cm := m.ContentMap()
			ids[cm["data"].(map[string]any)["state"].(map[string]any)["_model_name"].(string)] = cm["comm_id"].(string)
		}
	}
	if r := execute(t, c, "widget.SetTransport(nil)"); r.Status() != "error" || !strings.Contains(fmt.Sprint(r.Content["evalue"]), "plumbing") {
		t.Errorf("a cell replacing the widgets' transport: %v", r.Content)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 50
	var times []time.Duration
	for i := 1; i <= n; i++ {
		t0 := time.Now()
		r, err := c.Request(ctx, client.Shell, "comm_msg", map[string]any{"comm_id": ids["IntSliderModel"],
			"data": map[string]any{"method": "update", "state": map[string]any{"value": i}, "buffer_paths": []any{}}}, false)
		if err != nil {
			t.Fatal(err)
		}
		times = append(times, time.Since(t0))
		if got := r.Types(); len(got) != 4 { // busy, echo_update, label update, idle
			t.Fatalf("update %d: iopub %v", i, got)
		}
	}
	slices.Sort(times)
	t.Logf("slider update -> echo_update + callback + label update + idle: median %v, max %v over %d updates",
		times[n/2].Round(10*time.Microsecond), times[n-1].Round(10*time.Microsecond), n)

	looping, inLoop := kerneltest.StreamSeen("looping")
	click, err := c.RequestAsync(client.Shell, "comm_msg", map[string]any{"comm_id": ids["ButtonModel"],
		"data": map[string]any{"method": "custom", "content": map[string]any{"event": "click"}}}, false, looping.OnIOPub)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *client.Reply, 1)
	go func() {
		r, _ := click.Wait(ctx)
		done <- r
	}()
	kerneltest.Wait(t, inLoop, time.Minute, "the stuck callback did not start")
	t0 := time.Now()
	if _, err := c.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	var stuckReply *client.Reply
	select {
	case stuckReply = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the stuck callback's comm_msg never went idle after the interrupt")
	}
	t.Logf("interrupt of a stuck callback: idle after %v", time.Since(t0).Round(time.Millisecond))
	if e := stuckReply.Stream("stderr"); !strings.Contains(e, "interrupted") {
		t.Errorf("stderr of the interrupted callback: %q", e)
	}
	if r := execute(t, c, "1 + 1"); r.Status() != "ok" {
		t.Errorf("after the interrupt: %v", r.Content)
	}
}

// TestWidgetsClosedOnRestart redefines a type, which restarts the worker: the widgets it held
// are closed, and the cell that caused the restart says so.
func TestWidgetsClosedOnRestart(t *testing.T) {
	c := startKernel(t)
	if r := execute(t, c, "import \"github.com/quire-go/quire/display/widget\"\ntype T struct{ A int }\ns := widget.NewIntSlider(\"n\", 0, 9, 1)\ns"); r.Status() != "ok" {
		t.Fatalf("widget cell: %v", r.Content)
	}
	r := execute(t, c, "type T struct{ A, B int }\nT{1, 2}")
	if r.Status() != "ok" {
		t.Fatalf("redefinition: %v", r.Content)
	}
	if e := r.Stream("stderr"); !strings.Contains(e, "widgets it held are closed") {
		t.Errorf("stderr of the restarting cell: %q", e)
	}
}
