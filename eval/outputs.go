package eval

import (
	"sync"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval/internal/wire"
)

// outputs routes what workers send (text, displays, comm messages) to the Output of the
// request it was made for. It owns its lock, which it holds while it forwards, so that one
// Output sees the messages in the order the workers' readers met them.
type outputs struct {
	mu    sync.Mutex
	cur   backend.Output            // running cell's Output, or the last one
	byReq map[uint64]backend.Output // the Output of each recent cell's worker request
	order []uint64                  // keys of byReq, oldest first
}

// maxOwnedOutputs bounds the requests whose Output late output can still reach.
const maxOwnedOutputs = 1024

// set makes out the current Output (the running cell's).
func (o *outputs) set(out backend.Output) {
	o.mu.Lock()
	o.cur = out
	o.mu.Unlock()
}

// swap makes out the current Output for one request and returns the function that restores
// the previous one (unless another took its place meanwhile).
func (o *outputs) swap(out backend.Output) (restore func()) {
	o.mu.Lock()
	prev := o.cur
	o.cur = out
	o.mu.Unlock()
	return func() {
		o.mu.Lock()
		if o.cur == out {
			o.cur = prev
		}
		o.mu.Unlock()
	}
}

// current returns the current Output (nil before the first cell).
func (o *outputs) current() backend.Output {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.cur
}

// own records that worker request id runs for the current cell: output the worker tags with
// id (a goroutine the cell started, see wire.OwnerMarker) goes to that cell's Output, even
// after the cell ended.
func (o *outputs) own(id uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cur == nil {
		return
	}
	if o.byReq == nil {
		o.byReq = map[uint64]backend.Output{}
	}
	o.byReq[id] = o.cur
	o.order = append(o.order, id)
	if len(o.order) > maxOwnedOutputs {
		delete(o.byReq, o.order[0])
		o.order = o.order[1:]
	}
}

// forLocked returns the Output of worker request id, or the current one for 0 or a request
// it does not know. o.mu must be held.
func (o *outputs) forLocked(id uint64) backend.Output {
	if out, ok := o.byReq[id]; ok && id != 0 {
		return out
	}
	return o.cur
}

// commOutput returns the Output of request id if it can publish comms, else nil.
func (o *outputs) commOutput(id uint64) backend.CommOutput {
	o.mu.Lock()
	defer o.mu.Unlock()
	out, _ := o.forLocked(id).(backend.CommOutput)
	return out
}

// stream forwards text for request owner (0: unknown) to its Output.
func (o *outputs) stream(owner uint64, name, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if out := o.forLocked(owner); out != nil && text != "" {
		out.Stream(name, text)
	}
}

// display forwards a display (or clear_output) for request owner to its Output.
func (o *outputs) display(owner uint64, d *wire.Display) {
	if d == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.forLocked(owner)
	if out == nil {
		return
	}
	switch d.Kind {
	case wire.DisplayClear:
		out.ClearOutput(d.Wait)
	default:
		out.Display(backend.Display{Data: d.Data, Metadata: d.Metadata, ID: d.ID, Update: d.Kind == wire.DisplayUpdate})
	}
}
