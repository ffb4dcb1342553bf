package kernel

import (
	"context"

	"github.com/quire-go/quire/backend"
)

// Comms of the backend (widgets, see backend.Commer): the backend opens them through the
// Output of a request (output.Comm), and the frontend's messages for them, as for the targets
// the backend serves, go back to Backend.Comm. All comm messages are handled on their own lane
// (laneComm): one at a time, in order, so a backend that waits for a running cell before it
// handles a widget's message holds up neither kernel_info nor comm_info.

// backendComm is the CommHandler of a comm the backend owns; the kernel calls the backend
// itself (deliverBackend) rather than these methods, which need the request.
type backendComm struct{}

func (backendComm) Msg(*Comm, map[string]any, [][]byte) {}
func (backendComm) Close(*Comm, map[string]any)         {}

// backendTarget returns a CommTarget for name when the backend serves that target. It asks
// the backend when a frontend opens a comm (not when the kernel is made: a backend may not be
// ready then).
func (k *Kernel) backendTarget(name string) CommTarget {
	cb, ok := k.be.(backend.Commer)
	if !ok {
		return nil
	}
	for _, t := range cb.CommTargets() {
		if t == name {
			return func(*Comm, map[string]any, [][]byte) (CommHandler, error) { return backendComm{}, nil }
		}
	}
	return nil
}

// deliverBackend hands a frontend comm message for a backend comm to the backend, with an
// Output bound to the message.
func (k *Kernel) deliverBackend(ctx context.Context, r *request, typ string, c commContent) {
	cb, ok := k.be.(backend.Commer)
	if !ok {
		return
	}
	m := backend.CommMessage{Type: typ, CommID: c.CommID, TargetName: c.TargetName, Data: nonNilMap(c.Data),
		Metadata: r.msg.Metadata, Buffers: r.msg.Buffers, MsgID: r.msg.Header.MsgID}
	out := &output{k: k, req: r.msg}
	func() {
		defer func() {
			if p := recover(); p != nil {
				k.stats.panics.Add(1)
				k.log.Error("backend Comm panicked", "msg_type", typ, "panic", p)
			}
		}()
		cb.Comm(ctx, m, out)
	}()
	out.finish()
	k.iopub.flush()
}

var _ backend.CommOutput = (*output)(nil)

// Comm publishes a comm message of the backend with the output's request as parent, and
// registers (comm_open) or forgets (comm_close) the comm.
func (o *output) Comm(m backend.CommMessage) {
	content := map[string]any{"comm_id": m.CommID, "data": nonNilMap(m.Data)}
	switch m.Type {
	case backend.CommOpen:
		content["target_name"] = m.TargetName
		o.k.comms.add(&Comm{ID: m.CommID, Target: m.TargetName, k: o.k, handler: backendComm{}, parent: o.req})
	case backend.CommClose:
		o.k.comms.remove(m.CommID)
	case backend.CommMsg:
	default:
		o.k.log.Warn("backend sent an unknown comm message type", "type", m.Type)
		return
	}
	o.k.iopub.publish(o.req, m.Type, content, m.Metadata, m.Buffers)
}

// enqueueComm runs a comm request on the comm lane.
func (k *Kernel) enqueueComm(r *request, h handler) {
	k.commOnce.Do(func() {
		k.commQ = make(chan func(), 256)
		go func() {
			for {
				select {
				case run := <-k.commQ:
					run()
				case <-k.stopCh:
					return
				}
			}
		}()
	})
	select {
	case k.commQ <- func() { k.handle(k.runCtx, r, h) }:
	case <-k.stopCh:
	}
}

const (
	backendCommOpen  = backend.CommOpen
	backendCommMsg   = backend.CommMsg
	backendCommClose = backend.CommClose
)
