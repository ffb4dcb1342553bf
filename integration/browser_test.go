package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestNotebookInBrowser opens the threads lesson in Debian's Notebook 6, served on loopback, in
// headless Chromium driven through chromedriver (W3C WebDriver over HTTP), runs all cells and
// checks that the timing reports' SVG timelines and HTML tables were rendered, saving a
// screenshot. The lesson's sleeps are shrunk with QUIRE_LESSON_SCALE to keep the test short.
// QUIRE_SCREENSHOT_DIR keeps the screenshot (default: the test's temp dir).
func TestNotebookInBrowser(t *testing.T) {
	requireJupyter(t, "notebook")
	for _, tool := range []string{"chromium", "chromedriver", "jupyter-notebook"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := tool + " is not installed (apt-get install chromium chromium-driver jupyter-notebook)"
			if os.Getenv("QUIRE_REQUIRE_JUPYTER") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	env := append(installKernel(t), "QUIRE_LESSON_SCALE=0.1")
	nbDir := t.TempDir()
	export := exec.Command(quireBinary(t), "lessons", "export", nbDir)
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("quire lessons export: %v\n%s", err, out)
	}
	const lesson = "02-threads.ipynb"
	if _, err := os.Stat(filepath.Join(nbDir, lesson)); err != nil {
		t.Fatalf("the threads lesson was not exported: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	nbPort := freePort(t)
	server := exec.CommandContext(ctx, "jupyter-notebook", "--no-browser", "--ip=127.0.0.1",
		fmt.Sprintf("--port=%d", nbPort), "--NotebookApp.token=", "--NotebookApp.password=",
		"--allow-root", "--notebook-dir="+nbDir)
	server.Env = env
	// The server's kernels inherit its output; kill the whole process group at the end, and
	// do not wait forever for pipes they may still hold.
	server.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	server.WaitDelay = 5 * time.Second
	var serverLog bytes.Buffer
	server.Stdout, server.Stderr = &serverLog, &serverLog
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-server.Process.Pid, syscall.SIGKILL)
		server.Wait()
		if t.Failed() {
			t.Logf("notebook server log:\n%s", filterLogs(serverLog.Bytes()))
		}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", nbPort)
	waitHTTP(t, ctx, base+"/api")

	drvPort := freePort(t)
	driver := exec.CommandContext(ctx, "chromedriver", fmt.Sprintf("--port=%d", drvPort))
	driver.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	driver.WaitDelay = 5 * time.Second
	if err := driver.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { syscall.Kill(-driver.Process.Pid, syscall.SIGKILL); driver.Wait() }()
	wd := &webDriver{base: fmt.Sprintf("http://127.0.0.1:%d", drvPort)}
	waitHTTP(t, ctx, wd.base+"/status")

	if err := wd.newSession(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	defer wd.call("DELETE", "", nil, nil)
	if err := wd.call("POST", "/url", map[string]any{"url": base + "/notebooks/" + lesson}, nil); err != nil {
		t.Fatal(err)
	}
	// Wait until the notebook app and the kernel are up, then run all cells.
	pollCtx, pollCancel := context.WithTimeout(ctx, 90*time.Second)
	defer pollCancel()
	if err := wd.poll(pollCtx, `return !!(window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel && Jupyter.notebook.kernel.is_connected())`); err != nil {
		t.Fatalf("the notebook never connected to the quire kernel: %v", err)
	}
	if err := wd.call("POST", "/execute/sync", map[string]any{"script": "Jupyter.notebook.execute_all_cells(); return true", "args": []any{}}, nil); err != nil {
		t.Fatal(err)
	}
	done := `var cells = Jupyter.notebook.get_cells().filter(c => c.cell_type === 'code');
return cells.every(c => c.input_prompt_number !== '*' && c.input_prompt_number !== null && c.input_prompt_number !== undefined) && !Jupyter.notebook.kernel_busy;`
	if err := wd.poll(ctx, done); err != nil {
		t.Fatalf("cells did not finish: %v", err)
	}
	var counts map[string]float64
	err := wd.call("POST", "/execute/sync", map[string]any{"args": []any{}, "script": `return {
  svg: document.querySelectorAll('.output_area svg rect').length,
  table: document.querySelectorAll('.output_area table tr').length,
  errors: document.querySelectorAll('.output_error').length,
  timeline: Array.from(document.querySelectorAll('.output_area svg text')).filter(e => /wall/.test(e.textContent)).length
};`}, &counts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("rendered: %v", counts)
	if counts["errors"] != 0 {
		t.Errorf("%v cells show errors", counts["errors"])
	}
	if counts["svg"] < 3 || counts["timeline"] < 1 {
		t.Errorf("the SVG timeline was not rendered: %v", counts)
	}
	if counts["table"] < 3 {
		t.Errorf("the HTML timing table was not rendered: %v", counts)
	}

	var shot string
	if err := wd.call("GET", "/screenshot", nil, &shot); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	dir := os.Getenv("QUIRE_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "notebook-lesson.png")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %dx%d saved to %s", img.Bounds().Dx(), img.Bounds().Dy(), path)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitHTTP(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never answered: %v", url, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// webDriver is the least of a W3C WebDriver client that the test needs.
type webDriver struct {
	base    string
	session string
}

func (w *webDriver) newSession(profile string) error {
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": "/usr/bin/chromium",
			"args": []string{"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--no-first-run", "--window-size=1280,1000", "--user-data-dir=" + profile},
		},
	}}}
	var out struct {
		SessionID string `json:"sessionId"`
	}
	if err := w.do("POST", w.base+"/session", caps, &out); err != nil {
		return fmt.Errorf("starting chromium: %w", err)
	}
	w.session = out.SessionID
	return nil
}

func (w *webDriver) call(method, path string, body, out any) error {
	return w.do(method, w.base+"/session/"+w.session+path, body, out)
}

func (w *webDriver) do(method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("webdriver %s %s: %s", method, url, raw)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webdriver %s %s: %s", method, url, strings.TrimSpace(string(env.Value)))
	}
	if out != nil {
		return json.Unmarshal(env.Value, out)
	}
	return nil
}

// poll runs script until it returns true.
func (w *webDriver) poll(ctx context.Context, script string) error {
	for {
		var ok bool
		err := w.call("POST", "/execute/sync", map[string]any{"script": script, "args": []any{}}, &ok)
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%v (last error: %v)", ctx.Err(), err)
		case <-time.After(300 * time.Millisecond):
		}
	}
}
