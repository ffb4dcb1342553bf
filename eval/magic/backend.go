package magic

import (
	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval"
)

// Backend is an eval.Supervisor whose Interrupt and Shutdown also stop the shell command a
// magic is running: eval.Supervisor.Interrupt only stops Go code in the worker. Give the kernel
// a Backend instead of the bare Supervisor:
//
//	mg := magic.New(magic.Options{Logger: logger})
//	sup, err := eval.NewSupervisor(eval.Options{Logger: logger, Magics: mg})
//	...
//	kernel.Config{Backend: magic.Backend{Supervisor: sup, Magics: mg}, ...}
type Backend struct {
	*eval.Supervisor
	Magics *Magics
}

var _ backend.Backend = Backend{}

// Interrupt stops the running shell command, if any, and the running Go cell, if any.
func (b Backend) Interrupt() error {
	if b.Magics != nil {
		b.Magics.Interrupt()
	}
	return b.Supervisor.Interrupt()
}

// Shutdown stops the running shell command, if any, then shuts the supervisor down.
func (b Backend) Shutdown(restart bool) error {
	if b.Magics != nil {
		b.Magics.Interrupt()
	}
	return b.Supervisor.Shutdown(restart)
}
