// Package jupytertest builds the quire binary for end-to-end tests of notebooks run through a
// real kernel process.
package jupytertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quire-go/quire/notebook"
	"github.com/quire-go/quire/notebook/jupyter"
)

var (
	once     sync.Once
	bin      string
	buildErr error
)

// Binary builds `go build -o tmp/quire ./cmd/quire` at the module root (once per test
// binary, serialized across packages by a lock file) and returns its path. It skips the test
// with the compiler's message when cmd/quire does not build, and in -short mode.
// QUIRE_TEST_BINARY names a prebuilt binary to use instead.
func Binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test with the real kernel skipped in -short mode")
	}
	if b := os.Getenv("QUIRE_TEST_BINARY"); b != "" {
		return b
	}
	once.Do(func() { bin, buildErr = build() })
	if buildErr != nil {
		t.Skipf("skipping end-to-end test: cmd/quire does not build yet: %v", buildErr)
	}
	return bin
}

// Factory returns a KernelFactory starting the built binary as `quire kernel {connection_file}`.
func Factory(t testing.TB) notebook.KernelFactory {
	return jupyter.Command(Binary(t), "kernel", "{connection_file}")
}

func build() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "tmp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".quire-build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	out := filepath.Join(dir, "quire")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/quire")
	cmd.Dir = root
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w\n%s", err, msg)
	}
	return out, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the test directory")
		}
		dir = parent
	}
}
