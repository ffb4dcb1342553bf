package eval

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// workers owns the supervisor's worker processes: the current one, the start in progress
// (a restart) and the spare (Options.SpareWorker). It owns its lock; what a new worker must
// hold (the session) comes through replay, and a worker that is ready goes to watch.
type workers struct {
	config   func() procConfig                                         // how to start one
	replay   func(ctx context.Context, p *proc) (steps int, err error) // the session, into a new worker
	watch    func(p *proc)                                             // called (on a goroutine of its own) with each worker made current
	log      *slog.Logger
	useSpare bool
	closed   *atomic.Bool // the supervisor is shut down

	mu        sync.Mutex
	p         *proc              // current worker (nil while starting)
	ready     chan struct{}      // closed when p is usable (restart finished)
	startErr  error              // why the last start failed
	stopStart context.CancelFunc // abandons the start that closes ready (Shutdown)

	spareMu sync.Mutex
	spare   chan *proc // a started worker in reserve (SpareWorker), or nil
}

// startCtx bounds one worker start (30 s, or until Shutdown abandons it).
type startCtx struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// restart starts a new worker (in the background) and replays the session into it. old, if
// not nil, is killed first. The returned channel closes when the worker is ready.
func (w *workers) restart(old *proc) chan struct{} {
	ready := make(chan struct{})
	w.mu.Lock()
	start := w.newStartLocked(ready)
	w.mu.Unlock()
	if old != nil {
		old.kill()
	}
	go w.startAndReplay(start, ready)
	return ready
}

// restartIf restarts the worker unless someone already did since p was current (p nil: unless
// a start is in progress).
func (w *workers) restartIf(p *proc) {
	w.mu.Lock()
	if p != nil && w.p != p {
		w.mu.Unlock()
		return
	}
	if p == nil {
		select {
		case <-w.ready:
		default:
			w.mu.Unlock()
			return
		}
	}
	ready := make(chan struct{})
	start := w.newStartLocked(ready)
	w.mu.Unlock()
	go w.startAndReplay(start, ready)
}

// newStartLocked makes ready the channel of the worker start in progress and returns that
// start's context: Shutdown cancels it when it cannot wait for the start to end. w.mu must be
// held.
func (w *workers) newStartLocked(ready chan struct{}) startCtx {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	w.p, w.ready, w.startErr, w.stopStart = nil, ready, nil, cancel
	return startCtx{ctx, cancel}
}

// startAndReplay starts a worker (or takes the spare), replays the session into it and makes it
// the current worker if ready is still the current start's channel. start bounds it.
func (w *workers) startAndReplay(start startCtx, ready chan struct{}) {
	defer close(ready)
	defer start.cancel()
	t0 := time.Now()
	p, err := w.takeSpare(start.ctx)
	if err != nil {
		w.fail(err)
		w.log.Error("starting the Go worker", "err", err)
		return
	}
	steps, err := w.replay(start.ctx, p)
	if err != nil {
		w.fail(err)
		return
	}
	w.log.Debug("worker ready", "pid", p.pid, "replayed", steps, "took", time.Since(t0))
	w.mu.Lock()
	current := w.ready == ready
	if current {
		w.p = p
	}
	w.mu.Unlock()
	if !current {
		p.kill()
		return
	}
	go w.watch(p)
}

func (w *workers) fail(err error) {
	w.mu.Lock()
	w.startErr = err
	w.mu.Unlock()
}

// takeSpare returns the spare worker if one is ready and alive, else starts one; with
// SpareWorker it then starts the next spare in the background.
func (w *workers) takeSpare(ctx context.Context) (*proc, error) {
	if !w.useSpare {
		return startProc(ctx, w.config())
	}
	w.spareMu.Lock()
	ch := w.spare
	next := make(chan *proc, 1)
	w.spare = next
	w.spareMu.Unlock()
	go func() {
		if w.closed.Load() {
			next <- nil
			return
		}
		p, err := startProc(context.Background(), w.config())
		if err != nil {
			w.log.Warn("starting a spare Go worker", "err", err)
		}
		next <- p
	}()
	if ch != nil {
		select {
		case p := <-ch:
			if p != nil {
				select {
				case <-p.dead:
				default:
					return p, nil
				}
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return startProc(ctx, w.config())
}

// dropSpare kills the spare worker (shutdown).
func (w *workers) dropSpare() {
	w.spareMu.Lock()
	ch := w.spare
	w.spare = nil
	w.spareMu.Unlock()
	if ch != nil {
		go func() {
			if p := <-ch; p != nil {
				p.kill()
			}
		}()
	}
}

// current returns the current worker (nil while one starts).
func (w *workers) current() *proc {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.p
}

// get returns the ready worker, waiting for a restart in progress.
func (w *workers) get(ctx context.Context) (*proc, error) {
	for attempt := 0; ; attempt++ {
		if w.closed.Load() {
			return nil, errors.New("the Go backend is shut down")
		}
		w.mu.Lock()
		ready := w.ready
		w.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		w.mu.Lock()
		p, err, cur := w.p, w.startErr, w.ready
		w.mu.Unlock()
		if cur != ready {
			continue // another restart began
		}
		if err != nil || p == nil {
			if attempt > 2 {
				return nil, err
			}
			w.restartIf(nil)
			continue
		}
		select {
		case <-p.dead:
			w.restartIf(p)
			continue
		default:
		}
		return p, nil
	}
}

// settled returns the current worker once no start is in progress, or nil and ctx's error
// when ctx ends first: then the start in progress is abandoned (its process killed).
func (w *workers) settled(ctx context.Context) (*proc, error) {
	w.mu.Lock()
	p, ready, stopStart := w.p, w.ready, w.stopStart
	w.mu.Unlock()
	if p != nil {
		return p, nil
	}
	select {
	case <-ready:
		return w.current(), nil
	case <-ctx.Done():
		stopStart()
		return nil, ctx.Err()
	}
}
