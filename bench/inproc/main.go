// Command inproc runs quire's kernel with kernel.Config.RestartInProcess set, so that the
// benchmark can measure an in-process restart (shutdown_request{restart: true} restarts the
// backend and the kernel keeps serving). `quire kernel` itself exits on a restart request, as
// jupyter_client expects.
//
// Usage: inproc QUIRE_BINARY CONNECTION_FILE
//
// The worker processes are QUIRE_BINARY's `worker` subcommand, exactly as under `quire kernel`.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"

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
	sup, err := eval.NewSupervisor(eval.Options{
		Logger: logger,
		WorkerCommand: func(ctx context.Context, args ...string) *exec.Cmd {
			return exec.CommandContext(ctx, quire, args...)
		},
	})
	if err != nil {
		return fmt.Errorf("starting the Go backend: %w", err)
	}
	k, err := kernel.New(kernel.Config{Conn: conn, Backend: sup, Logger: logger, RestartInProcess: true, NoHistory: true})
	if err != nil {
		sup.Shutdown(false)
		return err
	}
	stop := k.HandleSignals()
	defer stop()
	err = k.Serve(context.Background())
	sup.Shutdown(false)
	return err
}
