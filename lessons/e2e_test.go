package lessons

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/quire-go/quire/lessons/internal/author"
	"github.com/quire-go/quire/notebook"
	"github.com/quire-go/quire/notebook/jupyter/jupytertest"
)

// TestE2EGradeWithRealKernel grades solved, unsolved and partly solved copies of an
// assignment through `quire kernel`.
func TestE2EGradeWithRealKernel(t *testing.T) {
	factory := jupytertest.Factory(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	solved, _ := assignment(t, author.Solution)
	r, err := Grade(ctx, solved, factory)
	if err != nil {
		t.Fatal(err)
	}
	if r.Points != 5 || r.Max != 5 {
		t.Errorf("solved: %+v", r)
	}

	unsolved, nb := assignment(t, author.Release)
	r, err = Grade(ctx, unsolved, factory)
	if err != nil {
		t.Fatal(err)
	}
	if r.Points != 0 || r.Max != 5 {
		t.Errorf("unsolved: %+v", r)
	}

	for i := range nb.Cells {
		switch nb.Cells[i].ID {
		case "sum":
			nb.Cells[i].Source = "func add(a, b int) int { return a + b }"
		case "count":
			nb.Cells[i].Source = "func count(n int) int { return 0 }"
		}
	}
	r, err = GradeNotebook(ctx, nb, "partial.ipynb", factory, GradeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := scores(r); r.Points != 3 || s["sum-check"].Points != 2 || s["count-check"].Points != 1 || s["count-check"].Reason != "count(4) = 0, want 4" {
		t.Errorf("partial: %+v", r)
	}
}

// TestE2ELessonsRun runs every lesson, as released and as solved, through the real kernel:
// no cell may fail, and the solved versions must score full marks.
func TestE2ELessonsRun(t *testing.T) {
	factory := jupytertest.Factory(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := Run(ctx, nil, notebook.RunOptions{Kernel: factory, Stdout: &out, Timeout: 2 * time.Minute}); err != nil {
		t.Fatalf("lessons run: %v\n%s", err, out.String())
	}
	for _, l := range List() {
		_, nb, err := Solution(l.Name)
		if err != nil {
			t.Fatal(err)
		}
		r, err := GradeNotebook(ctx, nb, l.Name, factory, GradeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Points != r.Max || r.Max == 0 {
			var b bytes.Buffer
			r.WriteText(&b)
			t.Errorf("solved lesson %s does not score full marks:\n%s", l.Name, b.String())
		}
	}
}
