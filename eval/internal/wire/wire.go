// Package wire is the protocol between quire's supervisor (kernel process) and its worker
// process. Both directions carry newline-delimited JSON objects over pipes:
//
//   - fd 3 of the worker: Requests from the supervisor;
//   - fd 4 of the worker: Events to the supervisor;
//   - fd 1 and fd 5: the user's stdout and stderr, raw bytes, with sync markers;
//   - fd 2: the Go runtime's own output (crash reports), read by the supervisor.
//
// Ordering: before an event whose position among the user's output matters (a display, an
// input request, the end of a cell), the worker writes a sync marker with a fresh sequence
// number into both output pipes and puts that number in Event.Sync. The supervisor handles the
// event only after it has forwarded everything its output readers saw before that marker.
package wire

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/quire-go/quire/eval/compiled/frame"
)

// Request ops.
const (
	OpExec  = "exec"  // run Steps
	OpInput = "input" // reply to an EvInput event
	OpExit  = "exit"  // end the worker
	// OpDebug carries one debugger request (Debug); the worker answers with EvDebug of the
	// same ID at once, also while a cell runs (see eval/worker/debug.go).
	OpDebug = "debug"
)

// Step kinds.
const (
	StepEval = "eval" // Eval Src (already prefixed with ; and //line as needed)
	StepShow = "show" // Src is an expression (or several, comma separated): show its value
	// StepUnavailable, only in Request.Session: the func Name cannot run in an executors'
	// child process; Src is the error message saying why and what to write instead.
	StepUnavailable = "unavailable"
)

// Step is one unit the worker evaluates.
type Step struct {
	Kind string `json:"k"`
	Src  string `json:"s"`
	// Alt is, for StepShow, the statement to run instead when Src does not compile (the
	// expression has no value).
	Alt string `json:"a,omitempty"`
	// Alts are, for StepShow, sources tried before Src: the first that compiles runs.
	Alts []string `json:"alts,omitempty"`
	// Name labels the step for replay reports (for example "func f").
	Name string `json:"n,omitempty"`
	// Tolerant steps do not stop the request when they fail (replay); their failure is
	// reported in Done.Failed.
	Tolerant bool `json:"t,omitempty"`
	// Retry lists steps to re-run after the others when they fail (replay ordering).
	Retry bool `json:"r,omitempty"`
	// Funcs are the funcs and methods the step declares, as eval/cell parsed them (the worker
	// notes which methods compiled packages will not call; it does not parse Go itself).
	Funcs []Func `json:"f,omitempty"`
}

// Func is a func or method a step declares.
type Func struct {
	Name string `json:"n"`           // the func's or method's name
	Recv string `json:"r,omitempty"` // a method's receiver type, without pointer or type parameters
	Src  string `json:"s"`           // its source
}

// Request is one message from the supervisor.
type Request struct {
	Op         string `json:"op"`
	ID         uint64 `json:"id,omitempty"`
	Steps      []Step `json:"steps,omitempty"`
	AllowStdin bool   `json:"stdin,omitempty"`
	// Session, when not nil, replaces the replay steps the worker hands to executors' child
	// processes (`quire worker --task`), so they can re-create the session's declarations.
	Session []Step `json:"session,omitempty"`
	// For OpInput.
	Text string `json:"text,omitempty"`
	Err  string `json:"err,omitempty"`
	// For OpComm.
	Comm *Comm `json:"comm,omitempty"`
	// For OpDebug: the request (a Debug Adapter Protocol request: command, arguments).
	Debug json.RawMessage `json:"dbg,omitempty"`
	// Snapshot names the session's variables: after the steps succeed, EvDone's Snapshot has
	// the values of those that are plain data.
	Snapshot []string `json:"snap,omitempty"`
}

// Snap is the Go source of a variable's value (see Request.Snapshot): Value to assign it
// (an untyped constant for basic types), Typed to define it (T(constant), composite
// literals).
type Snap struct {
	Value string `json:"v"`
	Typed string `json:"t"`
}

// Event kinds.
const (
	EvReady   = "ready"   // the worker is initialised
	EvDisplay = "display" // a display message (Display)
	EvTrace   = "trace"   // one yaegi panic frame line (Text)
	EvInput   = "input"   // the cell reads stdin (Text = prompt, Password)
	EvDone    = "done"    // the request ID is finished
	EvLog     = "log"     // a diagnostic for the kernel log (Text)
	EvFatal   = "fatal"   // the worker is about to exit (Error): a goroutine panicked
	EvDebug   = "debug"   // the answer to OpDebug request ID (Debug)
	EvDebugEv = "dbgev"   // a debugger event (Debug): a goroutine stopped, started, exited
)

// Display mirrors display.Message. Kind is DisplayShow, DisplayUpdate or DisplayClear.
type Display struct {
	Kind     string         `json:"kind"`
	Data     map[string]any `json:"data,omitempty"`
	Metadata map[string]any `json:"md,omitempty"`
	ID       string         `json:"id,omitempty"`
	Wait     bool           `json:"wait,omitempty"`
}

// Display kinds, the same words as compiled cells' frames (eval/compiled/frame).
const (
	DisplayShow   = frame.KindDisplay // display_data
	DisplayUpdate = frame.KindUpdate  // update_display_data for Display.ID
	DisplayClear  = frame.KindClear   // clear_output (Display.Wait)
)

// Error is a failed step, shaped like a Jupyter error.
type Error struct {
	Name      string   `json:"ename"`
	Value     string   `json:"evalue"`
	Traceback []string `json:"tb,omitempty"`
}

// Failure is a tolerant step that failed.
type Failure struct {
	Name string `json:"name"`
	Err  string `json:"err"`
}

// Event is one message from the worker.
type Event struct {
	Ev   string `json:"ev"`
	ID   uint64 `json:"id,omitempty"`
	Sync uint64 `json:"sync,omitempty"`
	// Marks are the last markers written before this event on stdout and stderr (a stream with
	// nothing new since its previous marker gets no new one).
	Marks    [2]uint64 `json:"marks"`
	Text     string    `json:"text,omitempty"`
	Password bool      `json:"pw,omitempty"`
	Display  *Display  `json:"display,omitempty"`
	Comm     *Comm     `json:"comm,omitempty"`
	// For EvDone: the shown value (a MIME bundle), or the error that ended the request.
	Result   map[string]any `json:"result,omitempty"`
	Error    *Error         `json:"error,omitempty"`
	Failed   []Failure      `json:"failed,omitempty"`
	Duration int64          `json:"dur,omitempty"`   // nanoseconds spent evaluating
	Steps    int            `json:"steps,omitempty"` // EvDone: steps that completed without error
	// Owner is, for EvDisplay and EvComm, the request the message was made for (see
	// OwnerMarker).
	Owner uint64 `json:"own,omitempty"`
	// Snapshot, for EvDone of a request with Snapshot names, has the plain-data values.
	Snapshot map[string]Snap `json:"snap,omitempty"`
	PID      int             `json:"pid,omitempty"`
	Proto    int             `json:"proto,omitempty"` // ready: the worker's Protocol
	// Debug is, for EvDebug, the answer (success, message, body) and, for EvDebugEv, the
	// event (event, body), in the Debug Adapter Protocol's terms.
	Debug json.RawMessage `json:"dbg,omitempty"`
}

// EnvNonce names the environment variable that gives the worker its marker nonce, so text a
// cell prints cannot be taken for a marker.
const EnvNonce = "QUIRE_WORKER_NONCE"

// Protocol is the version of this wire format; the worker reports it in its ready event, and
// the supervisor refuses a worker with another (quire-kernel and quire from different builds).
// Change it whenever Request, Event or Step change.
const Protocol = 8

// Environment variables the supervisor passes to the worker.
const (
	EnvMemLimit = "QUIRE_WORKER_MEMLIMIT" // bytes; memory limit of the worker (0: none)
	EnvGoPath   = "QUIRE_WORKER_GOPATH"   // GOPATH for source imports (%go get)
	// EnvSessionFile is the path where the worker writes the session replay steps for
	// executors' child processes. The supervisor picks it and removes it when the worker
	// ends, however it ends (a killed worker cannot clean up after itself).
	EnvSessionFile = "QUIRE_WORKER_SESSION_FILE"
)

// NoStdin is the error text of reading os.Stdin in a cell when the frontend does not accept
// input.
const NoStdin = "reading stdin: this frontend does not support input requests (allow_stdin is false)"

// Marker framing: "\x00\x1bQ" + nonce + ":" + decimal sequence + "\x00".
func markerPrefix(nonce string) []byte { return []byte("\x00\x1bQ" + nonce + ":") }

// Marker returns the bytes of sync marker n.
func Marker(nonce string, n uint64) []byte {
	b := markerPrefix(nonce)
	b = strconv.AppendUint(b, n, 10)
	return append(b, 0)
}

// OwnerMarker returns the bytes of an owner marker: the text after it, up to the next owner
// marker, was written for request id (0: unknown, show it under the running request). It
// lets output of goroutines that outlive their cell be shown under that cell.
func OwnerMarker(nonce string, id uint64) []byte {
	b := append(markerPrefix(nonce), 'o')
	b = strconv.AppendUint(b, id, 10)
	return append(b, 0)
}

// Scanner splits a raw output stream into text, sync markers and owner markers.
type Scanner struct {
	pending []byte
	prefix  []byte
	// Owner, if set, is called for each owner marker (see OwnerMarker) in order with the text.
	Owner func(id uint64)
}

// NewScanner returns a Scanner for the markers of a worker with the given nonce.
func NewScanner(nonce string) *Scanner { return &Scanner{prefix: markerPrefix(nonce)} }

// Feed adds p and returns the text that is safe to forward, in order, interleaved with markers
// through emit: text(s) for text and mark(n) for a marker. Bytes that may begin a marker, or an
// incomplete UTF-8 sequence at the end, are kept for the next call.
func (s *Scanner) Feed(p []byte, text func([]byte), mark func(uint64)) {
	markerPrefix := s.prefix
	buf := p
	if len(s.pending) > 0 {
		buf = append(s.pending, p...)
		s.pending = nil
	}
	for len(buf) > 0 {
		i := bytes.IndexByte(buf, 0)
		if i < 0 {
			keep := incompleteUTF8(buf)
			if len(buf)-keep > 0 {
				text(buf[:len(buf)-keep])
			}
			if keep > 0 {
				s.pending = append(s.pending[:0], buf[len(buf)-keep:]...)
			}
			return
		}
		if i > 0 {
			text(buf[:i])
			buf = buf[i:]
		}
		// buf starts with a NUL: a marker, a partial marker, or a plain NUL byte.
		rest := buf
		if len(rest) < len(markerPrefix) {
			if bytes.HasPrefix(markerPrefix, rest) {
				s.pending = append(s.pending[:0], rest...)
				return
			}
			text(rest[:1])
			buf = rest[1:]
			continue
		}
		if !bytes.HasPrefix(rest, markerPrefix) {
			text(rest[:1])
			buf = rest[1:]
			continue
		}
		end := bytes.IndexByte(rest[len(markerPrefix):], 0)
		if end < 0 {
			if len(rest) > len(markerPrefix)+24 { // not a marker after all
				text(rest[:1])
				buf = rest[1:]
				continue
			}
			s.pending = append(s.pending[:0], rest...)
			return
		}
		num := rest[len(markerPrefix) : len(markerPrefix)+end]
		owner := len(num) > 0 && num[0] == 'o'
		if owner {
			num = num[1:]
		}
		n, err := strconv.ParseUint(string(num), 10, 64)
		if err != nil {
			text(rest[:1])
			buf = rest[1:]
			continue
		}
		switch {
		case !owner:
			mark(n)
		case s.Owner != nil:
			s.Owner(n)
		}
		buf = rest[len(markerPrefix)+end+1:]
	}
}

// Flush returns whatever is pending (at EOF).
func (s *Scanner) Flush() []byte {
	p := s.pending
	s.pending = nil
	return p
}

// incompleteUTF8 returns how many trailing bytes of p form an incomplete UTF-8 sequence.
func incompleteUTF8(p []byte) int {
	n := len(p)
	for k := 1; k <= 3 && k <= n; k++ {
		c := p[n-k]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 { // leading byte
			need := 2
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			}
			if need > k {
				return k
			}
			return 0
		}
	}
	return 0
}
