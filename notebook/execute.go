package notebook

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Msg is one iopub message of an execution, as the kernel sent it.
type Msg struct {
	// Type is the msg_type: stream, display_data, update_display_data, execute_result, error,
	// clear_output, execute_input, status, ...
	Type string
	// Content is the message content. Numbers are json.Number or float64.
	Content map[string]any
}

// Reply is a kernel's execute_reply.
type Reply struct {
	// Status is "ok", "error" or "aborted".
	Status string
	// ExecutionCount is the reply's execution_count (0 when absent).
	ExecutionCount int
	// Content is the whole reply content (ename, evalue, traceback, payload, ...).
	Content map[string]any
}

// Kernel runs code. Execute sends one execute_request, calls onMsg for each iopub message whose
// parent is that request, in order and never concurrently, and returns the execute_reply once
// the kernel is idle again (all of the request's iopub messages delivered). onMsg may run on
// another goroutine. When Execute returns early because ctx ended, late onMsg calls are
// ignored.
type Kernel interface {
	Execute(ctx context.Context, code string, onMsg func(Msg)) (Reply, error)
}

// Interrupter is implemented by kernels that can be interrupted; Execute interrupts a cell that
// ran past its timeout.
type Interrupter interface {
	Interrupt(ctx context.Context) error
}

// KernelFactory starts a fresh kernel. When the Kernel also implements io.Closer, Run and Grade
// close it when they are done.
type KernelFactory func(ctx context.Context) (Kernel, error)

// ExecOptions configure Execute.
type ExecOptions struct {
	// AllowErrors keeps executing after a cell fails (its error is kept as an output), as
	// nbclient's allow_errors. Cells tagged "raises-exception" may always fail.
	AllowErrors bool
	// Timeout bounds each cell (0: no limit). A cell that runs past it is interrupted (when the
	// kernel is an Interrupter) and gets a CellTimeoutError output.
	Timeout time.Duration
	// OnEvent, if set, is called as outputs arrive (live rendering). Calls are serialized but
	// may come from the kernel's goroutine; OnEvent must not block for long.
	OnEvent func(Event)
}

// EventKind says what happened in an Event.
type EventKind int

// Event kinds, in the order they occur for a cell.
const (
	// CellStarted: a code cell is about to be sent to the kernel.
	CellStarted EventKind = iota
	// CellInput: the kernel announced the cell (execute_input); Cell.ExecutionCount is set.
	CellInput
	// StreamText: Text was written to stream Name; Output is the (merged) stream output.
	StreamText
	// OutputAdded: Output was appended to the cell.
	OutputAdded
	// OutputUpdated: update_display_data replaced Output's data; Index is the cell holding it,
	// which may be an earlier cell than the one running.
	OutputUpdated
	// OutputsCleared: clear_output removed the cell's outputs.
	OutputsCleared
	// CellFinished: the cell is done; Err is its *CellError, if any.
	CellFinished
	// TextCell: a markdown or raw cell was passed (not executed); printers may show it.
	TextCell
)

// Event reports progress of Execute.
type Event struct {
	Kind  EventKind
	Index int
	Cell  *Cell
	// Output is the output concerned and Pos its position in Cell.Outputs.
	Output *Output
	Pos    int
	Name   string
	Text   string
	Err    error
}

// CellError is a cell that failed: the kernel replied with an error, or the cell timed out.
type CellError struct {
	Index          int
	ID             string
	ExecutionCount int
	EName          string
	EValue         string
	Traceback      []string
}

func (e *CellError) Error() string {
	where := fmt.Sprintf("cell %d", e.Index+1)
	if e.ExecutionCount > 0 {
		where += fmt.Sprintf(" (In [%d])", e.ExecutionCount)
	}
	if e.EValue == "" {
		return where + ": " + e.EName
	}
	return where + ": " + e.EName + ": " + e.EValue
}

// ErrTimeout is wrapped by the CellError of a cell that ran past ExecOptions.Timeout.
var ErrTimeout = errors.New("cell timed out")

// Is lets errors.Is(err, ErrTimeout) find timeouts.
func (e *CellError) Is(target error) bool {
	return target == ErrTimeout && e.EName == "CellTimeoutError"
}

// Execute runs every code cell of nb through k, in order, replacing its outputs and execution
// count with what the kernel produced, as nbclient does:
//   - stream text is merged into the previous output when it is a stream of the same name, and
//     carriage returns and backspaces are applied (a progress line keeps its last state);
//   - display_data and execute_result are appended; update_display_data replaces the data of
//     every output (in any cell) shown with the same display_id;
//   - clear_output empties the cell's outputs, at once or, with wait, just before the next
//     output arrives;
//   - an error reply stops execution with a *CellError unless opts.AllowErrors or the cell is
//     tagged "raises-exception".
//
// Empty code cells are skipped. Markdown and raw cells are left alone. An error from the kernel
// itself (it died, ctx ended) is returned as is, wrapped with the cell's position.
func Execute(ctx context.Context, nb *Notebook, k Kernel, opts ExecOptions) error {
	x := &executor{nb: nb, opts: opts, displays: map[string][]outRef{}, current: -1}
	for i := range nb.Cells {
		c := &nb.Cells[i]
		if c.CellType != Code {
			x.emit(Event{Kind: TextCell, Index: i, Cell: c})
			continue
		}
		c.Outputs = nil
		c.ExecutionCount = nil
		x.forgetCell(i)
		if strings.TrimSpace(c.Source) == "" {
			continue
		}
		cellErr, err := x.runCell(ctx, i, k)
		if err != nil {
			return fmt.Errorf("notebook: cell %d: %w", i+1, err)
		}
		if cellErr == nil {
			continue
		}
		if !opts.AllowErrors && !hasTag(c, "raises-exception") {
			return cellErr
		}
	}
	return nil
}

type outRef struct{ cell, out int }

type executor struct {
	nb   *Notebook
	opts ExecOptions

	mu           sync.Mutex
	current      int // index of the cell whose messages are accepted, -1 between cells
	clearPending bool
	displays     map[string][]outRef
	// tail accumulates the text of the stream output at tailPos (the cell's last output).
	tail    *strings.Builder
	tailPos outRef
}

func (x *executor) emit(ev Event) {
	if x.opts.OnEvent != nil {
		x.opts.OnEvent(ev)
	}
}

func (x *executor) runCell(ctx context.Context, i int, k Kernel) (*CellError, error) {
	c := &x.nb.Cells[i]
	x.mu.Lock()
	x.current, x.clearPending, x.tail = i, false, nil
	x.emit(Event{Kind: CellStarted, Index: i, Cell: c})
	x.mu.Unlock()

	// A cell past its timeout is interrupted and given a grace period to reply (the reply must
	// be awaited, or the kernel would abort the next request, queued behind the interrupted
	// one). A kernel that cannot be interrupted, or does not reply in time, ends the run.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var timedOut, hardStop atomic.Bool
	var interruptErr error
	var grace *time.Timer
	fired := make(chan struct{})
	if x.opts.Timeout > 0 {
		timer := time.AfterFunc(x.opts.Timeout, func() {
			defer close(fired)
			timedOut.Store(true)
			if in, ok := k.(Interrupter); ok {
				ictx, icancel := context.WithTimeout(cctx, interruptGrace)
				interruptErr = in.Interrupt(ictx)
				icancel()
				if interruptErr == nil {
					grace = time.AfterFunc(interruptGrace, func() { hardStop.Store(true); cancel() })
					return
				}
			}
			hardStop.Store(true)
			cancel()
		})
		defer func() {
			// Never let an interrupt meant for this cell reach the next one.
			if !timer.Stop() {
				<-fired
				if grace != nil {
					grace.Stop()
				}
			}
		}()
	}
	reply, err := k.Execute(cctx, c.Source, func(m Msg) { x.handle(i, m) })

	x.mu.Lock()
	defer x.mu.Unlock()
	x.current = -1
	var cellErr *CellError
	switch {
	case err != nil && ctx.Err() == nil && hardStop.Load():
		switch {
		case interruptErr != nil:
			return nil, fmt.Errorf("%w after %s; interrupting the kernel failed: %w", ErrTimeout, x.opts.Timeout, interruptErr)
		case !isInterrupter(k):
			return nil, fmt.Errorf("%w after %s (the kernel cannot be interrupted)", ErrTimeout, x.opts.Timeout)
		}
		return nil, fmt.Errorf("%w after %s; the kernel did not stop within %s of an interrupt", ErrTimeout, x.opts.Timeout, interruptGrace)
	case err != nil:
		return nil, err
	default:
		if reply.ExecutionCount > 0 {
			n := reply.ExecutionCount
			c.ExecutionCount = &n
		}
		switch {
		case timedOut.Load():
			o := Output{OutputType: Error, EName: "CellTimeoutError",
				EValue:    fmt.Sprintf("the cell did not finish within %s", x.opts.Timeout),
				Traceback: []string{fmt.Sprintf("CellTimeoutError: the cell did not finish within %s and was interrupted (raise the limit with --timeout)", x.opts.Timeout)}}
			c.Outputs = append(c.Outputs, o)
			x.emit(Event{Kind: OutputAdded, Index: i, Cell: c, Output: &c.Outputs[len(c.Outputs)-1], Pos: len(c.Outputs) - 1})
			cellErr = &CellError{Index: i, ID: c.ID, EName: o.EName, EValue: o.EValue, Traceback: o.Traceback}
		case reply.Status == "ok" || reply.Status == "":
		case reply.Status == "aborted":
			cellErr = &CellError{Index: i, ID: c.ID, EName: "ExecutionAborted", EValue: "the kernel aborted the cell"}
		default:
			cellErr = x.replyError(i, c, reply)
		}
	}
	if cellErr != nil && c.ExecutionCount != nil {
		cellErr.ExecutionCount = *c.ExecutionCount
	}
	var evErr error
	if cellErr != nil {
		evErr = cellErr
	}
	x.emit(Event{Kind: CellFinished, Index: i, Cell: c, Err: evErr})
	return cellErr, nil
}

// replyError builds the CellError of an error reply, preferring the error output the kernel
// published; it adds that output when the kernel only put the error in the reply.
// interruptGrace is how long an interrupted kernel has to reply.
const interruptGrace = 10 * time.Second

func isInterrupter(k Kernel) bool {
	_, ok := k.(Interrupter)
	return ok
}

func (x *executor) replyError(i int, c *Cell, reply Reply) *CellError {
	for j := len(c.Outputs) - 1; j >= 0; j-- {
		if o := c.Outputs[j]; o.OutputType == Error {
			return &CellError{Index: i, ID: c.ID, EName: o.EName, EValue: o.EValue, Traceback: o.Traceback}
		}
	}
	o := errorOutput(reply.Content)
	if o.EName == "" {
		o.EName = "Error"
	}
	c.Outputs = append(c.Outputs, o)
	x.emit(Event{Kind: OutputAdded, Index: i, Cell: c, Output: &c.Outputs[len(c.Outputs)-1], Pos: len(c.Outputs) - 1})
	return &CellError{Index: i, ID: c.ID, EName: o.EName, EValue: o.EValue, Traceback: o.Traceback}
}

func errorOutput(content map[string]any) Output {
	o := Output{OutputType: Error, Traceback: []string{}}
	o.EName, _ = content["ename"].(string)
	o.EValue, _ = content["evalue"].(string)
	if tb, ok := content["traceback"].([]any); ok {
		for _, l := range tb {
			s, _ := l.(string)
			o.Traceback = append(o.Traceback, s)
		}
	}
	return o
}

func (x *executor) handle(i int, m Msg) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.current != i {
		return // a late message of a cell that timed out
	}
	c := &x.nb.Cells[i]
	switch m.Type {
	case "execute_input":
		if n := intPtr(m.Content["execution_count"]); n != nil {
			c.ExecutionCount = n
		}
		x.emit(Event{Kind: CellInput, Index: i, Cell: c})
	case "stream":
		name, _ := m.Content["name"].(string)
		text, _ := m.Content["text"].(string)
		x.applyPendingClear(i, c)
		if n := len(c.Outputs); n > 0 && c.Outputs[n-1].OutputType == Stream && c.Outputs[n-1].Name == name {
			o := &c.Outputs[n-1]
			// Append through a builder kept for the cell's last stream, so a cell printing
			// many small chunks costs linear time, not quadratic.
			if x.tail == nil || x.tailPos != (outRef{i, n - 1}) {
				x.tail, x.tailPos = &strings.Builder{}, outRef{i, n - 1}
				x.tail.WriteString(o.Text)
			}
			pendingCR := strings.HasSuffix(o.Text, "\r")
			x.tail.WriteString(text)
			if pendingCR || strings.ContainsAny(text, "\r\b") {
				fixed := fixStream(x.tail.String())
				x.tail.Reset()
				x.tail.WriteString(fixed)
			}
			o.Text = x.tail.String()
			x.emit(Event{Kind: StreamText, Index: i, Cell: c, Output: o, Pos: n - 1, Name: name, Text: text})
			return
		}
		c.Outputs = append(c.Outputs, Output{OutputType: Stream, Name: name, Text: fixStream(text)})
		x.emit(Event{Kind: StreamText, Index: i, Cell: c, Output: &c.Outputs[len(c.Outputs)-1], Pos: len(c.Outputs) - 1, Name: name, Text: text})
	case "display_data", "execute_result", "error":
		x.applyPendingClear(i, c)
		var o Output
		if m.Type == "error" {
			o = errorOutput(m.Content)
		} else {
			o = Output{OutputType: m.Type, Data: bundleOf(m.Content["data"]), Metadata: mapOf(m.Content["metadata"])}
			if m.Type == ExecuteResult {
				o.ExecutionCount = intPtr(m.Content["execution_count"])
				if o.ExecutionCount == nil {
					o.ExecutionCount = c.ExecutionCount
				}
			}
			if id := displayID(m.Content); id != "" {
				x.displays[id] = append(x.displays[id], outRef{i, len(c.Outputs)})
			}
		}
		c.Outputs = append(c.Outputs, o)
		x.emit(Event{Kind: OutputAdded, Index: i, Cell: c, Output: &c.Outputs[len(c.Outputs)-1], Pos: len(c.Outputs) - 1})
	case "update_display_data":
		id := displayID(m.Content)
		for _, r := range x.displays[id] {
			tc := &x.nb.Cells[r.cell]
			if r.out >= len(tc.Outputs) {
				continue
			}
			o := &tc.Outputs[r.out]
			o.Data = bundleOf(m.Content["data"])
			o.Metadata = mapOf(m.Content["metadata"])
			x.emit(Event{Kind: OutputUpdated, Index: r.cell, Cell: tc, Output: o, Pos: r.out})
		}
	case "clear_output":
		if wait, _ := m.Content["wait"].(bool); wait {
			x.clearPending = true
			return
		}
		x.clear(i, c)
	}
}

func (x *executor) applyPendingClear(i int, c *Cell) {
	if x.clearPending {
		x.clearPending = false
		x.clear(i, c)
	}
}

func (x *executor) clear(i int, c *Cell) {
	c.Outputs = nil
	x.tail = nil
	x.forgetCell(i)
	x.emit(Event{Kind: OutputsCleared, Index: i, Cell: c})
}

// forgetCell drops the display_id references into cell i (its outputs are gone).
func (x *executor) forgetCell(i int) {
	for id, refs := range x.displays {
		kept := refs[:0]
		for _, r := range refs {
			if r.cell != i {
				kept = append(kept, r)
			}
		}
		if len(kept) == 0 {
			delete(x.displays, id)
		} else {
			x.displays[id] = kept
		}
	}
}

func displayID(content map[string]any) string {
	t, _ := content["transient"].(map[string]any)
	id, _ := t["display_id"].(string)
	return id
}

func mapOf(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

func bundleOf(v any) MIMEBundle {
	m, _ := v.(map[string]any)
	return joinBundle(m)
}

var (
	carriageReturn = regexp.MustCompile(`(?m)^.*\r([^\n])`)
	backspace      = regexp.MustCompile(`[^\n]\x08`)
)

// fixStream applies carriage returns (a line is overwritten by what follows its last \r) and
// backspaces, as nbconvert's coalesce_streams and Jupyter's output area do.
func fixStream(s string) string {
	if strings.Contains(s, "\r") {
		s = carriageReturn.ReplaceAllString(s, "$1")
	}
	for strings.Contains(s, "\b") {
		t := backspace.ReplaceAllString(s, "")
		if t == s {
			break
		}
		s = t
	}
	return s
}

func hasTag(c *Cell, tag string) bool {
	tags, _ := c.Metadata["tags"].([]any)
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}
