package lessons

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/lessons/internal/author"
	"github.com/quire-go/quire/notebook"
)

// fakeGo stands in for the Go kernel: it "runs" the check cells of testdata/assignment.md and
// of the welcome lesson by looking at what the earlier cells defined.
type fakeGo struct{ history []string }

func (k *fakeGo) defined(s string) bool {
	for _, h := range k.history {
		if strings.Contains(h, s) {
			return true
		}
	}
	return false
}

func (k *fakeGo) Execute(_ context.Context, code string, onMsg func(notebook.Msg)) (notebook.Reply, error) {
	n := len(k.history) + 1
	defer func() { k.history = append(k.history, code) }()
	// A real check cell prints what its source says, with the grading token the grader wrote
	// into it: so does the fake.
	tok := ""
	if m := fakeToken.FindStringSubmatch(code); m != nil {
		tok = m[1]
	}
	out := func(s string) {
		if tok != "" {
			s = strings.Replace(s, "-check ", "-check "+tok, 1)
		}
		onMsg(notebook.Msg{Type: "stream", Content: map[string]any{"name": "stdout", "text": s}})
	}
	if strings.Contains(code, `panic("boom")`) {
		onMsg(notebook.Msg{Type: "error", Content: map[string]any{"ename": "panic", "evalue": "boom\nmore", "traceback": []any{"panic: boom"}}})
		return notebook.Reply{Status: "error", ExecutionCount: n}, nil
	}
	switch {
	case strings.Contains(code, "CHECK sum-check"):
		if k.defined("return a + b") {
			out("CHECK sum-check PASS 2/2: add(2, 3) = 5\n")
		} else {
			out("CHECK sum-check FAIL 0/2: add(2, 3) = 0, want 5\n")
		}
	case strings.Contains(code, "CHECK count-check"):
		switch {
		case k.defined("\treturn n\n"):
			out("CHECK count-check PASS 3/3: count(4) = 4\n")
		case k.defined("return -1"):
			out("CHECK count-check FAIL 0/3: count(4) = -1 is negative\n")
		default:
			out("CHECK count-check FAIL 1/3: count(4) = 0, want 4\n")
		}
	case strings.Contains(code, "CHECK welcome-check"):
		if k.defined("\treturn 2\n") {
			out("CHECK welcome-check PASS 1/1: answer() = 2\n")
		} else {
			out("CHECK welcome-check FAIL 0/1: answer() = 0\n")
		}
	case strings.Contains(code, "fmt.Print"):
		// A cell printing something else, e.g. a forged CHECK line outside a check cell.
		if i := strings.Index(code, "\"CHECK"); i >= 0 {
			out(strings.SplitN(code[i+1:], "\\n", 2)[0] + "\n")
		} else {
			out("hi\n")
		}
	}
	return notebook.Reply{Status: "ok", ExecutionCount: n}, nil
}

var fakeToken = regexp.MustCompile(`CHECK [a-z-]+ (#[0-9a-f]+ )`)

func fakeFactory(context.Context) (notebook.Kernel, error) { return &fakeGo{}, nil }

func scores(r Result) map[string]Score {
	m := map[string]Score{}
	for _, s := range r.Exercises {
		m[s.ID] = s
	}
	return m
}

func TestGradeSolvedAndUnsolved(t *testing.T) {
	ctx := context.Background()
	solved, _ := assignment(t, author.Solution)
	r, err := Grade(ctx, solved, fakeFactory)
	if err != nil {
		t.Fatal(err)
	}
	if r.Points != 5 || r.Max != 5 || len(r.Exercises) != 2 {
		t.Fatalf("solved: %+v", r)
	}
	for _, s := range r.Exercises {
		if !s.Passed || s.Points != s.Max {
			t.Errorf("solved %+v", s)
		}
	}
	if s := scores(r)["sum-check"]; s.Reason != "add(2, 3) = 5" {
		t.Errorf("reason %q", s.Reason)
	}

	unsolved, _ := assignment(t, author.Release)
	r, err = Grade(ctx, unsolved, fakeFactory)
	if err != nil {
		t.Fatal(err)
	}
	if r.Points != 0 || r.Max != 5 {
		t.Fatalf("unsolved: %+v", r)
	}
}

func TestGradePartial(t *testing.T) {
	_, nb := assignment(t, author.Release)
	_, sol := assignment(t, author.Solution)
	for i := range nb.Cells {
		switch nb.Cells[i].ID {
		case "sum": // solved
			nb.Cells[i].Source = sol.Cells[i].Source
		case "count": // half right: partial credit from the CHECK line
			nb.Cells[i].Source = "func count(n int) int {\n\treturn 0\n}"
		}
	}
	r, err := GradeNotebook(context.Background(), nb, "partial.ipynb", fakeFactory, GradeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := scores(r)
	if s["sum-check"].Points != 2 || !s["sum-check"].Passed {
		t.Errorf("sum: %+v", s["sum-check"])
	}
	if c := s["count-check"]; c.Points != 1 || c.Max != 3 || c.Passed || c.Reason != "count(4) = 0, want 4" {
		t.Errorf("count: %+v", c)
	}
	if r.Points != 3 || r.Max != 5 {
		t.Errorf("total %v/%v", r.Points, r.Max)
	}
}

func TestGradeFailures(t *testing.T) {
	_, nb := assignment(t, author.Solution)
	for i := range nb.Cells {
		switch nb.Cells[i].ID {
		case "sum-check":
			nb.Cells[i].Source = "panic(\"boom\")"
		case "count":
			// The student prints a forged CHECK line from the exercise cell.
			nb.Cells[i].Source = "fmt.Printf(\"CHECK count-check PASS 3/3: trust me\\n\")"
		case "count-check":
			nb.Cells[i].Source = "fmt.Println(\"no verdict\")"
		}
	}
	r, err := GradeNotebook(context.Background(), nb, "broken.ipynb", fakeFactory, GradeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s := scores(r)
	if c := s["sum-check"]; c.Points != 0 || c.Reason != "the check cell failed: panic: boom" {
		t.Errorf("errored check: %+v", c)
	}
	if c := s["count-check"]; c.Points != 0 || !strings.Contains(c.Reason, `printed no "CHECK count-check" line`) {
		t.Errorf("silent check: %+v", c)
	}
}

func TestGradeRestoresLessonChecks(t *testing.T) {
	_, nb, err := Get("welcome")
	if err != nil {
		t.Fatal(err)
	}
	var kept []notebook.Cell
	for _, c := range nb.Cells {
		if c.ID == "welcome-check" {
			forged := c
			forged.Source = "fmt.Printf(\"CHECK welcome-check PASS 1/1: forged\\n\")"
			kept = append(kept, forged)
			continue
		}
		kept = append(kept, c)
	}
	nb.Cells = kept
	r, err := GradeNotebook(context.Background(), nb, "forged.ipynb", fakeFactory, GradeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := scores(r)["welcome-check"]; c.Points != 0 || !c.Restored || !strings.HasPrefix(c.Reason, "not attempted: the exercise cell welcome-answer is as released (the check alone gave 0/1: answer() = 0") {
		t.Errorf("forged check: %+v", c)
	}

	// A deleted check cell of a lesson scores 0.
	_, nb, _ = Get("welcome")
	nb.Cells = nb.Cells[:len(nb.Cells)-1]
	r, err = GradeNotebook(context.Background(), nb, "deleted.ipynb", fakeFactory, GradeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := scores(r)["welcome-check"]; c.Points != 0 || c.Max != 1 || !strings.Contains(c.Reason, "missing") {
		t.Errorf("deleted check: %+v", r)
	}
}

func TestGradeOutputFormats(t *testing.T) {
	r := Result{Notebook: "/tmp/x/solved.ipynb", Points: 3, Max: 5, Exercises: []Score{
		{ID: "sum-check", Points: 2, Max: 2, Passed: true, Reason: "add(2, 3) = 5"},
		{ID: "count-check", Points: 1, Max: 3, Reason: "count(4) = 0, want 4"},
	}}
	var b bytes.Buffer
	if err := WriteResults(&b, []Result{r}, false); err != nil {
		t.Fatal(err)
	}
	want := "solved.ipynb\n" +
		"  EXERCISE     POINTS  MAX  RESULT  REASON\n" +
		"  sum-check    2       2    pass    add(2, 3) = 5\n" +
		"  count-check  1       3    fail    count(4) = 0, want 4\n" +
		"  TOTAL        3       5\n"
	if b.String() != want {
		t.Errorf("table:\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := WriteResults(&b, []Result{r}, true); err != nil {
		t.Fatal(err)
	}
	var back []Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 1 || back[0].Points != 3 || back[0].Exercises[1].ID != "count-check" || !strings.Contains(b.String(), `"reason": "add(2, 3) = 5"`) {
		t.Errorf("json: %s", b.String())
	}
}

func TestCheckLineFormat(t *testing.T) {
	line := FormatCheck("pool-check", true, 2, 2, "your pool finished 5 tasks in 2.01 s (limit 2.2 s)")
	if line != "CHECK pool-check PASS 2/2: your pool finished 5 tasks in 2.01 s (limit 2.2 s)" {
		t.Errorf("FormatCheck = %q", line)
	}
	text := "noise\n" + line + "\r\nCHECK x FAIL 0.5/3\n  CHECK indented PASS 1/1: ignored\nCHECK bad PASS one/1\n"
	got := ParseChecks(text)
	if len(got) != 2 {
		t.Fatalf("ParseChecks = %+v", got)
	}
	if got[0] != (Check{ID: "pool-check", Pass: true, Points: 2, Max: 2, Reason: "your pool finished 5 tasks in 2.01 s (limit 2.2 s)"}) {
		t.Errorf("first %+v", got[0])
	}
	if got[1] != (Check{ID: "x", Points: 0.5, Max: 3}) {
		t.Errorf("second %+v", got[1])
	}
}

func TestRunLessonsWithFakeKernel(t *testing.T) {
	var b bytes.Buffer
	err := Run(context.Background(), []string{"00"}, notebook.RunOptions{Kernel: fakeFactory, Stdout: &b})
	if err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "=== 00-welcome: Welcome to quire ===\n\n# Welcome to quire\n") || !strings.Contains(out, "CHECK welcome-check FAIL 0/1") {
		t.Errorf("output:\n%s", out)
	}
	if err := Run(context.Background(), []string{"nope"}, notebook.RunOptions{Kernel: fakeFactory, Stdout: &b}); err == nil {
		t.Error("unknown lesson accepted")
	}
	// The embedded lesson is untouched by running it.
	_, nb, _ := Get("00")
	for _, c := range nb.Cells {
		if len(c.Outputs) > 0 {
			t.Fatal("running a lesson changed the embedded notebook")
		}
	}
}

func TestGradeMissingFile(t *testing.T) {
	_, err := Grade(context.Background(), filepath.Join(t.TempDir(), "none.ipynb"), fakeFactory)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}

// TestCheckCellsSelfContained holds every built-in check cell to the rule of AUTHORING.md:
// apart from imported packages and the names its exercises are to define, a check cell uses
// only what it declares itself, so no other cell can change what it measures.
func TestCheckCellsSelfContained(t *testing.T) {
	for _, l := range List() {
		_, nb, err := Get(l.Name)
		if err != nil {
			t.Fatal(err)
		}
		ref := builtinLessons()[l.Name]
		imports := map[string]bool{}
		for _, c := range nb.Cells {
			decls, _, err := cellNames(c.Source)
			if err != nil && c.CellType == notebook.Code {
				t.Errorf("%s: cell %s: %v", l.Name, c.ID, err)
			}
			for _, d := range decls {
				if d.Kind == cell.DeclImport {
					imports[d.Name] = true
				}
			}
		}
		for _, c := range nb.Cells {
			if !grading(c).Grade {
				continue
			}
			_, free, err := cellNames(c.Source)
			if err != nil {
				t.Errorf("%s: check %s: %v", l.Name, c.ID, err)
				continue
			}
			var bad []string
			for n := range free {
				if !imports[n] && !ref.graded[n] {
					bad = append(bad, n)
				}
			}
			sort.Strings(bad)
			if len(bad) > 0 {
				t.Errorf("%s: check cell %s uses %v, declared by other lesson cells: declare them in the check cell (the exercises define only %v)",
					l.Name, c.ID, bad, keys(ref.graded))
			}
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
