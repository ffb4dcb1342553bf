package wire

// Widgets: comm messages between the worker's widgets (package display/widget) and the
// frontend. The worker sends EvComm events (Event.Comm, Event.Owner: the request the message
// was made for); the supervisor sends OpComm requests (Request.Comm), which the worker runs
// like cells, one at a time, and answers with EvDone.
const (
	OpComm = "comm" // deliver a frontend comm message (Request.Comm) to the worker's widgets
	EvComm = "comm" // a comm message for the frontend (Event.Comm), for request Event.Owner
)

// Comm is a comm message, from the frontend (OpComm) or to it (EvComm).
type Comm struct {
	Type     string         `json:"type"` // comm_open, comm_msg, comm_close
	ID       string         `json:"id"`
	Target   string         `json:"target,omitempty"`
	Data     map[string]any `json:"data,omitempty"`
	Metadata map[string]any `json:"md,omitempty"`
	Buffers  [][]byte       `json:"buf,omitempty"`
	// MsgID is, for OpComm, the msg_id of the frontend's message (its output's parent).
	MsgID string `json:"msg,omitempty"`
}
