package kernel

import (
	"context"
	"sync"

	"github.com/quire-go/quire/backend"
)

// The Jupyter debug protocol: debug_request on the control channel (JupyterLab sends it
// there; the shell channel is served too), answered by debug_reply on the channel it came
// from, and debug_event on iopub. The kernel only carries the Debug Adapter Protocol
// messages: a backend that implements backend.Debugger speaks it (package eval does).
//
// Debug requests are answered in arrival order on a goroutine of their own, not on the
// control channel's reader: a request that waits for the backend (the variables of a stopped
// goroutine, from the worker process) never holds up interrupt_request or shutdown_request.

// debugLane runs debug requests in order, off the control reader.
type debugLane struct {
	once sync.Once
	ch   chan func()
}

func (k *Kernel) debugQueue(r *request, h handler) {
	k.dbgLane.once.Do(func() {
		k.dbgLane.ch = make(chan func(), 64)
		go func() {
			for {
				select {
				case run := <-k.dbgLane.ch:
					run()
				case <-k.stopCh:
					return
				}
			}
		}()
	})
	select {
	case k.dbgLane.ch <- func() { k.handle(k.runCtx, r, h) }:
	case <-k.stopCh:
	}
}

// debugger returns the backend's debugger, if it has one.
func (k *Kernel) debugger() (backend.Debugger, bool) {
	d, ok := k.be.(backend.Debugger)
	return d, ok
}

// debugRequest handles debug_request: the content is a DAP request, the reply a DAP response.
// Events the backend sends are published as debug_event with this request as parent.
func (k *Kernel) debugRequest(ctx context.Context, r *request) any {
	d, ok := k.debugger()
	if !ok {
		return errorContent("NotImplemented", "this kernel has no debugger", nil)
	}
	content := map[string]any{}
	if err := r.msg.DecodeContent(&content); err != nil {
		return map[string]any{"type": "response", "success": false, "message": "bad debug_request content: " + err.Error()}
	}
	parent := r.msg
	emit := func(event map[string]any) {
		k.iopub.publish(parent, "debug_event", event, nil, nil)
	}
	return d.DebugRequest(ctx, content, emit)
}
