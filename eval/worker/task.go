package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync"

	"github.com/quire-go/quire/eval/internal/wire"
	"github.com/quire-go/quire/executors"
)

// Executors' process models (Processes, ProcessPool) run top-level functions in child
// processes. For interpreted functions the child is `quire worker --task`: it builds an
// interpreter like the worker's, replays the session's declarations (handed over in a file
// named by EnvSession) and serves calls with executors.ServeChild, resolving a function name by
// evaluating it in its interpreter. The cell rewriter passes functions as
// executors.Func("name", name), so the name is known.

// processHost is the executors.ProcessHost of the worker.
type processHost struct {
	w *Worker

	mu      sync.Mutex
	written []wire.Step // the steps in file
	file    string
}

func installProcessHost(w *Worker) {
	h := &processHost{w: w}
	w.cleanup = append(w.cleanup, h.removeFile)
	executors.SetProcessHost(h)
}

func (h *processHost) removeFile() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file != "" {
		os.Remove(h.file)
		h.file = ""
	}
}

// Command returns `quire worker --task` with the current session's declarations.
func (h *processHost) Command(ctx context.Context) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("locating the quire binary: %w", err)
	}
	h.w.mu.Lock()
	steps := h.w.session
	h.w.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file == "" || !sameSteps(h.written, steps) {
		b, err := json.Marshal(steps)
		if err != nil {
			return nil, fmt.Errorf("encoding the session: %w", err)
		}
		name, err := writeSession(b, h.file)
		if err != nil {
			return nil, fmt.Errorf("writing the session for a child process: %w", err)
		}
		h.file, h.written = name, steps
	}
	cmd := exec.Command(exe, "worker", "--task")
	cmd.Env = append(os.Environ(), EnvSession+"="+h.file)
	return cmd, nil
}

// writeSession writes the session file for child processes and returns its path. With
// wire.EnvSessionFile set (by the supervisor, which removes the file when the worker ends) it
// replaces that file atomically (children starting meanwhile read the old or the new one);
// otherwise it creates a new temporary file and removes old, the previous one.
func writeSession(b []byte, old string) (string, error) {
	if path := os.Getenv(wire.EnvSessionFile); path != "" {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			return "", err
		}
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return "", err
		}
		return path, nil
	}
	f, err := os.CreateTemp("", "quire-session-*.json")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	if old != "" {
		os.Remove(old)
	}
	return f.Name(), nil
}

func sameSteps(a, b []wire.Step) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Src != b[i].Src || a[i].Kind != b[i].Kind || a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}

// NameOf is asked for functions not wrapped by executors.Func: an interpreted function value
// carries no name, so say how to pass it.
func (h *processHost) NameOf(fn any) (string, error) {
	return "", errors.New("executors: an interpreted function can run in another process only when passed by its name: " +
		"pass a top-level func directly (quire wraps it as executors.Func(\"name\", name)), or wrap it yourself with executors.Func")
}

// taskMain is `quire worker --task`: a child process of an executor.
func taskMain() int {
	w := &Worker{
		task:    true,
		inputCh: make(chan wire.Request, 1),
		outW:    os.Stdout,
		errW:    os.Stderr,
	}
	origStdout, origStderr = os.Stdout, os.Stderr
	limits(func(msg string) {
		fmt.Fprintln(os.Stderr, "quire task: "+msg)
		os.Exit(2)
	})
	if err := w.newInterp(); err != nil {
		fmt.Fprintln(os.Stderr, "quire task:", err)
		return 3
	}
	unavailable := map[string]string{} // func name -> why a child cannot run it
	if path := os.Getenv(EnvSession); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "quire task: reading the session:", err)
			return 3
		}
		var steps []wire.Step
		if err := json.Unmarshal(b, &steps); err != nil {
			fmt.Fprintln(os.Stderr, "quire task: decoding the session:", err)
			return 3
		}
		replay := steps[:0]
		for _, s := range steps {
			if s.Kind == wire.StepUnavailable {
				unavailable[s.Name] = s.Src
				continue
			}
			s.Tolerant = true
			replay = append(replay, s)
		}
		w.steps(replay)
	}
	resolve := func(name string) (any, error) {
		if !isIdent(name) {
			return nil, fmt.Errorf("%q is not a function name", name)
		}
		if msg, ok := unavailable[name]; ok {
			return nil, errors.New(msg)
		}
		v, err := w.eval(w.i, ";"+name)
		if err != nil {
			return nil, err
		}
		if !v.IsValid() || v.Kind() != reflect.Func {
			return nil, fmt.Errorf("%s is not a function in the replayed session", name)
		}
		return v.Interface(), nil
	}
	if err := executors.ServeChild(resolve); err != nil {
		fmt.Fprintln(os.Stderr, "quire task:", err)
		return 3
	}
	return 0
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9' || r > 127) {
			return false
		}
	}
	return !strings.ContainsAny(s, " .")
}
