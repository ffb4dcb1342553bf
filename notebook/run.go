package notebook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// RunOptions configure Run and RunNotebook.
type RunOptions struct {
	// Out, if set, is where the executed notebook is written.
	Out string
	// InPlace writes the executed notebook over the input file.
	InPlace bool
	// Kernel starts the kernel (required).
	Kernel KernelFactory
	// Stdout receives the live rendering (nil: os.Stdout; io.Discard to print nothing).
	Stdout io.Writer
	// Render overrides the rendering options (nil: TerminalOptions(Stdout)).
	Render *RenderOptions
	// AllowErrors keeps running after a failing cell.
	AllowErrors bool
	// Timeout bounds each cell (0: no limit).
	Timeout time.Duration
}

// LanguageInformer is implemented by kernels that know their kernel_info language_info;
// RunNotebook stores it in the notebook metadata, as Jupyter does.
type LanguageInformer interface {
	LanguageInfo() map[string]any
}

// Run executes the notebook at path through a fresh kernel, printing each cell's outputs to
// opts.Stdout as they arrive, and writes the executed notebook to opts.Out or, with
// opts.InPlace, over path. The notebook is written even when a cell fails (with the outputs up
// to and including the failure); the failure is then returned as a *CellError.
//
// This is `quire run NOTEBOOK.ipynb [--out FILE] [--inplace] [--allow-errors] [--timeout D]`.
func Run(ctx context.Context, path string, opts RunOptions) error {
	if opts.Out != "" && opts.InPlace {
		return errors.New("notebook: use either --out or --inplace, not both")
	}
	nb, err := ReadFile(path)
	if err != nil {
		return err
	}
	runErr := RunNotebook(ctx, nb, opts)
	var cellErr *CellError
	if runErr != nil && !errors.As(runErr, &cellErr) {
		return runErr
	}
	out := opts.Out
	if opts.InPlace {
		out = path
	}
	if out != "" {
		if err := WriteFile(out, nb); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// RunNotebook executes nb (upgraded to nbformat 4.5 ids first) through a fresh kernel from
// opts.Kernel, printing as Run does. It writes no file.
func RunNotebook(ctx context.Context, nb *Notebook, opts RunOptions) error {
	if opts.Kernel == nil {
		return errors.New("notebook: no kernel to run the notebook with")
	}
	w := opts.Stdout
	if w == nil {
		w = os.Stdout
	}
	ro := TerminalOptions(w)
	if opts.Render != nil {
		ro = *opts.Render
	}
	nb.EnsureIDs()
	k, err := opts.Kernel(ctx)
	if err != nil {
		return fmt.Errorf("notebook: starting kernel: %w", err)
	}
	if c, ok := k.(io.Closer); ok {
		defer c.Close()
	}
	if li, ok := k.(LanguageInformer); ok {
		if info := li.LanguageInfo(); len(info) > 0 {
			nb.Metadata["language_info"] = info
		}
	}
	p := NewPrinter(w, ro)
	err = Execute(ctx, nb, k, ExecOptions{AllowErrors: opts.AllowErrors, Timeout: opts.Timeout, OnEvent: p.Event})
	if perr := p.Err(); perr != nil && err == nil {
		err = fmt.Errorf("notebook: printing outputs: %w", perr)
	}
	return err
}
