package kernel_test

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/quire-go/quire/kernel"
)

// The stream text of one request is capped by MaxStreamBytes: the notebook gets the first
// MaxStreamBytes bytes, a notice when the cap is reached and the count of dropped bytes when
// the cell ends; the next request starts with a fresh budget.
func TestStreamTruncated(t *testing.T) {
	h := startKernel(t, func(c *kernel.Config) { c.MaxStreamBytes = 100 })
	r, err := h.c.Execute(ctxT(t), "lines 1000", nil)
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for i := range 1000 {
		all.WriteString("line " + strconv.Itoa(i) + "\n")
	}
	if out := r.Stream("stdout"); out != all.String()[:100] {
		t.Errorf("stdout %q, want the first 100 bytes", out)
	}
	errText := r.Stream("stderr")
	dropped := strconv.Itoa(all.Len()-100) + " bytes dropped"
	if !strings.Contains(errText, "output truncated: this cell printed more than 100 bytes") || !strings.HasSuffix(errText, dropped+"]\n") {
		t.Errorf("stderr %q lacks the notices (want %q)", errText, dropped)
	}
	if r.Status() != "ok" {
		t.Errorf("status %q", r.Status())
	}
	// A fresh budget for the next request.
	r, err = h.c.Execute(ctxT(t), "print hello", nil)
	if err != nil || r.Stream("stdout") != "hello\n" || r.Stream("stderr") != "" {
		t.Fatalf("next request: %v %q %q", err, r.Stream("stdout"), r.Stream("stderr"))
	}
}

// The cut never splits a UTF-8 sequence.
func TestStreamTruncatedAtRune(t *testing.T) {
	h := startKernel(t, func(c *kernel.Config) { c.MaxStreamBytes = 5 })
	r, err := h.c.Execute(ctxT(t), "print éééé", nil)
	if err != nil {
		t.Fatal(err)
	}
	if out := r.Stream("stdout"); out != "éé" || !utf8.ValidString(out) {
		t.Errorf("stdout %q, want %q", out, "éé")
	}
	if !strings.Contains(r.Stream("stderr"), "5 bytes dropped") {
		t.Errorf("stderr %q", r.Stream("stderr"))
	}
}

// A negative MaxStreamBytes publishes everything.
func TestStreamUncapped(t *testing.T) {
	h := startKernel(t, func(c *kernel.Config) { c.MaxStreamBytes = -1 })
	r, err := h.c.Execute(ctxT(t), "lines 20000", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(r.Stream("stdout"), "\n"); n != 20000 || r.Stream("stderr") != "" {
		t.Errorf("%d lines, stderr %q", n, r.Stream("stderr"))
	}
}
