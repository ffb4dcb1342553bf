package lessons

import (
	"fmt"
	"strings"
	"sync"

	"github.com/quire-go/quire/notebook"
)

// Step is one step of a lesson as the %lesson magic walks it: the prose that precedes a code
// cell, to show as Markdown output, and that code cell, to load into the frontend as the next
// input (the execute_reply payload {"source": "set_next_input", "text": Code, "replace": false}).
type Step struct {
	Lesson Lesson
	// Number counts steps from 1; Total is the lesson's number of steps.
	Number, Total int
	// Markdown is the prose (markdown cells joined by blank lines) before the code cell; it may
	// be empty.
	Markdown string
	// Code is the code cell's source; empty for a final step holding only closing prose.
	Code string
	// CellID is the code cell's id; Exercise and Check say whether it is the cell the learner
	// edits or a check cell.
	CellID          string
	Exercise, Check bool
	// Last is true for the lesson's last step.
	Last bool
}

// Steps splits the lesson matching name into steps: each code cell with the markdown before
// it, and a final step for trailing prose, if any.
func Steps(name string) ([]Step, error) {
	l, nb, err := Get(name)
	if err != nil {
		return nil, err
	}
	var steps []Step
	var prose []string
	for _, c := range nb.Cells {
		switch c.CellType {
		case notebook.Markdown:
			prose = append(prose, strings.TrimSpace(c.Source))
		case notebook.Code:
			g := grading(c)
			steps = append(steps, Step{Lesson: l, Markdown: strings.Join(prose, "\n\n"), Code: c.Source, CellID: c.ID,
				Exercise: g.Solution, Check: g.Grade})
			prose = nil
		}
	}
	if len(prose) > 0 {
		steps = append(steps, Step{Lesson: l, Markdown: strings.Join(prose, "\n\n")})
	}
	for i := range steps {
		steps[i].Number, steps[i].Total, steps[i].Last = i+1, len(steps), i == len(steps)-1
	}
	return steps, nil
}

// Cursor remembers, per lesson, which step `%lesson NAME` shows next. The caller (the kernel's
// magic) keeps one Cursor per session. It is safe for concurrent use.
type Cursor struct {
	mu   sync.Mutex
	next map[string]int // lesson name -> index of the next step
}

// NewCursor returns a cursor at the start of every lesson.
func NewCursor() *Cursor { return &Cursor{next: map[string]int{}} }

// Next returns the lesson's next step and advances. After the last step it starts the lesson
// over (the returned step is the first again).
func (c *Cursor) Next(name string) (Step, error) {
	steps, err := Steps(name)
	if err != nil {
		return Step{}, err
	}
	if len(steps) == 0 {
		return Step{}, fmt.Errorf("lesson %s has no cells", name)
	}
	key := steps[0].Lesson.Name
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.next[key]
	if i >= len(steps) {
		i = 0
	}
	c.next[key] = i + 1
	return steps[i], nil
}

// Seek makes step number n (from 1) the lesson's next step.
func (c *Cursor) Seek(name string, n int) error {
	steps, err := Steps(name)
	if err != nil {
		return err
	}
	if n < 1 || n > len(steps) {
		return fmt.Errorf("lesson %s has steps 1 to %d, not %d", steps[0].Lesson.Name, len(steps), n)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next[steps[0].Lesson.Name] = n - 1
	return nil
}

// Reset starts the lesson over.
func (c *Cursor) Reset(name string) error { return c.Seek(name, 1) }

// NextCell is Cursor.Next: the step `%lesson NAME` shows (Markdown as display output, Code as
// the set_next_input payload).
func NextCell(name string, c *Cursor) (Step, error) { return c.Next(name) }

// ListText returns the lesson list as `%lesson` and `quire lessons list` print it: one line
// per lesson with its name, title and summary.
func ListText() string {
	var b strings.Builder
	ls := List()
	width := 0
	for _, l := range ls {
		width = max(width, len(l.Name))
	}
	for _, l := range ls {
		fmt.Fprintf(&b, "%-*s  %s\n", width, l.Name, l.Title)
		if l.Summary != "" {
			fmt.Fprintf(&b, "%-*s  %s\n", width, "", l.Summary)
		}
	}
	return b.String()
}
