package eval

import (
	"context"
	"errors"
	"os/exec"
	"testing"
	"time"
)

// A worker whose start hangs (it never says it is ready) must not hold Shutdown past its
// context: the kernel gives it Config.ShutdownTimeout.
func TestShutdownWhileWorkerStartHangs(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(map[bool]string{false: "shutdown", true: "restart"}[restart], func(t *testing.T) {
			opts := testOptions()
			started := make(chan struct{}, 4)
			opts.WorkerCommand = func(ctx context.Context, args ...string) *exec.Cmd {
				started <- struct{}{}
				return exec.CommandContext(ctx, "sleep", "60")
			}
			s, err := NewSupervisor(opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_ = s.Shutdown(ctx, false)
			})
			<-started
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			t0 := time.Now()
			err = s.Shutdown(ctx, restart)
			if took := time.Since(t0); took > 2*time.Second {
				t.Fatalf("Shutdown took %v with a 200ms context", took)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Shutdown: %v, want the context's deadline", err)
			}
		})
	}
}

// With SpareWorker, a restart (here: a type redefined) takes the spare worker and the session
// is replayed into it; the next spare starts in the background.
func TestSpareWorkerRestart(t *testing.T) {
	opts := testOptions()
	opts.SpareWorker = true
	s, err := NewSupervisor(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Shutdown(context.Background(), false) })
	for i, step := range []struct{ code, want string }{
		{"type T int\nconst k = 2", ""},
		{"T(3) * k", "6"},
		{"type T float64", ""},
		{"T(1.5) * k", "3"},
		{"type T string", ""},
		{`T("a") + "b"`, `"ab"`},
	} {
		before := s.workers.current()
		got, _ := mustOK(t, s, step.code)
		if got != step.want {
			t.Fatalf("%q = %q, want %q", step.code, got, step.want)
		}
		if after := s.workers.current(); i%2 == 0 && i > 0 && after == before {
			t.Fatalf("%q: the worker was not replaced", step.code)
		}
	}
}
