package client

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
)

func TestStartErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := Start(ctx, nil); err == nil {
		t.Error("empty argv accepted")
	}
	if _, err := Start(ctx, []string{"/nonexistent/quire", "{connection_file}"}); err == nil {
		t.Error("missing binary accepted")
	}
	// A kernel that exits at once is reported promptly, not after ctx ends.
	start := time.Now()
	_, err := Start(ctx, []string{"/bin/sh", "-c", "test -f \"$0\" && exit 3", "{connection_file}"})
	if err == nil || !strings.Contains(err.Error(), "exited during startup") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("exiting kernel: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestReplyHelpers(t *testing.T) {
	msg := func(typ string, content map[string]any) *kernel.Message {
		m := &kernel.Message{Header: kernel.NewHeader(typ, "s", "u")}
		m.SetContent(content)
		return m
	}
	r := &Reply{
		Content: map[string]any{"status": "ok", "execution_count": float64(4)},
		IOPub: []*kernel.Message{
			msg("status", map[string]any{"execution_state": "busy"}),
			msg("stream", map[string]any{"name": "stdout", "text": "a"}),
			msg("stream", map[string]any{"name": "stderr", "text": "x"}),
			msg("stream", map[string]any{"name": "stdout", "text": "b"}),
		},
	}
	if r.Status() != "ok" || r.ExecutionCount() != 4 || r.Stream("stdout") != "ab" || r.Stream("stderr") != "x" {
		t.Errorf("helpers: %s %d %q", r.Status(), r.ExecutionCount(), r.Stream("stdout"))
	}
	if got := strings.Join(r.Types(), ","); got != "status,stream,stream,stream" {
		t.Errorf("types %s", got)
	}
}
