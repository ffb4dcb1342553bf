package interp

// quire patch (PATCHES.md, 2): a debugger that stays attached to an interpreter across
// evaluations (a notebook's debug session spans many cells), breakpoints by file and line as
// positions report them after //line directives, and the variables of the session's globals.

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"sync"
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

// SetFileBreakpoints replaces all line breakpoints of the interpreter's compiled code with the
// given ones (file name -> lines, as positions report them, after //line directives). It
// returns, for each breakpoint that could be set, the line where it is (a breakpoint on a line
// without code is not set). Code compiled afterwards has no breakpoint until the next call.
// The most recently compiled code wins when several roots hold the same file and line (a
// function redefined in place).
func (interp *Interpreter) SetFileBreakpoints(lines map[string][]int) map[FileLine]int {
	want := map[FileLine]bool{}
	for f, ls := range lines {
		for _, l := range ls {
			want[FileLine{f, l}] = true
		}
	}
	set := map[FileLine]int{}
	interp.mutex.RLock()
	roots := append([]*node(nil), interp.roots...)
	interp.mutex.RUnlock()
	for k := len(roots) - 1; k >= 0; k-- {
		roots[k].Walk(func(n *node) bool {
			if n.debug != nil && n.debug.breakOnLine {
				n.debug.breakOnLine = false
			}
			if len(want) == 0 || !n.pos.IsValid() || n.action == aNop || getExec(n) == nil {
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
