package eval

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/internal/wire"
)

// showFunc is what trailing expressions are passed to.
const showFunc = cell.HostPkg + "." + cell.ShowFunc

// Execute runs one cell: plan it (package cell), handle redefinitions, run the steps in the
// worker, and map the outcome to a reply.
func (s *Supervisor) Execute(ctx context.Context, req backend.ExecuteRequest, out backend.Output) backend.ExecuteResult {
	s.execMu.Lock()
	defer s.execMu.Unlock()
	parent := ctx
	ctx, end := s.run.begin(ctx)
	defer end()
	s.outs.set(out)
	s.flushNotes()
	if s.opts.Magics != nil && isMagic(req.Code) {
		env := &magicEnv{s: s, req: req, out: out}
		if handled, res := s.opts.Magics.Run(ctx, req.Code, env, out); handled {
			return res
		}
	}
	if name, ok := helpRequest(req.Code); ok {
		return s.help(ctx, name)
	}
	res := s.runCell(ctx, req.Code, req.AllowStdin, req.ExecutionCount)
	if res.Status == backend.StatusOK && len(req.UserExpressions) > 0 {
		res.UserExpressions = s.userExpressions(ctx, req.UserExpressions)
	}
	if parent.Err() != nil && res.Status == backend.StatusError && res.Error.Name == "KeyboardInterrupt" {
		return errorResult("Shutdown", "the kernel is shutting down")
	}
	return res
}

// helpSyntax is compiled on first use: its Unicode classes cost a few hundred KB, which the
// kernel process should not pay at start.
var helpSyntax = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*(?:\?{1,2}\s*([\p{L}_][\p{L}\p{N}_.]*)|([\p{L}_][\p{L}\p{N}_.]*)\s*\?{1,2})\s*$`)
})

// helpRequest recognises IPython's help syntax: "fmt.Println?", "?fmt.Println".
func helpRequest(code string) (string, bool) {
	if !strings.Contains(code, "?") {
		return "", false
	}
	m := helpSyntax().FindStringSubmatch(code)
	if m == nil {
		return "", false
	}
	if m[1] != "" {
		return m[1], true
	}
	return m[2], true
}

// help answers "name?" with the documentation as a pager payload, as IPython does.
func (s *Supervisor) help(ctx context.Context, name string) backend.ExecuteResult {
	in, err := s.Inspect(ctx, name, len([]rune(name)), 1)
	if err != nil || !in.Found {
		return errorResult("NameError", "no documentation found for "+name)
	}
	return backend.ExecuteResult{
		Status:  backend.StatusOK,
		Payload: []map[string]any{{"source": "page", "data": in.Data, "start": 0}},
	}
}

// flushNotes prints messages left by a background restart (replay failures).
func (s *Supervisor) flushNotes() {
	s.rec.mu.Lock()
	notes := s.rec.notes
	s.rec.notes = nil
	s.rec.mu.Unlock()
	for _, n := range notes {
		s.stream("stderr", cleanPositions(n)+"\n")
	}
}

// isMagic reports a cell with a magic: a cell magic or a line magic on its first line, or a
// line magic on any later line where a statement may start (cell.MagicLines).
func isMagic(code string) bool {
	for _, m := range cell.MagicLines(strings.ReplaceAll(code, "\r\n", "\n")) {
		if m {
			return true
		}
	}
	return false
}

// errorResult is an error reply. The value does not repeat the name ("panic" and "boom", not
// "panic: boom"): frontends show "name: value".
func errorResult(name, value string, tb ...string) backend.ExecuteResult {
	value = strings.TrimPrefix(cleanPositions(value), name+": ")
	for i := range tb {
		tb[i] = cleanPositions(tb[i])
	}
	if strings.Contains(value, "unable to find source related to") {
		tb = append(tb, "Third-party packages load from source: run `%go get module@version` first (pure-Go modules only).")
	}
	first := "\x1b[0;31m" + name + "\x1b[0m: " + value
	lines := append([]string{first}, tb...)
	return backend.ExecuteResult{Status: backend.StatusError, Error: &backend.Error{Name: name, Value: value, Traceback: lines}}
}

// yaegi reports positions in "cell3/_.go" for the //line file "cell3"; show "cell3.go".
var yaegiFile = regexp.MustCompile(`\b([A-Za-z0-9_.-]+)/_\.go\b`)

// yaegi's own wording of some runtime errors, and Go's.
var yaegiMessages = strings.NewReplacer(
	cell.MainName, "main",
	"reflect: slice index out of range", "runtime error: index out of range",
	"reflect: array index out of range", "runtime error: index out of range",
	"reflect: string index out of range", "runtime error: index out of range",
)

func cleanPositions(s string) string {
	s = yaegiFile.ReplaceAllStringFunc(s, func(m string) string {
		base := strings.TrimSuffix(m, "/_.go")
		if strings.HasSuffix(base, ".go") {
			return base
		}
		return base + ".go"
	})
	return yaegiMessages.Replace(s)
}

// runCell plans and runs one cell's code. count names the cell (cellN.go); 0 picks the next.
// It takes no lock of its own: each step below takes the one of the state it changes.
func (s *Supervisor) runCell(ctx context.Context, code string, allowStdin bool, count int) backend.ExecuteResult {
	name, known := s.nextCell(count)
	plan, fail := s.planCell(name, code, known)
	if fail != nil {
		return *fail
	}
	p, fail := s.cellWorker(ctx, plan, code)
	if fail != nil {
		return *fail
	}
	steps, segOf := s.cellSteps(plan)
	if !s.run.start(p) {
		return interruptedResult()
	}
	s.debugCell(ctx, p, name, code)
	req := s.cellRequest(p, plan, known, steps, allowStdin)
	s.outs.own(req.ID)
	ev, ok := p.run(ctx, req)
	interrupted := s.run.finish(p, ok)
	if !ok {
		return s.afterDeath(p, plan, code, interrupted, ctx)
	}
	s.recordCell(plan, segOf, ev, code)
	if ev.Error != nil {
		return s.cellError(p, plan, segOf, ev, name, code, known)
	}
	res := backend.ExecuteResult{Status: backend.StatusOK}
	if ev.Result != nil {
		res.Result = &backend.Display{Data: ev.Result, Metadata: map[string]any{}}
	}
	return res
}

// nextCell counts a cell and returns its file name (count, or the next number when count is
// 0) and the session's known declarations.
func (s *Supervisor) nextCell(count int) (name string, known cell.Known) {
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	s.rec.sess.cells++
	if count <= 0 {
		count = s.rec.sess.cells
	}
	return cellName(count), s.rec.sess.known()
}

// planCell plans a cell (package cell) and wraps the calls whose results must keep their
// methods; fail is the reply of a cell that does not compile.
func (s *Supervisor) planCell(name, code string, known cell.Known) (plan *cell.Plan, fail *backend.ExecuteResult) {
	plan, err := cell.Build(name, code, known)
	if err != nil {
		var ce *cell.Error
		if errors.As(err, &ce) {
			err = ce
		}
		res := errorResult("CompileError", err.Error())
		return nil, &res
	}
	s.rec.mu.Lock()
	zombies := maps.Clone(s.rec.sess.zombies)
	s.rec.mu.Unlock()
	if len(zombies) > 0 {
		if u := cell.UndefinedOf(name, code, known, zombies); u != nil {
			res := errorResult("CompileError", u.Error())
			return nil, &res
		}
	}
	plan = s.wrapExecutorFuncs(plan, known)
	return s.wrapDisplayArgs(plan, known), nil
}

// cellWorker returns the worker to run plan in. A changed type or method cannot be redefined
// in place (yaegi keeps the first one): the worker is restarted with the new declaration
// replayed in place of the old one. fail is the reply when no worker is available.
func (s *Supervisor) cellWorker(ctx context.Context, plan *cell.Plan, code string) (*proc, *backend.ExecuteResult) {
	unavailable := func(err error) (*proc, *backend.ExecuteResult) {
		res := errorResult("WorkerError", "the Go worker is not available: "+err.Error())
		if s.run.interrupted() {
			res = interruptedResult()
		}
		return nil, &res
	}
	p, err := s.workers.get(ctx)
	if err != nil {
		return unavailable(err)
	}
	var redefined []cell.Decl
	s.rec.mu.Lock()
	for _, d := range plan.Defines() {
		if (d.Kind == cell.DeclType || d.Kind == cell.DeclMethod) && s.rec.sess.changed(d) {
			redefined = append(redefined, d)
		}
	}
	if len(redefined) == 0 {
		s.rec.mu.Unlock()
		return p, nil
	}
	lost, reset, restored := s.rec.sess.lost(), s.rec.sess.reset(), s.rec.sess.restored()
	s.rec.sess.record(redefined)
	s.rec.sess.forgetVars()
	s.rec.mu.Unlock()
	names := make([]string, len(redefined))
	for i, d := range redefined {
		names[i] = string(d.Kind) + " " + d.Name
	}
	msg := "quire: " + strings.Join(names, ", ") + " changed: the Go interpreter was restarted and your declarations replayed."
	if note := lostNote(lost, reset, restored); note != "" {
		msg += "\n" + note
	}
	s.stream("stderr", msg+"\n")
	select {
	case <-s.workers.restart(p):
	case <-ctx.Done():
	}
	s.flushNotes()
	if p, err = s.workers.get(ctx); err != nil {
		return unavailable(err)
	}
	return p, nil
}

// cellRequest is the worker request that runs a cell's steps. When the cell uses executors,
// it carries the session their child processes replay (when it changed since p last got it).
func (s *Supervisor) cellRequest(p *proc, plan *cell.Plan, known cell.Known, steps []wire.Step, allowStdin bool) wire.Request {
	req := wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1), Steps: steps, AllowStdin: allowStdin}
	s.rec.mu.Lock()
	defer s.rec.mu.Unlock()
	if usesExecutors(plan, known) {
		if sess := s.rec.sess.withDecls(plan.Defines()).childSteps(prelude()); !sameSteps(sess, p.sessionSent) {
			req.Session, p.sessionSent = sess, sess
			if req.Session == nil {
				req.Session = []wire.Step{}
			}
		}
	}
	req.Snapshot = s.rec.sess.snapshotNames(plan.Defines())
	return req
}

// recordCell records the declarations of the segments of plan that ran (ev.Steps of the steps
// segOf maps), the cell's code in the history and, after a clean run, the variables' snapshot;
// it tells the user about methods the interpreter limits and declarations that could not be
// evaluated again. After a run without error, it keeps the run's duration (lastDuration).
func (s *Supervisor) recordCell(plan *cell.Plan, segOf []int, ev wire.Event, code string) {
	s.rec.mu.Lock()
	recorded := map[int]bool{}
	for k := 0; k < ev.Steps && k < len(segOf); k++ {
		if i := segOf[k]; i >= 0 && !recorded[i] {
			recorded[i] = true
			s.rec.sess.record(plan.Segments[i].Defines)
		}
	}
	s.rec.sess.history = append(s.rec.sess.history, code)
	if ev.Error == nil && len(ev.Failed) == 0 {
		s.rec.sess.takeSnapshot(ev.Snapshot)
	}
	if ev.Error == nil {
		s.rec.lastDuration = time.Duration(ev.Duration) // what MagicEnv.Exec reports
	}
	var notes []string
	for i, seg := range plan.Segments {
		if !recorded[i] {
			continue
		}
		for _, d := range seg.Defines {
			if n := methodNote(d); n != "" && !s.rec.methodNoted[d.Name] {
				if s.rec.methodNoted == nil {
					s.rec.methodNoted = map[string]bool{}
				}
				s.rec.methodNoted[d.Name] = true
				notes = append(notes, n)
			}
		}
	}
	s.rec.mu.Unlock()
	for _, n := range notes {
		s.stream("stderr", n+"\n")
	}
	for _, f := range ev.Failed {
		s.stream("stderr", fmt.Sprintf("quire: could not re-evaluate %s: %s\n", f.Name, cleanPositions(f.Err)))
	}
}

// cellError is the reply of a cell whose run ended with ev.Error (the worker lives): the
// traceback holds the panic's frames, the plan's hints and, after a compile error, a note on
// what ran before it (and afterCompileError cleans up).
func (s *Supervisor) cellError(p *proc, plan *cell.Plan, segOf []int, ev wire.Event, name, code string, known cell.Known) backend.ExecuteResult {
	traces := p.takeTraces()
	var partial []string
	if ev.Error.Name == "CompileError" || ev.Error.Name == "InternalError" {
		if ev.Steps < len(segOf) && segOf[ev.Steps] >= 0 {
			s.afterCompileError(p, plan.Segments[segOf[ev.Steps]])
		}
		partial = partialNote(plan, segOf, ev.Steps)
	}
	if ev.Error.Name == "CompileError" && strings.Contains(ev.Error.Value, "definition loop") {
		// yaegi's word for a top-level := or var using an undefined name: say what Go says.
		if u := cell.Undefined(name, code, known); u != nil {
			ev.Error.Value = u.Error()
		}
	}
	tb := append(traceLines(traces, name), ev.Error.Traceback...)
	tb = append(tb, hintLines(plan, ev.Error)...)
	return errorResult(ev.Error.Name, ev.Error.Value, append(tb, partial...)...)
}

// partialNote warns, as a traceback line, that statements of the cell ran before its step
// failed (done steps were done): Go compiles a whole program before running any of it, quire
// runs a cell's parts one after the other.
func partialNote(plan *cell.Plan, segOf []int, done int) []string {
	ran := false
	for k := 0; k < done && k < len(segOf); k++ {
		ran = ran || segOf[k] >= 0 && plan.Segments[segOf[k]].Kind == cell.Stmts
	}
	if !ran {
		return nil
	}
	line := plan.TrailingLine
	if done < len(segOf) && segOf[done] >= 0 {
		line = plan.Segments[segOf[done]].Line
	}
	return []string{fmt.Sprintf("Note: the cell's statements before line %d ran before this error was found (quire runs a cell in parts; Go would run none of it).", line)}
}

// afterCompileError cleans up after a segment that failed to compile. yaegi v0.16.1 declares
// the segment's names before it finds the error, and keeps them: a new name stays declared
// (with a zero or partial value), and a name the session had is replaced. As in Go, nothing
// of a cell that does not compile should exist: new names become zombies (later cells that use
// them fail with "undefined"), funcs, methods and consts the session had are evaluated again
// from their recorded source, and the user is told about variables whose value may be lost.
func (s *Supervisor) afterCompileError(p *proc, seg cell.Segment) {
	var restore []wire.Step
	var vars []string
	s.rec.mu.Lock()
	for _, d := range seg.Defines {
		old, had := s.rec.sess.decls[declKey(d)]
		switch {
		case d.Kind == cell.DeclImport || d.Kind == cell.DeclMethod && !had:
		case !had:
			s.rec.sess.zombies[d.Name] = true
		case old.Kind == cell.DeclFunc || old.Kind == cell.DeclMethod || old.Kind == cell.DeclConst:
			restore = append(restore, wire.Step{Kind: wire.StepEval, Src: old.Src, Name: string(old.Kind) + " " + old.Name, Tolerant: true, Funcs: stepFuncs(old)})
		case old.Kind == cell.DeclVar:
			vars = append(vars, d.Name)
		}
	}
	s.rec.mu.Unlock()
	if len(restore) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if ev, ok := p.run(ctx, wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1), Steps: restore}); ok {
			for _, f := range ev.Failed {
				s.stream("stderr", fmt.Sprintf("quire: could not restore %s after the compile error: %s\n", f.Name, cleanPositions(f.Err)))
			}
		}
	}
	if len(vars) > 0 {
		sort.Strings(vars)
		what, it := "variable "+vars[0]+" may no longer hold the value it", "it"
		if len(vars) > 1 {
			what, it = "variables "+strings.Join(vars, ", ")+" may no longer hold the values they", "them"
		}
		s.stream("stderr", "quire: the interpreter (yaegi) redeclares a cell's variables before it finds a compile error: "+
			what+" had before this cell (Go would keep "+it+"); run the cells that set "+it+" again.\n")
	}
}

// hintLines returns the plan's hints that apply to an error of the interpreter (not to a panic
// of the cell's own code), as traceback lines.
func hintLines(plan *cell.Plan, e *wire.Error) []string {
	if e.Name != "CompileError" && e.Name != "InternalError" {
		return nil
	}
	var out []string
	for _, h := range plan.Hints {
		if h.Applies(e.Value) {
			out = append(out, fmt.Sprintf("Hint (%s:%d:%d): %s", strings.TrimSuffix(plan.File, "/_.go")+".go", h.Line, h.Col, h.Msg))
		}
	}
	return append(out, compiledHints(e.Value)...)
}

func sameSteps(a, b []wire.Step) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Src != b[i].Src || a[i].Kind != b[i].Kind || a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}

// cellSteps turns a plan into worker steps. After a segment that changes a func (or const),
// the funcs that use it are evaluated again so they call the new one (yaegi binds calls at
// compile time). segOf maps each step to its segment (-1: not a segment).
func (s *Supervisor) cellSteps(plan *cell.Plan) ([]wire.Step, []int) {
	var steps []wire.Step
	var segOf []int
	s.rec.mu.Lock()
	all := make([]cell.Decl, 0, len(s.rec.sess.order))
	for _, k := range s.rec.sess.order {
		all = append(all, s.rec.sess.decls[k])
	}
	changed := map[string]bool{}
	for _, seg := range plan.Segments {
		for _, d := range seg.Defines {
			if (d.Kind == cell.DeclFunc || d.Kind == cell.DeclConst || d.Kind == cell.DeclMethod) && s.rec.sess.changed(d) {
				changed[d.Name] = true
			}
		}
	}
	s.rec.mu.Unlock()
	inCell := map[string]bool{}
	for _, d := range plan.Defines() {
		inCell[d.Name] = true
	}
	done := map[string]bool{}
	for i, seg := range plan.Segments {
		steps = append(steps, wire.Step{Kind: wire.StepEval, Src: seg.Src, Funcs: stepFuncs(seg.Defines...)})
		segOf = append(segOf, i)
		for _, st := range nestedMethodSteps(seg) {
			steps = append(steps, st)
			segOf = append(segOf, -1)
		}
		for _, d := range seg.Defines {
			if !changed[d.Name] {
				continue
			}
			for _, caller := range cell.Callers(all, d.Name) {
				if inCell[caller] || done[caller] {
					continue
				}
				done[caller] = true
				for _, c := range all {
					if c.Name == caller {
						steps = append(steps, wire.Step{Kind: wire.StepEval, Src: c.Src, Name: string(c.Kind) + " " + c.Name, Tolerant: true, Funcs: stepFuncs(c)})
						segOf = append(segOf, -1)
					}
				}
			}
		}
	}
	if plan.Trailing != "" {
		if plan.Suppress {
			steps = append(steps, wire.Step{Kind: wire.StepEval, Src: plan.StmtSrc()})
		} else {
			steps = append(steps, wire.Step{Kind: wire.StepShow, Src: plan.ShowSrc(showFunc), Alt: plan.StmtSrc(), Alts: showAlts(plan)})
		}
		segOf = append(segOf, -1)
	}
	return steps, segOf
}

// showAlts are the preferred forms of showing a trailing expression: through variables, because
// yaegi passes the result of an interpreted call to a compiled function without its methods
// (String, HTML...), while a variable keeps them. When ShowSrc compiles (the expression has
// values), these are tried for 4 down to 1 results; the first that compiles runs.
func showAlts(plan *cell.Plan) []string {
	if !strings.HasSuffix(strings.TrimSpace(plan.Trailing), ")") {
		return nil // not a call: ShowSrc wraps it fine
	}
	pos := fmt.Sprintf("/*line %s:%d:%d*/", plan.File, plan.TrailingLine, plan.TrailingCol)
	alts := make([]string, 0, 4)
	for n := 4; n >= 1; n-- {
		vars := make([]string, n)
		for i := range vars {
			vars[i] = fmt.Sprintf("__quire_v%d", i)
		}
		list := strings.Join(vars, ", ")
		alts = append(alts, fmt.Sprintf(";\n%s := %s%s\n%s(%s)", list, pos, plan.Trailing, showFunc, list))
	}
	return alts
}

// afterDeath reports a worker that died (or was killed by Interrupt) during a cell and starts
// its replacement.
func (s *Supervisor) afterDeath(p *proc, plan *cell.Plan, code string, interrupted bool, ctx context.Context) backend.ExecuteResult {
	s.rec.mu.Lock()
	// Keep the cell's declarations other than variables: replay re-creates those that were
	// evaluated before the crash (tolerantly).
	for _, seg := range plan.Segments {
		var ds []cell.Decl
		for _, d := range seg.Defines {
			if d.Kind != cell.DeclVar {
				ds = append(ds, d)
			}
		}
		s.rec.sess.record(ds)
	}
	lost, reset, restored := s.rec.sess.lost(), s.rec.sess.reset(), s.rec.sess.restored()
	s.rec.sess.forgetVars()
	s.rec.mu.Unlock()
	s.workers.restartIf(p)
	traces := p.takeTraces()
	if ctx.Err() != nil && !interrupted {
		return errorResult("Shutdown", "the kernel is shutting down")
	}
	if interrupted {
		note := "The cell was stopped; quire restarted the Go worker and replayed your declarations."
		if n := lostNote(lost, reset, restored); n != "" {
			note += "\n" + n
		}
		return errorResult("KeyboardInterrupt", "interrupted", note)
	}
	e := p.crashError()
	value := e.Value
	if pos := firstPos(traces); pos != "" && !strings.Contains(value, pos) {
		value += " (" + pos + ")"
	} else if pos == "" {
		value += " (while running " + plan.File + ")"
	}
	tb := append(traceLines(traces, plan.File), e.Traceback...)
	tb = append(tb, crashNote(nil, lostNote(lost, reset, restored)))
	return errorResult(e.Name, value, tb...)
}

// traceLines formats yaegi's panic frame lines ("cell3.go:2:5: panic: main.f(...)") for a
// traceback, innermost first, as Go prints goroutine traces.
func traceLines(traces []string, file string) []string {
	out := make([]string, 0, len(traces))
	for _, t := range traces {
		pos, fn, ok := strings.Cut(t, ": panic: ")
		if !ok {
			pos, fn, _ = strings.Cut(t, ": panic")
		}
		if l, _, ok := strings.Cut(pos, ":"); ok && strings.Count(pos, ":") == 1 && isDigits(l) { // "2:1": a position in the trailing expression
			pos = file + ":" + pos
		}
		if fn == "" || fn == "main(...)" {
			fn = "(cell top level)"
		}
		out = append(out, "    "+fn+"\n        "+pos)
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func firstPos(traces []string) string {
	if len(traces) == 0 {
		return ""
	}
	pos, _, _ := strings.Cut(traces[0], ": panic")
	return pos
}

// DefaultUserExpressionTimeout bounds the user_expressions of one execute_request when
// Options.UserExpressionTimeout is 0.
const DefaultUserExpressionTimeout = 10 * time.Second

// userExpressions evaluates user_expressions after a successful cell, in key order. They run
// in the worker like cells: Interrupt stops them, and so does Options.UserExpressionTimeout
// (both restart the worker, as for a cell); the entries not evaluated then get an error.
func (s *Supervisor) userExpressions(ctx context.Context, exprs map[string]string) map[string]any {
	limit := s.opts.UserExpressionTimeout
	if limit <= 0 {
		limit = DefaultUserExpressionTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	keys := make([]string, 0, len(exprs))
	for k := range exprs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]any{}
	var stopped map[string]any // the error of every entry after an interrupt or the timeout
	for _, key := range keys {
		if stopped != nil {
			out[key] = userExprError(stopped["ename"].(string), "not evaluated: user_expressions stopped before "+strconv.Quote(key))
			continue
		}
		entry, stop := s.userExpression(ctx, key, exprs[key], limit)
		out[key] = entry
		if stop {
			stopped = entry
		}
	}
	return out
}

// userExprError is the entry of a user expression that failed.
func userExprError(name, value string) map[string]any {
	return map[string]any{"status": "error", "ename": name, "evalue": value, "traceback": []string{name + ": " + value}}
}

// userExpression evaluates user expression key (src); stop reports an entry that stops the
// ones after it (an interrupt, the timeout limit, shutdown).
func (s *Supervisor) userExpression(ctx context.Context, key, src string, limit time.Duration) (entry map[string]any, stop bool) {
	s.rec.mu.Lock()
	known := s.rec.sess.known()
	s.rec.mu.Unlock()
	plan, err := cell.Build("user_expression.go", src, known)
	if err != nil || plan.Trailing == "" {
		msg := "not an expression"
		if err != nil {
			msg = err.Error()
		}
		return map[string]any{"status": "error", "ename": "CompileError", "evalue": msg, "traceback": []string{msg}}, false
	}
	p, err := s.workers.get(ctx)
	if err != nil {
		if s.run.interrupted() {
			return userExprError("KeyboardInterrupt", "interrupted"), true
		}
		return userExprError("WorkerError", err.Error()), false
	}
	if !s.run.start(p) {
		return userExprError("KeyboardInterrupt", "interrupted"), true
	}
	ev, ok := p.run(ctx, wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1), Steps: []wire.Step{{Kind: wire.StepShow, Src: plan.ShowSrc(showFunc)}}})
	interrupted := s.run.finish(p, ok)
	switch {
	case !ok:
		return s.userExpressionDied(ctx, p, key, limit, interrupted)
	case ev.Error != nil:
		return map[string]any{"status": "error", "ename": ev.Error.Name, "evalue": ev.Error.Value, "traceback": []string{ev.Error.Value}}, false
	}
	data := ev.Result
	if data == nil {
		data = map[string]any{}
	}
	return map[string]any{"status": "ok", "data": data, "metadata": map[string]any{}}, false
}

// userExpressionDied is the entry of user expression key when its worker p died (or was killed
// by Interrupt, the timeout or shutdown); it restarts the worker and tells the user.
func (s *Supervisor) userExpressionDied(ctx context.Context, p *proc, key string, limit time.Duration, interrupted bool) (entry map[string]any, stop bool) {
	s.rec.mu.Lock()
	lost, reset, restored := s.rec.sess.lost(), s.rec.sess.reset(), s.rec.sess.restored()
	s.rec.sess.forgetVars()
	s.rec.mu.Unlock()
	s.workers.restartIf(p)
	note := "quire restarted the Go worker and replayed your declarations."
	if n := lostNote(lost, reset, restored); n != "" {
		note += " " + strings.ReplaceAll(n, "\n", " ")
	}
	stop = true
	switch {
	case interrupted:
		entry = userExprError("KeyboardInterrupt", "interrupted while evaluating user_expressions["+strconv.Quote(key)+"]; "+note)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		entry = userExprError("TimeoutError", fmt.Sprintf("user_expressions ran longer than %v (at %s); %s", limit, strconv.Quote(key), note))
	case ctx.Err() != nil:
		entry = userExprError("Shutdown", "the kernel is shutting down")
	default:
		e := p.crashError()
		entry, stop = userExprError(e.Name, e.Value+"; "+note), false
	}
	s.stream("stderr", "quire: "+entry["evalue"].(string)+"\n")
	return entry, stop
}
