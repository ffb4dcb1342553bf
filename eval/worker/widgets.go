package worker

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/quire-go/quire/display/widget"
	"github.com/quire-go/quire/eval/internal/wire"
	"github.com/traefik/yaegi/interp"
)

// widgetOverrides keep the worker's widget plumbing in place: a cell calling the host's
// setters gets an error saying why.
func widgetOverrides() interp.Exports {
	refuse := func(name string) error {
		return fmt.Errorf("widget.%s is the notebook's own plumbing and cannot be called from a cell (widgets talk to the notebook through it)", name)
	}
	return interp.Exports{
		"github.com/quire-go/quire/display/widget/widget": {
			"SetTransport": reflect.ValueOf(func(widget.Transport) { panic(refuse("SetTransport")) }),
			"SetMessageID": reflect.ValueOf(func(string) { panic(refuse("SetMessageID")) }),
		},
	}
}

// Widgets (package display/widget) live in the worker. Their comm messages to the frontend
// go to the supervisor as EvComm events, tagged with the request the sending goroutine works
// for, in order with the output streams (syncSend), so a comm_open reaches the frontend before
// the display_data that shows the widget. The frontend's messages come back as OpComm
// requests, run like cells: one at a time, never while a cell runs (the request queue is the
// cells' queue), so a callback never runs concurrently with a cell's own evaluation in the
// interpreter.

// commTransport is the widget.Transport of the worker.
type commTransport struct{ w *Worker }

func (t commTransport) send(c *wire.Comm) {
	t.w.syncSend(wire.Event{Ev: wire.EvComm, Owner: t.w.own.current(), Comm: c})
}

func (t commTransport) Open(id, target string, data, md map[string]any, buffers [][]byte) {
	t.send(&wire.Comm{Type: "comm_open", ID: id, Target: target, Data: data, Metadata: md, Buffers: buffers})
}

func (t commTransport) Send(id string, data map[string]any, buffers [][]byte) {
	t.send(&wire.Comm{Type: "comm_msg", ID: id, Data: data, Buffers: buffers})
}

func (t commTransport) Close(id string) { t.send(&wire.Comm{Type: "comm_close", ID: id}) }

// runComm handles an OpComm request: the message goes to its widget (or, for
// request_states, to the control target), whose callbacks run on this request's goroutine,
// labelled with its id so that what they print goes under the comm message.
func (w *Worker) runComm(r wire.Request) {
	w.mu.Lock()
	w.reqID, w.stdin = r.ID, false
	w.mu.Unlock()
	ev, exited := w.runGuarded(r.ID, "a widget callback called runtime.Goexit", func() wire.Event {
		var ev wire.Event
		if r.Comm != nil {
			widget.SetMessageID(r.Comm.MsgID)
		}
		err := deliverComm(r.Comm)
		widget.SetMessageID("")
		if err != nil {
			ev.Error = commError(err)
		}
		return ev
	})
	if exited && ev.Error == nil { // os.Exit in a callback: that goroutine is parked
		ev.Error = &wire.Error{Name: "Exit", Value: "a widget callback called os.Exit(0)"}
	}
	ev.Ev, ev.ID = wire.EvDone, r.ID
	w.mu.Lock()
	w.cell = nil
	w.mu.Unlock()
	w.syncSend(ev)
}

func deliverComm(c *wire.Comm) error {
	if c == nil {
		return nil
	}
	switch c.Type {
	case "comm_open":
		return nil // the control target needs no state of its own
	case "comm_close":
		if err := widget.Deliver(c.ID, nil, nil, true); err != nil && !errors.Is(err, widget.ErrUnknownComm) {
			return err
		}
		return nil
	}
	err := widget.Deliver(c.ID, c.Data, c.Buffers, false)
	if errors.Is(err, widget.ErrUnknownComm) {
		if m, _ := c.Data["method"].(string); m == "request_states" {
			return widget.DeliverControl(c.ID, c.Data)
		}
		return errors.New("this widget no longer exists (the Go worker was restarted since it was created); run the cell that creates it again")
	}
	return err
}

// commError describes the errors of a widget message's callbacks.
func commError(err error) *wire.Error {
	var msgs []string
	for _, e := range unjoin(err) {
		var ce *widget.CallbackError
		if errors.As(e, &ce) {
			msgs = append(msgs, "panic in a widget callback ("+ce.Where+"): "+panicString(ce.Value))
			continue
		}
		msgs = append(msgs, "widget: "+e.Error())
	}
	return &wire.Error{Name: "WidgetError", Value: strings.Join(msgs, "\n")}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}
