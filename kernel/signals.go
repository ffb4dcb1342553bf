package kernel

import (
	"os"
	"os/signal"
	"syscall"
)

// HandleSignals makes SIGINT interrupt the running cell (as interrupt_request does; Jupyter's
// default interrupt_mode "signal" sends SIGINT) and SIGTERM shut the kernel down cleanly (Serve
// returns). Call it from the command that runs the kernel; the returned stop function restores
// the default signal behaviour.
func (k *Kernel) HandleSignals() (stop func()) {
	c := make(chan os.Signal, 4)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-c:
				if s == syscall.SIGTERM {
					k.log.Info("SIGTERM: shutting down")
					k.Shutdown()
					continue
				}
				k.log.Info("SIGINT: interrupting")
				if err := k.Interrupt(); err != nil {
					k.log.Warn("interrupt failed", "err", err)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(c)
		close(done)
	}
}
