package eval

import (
	"context"
	"sync"
)

// runState is what Interrupt acts on: the Execute in progress, the worker running a request
// and a stdin read waiting for the frontend. It owns its lock; Interrupt takes no other.
type runState struct {
	mu          sync.Mutex
	p           *proc    // worker running a request, if any
	cell        *cellRun // the Execute in progress, if any (Interrupt cancels it)
	inputCancel context.CancelFunc
}

// cellRun is the state of one Execute that Interrupt changes.
type cellRun struct {
	cancel      context.CancelFunc // cancels the Execute's context
	interrupted bool
}

// begin records an Execute in progress and returns its context, which interrupt cancels. end
// must be called when the Execute returns.
func (r *runState) begin(ctx context.Context) (cctx context.Context, end func()) {
	cctx, cancel := context.WithCancel(ctx)
	c := &cellRun{cancel: cancel}
	r.mu.Lock()
	r.cell = c
	r.mu.Unlock()
	return cctx, func() {
		r.mu.Lock()
		if r.cell == c {
			r.cell = nil
		}
		r.mu.Unlock()
		cancel()
	}
}

// interruptedLocked reports whether the current Execute was interrupted. r.mu must be held.
func (r *runState) interruptedLocked() bool { return r.cell != nil && r.cell.interrupted }

// interrupted reports whether interrupt was called during the current Execute.
func (r *runState) interrupted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.interruptedLocked()
}

// start records that p runs a request, unless the current Execute was interrupted (a cell
// that waited for its worker or was being planned must not start): then it returns false.
func (r *runState) start(p *proc) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.interruptedLocked() {
		return false
	}
	r.p = p
	return true
}

// finish records that p's request ended (ok false: p died, and the request reports it) and
// returns whether the Execute was interrupted.
func (r *runState) finish(p *proc, ok bool) (interrupted bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.p = nil
	if !ok {
		p.reported = true
	}
	return r.interruptedLocked()
}

// reportsDeath reports whether p's death is (or will be) reported by the request it runs.
func (r *runState) reportsDeath(p *proc) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.p == p || p.reported
}

// setInputCancel records how to end the stdin read in progress.
func (r *runState) setInputCancel(cancel context.CancelFunc) {
	r.mu.Lock()
	r.inputCancel = cancel
	r.mu.Unlock()
}

// interrupt marks the Execute in progress (also one that waits for its worker or is being
// planned) as interrupted and cancels it, ends a stdin read and returns the worker running a
// request, which the caller kills.
func (r *runState) interrupt() *proc {
	r.mu.Lock()
	p := r.p
	if c := r.cell; c != nil {
		c.interrupted = true
		c.cancel()
	}
	cancel := r.inputCancel
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return p
}
