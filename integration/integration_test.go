// Package integration tests the quire binary through real Jupyter clients: Debian's
// jupyter_kernel_test conformance suite, jupyter console, and nbclient executing notebooks.
//
// Each test builds cmd/quire once, installs its kernelspec into a temporary JUPYTER_DATA_DIR and
// talks to it the way users do. Tests skip with a message when Jupyter is missing, and fail
// instead when QUIRE_REQUIRE_JUPYTER=1 (as .ci/run sets).
package integration

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/internal/testbin"
)

// Python is Debian's interpreter, which has the Jupyter packages (the python3 first on PATH may not).
const Python = "/usr/bin/python3"

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// quireBinary returns the quire binary built for this test run.
func quireBinary(t *testing.T) string { return testbin.Path(t) }

// requireJupyter skips (or fails under QUIRE_REQUIRE_JUPYTER=1) unless Debian's python3 can
// import every module named.
func requireJupyter(t *testing.T, modules ...string) {
	t.Helper()
	for _, m := range modules {
		if err := exec.Command(Python, "-c", "import "+m).Run(); err != nil {
			msg := Python + " cannot import " + m + ": install Debian's Jupyter packages (see .ci/run) to run this test"
			if os.Getenv("QUIRE_REQUIRE_JUPYTER") == "1" {
				t.Fatal("QUIRE_REQUIRE_JUPYTER=1 but " + msg)
			}
			t.Skip(msg)
		}
	}
}

// installKernel installs the freshly built kernel into a temporary Jupyter data dir and returns
// the environment that makes Jupyter find it (and only it).
func installKernel(t *testing.T) []string {
	t.Helper()
	bin := quireBinary(t)
	data := t.TempDir()
	cmd := exec.Command(bin, "install", "--user")
	cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+data)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("quire install: %v\n%s", err, out)
	}
	runtime := t.TempDir()
	return append(os.Environ(),
		"JUPYTER_DATA_DIR="+data,
		"JUPYTER_RUNTIME_DIR="+runtime,
		"JUPYTER_PATH="+data,
		"PYTHONDONTWRITEBYTECODE=1",
	)
}

func TestJupyterKernelTestSuite(t *testing.T) {
	requireJupyter(t, "jupyter_client", "jupyter_kernel_test")
	env := installKernel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, "-m", "unittest", "-v", "kernel_test")
	cmd.Dir = "testdata"
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("jupyter_kernel_test against the real quire kernel:\n%s", filterLogs(out))
	if err != nil {
		t.Fatalf("jupyter_kernel_test failed: %v", err)
	}
	if !bytes.Contains(out, []byte("OK")) {
		t.Fatal("jupyter_kernel_test did not report OK")
	}
	if bytes.Contains(out, []byte("skipped")) {
		t.Error("some jupyter_kernel_test cases were skipped; every field that applies to Go must be filled")
	}
}

func TestJupyterConsole(t *testing.T) {
	requireJupyter(t, "jupyter_console")
	env := installKernel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, "-m", "jupyter_console", "--kernel", "quire", "--simple-prompt", "--no-confirm-exit")
	cmd.Env = env
	cmd.Stdin = strings.NewReader("1+1\nx := 20\nx + 22\nexit\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := filterLogs(out.Bytes())
	t.Logf("jupyter console session:\n%s", text)
	if err != nil {
		t.Fatalf("jupyter console: %v", err)
	}
	for _, want := range []string{"Out[1]: 2", "Out[3]: 42"} {
		if !strings.Contains(text, want) {
			t.Errorf("console output lacks %q", want)
		}
	}
}

// filterLogs drops the kernel's own log lines (slog text format) from captured output.
func filterLogs(b []byte) string {
	var keep []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "time=") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}

// TestSemanticsNotebook executes testdata/semantics.ipynb with nbclient; every code cell states
// the exact output it must produce (see testdata/make_semantics.py).
func TestSemanticsNotebook(t *testing.T) {
	requireJupyter(t, "nbclient", "nbformat")
	env := installKernel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, "run_notebook.py", "semantics.ipynb")
	cmd.Dir = "testdata"
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	t.Logf("semantics.ipynb through nbclient:\n%s", filterLogs(out))
	if err != nil {
		t.Fatalf("semantics notebook: %v", err)
	}
}
