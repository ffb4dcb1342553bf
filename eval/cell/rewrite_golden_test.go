package cell

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/quire-go/quire/internal/golden"
)

// update rewrites the plan sections of testdata/rewrite with what Build gives now. The plans
// are the rewriter's own output, so updating them is how a deliberate change of the rewriter
// is recorded: run `go test ./eval/cell -run TestRewriteGolden -update` and review the diff.
// It never touches the out, shown, suppress, error and build error sections: those are what
// the cells must do, and a change there is a bug, not a new golden value.
var update = flag.Bool("update", false, "rewrite the plan sections of testdata/rewrite with Build's current output")

const rewriteDir = "testdata/rewrite"

// TestRewriteGolden runs the golden files of testdata/rewrite, one t.Run each. A file is cells
// run in order in one session (newSession), each followed by what it must do:
//
//   - known: lines "import NAME PATH", "generic NAME", "var NAME", "int NAME", "func NAME",
//     "type NAME", added to the session's Known before the next cell (for cells that only Build);
//   - cell: a cell (the format's final newline is not part of it: a cell that ends with a
//     newline is written with a blank line after it);
//   - out: exactly what the cell prints (stdout and stderr); absent: not checked;
//   - shown: exactly the value the cell shows, without the format's final newline ("" when the
//     section is empty); absent: not checked;
//   - suppress: "true" or "false", the plan's Suppress;
//   - error: the cell must fail (Build or evaluation) with an error containing this line;
//   - build error: "LINE:COL MESSAGE": Build must fail with an *Error at LINE:COL whose message
//     contains MESSAGE, and whose Error() names the cell ("cellN.go:");
//   - plan: the plan Build made (printPlan), compared exactly; -update rewrites it.
func TestRewriteGolden(t *testing.T) {
	paths, err := golden.Files(rewriteDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		t.Run(golden.Name(path), func(t *testing.T) { runRewriteFile(t, path) })
	}
}

func runRewriteFile(t *testing.T, path string) {
	f, err := golden.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(t)
	var (
		r       result
		runErr  error
		ran     bool // a cell has run
		changed bool // a plan section was rewritten
	)
	for i := range f.Sections {
		sec := &f.Sections[i]
		if sec.Name != "cell" && sec.Name != "known" && !ran {
			t.Fatalf("%s: section %q before any cell", path, sec.Name)
		}
		want := golden.TrimNewline(sec.Text)
		switch sec.Name {
		case "known":
			addKnown(t, &s.known, want)
		case "cell":
			r, runErr = s.run(want)
			ran = true
			if runErr != nil && !nextIs(f.Sections[i+1:], "error", "build error") {
				t.Fatalf("cell %d failed: %v\n--- cell:\n%s\n--- output:\n%s", s.n, runErr, want, r.out)
			}
		case "out":
			if r.out != sec.Text {
				t.Errorf("cell %d: out %q, want %q", s.n, r.out, sec.Text)
			}
		case "shown":
			if r.shown != want {
				t.Errorf("cell %d: shown %q, want %q", s.n, r.shown, want)
			}
		case "suppress":
			if r.plan == nil || strconv.FormatBool(r.plan.Suppress) != want {
				t.Errorf("cell %d: suppress %v, want %s", s.n, r.plan != nil && r.plan.Suppress, want)
			}
		case "error":
			if runErr == nil || !strings.Contains(runErr.Error(), want) {
				t.Errorf("cell %d: error %v, want one containing %q", s.n, runErr, want)
			}
		case "build error":
			checkBuildError(t, s.n, runErr, want)
		case "plan":
			if r.plan == nil {
				t.Fatalf("cell %d: a plan section, but Build failed: %v", s.n, runErr)
			}
			got := printPlan(r.plan)
			if got == sec.Text {
				continue
			}
			if *update {
				sec.Text, changed = got, true
				continue
			}
			t.Errorf("cell %d: plan (run with -update if the change is meant):\n--- got\n%s--- want\n%s", s.n, got, sec.Text)
		default:
			t.Fatalf("%s: unknown section %q", path, sec.Name)
		}
	}
	if changed {
		b, err := f.Format()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", path)
	}
}

// nextIs reports whether a section called one of names follows before the next cell.
func nextIs(rest []golden.Section, names ...string) bool {
	for _, sec := range rest {
		if sec.Name == "cell" {
			return false
		}
		for _, n := range names {
			if sec.Name == n {
				return true
			}
		}
	}
	return false
}

func addKnown(t *testing.T, k *Known, text string) {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "import":
			k.Imports[f[1]] = f[2]
		case len(f) == 2 && f[0] == "generic":
			k.Generics[f[1]] = true
		case len(f) == 2 && f[0] == "func":
			k.Funcs[f[1]] = true
		case len(f) == 2 && f[0] == "type":
			k.Types[f[1]] = true
		case len(f) == 2 && f[0] == "var":
			k.Vars[f[1]] = true
		case len(f) == 2 && f[0] == "int":
			k.Ints[f[1]] = true
		default:
			t.Fatalf("known: cannot read %q", line)
		}
	}
}

func checkBuildError(t *testing.T, n int, err error, want string) {
	t.Helper()
	pos, msg, _ := strings.Cut(want, " ")
	ls, cs, _ := strings.Cut(pos, ":")
	line, err1 := strconv.Atoi(ls)
	col, err2 := strconv.Atoi(cs)
	if err1 != nil || err2 != nil {
		t.Fatalf("build error %q: want \"LINE:COL MESSAGE\"", want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("cell %d: error %v, want a Build *Error", n, err)
	}
	if e.Line != line || e.Col != col || !strings.Contains(e.Msg, msg) {
		t.Errorf("cell %d: Build error %v (line %d col %d), want %d:%d containing %q", n, e, e.Line, e.Col, line, col, msg)
	}
	if prefix := fmt.Sprintf("cell%d.go:", n); !strings.HasPrefix(e.Error(), prefix) {
		t.Errorf("error %q does not name the cell (%s)", e.Error(), prefix)
	}
}

// printPlan prints what a plan says: each segment's kind, position and declarations, then its
// source exactly (a newline added if it has none); the trailing expression; the hints. It prints these Decl fields only (not Src, which
// repeats the segment's source, nor Uses), so adding a field does not change every plan.
func printPlan(p *Plan) string {
	var b strings.Builder
	for _, seg := range p.Segments {
		fmt.Fprintf(&b, "## %v at %d:%d\n", seg.Kind, seg.Line, seg.Col)
		for _, d := range seg.Defines {
			fmt.Fprintf(&b, "## defines %s %s", d.Kind, d.Name)
			if d.Path != "" {
				fmt.Fprintf(&b, " path=%s", d.Path)
			}
			for _, fl := range []struct {
				on   bool
				name string
			}{{d.Generic, "generic"}, {d.Int, "int"}, {d.Redefines, "redefines"}} {
				if fl.on {
					b.WriteString(" " + fl.name)
				}
			}
			if d.Iter != 0 {
				fmt.Fprintf(&b, " iter=%d", d.Iter)
			}
			if d.Yields != 0 {
				fmt.Fprintf(&b, " yields=%d", d.Yields)
			}
			b.WriteString("\n")
		}
		b.WriteString(seg.Src)
		if !strings.HasSuffix(seg.Src, "\n") {
			b.WriteString("\n")
		}
	}
	if p.Trailing != "" {
		fmt.Fprintf(&b, "## trailing at %d:%d suppress=%v\n%s\n", p.TrailingLine, p.TrailingCol, p.Suppress, p.Trailing)
	}
	if p.NeedsHelpers {
		b.WriteString("## needs helpers\n")
	}
	for _, h := range p.Hints {
		fmt.Fprintf(&b, "## hint at %d:%d: %s\n", h.Line, h.Col, h.Msg)
	}
	return b.String()
}
