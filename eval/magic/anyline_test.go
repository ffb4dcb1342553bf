package magic

import (
	"strings"
	"testing"
)

// A line magic works on any line of a cell where a statement could start, as in IPython; a
// line starting with % inside a raw string stays Go.
func TestLineMagicOnAnyLine(t *testing.T) {
	s, _ := newSup(t, Options{})
	r, out := mustRun(t, s, "x := 21\n%time y := x * 2\ny")
	if !strings.Contains(out.Text("stdout"), "Wall time:") || r.Result == nil || r.Result.Data["text/plain"] != "42" {
		t.Errorf("stdout %q, result %+v", out.Text("stdout"), r.Result)
	}
	r, out = mustRun(t, s, "import \"fmt\"\nfmt.Printf(`\n%d items\n`, 3)")
	if out.Text("stdout") != "\n3 items\n" {
		t.Errorf("raw string with a %% line: stdout %q", out.Text("stdout"))
	}
	_, out = mustRun(t, s, "fmt.Println(\"before\")\n!echo from the shell\nfmt.Println(\"after\")")
	if got := out.Text("stdout"); got != "before\nfrom the shell\nafter\n" {
		t.Errorf("shell line between Go lines: %q", got)
	}
}
