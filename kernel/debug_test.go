package kernel_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

// debugBackend is the fake backend with a debugger: "block" requests close blocked (once)
// and wait until release is closed; every request emits an "output" event and is answered with
// its command.
type debugBackend struct {
	*fakeBackend
	release chan struct{}
	blocked chan struct{}
	once    sync.Once
}

func (d *debugBackend) DebugRequest(ctx context.Context, req map[string]any, emit func(map[string]any)) map[string]any {
	if req["command"] == "block" {
		d.once.Do(func() { close(d.blocked) })
		select {
		case <-d.release:
		case <-ctx.Done():
		}
	}
	emit(map[string]any{"type": "event", "event": "output", "body": map[string]any{"output": "for " + req["command"].(string)}})
	return map[string]any{"type": "response", "request_seq": req["seq"], "command": req["command"], "success": true, "body": map[string]any{}}
}

var _ backend.Debugger = (*debugBackend)(nil)

// TestDebugRequest: with a backend that implements backend.Debugger, kernel_info says
// "debugger": true, debug_request on control gets the backend's DAP response as debug_reply and
// its events as debug_event on iopub; a debug request that waits in the backend holds up
// neither interrupt_request nor kernel_info on the control channel.
func TestDebugRequest(t *testing.T) {
	db := &debugBackend{release: make(chan struct{}), blocked: make(chan struct{})}
	h := startKernel(t, func(c *kernel.Config) {
		db.fakeBackend = c.Backend.(*fakeBackend)
		c.Backend = db
	})
	ctx := ctxT(t)
	ki, err := h.c.Request(ctx, client.Control, "kernel_info_request", map[string]any{}, true)
	if err != nil || ki.Content["debugger"] != true {
		t.Fatalf("kernel_info: %v %v", err, ki.Content["debugger"])
	}
	r, err := h.c.Request(ctx, client.Control, "debug_request", map[string]any{"seq": 1, "type": "request", "command": "debugInfo"}, true)
	if err != nil || r.Msg.Type() != "debug_reply" || r.Content["success"] != true || r.Content["command"] != "debugInfo" {
		t.Fatalf("debug_reply: %v %v", err, r)
	}
	found := false
	for _, m := range r.IOPub {
		if m.Type() == "debug_event" && m.ContentMap()["event"] == "output" {
			found = true
		}
	}
	if !found {
		t.Errorf("no debug_event among %v", r.Types())
	}
	done := make(chan error, 1)
	go func() {
		_, err := h.c.Request(ctx, client.Control, "debug_request", map[string]any{"seq": 2, "type": "request", "command": "block"}, true)
		done <- err
	}()
	select {
	case <-db.blocked:
	case <-time.After(20 * time.Second):
		t.Fatal("the block debug request did not reach the backend")
	}
	t0 := time.Now()
	if _, err := h.c.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.Request(ctx, client.Control, "kernel_info_request", map[string]any{}, true); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("interrupt and kernel_info behind a blocked debug request took %v", d)
	}
	close(db.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
