package kernel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/quire-go/quire/backend"
)

// ErrKernelStopping is returned by Output.Input when the kernel shuts down during the wait.
var ErrKernelStopping = errors.New("kernel is shutting down")

// output is the kernel's backend.Output for one request. It stays valid after the request ends.
type output struct {
	k          *Kernel
	req        *Message
	allowStdin bool

	mu       sync.Mutex
	streamed int // stream bytes published (at most Config.MaxStreamBytes)
	dropped  int // stream bytes dropped over the cap
	reported int // dropped bytes already reported by finish
	noticed  bool
}

var _ backend.Output = (*output)(nil)

func (o *output) Stream(name, text string) {
	if name != "stderr" {
		name = "stdout"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	limit := o.k.cfg.MaxStreamBytes
	if limit <= 0 {
		o.k.iopub.stream(o.req, name, text)
		return
	}
	room := limit - o.streamed
	if len(text) <= room {
		o.streamed += len(text)
		o.k.iopub.stream(o.req, name, text)
		return
	}
	cut := max(room, 0)
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	if cut > 0 {
		o.k.iopub.stream(o.req, name, text[:cut])
	}
	o.streamed = limit
	o.dropped += len(text) - cut
	if !o.noticed {
		o.noticed = true
		o.k.iopub.stream(o.req, "stderr", fmt.Sprintf(
			"\n[quire: output truncated: this cell printed more than %s; the rest of its output is dropped]\n", byteSize(limit)))
		o.k.log.Warn("output truncated", "msg_id", o.req.Header.MsgID, "max_stream_bytes", limit)
	}
}

// finish reports, when the request ends, how much output the cap dropped.
func (o *output) finish() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dropped > o.reported {
		o.k.iopub.stream(o.req, "stderr", fmt.Sprintf("[quire: output truncated: %d bytes dropped]\n", o.dropped-o.reported))
		o.k.log.Info("output dropped", "msg_id", o.req.Header.MsgID, "bytes", o.dropped-o.reported)
		o.reported = o.dropped
	}
}

// byteSize formats n bytes for people: "32 MiB", "1.5 KiB", "100 bytes".
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
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
