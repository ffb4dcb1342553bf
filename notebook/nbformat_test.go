package notebook

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestJupyterRoundTripIsByteExact(t *testing.T) {
	want, err := os.ReadFile("testdata/jupyter.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	nb, err := Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("round trip differs from what nbformat wrote:\n%s", firstDiff(string(got), string(want)))
	}
	if err := nb.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestParseFields(t *testing.T) {
	nb, err := ReadFile("testdata/jupyter.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if nb.NBFormat != 4 || nb.NBFormatMinor != 5 || len(nb.Cells) != 6 {
		t.Fatalf("nbformat %d.%d with %d cells", nb.NBFormat, nb.NBFormatMinor, len(nb.Cells))
	}
	md := nb.Cells[0]
	if md.CellType != Markdown || md.ID != "cell-00" || !strings.HasPrefix(md.Source, "# Threads — a first look\n\n") || md.Attachments["logo.png"] == nil {
		t.Errorf("markdown cell: %+v", md)
	}
	code := nb.Cells[1]
	if code.ExecutionCount == nil || *code.ExecutionCount != 1 || !strings.HasSuffix(code.Source, "\n}") {
		t.Errorf("code cell: %+v", code)
	}
	if got := code.Outputs[0]; got.OutputType != Stream || got.Name != "stdout" || got.Text != "worker 0 started\nworker 1 started\nworker 2 started\n" {
		t.Errorf("stream output: %+v", got)
	}
	res := nb.Cells[2].Outputs[0]
	if res.OutputType != ExecuteResult || *res.ExecutionCount != 2 || res.Data["text/plain"] != "model    wall     speedup\nthreads  2.001 s  3.00x\n" {
		t.Errorf("execute_result: %+v", res)
	}
	disp := nb.Cells[2].Outputs[1]
	if _, ok := disp.Data["application/json"].(map[string]any); !ok {
		t.Errorf("application/json should stay a JSON object, got %T", disp.Data["application/json"])
	}
	if s, _ := disp.Data["image/png"].(string); !strings.HasSuffix(s, "==\n") {
		t.Errorf("image/png should stay one string, got %q", disp.Data["image/png"])
	}
	e := nb.Cells[3].Outputs[0]
	if e.OutputType != Error || e.EName != "panic" || e.EValue != "boom" || len(e.Traceback) != 4 {
		t.Errorf("error output: %+v", e)
	}
	if nb.Cells[4].Source != "" || nb.Cells[4].ExecutionCount != nil {
		t.Errorf("empty cell: %+v", nb.Cells[4])
	}
}

func TestSourceAsStringOrList(t *testing.T) {
	const doc = `{"cells": [
	 {"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": "a := 1\nb := 2"},
	 {"cell_type": "markdown", "metadata": {}, "source": ["# T\n", "text"]}
	], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}`
	nb, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if nb.Cells[0].Source != "a := 1\nb := 2" || nb.Cells[1].Source != "# T\ntext" {
		t.Fatalf("sources: %q %q", nb.Cells[0].Source, nb.Cells[1].Source)
	}
	if nb.Cells[0].ID != "" {
		t.Errorf("4.4 cell has id %q", nb.Cells[0].ID)
	}
	nb.EnsureIDs()
	if nb.NBFormatMinor != 5 || !ValidCellID(nb.Cells[0].ID) || nb.Cells[0].ID == nb.Cells[1].ID {
		t.Errorf("EnsureIDs: minor %d ids %q %q", nb.NBFormatMinor, nb.Cells[0].ID, nb.Cells[1].ID)
	}
	b, err := Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\"source\": [\n    \"a := 1\\n\",\n    \"b := 2\"\n   ]") {
		t.Errorf("source not written as a list of lines:\n%s", b)
	}
}

func TestParseRejectsNBFormat3(t *testing.T) {
	_, err := Parse([]byte(`{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}`))
	if err == nil || !strings.Contains(err.Error(), "nbconvert") {
		t.Fatalf("err = %v", err)
	}
}

func TestSplitLinesMatchesPython(t *testing.T) {
	cases := map[string][]string{
		"":            {},
		"a":           {"a"},
		"a\n":         {"a\n"},
		"a\nb":        {"a\n", "b"},
		"a\r\nb\rc":   {"a\r\n", "b\r", "c"},
		"x\u2028y":    {"x\u2028", "y"},
		"\n\n":        {"\n", "\n"},
		"tab\there\f": {"tab\there\f"},
	}
	for in, want := range cases {
		if got := splitLines(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitLines(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStripOutputsAndValidate(t *testing.T) {
	nb, err := ReadFile("testdata/jupyter.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	nb.StripOutputs()
	for _, c := range nb.Cells {
		if len(c.Outputs) != 0 || c.ExecutionCount != nil {
			t.Fatalf("cell %s still has outputs", c.ID)
		}
	}
	b, _ := Marshal(nb)
	if !strings.Contains(string(b), `"outputs": []`) || !strings.Contains(string(b), `"execution_count": null`) {
		t.Errorf("stripped code cells should keep outputs [] and execution_count null")
	}
	nb.Cells[1].ID = nb.Cells[0].ID
	nb.Cells[2].ID = "bad id!"
	err = nb.Validate()
	if err == nil || !strings.Contains(err.Error(), "already used") || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("Validate = %v", err)
	}
}

// TestNBFormatAcceptsOurOutput asks Debian's nbformat (when installed) to validate a notebook
// we wrote, and checks it writes the same bytes back.
func TestNBFormatAcceptsOurOutput(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import nbformat").Run(); err != nil {
		t.Skip("Debian's python3-nbformat is not installed")
	}
	nb := New()
	nb.Metadata["kernelspec"] = map[string]any{"name": "quire", "display_name": "Go (quire)", "language": "go"}
	nb.Cells = append(nb.Cells, NewMarkdown("# Title\n\nÜnïcödé <b>&</b> \"quotes\" \\ back\u2028slash"), NewCode("x := 1\nx"))
	n := 1
	nb.Cells[1].ExecutionCount = &n
	nb.Cells[1].Outputs = []Output{
		{OutputType: Stream, Name: "stdout", Text: "a\r\nb\tc\x01\n"},
		{OutputType: ExecuteResult, ExecutionCount: &n, Data: MIMEBundle{"text/plain": "1", "application/json": map[string]any{"v": 1.5, "big": 1e20}}, Metadata: map[string]any{}},
	}
	path := filepath.Join(t.TempDir(), "ours.ipynb")
	if err := WriteFile(path, nb); err != nil {
		t.Fatal(err)
	}
	script := `import nbformat, sys, io
nb = nbformat.read(sys.argv[1], as_version=4)
nbformat.validate(nb)
buf = io.StringIO()
nbformat.write(nb, buf)
s = buf.getvalue()
if not s.endswith("\n"): s += "\n"
sys.stdout.write(s)`
	out, err := exec.Command(py, "-c", script, path).Output()
	if err != nil {
		t.Fatalf("nbformat rejected our notebook: %v", err)
	}
	ours, _ := os.ReadFile(path)
	if !bytes.Equal(out, ours) {
		t.Errorf("nbformat writes it differently:\n%s", firstDiff(string(ours), string(out)))
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + x + "\nwant: " + y
		}
	}
	return "(no line differs)"
}
