package executors

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"
)

// counter is changed by children to show that they do not share the parent's memory.
var counter = 100

func bumpCounter(t *Task, by int) int {
	counter += by
	return counter
}

func worker(t *Task, name string) string {
	t.Printf("Process %s: starting\n", name)
	t.Sleep(50 * time.Millisecond)
	t.Printf("Process %s: finished\n", name)
	return "done " + name
}

func noop() {}

func sleepFor(t *Task, ms int) int {
	t.Sleep(time.Duration(ms) * time.Millisecond)
	return ms
}

func square(x int) int { return x * x }

type point struct {
	X, Y int
}

func addPoints(a, b point) (point, error) {
	if a.X < 0 {
		return point{}, errors.New("negative X")
	}
	return point{a.X + b.X, a.Y + b.Y}, nil
}

func panicker(msg string) { panic(msg) }

func exiter() { os.Exit(7) }

func getPid() int { return os.Getpid() }

func producer(q *Queue, n int) error {
	for i := 0; i < n; i++ {
		if err := q.Put(map[string]any{"i": i, "pid": os.Getpid()}); err != nil {
			return err
		}
	}
	return nil
}

func echoConn(c *Conn) error {
	v, err := c.Recv()
	if err != nil {
		return err
	}
	return c.Send(fmt.Sprintf("echo %v", v))
}

func TestMain(m *testing.M) {
	if err := Register(bumpCounter, worker, noop, sleepFor, square, addPoints, panicker, exiter, getPid, producer, echoConn); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ChildMain()
	// These tests choose their own short durations and assert real times.
	os.Unsetenv(ScaleEnv)
	// Children built with -race would otherwise sleep 1 s at exit.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	SetProgressDelay(-1)
	os.Exit(m.Run())
}
