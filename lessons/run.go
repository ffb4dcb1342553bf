package lessons

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/quire-go/quire/notebook"
)

// Run executes the named lessons (every lesson when names is empty), each through a fresh
// kernel from opts.Kernel, printing a title line and then each cell as `quire run` does. It
// goes on after a failing lesson and returns every failure. opts.Out and opts.InPlace are
// ignored: the embedded lessons are not modified. This is `quire lessons run [NAME...]`.
func Run(ctx context.Context, names []string, opts notebook.RunOptions) error {
	var todo []Lesson
	if len(names) == 0 {
		todo = List()
	}
	for _, n := range names {
		l, err := Find(n)
		if err != nil {
			return err
		}
		todo = append(todo, l)
	}
	w := opts.Stdout
	if w == nil {
		w = os.Stdout
		opts.Stdout = w
	}
	ro := notebook.TerminalOptions(w)
	if opts.Render != nil {
		ro = *opts.Render
	}
	var errs []error
	for _, l := range todo {
		_, nb, err := Get(l.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		banner := fmt.Sprintf("=== %s: %s ===", l.Name, l.Title)
		if ro.Color {
			banner = "\x1b[1m" + banner + "\x1b[0m"
		}
		if _, err := io.WriteString(w, banner+"\n\n"); err != nil {
			return err
		}
		if err := notebook.RunNotebook(ctx, nb, opts); err != nil {
			errs = append(errs, fmt.Errorf("lesson %s: %w", l.Name, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}
