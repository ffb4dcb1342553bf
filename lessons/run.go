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
// kernel from opts.Kernel, printing a title line and then the lesson as a reader meets it: the
// prose wrapped to TextWidth (with the Python reference code and other fenced code indented
// under its language), each code cell with its source and outputs as `quire run` prints them,
// and a label above the exercise cells and check cells. It goes on after a failing lesson and
// returns every failure. opts.Out and opts.InPlace are ignored: the embedded lessons are not
// modified. This is `quire lessons run [NAME...]`.
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
	if opts.Kernel == nil {
		return errors.New("lessons: run: no kernel")
	}
	w := opts.Stdout
	if w == nil {
		w = os.Stdout
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
			banner = ansiBold + banner + ansiReset
		}
		if _, err := io.WriteString(w, banner+"\n\n"); err != nil {
			return err
		}
		if err := runLesson(ctx, nb, w, ro, opts); err != nil {
			errs = append(errs, fmt.Errorf("lesson %s: %w", l.Name, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// runLesson executes nb through a fresh kernel, printing it to w.
func runLesson(ctx context.Context, nb *notebook.Notebook, w io.Writer, ro notebook.RenderOptions, opts notebook.RunOptions) error {
	k, err := opts.Kernel(ctx)
	if err != nil {
		return fmt.Errorf("starting kernel: %w", err)
	}
	if c, ok := k.(io.Closer); ok {
		defer c.Close()
	}
	p := notebook.NewPrinter(w, ro)
	width := TextWidth()
	var werr error
	say := func(s string) {
		if werr == nil && s != "" {
			_, werr = io.WriteString(w, s)
		}
	}
	onEvent := func(ev notebook.Event) {
		switch ev.Kind {
		case notebook.TextCell:
			if ev.Cell.CellType == notebook.Markdown {
				say(RenderMarkdown(ev.Cell.Source, width, ro.Color))
				return
			}
		case notebook.CellStarted:
			say(roleLabel(ev.Cell, ro.Color))
		}
		p.Event(ev)
	}
	err = notebook.Execute(ctx, nb, k, notebook.ExecOptions{AllowErrors: opts.AllowErrors, Timeout: opts.Timeout, OnEvent: onEvent})
	if perr := errors.Join(p.Err(), werr); perr != nil && err == nil {
		err = fmt.Errorf("printing outputs: %w", perr)
	}
	return err
}

// roleLabel is the line printed above an exercise or check cell ("" above others).
func roleLabel(c *notebook.Cell, color bool) string {
	g := grading(*c)
	var s string
	switch {
	case g.Grade:
		s = fmt.Sprintf("-- check %s (%s points): grades the exercise; quire grade restores it --", g.GradeID, num(g.Points))
	case g.Solution:
		s = fmt.Sprintf("-- exercise %s: the cell you edit (as released: the check below fails until you do) --", g.GradeID)
	default:
		return ""
	}
	if color {
		s = ansiBold + s + ansiReset
	}
	return s + "\n"
}
