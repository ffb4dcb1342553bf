package lessons

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/quire-go/quire/notebook"
)

func TestRenderMarkdown(t *testing.T) {
	src := "# Title\n\nA **long** paragraph that goes on and on, with [a link](https://example.com) and `code`,\n" +
		"split over lines in the source.\n\n" +
		"~~~python\n# a Python comment, not a heading\nprint('hi')\n~~~\n\n" +
		"- a list item long enough to wrap around the narrow width we ask for here\n- second\n\n" +
		"| a | b |\n|---|---|\n| 1 | 2 |\n<!-- cell -->"
	got := RenderMarkdown(src, 40, false)
	want := "# Title\n\n" +
		"A long paragraph that goes on and on,\nwith a link (https://example.com) and\n`code`, split over lines in the source.\n\n" +
		"  python:\n    # a Python comment, not a heading\n    print('hi')\n\n" +
		"- a list item long enough to wrap around\n  the narrow width we ask for here\n- second\n\n" +
		"| a | b |\n|---|---|\n| 1 | 2 |\n\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, l := range strings.Split(got, "\n") {
		if len(l) > 40 {
			t.Errorf("line longer than 40: %q", l)
		}
	}
	if c := RenderMarkdown("**bold**", 40, true); c != "\x1b[1mbold\x1b[0m\n\n" {
		t.Errorf("colour: %q", c)
	}
}

// TestRunShowsProse: `quire lessons run` prints the prose, the Python reference code and the
// exercise and check cells, not only the headings.
func TestRunShowsProse(t *testing.T) {
	var b bytes.Buffer
	if err := Run(context.Background(), []string{"03"}, notebook.RunOptions{Kernel: fakeFactory, Stdout: &b}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"A process is a running program with its own memory",
		"  python:\n",
		"    if __name__ == \"__main__\":",
		"-- exercise squares: the cell you edit",
		"-- check squares-check (3 points)",
		"    func runSquares() *executors.Report {",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	width := TextWidth()
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "|") && len([]rune(l)) > width {
			t.Errorf("prose line longer than %d: %q", width, l)
		}
	}
}
