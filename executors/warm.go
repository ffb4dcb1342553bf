package executors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Starting a process costs an exec, the runtime's start-up and, for quire's interpreted
// children, a replay of the session. Prestart pays that cost ahead of time: it starts spare
// children and waits until they are ready; the next processes started by Processes,
// NewProcess or ProcessPool take a spare instead of starting cold. This is the idea behind
// Python's forkserver start method and behind pre-forking servers: the start-up is not
// avoided, it is moved out of the measured path. Every task still runs in a fresh process
// with its own memory; a spare is used once.

// spares are ready children of the current host, oldest first.
var (
	sparesMu sync.Mutex
	spares   []*child
)

// prestartTimeout bounds how long Prestart waits for one child to become ready (a quire task
// child replays the whole session first).
const prestartTimeout = 2 * time.Minute

// Prestart starts n child processes now and returns when all of them are ready to run a
// function. They wait, idle, until a process is started: Processes, NewProcess and
// ProcessPool take a ready spare first (oldest first) and start a child cold only when none
// is left. Spares started for another host, another environment or (in quire) another state
// of the session are discarded, not used; a child that must inherit a Queue or Pipe always
// starts cold. Spares never outlive this process. At most DefaultProcessLimit() spares wait
// at a time (idle children hold memory too): beyond it, Prestart starts fewer and says so in
// its error.
func Prestart(n int) error {
	if n <= 0 {
		return nil
	}
	var capped error
	if limit := DefaultProcessLimit(); limit > 0 {
		if room := max(limit-Spares(), 0); n > room {
			capped = fmt.Errorf("executors: prestart: started %d of %d spares: at most %d children wait at a time "+
				"(executors.DefaultProcessLimit; %s=n changes it)", room, n, limit, ProcessLimitEnv)
			if n = room; n == 0 {
				return capped
			}
		}
	}
	type started struct {
		c   *child
		err error
	}
	ch := make(chan started, n)
	// Start a few at a time: each start is CPU work (exec, runtime start-up, a session replay),
	// and hundreds at once would only make every one of them slower.
	sem := make(chan struct{}, 2*runtime.NumCPU())
	for i := 0; i < n; i++ {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c, err := startChild(context.Background(), nil)
			if err == nil {
				err = readyWithin(c, prestartTimeout)
			}
			ch <- started{c, err}
		}()
	}
	var errs []error
	var ready []*child
	for i := 0; i < n; i++ {
		s := <-ch
		if s.err != nil {
			errs = append(errs, s.err)
			if s.c != nil {
				s.c.kill()
				go s.c.close()
			}
			continue
		}
		ready = append(ready, s.c)
	}
	sparesMu.Lock()
	spares = append(spares, ready...)
	sparesMu.Unlock()
	if len(errs) > 0 {
		return errors.Join(capped, fmt.Errorf("executors: prestart: %d of %d children failed: %w", len(errs), n, errors.Join(errs...)))
	}
	return capped
}

// Spares returns how many prestarted children are waiting.
func Spares() int {
	sparesMu.Lock()
	defer sparesMu.Unlock()
	return len(spares)
}

// DiscardSpares stops the prestarted children that are still waiting, waits for them to
// exit, and returns how many there were.
func DiscardSpares() int {
	sparesMu.Lock()
	old := spares
	spares = nil
	sparesMu.Unlock()
	var wg sync.WaitGroup
	for _, c := range old {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.close()
		}()
	}
	wg.Wait()
	return len(old)
}

// readyWithin waits for c's ready message, killing c if it does not come within d.
func readyWithin(c *child, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- c.awaitReady() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		c.kill()
		<-done
		return fmt.Errorf("child process %d was not ready after %v", c.pid, d)
	}
}

// acquireChild returns a ready spare of the current host when one matches and no files are
// to be inherited, and starts a child otherwise. ctx then kills it when cancelled.
func acquireChild(ctx context.Context, extra []*os.File) (*child, error) {
	if len(extra) == 0 {
		if c := takeSpare(ctx); c != nil {
			return c, nil
		}
	}
	return startChild(ctx, extra)
}

// takeSpare pops the oldest spare that the host would start now, discarding stale ones.
func takeSpare(ctx context.Context) *child {
	sparesMu.Lock()
	if len(spares) == 0 {
		sparesMu.Unlock()
		return nil
	}
	sparesMu.Unlock()
	cmd, err := currentHost().Command(ctx)
	if err != nil {
		return nil
	}
	want := cmdIdentity(cmd)
	sparesMu.Lock()
	defer sparesMu.Unlock()
	for len(spares) > 0 {
		c := spares[0]
		spares = spares[1:]
		select {
		case <-c.exited:
			go c.close()
			continue
		default:
		}
		if c.ident != want {
			go c.close()
			continue
		}
		c.stop()
		pid := c.pid
		c.stop = context.AfterFunc(ctx, func() { syscall.Kill(-pid, syscall.SIGKILL) })
		return c
	}
	return nil
}

// cmdIdentity is what makes two children of a host equivalent: program, arguments,
// environment and directory.
func cmdIdentity(cmd *exec.Cmd) string {
	return strings.Join([]string{cmd.Path, strings.Join(cmd.Args, "\x00"), strings.Join(cmd.Env, "\x00"), cmd.Dir}, "\x01")
}
