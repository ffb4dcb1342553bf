package notebook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type closingKernel struct {
	*fakeKernel
	closed *int
}

func (k closingKernel) Close() error { *k.closed++; return nil }

func (k closingKernel) LanguageInfo() map[string]any {
	return map[string]any{"name": "go", "version": "go1.26"}
}

func writeNotebook(t *testing.T, sources ...string) string {
	t.Helper()
	nb := notebookOf(sources...)
	nb.NBFormatMinor = 4
	for i := range nb.Cells {
		nb.Cells[i].ID = ""
	}
	path := filepath.Join(t.TempDir(), "in.ipynb")
	if err := WriteFile(path, nb); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunWritesExecutedNotebook(t *testing.T) {
	path := writeNotebook(t, "# Run me", "hello")
	before, _ := os.ReadFile(path)
	closed := 0
	factory := func(context.Context) (Kernel, error) {
		return closingKernel{&fakeKernel{script: map[string]fakeCell{"hello": {msgs: []Msg{stream("stdout", "hi\n")}}}}, &closed}, nil
	}
	var out bytes.Buffer
	dst := filepath.Join(t.TempDir(), "out.ipynb")
	err := Run(context.Background(), path, RunOptions{Out: dst, Kernel: factory, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if closed != 1 {
		t.Errorf("kernel closed %d times", closed)
	}
	if got := out.String(); got != "# Run me\n\nIn [1]:\n    hello\nhi\n\n" {
		t.Errorf("printed %q", got)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("--out must leave the input alone")
	}
	nb, err := ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if err := nb.Validate(); err != nil {
		t.Errorf("executed notebook: %v", err)
	}
	if nb.Cells[1].Outputs[0].Text != "hi\n" || nb.Metadata["language_info"] == nil {
		t.Errorf("executed notebook: %+v %v", nb.Cells[1], nb.Metadata)
	}
}

func TestRunInPlaceKeepsPartialResultOnError(t *testing.T) {
	path := writeNotebook(t, "ok", "bad", "never")
	factory := func(context.Context) (Kernel, error) {
		return &fakeKernel{script: map[string]fakeCell{"bad": {msgs: []Msg{errMsg("panic", "boom")}, status: "error"}}}, nil
	}
	err := Run(context.Background(), path, RunOptions{InPlace: true, Kernel: factory, Stdout: io.Discard})
	var ce *CellError
	if !errors.As(err, &ce) || ce.Index != 1 {
		t.Fatalf("err = %v", err)
	}
	nb, rerr := ReadFile(path)
	if rerr != nil {
		t.Fatal(rerr)
	}
	if nb.Cells[1].Outputs[0].EName != "panic" || nb.Cells[2].ExecutionCount != nil {
		t.Errorf("in-place notebook: %+v", nb.Cells)
	}
}

func TestRunOptionErrors(t *testing.T) {
	path := writeNotebook(t, "x")
	if err := Run(context.Background(), path, RunOptions{Out: "a", InPlace: true}); err == nil {
		t.Error("--out with --inplace accepted")
	}
	if err := Run(context.Background(), path, RunOptions{Stdout: io.Discard}); err == nil || !strings.Contains(err.Error(), "no kernel") {
		t.Errorf("missing kernel: %v", err)
	}
	boom := func(context.Context) (Kernel, error) { return nil, errors.New("no such binary") }
	if err := Run(context.Background(), path, RunOptions{Kernel: boom, Stdout: io.Discard}); err == nil || !strings.Contains(err.Error(), "no such binary") {
		t.Errorf("factory error: %v", err)
	}
	if err := Run(context.Background(), filepath.Join(t.TempDir(), "missing.ipynb"), RunOptions{Kernel: boom}); err == nil {
		t.Error("missing file accepted")
	}
}
