package executors

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// Prestarted children are used once each, by the next processes, and leave nothing behind.
func TestPrestartSparesAreUsedOnce(t *testing.T) {
	t.Cleanup(func() { DiscardSpares() })
	if err := Prestart(2); err != nil {
		t.Fatal(err)
	}
	if n := Spares(); n != 2 {
		t.Fatalf("Spares() = %d after Prestart(2)", n)
	}
	spareIDs := sparePids()
	r := Processes(Repeat(2, getPid), Quiet())
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	var used []int
	for _, rec := range r.Records {
		used = append(used, rec.Result.(int))
	}
	slices.Sort(used)
	if !slices.Equal(used, spareIDs) {
		t.Errorf("tasks ran in pids %v, the spares were %v", used, spareIDs)
	}
	if n := Spares(); n != 0 {
		t.Errorf("Spares() = %d after using both", n)
	}
	// The next process starts cold, in a new pid.
	r = Processes(getPid, Quiet())
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if pid := r.Records[0].Result.(int); slices.Contains(spareIDs, pid) {
		t.Errorf("a spare (pid %d) was used twice", pid)
	}
	if kids := childrenOf(os.Getpid()); len(kids) != 0 {
		t.Errorf("children left: %v", kids)
	}
}

// A spare keeps its own memory, like any child: what one task changed is not seen by the next.
func TestPrestartIsolation(t *testing.T) {
	t.Cleanup(func() { DiscardSpares() })
	if err := Prestart(2); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		p := NewProcess(bumpCounter, 5)
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		v, err := p.Result()
		if err != nil {
			t.Fatal(err)
		}
		if v != 105 {
			t.Errorf("run %d: counter = %v in the child, want 105 (a fresh process)", i, v)
		}
	}
	if counter != 100 {
		t.Errorf("parent's counter = %d", counter)
	}
}

// envHost is the default host with one more environment variable.
type envHost struct {
	defaultHost
	extra string
}

func (h envHost) Command(ctx context.Context) (*exec.Cmd, error) {
	cmd, err := h.defaultHost.Command(ctx)
	if err == nil {
		cmd.Env = append(cmd.Env, h.extra)
	}
	return cmd, err
}

// A spare started for another command (here, another environment) is discarded, not used.
func TestPrestartStaleSpareDiscarded(t *testing.T) {
	t.Cleanup(func() {
		SetProcessHost(nil)
		DiscardSpares()
	})
	if err := Prestart(1); err != nil {
		t.Fatal(err)
	}
	stale := sparePids()
	SetProcessHost(envHost{extra: "QUIRE_TEST_SPARE=changed"})
	r := Processes(getPid, Quiet())
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if pid := r.Records[0].Result.(int); slices.Contains(stale, pid) {
		t.Errorf("the stale spare %d ran the task", pid)
	}
	if n := Spares(); n != 0 {
		t.Errorf("Spares() = %d: the stale spare was kept", n)
	}
}

// A child that inherits a Queue starts cold and leaves the spare for the next process.
func TestPrestartNotUsedForQueues(t *testing.T) {
	t.Cleanup(func() { DiscardSpares() })
	if err := Prestart(1); err != nil {
		t.Fatal(err)
	}
	q, err := NewQueue()
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	p := NewProcess(producer, q, 1)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Get(); err != nil {
		t.Fatal(err)
	}
	if err := p.Join(); err != nil {
		t.Fatal(err)
	}
	if n := Spares(); n != 1 {
		t.Errorf("Spares() = %d, want the spare kept", n)
	}
}

// Cancelling a run kills the spare it took.
func TestPrestartCancel(t *testing.T) {
	t.Cleanup(func() { DiscardSpares() })
	if err := Prestart(1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(unit, cancel)
	r := Processes(WithContext(ctx), Repeat(1, sleepFor, 20000))
	within(t, "cancelled spare", r.Wall, unit/2, 10*unit)
	if !errors.Is(r.Records[0].Err, ErrCancelled) {
		t.Errorf("err = %v", r.Records[0].Err)
	}
	if kids := childrenOf(os.Getpid()); len(kids) != 0 {
		t.Errorf("children left: %v", kids)
	}
}

func TestDiscardSpares(t *testing.T) {
	if err := Prestart(2); err != nil {
		t.Fatal(err)
	}
	if n := DiscardSpares(); n != 2 {
		t.Errorf("DiscardSpares() = %d", n)
	}
	if kids := childrenOf(os.Getpid()); len(kids) != 0 {
		t.Errorf("children left after DiscardSpares: %v", kids)
	}
	if err := Prestart(0); err != nil || Spares() != 0 {
		t.Errorf("Prestart(0) = %v, Spares() = %d", err, Spares())
	}
}

func sparePids() []int {
	sparesMu.Lock()
	defer sparesMu.Unlock()
	var pids []int
	for _, c := range spares {
		pids = append(pids, c.pid)
	}
	slices.Sort(pids)
	return pids
}
