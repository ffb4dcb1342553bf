package cli

import (
	"context"

	"github.com/quire-go/quire/backend"
)

var _ backend.Commer = (*lateBackend)(nil)

// CommTargets passes on the backend's comm targets (widgets), once it is set.
func (l *lateBackend) CommTargets() []string {
	if cb, ok := l.get().(backend.Commer); ok {
		return cb.CommTargets()
	}
	return nil
}

// Comm passes a frontend comm message on to the backend.
func (l *lateBackend) Comm(ctx context.Context, m backend.CommMessage, out backend.Output) {
	if cb, ok := l.get().(backend.Commer); ok {
		cb.Comm(ctx, m, out)
	}
}
