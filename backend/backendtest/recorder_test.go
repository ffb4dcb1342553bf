package backendtest

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
)

func TestRecorder(t *testing.T) {
	var r Recorder
	r.Stream("stdout", "a")
	r.Display(backend.Display{Data: map[string]any{"text/plain": "d"}})
	r.Stream("stderr", "e")
	r.ClearOutput(true)
	r.Stream("stdout", "b")
	if got := r.Stdout() + "|" + r.Stderr(); got != "ab|e" {
		t.Errorf("streams %q", got)
	}
	if ds := r.Displays(); len(ds) != 1 || ds[0].Data["text/plain"] != "d" {
		t.Errorf("displays %+v", ds)
	}
	if es := r.Events(); len(es) != 5 || es[3].Kind != ClearEvent || !es[3].Wait {
		t.Errorf("events %+v", es)
	}
	if _, err := r.Input(context.Background(), "? ", false); !errors.Is(err, backend.ErrNoStdin) {
		t.Errorf("Input without Inputs: %v", err)
	}
}

func TestRecorderInputs(t *testing.T) {
	r := Recorder{Inputs: []string{"x"}}
	for i, want := range []struct {
		text string
		err  error
	}{{"x", nil}, {"", io.EOF}} {
		got, err := r.Input(context.Background(), "p: ", i == 1)
		if got != want.text || !errors.Is(err, want.err) {
			t.Errorf("read %d: %q, %v", i, got, err)
		}
	}
	if p, pw := r.Prompts(); len(p) != 2 || p[1] != "p: " || pw[0] || !pw[1] {
		t.Errorf("prompts %q %v", p, pw)
	}
}

func TestRecorderWaitFor(t *testing.T) {
	var r Recorder
	go func() {
		for _, s := range []string{"a", "b", "c"} {
			r.Stream("stdout", s)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, func(r *Recorder) bool { return r.Stdout() == "abc" }); err != nil {
		t.Fatalf("WaitFor: %v (stdout %q)", err, r.Stdout())
	}
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if err := r.WaitFor(short, func(r *Recorder) bool { return false }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor that cannot succeed: %v", err)
	}
}

func TestRecorderWaitText(t *testing.T) {
	var r Recorder
	go func() {
		r.Stream("stdout", "run")
		r.Stream("stderr", "ning\n")
		r.Stream("stderr", "ready\n")
	}()
	if err := r.WaitText(10*time.Second, "ready"); err != nil {
		t.Fatal(err)
	}
	if err := r.WaitText(10*time.Millisecond, "never"); err == nil {
		t.Fatal("WaitText of text that never comes returned nil")
	}
}
