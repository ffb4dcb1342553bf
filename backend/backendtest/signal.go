package backendtest

import (
	"context"
	"sync"
)

// Signal lets tests wait for a condition on state that other goroutines change, without
// polling: whoever changes the state calls Notify after the change, and Wait checks its
// condition again at each Notify. The zero value is ready to use.
type Signal struct {
	mu sync.Mutex
	ch chan struct{} // closed (and dropped) by Notify; nil when nobody waits
}

// Notify wakes every Wait to check its condition again.
func (s *Signal) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// Wait returns nil once cond is true, checking it now and after each Notify, or ctx's error
// when ctx ends first.
func (s *Signal) Wait(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if s.ch == nil {
			s.ch = make(chan struct{})
		}
		ch := s.ch
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
