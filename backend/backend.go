// Package backend is the contract between quire's Jupyter front end (package kernel) and the
// language that runs cells (package eval, or a fake in tests).
//
// The kernel owns the sockets and the protocol; a Backend owns the language. The kernel calls
// Execute for each execute_request and hands it an Output bound to that request: everything the
// backend writes through it (streams, displays, input prompts) is published on iopub (or stdin)
// with the request's header as parent. An Output stays usable after Execute returns, so output of
// work that outlives its cell (goroutines) can still be delivered under the cell that caused it:
// a backend sends such output through the earlier request's Output, not the running one's (the
// Go backend does, for goroutines started by a cell), as ipykernel routes output by the parent
// header of the request that caused it. Frontends show it under that earlier cell; clients
// that collect only the running request's messages (quire run, quire grade) leave it out.
//
// Positions (cursor, cursor_start, cursor_end) are counted in Unicode code points, as in
// Jupyter messaging protocol 5.2 and later.
//
// Only the kernel serialises concurrent calls: it calls Execute for one request at a time, while
// Complete, Inspect, IsComplete may arrive while a cell runs (they must not wait for it), and
// Interrupt and Shutdown arrive on the control channel at any time.
package backend

import (
	"context"
	"errors"
)

// Bundle maps MIME types ("text/plain", "text/html", "image/svg+xml", "image/png" as base64,
// "application/json" as a JSON value) to data, as in display_data's "data" field.
type Bundle = map[string]any

// Display is one display_data (or update_display_data) message.
type Display struct {
	Data     Bundle
	Metadata map[string]any
	// ID is the transient display_id; empty for an anonymous display.
	ID string
	// Update asks for update_display_data: replace the output with this ID wherever it is shown.
	Update bool
}

// Output is where a running request sends what the user should see.
type Output interface {
	// Stream publishes text on the "stdout" or "stderr" stream.
	Stream(name, text string)
	// Display publishes display_data or update_display_data.
	Display(d Display)
	// ClearOutput publishes clear_output; wait defers the clear until new output arrives.
	ClearOutput(wait bool)
	// Input asks the frontend for a line of input (input_request on the stdin channel) and
	// waits for the reply. It returns ErrNoStdin at once when the request did not allow stdin,
	// and ctx.Err() when ctx ends first (for example on interrupt).
	Input(ctx context.Context, prompt string, password bool) (string, error)
}

// ErrNoStdin is returned by Output.Input when the frontend does not accept input requests.
var ErrNoStdin = errors.New("this frontend does not support input requests (allow_stdin is false)")

// ExecuteRequest is the content of an execute_request, as the backend needs it.
type ExecuteRequest struct {
	Code            string
	Silent          bool
	StoreHistory    bool
	AllowStdin      bool
	StopOnError     bool
	UserExpressions map[string]string
	// ExecutionCount is the number the kernel gives this execution (execute_input and the reply).
	ExecutionCount int
}

// Status values of a reply.
const (
	StatusOK      = "ok"
	StatusError   = "error"
	StatusAborted = "aborted"
)

// Error describes a failed execution, as the error reply and the iopub "error" message carry it.
type Error struct {
	Name      string   // ename, e.g. "CompileError", "panic", "KeyboardInterrupt"
	Value     string   // evalue: the message
	Traceback []string // lines shown to the user; may contain ANSI colour codes
}

func (e *Error) Error() string { return e.Name + ": " + e.Value }

// ExecuteResult is the outcome of one execution.
type ExecuteResult struct {
	// Status is StatusOK or StatusError.
	Status string
	// Result is the value of the cell's trailing expression, published as execute_result; nil
	// when the cell has no value to show.
	Result *Display
	// Error is set when Status is StatusError. The kernel publishes it on iopub and in the reply.
	Error *Error
	// Payload is the reply's payload list (for example set_next_input, page).
	Payload []map[string]any
	// UserExpressions holds the evaluated user_expressions, each a result bundle or an error.
	UserExpressions map[string]any
}

// CompleteResult is the content of a complete_reply.
type CompleteResult struct {
	Matches     []string
	CursorStart int
	CursorEnd   int
	Metadata    map[string]any
}

// InspectResult is the content of an inspect_reply.
type InspectResult struct {
	Found    bool
	Data     Bundle
	Metadata map[string]any
}

// IsComplete statuses.
const (
	Complete   = "complete"
	Incomplete = "incomplete"
	Invalid    = "invalid"
	Unknown    = "unknown"
)

// IsCompleteResult is the content of an is_complete_reply.
type IsCompleteResult struct {
	Status string
	Indent string // for Incomplete: the indentation of the next line
}

// HelpLink is one entry of kernel_info_reply's help_links.
type HelpLink struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

// LanguageInfo is kernel_info_reply's language_info.
type LanguageInfo struct {
	Name              string `json:"name"`
	Version           string `json:"version"`
	MIMEType          string `json:"mimetype"`
	FileExtension     string `json:"file_extension"`
	PygmentsLexer     string `json:"pygments_lexer,omitempty"`
	CodemirrorMode    string `json:"codemirror_mode,omitempty"`
	NBConvertExporter string `json:"nbconvert_exporter,omitempty"`
}

// Info is what kernel_info_reply says about the backend.
type Info struct {
	Implementation        string
	ImplementationVersion string
	Banner                string
	Language              LanguageInfo
	HelpLinks             []HelpLink
}

// Backend runs cells for the kernel.
type Backend interface {
	Info() Info
	// Execute runs one request. It returns when the cell is done; output goes through out.
	// ctx ends when the kernel shuts down; interrupts arrive through Interrupt.
	Execute(ctx context.Context, req ExecuteRequest, out Output) ExecuteResult
	Complete(ctx context.Context, code string, cursor int) (CompleteResult, error)
	Inspect(ctx context.Context, code string, cursor, detailLevel int) (InspectResult, error)
	IsComplete(ctx context.Context, code string) (IsCompleteResult, error)
	// Interrupt stops the running cell, if any, as SIGINT stops a Python cell.
	Interrupt() error
	// Shutdown ends the backend; with restart, it must be ready for new requests afterwards,
	// with a fresh session. It returns when ctx ends at the latest (the kernel's shutdown
	// timeout), abandoning what has not finished by then.
	Shutdown(ctx context.Context, restart bool) error
}

// Debugger is implemented by a Backend that supports the Jupyter debug protocol: the Debug
// Adapter Protocol (DAP) carried by debug_request and debug_reply on the control channel and
// debug_event on iopub. The kernel advertises "debugger": true in kernel_info_reply when its
// Backend implements it.
//
// DebugRequest handles one DAP request (the content of a debug_request: seq, type "request",
// command, arguments) and returns the DAP response (the content of the debug_reply: seq, type
// "response", request_seq, success, command, message, body). It must answer while a cell runs
// (a cell stopped at a breakpoint is still running) and must not wait for the running cell.
// The backend sends DAP events (stopped, continued, thread, output, initialized) through emit;
// emit stays valid after DebugRequest returns, and the backend sends events that no request
// caused (a goroutine reaching a breakpoint) through the emit of the latest request.
type Debugger interface {
	DebugRequest(ctx context.Context, request map[string]any, emit func(event map[string]any)) map[string]any
}
