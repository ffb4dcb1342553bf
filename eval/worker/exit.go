package worker

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/quire-go/quire/eval/internal/wire"
)

// os.Exit in cells behaves as in Go: no deferred call runs and recover cannot stop it.
//
// On the goroutine that runs the cell (top-level statements, main of a whole program, and the
// funcs they call), osExit ends the cell with the exit code and parks that goroutine for good,
// without unwinding it: the worker and the session's state live on. Elsewhere (a goroutine the
// cell started), it ends the worker as Go ends the program, after telling the supervisor, which
// reports the exit and starts a new worker.

// cellRun is what osExit needs to know about the running request.
type cellRun struct {
	g     uint64          // goroutine id running the steps
	exitC chan wire.Event // receives the done event of an os.Exit on g
}

// goid returns the id of the calling goroutine (from the header of its stack trace).
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return n
}

// exitResult is the error of a cell that called os.Exit(code): none for 0, as `go run` prints
// nothing then; "exit status N" otherwise, as `go run` and compiled cells say.
func exitResult(code int) *wire.Error {
	if code == 0 {
		return nil
	}
	return &wire.Error{Name: "Exit", Value: fmt.Sprintf("exit status %d", code)}
}

// osExit is os.Exit in cells (and the end of log.Fatal*).
func (w *Worker) osExit(code int) {
	if w.task {
		// A child process of an executor reports the call to its parent as a failed task.
		panic(exitRequest{code})
	}
	w.mu.Lock()
	cr := w.cell
	w.mu.Unlock()
	if cr != nil && cr.g == goid() {
		cr.exitC <- wire.Event{Steps: int(w.stepsDone.Load()), Error: exitResult(code)}
		select {} // never unwinds: deferred calls do not run
	}
	e := wire.Error{Name: "Exit", Value: fmt.Sprintf("exit status %d: os.Exit(%d) in a goroutine ends the program (the Go worker was restarted)", code, code)}
	w.syncSend(wire.Event{Ev: wire.EvFatal, Error: &e})
	os.Exit(code)
}
