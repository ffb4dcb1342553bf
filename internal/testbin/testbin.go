// Package testbin builds the quire and quire-kernel binaries once per test process, side by
// side, for tests that run them as a real kernel (integration, reliability). Each test process gets its own directory, so the
// binary's path tells which processes on the machine came from this run.
//
// Use it from TestMain so the directory is removed at the end:
//
//	func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }
//	...
//	bin := testbin.Path(t)
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	once sync.Once
	path string
	dir  string
	err  error
)

// Path builds github.com/quire-go/quire/cmd/quire and cmd/quire-kernel on first use, into the
// same directory (as `go install ./cmd/...` does, so `quire install` picks quire-kernel), and
// returns quire's path; it fails the test if the build fails.
func Path(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if dir, err = os.MkdirTemp("", "quire-test-bin-"); err != nil {
			return
		}
		path = filepath.Join(dir, "quire")
		out, buildErr := exec.Command("go", "build", "-o", dir+string(filepath.Separator),
			"github.com/quire-go/quire/cmd/quire", "github.com/quire-go/quire/cmd/quire-kernel").CombinedOutput()
		if buildErr != nil {
			err = fmt.Errorf("%w\n%s", buildErr, out)
		}
	})
	if err != nil {
		t.Fatalf("building quire: %v", err)
	}
	return path
}

// KernelArgv returns the command that runs the kernel as kernel.json does after `quire
// install`: quire-kernel with quire as its worker (append the kernel's flags and
// "{connection_file}").
func KernelArgv(t testing.TB) []string {
	bin := Path(t)
	return []string{filepath.Join(filepath.Dir(bin), "quire-kernel"), "--worker", bin}
}

// Dir returns the directory of the binaries if Path has built them, else "".
func Dir() string {
	if err != nil || path == "" {
		return ""
	}
	return dir
}

// Built returns the binary's path if Path has built it, else "".
func Built() string {
	if err != nil {
		return ""
	}
	return path
}

// Main runs the tests and removes the build directory; return its result from TestMain.
func Main(m *testing.M) int {
	code := m.Run()
	if dir != "" {
		os.RemoveAll(dir)
	}
	return code
}
