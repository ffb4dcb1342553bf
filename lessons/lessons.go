// Package lessons ships quire's guided lessons on concurrency inside the binary and grades
// their exercises.
//
// Lessons are written as Markdown sources, src/NN-name.md (format: package
// lessons/internal/author), and converted by `go generate ./lessons` into nbformat 4.5
// notebooks, notebooks/NN-name.ipynb, with outputs stripped and stable cell ids. Both are
// embedded: the notebooks are what learners get (List, Get, Export, the %lesson magic), the
// sources give the solved versions (Solution) used by tests and teachers. A test fails when a
// committed notebook is stale.
//
// Each lesson ends with an exercise: a cell the learner edits (nbgrader metadata
// {"solution": true}) and a locked check cell ({"grade": true, "points": N}) that prints a
// CHECK line (see FormatCheck). Grade executes a notebook through a kernel and scores every
// check cell from its CHECK line, under rules that keep it honest (GradeNotebook;
// lessons/AUTHORING.md, "How grading works").
//
// The executed copies, executed/NN-name.ipynb (solved, with outputs, not embedded), are kept in
// step with the sources by the same `go generate ./lessons`.
package lessons

//go:generate go run ./internal/gen

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/quire-go/quire/lessons/internal/author"
	"github.com/quire-go/quire/notebook"
)

//go:embed notebooks/*.ipynb src/*.md
var files embed.FS

// Lesson describes one lesson.
type Lesson struct {
	// Name is the file name without extension, e.g. "03-threads".
	Name string `json:"name"`
	// Title and Summary come from the lesson's front matter or first heading and paragraph.
	Title   string `json:"title"`
	Summary string `json:"summary"`
	// Path is the notebook's path inside the embedded files, e.g. "notebooks/03-threads.ipynb".
	Path string `json:"path"`
}

// FileName is the name the lesson's notebook is exported under.
func (l Lesson) FileName() string { return l.Name + ".ipynb" }

// Number is the lesson's number prefix (3 for "03-threads").
func (l Lesson) Number() int {
	n, _ := strconv.Atoi(strings.SplitN(l.Name, "-", 2)[0])
	return n
}

// ErrNotFound is returned for a lesson name that matches no lesson.
var ErrNotFound = errors.New("no such lesson")

// List returns the lessons in order.
func List() []Lesson {
	paths, _ := fs.Glob(files, "notebooks/*.ipynb")
	sort.Strings(paths)
	out := make([]Lesson, 0, len(paths))
	for _, p := range paths {
		l := Lesson{Name: strings.TrimSuffix(path.Base(p), ".ipynb"), Path: p}
		if nb, err := load(p); err == nil {
			q, _ := nb.Metadata["quire"].(map[string]any)
			l.Title, _ = q["title"].(string)
			l.Summary, _ = q["summary"].(string)
		}
		out = append(out, l)
	}
	return out
}

func load(p string) (*notebook.Notebook, error) {
	b, err := files.ReadFile(p)
	if err != nil {
		return nil, err
	}
	return notebook.Parse(b)
}

// Find returns the lesson matching name: its full name ("03-threads"), its number ("03" or
// "3"), or its name without the number ("threads").
func Find(name string) (Lesson, error) {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".ipynb")
	all := List()
	n, numErr := strconv.Atoi(name)
	var matches []Lesson
	for _, l := range all {
		_, rest, _ := strings.Cut(l.Name, "-")
		switch {
		case l.Name == name:
			return l, nil
		case numErr == nil && l.Number() == n, rest == name:
			matches = append(matches, l)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		names := make([]string, len(all))
		for i, l := range all {
			names[i] = l.Name
		}
		return Lesson{}, fmt.Errorf("%w %q (lessons: %s)", ErrNotFound, name, strings.Join(names, ", "))
	}
	return Lesson{}, fmt.Errorf("lesson %q is ambiguous: %s and %s", name, matches[0].Name, matches[1].Name)
}

// Get returns the lesson matching name (see Find) and a fresh copy of its notebook.
func Get(name string) (Lesson, *notebook.Notebook, error) {
	l, err := Find(name)
	if err != nil {
		return l, nil, err
	}
	nb, err := load(l.Path)
	if err != nil {
		return l, nil, fmt.Errorf("lesson %s: %w", l.Name, err)
	}
	return l, nb, nil
}

// Source returns the Markdown source of the lesson matching name.
func Source(name string) ([]byte, error) {
	l, err := Find(name)
	if err != nil {
		return nil, err
	}
	return files.ReadFile("src/" + l.Name + ".md")
}

// Solution returns the lesson's notebook with the exercise solutions filled in.
func Solution(name string) (Lesson, *notebook.Notebook, error) {
	l, err := Find(name)
	if err != nil {
		return l, nil, err
	}
	src, err := files.ReadFile("src/" + l.Name + ".md")
	if err != nil {
		return l, nil, err
	}
	nb, _, err := author.Convert(l.Name, src, author.Solution)
	return l, nb, err
}

// ErrModified is wrapped by Export's error for files it refused to overwrite.
var ErrModified = errors.New("modified since export")

// Export writes every lesson notebook into dir (created if needed) and returns the paths of
// the lesson files now in dir. An existing file is overwritten only when its cells hold the
// same sources as the lesson (it may have outputs: running a lesson is not modifying it) or
// when force is set; otherwise it is left alone and reported in an error wrapping ErrModified,
// after the other lessons were written.
func Export(dir string, force bool) ([]string, error) {
	return export(dir, force, func(l Lesson) ([]byte, error) { return files.ReadFile(l.Path) })
}

// ExportSolutions is Export for teachers: the solved lessons (exercise cells with their
// solutions, no outputs), as `quire lessons export --solutions DIR` writes them. The executed
// copies in the repository (lessons/executed) are the same notebooks with their outputs.
func ExportSolutions(dir string, force bool) ([]string, error) {
	return export(dir, force, func(l Lesson) ([]byte, error) {
		_, nb, err := Solution(l.Name)
		if err != nil {
			return nil, err
		}
		return notebook.Marshal(nb)
	})
}

func export(dir string, force bool, content func(Lesson) ([]byte, error)) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lessons: export: %w", err)
	}
	var written, refused []string
	for _, l := range List() {
		b, err := content(l)
		if err != nil {
			return written, fmt.Errorf("lessons: export %s: %w", l.Name, err)
		}
		dst := filepath.Join(dir, l.FileName())
		if old, err := os.ReadFile(dst); err == nil && !force {
			if string(old) == string(b) {
				written = append(written, dst)
				continue
			}
			if !sameSources(old, b) {
				refused = append(refused, dst)
				continue
			}
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			return written, fmt.Errorf("lessons: export: %w", err)
		}
		written = append(written, dst)
	}
	if len(refused) > 0 {
		return written, fmt.Errorf("lessons: %w, not overwritten (export elsewhere, or force to replace your changes): %s",
			ErrModified, strings.Join(refused, ", "))
	}
	return written, nil
}

func sameSources(a, b []byte) bool {
	x, err1 := notebook.Parse(a)
	y, err2 := notebook.Parse(b)
	if err1 != nil || err2 != nil || len(x.Cells) != len(y.Cells) {
		return false
	}
	for i := range x.Cells {
		if x.Cells[i].CellType != y.Cells[i].CellType || x.Cells[i].Source != y.Cells[i].Source {
			return false
		}
	}
	return true
}
