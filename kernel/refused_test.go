package kernel_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

// rawFrames signs the given JSON frames of a request from c (header nil: a fresh one of msgType).
func rawFrames(c *client.Client, codec *kernel.Codec, msgType string, metadata, content []byte) (string, [][]byte) {
	m := c.NewMessage(msgType, map[string]any{})
	header, _ := json.Marshal(m.Header)
	parent := []byte("{}")
	return m.Header.MsgID, [][]byte{kernel.Delimiter, codec.Sign(header, parent, metadata, content), header, parent, metadata, content}
}

// replyTo reads unmatched messages of ch until one answers id; nil after wait.
func replyTo(c *client.Client, ch client.Channel, id string, wait time.Duration) *kernel.Message {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		m, err := c.Recv(ctx, ch)
		if err != nil {
			return nil
		}
		if m.ParentHeader.MsgID == id {
			return m
		}
	}
}

// A signed request whose header is readable but whose other frames are malformed, or which is
// over the size cap, gets an error reply (a frontend would otherwise wait for ever); a replay
// of it, or one with a bad signature, gets nothing.
func TestRefusedRequestsAnswered(t *testing.T) {
	h := startKernel(t, func(c *kernel.Config) { c.MaxMessageBytes = 64 << 10 })
	codec := h.c.Codec()
	send := func(ch client.Channel, frames [][]byte) {
		t.Helper()
		if err := h.c.SendFrames(ch, frames); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, msgType string
		ch            client.Channel
		metadata      string
		content       string
		ename         string
	}{
		{"content not JSON", "execute_request", client.Shell, "{}", `{"code": "print x`, "BadRequest"},
		{"content an array", "complete_request", client.Shell, "{}", `[1]`, "BadRequest"},
		{"metadata an array", "kernel_info_request", client.Control, "[]", `{}`, "BadRequest"},
		{"over the cap", "execute_request", client.Shell, "{}", `{"code": "print ` + strings.Repeat("x", 100<<10) + `"}`, "MessageTooLarge"},
	}
	for _, c := range cases {
		id, frames := rawFrames(h.c, codec, c.msgType, []byte(c.metadata), []byte(c.content))
		send(c.ch, frames)
		m := replyTo(h.c, c.ch, id, 10*time.Second)
		if m == nil {
			t.Errorf("%s: no reply", c.name)
			continue
		}
		want := strings.TrimSuffix(c.msgType, "_request") + "_reply"
		if got := m.ContentMap(); m.Type() != want || got["status"] != "error" || got["ename"] != c.ename {
			t.Errorf("%s: reply %s %v, want %s error %s", c.name, m.Type(), got, want, c.ename)
		}
		// The same frames again: a replay, refused without a reply.
		send(c.ch, frames)
		if m := replyTo(h.c, c.ch, id, 300*time.Millisecond); m != nil {
			t.Errorf("%s: replay answered: %v", c.name, m.ContentMap())
		}
	}
	// Bad signature, malformed content: no reply.
	wrong := kernel.NewCodec([]byte("not-the-key"), 0, 0)
	id, frames := rawFrames(h.c, wrong, "execute_request", []byte("{}"), []byte("[1]"))
	send(client.Shell, frames)
	if m := replyTo(h.c, client.Shell, id, 300*time.Millisecond); m != nil {
		t.Errorf("badly signed malformed request answered: %v", m.ContentMap())
	}
	// Not a request: no reply.
	id, frames = rawFrames(h.c, codec, "comm_msg", []byte("{}"), []byte("[1]"))
	send(client.Shell, frames)
	if m := replyTo(h.c, client.Shell, id, 300*time.Millisecond); m != nil {
		t.Errorf("malformed comm_msg answered: %v", m.ContentMap())
	}
	syncShell(t, h)
	if codes := h.be.Codes(); !slices.Equal(codes, []string{"print sync"}) {
		t.Errorf("backend ran %q", codes)
	}
	s := h.k.Stats()
	// The oversized message's replay is refused by size before its signature is looked at.
	if s.Malformed != 4 || s.TooLarge != 2 || s.Replayed != 3 || s.BadSignature != 1 {
		t.Errorf("stats %+v: want 4 malformed, 2 too large, 3 replayed, 1 bad signature", s)
	}
}

// A shutdown_request whose content does not decode is answered with an error and does not shut
// the kernel down.
func TestShutdownBadContent(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	r, err := h.c.Request(ctx, client.Control, "shutdown_request", map[string]any{"restart": "yes"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != "error" || r.Content["ename"] != "BadRequest" {
		t.Errorf("reply %v, want a BadRequest error", r.Content)
	}
	select {
	case <-h.k.Done():
		t.Fatal("the kernel shut down")
	case <-time.After(100 * time.Millisecond):
	}
	if _, err := h.c.KernelInfo(ctx); err != nil {
		t.Fatal(err)
	}
}
