package eval

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval/internal/wire"
)

// Widgets (package display/widget) live in the worker; the supervisor only carries their comm
// messages (backend.Commer):
//
//   - the worker's EvComm events (comm_open, comm_msg, comm_close of its widgets) go out
//     through the Output of the request they were made for (the cell that created a widget,
//     the comm message whose callback changed it), which publishes them;
//   - the frontend's messages for those comms, and for the control target that JupyterLab
//     opens to fetch every widget's state, come in through Comm and run in the worker as
//     requests of their own, serialised with cells (execMu): a callback waits for the running
//     cell to end, as ipykernel handles comm messages between executions;
//   - when a worker dies or is replaced (crash, interrupt, type redefinition), its widgets go
//     with it: the supervisor closes their comms, so the frontend removes them, and says so.
//
// Compiled %%go cells run in processes of their own with no comm to the kernel: they cannot
// use widgets.

// widgetControlTarget is display/widget's ControlTarget (not imported: the kernel process
// does not link the display packages).
const widgetControlTarget = "jupyter.widget.control"

var _ backend.Commer = (*Supervisor)(nil)

// CommTargets is the control target of widgets.
func (s *Supervisor) CommTargets() []string { return []string{widgetControlTarget} }

// widgetSet records the comms a worker opened, with the Output that published each.
type widgetSet struct {
	once sync.Once
	mu   sync.Mutex
	open map[string]backend.CommOutput
}

// commEvent publishes a worker's comm message through the Output of its request.
func (s *Supervisor) commEvent(p *proc, ev wire.Event) {
	c := ev.Comm
	if c == nil {
		return
	}
	out := s.outs.commOutput(ev.Owner)
	if out == nil {
		s.log.Debug("dropped a widget message: the request's Output cannot publish comms", "type", c.Type)
		return
	}
	switch c.Type {
	case backend.CommOpen:
		p.widgets.once.Do(func() { go s.closeWidgetsAtDeath(p) })
		p.widgets.mu.Lock()
		if p.widgets.open == nil {
			p.widgets.open = map[string]backend.CommOutput{}
		}
		p.widgets.open[c.ID] = out
		p.widgets.mu.Unlock()
	case backend.CommClose:
		p.widgets.mu.Lock()
		delete(p.widgets.open, c.ID)
		p.widgets.mu.Unlock()
	}
	out.Comm(backend.CommMessage{Type: c.Type, CommID: c.ID, TargetName: c.Target, Data: c.Data, Metadata: c.Metadata, Buffers: c.Buffers})
}

// closeWidgetsAtDeath closes the widgets of p once p is gone (a crash no request saw).
func (s *Supervisor) closeWidgetsAtDeath(p *proc) {
	<-p.dead
	s.closeWidgets(p)
}

// closeWidgets closes the comms of p's widgets, so that the frontend removes views whose model
// no longer exists, and tells the user. It runs when p is killed (interrupt, restart), when a
// request sees p die, and when p dies unseen; only the first call does anything.
func (s *Supervisor) closeWidgets(p *proc) {
	p.widgets.mu.Lock()
	open := p.widgets.open
	p.widgets.open = nil
	p.widgets.mu.Unlock()
	if len(open) == 0 || s.closed.Load() {
		return
	}
	ids := make([]string, 0, len(open))
	for id := range open {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		open[id].Comm(backend.CommMessage{Type: backend.CommClose, CommID: id})
	}
	s.stream("stderr", fmt.Sprintf("quire: the Go worker was restarted, and the widgets it held are closed "+
		"(%d comm%s, layouts and styles included); run the cells that create them again.\n", len(ids), plural(len(ids))))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Comm delivers a frontend comm message to the worker's widgets (see backend.Commer). It
// waits for a running cell to end.
func (s *Supervisor) Comm(ctx context.Context, m backend.CommMessage, out backend.Output) {
	if m.Type == backend.CommOpen && m.TargetName != widgetControlTarget {
		return
	}
	s.execMu.Lock()
	defer s.execMu.Unlock()
	p, err := s.workers.get(ctx)
	if err != nil {
		out.Stream("stderr", "quire: a widget message was not delivered: "+err.Error()+"\n")
		return
	}
	defer s.outs.swap(out)()
	id := s.reqID.Add(1)
	s.outs.own(id)
	s.run.start(p) // no Execute runs (execMu): nothing can have interrupted it
	ev, ok := p.run(ctx, wire.Request{Op: wire.OpComm, ID: id, Comm: &wire.Comm{
		Type: m.Type, ID: m.CommID, Target: m.TargetName, Data: m.Data, Metadata: m.Metadata, Buffers: m.Buffers, MsgID: m.MsgID,
	}})
	s.run.finish(p, ok)
	var note string
	s.rec.mu.Lock()
	if !ok {
		note = lostNote(s.rec.sess.lost(), s.rec.sess.reset(), s.rec.sess.restored())
		s.rec.sess.forgetVars()
	}
	s.rec.mu.Unlock()
	if !ok {
		s.workers.restartIf(p)
		if ctx.Err() != nil {
			return
		}
		what := p.crashError().Value
		if p.wasKilled() {
			what = "interrupted"
		}
		msg := "quire: the Go worker stopped while running a widget callback: " + what + "\n" + crashNote(p.takeTraces(), note) + "\n"
		out.Stream("stderr", cleanPositions(msg))
		return
	}
	if ev.Error != nil {
		tb := traceLines(p.takeTraces(), "")
		text := ev.Error.Value
		if len(tb) > 0 {
			text += "\n" + strings.Join(tb, "\n")
		}
		out.Stream("stderr", cleanPositions(text)+"\n")
	}
}
