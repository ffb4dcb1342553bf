// Command inproc runs quire's kernel with kernel.Config.RestartInProcess set, so that the
// benchmark can measure an in-process restart (shutdown_request{restart: true} restarts the
// backend and the kernel keeps serving). `quire kernel` itself exits on a restart request, as
// jupyter_client expects.
//
// Usage: inproc QUIRE_BINARY CONNECTION_FILE
//
// The worker processes are QUIRE_BINARY's `worker` subcommand, exactly as under `quire kernel`.
//
// With QUIRE_BENCH_BIND_FIRST=1 it binds the kernel's sockets before creating the supervisor
// (which starts the worker process), instead of after as `quire kernel` does: an experiment
// measuring how much the worker's start delays the first kernel_info_reply.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"

	"github.com/quire-go/quire/backend"

	"github.com/quire-go/quire/eval"
	"github.com/quire-go/quire/kernel"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: inproc QUIRE_BINARY CONNECTION_FILE")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "inproc:", err)
		os.Exit(1)
	}
}

func run(quire, connFile string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	conn, err := kernel.ReadConnectionFile(connFile)
	if err != nil {
		return err
	}
	newSup := func() (*eval.Supervisor, error) {
		return eval.NewSupervisor(eval.Options{
			Logger: logger,
			WorkerCommand: func(ctx context.Context, args ...string) *exec.Cmd {
				return exec.CommandContext(ctx, quire, args...)
			},
		})
	}
	var (
		be  backend.Backend
		sup *eval.Supervisor
		lz  *lazy
	)
	if os.Getenv("QUIRE_BENCH_BIND_FIRST") == "1" {
		lz = &lazy{ready: make(chan struct{})}
		be = lz
	} else {
		if sup, err = newSup(); err != nil {
			return fmt.Errorf("starting the Go backend: %w", err)
		}
		be = sup
	}
	k, err := kernel.New(kernel.Config{Conn: conn, Backend: be, Logger: logger, RestartInProcess: true, NoHistory: true})
	if err != nil {
		if sup != nil {
			sup.Shutdown(context.Background(), false)
		}
		return err
	}
	if lz != nil {
		if sup, err = newSup(); err != nil {
			return fmt.Errorf("starting the Go backend: %w", err)
		}
		lz.set(sup)
	}
	stop := k.HandleSignals()
	defer stop()
	err = k.Serve(context.Background())
	sup.Shutdown(context.Background(), false)
	return err
}

// lazy is a Backend whose supervisor is created after the kernel's sockets are bound.
type lazy struct {
	once  sync.Once
	ready chan struct{}
	sup   *eval.Supervisor
}

func (l *lazy) set(s *eval.Supervisor) {
	l.once.Do(func() { l.sup = s; close(l.ready) })
}

func (l *lazy) get() *eval.Supervisor { <-l.ready; return l.sup }

func (l *lazy) Info() backend.Info { return l.get().Info() }

func (l *lazy) Execute(ctx context.Context, req backend.ExecuteRequest, out backend.Output) backend.ExecuteResult {
	return l.get().Execute(ctx, req, out)
}

func (l *lazy) Complete(ctx context.Context, code string, cursor int) (backend.CompleteResult, error) {
	return l.get().Complete(ctx, code, cursor)
}

func (l *lazy) Inspect(ctx context.Context, code string, cursor, detail int) (backend.InspectResult, error) {
	return l.get().Inspect(ctx, code, cursor, detail)
}

func (l *lazy) IsComplete(ctx context.Context, code string) (backend.IsCompleteResult, error) {
	return l.get().IsComplete(ctx, code)
}

func (l *lazy) Interrupt() error { return l.get().Interrupt() }

func (l *lazy) Shutdown(ctx context.Context, restart bool) error {
	return l.get().Shutdown(ctx, restart)
}
