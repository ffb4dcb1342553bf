package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quire-go/quire/notebook"
)

// labScenarios are the scenarios of jupyterlab/scenarios.cjs, in the order they run. Each
// becomes a subtest; then console_errors checks that no page logged an error, and debugger_off
// counts the errors JupyterLab's debugger extension logs for a kernel without a debugger
// (skipped, with the count, while there are some: see scenarios.cjs).
var labScenarios = []string{
	"lesson_run_all", "run_all_stops", "interrupt_restart", "stdin", "tab_completion",
	"shift_tab_docs", "debugger_breakpoint", "widget_slider",
}

// TestJupyterLabInBrowser runs quire in a real JupyterLab 4.6, built by
// jupyterlab/setup.sh from the npm packages (cached under ~/.cache/quire), served by Debian's
// jupyterlab_server on jupyter_server, and driven in headless Chromium by puppeteer-core
// (jupyterlab/scenarios.cjs): a lesson run with Run All, Run All stopping at an error (ten
// tries), interrupt and restart from the toolbar, stdin, Tab completion and Shift+Tab docs.
// Screenshots are kept in QUIRE_SCREENSHOT_DIR (default: a new directory, printed).
// QUIRE_LAB_SCENARIOS=a,b runs only those scenarios.
func TestJupyterLabInBrowser(t *testing.T) {
	requireJupyter(t, "jupyter_server", "jupyterlab_server")
	for _, tool := range []string{"chromium", "node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := tool + " is not installed (apt-get install chromium; node 20 and npm build JupyterLab)"
			if os.Getenv("QUIRE_REQUIRE_JUPYTER") == "1" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	// End before go test's own deadline, which would skip the clean-up below.
	deadline := time.Now().Add(25 * time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-time.Minute).Before(deadline) {
		deadline = d.Add(-time.Minute)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()

	// The build: minutes the first time, cached after.
	start := time.Now()
	setup := exec.CommandContext(ctx, "bash", "jupyterlab/setup.sh")
	var setupLog bytes.Buffer
	setup.Stderr = &setupLog
	out, err := setup.Output()
	t.Logf("jupyterlab/setup.sh (%.1f s):\n%s", time.Since(start).Seconds(), setupLog.String())
	if err != nil {
		t.Fatalf("building JupyterLab: %v", err)
	}
	build := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(build, '\n'); i >= 0 {
		build = build[i+1:]
	}

	env := append(installKernel(t), "QUIRE_LESSON_SCALE=0.1")
	nbDir := t.TempDir()
	export := exec.Command(quireBinary(t), "lessons", "export", nbDir)
	if out, err := export.CombinedOutput(); err != nil {
		t.Fatalf("quire lessons export: %v\n%s", err, out)
	}
	writeLabNotebooks(t, nbDir)

	shots := os.Getenv("QUIRE_SCREENSHOT_DIR")
	if shots == "" {
		if shots, err = os.MkdirTemp("", "quire-jupyterlab-shots-"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s", shots)

	port := freePort(t)
	server := exec.CommandContext(ctx, Python, "jupyterlab/serve.py", build,
		"--ServerApp.ip=127.0.0.1", fmt.Sprintf("--ServerApp.port=%d", port),
		"--ServerApp.token=", "--ServerApp.password=", "--ServerApp.open_browser=False",
		"--ServerApp.root_dir="+nbDir, "--allow-root")
	server.Env = append(env, "QUIRE_LAB_STATE="+t.TempDir())
	server.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	server.WaitDelay = 5 * time.Second
	var serverLog syncBuffer
	server.Stdout, server.Stderr = &serverLog, &serverLog
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		// The server's kernels are in its process group.
		syscall.Kill(-server.Process.Pid, syscall.SIGKILL)
		server.Wait()
		// The server's log, with the kernels' (they log to its stderr), is kept with the
		// screenshots.
		logPath := filepath.Join(shots, "jupyterlab-server.log")
		if err := os.WriteFile(logPath, serverLog.Bytes(), 0o644); err != nil {
			t.Errorf("saving the server log: %v", err)
		}
		if t.Failed() {
			t.Logf("jupyter_server log (all of it in %s):\n%s", logPath, filterLogs(serverLog.Bytes()))
		}
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, ctx, base+"/api")

	chosen := labScenarios
	if s := os.Getenv("QUIRE_LAB_SCENARIOS"); s != "" {
		chosen = strings.Split(s, ",")
	}
	node := exec.CommandContext(ctx, "node", append([]string{"jupyterlab/scenarios.cjs"}, chosen...)...)
	node.Env = append(os.Environ(), "QUIRE_LAB_URL="+base, "QUIRE_LAB_BUILD="+build,
		"QUIRE_LAB_SHOTS="+shots, "QUIRE_LAB_PROFILE="+t.TempDir())
	node.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// SIGTERM first: puppeteer then closes Chromium, which runs in a process group of its own.
	node.Cancel = func() error { return node.Process.Signal(syscall.SIGTERM) }
	node.WaitDelay = 10 * time.Second
	// The script closes the browser and exits when its stdin ends: when this test process
	// goes away, even killed, it does not leave Chromium behind.
	lifeline, err := node.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer lifeline.Close()
	stdout, err := node.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := node.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(-node.Process.Pid, syscall.SIGKILL)
	logDone := make(chan struct{})
	go func() {
		// The browser's progress, as it happens.
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			t.Log(sc.Text())
		}
	}()
	type result struct {
		Scenario string          `json:"scenario"`
		Status   string          `json:"status"`
		Detail   json.RawMessage `json:"detail"`
		Seconds  float64         `json:"seconds"`
	}
	results := map[string]result{}
	var order []string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Errorf("scenarios.cjs printed %q: %v", sc.Text(), err)
			continue
		}
		results[r.Scenario] = r
		order = append(order, r.Scenario)
	}
	<-logDone
	waitErr := node.Wait()
	if waitErr != nil {
		t.Logf("scenarios.cjs: %v", waitErr)
	}
	for _, name := range append(chosen, "console_errors", "debugger_off") {
		r, ok := results[name]
		t.Run(name, func(t *testing.T) {
			if !ok {
				t.Fatalf("scenarios.cjs reported nothing for %s (it ended: %v)", name, waitErr)
			}
			var detail any = string(r.Detail)
			var s string
			if json.Unmarshal(r.Detail, &s) == nil {
				detail = s
			}
			switch r.Status {
			case "pass":
				t.Logf("%.1f s: %v", r.Seconds, detail)
			case "skip":
				t.Skipf("%v", detail)
			default:
				t.Errorf("%.1f s: %v", r.Seconds, detail)
			}
		})
	}
	t.Logf("scenarios in order: %v; screenshots in %s", order, shots)
}

// writeLabNotebooks writes the notebooks the scenarios open, next to the lessons.
func writeLabNotebooks(t *testing.T, dir string) {
	t.Helper()
	write := func(name string, sources ...string) {
		nb := notebook.New()
		nb.Metadata["kernelspec"] = map[string]any{"name": "quire", "display_name": "Go (quire)", "language": "go"}
		for _, s := range sources {
			nb.Cells = append(nb.Cells, notebook.NewCode(s))
		}
		if err := notebook.WriteFile(filepath.Join(dir, name), nb); err != nil {
			t.Fatal(err)
		}
	}
	// The second cell fails at once; none after it may run.
	stop := []string{"import \"fmt\"\nvar first = 1\nfmt.Println(\"first cell\", first)", "panic(\"stop here\")"}
	for i := range 6 {
		stop = append(stop, fmt.Sprintf("fmt.Println(\"ran cell %d\")", i+3))
	}
	write("stop.ipynb", stop...)
	write("interrupt.ipynb", "var kept = 41", "for {\n}", "kept + 1", "1 + 1", "kept")
	write("stdin.ipynb", "import \"fmt\"\nvar name string\nfmt.Scanln(&name)\nfmt.Println(\"hello,\", name)")
	write("complete.ipynb", "import \"fmt\"", "fmt.Pr")
	write("docs.ipynb", "import \"fmt\"", "fmt.Println")
	// The debugger scenario's cell (a breakpoint in a goroutine) and the widgets demo.
	scenario, err := filepath.Abs(filepath.Join("testdata", "debugger_lab.cjs"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("node", "-p", "require(process.argv[1]).debugCell", scenario).Output()
	if err != nil {
		t.Fatalf("reading the debugger scenario's cell: %v", err)
	}
	write("debug.ipynb", strings.TrimSuffix(string(out), "\n"))
	demo, err := os.ReadFile(filepath.Join("testdata", "widgets_demo.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "widgets_demo.ipynb"), demo, 0o644); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a bytes.Buffer safe for the writes of a process's two pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

func (s *syncBuffer) String() string { return string(s.Bytes()) }
