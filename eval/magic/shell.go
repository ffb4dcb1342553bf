package magic

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval/internal/group"
	"github.com/quire-go/quire/eval/internal/lines"
)

// shellLine implements !command.
func (m *Magics) shellLine(c *call) backend.ExecuteResult {
	if c.args == "" {
		return usage("!command")
	}
	return m.runCommand(c, c.args, m.opts.Shell, "-c", c.args)
}

// bash implements %%bash.
func (m *Magics) bash(c *call) backend.ExecuteResult {
	sh := m.opts.Bash
	if sh == "" {
		if p, err := exec.LookPath("bash"); err == nil {
			sh = p
		} else {
			sh = m.opts.Shell
		}
	}
	if strings.TrimSpace(c.body) == "" {
		return ok()
	}
	return m.runCommand(c, c.body, sh, "-c", c.body)
}

// python implements %%python.
func (m *Magics) python(c *call) backend.ExecuteResult {
	py := m.opts.Python
	if py == "" {
		py = "python3"
	}
	path, err := exec.LookPath(py)
	if err != nil {
		return errResult("PythonNotInstalled",
			fmt.Sprintf("Python is not installed (no %s on the kernel's PATH), so %%%%python cannot run this cell. The lessons quote measured CPython figures instead.", py))
	}
	if strings.TrimSpace(c.body) == "" {
		return ok()
	}
	return m.runCommand(c, c.body, path, "-u", "-c", c.body)
}

// runCommand runs name args in the working directory, streaming its output line by line, until
// it ends, Run's context ends or Interrupt is called. shown is the command as error messages
// quote it.
func (m *Magics) runCommand(c *call, shown, name string, args ...string) backend.ExecuteResult {
	ctx, done := m.interruptible(c.ctx)
	defer done()
	cmd := group.Command(ctx, name, args...) // the shell and what it started
	cmd.Dir = m.dir
	cmd.Env = os.Environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return errResult("OSError", fmt.Sprintf("running %s: %v", name, err))
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return errResult("OSError", fmt.Sprintf("running %s: %v", name, err))
	}
	if err := cmd.Start(); err != nil {
		return errResult("OSError", fmt.Sprintf("running %s: %v", name, err))
	}
	var mu sync.Mutex // one Stream call at a time
	var wg sync.WaitGroup
	for _, p := range []struct {
		name string
		r    io.Reader
	}{{"stdout", stdout}, {"stderr", stderr}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lines.Copy(p.r, func(text string) {
				mu.Lock()
				c.out.Stream(p.name, text)
				mu.Unlock()
			})
		}()
	}
	wg.Wait()
	err = cmd.Wait()
	if ctx.Err() != nil { // Interrupt, or the kernel is shutting down
		return errResult("KeyboardInterrupt", "interrupted", "The command was stopped.")
	}
	if err == nil {
		return ok()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, isWS := ee.Sys().(syscall.WaitStatus); isWS && ws.Signaled() {
			return errResult("CalledProcessError", fmt.Sprintf("Command %s died with signal %d (%s).", quoteCmd(shown), int(ws.Signal()), ws.Signal()))
		}
		return errResult("CalledProcessError", fmt.Sprintf("Command %s returned non-zero exit status %d.", quoteCmd(shown), ee.ExitCode()))
	}
	return errResult("OSError", fmt.Sprintf("running %s: %v", name, err))
}

func quoteCmd(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return "'" + s + "'"
}
