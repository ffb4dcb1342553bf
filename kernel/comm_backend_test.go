package kernel_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

// commBackend is the fake backend plus comms: the cell "widget" opens comm w1 (target
// jupyter.widget); the frontend's messages for it, and for target "ctl", are logged and echoed
// with a print in between.
type commBackend struct {
	*fakeBackend
	got chan backend.CommMessage
}

func (b *commBackend) Execute(ctx context.Context, req backend.ExecuteRequest, out backend.Output) backend.ExecuteResult {
	if req.Code != "widget" {
		return b.fakeBackend.Execute(ctx, req, out)
	}
	out.(backend.CommOutput).Comm(backend.CommMessage{Type: backend.CommOpen, CommID: "w1", TargetName: "jupyter.widget",
		Data: map[string]any{"state": map[string]any{"value": 1}}, Metadata: map[string]any{"version": "2.1.0"}})
	out.Display(backend.Display{Data: backend.Bundle{"text/plain": "W"}})
	return backend.ExecuteResult{Status: backend.StatusOK}
}

func (b *commBackend) CommTargets() []string { return []string{"ctl"} }

func (b *commBackend) Comm(_ context.Context, m backend.CommMessage, out backend.Output) {
	b.got <- m
	if m.Type == backend.CommClose {
		return
	}
	time.Sleep(20 * time.Millisecond) // the idle status must still come after what follows
	out.Stream("stdout", "callback\n")
	out.(backend.CommOutput).Comm(backend.CommMessage{Type: backend.CommMsg, CommID: m.CommID, Data: map[string]any{"method": "echo_update"}})
}

func TestBackendComms(t *testing.T) {
	cb := &commBackend{got: make(chan backend.CommMessage, 8)}
	h := startKernel(t, func(c *kernel.Config) {
		cb.fakeBackend = newFakeBackend()
		c.Backend = cb
	})
	ctx := ctxT(t)
	r, err := h.c.Execute(ctx, "widget", nil)
	if err != nil {
		t.Fatal(err)
	}
	var open *kernel.Message
	for _, m := range r.IOPub {
		if m.Type() == "comm_open" {
			open = m
		}
	}
	if open == nil {
		t.Fatalf("no comm_open: %v", r.Types())
	}
	if c := open.ContentMap(); c["comm_id"] != "w1" || c["target_name"] != "jupyter.widget" || open.Metadata["version"] != "2.1.0" {
		t.Errorf("comm_open content %v metadata %v", c, open.Metadata)
	}
	if open.ParentHeader.MsgID != r.IOPub[0].ParentHeader.MsgID {
		t.Errorf("comm_open parent is not the execute_request")
	}
	if got := h.k.OpenComms(); got["w1"] != "jupyter.widget" {
		t.Errorf("open comms %v", got)
	}
	r, err = h.c.Request(ctx, client.Shell, "comm_msg", map[string]any{"comm_id": "w1", "data": map[string]any{"method": "update", "state": map[string]any{"value": 5}}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Types(); !slices.Equal(got, []string{"status", "stream", "comm_msg", "status"}) {
		t.Fatalf("comm_msg iopub %v (the callback's output must come before idle)", got)
	}
	for _, m := range r.IOPub {
		if m.ParentHeader.MsgID != r.IOPub[0].ParentHeader.MsgID {
			t.Errorf("%s has another parent", m.Type())
		}
	}
	m := <-cb.got
	if m.Type != backend.CommMsg || m.CommID != "w1" || m.MsgID != r.IOPub[0].ParentHeader.MsgID || m.Data["method"] != "update" {
		t.Errorf("backend got %+v", m)
	}
	// A target of the backend: comm_open and its messages reach Comm.
	if _, err := h.c.Request(ctx, client.Shell, "comm_open", map[string]any{"comm_id": "c1", "target_name": "ctl", "data": map[string]any{}}, false); err != nil {
		t.Fatal(err)
	}
	if m := <-cb.got; m.Type != backend.CommOpen || m.TargetName != "ctl" || m.CommID != "c1" {
		t.Errorf("backend got %+v", m)
	}
	h.c.Request(ctx, client.Shell, "comm_close", map[string]any{"comm_id": "w1", "data": map[string]any{}}, false)
	if m := <-cb.got; m.Type != backend.CommClose || m.CommID != "w1" {
		t.Errorf("backend got %+v", m)
	}
	if _, ok := h.k.OpenComms()["w1"]; ok {
		t.Error("w1 still open after comm_close")
	}
}
