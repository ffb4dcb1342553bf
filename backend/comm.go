package backend

import "context"

// Comms opened by the backend (widgets).
//
// A backend whose code opens comms (ipywidgets-style widgets created by a cell) publishes them
// through the Output it was given: when that Output implements CommOutput (the kernel's does),
// Comm(CommMessage{Type: "comm_open", ...}) publishes comm_open on iopub with the request as
// parent, and the kernel remembers the comm. The frontend's comm_msg and comm_close for such a
// comm, and the comm_open / comm_msg / comm_close of the targets the backend lists in
// CommTargets, are then handed to the backend's Comm method with an Output bound to that
// message: what the handler publishes (stream output of a callback, comm messages answering
// it) has the frontend's message as parent, as ipykernel does.
//
// The kernel calls Comm for one message at a time, in arrival order, on a goroutine of its own
// (never the one that handles kernel_info or other requests), with status busy before and idle
// after, so a frontend sees the handler's output between the two. Comm may block until a running
// cell ends.

// Comm message types.
const (
	CommOpen  = "comm_open"
	CommMsg   = "comm_msg"
	CommClose = "comm_close"
)

// CommMessage is one comm_open, comm_msg or comm_close, in either direction.
type CommMessage struct {
	Type       string // CommOpen, CommMsg or CommClose
	CommID     string
	TargetName string // comm_open only
	Data       map[string]any
	Metadata   map[string]any
	Buffers    [][]byte
	// MsgID is, for a message from the frontend, its header's msg_id.
	MsgID string
}

// CommOutput is an Output that can also publish comm messages.
type CommOutput interface {
	Output
	// Comm publishes m on iopub with the Output's request as parent. A comm_open registers
	// the comm with the kernel, so that the frontend's messages for it reach the backend; a
	// comm_close forgets it.
	Comm(m CommMessage)
}

// Commer is implemented by a Backend that opens comms or serves comm targets.
type Commer interface {
	// CommTargets names the comm targets frontends may open on this backend.
	CommTargets() []string
	// Comm handles one comm message from the frontend: for a comm the backend opened, or of a
	// target it serves. out is bound to that message (it implements CommOutput).
	Comm(ctx context.Context, m CommMessage, out Output)
}
