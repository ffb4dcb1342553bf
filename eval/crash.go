package eval

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"

	"github.com/quire-go/quire/eval/internal/wire"
)

// parseCrash turns the worker's fd 2 output (the Go runtime's crash report) and its exit status
// into the error the user sees: evalue is the runtime's own first line ("fatal error: concurrent
// map writes", "panic: boom"), the traceback adds the runtime: lines that explain it.
func parseCrash(diag string, exitErr error) *wire.Error {
	lines := strings.Split(diag, "\n")
	var msg string
	var extra []string
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "fatal error: "):
			if msg == "" || strings.HasPrefix(msg, "panic: ") {
				msg = l
			}
		case strings.HasPrefix(l, "panic: ") && msg == "":
			msg = strings.TrimSuffix(l, " [recovered]")
			// A multi-line panic value continues up to the blank line.
			for _, m := range lines[i+1:] {
				if m == "" || strings.HasPrefix(m, "goroutine ") || strings.HasPrefix(m, "\tpanic: ") {
					break
				}
				msg += "\n" + m
			}
		case strings.HasPrefix(l, "runtime: ") && !strings.HasPrefix(l, "runtime: sp=") &&
			!strings.HasPrefix(l, "runtime: g "):
			extra = append(extra, l)
		}
	}
	name := "WorkerCrash"
	switch {
	case strings.HasPrefix(msg, "fatal error: "):
		name = "FatalError"
	case strings.HasPrefix(msg, "panic: "):
		name = "panic"
	case msg == "":
		msg = describeExit(exitErr)
	}
	return &wire.Error{Name: name, Value: msg, Traceback: extra}
}

func describeExit(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
			switch {
			case ws.Signaled() && ws.Signal() == syscall.SIGKILL:
				return "the Go worker was killed (SIGKILL; out of memory?)"
			case ws.Signaled():
				return fmt.Sprintf("the Go worker was killed by signal %v", ws.Signal())
			case ws.Exited():
				return fmt.Sprintf("the Go worker exited with status %d", ws.ExitStatus())
			}
		}
	}
	if err == nil {
		return "the Go worker exited"
	}
	return "the Go worker stopped: " + err.Error()
}
