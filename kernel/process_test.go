package kernel_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
	"github.com/quire-go/quire/kernel/kerneltest"
)

// TestMain turns the test binary into a kernel process (fake backend) when
// QUIRE_KERNEL_HELPER=1; its last argument is the connection file.
func TestMain(m *testing.M) {
	if os.Getenv("QUIRE_KERNEL_HELPER") == "1" {
		os.Exit(helperKernel())
	}
	os.Exit(m.Run())
}

func helperKernel() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	info, err := kernel.ReadConnectionFile(os.Args[len(os.Args)-1])
	if err != nil {
		log.Error("helper kernel", "err", err)
		return 2
	}
	k, err := kernel.New(kernel.Config{Conn: info, Backend: newFakeBackend(), Logger: log,
		HistoryPath: os.Getenv("QUIRE_KERNEL_HISTORY"), NoHistory: os.Getenv("QUIRE_KERNEL_HISTORY") == ""})
	if err != nil {
		log.Error("helper kernel", "err", err)
		return 2
	}
	stop := k.HandleSignals()
	defer stop()
	if err := k.Serve(context.Background()); err != nil {
		log.Error("helper kernel", "err", err)
		return 1
	}
	return 0
}

func startProcess(t *testing.T) *client.Client {
	t.Helper()
	t.Setenv("QUIRE_KERNEL_HELPER", "1")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.Start(ctxT(t), []string{exe, "--connection-file={connection_file}", "{connection_file}"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitExit(t *testing.T, c *client.Client) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("kernel process did not exit")
	}
	if code := c.ProcessState().ExitCode(); code != 0 {
		t.Errorf("kernel exit code %d", code)
	}
}

func TestClientStartSignalsAndShutdown(t *testing.T) {
	c := startProcess(t)
	ctx := ctxT(t)
	r, err := c.Execute(ctx, "print from a process", nil)
	if err != nil || r.Stream("stdout") != "from a process\n" {
		t.Fatalf("execute: %v %v", err, r)
	}
	// SIGINT interrupts the running cell (once it runs: it has printed); the kernel lives on.
	opts, started := kerneltest.StreamSeen("started\n")
	p, _ := c.ExecuteAsync("printsleep started 20s", opts)
	kerneltest.Wait(t, started, 20*time.Second, "the cell did not start (no output from it)")
	if err := c.Process().Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	r, err = p.Wait(ctx)
	if err != nil || r.Content["ename"] != "KeyboardInterrupt" {
		t.Fatalf("SIGINT: %v %v", err, r)
	}
	if _, err := c.KernelInfo(ctx); err != nil {
		t.Fatalf("after SIGINT: %v", err)
	}
	if _, err := c.Shutdown(ctx, false); err != nil {
		t.Fatal(err)
	}
	waitExit(t, c)
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}

func TestSIGTERMShutsDown(t *testing.T) {
	c := startProcess(t)
	opts, started := kerneltest.StreamSeen("started\n")
	if _, err := c.ExecuteAsync("printsleep started 20s", opts); err != nil {
		t.Fatal(err)
	}
	kerneltest.Wait(t, started, 20*time.Second, "the cell did not start (no output from it)")
	if err := c.Process().Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, c)
}

// TestJupyterClientInterop drives an in-process kernel with Debian's jupyter_client (pyzmq on
// libzmq), the client real frontends use.
func TestJupyterClientInterop(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import jupyter_client").Run(); err != nil {
		t.Skip("jupyter_client not available on /usr/bin/python3")
	}
	for _, transport := range []string{"tcp", "ipc"} {
		t.Run(transport, func(t *testing.T) {
			dir, err := os.MkdirTemp("", "qk")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(dir)
			info, err := kernel.NewConnectionInfo(transport, filepath.Join(dir, "k-ipc"))
			if transport == "tcp" {
				info, err = kernel.NewConnectionInfo("tcp", "127.0.0.1")
			}
			if err != nil {
				t.Fatal(err)
			}
			h := startKernel(t, func(c *kernel.Config) { c.Conn = info })
			path := filepath.Join(dir, "kernel.json")
			if err := kernel.WriteConnectionFile(path, h.k.ConnectionInfo()); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, py, "testdata/interop.py", path).CombinedOutput()
			t.Logf("interop.py output:\n%s", out)
			if err != nil {
				t.Fatalf("interop.py: %v\nkernel logs:\n%s", err, h.logs.String())
			}
			if !strings.Contains(string(out), "INTEROP OK") {
				t.Fatal("interop.py did not finish")
			}
			if err := h.waitServed(t); err != nil {
				t.Errorf("Serve: %v", err)
			}
			if s := h.k.Stats(); s.BadSignature+s.Malformed+s.Replayed != 0 {
				t.Errorf("jupyter_client messages refused: %+v", s)
			}
			_ = fmt.Sprint()
		})
	}
}

// TestJupyterKernelTest runs Debian's jupyter_kernel_test suite (which validates every message
// against the protocol's schemas) on a kernel process started by jupyter_client from a
// kernelspec, and shut down by it.
func TestJupyterKernelTest(t *testing.T) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import jupyter_kernel_test").Run(); err != nil {
		t.Skip("jupyter_kernel_test not available on /usr/bin/python3")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	specDir := filepath.Join(dir, "kernels", "quirefake")
	if err := os.MkdirAll(specDir, 0o755); err != nil {
		t.Fatal(err)
	}
	spec := fmt.Sprintf(`{"argv": [%q, "{connection_file}"], "display_name": "quire fake", "language": "fake",
		"env": {"QUIRE_KERNEL_HELPER": "1"}}`, exe)
	if err := os.WriteFile(filepath.Join(specDir, "kernel.json"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "testdata/kerneltest.py")
	cmd.Env = append(os.Environ(), "JUPYTER_PATH="+dir, "JUPYTER_RUNTIME_DIR="+filepath.Join(dir, "runtime"),
		"JUPYTER_DATA_DIR="+filepath.Join(dir, "data"), "QUIRE_KERNEL_HELPER=")
	out, err := cmd.CombinedOutput()
	t.Logf("jupyter_kernel_test:\n%s", out)
	if err != nil {
		t.Fatalf("jupyter_kernel_test failed: %v", err)
	}
}
