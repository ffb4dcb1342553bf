// Package testbin builds the quire binary once per test process, for tests that run it as a
// real kernel (integration, reliability). Each test process gets its own directory, so the
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

// Path builds github.com/quire-go/quire/cmd/quire on first use and returns the binary's path;
// it fails the test if the build fails.
func Path(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if dir, err = os.MkdirTemp("", "quire-test-bin-"); err != nil {
			return
		}
		path = filepath.Join(dir, "quire")
		out, buildErr := exec.Command("go", "build", "-o", path, "github.com/quire-go/quire/cmd/quire").CombinedOutput()
		if buildErr != nil {
			err = fmt.Errorf("%w\n%s", buildErr, out)
		}
	})
	if err != nil {
		t.Fatalf("building quire: %v", err)
	}
	return path
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
