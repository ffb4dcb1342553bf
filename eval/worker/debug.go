package worker

// The worker's half of the debugger (the kernel's half, the Jupyter debug protocol itself, is
// eval/debug.go).
//
// Model: while a debug session is attached (OpDebug "attach" until "disconnect"), yaegi's
// interp.Debugger stays attached to the session's interpreter (third_party/yaegi PATCHES.md,
// 2), so every step the worker evaluates runs under it; with no session attached, steps run
// exactly as before, at no cost. Top-level code of every cell runs in one Go routine, the
// main thread (DAP thread 1); each goroutine a cell starts is a thread of its own, with the
// ID yaegi gives it (unique for the worker's life). Breakpoints are lines of cell files as
// positions report them after the cell rewriter's //line directives ("cell3.go", line 5 is
// line 5 of the cell as the user typed it); the kernel side maps dumped cell sources to these
// names. yaegi keeps them and applies them to the code of every step it executes.
//
// Requests arrive on the request pipe and are answered at once on their own goroutine, never
// queued behind the running cell: stackTrace and variables of a stopped goroutine are
// answered while the cell that started it is blocked. Answers and events carry Debug Adapter
// Protocol bodies; the kernel side adds sequence numbers and the Jupyter envelope.

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/token"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/quire-go/quire/eval/internal/wire"
	"github.com/traefik/yaegi/interp"
)

// debugState is the worker's debugger, guarded by its mu.
type debugState struct {
	mu       sync.Mutex
	dbg      *interp.Debugger // attached (or detached, kept for its goroutine IDs); nil before the first attach
	attached bool
	stopped  map[int]*interp.DebugEvent // goroutine -> the event that stopped it
	order    []int                      // stopped goroutines, most recent last
	refs     []reflect.Value            // variablesReference-1 -> value to expand
	refKind  map[int]scopeRef           // variablesReference -> scope (frame locals, globals)
	stepping map[int]stepFrom           // goroutine -> where its next/stepIn/stepOut started
}

// stepFrom is where a step started: yaegi stops at every node of a line, the user wants the
// next line.
type stepFrom struct {
	file        string
	line, depth int
	skips       int
}

// maxStepSkips bounds the nodes of one line a step passes silently (a one-line loop).
const maxStepSkips = 100000

// scopeRef names the variables of a frame's scope (global: the session's globals).
type scopeRef struct {
	g, frame int
	global   bool
}

const (
	refScopeBase = 1 << 20 // variablesReference values at or above: scopes (refKind)
	maxRefs      = 1 << 16
)

// dapAnswer is what the worker answers to one OpDebug request.
type dapAnswer struct {
	Success bool   `json:"success"`
	Message string `json:"message,omitempty"`
	Body    any    `json:"body,omitempty"`
}

type dapRequest struct {
	Command   string          `json:"command"`
	Arguments json.RawMessage `json:"arguments"`
}

// debugRequest answers one OpDebug request.
func (w *Worker) debugRequest(r wire.Request) {
	var req dapRequest
	var ans dapAnswer
	if err := json.Unmarshal(r.Debug, &req); err != nil {
		ans.Message = "bad debug request: " + err.Error()
	} else {
		func() {
			defer func() {
				if p := recover(); p != nil {
					ans = dapAnswer{Message: fmt.Sprintf("the debugger failed on %s: %v", req.Command, p)}
				}
			}()
			body, err := w.debugCommand(req.Command, req.Arguments)
			if err != nil {
				ans = dapAnswer{Message: err.Error()}
				return
			}
			ans = dapAnswer{Success: true, Body: body}
		}()
	}
	b, err := json.Marshal(ans)
	if err != nil {
		b, _ = json.Marshal(dapAnswer{Message: "encoding the answer: " + err.Error()})
	}
	w.send(wire.Event{Ev: wire.EvDebug, ID: r.ID, Debug: b})
}

// debugEvent sends a DAP event (after the output written before it: syncSend).
func (w *Worker) debugEvent(event string, body map[string]any) {
	b, err := json.Marshal(map[string]any{"event": event, "body": body})
	if err != nil {
		w.log.Error("encoding a debug event", "err", err)
		return
	}
	w.syncSend(wire.Event{Ev: wire.EvDebugEv, Debug: b})
}

// onDebugEvent is yaegi's event callback (called on the goroutine concerned).
func (w *Worker) onDebugEvent(e *interp.DebugEvent) {
	d := &w.dbgState
	switch e.Reason() {
	case interp.DebugEnterGoRoutine:
		w.debugEvent("thread", map[string]any{"reason": "started", "threadId": e.GoRoutine()})
		return
	case interp.DebugExitGoRoutine:
		g := e.GoRoutine()
		d.mu.Lock()
		d.unstopLocked(g)
		d.mu.Unlock()
		w.debugEvent("thread", map[string]any{"reason": "exited", "threadId": g})
		return
	case interp.DebugTerminate:
		return
	}
	reason := "pause"
	switch e.Reason() {
	case interp.DebugBreak:
		reason = "breakpoint"
	case interp.DebugStepInto, interp.DebugStepOver, interp.DebugStepOut:
		reason = "step"
	case interp.DebugEntry:
		reason = "entry"
	}
	g := e.GoRoutine()
	d.mu.Lock()
	if reason == "step" {
		if from, ok := d.stepping[g]; ok {
			pos, depth := topPosition(e)
			if pos.Filename == from.file && pos.Line == from.line && depth == from.depth && from.skips < maxStepSkips {
				from.skips++
				d.stepping[g] = from
				d.mu.Unlock()
				// Still on the line the step started from: step again (from another goroutine:
				// this one waits for it only after this callback returns).
				go e.Step(e.Reason())
				return
			}
		}
	}
	delete(d.stepping, g)
	d.unstopLocked(g)
	d.stopped[g] = e
	d.order = append(d.order, g)
	d.mu.Unlock()
	w.debugEvent("stopped", map[string]any{"reason": reason, "threadId": g, "allThreadsStopped": false})
}

func (d *debugState) unstopLocked(g int) {
	delete(d.stopped, g)
	for i, x := range d.order {
		if x == g {
			d.order = append(d.order[:i], d.order[i+1:]...)
			break
		}
	}
}

// stoppedThread resolves the thread a request names: that goroutine if it is stopped, else
// the goroutine that stopped last (JupyterLab's debugger sends threadId 1 for "the current
// thread", whichever goroutine stopped). d.mu must be held.
func (d *debugState) stoppedThread(id int) (int, *interp.DebugEvent, error) {
	if e, ok := d.stopped[id]; ok {
		return id, e, nil
	}
	if n := len(d.order); n > 0 {
		g := d.order[n-1]
		return g, d.stopped[g], nil
	}
	return 0, nil, fmt.Errorf("thread %d is running (no goroutine is stopped)", id)
}

type threadArgs struct {
	ThreadID int `json:"threadId"`
}

func (w *Worker) debugCommand(cmd string, raw json.RawMessage) (any, error) {
	d := &w.dbgState
	switch cmd {
	case "attach":
		return w.debugAttach(), nil
	case "disconnect":
		d.detach()
		return nil, nil
	}
	d.mu.Lock()
	attached, dbg := d.attached, d.dbg
	d.mu.Unlock()
	if !attached {
		return nil, errors.New("the debugger is not attached")
	}
	switch cmd {
	case "quireBreakpoints":
		return w.debugBreakpoints(raw)
	case "threads":
		return debugThreads(dbg), nil
	case "stackTrace":
		return d.stackTrace(raw)
	case "scopes":
		return d.scopes(raw)
	case "variables":
		var a struct {
			Ref int `json:"variablesReference"`
		}
		_ = json.Unmarshal(raw, &a)
		d.mu.Lock()
		defer d.mu.Unlock()
		return map[string]any{"variables": d.variablesLocked(w.i, a.Ref)}, nil
	case "inspectVariables":
		d.mu.Lock()
		defer d.mu.Unlock()
		return map[string]any{"variables": d.varList(w.i.GlobalVariables())}, nil
	case "continue":
		return w.debugContinue(dbg), nil
	case "next", "stepIn", "stepOut":
		return nil, d.step(cmd, raw)
	case "pause":
		for _, g := range dbg.GoRoutines() {
			dbg.Interrupt(g.ID(), interp.DebugPause)
		}
		return nil, nil
	}
	return nil, fmt.Errorf("%s is not supported by the Go debugger", cmd)
}

// debugAttach attaches yaegi's debugger (the first time) or reattaches it, and names the
// goroutine that runs cells' top level.
func (w *Worker) debugAttach() any {
	d := &w.dbgState
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped == nil {
		d.stopped = map[int]*interp.DebugEvent{}
		d.refKind = map[int]scopeRef{}
		d.stepping = map[int]stepFrom{}
	}
	if !d.attached {
		if d.dbg == nil {
			d.dbg = w.i.AttachDebugger(w.onDebugEvent, &interp.DebugOptions{GoRoutineStartAt1: true})
		} else {
			d.dbg.Reattach()
		}
		d.attached = true
	}
	return map[string]any{"mainThread": d.dbg.MainGoRoutine()}
}

// detach detaches the debugger and lets every stopped goroutine go on.
func (d *debugState) detach() {
	d.mu.Lock()
	if !d.attached {
		d.mu.Unlock()
		return
	}
	d.attached = false
	d.dbg.Detach()
	stopped := d.stopped
	d.stopped, d.order = map[int]*interp.DebugEvent{}, nil
	d.refs, d.refKind = nil, map[int]scopeRef{}
	d.mu.Unlock()
	for _, e := range stopped {
		e.Continue()
	}
}

// debugBreakpoints sets the breakpoints of every file at once and answers the lines set.
func (w *Worker) debugBreakpoints(raw json.RawMessage) (any, error) {
	var a struct {
		Files map[string][]int `json:"files"`
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("quireBreakpoints: %w", err)
	}
	set := w.i.SetFileBreakpoints(a.Files)
	out := map[string][]int{}
	for fl := range set {
		out[fl.File] = append(out[fl.File], fl.Line)
	}
	for _, ls := range out {
		sort.Ints(ls)
	}
	return map[string]any{"set": out}, nil
}

// debugThreads lists the interpreter's goroutines, the one running the cell named as such.
func debugThreads(dbg *interp.Debugger) any {
	main := dbg.MainGoRoutine()
	var ts []map[string]any
	for _, g := range dbg.GoRoutines() {
		name := "goroutine " + strconv.Itoa(g.ID())
		if g.ID() == main {
			name = "main (cell top level)"
		}
		ts = append(ts, map[string]any{"id": g.ID(), "name": name})
	}
	return map[string]any{"threads": ts}
}

// stackTrace lists the frames of a stopped goroutine, innermost first.
func (d *debugState) stackTrace(raw json.RawMessage) (any, error) {
	var a threadArgs
	_ = json.Unmarshal(raw, &a)
	d.mu.Lock()
	g, e, err := d.stoppedThread(a.ThreadID)
	d.mu.Unlock()
	if err != nil {
		return nil, err
	}
	frames := e.Frames(0, e.FrameDepth())
	var sf []map[string]any
	for k, f := range frames {
		pos := f.Position()
		name := f.Name()
		if f.IsRoot() {
			name = "cell"
		}
		fr := map[string]any{
			"id": frameID(g, k), "name": name, "line": pos.Line, "column": max(pos.Column, 1),
		}
		if pos.Filename != "" {
			fr["source"] = map[string]any{"name": pos.Filename}
		}
		sf = append(sf, fr)
	}
	return map[string]any{"stackFrames": sf, "totalFrames": len(sf)}, nil
}

// scopes answers a frame's scopes (its locals unless it is the cell's top level, and the
// globals) and remembers what their variable references stand for.
func (d *debugState) scopes(raw json.RawMessage) (any, error) {
	var a struct {
		FrameID int `json:"frameId"`
	}
	_ = json.Unmarshal(raw, &a)
	g, k := a.FrameID/1000, a.FrameID%1000-1
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.stopped[g]
	if !ok || k < 0 {
		return nil, fmt.Errorf("frame %d is not of a stopped goroutine", a.FrameID)
	}
	frames := e.Frames(0, e.FrameDepth())
	if k >= len(frames) {
		return nil, fmt.Errorf("no frame %d", a.FrameID)
	}
	var scopes []map[string]any
	if !frames[k].IsRoot() {
		ref := refScopeBase + 2*a.FrameID
		d.refKind[ref] = scopeRef{g: g, frame: k}
		scopes = append(scopes, map[string]any{"name": "Locals", "variablesReference": ref, "expensive": false})
	}
	ref := refScopeBase + 2*a.FrameID + 1
	d.refKind[ref] = scopeRef{g: g, frame: k, global: true}
	scopes = append(scopes, map[string]any{"name": "Globals", "variablesReference": ref, "expensive": false})
	return map[string]any{"scopes": scopes}, nil
}

// debugContinue lets every stopped goroutine go on, in the order they stopped.
func (w *Worker) debugContinue(dbg *interp.Debugger) any {
	d := &w.dbgState
	d.mu.Lock()
	order, stopped := d.order, d.stopped
	d.stopped, d.order = map[int]*interp.DebugEvent{}, nil
	d.refs = nil
	d.mu.Unlock()
	dbg.CancelPause()
	for _, g := range order {
		stopped[g].Continue()
		w.debugEvent("continued", map[string]any{"threadId": g, "allThreadsContinued": false})
	}
	return map[string]any{"allThreadsContinued": true}
}

// step steps a stopped goroutine (next, stepIn or stepOut), remembering the line it leaves so
// that onDebugEvent can skip stops on the same line.
func (d *debugState) step(cmd string, raw json.RawMessage) error {
	var a threadArgs
	_ = json.Unmarshal(raw, &a)
	d.mu.Lock()
	g, e, err := d.stoppedThread(a.ThreadID)
	if err != nil {
		d.mu.Unlock()
		return err
	}
	pos, depth := topPosition(e)
	d.stepping[g] = stepFrom{file: pos.Filename, line: pos.Line, depth: depth}
	d.unstopLocked(g)
	d.refs = nil
	d.mu.Unlock()
	reason := interp.DebugStepOver
	switch cmd {
	case "stepIn":
		reason = interp.DebugStepInto
	case "stepOut":
		reason = interp.DebugStepOut
	}
	e.Step(reason)
	return nil
}

func frameID(g, k int) int { return g*1000 + k + 1 }

// topPosition is the position of the innermost frame of a stop, and the number of frames.
func topPosition(e *interp.DebugEvent) (token.Position, int) {
	n := e.FrameDepth()
	fs := e.Frames(0, 1)
	if len(fs) == 0 {
		return token.Position{}, n
	}
	return fs[0].Position(), n
}

// variablesLocked lists the variables of a scope or the fields and elements of a value.
func (d *debugState) variablesLocked(i *interp.Interpreter, ref int) []map[string]any {
	if ref >= refScopeBase {
		s, ok := d.refKind[ref]
		if !ok {
			return []map[string]any{}
		}
		if s.global {
			return d.varList(i.GlobalVariables())
		}
		e, ok := d.stopped[s.g]
		if !ok {
			return []map[string]any{}
		}
		frames := e.Frames(0, e.FrameDepth())
		if s.frame >= len(frames) {
			return []map[string]any{}
		}
		var vs []*interp.DebugVariable
		seen := map[string]bool{}
		for _, sc := range frames[s.frame].Scopes() {
			for _, v := range sc.Variables() {
				if seen[v.Name] || strings.HasPrefix(v.Name, "_") {
					continue
				}
				seen[v.Name] = true
				vs = append(vs, v)
			}
		}
		sort.Slice(vs, func(a, b int) bool { return vs[a].Name < vs[b].Name })
		return d.varList(vs)
	}
	if ref <= 0 || ref > len(d.refs) {
		return []map[string]any{}
	}
	v := d.refs[ref-1]
	var out []map[string]any
	add := func(name string, x reflect.Value) { out = append(out, d.variable(name, x)) }
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			add("*", v.Elem())
		}
	case reflect.Struct:
		t := v.Type()
		for k := 0; k < v.NumField(); k++ {
			add(t.Field(k).Name, v.Field(k))
		}
	case reflect.Slice, reflect.Array:
		for k := 0; k < min(v.Len(), 100); k++ {
			add(strconv.Itoa(k), v.Index(k))
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(a, b int) bool { return fmt.Sprint(keys[a]) < fmt.Sprint(keys[b]) })
		for k, key := range keys {
			if k == 100 {
				break
			}
			add(valueString(key), v.MapIndex(key))
		}
	}
	if out == nil {
		out = []map[string]any{}
	}
	return out
}

func (d *debugState) varList(vs []*interp.DebugVariable) []map[string]any {
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		out = append(out, d.variable(v.Name, v.Value))
	}
	return out
}

// variable describes one value; values with parts get a variablesReference to expand them.
func (d *debugState) variable(name string, v reflect.Value) map[string]any {
	for v.IsValid() && v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	m := map[string]any{"name": name, "value": valueString(v), "type": typeString(v), "variablesReference": 0}
	if !v.IsValid() {
		return m
	}
	expand := false
	switch v.Kind() {
	case reflect.Struct:
		expand = v.NumField() > 0
	case reflect.Slice, reflect.Array, reflect.Map:
		expand = v.Len() > 0
	case reflect.Pointer:
		expand = !v.IsNil() && v.Elem().Kind() == reflect.Struct
	}
	if expand && len(d.refs) < maxRefs {
		d.refs = append(d.refs, v)
		m["variablesReference"] = len(d.refs)
	}
	return m
}

func typeString(v reflect.Value) string {
	if !v.IsValid() {
		return "nil"
	}
	return v.Type().String()
}

// valueString renders a value in one line, as %v does, with strings quoted and long results
// cut.
func valueString(v reflect.Value) (s string) {
	defer func() {
		if recover() != nil {
			s = "<unreadable>"
		}
	}()
	if !v.IsValid() {
		return "nil"
	}
	if !v.CanInterface() {
		return fmt.Sprintf("<%s>", v.Type())
	}
	x := v.Interface()
	switch v.Kind() {
	case reflect.String:
		s = strconv.Quote(v.String())
	case reflect.Func:
		s = "func"
	default:
		s = fmt.Sprintf("%+v", x)
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
