package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/quire-go/quire/lessons"
	"github.com/quire-go/quire/notebook"
	"github.com/quire-go/quire/notebook/jupyter"
)

// selfKernel starts this binary as the kernel: `quire kernel {connection_file}`.
func selfKernel() (notebook.KernelFactory, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the quire binary: %w", err)
	}
	return jupyter.Command(exe, "kernel", "--log-level", "warn", "{connection_file}"), nil
}

// parseAll parses flags placed before or after positional arguments.
func parseAll(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "run NOTEBOOK.ipynb [--out FILE] [--inplace] [--allow-errors] [--timeout D]",
		`Executes every code cell of NOTEBOOK through a quire kernel process, printing each cell's
outputs as they arrive, and writes the executed notebook with --out or --inplace.`, stderr)
	out := fs.String("out", "", "write the executed notebook to `FILE`")
	inplace := fs.Bool("inplace", false, "write the executed notebook over NOTEBOOK")
	allow := fs.Bool("allow-errors", false, "keep going after a failing cell")
	timeout := fs.Duration("timeout", 0, "interrupt a cell running longer than `D` (e.g. 2m; 0: no limit)")
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errUsage
	}
	k, err := selfKernel()
	if err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	return notebook.Run(ctx, pos[0], notebook.RunOptions{Out: *out, InPlace: *inplace, Kernel: k, Stdout: stdout, AllowErrors: *allow, Timeout: *timeout})
}

func cmdLessons(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("lessons", "lessons list | export [--force] [--solutions] DIR | run [NAME...]",
		`Lists, exports or runs the built-in lessons. run prints each lesson as a reader meets it:
the prose wrapped to $COLUMNS (default 100), the Python reference code, and every cell with
its outputs, exercise and check cells labelled.`, stderr)
	force := fs.Bool("force", false, "export: overwrite lesson files you changed")
	solutions := fs.Bool("solutions", false, "export: the solved lessons, for teachers (grade them for full marks)")
	timeout := fs.Duration("timeout", 5*time.Minute, "run: interrupt a cell running longer than `D`")
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return errUsage
	}
	switch pos[0] {
	case "list":
		_, err := io.WriteString(stdout, lessons.ListText())
		return err
	case "export":
		if len(pos) != 2 {
			fs.Usage()
			return errUsage
		}
		export := lessons.Export
		if *solutions {
			export = lessons.ExportSolutions
		}
		paths, err := export(pos[1], *force)
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
		return err
	case "run":
		k, err := selfKernel()
		if err != nil {
			return err
		}
		ctx, stop := interruptible()
		defer stop()
		return lessons.Run(ctx, pos[1:], notebook.RunOptions{Kernel: k, Stdout: stdout, Timeout: *timeout})
	}
	fs.Usage()
	return errUsage
}

func cmdGrade(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("grade", "grade NOTEBOOK... [--json]",
		`Executes each notebook through a fresh kernel (errors allowed) and scores its check cells.`, stderr)
	asJSON := fs.Bool("json", false, "print the results as JSON")
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return errUsage
	}
	k, err := selfKernel()
	if err != nil {
		return err
	}
	ctx, stop := interruptible()
	defer stop()
	var results []lessons.Result
	var errs []error
	for _, p := range pos {
		r, err := lessons.Grade(ctx, p, k)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		results = append(results, r)
	}
	if err := lessons.WriteResults(stdout, results, *asJSON); err != nil {
		return err
	}
	return errors.Join(errs...)
}
