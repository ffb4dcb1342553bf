package widget

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"

	"strings"
	"sync"
	"sync/atomic"
)

// Protocol constants (Jupyter widget messaging protocol 2.1.0, ipywidgets 8).
const (
	// Target is the comm target of widget models.
	Target = "jupyter.widget"
	// ControlTarget is the comm target frontends open to fetch every model's state at once
	// ("request_states"), when a notebook is (re)loaded.
	ControlTarget = "jupyter.widget.control"
	// ProtocolVersion goes in the metadata of every comm_open.
	ProtocolVersion = "2.1.0"
	// ViewMIME is the MIME type of a widget's display_data entry.
	ViewMIME = "application/vnd.jupyter.widget-view+json"

	controlsModule = "@jupyter-widgets/controls"
	baseModule     = "@jupyter-widgets/base"
	outputModule   = "@jupyter-widgets/output"
	moduleVersion  = "2.0.0" // of controls and base
	outputVersion  = "1.0.0"
)

// Transport carries comm messages to the frontend. The quire worker installs one that hands
// them to the kernel, which publishes them on iopub under the request being handled (the cell
// that created the widget, or the comm message whose callback changed it).
type Transport interface {
	// Open sends comm_open for a new comm.
	Open(commID, target string, data, metadata map[string]any, buffers [][]byte)
	// Send sends comm_msg.
	Send(commID string, data map[string]any, buffers [][]byte)
	// Close sends comm_close.
	Close(commID string)
}

var transport atomic.Pointer[Transport]

// SetTransport installs t (nil: none; messages are dropped). Widgets created before keep no
// record of messages not sent.
func SetTransport(t Transport) {
	if t == nil {
		transport.Store(nil)
		return
	}
	transport.Store(&t)
}

func currentTransport() Transport {
	if p := transport.Load(); p != nil {
		return *p
	}
	return nil
}

// Widget is any widget of this package.
type Widget interface {
	// ModelID is the id of the widget's model (and comm).
	ModelID() string
	// MIMEBundle is what displaying the widget sends: the view entry and a text/plain form.
	MIMEBundle() map[string]any
	// Close closes the model's comm; the frontend removes its views.
	Close()
}

// model is the state shared by every widget: the synchronised values and the callbacks that
// react to the frontend.
type model struct {
	id   string
	name string // for text/plain, e.g. "IntSlider"

	mu     sync.Mutex
	state  map[string]any
	closed bool

	// onUpdate is called, outside mu, after the frontend changed keys (with their new values).
	onUpdate func(changed map[string]any) error
	// onCustom is called for "custom" messages.
	onCustom func(content map[string]any, buffers [][]byte) error
	// repr gives the text/plain form's arguments.
	repr func() string
}

// registry holds the open models by id.
var registry = struct {
	sync.Mutex
	models map[string]*model
	order  []string // ids in creation order (request_states answers in this order)
}{models: map[string]*model{}}

func newID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x", b[:])
}

// identity returns the six keys naming a model's and a view's class.
func identity(module, version, modelName, viewModule, viewVersion, viewName string) map[string]any {
	return map[string]any{
		"_model_module": module, "_model_module_version": version, "_model_name": modelName,
		"_view_module": viewModule, "_view_module_version": viewVersion, "_view_name": viewName,
	}
}

// open registers a model with state and sends its comm_open.
func open(name string, state map[string]any) *model {
	m := &model{id: newID(), name: name, state: state}
	registry.Lock()
	registry.models[m.id] = m
	registry.order = append(registry.order, m.id)
	registry.Unlock()
	if t := currentTransport(); t != nil {
		t.Open(m.id, Target, map[string]any{"state": copyState(state), "buffer_paths": []any{}},
			map[string]any{"version": ProtocolVersion}, nil)
	}
	return m
}

func copyState(s map[string]any) map[string]any {
	out := make(map[string]any, len(s))
	for k, v := range s {
		out[k] = v
	}
	return out
}

// ModelID returns the model's id.
func (m *model) ModelID() string { return m.id }

// ref is how other models' state refers to this one.
func (m *model) ref() string { return "IPY_MODEL_" + m.id }

// MIMEBundle returns the display bundle of the widget.
func (m *model) MIMEBundle() map[string]any {
	text := m.name + "()"
	if m.repr != nil {
		text = m.name + "(" + m.repr() + ")"
	}
	return map[string]any{
		ViewMIME:     map[string]any{"model_id": m.id, "version_major": 2, "version_minor": 1},
		"text/plain": text,
	}
}

// String is the text/plain form.
func (m *model) String() string { return m.MIMEBundle()["text/plain"].(string) }

// Close closes the comm. The frontend removes the widget's views; later changes are not sent.
func (m *model) Close() {
	m.mu.Lock()
	was := m.closed
	m.closed = true
	m.mu.Unlock()
	forget(m.id)
	if t := currentTransport(); t != nil && !was {
		t.Close(m.id)
	}
}

func forget(id string) {
	registry.Lock()
	defer registry.Unlock()
	delete(registry.models, id)
	for i, o := range registry.order {
		if o == id {
			registry.order = append(registry.order[:i], registry.order[i+1:]...)
			break
		}
	}
}

// get returns the value of key.
func (m *model) get(key string) any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state[key]
}

// set changes keys and sends the changed ones to the frontend ("update").
func (m *model) set(kv map[string]any) {
	changed := map[string]any{}
	m.mu.Lock()
	for k, v := range kv {
		if old, ok := m.state[k]; ok && same(old, v) {
			continue
		}
		m.state[k] = v
		changed[k] = v
	}
	closed := m.closed
	m.mu.Unlock()
	if len(changed) == 0 || closed {
		return
	}
	m.send(map[string]any{"method": "update", "state": changed, "buffer_paths": []any{}}, nil)
}

func (m *model) send(data map[string]any, buffers [][]byte) {
	if t := currentTransport(); t != nil {
		t.Send(m.id, data, buffers)
	}
}

// same reports whether two state values are equal as JSON (the frontend's numbers arrive as
// float64, ours may be int).
func same(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// Set changes a state key of the widget by its ipywidgets name (for keys the typed methods do
// not cover: "continuous_update", "readout_format", "disabled", "tooltip", ...) and sends it.
func (m *model) Set(key string, value any) { m.set(map[string]any{key: value}) }

// Get returns the current value of a state key (numbers from the frontend are float64).
func (m *model) Get(key string) any { return m.get(key) }

// Send sends a custom message to the widget's frontend model ({"method": "custom"}).
func (m *model) Send(content map[string]any) {
	m.send(map[string]any{"method": "custom", "content": content}, nil)
}

// fullState returns a copy of the whole state.
func (m *model) fullState() map[string]any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return copyState(m.state)
}

// ErrUnknownComm is returned by Deliver for a comm id that is no open widget.
var ErrUnknownComm = errors.New("no open widget has this comm id")

// Deliver handles one comm message the frontend sent to widget commID: an "update" (state and
// buffer_paths; the buffers fill those paths), a "request_state" or a "custom" message. For an
// update, it sends the "echo_update" first, then stores the values and calls the widget's
// callbacks. It returns the callbacks' errors (a panic in one is recovered and returned as a
// *CallbackError; the others still run). A comm_close from the frontend is Deliver with data
// nil and closing true.
func Deliver(commID string, data map[string]any, buffers [][]byte, closing bool) error {
	registry.Lock()
	m := registry.models[commID]
	registry.Unlock()
	if m == nil {
		return fmt.Errorf("widget %s: %w", commID, ErrUnknownComm)
	}
	if closing {
		m.mu.Lock()
		m.closed = true
		m.mu.Unlock()
		forget(commID)
		return nil
	}
	method, _ := data["method"].(string)
	switch method {
	case "update":
		state, _ := data["state"].(map[string]any)
		if state == nil {
			return nil
		}
		if paths, ok := data["buffer_paths"].([]any); ok {
			putBuffers(state, paths, buffers)
		}
		return m.update(state)
	case "request_state":
		m.send(map[string]any{"method": "update", "state": m.fullState(), "buffer_paths": []any{}}, nil)
		return nil
	case "custom":
		content, _ := data["content"].(map[string]any)
		if m.onCustom == nil {
			return nil
		}
		return callback(m.name+" custom message", func() error { return m.onCustom(content, buffers) })
	}
	return fmt.Errorf("widget %s: unknown method %q", commID, method)
}

// update applies a frontend update: echo, store, callbacks.
func (m *model) update(state map[string]any) error {
	m.mu.Lock()
	echo := map[string]any{}
	changed := map[string]any{}
	for k, v := range state {
		old, known := m.state[k]
		if !known {
			continue // not a key of this model: ignored, as ipywidgets ignores it
		}
		echo[k] = v
		if !same(old, v) {
			changed[k] = v
		}
		m.state[k] = v
	}
	closed := m.closed
	m.mu.Unlock()
	if len(echo) > 0 && !closed {
		m.send(map[string]any{"method": "echo_update", "state": echo, "buffer_paths": []any{}}, nil)
	}
	if len(changed) == 0 || m.onUpdate == nil {
		return nil
	}
	return m.onUpdate(changed)
}

// putBuffers places binary buffers at their paths in state (a list index or a map key).
func putBuffers(state map[string]any, paths []any, buffers [][]byte) {
	for i, p := range paths {
		path, ok := p.([]any)
		if !ok || len(path) == 0 || i >= len(buffers) {
			continue
		}
		var cur any = state
		for j, step := range path {
			last := j == len(path)-1
			switch c := cur.(type) {
			case map[string]any:
				key, _ := step.(string)
				if last {
					c[key] = buffers[i]
				} else {
					cur = c[key]
				}
			case []any:
				f, _ := step.(float64)
				k := int(f)
				if k < 0 || k >= len(c) {
					cur = nil
					continue
				}
				if last {
					c[k] = buffers[i]
				} else {
					cur = c[k]
				}
			default:
				cur = nil
			}
		}
	}
}

// CallbackError is a panic in a widget callback, recovered.
type CallbackError struct {
	Where string // "IntSlider OnChange", ...
	Value any    // the panic value
}

func (e *CallbackError) Error() string {
	return fmt.Sprintf("panic in %s callback: %v", e.Where, e.Value)
}

// callback runs f, turning a panic into a *CallbackError.
func callback(where string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &CallbackError{Where: where, Value: r}
		}
	}()
	return f()
}

// callbacks is a list of user callbacks run in order; each panic is recovered on its own.
type callbacks[F any] struct {
	mu sync.Mutex
	fs []F
}

func (c *callbacks[F]) add(f F) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.fs = append(c.fs, f)
	c.mu.Unlock()
}

// run calls each callback through call, collecting errors.
func (c *callbacks[F]) run(where string, call func(F)) error {
	c.mu.Lock()
	fs := append([]F(nil), c.fs...)
	c.mu.Unlock()
	var errs []error
	for _, f := range fs {
		if err := callback(where, func() error { call(f); return nil }); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DeliverControl handles a message on a comm of target ControlTarget: for {"method":
// "request_states"} it sends {"method": "update_states", "states": {id: {"model_name",
// "model_module", "model_module_version", "state"}}, "buffer_paths": []} on that comm, with
// every open model, as ipywidgets 8 answers JupyterLab's widget manager.
func DeliverControl(commID string, data map[string]any) error {
	method, _ := data["method"].(string)
	if method != "request_states" {
		return fmt.Errorf("%s: unknown method %q", ControlTarget, method)
	}
	registry.Lock()
	ms := make([]*model, 0, len(registry.order))
	for _, id := range registry.order {
		ms = append(ms, registry.models[id])
	}
	registry.Unlock()
	states := map[string]any{}
	for _, m := range ms {
		st := m.fullState()
		states[m.id] = map[string]any{
			"model_name": st["_model_name"], "model_module": st["_model_module"],
			"model_module_version": st["_model_module_version"], "state": st,
		}
	}
	if t := currentTransport(); t != nil {
		t.Send(commID, map[string]any{"method": "update_states", "states": states, "buffer_paths": []any{}}, nil)
	}
	return nil
}

var messageID atomic.Pointer[string]

// SetMessageID records the msg_id of the frontend message whose callbacks run now ("" when
// none): the host calls it around Deliver, for Output.Capture.
func SetMessageID(id string) { messageID.Store(&id) }

// MessageID returns what SetMessageID recorded.
func MessageID() string {
	if p := messageID.Load(); p != nil {
		return *p
	}
	return ""
}

// IDs returns the model ids of the open widgets (layouts and styles included), oldest first.
func IDs() []string {
	registry.Lock()
	defer registry.Unlock()
	return append([]string(nil), registry.order...)
}

// CloseAll closes every open widget (sending comm_close through the transport when send).
func CloseAll(send bool) {
	registry.Lock()
	ms := make([]*model, 0, len(registry.models))
	for _, id := range registry.order {
		ms = append(ms, registry.models[id])
	}
	registry.models = map[string]*model{}
	registry.order = nil
	registry.Unlock()
	t := currentTransport()
	for _, m := range ms {
		m.mu.Lock()
		was := m.closed
		m.closed = true
		m.mu.Unlock()
		if send && t != nil && !was {
			t.Close(m.id)
		}
	}
}

// kv formats the text/plain arguments of a widget: name=value pairs, strings quoted.
func kv(pairs ...any) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%v=", pairs[i])
		switch v := pairs[i+1].(type) {
		case string:
			fmt.Fprintf(&b, "%q", v)
		default:
			fmt.Fprintf(&b, "%v", v)
		}
	}
	return b.String()
}
