package reliability

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
)

// TestFaultLauncherDies kills the process that launched the kernel (a notebook server killed
// without shutting its kernels down): the kernel, told its launcher by JPY_PARENT_PID as
// Jupyter does, must notice and exit, and take its worker with it.
func TestFaultLauncherDies(t *testing.T) {
	bin := quireBinary(t)
	info, err := kernel.NewConnectionInfo("tcp", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cf := filepath.Join(t.TempDir(), "kernel.json")
	if err := kernel.WriteConnectionFile(cf, info); err != nil {
		t.Fatal(err)
	}
	// The shell starts the kernel in the background, prints its pid, waits a moment and exits.
	out, err := exec.Command("sh", "-c", `JPY_PARENT_PID=$$ "$0" kernel "$1" >/dev/null 2>&1 & echo $!; sleep 1`, bin, cf).Output()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("kernel pid %q: %v", out, err)
	}
	// Other tests' kernels may run in parallel packages, but not in this package: every
	// process of this run's binary must be gone once the launcher is.
	left := leftover(t, 15*time.Second)
	for _, p := range left {
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
	if len(left) > 0 {
		t.Fatalf("kernel %d outlived its launcher by 15 s: %v", pid, left)
	}
	t.Logf("launcher died; kernel %d and its worker exited; processes left: 0", pid)
}
