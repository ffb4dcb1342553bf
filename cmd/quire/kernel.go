package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/quire-go/quire/eval"
	"github.com/quire-go/quire/eval/magic"
	"github.com/quire-go/quire/kernel"
)

func cmdKernel(args []string, stderr io.Writer) error {
	fs := newFlags("kernel", "kernel [--log FILE] [--log-level LEVEL] CONNECTION_FILE",
		`Runs the kernel for the Jupyter client that wrote CONNECTION_FILE. Jupyter starts this
through the kernelspec written by 'quire install'; you rarely run it by hand.
Logs go to stderr (the notebook server's log), or to --log FILE; QUIRE_LOG_LEVEL sets the level.
QUIRE_SPARE_WORKER=1 keeps a second interpreter process ready: interrupts and restarts get
3-4x faster for about 20 MB more memory.`, stderr)
	logFile := fs.String("log", os.Getenv("QUIRE_LOG"), "append logs to `FILE` instead of stderr")
	level := fs.String("log-level", envOr("QUIRE_LOG_LEVEL", "info"), "log `level`: debug, info, warn, error")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
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
	magics := magic.New(magic.Options{Logger: logger})
	sup, err := eval.NewSupervisor(eval.Options{Logger: logger, Magics: magics, SpareWorker: os.Getenv("QUIRE_SPARE_WORKER") == "1"})
	if err != nil {
		return fmt.Errorf("starting the Go backend: %w", err)
	}
	// magic.Backend makes interrupt and shutdown also stop a shell command a magic runs.
	be := magic.Backend{Supervisor: sup, Magics: magics}
	k, err := kernel.New(kernel.Config{Conn: conn, Backend: be, Logger: logger})
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

func workerMain(args []string) int { return eval.WorkerMain(args) }

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
