package lessons

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/quire-go/quire/lessons/internal/author"
	"github.com/quire-go/quire/notebook"
)

// TestNotebooksMatchSources fails when a committed notebook is stale: run go generate ./lessons.
func TestNotebooksMatchSources(t *testing.T) {
	srcs, _ := fs.Glob(files, "src/*.md")
	nbs, _ := fs.Glob(files, "notebooks/*.ipynb")
	if len(srcs) == 0 || len(srcs) != len(nbs) {
		t.Fatalf("%d sources, %d notebooks: every notebook needs a source (run go generate ./lessons)", len(srcs), len(nbs))
	}
	for _, src := range srcs {
		name := author.NameOf(src)
		b, _ := files.ReadFile(src)
		nb, _, err := author.Convert(name, b, author.Release)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		want, _ := notebook.Marshal(nb)
		got, err := files.ReadFile("notebooks/" + name + ".ipynb")
		if err != nil {
			t.Errorf("%s has no notebook: run go generate ./lessons", src)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("notebooks/%s.ipynb is stale: run go generate ./lessons", name)
		}
	}
}

// TestExecutedCopiesMatchSources checks the executed copies (executed/NN-name.ipynb, on disk,
// not embedded): one per lesson, with the solved lesson's cells (their outputs vary from run to
// run, so only sources are compared), every code cell run without error, and the lessons'
// language_info.
func TestExecutedCopiesMatchSources(t *testing.T) {
	srcs, _ := fs.Glob(files, "src/*.md")
	copies, _ := filepath.Glob("executed/*.ipynb")
	if len(copies) != len(srcs) {
		t.Errorf("%d executed copies for %d lessons: run go generate ./lessons", len(copies), len(srcs))
	}
	for _, src := range srcs {
		name := author.NameOf(src)
		p := filepath.Join("executed", name+".ipynb")
		got, err := notebook.ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v: run go generate ./lessons", p, err)
			continue
		}
		b, _ := files.ReadFile(src)
		want, _, err := author.Convert(name, b, author.Solution)
		if err != nil {
			t.Fatal(err)
		}
		if d := author.SameCells(got, want); d != "" {
			t.Errorf("%s is stale (%s): run go generate ./lessons", p, d)
			continue
		}
		if li, _ := got.Metadata["language_info"].(map[string]any); li["version"] != author.LanguageInfo["version"] {
			t.Errorf("%s: language_info %v", p, li)
		}
		for _, c := range got.Cells {
			if c.CellType != notebook.Code {
				continue
			}
			if c.ExecutionCount == nil {
				t.Errorf("%s: cell %s was not executed", p, c.ID)
			}
			for _, o := range c.Outputs {
				if o.OutputType == notebook.Error {
					t.Errorf("%s: cell %s failed: %s: %s", p, c.ID, o.EName, o.EValue)
				}
			}
		}
	}
}

// TestNotebooksAreValid checks the shipped notebooks: nbformat 4.5 fields, the quire
// kernelspec, outputs stripped, exercises paired with check cells.
func TestNotebooksAreValid(t *testing.T) {
	for _, l := range List() {
		b, _ := files.ReadFile(l.Path)
		nb, err := notebook.Parse(b)
		if err != nil {
			t.Fatalf("%s: %v", l.Path, err)
		}
		if err := nb.Validate(); err != nil {
			t.Errorf("%s: %v", l.Path, err)
		}
		ks, _ := nb.Metadata["kernelspec"].(map[string]any)
		if ks["name"] != "quire" || ks["display_name"] != "Go (quire)" || ks["language"] != "go" {
			t.Errorf("%s: kernelspec %v", l.Path, ks)
		}
		if l.Title == "" || l.Summary == "" {
			t.Errorf("%s: title %q summary %q", l.Path, l.Title, l.Summary)
		}
		checks := 0
		for _, c := range nb.Cells {
			if len(c.Outputs) > 0 || c.ExecutionCount != nil {
				t.Errorf("%s: cell %s has outputs", l.Path, c.ID)
			}
			if g := grading(c); g.Grade {
				checks++
				if g.GradeID == "" || g.Points <= 0 || !g.Locked {
					t.Errorf("%s: check cell %s metadata %+v", l.Path, c.ID, g)
				}
				if !strings.Contains(c.Source, "CHECK "+g.GradeID) {
					t.Errorf("%s: check cell %s never prints \"CHECK %s\"", l.Path, c.ID, g.GradeID)
				}
			}
		}
		if checks == 0 {
			t.Errorf("%s: no check cell (every lesson ends with an exercise)", l.Path)
		}
	}
}

// TestNBFormatValidatesLessons asks Debian's nbformat, when installed, to validate each lesson
// against the official 4.5 schema.
func TestNBFormatValidatesLessons(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import nbformat").Run(); err != nil {
		t.Skip("Debian's python3-nbformat is not installed")
	}
	dir := t.TempDir()
	paths, err := Export(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	executed, _ := filepath.Glob("executed/*.ipynb") // the executed copies too
	paths = append(paths, executed...)
	script := "import nbformat, sys\nfor p in sys.argv[1:]:\n    nbformat.validate(nbformat.read(p, as_version=nbformat.NO_CONVERT))\n"
	if out, err := exec.Command(py, append([]string{"-c", script}, paths...)...).CombinedOutput(); err != nil {
		t.Fatalf("nbformat: %v\n%s", err, out)
	}
}

func TestGetByNameOrPrefix(t *testing.T) {
	for _, q := range []string{"00-welcome", "00", "0", "welcome", "00-welcome.ipynb", " 00 "} {
		l, nb, err := Get(q)
		if err != nil {
			t.Errorf("Get(%q): %v", q, err)
			continue
		}
		if l.Name != "00-welcome" || l.Path != "notebooks/00-welcome.ipynb" || len(nb.Cells) == 0 {
			t.Errorf("Get(%q) = %+v", q, l)
		}
	}
	_, _, err := Get("99")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "00-welcome") {
		t.Errorf("Get(99): %v", err)
	}
	// A fresh copy each time: changing one must not change the next.
	_, a, _ := Get("00")
	a.Cells[0].Source = "changed"
	_, b, _ := Get("00")
	if b.Cells[0].Source == "changed" {
		t.Error("Get returned a shared notebook")
	}
}

func TestListAndListText(t *testing.T) {
	ls := List()
	if len(ls) == 0 || ls[0].Name != "00-welcome" || ls[0].Title != "Welcome to quire" {
		t.Fatalf("List = %+v", ls)
	}
	if txt := ListText(); !regexp.MustCompile(`^00-welcome +Welcome to quire\n`).MatchString(txt) {
		t.Errorf("ListText = %q", txt)
	}
}

func TestSolution(t *testing.T) {
	_, sol, err := Solution("welcome")
	if err != nil {
		t.Fatal(err)
	}
	_, rel, _ := Get("welcome")
	diff := 0
	for i := range rel.Cells {
		if rel.Cells[i].Source != sol.Cells[i].Source {
			diff++
			if g := grading(rel.Cells[i]); !g.Solution {
				t.Errorf("cell %s differs but is no exercise", rel.Cells[i].ID)
			}
		}
	}
	if diff == 0 {
		t.Error("solution equals the release notebook")
	}
}

func TestExport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lessons")
	paths, err := Export(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(List()) || filepath.Base(paths[0]) != "00-welcome.ipynb" {
		t.Fatalf("paths %v", paths)
	}
	embedded, _ := files.ReadFile("notebooks/00-welcome.ipynb")
	got, _ := os.ReadFile(paths[0])
	if !bytes.Equal(got, embedded) {
		t.Fatal("exported file differs from the embedded lesson")
	}
	// Again: unchanged files are fine.
	if _, err := Export(dir, false); err != nil {
		t.Fatalf("re-export: %v", err)
	}
	// A run lesson (outputs, same sources) is overwritten.
	nb, _ := notebook.ReadFile(paths[0])
	n := 1
	nb.Cells[1].ExecutionCount = &n
	nb.Cells[1].Outputs = []notebook.Output{{OutputType: notebook.Stream, Name: "stdout", Text: "hello\n"}}
	if err := notebook.WriteFile(paths[0], nb); err != nil {
		t.Fatal(err)
	}
	if _, err := Export(dir, false); err != nil {
		t.Fatalf("export over an executed lesson: %v", err)
	}
	if got, _ := os.ReadFile(paths[0]); !bytes.Equal(got, embedded) {
		t.Error("executed lesson was not refreshed")
	}
	// The learner's edits are kept unless forced.
	nb.Cells[1].Source = "// my own work"
	if err := notebook.WriteFile(paths[0], nb); err != nil {
		t.Fatal(err)
	}
	mine, _ := os.ReadFile(paths[0])
	_, err = Export(dir, false)
	if !errors.Is(err, ErrModified) || !strings.Contains(err.Error(), "00-welcome.ipynb") {
		t.Fatalf("export over a modified lesson: %v", err)
	}
	if got, _ := os.ReadFile(paths[0]); !bytes.Equal(got, mine) {
		t.Fatal("modified lesson was overwritten")
	}
	if _, err := Export(dir, true); err != nil {
		t.Fatalf("forced export: %v", err)
	}
	if got, _ := os.ReadFile(paths[0]); !bytes.Equal(got, embedded) {
		t.Error("forced export did not overwrite")
	}
}

func TestStepsAndCursor(t *testing.T) {
	steps, err := Steps("00")
	if err != nil {
		t.Fatal(err)
	}
	_, nb, _ := Get("00")
	codes := 0
	for _, c := range nb.Cells {
		if c.CellType == notebook.Code {
			codes++
		}
	}
	if len(steps) < codes || codes == 0 {
		t.Fatalf("%d steps for %d code cells", len(steps), codes)
	}
	first := steps[0]
	if !strings.HasPrefix(first.Markdown, "# Welcome to quire") || !strings.Contains(first.Code, "fmt.Println") || first.Number != 1 || first.Total != len(steps) {
		t.Errorf("first step %+v", first)
	}
	var sawExercise, sawCheck bool
	for _, s := range steps {
		sawExercise = sawExercise || s.Exercise
		sawCheck = sawCheck || s.Check
	}
	if !sawExercise || !sawCheck || !steps[len(steps)-1].Last {
		t.Errorf("steps should include the exercise and check, and end with Last")
	}

	c := NewCursor()
	for i := range steps {
		s, err := NextCell("welcome", c)
		if err != nil {
			t.Fatal(err)
		}
		if s.Number != i+1 || s.Code != steps[i].Code {
			t.Fatalf("Next #%d = step %d", i+1, s.Number)
		}
	}
	if s, _ := c.Next("00-welcome"); s.Number != 1 {
		t.Errorf("after the last step the lesson starts over, got step %d", s.Number)
	}
	if err := c.Seek("0", 2); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.Next("welcome"); s.Number != 2 {
		t.Errorf("after Seek(2) got step %d", s.Number)
	}
	if err := c.Seek("welcome", 99); err == nil {
		t.Error("Seek past the end accepted")
	}
	c.Reset("welcome")
	if s, _ := c.Next("welcome"); s.Number != 1 {
		t.Errorf("after Reset got step %d", s.Number)
	}
	if _, err := c.Next("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown lesson: %v", err)
	}
}

// assignment converts testdata/assignment.md into a notebook file: the solved or the
// released (unsolved) version.
func assignment(t *testing.T, mode author.Mode) (string, *notebook.Notebook) {
	t.Helper()
	src, err := os.ReadFile("testdata/assignment.md")
	if err != nil {
		t.Fatal(err)
	}
	nb, _, err := author.Convert("90-assignment", src, mode)
	if err != nil {
		t.Fatal(err)
	}
	name := map[author.Mode]string{author.Release: "unsolved.ipynb", author.Solution: "solved.ipynb"}[mode]
	p := path.Join(t.TempDir(), name)
	if err := notebook.WriteFile(p, nb); err != nil {
		t.Fatal(err)
	}
	return p, nb
}

func TestExportSolutions(t *testing.T) {
	dir := t.TempDir()
	paths, err := ExportSolutions(dir, false)
	if err != nil || len(paths) != len(List()) {
		t.Fatalf("%v %v", paths, err)
	}
	nb, err := notebook.ReadFile(filepath.Join(dir, "00-welcome.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range nb.Cells {
		if c.ID == "welcome-answer" {
			found = strings.Contains(c.Source, "return 2") && !strings.Contains(c.Source, "replace with your answer")
		}
	}
	if !found {
		t.Error("the exported welcome lesson is not the solved one")
	}
}
