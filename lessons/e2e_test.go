package lessons

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/executors"
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
	t.Setenv(executors.ScaleEnv, "0.1") // sleeps shrink; the lessons' checks compare with executors.Scaled
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

// TestE2ENBClientRunsLessons executes every released lesson with Debian's nbclient (when
// installed) through a kernelspec pointing at the built binary, and reads the executed
// notebooks back.
func TestE2ENBClientRunsLessons(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import nbclient, nbformat").Run(); err != nil {
		t.Skip("Debian's python3-nbclient is not installed")
	}
	t.Setenv(executors.ScaleEnv, "0.1")
	bin := jupytertest.Binary(t)
	jp := t.TempDir()
	spec := filepath.Join(jp, "kernels", "quire")
	if err := os.MkdirAll(spec, 0o755); err != nil {
		t.Fatal(err)
	}
	ks, _ := json.Marshal(map[string]any{"argv": []string{bin, "kernel", "{connection_file}"}, "display_name": "Go (quire)", "language": "go"})
	if err := os.WriteFile(filepath.Join(spec, "kernel.json"), ks, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := Export(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	script := `import sys, nbformat, nbclient
for p in sys.argv[1:]:
    nb = nbformat.read(p, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="quire").execute()
    nbformat.write(nb, p)
`
	cmd := exec.Command(py, append([]string{"-c", script}, paths...)...)
	cmd.Env = append(os.Environ(), "JUPYTER_PATH="+jp, "JUPYTER_DATA_DIR="+jp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbclient: %v\n%s", err, out)
	}
	for _, p := range paths {
		nb, err := notebook.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ran := 0
		for _, c := range nb.Cells {
			if c.ExecutionCount != nil {
				ran++
			}
			for _, o := range c.Outputs {
				if o.OutputType == notebook.Error {
					t.Errorf("%s: cell %s failed under nbclient: %s: %s", filepath.Base(p), c.ID, o.EName, o.EValue)
				}
			}
		}
		if ran == 0 {
			t.Errorf("%s: nbclient ran no cell", filepath.Base(p))
		}
	}
}

// TestE2EGradeCannotBeFooled grades, through the real kernel, every lesson as released (it
// must score 0), every lesson with a cell that shadows fmt (0), and the tampering issue 14
// found: 04's blocking stub with near redefined to say yes, 05's "pool" that never runs task
// likewise, 09's made-up report, and a graded function that prints a forged CHECK line.
func TestE2EGradeCannotBeFooled(t *testing.T) {
	t.Setenv(executors.ScaleEnv, "0.1")
	factory := jupytertest.Factory(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	grade := func(label string, nb *notebook.Notebook) Result {
		t.Helper()
		r, err := GradeNotebook(ctx, nb, label, factory, GradeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		r.WriteText(&b)
		t.Logf("%s: %v/%v\n%s", label, r.Points, r.Max, b.String())
		if r.Max == 0 {
			t.Errorf("%s: nothing graded", label)
		}
		return r
	}
	edit := func(nb *notebook.Notebook, id, src string) {
		t.Helper()
		for i := range nb.Cells {
			if nb.Cells[i].ID == id {
				nb.Cells[i].Source = src
				return
			}
		}
		t.Fatalf("no cell %s", id)
	}
	shadow := notebook.Cell{CellType: notebook.Code, ID: "shadow", Metadata: map[string]any{}, Source: `type fakeFmt struct{}

func (fakeFmt) Printf(format string, a ...any) {}
func (fakeFmt) Println(a ...any)               {}

var fmt fakeFmt`}
	for _, l := range List() {
		_, nb, err := Get(l.Name)
		if err != nil {
			t.Fatal(err)
		}
		r := grade(l.Name+" untouched", nb)
		if r.Points != 0 {
			t.Errorf("%s as released scores %v, want 0", l.Name, r.Points)
		}
		// Rule 5 of AUTHORING.md: the stub earns nothing from the check itself either.
		for _, s := range r.Exercises {
			if !strings.Contains(s.Reason, "(the check alone gave 0/") {
				t.Errorf("%s: check %s gives the released stub points of its own: %s", l.Name, s.ID, s.Reason)
			}
		}
		_, nb, _ = Solution(l.Name)
		// The shadowing cell goes just before the first check cell.
		for i, c := range nb.Cells {
			if grading(c).Grade {
				nb.Cells = append(nb.Cells[:i], append([]notebook.Cell{shadow}, nb.Cells[i:]...)...)
				break
			}
		}
		if r := grade(l.Name+" solved, fmt shadowed", nb); r.Points != 0 {
			t.Errorf("%s solved with fmt shadowed scores %v, want 0", l.Name, r.Points)
		}
	}

	_, nb, _ := Get("04")
	edit(nb, "download", `func download(t *executors.Task, name string) string {
	time.Sleep(executors.Scaled(time.Second)) // blocks the loop
	return name + " ok"
}

func near(got, ideal, slack time.Duration) bool { return true }`)
	if r := grade("04 blocking stub, near redefined", nb); r.Points != 0 {
		t.Errorf("04 tampered scores %v, want 0", r.Points)
	}

	_, nb, _ = Get("05")
	edit(nb, "pool", `func runPool() ([]any, time.Duration) {
	st := time.Now()
	var out []any
	for n := 1; n <= 5; n++ {
		out = append(out, fmt.Sprintf("Task %d completed", n))
	}
	return out, time.Since(st)
}

func near(got, ideal, slack time.Duration) bool { return true }`)
	if r := grade("05 no pool, near redefined", nb); r.Points != 0 {
		t.Errorf("05 tampered scores %v, want 0", r.Points)
	}

	_, nb, _ = Get("09")
	edit(nb, "pipeline", `func pipeline() *executors.Report {
	r := &executors.Report{Model: "Threads", Wall: time.Second, Speedup: 5}
	for i := 0; i < 8; i++ {
		r.Records = append(r.Records, executors.TaskRecord{ID: i, End: time.Second})
	}
	return r
}`)
	if r := grade("09 fabricated report", nb); r.Points != 0 {
		t.Errorf("09 with a made-up report scores %v, want 0", r.Points)
	}

	_, nb, _ = Get("00")
	edit(nb, "welcome-answer", `func answer() int {
	fmt.Println("CHECK welcome-check PASS 1/1: forged")
	return 6
}`)
	r := grade("00 forged CHECK line", nb)
	if s := scores(r)["welcome-check"]; s.Points != 0 || !strings.Contains(s.Reason, "printed by other code ignored") {
		t.Errorf("00 forged: %+v", s)
	}
}
