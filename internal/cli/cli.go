// Package cli holds what quire's commands share: flag sets whose -h explains the command,
// and the kernel command itself, run both by `quire kernel` (the all-in-one binary) and by
// quire-kernel (a small binary without the interpreter, which starts faster and holds less
// memory; its Go worker is the quire binary's `worker` subcommand).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval"
	"github.com/quire-go/quire/eval/magic"
	"github.com/quire-go/quire/kernel"
)

// ErrUsage marks an error already explained by the command's usage text.
var ErrUsage = errors.New("usage")

// NewFlags returns a FlagSet whose -h prints "usage: " + synopsis, a description and the flags.
func NewFlags(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n\n%s\n", synopsis, strings.TrimSpace(about))
		var n int
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(stderr, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// Parse parses args and maps a bad command line to ErrUsage (the flag package has printed why).
func Parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return ErrUsage
	}
	return nil
}

// Kernel runs the kernel command. prog is how it was invoked ("quire kernel" or
// "quire-kernel"). With separateWorker the command also takes --worker PATH, the quire binary
// whose `worker` subcommand runs the cells (see WorkerBinary); otherwise this executable is
// its own worker.
func Kernel(prog string, args []string, stderr io.Writer, separateWorker bool) error {
	about := `Runs the kernel for the Jupyter client that wrote CONNECTION_FILE. Jupyter starts this
through the kernelspec written by 'quire install'; you rarely run it by hand.
Logs go to stderr (the notebook server's log), or to --log FILE; QUIRE_LOG_LEVEL sets the level.
QUIRE_SPARE_WORKER=1 keeps a second interpreter process ready: interrupts and restarts get
3-4x faster for about 20 MB more memory.`
	synopsis := prog + " [--log FILE] [--log-level LEVEL] CONNECTION_FILE"
	if separateWorker {
		synopsis = prog + " [--worker QUIRE] [--log FILE] [--log-level LEVEL] CONNECTION_FILE"
		about += `
This is the small kernel binary: it has no Go interpreter of its own and runs cells in
'QUIRE worker' processes, QUIRE being the quire binary (--worker, else $QUIRE_WORKER_BINARY,
else quire next to this program, else quire on PATH).`
	}
	fs := NewFlags("kernel", synopsis, about, stderr)
	var workerBin *string
	if separateWorker {
		workerBin = fs.String("worker", os.Getenv(WorkerBinaryEnv), "the quire binary that runs the cells (`QUIRE` worker); env "+WorkerBinaryEnv)
	}
	logFile := fs.String("log", os.Getenv("QUIRE_LOG"), "append logs to `FILE` instead of stderr")
	level := fs.String("log-level", envOr("QUIRE_LOG_LEVEL", "info"), "log `level`: debug, info, warn, error")
	memLimit := fs.String("memory-limit", os.Getenv("QUIRE_MEMORY_LIMIT"), "cap the memory the interpreter process uses at `SIZE` (resident memory, from 256MiB; e.g. 2GiB, 512MiB; default half the RAM; \"none\": no cap); env QUIRE_MEMORY_LIMIT")
	maxOutput := fs.String("max-output", os.Getenv("QUIRE_MAX_OUTPUT"), "publish at most `SIZE` of stdout/stderr per cell, then a notice (default 32MiB; \"none\": no cap); env QUIRE_MAX_OUTPUT")
	stopWindow := fs.String("stop-on-error-timeout", os.Getenv(StopOnErrorTimeoutEnv), "after a cell fails, go on aborting the cells that arrive within `DURATION` (e.g. 0.2s, 500ms, 0: only those already queued; default 0.2s), as ipykernel's stop_on_error_timeout: a notebook's Run All sends every cell at once; env "+StopOnErrorTimeoutEnv)
	maxMessage := fs.String("max-message", os.Getenv("QUIRE_MAX_MESSAGE"), "refuse incoming messages larger than `SIZE` (default 64MiB); env QUIRE_MAX_MESSAGE")
	if err := Parse(fs, args); err != nil {
		return err
	}
	mem, err := ParseSize("--memory-limit", *memLimit)
	if err != nil {
		return err
	}
	out, err := ParseSize("--max-output", *maxOutput)
	if err != nil {
		return err
	}
	msg, err := ParseSize("--max-message", *maxMessage)
	if err != nil {
		return err
	}
	window, err := ParseStopOnErrorTimeout(*stopWindow)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return ErrUsage
	}
	var worker func(ctx context.Context, args ...string) *exec.Cmd
	if separateWorker {
		bin, err := WorkerBinary(*workerBin)
		if err != nil {
			return err
		}
		worker = func(ctx context.Context, args ...string) *exec.Cmd { return exec.CommandContext(ctx, bin, args...) }
	}
	logger, closeLog, err := newLogger(*logFile, *level, stderr)
	if err != nil {
		return err
	}
	defer closeLog()

	conn, err := kernel.ReadConnectionFile(fs.Arg(0))
	if err != nil {
		return err
	}
	// Bind the sockets first and start the Go worker afterwards: both start-ups compete for
	// the CPU, and the Jupyter client is waiting for the sockets, not for the worker.
	be := &lateBackend{ready: make(chan struct{})}
	k, err := kernel.New(kernel.Config{Conn: conn, Backend: be, Logger: logger, MaxStreamBytes: int(out), MaxMessageBytes: int(msg), StopOnErrorTimeout: window})
	if err != nil {
		return err
	}
	magics := magic.New(magic.Options{Logger: logger})
	sup, err := eval.NewSupervisor(eval.Options{
		Logger: logger, Magics: magics, MemoryLimit: uint64(max(mem, 0)),
		SpareWorker: os.Getenv("QUIRE_SPARE_WORKER") == "1", WorkerCommand: worker,
	})
	if err != nil {
		k.Close()
		return fmt.Errorf("starting the Go backend: %w", err)
	}
	be.set(sup)
	stop := k.HandleSignals()
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go shutdownWhenOrphaned(ctx, k, logger)
	err = k.Serve(ctx)
	sctx, scancel := context.WithTimeout(context.Background(), kernel.DefaultShutdownTimeout)
	defer scancel()
	_ = sup.Shutdown(sctx, false) // Serve shut it down already: this returns at once
	return err
}

// StopOnErrorTimeoutEnv names the environment variable behind --stop-on-error-timeout (the
// kernelspec's "env" can set it: quire install --stop-on-error-timeout).
const StopOnErrorTimeoutEnv = "QUIRE_STOP_ON_ERROR_TIMEOUT"

// ParseStopOnErrorTimeout reads the stop-on-error window: a Go duration ("200ms") or seconds
// ("0.2", as ipykernel's stop_on_error_timeout); "" is the default. The result is a
// kernel.Config.StopOnErrorTimeout: 0 for the default, negative for no window.
func ParseStopOnErrorTimeout(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(secs) || math.IsInf(secs, 0) {
			return 0, fmt.Errorf("--stop-on-error-timeout %q: want a duration such as 0.2s or 500ms, or seconds such as 0.2", s)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	switch {
	case d < 0:
		return 0, fmt.Errorf("--stop-on-error-timeout %q: the window cannot be negative", s)
	case d == 0:
		return -1, nil
	}
	return d, nil
}

// WorkerBinaryEnv names the environment variable that gives quire-kernel its worker binary.
const WorkerBinaryEnv = "QUIRE_WORKER_BINARY"

// WorkerBinary resolves the quire binary that runs cells for quire-kernel: path when given,
// else quire next to this executable, else quire on PATH.
func WorkerBinary(path string) (string, error) {
	if path == "" {
		if exe, err := os.Executable(); err == nil {
			sibling := filepath.Join(filepath.Dir(exe), "quire")
			if st, err := os.Stat(sibling); err == nil && !st.IsDir() {
				path = sibling
			}
		}
	}
	if path == "" {
		p, err := exec.LookPath("quire")
		if err != nil {
			return "", errors.New("cannot find the quire binary that runs the cells: pass --worker PATH, set " + WorkerBinaryEnv + ", or put quire next to quire-kernel")
		}
		path = p
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("the worker binary: %w", err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("the worker binary %s is not an executable file", path)
	}
	return path, nil
}

// shutdownWhenOrphaned ends the kernel when the process that started it goes away, as
// ipykernel does: Jupyter sets JPY_PARENT_PID when it launches a kernel, and a notebook server
// killed without shutting its kernels down would otherwise leave them (and their workers)
// running for ever.
func shutdownWhenOrphaned(ctx context.Context, k *kernel.Kernel, log *slog.Logger) {
	jpy := os.Getenv("JPY_PARENT_PID")
	if jpy == "" {
		return
	}
	parent := os.Getppid()
	// Reparented to init before this ran: the launcher is already gone (unless it was init).
	orphaned := parent == 1 && jpy != "1"
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if orphaned || os.Getppid() != parent {
				log.Warn("the process that started the kernel is gone: shutting down", "parent", parent)
				k.Shutdown()
				return
			}
		}
	}
}

// lateBackend is a backend.Backend whose implementation is set after the kernel has bound its
// sockets; calls made before that wait for it.
type lateBackend struct {
	ready chan struct{}
	be    backend.Backend
}

func (l *lateBackend) set(be backend.Backend) { l.be = be; close(l.ready) }

func (l *lateBackend) get() backend.Backend { <-l.ready; return l.be }

func (l *lateBackend) Info() backend.Info { return l.get().Info() }

func (l *lateBackend) Execute(ctx context.Context, req backend.ExecuteRequest, out backend.Output) backend.ExecuteResult {
	return l.get().Execute(ctx, req, out)
}

func (l *lateBackend) Complete(ctx context.Context, code string, cursor int) (backend.CompleteResult, error) {
	return l.get().Complete(ctx, code, cursor)
}

func (l *lateBackend) Inspect(ctx context.Context, code string, cursor, detail int) (backend.InspectResult, error) {
	return l.get().Inspect(ctx, code, cursor, detail)
}

func (l *lateBackend) IsComplete(ctx context.Context, code string) (backend.IsCompleteResult, error) {
	return l.get().IsComplete(ctx, code)
}

func (l *lateBackend) Interrupt() error { return l.get().Interrupt() }

func (l *lateBackend) Shutdown(ctx context.Context, restart bool) error {
	return l.get().Shutdown(ctx, restart)
}

// DebugRequest makes the kernel advertise and serve the Jupyter debugger (backend.Debugger),
// which the Go backend implements.
func (l *lateBackend) DebugRequest(ctx context.Context, req map[string]any, emit func(map[string]any)) map[string]any {
	if d, ok := l.get().(backend.Debugger); ok {
		return d.DebugRequest(ctx, req, emit)
	}
	return map[string]any{"type": "response", "request_seq": req["seq"], "command": req["command"],
		"success": false, "message": "this backend has no debugger", "body": map[string]any{}}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func newLogger(path, level string, stderr io.Writer) (*slog.Logger, func(), error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, nil, fmt.Errorf("log level %q: use debug, info, warn or error", level)
	}
	w, closeFn := stderr, func() {}
	if path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("opening log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv})), closeFn, nil
}

// ParseSize reads a byte size such as "512MiB", "2GiB", "100MB" or "1048576". "" is 0 (the
// default); "none" is -1 for the kernel's limits and the largest value for the memory limit.
func ParseSize(flagName, s string) (int64, error) {
	s = strings.TrimSpace(s)
	orig := s
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "none", "off", "unlimited":
		if flagName == "--memory-limit" {
			return math.MaxInt64, nil
		}
		return -1, nil
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 || n*float64(mult) > math.MaxInt64 {
		return 0, fmt.Errorf("%s: %q is not a size (write e.g. 512MiB, 2GiB or none)", flagName, orig)
	}
	return int64(n * float64(mult)), nil
}
