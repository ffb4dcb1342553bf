package kernel

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/quire-go/quire/backend"
)

// lane says where a handler runs.
type lane int

const (
	// laneOrdered: in arrival order on the shell's second goroutine (never behind a cell).
	laneOrdered lane = iota
	// laneExec: on the execution queue, one at a time.
	laneExec
	// laneConcurrent: on a goroutine of its own (calls into the backend, history searches:
	// work that may take time).
	laneConcurrent
	// laneComm: comm_open, comm_msg, comm_close in arrival order on a goroutine of their own
	// (a backend's widget callbacks may wait for the running cell; see comm_backend.go).
	laneComm
)

// request is a message being handled, with the channel its reply goes to.
type request struct {
	ch        *channel
	msg       *Message
	replyMeta map[string]any
	after     func()    // runs after status idle
	arrived   time.Time // when an execute_request was read (see Kernel.aborting)
}

// handlerFunc handles a request and returns the reply content (nil: no reply).
type handlerFunc func(k *Kernel, ctx context.Context, r *request) any

type handler struct {
	fn      handlerFunc
	lane    lane
	control bool // also served on the control channel
}

// handlers is the dispatch table: msg_type -> handler.
var handlers = map[string]handler{
	"kernel_info_request": {fn: (*Kernel).kernelInfo, lane: laneOrdered, control: true},
	"execute_request":     {fn: (*Kernel).execute, lane: laneExec},
	"complete_request":    {fn: (*Kernel).complete, lane: laneConcurrent},
	"inspect_request":     {fn: (*Kernel).inspect, lane: laneConcurrent},
	"is_complete_request": {fn: (*Kernel).isComplete, lane: laneConcurrent},
	// history_request runs on its own goroutine: a search over a long history must not hold
	// up kernel_info and comm_info on the ordered lane.
	"history_request":   {fn: (*Kernel).historyRequest, lane: laneConcurrent},
	"comm_info_request": {fn: (*Kernel).commInfo, lane: laneOrdered},
	"comm_open":         {fn: (*Kernel).commOpen, lane: laneComm},
	"comm_msg":          {fn: (*Kernel).commMsg, lane: laneComm},
	"comm_close":        {fn: (*Kernel).commClose, lane: laneComm},
	"shutdown_request":  {fn: (*Kernel).shutdownRequest, lane: laneOrdered, control: true},
	"interrupt_request": {fn: (*Kernel).interruptRequest, lane: laneOrdered, control: true},
	// debug_request: see debug.go (its own lane, on either channel).
	"debug_request": {fn: (*Kernel).debugRequest, lane: laneOrdered, control: true},
}

func replyType(msgType string) string {
	return strings.TrimSuffix(msgType, "_request") + "_reply"
}

func errorContent(ename, evalue string, traceback []string) map[string]any {
	if traceback == nil {
		traceback = []string{}
	}
	return map[string]any{"status": backend.StatusError, "ename": ename, "evalue": evalue, "traceback": traceback}
}

// dispatch routes a decoded message from ch.
func (k *Kernel) dispatch(ch *channel, m *Message) {
	if ch == k.stdin {
		k.stdinMessage(m)
		return
	}
	r := &request{ch: ch, msg: m}
	t := m.Type()
	h, ok := handlers[t]
	var unknown string
	switch {
	case !ok:
		unknown = "unknown message type " + t
	case ch == k.control && !h.control:
		unknown = t + " is not served on the control channel"
	}
	if unknown != "" {
		k.stats.unknown.Add(1)
		if !strings.HasSuffix(t, "_request") {
			k.log.Warn("ignored message", "channel", ch.name, "msg_type", t, "why", unknown)
			return
		}
		k.log.Warn("unknown request", "channel", ch.name, "msg_type", t, "why", unknown)
		h = handler{fn: func(*Kernel, context.Context, *request) any {
			return errorContent("UnknownMessageType", unknown, nil)
		}}
		if ch == k.control {
			k.handle(k.runCtx, r, h)
		} else {
			k.enqueueOrdered(r, h)
		}
		return
	}
	k.stats.handled.Add(1)
	switch {
	case t == "debug_request":
		k.debugQueue(r, h)
	case ch == k.control:
		// Control handlers (kernel_info, shutdown, interrupt) run here, never queued.
		k.handle(k.runCtx, r, h)
	case h.lane == laneExec:
		r.arrived = time.Now()
		k.queue.push(r)
	case h.lane == laneConcurrent:
		k.goConcurrent(r, h)
	case h.lane == laneComm:
		k.enqueueComm(r, h)
	default:
		k.enqueueOrdered(r, h)
	}
}

func (k *Kernel) enqueueOrdered(r *request, h handler) {
	select {
	case k.ordered <- func() { k.handle(k.runCtx, r, h) }:
	case <-k.stopCh:
	}
}

// orderedLoop runs the ordered shell handlers.
func (k *Kernel) orderedLoop() {
	for {
		select {
		case run := <-k.ordered:
			run()
		case <-k.stopCh:
			// Answer what is already queued (a shutdown_request may be among them).
			for {
				select {
				case run := <-k.ordered:
					run()
				default:
					return
				}
			}
		}
	}
}

func (k *Kernel) goConcurrent(r *request, h handler) {
	select {
	case k.concurSem <- struct{}{}:
	default:
		// Too many backend calls in flight (a stuck backend): answer at once rather than block
		// the channel's reader.
		k.log.Warn("too many concurrent requests; refusing", "msg_type", r.msg.Type())
		go k.handle(k.runCtx, r, handler{fn: func(*Kernel, context.Context, *request) any {
			return errorContent("KernelBusy", "too many "+r.msg.Type()+" requests in flight", nil)
		}})
		return
	}
	go func() {
		defer func() { <-k.concurSem }()
		k.handle(k.runCtx, r, h)
	}()
}

// handle runs one request: status busy, handler (recovered), reply, status idle, r.after.
func (k *Kernel) handle(ctx context.Context, r *request, h handler) {
	parent := r.msg
	k.iopub.status("busy", parent)
	reply := k.call(ctx, r, h)
	if reply != nil {
		k.reply(r.ch, parent, replyType(parent.Type()), reply, r.replyMeta)
	}
	k.iopub.status("idle", parent)
	if r.after != nil {
		r.after()
	}
}

func (k *Kernel) call(ctx context.Context, r *request, h handler) (reply any) {
	defer func() {
		if p := recover(); p != nil {
			k.stats.panics.Add(1)
			k.log.Error("handler panicked", "msg_type", r.msg.Type(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			reply = nil
			if strings.HasSuffix(r.msg.Type(), "_request") {
				reply = errorContent("KernelError", fmt.Sprintf("internal error handling %s: %v", r.msg.Type(), p), nil)
			}
		}
	}()
	return h.fn(k, ctx, r)
}

// execQueue is the FIFO of execute requests.
type execQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []*request
	closed bool
}

func newExecQueue() *execQueue {
	q := &execQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *execQueue) push(r *request) {
	q.mu.Lock()
	if !q.closed {
		q.items = append(q.items, r)
	}
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *execQueue) pop() (*request, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return nil, false
	}
	r := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	return r, true
}

func (q *execQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (k *Kernel) execLoop() {
	h := handlers["execute_request"]
	for {
		r, ok := k.queue.pop()
		if !ok {
			return
		}
		if k.aborting(r) {
			k.abortRequest(r)
			continue
		}
		k.handle(k.runCtx, r, h)
	}
}

// stopOnError starts the stop-on-error window: called as the error reply of a request with
// stop_on_error is about to go out, it makes the execute_requests that arrived before, and
// those arriving within Config.StopOnErrorTimeout, aborted (see aborting). With no window, a
// request a client sends once it has the error reply (nbclient, quire run) is not aborted.
func (k *Kernel) stopOnError() {
	k.mu.Lock()
	k.abortUntil = time.Now().Add(k.cfg.StopOnErrorTimeout)
	k.mu.Unlock()
}

// aborting says whether r, an execute_request about to run, is to be aborted, as ipykernel
// aborts after an error: it arrived before the stop-on-error window ended and does not say
// stop_on_error false (a request that says so is meant to run whatever came before). Each
// request aborted extends the window to Config.StopOnErrorTimeout after its own arrival, so a
// Run All whose requests trickle in on a loaded machine (the browser renders the error while
// it still sends) is aborted whole, however long it takes, while its gaps stay in the window.
func (k *Kernel) aborting(r *request) bool {
	k.mu.Lock()
	until := k.abortUntil
	if !until.IsZero() && !r.arrived.Before(until) {
		// The window is over; say by how much this request missed it (a Run All that still
		// ran cells past an error wants a longer --stop-on-error-timeout).
		k.abortUntil = time.Time{}
		k.log.Info("request after the stop-on-error window", "msg_id", r.msg.Header.MsgID, "after_window", r.arrived.Sub(until))
	}
	k.mu.Unlock()
	if until.IsZero() || !r.arrived.Before(until) {
		return false
	}
	var c struct {
		StopOnError *bool `json:"stop_on_error"`
	}
	if err := r.msg.DecodeContent(&c); err != nil {
		return false // the handler answers the bad content
	}
	if !orDefault(c.StopOnError, true) {
		return false
	}
	if w := k.cfg.StopOnErrorTimeout; w > 0 {
		k.mu.Lock()
		// Not after a restart (zero): the new session starts clean.
		if next := r.arrived.Add(w); !k.abortUntil.IsZero() && next.After(k.abortUntil) {
			k.abortUntil = next
		}
		k.mu.Unlock()
	}
	return true
}

// abortRequest answers an execute_request with status "aborted", as ipykernel does.
func (k *Kernel) abortRequest(r *request) {
	k.log.Info("aborting request after an error (stop_on_error)", "msg_id", r.msg.Header.MsgID)
	k.iopub.status("busy", r.msg)
	k.reply(r.ch, r.msg, replyType(r.msg.Type()), map[string]any{"status": backend.StatusAborted},
		map[string]any{"status": backend.StatusAborted})
	k.iopub.status("idle", r.msg)
}

// ---- handlers ----

func (k *Kernel) kernelInfo(_ context.Context, _ *request) any {
	info := k.be.Info()
	_, hasDebugger := k.debugger()
	links := info.HelpLinks
	if links == nil {
		links = []backend.HelpLink{}
	}
	return map[string]any{
		"status":                 backend.StatusOK,
		"protocol_version":       ProtocolVersion,
		"implementation":         info.Implementation,
		"implementation_version": info.ImplementationVersion,
		"language_info":          info.Language,
		"banner":                 info.Banner,
		"help_links":             links,
		"debugger":               hasDebugger,
	}
}

type executeContent struct {
	Code            string            `json:"code"`
	Silent          bool              `json:"silent"`
	StoreHistory    *bool             `json:"store_history"`
	UserExpressions map[string]string `json:"user_expressions"`
	AllowStdin      *bool             `json:"allow_stdin"`
	StopOnError     *bool             `json:"stop_on_error"`
}

func orDefault(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}

func (k *Kernel) execute(ctx context.Context, r *request) any {
	var c executeContent
	if err := r.msg.DecodeContent(&c); err != nil {
		return errorContent("BadRequest", "invalid execute_request content: "+err.Error(), nil)
	}
	store := orDefault(c.StoreHistory, true) && !c.Silent
	req := backend.ExecuteRequest{
		Code:            c.Code,
		Silent:          c.Silent,
		StoreHistory:    store,
		AllowStdin:      orDefault(c.AllowStdin, false),
		StopOnError:     orDefault(c.StopOnError, true),
		UserExpressions: c.UserExpressions,
	}
	k.mu.Lock()
	if store {
		k.count++
	}
	n := k.count
	k.mu.Unlock()
	req.ExecutionCount = n
	if !c.Silent {
		k.iopub.publish(r.msg, "execute_input", map[string]any{"code": c.Code, "execution_count": n}, nil, nil)
	}
	out := &output{k: k, req: r.msg, allowStdin: req.AllowStdin}
	started := time.Now().UTC().Format(time.RFC3339Nano)
	res := k.runBackend(ctx, req, out)
	out.finish()
	k.iopub.flush()
	if store {
		k.history.Append(n, c.Code)
		defer func() {
			// Write the history file after the reply and the idle status (r.after runs then).
			then := r.after
			r.after = func() {
				if then != nil {
					then()
				}
				if err := k.history.Persist(); err != nil {
					k.log.Warn("history", "err", err)
				}
			}
		}()
	}
	ue := res.UserExpressions
	if ue == nil {
		ue = map[string]any{}
	}
	payload := res.Payload
	if payload == nil {
		payload = []map[string]any{}
	}
	r.replyMeta = map[string]any{"started": started, "status": res.Status, "dependencies_met": true}
	if res.Status == backend.StatusError {
		e := res.Error
		if !c.Silent {
			tb := e.Traceback
			if tb == nil {
				tb = []string{}
			}
			k.iopub.publish(r.msg, "error", map[string]any{"ename": e.Name, "evalue": e.Value, "traceback": tb}, nil, nil)
		}
		reply := errorContent(e.Name, e.Value, e.Traceback)
		reply["execution_count"] = n
		reply["user_expressions"] = ue
		reply["payload"] = payload
		if req.StopOnError && !c.Silent {
			k.stopOnError()
		}
		return reply
	}
	if res.Result != nil && !c.Silent {
		content := map[string]any{"execution_count": n, "data": nonNilMap(res.Result.Data), "metadata": nonNilMap(res.Result.Metadata)}
		if res.Result.ID != "" {
			content["transient"] = map[string]any{"display_id": res.Result.ID}
		}
		k.iopub.publish(r.msg, "execute_result", content, nil, nil)
	}
	return map[string]any{"status": backend.StatusOK, "execution_count": n, "user_expressions": ue, "payload": payload}
}

// runBackend calls Backend.Execute, turning a panic into an error result and normalising the
// status.
func (k *Kernel) runBackend(ctx context.Context, req backend.ExecuteRequest, out backend.Output) (res backend.ExecuteResult) {
	defer func() {
		if p := recover(); p != nil {
			k.stats.panics.Add(1)
			k.log.Error("backend Execute panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res = backend.ExecuteResult{Status: backend.StatusError, Error: &backend.Error{
				Name: "KernelError", Value: fmt.Sprintf("the kernel's backend panicked: %v", p)}}
		}
		switch {
		case res.Status == backend.StatusError && res.Error == nil:
			res.Error = &backend.Error{Name: "Error", Value: "execution failed"}
		case res.Status == "" && res.Error != nil:
			res.Status = backend.StatusError
		case res.Status == "":
			res.Status = backend.StatusOK
		}
	}()
	return k.be.Execute(ctx, req, out)
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func backendError(err error) map[string]any {
	if e, ok := err.(*backend.Error); ok {
		return errorContent(e.Name, e.Value, e.Traceback)
	}
	return errorContent("BackendError", err.Error(), nil)
}

func (k *Kernel) complete(ctx context.Context, r *request) any {
	var c struct {
		Code      string `json:"code"`
		CursorPos int    `json:"cursor_pos"`
	}
	if err := r.msg.DecodeContent(&c); err != nil {
		return errorContent("BadRequest", "invalid complete_request content: "+err.Error(), nil)
	}
	res, err := k.be.Complete(ctx, c.Code, c.CursorPos)
	if err != nil {
		return backendError(err)
	}
	matches := res.Matches
	if matches == nil {
		matches = []string{}
	}
	return map[string]any{"status": backend.StatusOK, "matches": matches, "cursor_start": res.CursorStart,
		"cursor_end": res.CursorEnd, "metadata": nonNilMap(res.Metadata)}
}

func (k *Kernel) inspect(ctx context.Context, r *request) any {
	var c struct {
		Code        string `json:"code"`
		CursorPos   int    `json:"cursor_pos"`
		DetailLevel int    `json:"detail_level"`
	}
	if err := r.msg.DecodeContent(&c); err != nil {
		return errorContent("BadRequest", "invalid inspect_request content: "+err.Error(), nil)
	}
	res, err := k.be.Inspect(ctx, c.Code, c.CursorPos, c.DetailLevel)
	if err != nil {
		return backendError(err)
	}
	return map[string]any{"status": backend.StatusOK, "found": res.Found, "data": nonNilMap(res.Data),
		"metadata": nonNilMap(res.Metadata)}
}

func (k *Kernel) isComplete(ctx context.Context, r *request) any {
	var c struct {
		Code string `json:"code"`
	}
	if err := r.msg.DecodeContent(&c); err != nil {
		return errorContent("BadRequest", "invalid is_complete_request content: "+err.Error(), nil)
	}
	res, err := k.be.IsComplete(ctx, c.Code)
	if err != nil {
		return backendError(err)
	}
	if res.Status == "" {
		res.Status = backend.Unknown
	}
	reply := map[string]any{"status": res.Status}
	if res.Status == backend.Incomplete {
		reply["indent"] = res.Indent
	}
	return reply
}

func (k *Kernel) shutdownRequest(_ context.Context, r *request) any {
	var c struct {
		Restart bool `json:"restart"`
	}
	if err := r.msg.DecodeContent(&c); err != nil {
		// A frontend that asked for something else must not get a shutdown it did not mean.
		return errorContent("BadRequest", "invalid shutdown_request content: "+err.Error(), nil)
	}
	content := map[string]any{"status": backend.StatusOK, "restart": c.Restart}
	if c.Restart && k.cfg.RestartInProcess {
		// Restart before replying: the client sends its next cell as soon as the reply arrives,
		// and that cell must reach the new backend with a fresh execution count.
		k.log.Info("restarting backend in process")
		k.shutdownBackend(true)
		k.mu.Lock()
		k.count = 0
		k.abortUntil = time.Time{}
		k.mu.Unlock()
		k.history.NewSession()
		k.comms.closeAll()
		r.after = func() {
			// ipykernel also broadcasts the shutdown_reply on iopub.
			k.iopub.publish(r.msg, "shutdown_reply", content, nil, nil)
		}
		return content
	}
	r.after = func() {
		k.iopub.publish(r.msg, "shutdown_reply", content, nil, nil)
		k.stop()
	}
	return content
}

func (k *Kernel) interruptRequest(_ context.Context, _ *request) any {
	if err := k.Interrupt(); err != nil {
		return errorContent("InterruptError", err.Error(), nil)
	}
	return map[string]any{"status": backend.StatusOK}
}

func (k *Kernel) historyRequest(ctx context.Context, r *request) any {
	var c HistoryQuery
	if err := r.msg.DecodeContent(&c); err != nil {
		return errorContent("BadRequest", "invalid history_request content: "+err.Error(), nil)
	}
	entries, err := k.history.Query(ctx, c)
	if err != nil {
		return errorContent("HistoryError", err.Error(), nil)
	}
	list := make([]any, 0, len(entries))
	for _, e := range entries {
		if c.Output {
			list = append(list, []any{e.Session, e.Line, []any{e.Source, nil}})
		} else {
			list = append(list, []any{e.Session, e.Line, e.Source})
		}
	}
	return map[string]any{"status": backend.StatusOK, "history": list}
}
