package interp

// quire patch (PATCHES.md, 2): a debugger that stays attached to an interpreter across
// evaluations (a notebook's debug session spans many cells), breakpoints by file and line as
// positions report them after //line directives, and the variables of the session's globals.

import (
	"context"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

// AttachDebugger attaches a debugger to the interpreter without running a program: every
// evaluation that follows (Eval, Execute) runs under it, until Detach. The interpreter's
// top-level code runs in one Go routine, MainGoRoutine; each go statement starts a new one
// (DebugEnterGoRoutine, DebugExitGoRoutine). events is called from the Go routine concerned;
// it must not block for long.
func (interp *Interpreter) AttachDebugger(events func(*DebugEvent), opts *DebugOptions) *Debugger {
	dbg := new(Debugger)
	dbg.interp = interp
	dbg.events = events
	dbg.context, dbg.cancel = context.WithCancel(context.Background())
	dbg.gWait = new(sync.WaitGroup)
	dbg.gLock = new(sync.Mutex)
	dbg.gLive = make(map[int]*debugRoutine, 1)
	if opts != nil && opts.GoRoutineStartAt1 {
		dbg.gID = 1
	}
	mainG := dbg.enterGoRoutine()
	mainG.mode = debugRun
	mainG.running = true
	interp.frame.mutex.Lock()
	interp.frame.debug = &frameDebugData{kind: frameRoot, g: mainG}
	interp.frame.mutex.Unlock()
	dbg.quireMain = mainG
	dbg.quireByGoid = map[uint64]*debugRoutine{}
	interp.debugger = dbg
	return dbg
}

// MainGoRoutine returns the ID of the Go routine that runs the interpreter's top-level code.
func (dbg *Debugger) MainGoRoutine() int {
	if dbg.quireMain == nil {
		return 0
	}
	return dbg.quireMain.id
}

// ResetMain makes the main Go routine run (not step) from its next statement on, as at the
// start of an evaluation.
func (dbg *Debugger) ResetMain() {
	if g := dbg.quireMain; g != nil && g.mode != DebugTerminate {
		g.mode = debugRun
	}
}

// Running reports whether Go routine id is running (false: stopped at a breakpoint or step,
// or not live).
func (dbg *Debugger) Running(id int) bool {
	g, ok := dbg.getGoRoutine(id)
	return ok && g.running
}

// Detach removes all breakpoints, makes every Go routine run freely from its next statement
// on, and detaches the debugger from the interpreter: later evaluations run without it. Go
// routines stopped at a breakpoint stay stopped until Continue (the caller knows which it was
// told about). Reattach attaches it again, with the same Go routine IDs.
func (dbg *Debugger) Detach() {
	dbg.interp.SetFileBreakpoints(nil)
	if dbg.interp.debugger == dbg {
		dbg.interp.debugger = nil
	}
	dbg.gLock.Lock()
	for _, g := range dbg.gLive {
		if g.mode != DebugTerminate {
			g.mode = debugRun
		}
	}
	dbg.gLock.Unlock()
}

// Reattach attaches a detached debugger again (see AttachDebugger).
func (dbg *Debugger) Reattach() {
	dbg.ResetMain()
	dbg.interp.frame.mutex.Lock()
	dbg.interp.frame.debug = &frameDebugData{kind: frameRoot, g: dbg.quireMain}
	dbg.interp.frame.mutex.Unlock()
	dbg.interp.debugger = dbg
}

// A FileLine names a line of a source file as positions report it (after //line directives).
type FileLine struct {
	File string
	Line int
}

// SetFileBreakpoints replaces all line breakpoints of the interpreter's code with the given
// ones (file name -> lines, as positions report them, after //line directives). It returns,
// for each breakpoint that could be set, the line where it is: a breakpoint on a line without
// code is not set. The breakpoints are kept: while a debugger is attached, code compiled
// later gets them when it is executed (Execute calls setFileBreakpoints). When several roots
// hold the same file and line (a function redefined in place), the most recent one wins.
func (interp *Interpreter) SetFileBreakpoints(lines map[string][]int) map[FileLine]int {
	interp.quireBPMu.Lock()
	defer interp.quireBPMu.Unlock()
	interp.quireBPs = lines
	return interp.setFileBreakpointsLocked()
}

// reapplyBreakpoints is called by Execute once the program's code is generated.
func (interp *Interpreter) reapplyBreakpoints() {
	interp.quireBPMu.Lock()
	defer interp.quireBPMu.Unlock()
	if len(interp.quireBPs) > 0 && interp.debugger != nil {
		interp.setFileBreakpointsLocked()
	}
}

func (interp *Interpreter) setFileBreakpointsLocked() map[FileLine]int {
	want := map[FileLine]bool{}
	for f, ls := range interp.quireBPs {
		for _, l := range ls {
			want[FileLine{f, l}] = true
		}
	}
	set := map[FileLine]int{}
	interp.mutex.RLock()
	roots := append([]*node(nil), interp.roots...)
	interp.mutex.RUnlock()
	for k := len(roots) - 1; k >= 0; k-- {
		if roots[k] == nil {
			continue
		}
		roots[k].Walk(func(n *node) bool {
			if n.debug != nil && n.debug.breakOnLine {
				n.debug.breakOnLine = false
			}
			// Only code already generated (n.exec; getExec would generate it, which
			// panics on code that was compiled but never run).
			if len(want) == 0 || !n.pos.IsValid() || n.action == aNop || n.exec == nil {
				return true
			}
			pos := interp.fset.Position(n.pos)
			key := FileLine{pos.Filename, pos.Line}
			if want[key] {
				if _, done := set[key]; !done {
					set[key] = pos.Line
					n.setBreakOnLine(true)
				}
			}
			return true
		}, nil)
	}
	return set
}

// GlobalVariables returns the variables of the main package (package-level variables, and
// the variables of top-level statements, which the interpreter keeps at global scope), sorted
// by name. Names starting with an underscore are left out.
func (interp *Interpreter) GlobalVariables() []*DebugVariable {
	interp.mutex.RLock()
	sc := interp.scopes[mainID]
	interp.mutex.RUnlock()
	if sc == nil {
		return nil
	}
	index := map[int]string{}
	var scan func(s *scope)
	scan = func(s *scope) {
		for name, sym := range s.sym {
			if sym.kind != varSym || sym.index < 0 || strings.HasPrefix(name, "_") {
				continue
			}
			if _, ok := index[sym.index]; !ok {
				index[sym.index] = name
			}
		}
		for _, ch := range s.child {
			if ch.def == s.def {
				scan(ch)
			}
		}
	}
	f := interp.frame
	f.mutex.RLock()
	defer f.mutex.RUnlock()
	scan(sc)
	var vs []*DebugVariable
	for i, name := range index {
		if i >= len(f.data) {
			continue
		}
		v := f.data[i]
		if !v.IsValid() {
			continue
		}
		if typ := v.Type(); typ.AssignableTo(rNodeType) || typ.Kind() == reflect.Ptr && typ.Elem().AssignableTo(rNodeType) {
			continue
		}
		vs = append(vs, &DebugVariable{name, v})
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
	return vs
}

// IsRoot reports whether the frame is the interpreter's global frame (top-level code).
func (f *DebugFrame) IsRoot() bool {
	d := f.frames[0].debug
	return d != nil && d.kind == frameRoot
}

// quireEnterCall replaces enterCall for AttachDebugger. yaegi's own goroutine detection sees
// only a go statement calling a named function: a func literal started by go runs through a
// reflect.MakeFunc wrapper, whose call node is not the go statement's, so its goroutine would
// be taken for its creator's. Here the debug routine of a call is the one of the Go runtime
// goroutine that makes it: a call in a goroutine that has none yet starts a new debug routine
// (DebugEnterGoRoutine), which ends when that call returns (DebugExitGoRoutine). Top-level
// code is the main routine, whatever goroutine runs it.
func (dbg *Debugger) quireEnterCall(nFunc *node, f *frame) {
	id := curGoid()
	if f.debug != nil {
		if f.debug.kind == frameRoot && f.root == f { // not a clone (closures capture one)
			dbg.gLock.Lock()
			dbg.quireByGoid[id] = f.debug.g
			dbg.gLock.Unlock()
		}
		f.debug.g.fDepth++
		return
	}
	d := new(frameDebugData)
	d.kind = frameCall
	if nFunc != nil {
		d.scope = nFunc.scope
		if nFunc.kind == funcDecl {
			d.name = nFunc.child[1].ident
		}
	}
	dbg.gLock.Lock()
	g := dbg.quireByGoid[id]
	dbg.gLock.Unlock()
	if g == nil {
		g = dbg.enterGoRoutine()
		g.running = true
		dbg.gLock.Lock()
		dbg.quireByGoid[id] = g
		dbg.gLock.Unlock()
		d.quireOwner = true
	}
	d.g = g
	f.debug = d
	if d.quireOwner {
		dbg.events(&DebugEvent{dbg, DebugEnterGoRoutine, f})
	}
	g.fDepth++
}

// quireExitCall replaces exitCall for AttachDebugger.
func (dbg *Debugger) quireExitCall(f *frame) {
	g := f.debug.g
	g.fDepth--
	if !f.debug.quireOwner {
		return
	}
	// The goroutine's mapping stays: its deferred calls run after this (runCfg runs them
	// after exitCall) and belong to it. Go never reuses goroutine IDs.
	dbg.exitGoRoutine(g)
	dbg.events(&DebugEvent{dbg, DebugExitGoRoutine, f})
}

// curGoid returns the Go runtime's ID of the calling goroutine.
func curGoid() uint64 {
	var buf [64]byte
	b, _ := strings.CutPrefix(string(buf[:runtime.Stack(buf[:], false)]), "goroutine ")
	if i := strings.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(b, 10, 64)
	return id
}

// isAncestorNode reports whether a is n or one of its ancestors.
func isAncestorNode(a, n *node) bool {
	for ; n != nil; n = n.anc {
		if n == a {
			return true
		}
	}
	return false
}

// Continue resumes the Go routine stopped by this event (also one that is no longer in the
// debugger's live list: a deferred call running after its goroutine's function returned).
func (evt *DebugEvent) Continue() {
	g := evt.frame.debug.g
	if g.mode != DebugTerminate {
		g.mode = debugRun
	}
	g.resume <- struct{}{}
}

// Step resumes the Go routine stopped by this event for a step (DebugStepInto, DebugStepOver,
// DebugStepOut).
func (evt *DebugEvent) Step(reason DebugEventReason) {
	g := evt.frame.debug.g
	g.setMode(reason)
	g.resume <- struct{}{}
}

// CancelPause makes the Go routines that a pause request (Interrupt with DebugPause) has not
// stopped yet run on: a goroutine blocked in a compiled call would otherwise stop long after
// the user continued.
func (dbg *Debugger) CancelPause() {
	dbg.gLock.Lock()
	defer dbg.gLock.Unlock()
	for _, g := range dbg.gLive {
		if g.running && g.mode == DebugPause {
			g.mode = debugRun
		}
	}
}

// sameClosure reports whether a and b are the same closure (func values are pointers to their
// closure objects; reflect's Pointer gives only the code, the same for every closure a
// generator makes).
func sameClosure(a, b bltn) bool {
	return *(*unsafe.Pointer)(unsafe.Pointer(&a)) == *(*unsafe.Pointer)(unsafe.Pointer(&b))
}

// maxExecNodeCache bounds quireExecNode's cache.
const maxExecNodeCache = 1 << 18

// quireExecNode is originalExecNode (exact) with a cache: the debugger's run loop looks up the
// node of an exec closure after every jump, and the search walks the tree each time (it made
// code under an attached debugger about 20 times slower). A closure belongs to one node.
func (dbg *Debugger) quireExecNode(n *node, exec bltn) *node {
	// The keys keep their closures alive (no address is reused); the bound keeps the cache
	// finite should some code make closures as it runs.
	key := *(*unsafe.Pointer)(unsafe.Pointer(&exec))
	if v, ok := dbg.quireNodes.Load(key); ok {
		return v.(*node) // nil too: a closure no node holds (most searches end so)
	}
	m := originalExecNode(n, exec, true)
	if dbg.quireNodesN.Add(1) <= maxExecNodeCache {
		dbg.quireNodes.Store(key, m)
	}
	return m
}
