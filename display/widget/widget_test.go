package widget

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
)

// recorder is a Transport that keeps every message, as JSON round-trips them.
type recorder struct {
	mu   sync.Mutex
	msgs []msg
}

type msg struct {
	Kind, ID, Target string
	Data, Metadata   map[string]any
}

func roundTrip(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

func (r *recorder) Open(id, target string, data, md map[string]any, _ [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg{"open", id, target, roundTrip(data), roundTrip(md)})
}

func (r *recorder) Send(id string, data map[string]any, _ [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg{Kind: "msg", ID: id, Data: roundTrip(data)})
}

func (r *recorder) Close(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg{Kind: "close", ID: id})
}

func (r *recorder) take() []msg {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.msgs
	r.msgs = nil
	return m
}

func install(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{}
	SetTransport(r)
	t.Cleanup(func() { CloseAll(false); SetTransport(nil) })
	return r
}

func TestIntSliderOpenState(t *testing.T) {
	r := install(t)
	s := NewIntSlider("workers", 1, 8, 4)
	msgs := r.take()
	if len(msgs) != 3 {
		t.Fatalf("want comm_open of layout, style, slider; got %d messages: %+v", len(msgs), msgs)
	}
	layout, style, slider := msgs[0], msgs[1], msgs[2]
	for _, m := range msgs {
		if m.Kind != "open" || m.Target != Target || m.Metadata["version"] != "2.1.0" {
			t.Errorf("bad comm_open: %+v", m)
		}
		if _, ok := m.Data["buffer_paths"].([]any); !ok {
			t.Errorf("comm_open without buffer_paths: %+v", m.Data)
		}
	}
	ls := layout.Data["state"].(map[string]any)
	if ls["_model_name"] != "LayoutModel" || ls["_model_module"] != "@jupyter-widgets/base" || ls["_model_module_version"] != "2.0.0" || ls["_view_name"] != "LayoutView" {
		t.Errorf("layout state: %v", ls)
	}
	ss := style.Data["state"].(map[string]any)
	if ss["_model_name"] != "SliderStyleModel" || ss["_model_module"] != "@jupyter-widgets/controls" || ss["_view_module"] != "@jupyter-widgets/base" || ss["_view_name"] != "StyleView" {
		t.Errorf("style state: %v", ss)
	}
	st := slider.Data["state"].(map[string]any)
	want := map[string]any{
		"_model_name": "IntSliderModel", "_model_module": "@jupyter-widgets/controls", "_model_module_version": "2.0.0",
		"_view_name": "IntSliderView", "_view_module": "@jupyter-widgets/controls", "_view_module_version": "2.0.0",
		"value": 4.0, "min": 1.0, "max": 8.0, "step": 1.0, "description": "workers",
		"layout": "IPY_MODEL_" + layout.ID, "style": "IPY_MODEL_" + style.ID, "continuous_update": true,
	}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("state[%q] = %v, want %v", k, st[k], v)
		}
	}
	if slider.ID != s.ModelID() {
		t.Errorf("comm id %s, model id %s", slider.ID, s.ModelID())
	}
	b := s.MIMEBundle()
	view := b[ViewMIME].(map[string]any)
	if view["model_id"] != s.ModelID() || view["version_major"] != 2 || view["version_minor"] != 1 {
		t.Errorf("view bundle: %v", view)
	}
	if !strings.HasPrefix(b["text/plain"].(string), "IntSlider(value=4") {
		t.Errorf("text/plain: %v", b["text/plain"])
	}
}

func TestUpdateEchoAndCallback(t *testing.T) {
	r := install(t)
	s := NewIntSlider("n", 0, 10, 2)
	r.take()
	var got []int
	s.OnChange(func(v int) {
		got = append(got, v)
		if v > 8 {
			s.SetValue(8) // clamp: sent as an update
		}
	})
	s.OnChange(func(int) { panic("second callback fails") })
	err := Deliver(s.ModelID(), map[string]any{"method": "update", "state": map[string]any{"value": 9.0}, "buffer_paths": []any{}}, nil, false)
	var ce *CallbackError
	if !errors.As(err, &ce) || ce.Value != "second callback fails" {
		t.Errorf("Deliver error = %v, want the second callback's panic", err)
	}
	if len(got) != 1 || got[0] != 9 {
		t.Errorf("callback got %v", got)
	}
	msgs := r.take()
	if len(msgs) != 2 {
		t.Fatalf("want echo_update then update, got %+v", msgs)
	}
	if msgs[0].Data["method"] != "echo_update" || msgs[0].Data["state"].(map[string]any)["value"] != 9.0 {
		t.Errorf("first message: %+v", msgs[0])
	}
	if msgs[1].Data["method"] != "update" || msgs[1].Data["state"].(map[string]any)["value"] != 8.0 {
		t.Errorf("second message: %+v", msgs[1])
	}
	if s.Value() != 8 {
		t.Errorf("Value() = %d", s.Value())
	}
	// The same value again: echoed, no callback.
	got = nil
	_ = Deliver(s.ModelID(), map[string]any{"method": "update", "state": map[string]any{"value": 8.0}}, nil, false)
	if len(got) != 0 {
		t.Errorf("callback ran for an unchanged value: %v", got)
	}
	if msgs := r.take(); len(msgs) != 1 || msgs[0].Data["method"] != "echo_update" {
		t.Errorf("unchanged value: %+v", msgs)
	}
}

func TestRequestStateCustomClose(t *testing.T) {
	r := install(t)
	b := NewButton("go")
	r.take()
	clicks := 0
	b.OnClick(func() { clicks++ })
	if err := Deliver(b.ModelID(), map[string]any{"method": "custom", "content": map[string]any{"event": "click"}}, nil, false); err != nil {
		t.Fatal(err)
	}
	if clicks != 1 {
		t.Errorf("clicks = %d", clicks)
	}
	if err := Deliver(b.ModelID(), map[string]any{"method": "request_state"}, nil, false); err != nil {
		t.Fatal(err)
	}
	msgs := r.take()
	if len(msgs) != 1 || msgs[0].Data["method"] != "update" || msgs[0].Data["state"].(map[string]any)["_model_name"] != "ButtonModel" {
		t.Errorf("request_state answer: %+v", msgs)
	}
	if err := Deliver(b.ModelID(), nil, nil, true); err != nil {
		t.Fatal(err)
	}
	if err := Deliver(b.ModelID(), map[string]any{"method": "request_state"}, nil, false); !errors.Is(err, ErrUnknownComm) {
		t.Errorf("after comm_close: %v", err)
	}
}

func TestControlRequestStates(t *testing.T) {
	r := install(t)
	d := NewDropdown("model", []string{"threads", "processes", "gather"}, "processes")
	box := NewVBox(d)
	r.take()
	if err := DeliverControl("ctl", map[string]any{"method": "request_states"}); err != nil {
		t.Fatal(err)
	}
	msgs := r.take()
	if len(msgs) != 1 || msgs[0].ID != "ctl" || msgs[0].Data["method"] != "update_states" {
		t.Fatalf("control answer: %+v", msgs)
	}
	states := msgs[0].Data["states"].(map[string]any)
	if len(states) != 5 { // dropdown, its layout and style; box and its layout
		t.Errorf("%d states, want 5: %v", len(states), states)
	}
	bs := states[box.ModelID()].(map[string]any)
	if bs["model_name"] != "VBoxModel" || bs["model_module"] != "@jupyter-widgets/controls" {
		t.Errorf("box entry: %v", bs)
	}
	children := bs["state"].(map[string]any)["children"].([]any)
	if len(children) != 1 || children[0] != "IPY_MODEL_"+d.ModelID() {
		t.Errorf("children: %v", children)
	}
	var got string
	d.OnChange(func(v string) { got = v })
	_ = Deliver(d.ModelID(), map[string]any{"method": "update", "state": map[string]any{"index": 2.0}}, nil, false)
	if got != "gather" || d.Value() != "gather" || d.Index() != 2 {
		t.Errorf("dropdown: got %q, Value %q, Index %d", got, d.Value(), d.Index())
	}
}

func TestOutputAndBuffers(t *testing.T) {
	r := install(t)
	o := NewOutput()
	r.take()
	o.Print("hello", 1)
	o.Show("x")
	msgs := r.take()
	if len(msgs) != 2 {
		t.Fatalf("%+v", msgs)
	}
	outs := msgs[1].Data["state"].(map[string]any)["outputs"].([]any)
	first := outs[0].(map[string]any)
	if len(outs) != 1 || first["output_type"] != "display_data" || first["data"].(map[string]any)["text/plain"] != `"x"` {
		t.Errorf("outputs after Show: %v", outs)
	}
	state := map[string]any{"a": []any{nil, map[string]any{}}}
	putBuffers(state, []any{[]any{"a", 0.0}, []any{"a", 1.0, "b"}}, [][]byte{[]byte("x"), []byte("y")})
	if string(state["a"].([]any)[0].([]byte)) != "x" || string(state["a"].([]any)[1].(map[string]any)["b"].([]byte)) != "y" {
		t.Errorf("putBuffers: %v", state)
	}
}

func TestOutputCapture(t *testing.T) {
	r := install(t)
	o := NewOutput()
	r.take()
	ran := 0
	o.Capture(func() { ran++ }) // no message being handled: just runs
	if msgs := r.take(); ran != 1 || len(msgs) != 0 {
		t.Fatalf("Capture outside a callback: ran %d, messages %+v", ran, msgs)
	}
	SetMessageID("m-1")
	defer SetMessageID("")
	o.Capture(func() { ran++ })
	msgs := r.take()
	if ran != 2 || len(msgs) != 2 {
		t.Fatalf("Capture in a callback: ran %d, messages %+v", ran, msgs)
	}
	if msgs[0].Data["state"].(map[string]any)["msg_id"] != "m-1" || msgs[1].Data["state"].(map[string]any)["msg_id"] != "" {
		t.Errorf("msg_id set then cleared: %+v", msgs)
	}
}

// TestModelNames checks the class names every constructor sends (a wrong one shows as "Error
// displaying widget" in JupyterLab; all of these were seen drawn by JupyterLab 4.6 with
// @jupyter-widgets/jupyterlab-manager 5).
func TestModelNames(t *testing.T) {
	r := install(t)
	cases := []struct {
		make             func() Widget
		model, view, sty string
	}{
		{func() Widget { return NewIntSlider("", 0, 1, 0) }, "IntSliderModel", "IntSliderView", "SliderStyleModel"},
		{func() Widget { return NewFloatSlider("", 0, 1, 0.1, 0) }, "FloatSliderModel", "FloatSliderView", "SliderStyleModel"},
		{func() Widget { return NewDropdown("", []string{"a"}, "a") }, "DropdownModel", "DropdownView", "DescriptionStyleModel"},
		{func() Widget { return NewRadioButtons("", []string{"a"}, "a") }, "RadioButtonsModel", "RadioButtonsView", "DescriptionStyleModel"},
		{func() Widget { return NewToggleButtons("", []string{"a"}, "a") }, "ToggleButtonsModel", "ToggleButtonsView", "ToggleButtonsStyleModel"},
		{func() Widget { return NewSelect("", []string{"a"}, "a", 3) }, "SelectModel", "SelectView", "DescriptionStyleModel"},
		{func() Widget { return NewButton("") }, "ButtonModel", "ButtonView", "ButtonStyleModel"},
		{func() Widget { return NewToggleButton("", false) }, "ToggleButtonModel", "ToggleButtonView", "ToggleButtonStyleModel"},
		{func() Widget { return NewCheckbox("", false) }, "CheckboxModel", "CheckboxView", "CheckboxStyleModel"},
		{func() Widget { return NewText("", "") }, "TextModel", "TextView", "TextStyleModel"},
		{func() Widget { return NewTextarea("", "") }, "TextareaModel", "TextareaView", "TextStyleModel"},
		{func() Widget { return NewLabel("") }, "LabelModel", "LabelView", "LabelStyleModel"},
		{func() Widget { return NewHTML("") }, "HTMLModel", "HTMLView", "HTMLStyleModel"},
		{func() Widget { return NewIntProgress("", 0, 1, 0) }, "IntProgressModel", "ProgressView", "ProgressStyleModel"},
		{func() Widget { return NewOutput() }, "OutputModel", "OutputView", ""},
		{func() Widget { return NewHBox() }, "HBoxModel", "HBoxView", ""},
		{func() Widget { return NewVBox() }, "VBoxModel", "VBoxView", ""},
	}
	for _, c := range cases {
		r.take()
		w := c.make()
		byID := map[string]map[string]any{}
		for _, m := range r.take() {
			byID[m.ID] = m.Data["state"].(map[string]any)
		}
		st := byID[w.ModelID()]
		if st["_model_name"] != c.model || st["_view_name"] != c.view {
			t.Errorf("%s: model %v view %v", c.model, st["_model_name"], st["_view_name"])
		}
		styleRef, _ := st["style"].(string)
		if c.sty == "" {
			if styleRef != "" {
				t.Errorf("%s has a style %s", c.model, styleRef)
			}
			continue
		}
		if s := byID[strings.TrimPrefix(styleRef, "IPY_MODEL_")]; s["_model_name"] != c.sty || s["_view_name"] != "StyleView" {
			t.Errorf("%s: style %v", c.model, s)
		}
	}
}
