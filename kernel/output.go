package kernel

import (
	"context"
	"errors"
	"sync"

	"github.com/quire-go/quire/backend"
)

// ErrKernelStopping is returned by Output.Input when the kernel shuts down during the wait.
var ErrKernelStopping = errors.New("kernel is shutting down")

// output is the kernel's backend.Output for one request. It stays valid after the request ends.
type output struct {
	k          *Kernel
	req        *Message
	allowStdin bool
}

var _ backend.Output = (*output)(nil)

func (o *output) Stream(name, text string) {
	if name != "stderr" {
		name = "stdout"
	}
	o.k.iopub.stream(o.req, name, text)
}

func (o *output) Display(d backend.Display) {
	msgType := "display_data"
	if d.Update && d.ID != "" {
		msgType = "update_display_data"
	}
	content := map[string]any{"data": nonNilMap(d.Data), "metadata": nonNilMap(d.Metadata)}
	if d.ID != "" {
		content["transient"] = map[string]any{"display_id": d.ID}
	}
	o.k.iopub.publish(o.req, msgType, content, nil, nil)
}

func (o *output) ClearOutput(wait bool) {
	o.k.iopub.publish(o.req, "clear_output", map[string]any{"wait": wait}, nil, nil)
}

// Input sends input_request on stdin to the identities of the request and waits for the
// input_reply whose parent is that input_request.
func (o *output) Input(ctx context.Context, prompt string, password bool) (string, error) {
	if !o.allowStdin {
		return "", backend.ErrNoStdin
	}
	// Output written before the prompt must appear before it.
	o.k.iopub.flush()
	m, err := o.k.newMessage("input_request", o.req, map[string]any{"prompt": prompt, "password": password})
	if err != nil {
		return "", err
	}
	w := o.k.inputs.add(m.Header.MsgID)
	defer o.k.inputs.remove(m.Header.MsgID)
	// zmq4's ROUTER Send waits until the socket has had a connection; do not let that delay
	// an interrupt.
	sent := make(chan error, 1)
	go func() { sent <- o.k.send(o.k.stdin, m) }()
	for {
		select {
		case err := <-sent:
			if err != nil {
				return "", err
			}
			sent = nil
		case r := <-w:
			return r.value, r.err
		case <-ctx.Done():
			return "", ctx.Err()
		case <-o.k.stopCh:
			return "", ErrKernelStopping
		}
	}
}

type inputResult struct {
	value string
	err   error
}

// inputWaiters are the input_requests waiting for a reply, by input_request msg_id.
type inputWaiters struct {
	mu      sync.Mutex
	pending map[string]chan inputResult
}

func (w *inputWaiters) init() { w.pending = make(map[string]chan inputResult) }

func (w *inputWaiters) add(id string) chan inputResult {
	c := make(chan inputResult, 1)
	w.mu.Lock()
	w.pending[id] = c
	w.mu.Unlock()
	return c
}

func (w *inputWaiters) remove(id string) {
	w.mu.Lock()
	delete(w.pending, id)
	w.mu.Unlock()
}

// deliver hands a reply to the waiter of parentID, or to the only waiter when the reply has no
// usable parent. It reports whether somebody was waiting.
func (w *inputWaiters) deliver(parentID string, r inputResult) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.pending[parentID]
	if !ok && len(w.pending) == 1 && parentID == "" {
		for _, only := range w.pending {
			c, ok = only, true
		}
	}
	if !ok {
		return false
	}
	select {
	case c <- r:
	default:
	}
	return true
}

func (w *inputWaiters) cancelAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.pending {
		select {
		case c <- inputResult{err: context.Canceled}:
		default:
		}
	}
}

// stdinMessage handles a message received on the stdin channel.
func (k *Kernel) stdinMessage(m *Message) {
	if m.Type() != "input_reply" {
		k.stats.unknown.Add(1)
		k.log.Warn("ignored message on stdin", "msg_type", m.Type())
		return
	}
	k.stats.handled.Add(1)
	var c struct {
		Value string `json:"value"`
	}
	if err := m.DecodeContent(&c); err != nil {
		k.log.Warn("bad input_reply content", "err", err)
		return
	}
	if !k.inputs.deliver(m.ParentHeader.MsgID, inputResult{value: c.Value}) {
		k.log.Warn("input_reply for no pending input_request", "parent", m.ParentHeader.MsgID)
	}
}
