package eval

// The Jupyter debug protocol for Go cells (the kernel side; the worker side, on yaegi's
// interp.Debugger, is eval/worker/debug.go).
//
// JupyterLab's debugger knows cells by source path: on dumpCell the kernel writes the cell's
// code to tmpFilePrefix + murmur2(code, hashSeed) + tmpFileSuffix and answers that path; the
// frontend computes the same hash itself to find which cell a stack frame or breakpoint is
// in, so the hash is exactly JupyterLab's murmur2 (MurmurHash2, 32 bits, over the code's UTF-8
// bytes).
//
// Breakpoints are set per source path, in lines of the cell as typed. The cell rewriter keeps
// //line directives naming the executed cell ("cell7/_.go", see cell.FileName) with the cell's own lines, so a
// breakpoint on line L of source S is line L of every cellN.go that ran S's code: the
// supervisor maps sources to cell files as cells run, and hands the worker breakpoints as
// cell file lines (quireBreakpoints). Stack frames come back with cell file names, mapped
// back to source paths here.
//
// Requests that need the running program (threads, stackTrace, scopes, variables, continue,
// next, stepIn, stepOut, pause, inspectVariables) go to the worker as OpDebug, which it
// answers at once, also while a cell runs (the shell is then blocked, the control channel
// not). The worker is attached when the session starts (attach) and again whenever a new
// worker runs a cell (after an interrupt or a crash, which end the worker and with it every
// stopped goroutine: the frontend is told that they continued and exited).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/internal/wire"
)

// DebugHashSeed is the seed of the cell hash (debugInfo's hashSeed).
const DebugHashSeed = 0x71756972 // "quir"

// debugReplyTimeout bounds the wait for the worker's answer to one debug request.
const debugReplyTimeout = 10 * time.Second

// debugSession is the supervisor's debugger state.
type debugSession struct {
	mu       sync.Mutex
	seq      int
	emit     func(map[string]any)
	started  bool                   // between attach and disconnect
	dir      string                 // where dumped cells go
	sources  map[string]string      // source path -> code (dumped or run while started)
	bps      map[string][]int       // source path -> breakpoint lines
	cellSrc  map[string]string      // cell file (cell3.go) -> source path
	srcCells map[string][]string    // source path -> cell files
	attached *proc                  // the worker attached to the session
	stopped  map[int]bool           // threads stopped (for debugInfo)
	threads  map[int]bool           // threads started and not exited, of the attached worker
	pending  map[uint64]chan []byte // OpDebug request ID -> its answer
}

// Murmur2 is MurmurHash2 (32 bits) of code's UTF-8 bytes, as JupyterLab 4's debugger computes
// it (@jupyterlab/debugger's hash.js, with TextEncoder; ipykernel hashes the same bytes).
// JupyterLab 3 used murmurhash-js, which hashes the low byte of each UTF-16 code unit: the
// same for ASCII cells, different for others.
func Murmur2(code string, seed uint32) uint32 {
	data := []byte(code)
	const m = 0x5bd1e995
	l := len(data)
	h := seed ^ uint32(l)
	i := 0
	for ; l >= 4; l -= 4 {
		k := uint32(data[i]) | uint32(data[i+1])<<8 | uint32(data[i+2])<<16 | uint32(data[i+3])<<24
		k *= m
		k ^= k >> 24
		k *= m
		h = h*m ^ k
		i += 4
	}
	switch l {
	case 3:
		h ^= uint32(data[i+2]) << 16
		fallthrough
	case 2:
		h ^= uint32(data[i+1]) << 8
		fallthrough
	case 1:
		h ^= uint32(data[i])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return h
}

func (d *debugSession) init() {
	if d.sources != nil {
		return
	}
	d.sources = map[string]string{}
	d.bps = map[string][]int{}
	d.cellSrc = map[string]string{}
	d.srcCells = map[string][]string{}
	d.stopped = map[int]bool{}
	d.threads = map[int]bool{}
	d.pending = map[uint64]chan []byte{}
	d.dir = filepath.Join(os.TempDir(), fmt.Sprintf("quire-debug-%d", os.Getpid()))
}

// sourcePath is where dumpCell puts code.
func (d *debugSession) sourcePath(code string) string {
	return filepath.Join(d.dir, strconv.FormatUint(uint64(Murmur2(code, DebugHashSeed)), 10)+".go")
}

// DebugRequest implements backend.Debugger.
func (s *Supervisor) DebugRequest(ctx context.Context, req map[string]any, emit func(map[string]any)) map[string]any {
	d := &s.dbg
	d.mu.Lock()
	d.init()
	if emit != nil {
		d.emit = emit
	}
	d.mu.Unlock()
	cmd, _ := req["command"].(string)
	args, _ := req["arguments"].(map[string]any)
	body, err := s.debugCommand(ctx, cmd, args)
	resp := map[string]any{
		"type": "response", "request_seq": req["seq"], "command": cmd, "success": err == nil,
	}
	if err != nil {
		resp["message"] = err.Error()
	}
	if body != nil {
		resp["body"] = body
	} else {
		resp["body"] = map[string]any{}
	}
	d.mu.Lock()
	d.seq++
	resp["seq"] = d.seq
	d.mu.Unlock()
	return resp
}

func (s *Supervisor) debugCommand(ctx context.Context, cmd string, args map[string]any) (any, error) {
	d := &s.dbg
	switch cmd {
	case "debugInfo":
		return s.debugInfo(), nil
	case "initialize":
		s.debugEmit("initialized", map[string]any{})
		return debugCapabilities(), nil
	case "attach":
		d.mu.Lock()
		d.started = true
		d.mu.Unlock()
		p, err := s.workers.get(ctx)
		if err != nil {
			return nil, fmt.Errorf("the Go worker is not available: %w", err)
		}
		return nil, s.debugAttach(ctx, p)
	case "configurationDone", "setExceptionBreakpoints":
		return map[string]any{}, nil
	case "dumpCell":
		return d.dumpCell(args)
	case "source":
		return d.source(args)
	case "setBreakpoints":
		return s.debugSetBreakpoints(ctx, args)
	case "modules":
		return map[string]any{"modules": []any{}, "totalModules": 0}, nil
	case "disconnect":
		return s.debugDisconnect(ctx), nil
	case "threads", "stackTrace", "scopes", "variables", "continue", "next", "stepIn", "stepOut", "pause", "inspectVariables":
		return s.debugForward(ctx, cmd, args)
	}
	return nil, fmt.Errorf("%s is not supported by the Go debugger", cmd)
}

// debugCapabilities is the body of the reply to initialize: what the Go debugger supports.
func debugCapabilities() map[string]any {
	return map[string]any{
		"supportsConfigurationDoneRequest": true,
		"supportsConditionalBreakpoints":   false,
		"supportsFunctionBreakpoints":      false,
		"supportsEvaluateForHovers":        false,
		"supportsSetVariable":              false,
		"supportsStepBack":                 false,
		"supportsTerminateRequest":         false,
		"supportsDelayedStackTraceLoading": false,
		"exceptionBreakpointFilters":       []any{},
	}
}

// dumpCell writes a cell's code to the source file the debugger shows for it.
func (d *debugSession) dumpCell(args map[string]any) (any, error) {
	code, _ := args["code"].(string)
	d.mu.Lock()
	path := d.sourcePath(code)
	d.sources[path] = code
	dir := d.dir
	d.mu.Unlock()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("dumpCell: %w", err)
	}
	if err := os.WriteFile(path, []byte(code), 0o600); err != nil {
		return nil, fmt.Errorf("dumpCell: %w", err)
	}
	return map[string]any{"sourcePath": path}, nil
}

// source answers a source request from the cells dumped so far, or the file itself.
func (d *debugSession) source(args map[string]any) (any, error) {
	src, _ := args["source"].(map[string]any)
	path, _ := src["path"].(string)
	d.mu.Lock()
	code, ok := d.sources[path]
	d.mu.Unlock()
	if !ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("source %s: not a cell this kernel knows", path)
		}
		code = string(b)
	}
	return map[string]any{"content": code, "mimeType": "text/x-go"}, nil
}

// debugDisconnect detaches the worker, forgets breakpoints and tells the frontend the stopped
// threads continue.
func (s *Supervisor) debugDisconnect(ctx context.Context) any {
	d := &s.dbg
	d.mu.Lock()
	p := d.attached
	d.started, d.attached = false, nil
	d.bps = map[string][]int{}
	stopped := d.stopped
	d.stopped = map[int]bool{}
	d.mu.Unlock()
	if p != nil {
		if _, err := s.debugWorker(ctx, p, "disconnect", nil); err != nil {
			s.log.Debug("debugger disconnect", "err", err)
		}
	}
	for t := range stopped {
		s.debugEmit("continued", map[string]any{"threadId": t, "allThreadsContinued": true})
	}
	return map[string]any{}
}

// debugForward sends a request about threads, frames or stepping to the attached worker and
// keeps the record of stopped threads in step with it.
func (s *Supervisor) debugForward(ctx context.Context, cmd string, args map[string]any) (any, error) {
	d := &s.dbg
	d.mu.Lock()
	p := d.attached
	started := d.started
	d.mu.Unlock()
	if !started {
		return nil, errors.New("the debugger is not started (send attach first)")
	}
	if p == nil {
		if cmd == "threads" {
			return map[string]any{"threads": []any{}}, nil
		}
		return nil, errors.New("no Go worker is attached (it stopped; the next cell attaches a new one)")
	}
	raw, err := s.debugWorker(ctx, p, cmd, args)
	if err != nil {
		return nil, err
	}
	var body map[string]any
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("%s: the worker's answer: %w", cmd, err)
		}
	}
	switch cmd {
	case "stackTrace":
		s.debugMapFrames(body)
	case "continue":
		d.mu.Lock()
		d.stopped = map[int]bool{}
		d.mu.Unlock()
	case "next", "stepIn", "stepOut":
		if t, ok := args["threadId"].(float64); ok {
			d.mu.Lock()
			delete(d.stopped, int(t))
			d.mu.Unlock()
		}
	}
	return body, nil
}

// debugInfo is the body of the debugInfo response: what JupyterLab restores a session from.
func (s *Supervisor) debugInfo() map[string]any {
	d := &s.dbg
	d.mu.Lock()
	defer d.mu.Unlock()
	bps := []any{}
	paths := make([]string, 0, len(d.bps))
	for p := range d.bps {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		var list []any
		for _, l := range d.bps[p] {
			list = append(list, map[string]any{"line": l})
		}
		if len(list) > 0 {
			bps = append(bps, map[string]any{"source": p, "breakpoints": list})
		}
	}
	stopped := []int{}
	for t := range d.stopped {
		stopped = append(stopped, t)
	}
	sort.Ints(stopped)
	return map[string]any{
		"isStarted":      d.started,
		"hashMethod":     "Murmur2",
		"hashSeed":       DebugHashSeed,
		"tmpFilePrefix":  d.dir + string(filepath.Separator),
		"tmpFileSuffix":  ".go",
		"breakpoints":    bps,
		"stoppedThreads": stopped,
		"richRendering":  false,
		"exceptionPaths": []any{},
		"copyToGlobals":  false,
	}
}

// debugSetBreakpoints replaces the breakpoints of one source.
func (s *Supervisor) debugSetBreakpoints(ctx context.Context, args map[string]any) (any, error) {
	d := &s.dbg
	src, _ := args["source"].(map[string]any)
	path, _ := src["path"].(string)
	if path == "" {
		return nil, errors.New("setBreakpoints: no source path")
	}
	var lines []int
	if list, ok := args["breakpoints"].([]any); ok {
		for _, b := range list {
			if m, ok := b.(map[string]any); ok {
				if l, ok := m["line"].(float64); ok && l > 0 {
					lines = append(lines, int(l))
				}
			}
		}
	} else if list, ok := args["lines"].([]any); ok {
		for _, l := range list {
			if f, ok := l.(float64); ok && f > 0 {
				lines = append(lines, int(f))
			}
		}
	}
	d.mu.Lock()
	if len(lines) == 0 {
		delete(d.bps, path)
	} else {
		d.bps[path] = lines
	}
	p := d.attached
	hasCells := len(d.srcCells[path]) > 0
	d.mu.Unlock()
	// Which lines hold code: known once the cell ran (it is compiled then).
	var set map[string][]int
	if p != nil {
		var err error
		if set, err = s.debugSendBreakpoints(ctx, p); err != nil {
			s.log.Debug("setting breakpoints in the worker", "err", err)
		}
	}
	d.mu.Lock()
	cells := d.srcCells[path]
	d.mu.Unlock()
	out := []any{}
	for k, l := range lines {
		verified := true
		if hasCells && set != nil {
			verified = false
			for _, c := range cells {
				for _, x := range set[c] {
					if x == l {
						verified = true
					}
				}
			}
		}
		bp := map[string]any{"id": k + 1, "verified": verified, "line": l, "source": map[string]any{"path": path}}
		if !verified {
			bp["message"] = "no code on this line"
		}
		out = append(out, bp)
	}
	return map[string]any{"breakpoints": out}, nil
}

// debugSendBreakpoints hands the worker all breakpoints as cell file lines; it answers which
// are set.
func (s *Supervisor) debugSendBreakpoints(ctx context.Context, p *proc) (map[string][]int, error) {
	d := &s.dbg
	d.mu.Lock()
	files := map[string][]int{}
	for path, lines := range d.bps {
		for _, c := range d.srcCells[path] {
			files[c] = append(files[c], lines...)
		}
	}
	d.mu.Unlock()
	raw, err := s.debugWorker(ctx, p, "quireBreakpoints", map[string]any{"files": files})
	if err != nil {
		return nil, err
	}
	var ans struct {
		Set map[string][]int `json:"set"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, fmt.Errorf("quireBreakpoints: the worker's answer: %w", err)
	}
	return ans.Set, nil
}

// debugAttach attaches worker p to the session (if it is not yet) and gives it the
// breakpoints.
func (s *Supervisor) debugAttach(ctx context.Context, p *proc) error {
	d := &s.dbg
	d.mu.Lock()
	if d.attached == p {
		d.mu.Unlock()
		_, err := s.debugSendBreakpoints(ctx, p)
		return err
	}
	d.attached = p
	d.threads = map[int]bool{}
	d.mu.Unlock()
	if _, err := s.debugWorker(ctx, p, "attach", nil); err != nil {
		return err
	}
	go s.debugWatch(p)
	_, err := s.debugSendBreakpoints(ctx, p)
	return err
}

// debugWatch ends the threads of worker p when it dies (interrupt, crash, restart) while it is
// attached: its stopped goroutines are gone with it.
func (s *Supervisor) debugWatch(p *proc) {
	<-p.dead
	d := &s.dbg
	d.mu.Lock()
	if d.attached != p {
		d.mu.Unlock()
		return
	}
	d.attached = nil
	stopped, threads := d.stopped, d.threads
	d.stopped, d.threads = map[int]bool{}, map[int]bool{}
	started := d.started
	d.mu.Unlock()
	if !started {
		return
	}
	for t := range stopped {
		s.debugEmit("continued", map[string]any{"threadId": t, "allThreadsContinued": true})
	}
	ids := []int{1}
	for t := range threads {
		if t != 1 {
			ids = append(ids, t)
		}
	}
	sort.Ints(ids)
	for _, t := range ids {
		s.debugEmit("thread", map[string]any{"reason": "exited", "threadId": t})
	}
	s.debugEmit("output", map[string]any{"category": "console",
		"output": "The Go worker stopped (interrupt, crash or restart): its goroutines are gone. The next cell runs in a new worker, still under the debugger.\n"})
}

// debugCell is called before a cell's steps go to worker p. It records which source the cell
// file runs (always: a breakpoint set later in a function this cell declared needs it; it
// costs a hash of the code), and, while a session is started, attaches p and sets the
// breakpoints.
func (s *Supervisor) debugCell(ctx context.Context, p *proc, name, code string) {
	d := &s.dbg
	d.mu.Lock()
	d.init()
	path := d.sourcePath(code)
	d.sources[path] = code
	name = cell.FileName(name) // as the //line directives name it
	if old, ok := d.cellSrc[name]; ok && old != path {
		cells := d.srcCells[old]
		for i, c := range cells {
			if c == name {
				d.srcCells[old] = append(cells[:i:i], cells[i+1:]...)
				break
			}
		}
	}
	if d.cellSrc[name] != path {
		d.cellSrc[name] = path
		d.srcCells[path] = append(d.srcCells[path], name)
	}
	started := d.started
	d.mu.Unlock()
	if !started {
		return
	}
	if err := s.debugAttach(ctx, p); err != nil {
		s.log.Warn("attaching the debugger to the worker", "err", err)
	}
}

// debugMapFrames replaces cell file names in stack frames by the cells' source paths.
func (s *Supervisor) debugMapFrames(body map[string]any) {
	d := &s.dbg
	frames, _ := body["stackFrames"].([]any)
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range frames {
		fr, _ := f.(map[string]any)
		src, _ := fr["source"].(map[string]any)
		name, _ := src["name"].(string)
		if path, ok := d.cellSrc[name]; ok {
			fr["source"] = map[string]any{"name": strings.TrimSuffix(name, "/_.go") + ".go", "path": path}
		}
	}
}

// debugWorker sends one debug request to worker p and waits for its answer.
func (s *Supervisor) debugWorker(ctx context.Context, p *proc, cmd string, args map[string]any) (json.RawMessage, error) {
	b, err := json.Marshal(map[string]any{"command": cmd, "arguments": args})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	id := s.reqID.Add(1)
	ch := make(chan []byte, 1)
	d := &s.dbg
	d.mu.Lock()
	d.init()
	d.pending[id] = ch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.pending, id)
		d.mu.Unlock()
	}()
	if err := p.send(wire.Request{Op: wire.OpDebug, ID: id, Debug: b}); err != nil {
		return nil, fmt.Errorf("%s: the Go worker is gone", cmd)
	}
	t := time.NewTimer(debugReplyTimeout)
	defer t.Stop()
	var raw []byte
	select {
	case raw = <-ch:
	case <-p.dead:
		return nil, fmt.Errorf("%s: the Go worker stopped", cmd)
	case <-t.C:
		return nil, fmt.Errorf("%s: the Go worker did not answer within %v", cmd, debugReplyTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var ans struct {
		Success bool            `json:"success"`
		Message string          `json:"message"`
		Body    json.RawMessage `json:"body"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, fmt.Errorf("%s: the worker's answer: %w", cmd, err)
	}
	if !ans.Success {
		return nil, errors.New(ans.Message)
	}
	return ans.Body, nil
}

// debugFromWorker handles EvDebug and EvDebugEv events of worker p (called by its event
// reader, in order with its output).
func (s *Supervisor) debugFromWorker(p *proc, ev wire.Event) {
	d := &s.dbg
	if ev.Ev == wire.EvDebug {
		d.mu.Lock()
		ch := d.pending[ev.ID]
		d.mu.Unlock()
		if ch != nil {
			ch <- ev.Debug
		}
		return
	}
	p.waitMarks(ev)
	defer p.setHandled(ev.Sync)
	var e struct {
		Event string         `json:"event"`
		Body  map[string]any `json:"body"`
	}
	if err := json.Unmarshal(ev.Debug, &e); err != nil {
		s.log.Debug("worker debug event", "err", err)
		return
	}
	d.mu.Lock()
	if d.attached != p || !d.started {
		d.mu.Unlock()
		return
	}
	t := 0
	if f, ok := e.Body["threadId"].(float64); ok {
		t = int(f)
	}
	switch e.Event {
	case "stopped":
		d.stopped[t] = true
	case "continued":
		delete(d.stopped, t)
	case "thread":
		if e.Body["reason"] == "exited" {
			delete(d.threads, t)
			delete(d.stopped, t)
		} else {
			d.threads[t] = true
		}
	}
	d.mu.Unlock()
	s.debugEmit(e.Event, e.Body)
}

// debugEmit sends a DAP event to the frontend.
func (s *Supervisor) debugEmit(event string, body map[string]any) {
	d := &s.dbg
	d.mu.Lock()
	emit := d.emit
	d.seq++
	seq := d.seq
	d.mu.Unlock()
	if emit == nil {
		return
	}
	emit(map[string]any{"seq": seq, "type": "event", "event": event, "body": body})
}
