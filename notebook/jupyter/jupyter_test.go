package jupyter_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/notebook"
	"github.com/quire-go/quire/notebook/jupyter/jupytertest"
)

func code(nb *notebook.Notebook, src string) {
	nb.Cells = append(nb.Cells, notebook.NewCode(src))
}

// TestRunThroughRealKernel runs a notebook through `quire kernel` over ZeroMQ.
func TestRunThroughRealKernel(t *testing.T) {
	factory := jupytertest.Factory(t)
	nb := notebook.New()
	nb.Metadata["kernelspec"] = map[string]any{"name": "quire", "display_name": "Go (quire)", "language": "go"}
	nb.Cells = append(nb.Cells, notebook.NewMarkdown("# End to end"))
	code(nb, "import (\"fmt\"; \"os\")\nfmt.Println(\"hello\")\nfmt.Print(\"a\")\nfmt.Println(\"b\")\nfmt.Fprintln(os.Stderr, \"careful\")")
	code(nb, "x := 6 * 7\nx")
	code(nb, "import \"github.com/quire-go/quire/display\"\nh := display.New()\nh.Show(\"0%\")\nh.Update(\"100%\")")
	code(nb, "panic(\"boom\")")
	code(nb, "fmt.Println(\"after the error\", x)")
	path := filepath.Join(t.TempDir(), "e2e.ipynb")
	if err := notebook.WriteFile(path, nb); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := notebook.Run(ctx, path, notebook.RunOptions{InPlace: true, Kernel: factory, Stdout: &out, AllowErrors: true, Timeout: time.Minute})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	got, err := notebook.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := got.Cells
	// The kernel may publish stderr and stdout in either order; each is merged into one output.
	streams := map[string]string{}
	for _, o := range c[1].Outputs {
		streams[o.Name] += o.Text
	}
	if len(c[1].Outputs) != 2 || streams["stdout"] != "hello\nab\n" || streams["stderr"] != "careful\n" {
		t.Errorf("streams: %+v", c[1].Outputs)
	}
	if o := c[2].Outputs; len(o) != 1 || o[0].OutputType != notebook.ExecuteResult || o[0].Data["text/plain"] != "42" || *o[0].ExecutionCount != 2 {
		t.Errorf("execute_result: %+v", o)
	}
	if o := c[3].Outputs; len(o) != 1 || !strings.Contains(o[0].PlainText(), "100%") {
		t.Errorf("updated display: %+v", o)
	}
	if o := c[4].Outputs; len(o) != 1 || o[0].OutputType != notebook.Error || !strings.Contains(o[0].EValue, "boom") {
		t.Errorf("error: %+v", o)
	}
	if o := c[5].Outputs; len(o) != 1 || o[0].Text != "after the error 42\n" {
		t.Errorf("cell after the error: %+v", o)
	}
	if li, _ := got.Metadata["language_info"].(map[string]any); li["name"] != "go" {
		t.Errorf("language_info: %v", got.Metadata["language_info"])
	}
	printed := out.String()
	for _, want := range []string{"# End to end\n", "In [1]:\n", "hello\nab\n", "Out[2]: 42\n", "In [4]:\n", "boom"} {
		if !strings.Contains(printed, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, printed)
		}
	}
}

func TestStopsAtErrorAndTimesOut(t *testing.T) {
	factory := jupytertest.Factory(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	k, err := factory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer k.(interface{ Close() error }).Close()

	nb := notebook.New()
	code(nb, "import \"time\"\ntime.Sleep(time.Minute)")
	code(nb, "n := 1\nn")
	err = notebook.Execute(ctx, nb, k, notebook.ExecOptions{Timeout: 2 * time.Second, AllowErrors: true})
	if err != nil {
		t.Fatalf("Execute: %v", err)
	}
	if o := nb.Cells[0].Outputs; len(o) == 0 || o[len(o)-1].EName != "CellTimeoutError" {
		t.Errorf("timed-out cell: %+v", o)
	}
	if o := nb.Cells[1].Outputs; len(o) != 1 || o[0].Data["text/plain"] != "1" {
		t.Errorf("the kernel should be usable after the interrupt: %+v", o)
	}

	nb = notebook.New()
	code(nb, "var m map[string]int\nm[\"x\"] = 1")
	code(nb, "fmt.Println(\"unreachable\")")
	err = notebook.Execute(ctx, nb, k, notebook.ExecOptions{})
	var ce *notebook.CellError
	if !errors.As(err, &ce) || ce.Index != 0 {
		t.Fatalf("err = %v", err)
	}
	if nb.Cells[1].ExecutionCount != nil {
		t.Errorf("the cell after the error ran")
	}
}
