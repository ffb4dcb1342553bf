// Package backendtest helps test code that writes to a backend.Output: Recorder keeps what it
// receives, in order, and answers stdin reads from a list.
package backendtest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/quire-go/quire/backend"
)

// EventKind says what an Event is.
type EventKind string

// The kinds of Event.
const (
	StreamEvent  EventKind = "stream"
	DisplayEvent EventKind = "display"
	ClearEvent   EventKind = "clear"
)

// Event is one call a Recorder received.
type Event struct {
	Kind    EventKind
	Name    string          // StreamEvent: "stdout" or "stderr"
	Text    string          // StreamEvent: the text
	Display backend.Display // DisplayEvent
	Wait    bool            // ClearEvent: clear_output's wait
}

// Recorder is a backend.Output that records what it receives. It is safe for concurrent use.
// The zero value answers Input with backend.ErrNoStdin.
type Recorder struct {
	// Inputs answers Input, in order (io.EOF once they are used up); nil means the frontend
	// does not allow stdin (backend.ErrNoStdin). Set it before the Recorder is used.
	Inputs []string

	mu        sync.Mutex
	changed   Signal // notified when an event is added
	events    []Event
	prompts   []string
	passwords []bool
}

var _ backend.Output = (*Recorder)(nil)

// Stream records text written to stream name.
func (r *Recorder) Stream(name, text string) {
	r.add(Event{Kind: StreamEvent, Name: name, Text: text})
}

// Display records a display (or an update of one).
func (r *Recorder) Display(d backend.Display) { r.add(Event{Kind: DisplayEvent, Display: d}) }

// ClearOutput records a clear_output.
func (r *Recorder) ClearOutput(wait bool) { r.add(Event{Kind: ClearEvent, Wait: wait}) }

func (r *Recorder) add(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	r.changed.Notify()
}

// WaitFor returns once cond(r) is true, checking after each event the Recorder receives (not
// on a timer), or ctx's error when ctx ends first. cond may call r's methods.
func (r *Recorder) WaitFor(ctx context.Context, cond func(*Recorder) bool) error {
	return r.changed.Wait(ctx, func() bool { return cond(r) })
}

// WaitText returns once stdout or stderr contains text, or an error naming what did arrive
// when d passes first. A test waits for a marker the cell prints this way, instead of sleeping
// "long enough" for the cell to start.
func (r *Recorder) WaitText(d time.Duration, text string) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := r.WaitFor(ctx, func(r *Recorder) bool {
		return strings.Contains(r.Stdout(), text) || strings.Contains(r.Stderr(), text)
	})
	if err != nil {
		return fmt.Errorf("no %q on stdout or stderr within %v (stdout %q, stderr %q)", text, d, r.Stdout(), r.Stderr())
	}
	return nil
}

// Input answers a stdin read with the next of Inputs and records its prompt.
func (r *Recorder) Input(_ context.Context, prompt string, password bool) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Inputs == nil {
		return "", backend.ErrNoStdin
	}
	r.prompts = append(r.prompts, prompt)
	r.passwords = append(r.passwords, password)
	if len(r.Inputs) == 0 {
		return "", io.EOF
	}
	s := r.Inputs[0]
	r.Inputs = r.Inputs[1:]
	return s, nil
}

// Events returns the calls received so far, oldest first.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Text returns everything written to stream name.
func (r *Recorder) Text(name string) string {
	var b strings.Builder
	for _, e := range r.Events() {
		if e.Kind == StreamEvent && e.Name == name {
			b.WriteString(e.Text)
		}
	}
	return b.String()
}

// Stdout returns everything written to stdout.
func (r *Recorder) Stdout() string { return r.Text("stdout") }

// Stderr returns everything written to stderr.
func (r *Recorder) Stderr() string { return r.Text("stderr") }

// Displays returns the displays received, oldest first.
func (r *Recorder) Displays() []backend.Display {
	var out []backend.Display
	for _, e := range r.Events() {
		if e.Kind == DisplayEvent {
			out = append(out, e.Display)
		}
	}
	return out
}

// Prompts returns the prompts of the stdin reads answered, and whether each was a password.
func (r *Recorder) Prompts() (prompts []string, password []bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.prompts...), append([]bool(nil), r.passwords...)
}

// Log returns the events received so far as short strings a test can compare: "stdout:text"
// and "stderr:text" for streams, "display:<text/plain>" followed by " html:<text/html>" when
// there is HTML and " update" for an update, and "clear". With mergeStreams, consecutive
// writes to one stream are one entry (a worker batches output as it likes); without, one
// entry per write.
func (r *Recorder) Log(mergeStreams bool) []string {
	var log []string
	for _, e := range r.Events() {
		switch e.Kind {
		case StreamEvent:
			if n := len(log); mergeStreams && n > 0 && strings.HasPrefix(log[n-1], e.Name+":") {
				log[n-1] += e.Text
				continue
			}
			log = append(log, e.Name+":"+e.Text)
		case DisplayEvent:
			s := fmt.Sprintf("display:%v", e.Display.Data["text/plain"])
			if h, ok := e.Display.Data["text/html"]; ok {
				s += fmt.Sprintf(" html:%v", h)
			}
			if e.Display.Update {
				s += " update"
			}
			log = append(log, s)
		case ClearEvent:
			log = append(log, "clear")
		}
	}
	return log
}

// WaitUntil is WaitFor with a timeout of d, for a cond that reads state of its own.
func (r *Recorder) WaitUntil(d time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return r.WaitFor(ctx, func(*Recorder) bool { return cond() })
}
