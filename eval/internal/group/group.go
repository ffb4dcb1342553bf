// Package group starts a command in a process group of its own, so that stopping it (an
// interrupt, the kernel shutting down) stops whatever it started as well: a shell's
// pipeline, a compiled cell's children.
package group

import (
	"context"
	"os/exec"
	"syscall"
	"time"
)

// Command is exec.CommandContext whose cancellation SIGKILLs the command's whole process
// group, and which gives up on its output pipes 2 s after the command exits (a grandchild may
// hold them open).
func Command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second
	return cmd
}
