package notebook

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRenderCell(t *testing.T) {
	nb, err := ReadFile("testdata/jupyter.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, c := range nb.Cells {
		if err := Render(&b, c, RenderOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	want := `# Threads — a first look

In [1]:
    import "fmt"

    for i := range 3 {
    	fmt.Println("worker", i, "started")
    }
worker 0 started
worker 1 started
worker 2 started
warning: slow

In [2]:
    report
Out[2]:
model    wall     speedup
threads  2.001 s  3.00x
<image 1x1>

In [3]:
    panic("boom")
panic: boom

goroutine 1 [running]:
	cell 3, line 1

In [ ]:

`
	if got := b.String(); got != want {
		t.Errorf("Render:\n%s\nwant:\n%s\n%s", got, want, firstDiff(got, want))
	}
}

func TestRenderRichOnlyNote(t *testing.T) {
	o := Output{OutputType: DisplayData, Data: MIMEBundle{"image/svg+xml": strings.Repeat("x", 12345)}}
	got := RenderOptions{}.output(&o)
	if got != "[image/svg+xml 12.3 kB: open the notebook to see it]\n" {
		t.Errorf("got %q", got)
	}
	o.Data = MIMEBundle{"text/html": "<p>hi</p>", "image/png": "AAAA"}
	if got := (RenderOptions{}).output(&o); got != "[image/png 4 B, text/html 9 B: open the notebook to see it]\n" {
		t.Errorf("got %q", got)
	}
	o.Data = MIMEBundle{"application/json": map[string]any{"a": 1}, "text/html": "<p>"}
	if got := (RenderOptions{}).output(&o); got != "{\n  \"a\": 1\n}\n" {
		t.Errorf("json: got %q", got)
	}
}

func TestRenderColor(t *testing.T) {
	c := NewCode("x")
	n := 7
	c.ExecutionCount = &n
	c.Outputs = []Output{
		{OutputType: Stream, Name: "stderr", Text: "oops\n"},
		{OutputType: Error, EName: "panic", EValue: "x", Traceback: []string{"\x1b[31mpanic\x1b[0m: x"}},
	}
	var plain, color bytes.Buffer
	Render(&plain, c, RenderOptions{})
	Render(&color, c, RenderOptions{Color: true})
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("plain output has escapes: %q", plain.String())
	}
	for _, want := range []string{"\x1b[2m    x\x1b[0m", "\x1b[31moops\n\x1b[0m", "\x1b[31mpanic\x1b[0m: x", "In [7]:"} {
		if !strings.Contains(color.String(), want) {
			t.Errorf("colour output %q lacks %q", color.String(), want)
		}
	}
	if StripANSI(color.String()) != plain.String() {
		t.Errorf("colour and plain differ beyond escapes:\n%q\n%q", StripANSI(color.String()), plain.String())
	}
}

func TestTerminalOptionsNotATerminal(t *testing.T) {
	var b bytes.Buffer
	if o := TerminalOptions(&b); o.Color || o.Terminal {
		t.Errorf("a buffer is not a terminal: %+v", o)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if o := TerminalOptions(f); o.Color {
		t.Errorf("a regular file is not a terminal: %+v", o)
	}
}

// TestPrinterLive checks that output appears while the cell runs, before it finishes.
func TestPrinterLive(t *testing.T) {
	var b bytes.Buffer
	p := NewPrinter(&b, RenderOptions{})
	sawLive := false
	k := &fakeKernel{script: map[string]fakeCell{
		"work": {msgs: []Msg{stream("stdout", "step 1\n"), display("bar", "0%"), stream("stdout", "partial"), display("", "table"), update("bar", "100%")}},
	}}
	nb := notebookOf("# Lesson\n\ntext", "work")
	err := Execute(context.Background(), nb, k, ExecOptions{OnEvent: func(e Event) {
		p.Event(e)
		if e.Kind == StreamText && e.Text == "step 1\n" {
			sawLive = strings.Contains(b.String(), "step 1\n")
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !sawLive {
		t.Errorf("stream text was not printed as it arrived")
	}
	want := "# Lesson\n\nIn [1]:\n    work\nstep 1\n0%\npartial\ntable\n100%\n\n"
	if got := b.String(); got != want {
		t.Errorf("printed %q\nwant    %q", got, want)
	}
}

func TestPrinterRedrawsInTerminal(t *testing.T) {
	var b bytes.Buffer
	p := NewPrinter(&b, RenderOptions{Terminal: true})
	k := &fakeKernel{script: map[string]fakeCell{
		"bar": {msgs: []Msg{display("bar", "0%"), update("bar", "50%"), update("bar", "100%"), clearOutput(true), display("", "frame")}},
	}}
	if err := Execute(context.Background(), notebookOf("bar"), k, ExecOptions{OnEvent: p.Event}); err != nil {
		t.Fatal(err)
	}
	want := "In [1]:\n    bar\n0%\n" + ansiRedraw + "50%\n" + ansiRedraw + "100%\n" + ansiRedraw + "frame\n\n"
	if got := b.String(); got != want {
		t.Errorf("printed %q\nwant    %q", got, want)
	}
}

// TestRenderHeadingsSkipFences: a "#" line inside fenced code (``` or ~~~, such as a Python
// comment) is not a heading.
func TestRenderHeadingsSkipFences(t *testing.T) {
	c := Cell{CellType: Markdown, Source: "# One\n\n~~~python\n# a comment\n~~~\n\n```go\n# not either\n```\n\n## Two"}
	var b strings.Builder
	if err := Render(&b, c, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "# One\n\n## Two\n\n" {
		t.Errorf("got %q", b.String())
	}
}
