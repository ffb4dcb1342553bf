package eval

import (
	"context"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval/cell"
)

// Magics handles cells whose first non-blank line starts with % or ! (package eval/magic).
// Run is called with the whole cell; it returns handled=false to let the cell run as Go.
// Run is called while the supervisor holds the execution lock: use env to run Go code, never
// Supervisor.Execute (that would deadlock).
type Magics interface {
	Run(ctx context.Context, cell string, env MagicEnv, out backend.Output) (handled bool, res backend.ExecuteResult)
	// Interrupt stops what a Run is doing outside the worker (a shell command, a build), if
	// anything. Supervisor.Interrupt and Supervisor.Shutdown call it; it may be called at any
	// time, from any goroutine.
	Interrupt()
}

// MagicEnv is what a magic can do with the session.
type MagicEnv interface {
	// Exec runs Go code as a cell (same semantics and output as Execute, the same Output) and
	// returns its result and the time the worker spent evaluating it.
	Exec(ctx context.Context, code string) (backend.ExecuteResult, time.Duration)
	// Restart kills the worker, starts a new one and replays the declarations; it returns the
	// variables that were lost.
	Restart(ctx context.Context) ([]string, error)
	// Reset forgets the whole session (a fresh worker, no declarations).
	Reset(ctx context.Context) error
	// Declarations lists the session's declarations in order: "import fmt", "func f",
	// "type T", "method T.M", "var x", "const c".
	Declarations() []string
	// Summary returns the one-line summary (cell.Decl.Summary: a func's signature, a type's
	// definition) of declaration name (as in Declarations, without the kind), and whether the
	// declaration exists.
	Summary(name string) (string, bool)
	// History returns the executed cells' code, oldest first.
	History() []string
	// GoGet makes third-party module sources importable (`%go get module@version`); it returns
	// what was added ("golang.org/x/sync@v0.7.0").
	GoGet(ctx context.Context, modules ...string) ([]string, error)
	// Request is the execute_request being handled.
	Request() backend.ExecuteRequest
}

type magicEnv struct {
	s   *Supervisor
	req backend.ExecuteRequest
	out backend.Output
}

func (e *magicEnv) Request() backend.ExecuteRequest { return e.req }

func (e *magicEnv) Exec(ctx context.Context, code string) (backend.ExecuteResult, time.Duration) {
	t0 := time.Now()
	res := e.s.runCell(ctx, code, e.req.AllowStdin, 0)
	e.s.rec.mu.Lock()
	d := e.s.rec.lastDuration
	e.s.rec.mu.Unlock()
	if d == 0 {
		d = time.Since(t0)
	}
	return res, d
}

func (e *magicEnv) Restart(ctx context.Context) ([]string, error) {
	s := e.s
	p := s.workers.current()
	s.rec.mu.Lock()
	s.rec.sess.snap = nil // a restart the user asks for starts from the declarations
	lost := s.rec.sess.lost()
	s.rec.sess.forgetVars()
	s.rec.mu.Unlock()
	<-s.workers.restart(p)
	_, err := s.workers.get(ctx)
	s.flushNotes()
	return lost, err
}

func (e *magicEnv) Reset(ctx context.Context) error {
	s := e.s
	p := s.workers.current()
	s.rec.mu.Lock()
	s.rec.sess = newSession()
	s.rec.notes = nil
	s.rec.execVars, s.rec.displayVars = nil, nil
	s.rec.mu.Unlock()
	<-s.workers.restart(p)
	_, err := s.workers.get(ctx)
	return err
}

func (e *magicEnv) Declarations() []string {
	s := e.s
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	var out []string
	for _, d := range s.rec.sess.imports {
		out = append(out, "import "+d.Path)
	}
	for _, k := range s.rec.sess.order {
		d := s.rec.sess.decls[k]
		if d.Name == cell.WholeMain { // the main of a whole program, run once by its cell
			continue
		}
		out = append(out, string(d.Kind)+" "+d.Name)
	}
	return out
}

func (e *magicEnv) Summary(name string) (string, bool) {
	s := e.s
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	d, ok := s.rec.sess.decls[name]
	return d.Summary, ok
}

func (e *magicEnv) History() []string {
	s := e.s
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	return append([]string(nil), s.rec.sess.history...)
}

func (e *magicEnv) GoGet(ctx context.Context, modules ...string) ([]string, error) {
	return e.s.goGet(ctx, modules...)
}
