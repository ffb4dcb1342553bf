package widget

import (
	"fmt"

	"github.com/quire-go/quire/display"
)

// Layout is the CSS layout model every visible widget has (LayoutModel of
// @jupyter-widgets/base): Set("width", "400px"), Set("border", "1px solid gray").
type Layout struct{ *model }

// Style is a widget's style model (SliderStyleModel, ButtonStyleModel, ...):
// Set("description_width", "initial"), Set("button_color", "lightgreen").
type Style struct{ *model }

func newLayout() *Layout {
	return &Layout{open("Layout", identity(baseModule, moduleVersion, "LayoutModel", baseModule, moduleVersion, "LayoutView"))}
}

func newStyle(modelName string, extra map[string]any) *Style {
	st := identity(controlsModule, moduleVersion, modelName, baseModule, moduleVersion, "StyleView")
	for k, v := range extra {
		st[k] = v
	}
	return &Style{open("Style", st)}
}

// dom is what every visible control has: a model, a layout and (most) a style.
type dom struct {
	*model
	layout *Layout
	style  *Style
}

// Layout returns the widget's layout model.
func (d *dom) Layout() *Layout { return d.layout }

// Style returns the widget's style model (nil for boxes and Output, which have none).
func (d *dom) Style() *Style { return d.style }

// newDOM opens the layout, the style (styleModel "" for none) and the widget's model.
func newDOM(name, modelName, viewName, styleModel string, styleState, state map[string]any) dom {
	return newDOMIn(controlsModule, moduleVersion, name, modelName, viewName, styleModel, styleState, state)
}

func newDOMIn(module, version, name, modelName, viewName, styleModel string, styleState, state map[string]any) dom {
	d := dom{layout: newLayout()}
	st := identity(module, version, modelName, module, version, viewName)
	st["layout"] = d.layout.ref()
	st["_dom_classes"] = []any{}
	if module == controlsModule {
		st["tabbable"] = nil
		st["tooltip"] = nil
	}
	if styleModel != "" {
		d.style = newStyle(styleModel, styleState)
		st["style"] = d.style.ref()
	}
	for k, v := range state {
		st[k] = v
	}
	d.model = open(name, st)
	return d
}

// described adds the keys of labelled controls.
func described(description string, state map[string]any) map[string]any {
	state["description"] = description
	state["description_allow_html"] = false
	state["disabled"] = false
	return state
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return 0
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case float64:
		return int(x)
	case int64:
		return int(x)
	}
	return 0
}

// SetDisabled enables or disables user changes.
func (d *dom) SetDisabled(disabled bool) { d.Set("disabled", disabled) }

// SetDescription changes the label shown next to the control.
func (d *dom) SetDescription(s string) { d.Set("description", s) }

// ---- IntSlider ----

// IntSlider is a slider over integers (IntSliderModel).
type IntSlider struct {
	dom
	changes callbacks[func(int)]
}

// NewIntSlider returns a slider from min to max (step 1) at value, labelled description.
func NewIntSlider(description string, min, max, value int) *IntSlider {
	s := &IntSlider{}
	s.dom = newDOM("IntSlider", "IntSliderModel", "IntSliderView", "SliderStyleModel",
		map[string]any{"description_width": "", "handle_color": nil},
		described(description, map[string]any{
			"behavior": "drag-tap", "continuous_update": true, "orientation": "horizontal",
			"readout": true, "readout_format": "d", "min": min, "max": max, "step": 1, "value": value,
		}))
	s.repr = func() string {
		return kv("value", s.Value(), "min", toInt(s.get("min")), "max", toInt(s.get("max")), "description", s.get("description"))
	}
	s.onUpdate = func(changed map[string]any) error {
		if _, ok := changed["value"]; !ok {
			return nil
		}
		v := s.Value()
		return s.changes.run("IntSlider OnChange", func(f func(int)) { f(v) })
	}
	return s
}

// Value returns the slider's current value.
func (s *IntSlider) Value() int { return toInt(s.get("value")) }

// SetValue moves the slider (callbacks do not run: they react to the user).
func (s *IntSlider) SetValue(v int) { s.Set("value", v) }

// SetRange changes the bounds.
func (s *IntSlider) SetRange(min, max int) { s.set(map[string]any{"min": min, "max": max}) }

// SetStep changes the step.
func (s *IntSlider) SetStep(step int) { s.Set("step", step) }

// OnChange adds a callback run with the new value each time the user changes it.
func (s *IntSlider) OnChange(f func(int)) { s.changes.add(f) }

// ---- FloatSlider ----

// FloatSlider is a slider over float64 values (FloatSliderModel).
type FloatSlider struct {
	dom
	changes callbacks[func(float64)]
}

// NewFloatSlider returns a slider from min to max by step at value, labelled description.
func NewFloatSlider(description string, min, max, step, value float64) *FloatSlider {
	s := &FloatSlider{}
	s.dom = newDOM("FloatSlider", "FloatSliderModel", "FloatSliderView", "SliderStyleModel",
		map[string]any{"description_width": "", "handle_color": nil},
		described(description, map[string]any{
			"behavior": "drag-tap", "continuous_update": true, "orientation": "horizontal",
			"readout": true, "readout_format": ".2f", "min": min, "max": max, "step": step, "value": value,
		}))
	s.repr = func() string {
		return kv("value", s.Value(), "min", toFloat(s.get("min")), "max", toFloat(s.get("max")), "description", s.get("description"))
	}
	s.onUpdate = func(changed map[string]any) error {
		if _, ok := changed["value"]; !ok {
			return nil
		}
		v := s.Value()
		return s.changes.run("FloatSlider OnChange", func(f func(float64)) { f(v) })
	}
	return s
}

// Value returns the slider's current value.
func (s *FloatSlider) Value() float64 { return toFloat(s.get("value")) }

// SetValue moves the slider.
func (s *FloatSlider) SetValue(v float64) { s.Set("value", v) }

// SetRange changes the bounds.
func (s *FloatSlider) SetRange(min, max float64) { s.set(map[string]any{"min": min, "max": max}) }

// OnChange adds a callback run with the new value each time the user changes it.
func (s *FloatSlider) OnChange(f func(float64)) { s.changes.add(f) }

// ---- Selections: Dropdown, RadioButtons, ToggleButtons, Select ----

// selection is what the single-choice widgets share: options as labels, the frontend syncing
// the selected index.
type selection struct {
	dom
	changes callbacks[func(string)]
}

func (d *selection) init(name, description string, options []string, value, styleModel string, styleState, extra map[string]any) {
	labels, index := optionState(options, value)
	state := described(description, map[string]any{"_options_labels": labels, "index": index})
	for k, v := range extra {
		state[k] = v
	}
	d.dom = newDOM(name, name+"Model", name+"View", styleModel, styleState, state)
	d.repr = func() string { return kv("value", d.Value(), "description", d.get("description")) }
	d.onUpdate = func(changed map[string]any) error {
		if _, ok := changed["index"]; !ok {
			return nil
		}
		v := d.Value()
		return d.changes.run(name+" OnChange", func(f func(string)) { f(v) })
	}
}

// optionState returns the labels and the index of value (the first option when value is not
// one of them, nil without options).
func optionState(options []string, value string) ([]any, any) {
	labels := make([]any, len(options))
	index := any(nil)
	for i, o := range options {
		labels[i] = o
		if o == value && index == nil {
			index = i
		}
	}
	if index == nil && len(options) > 0 {
		index = 0
	}
	return labels, index
}

// Index returns the selected option's index, -1 when none is.
func (d *selection) Index() int {
	if d.get("index") == nil {
		return -1
	}
	return toInt(d.get("index"))
}

// Options returns the options.
func (d *selection) Options() []string {
	labels, _ := d.get("_options_labels").([]any)
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i], _ = l.(string)
	}
	return out
}

// Value returns the selected option ("" when none is).
func (d *selection) Value() string {
	i, opts := d.Index(), d.Options()
	if i < 0 || i >= len(opts) {
		return ""
	}
	return opts[i]
}

// SetValue selects option v (nothing happens if v is not an option).
func (d *selection) SetValue(v string) {
	for i, o := range d.Options() {
		if o == v {
			d.Set("index", i)
			return
		}
	}
}

// SetOptions replaces the options, keeping the selected value when it is still one of them.
func (d *selection) SetOptions(options []string) {
	labels, index := optionState(options, d.Value())
	d.set(map[string]any{"_options_labels": labels, "index": index})
}

// OnChange adds a callback run with the newly selected option.
func (d *selection) OnChange(f func(string)) { d.changes.add(f) }

// Dropdown chooses one of a list of strings (DropdownModel).
type Dropdown struct{ selection }

// NewDropdown returns a dropdown of options with value selected (the first option when value
// is not one of them).
func NewDropdown(description string, options []string, value string) *Dropdown {
	d := &Dropdown{}
	d.init("Dropdown", description, options, value, "DescriptionStyleModel", map[string]any{"description_width": ""}, nil)
	return d
}

// RadioButtons chooses one of a list of strings, all shown (RadioButtonsModel).
type RadioButtons struct{ selection }

// NewRadioButtons returns radio buttons for options with value selected.
func NewRadioButtons(description string, options []string, value string) *RadioButtons {
	d := &RadioButtons{}
	d.init("RadioButtons", description, options, value, "DescriptionStyleModel", map[string]any{"description_width": ""}, nil)
	return d
}

// ToggleButtons chooses one of a list of strings shown as a row of buttons
// (ToggleButtonsModel).
type ToggleButtons struct{ selection }

// NewToggleButtons returns a row of buttons for options with value selected.
func NewToggleButtons(description string, options []string, value string) *ToggleButtons {
	d := &ToggleButtons{}
	d.init("ToggleButtons", description, options, value, "ToggleButtonsStyleModel",
		map[string]any{"button_width": "", "description_width": "", "font_weight": ""},
		map[string]any{"button_style": "", "icons": []any{}, "tooltips": []any{}})
	return d
}

// Select chooses one of a list of strings in a list box (SelectModel).
type Select struct{ selection }

// NewSelect returns a list box of options with value selected, rows lines high.
func NewSelect(description string, options []string, value string, rows int) *Select {
	d := &Select{}
	d.init("Select", description, options, value, "DescriptionStyleModel", map[string]any{"description_width": ""},
		map[string]any{"rows": rows})
	return d
}

// ---- Button ----

// Button is a push button (ButtonModel).
type Button struct {
	dom
	clicks callbacks[func()]
}

// NewButton returns a button labelled description.
func NewButton(description string) *Button {
	b := &Button{}
	b.dom = newDOM("Button", "ButtonModel", "ButtonView", "ButtonStyleModel",
		map[string]any{"button_color": nil, "font_weight": ""},
		map[string]any{"description": description, "disabled": false, "button_style": "", "icon": ""})
	b.repr = func() string { return kv("description", b.get("description")) }
	b.onCustom = func(content map[string]any, _ [][]byte) error {
		if content["event"] != "click" {
			return nil
		}
		return b.clicks.run("Button OnClick", func(f func()) { f() })
	}
	return b
}

// OnClick adds a callback run on each click.
func (b *Button) OnClick(f func()) { b.clicks.add(f) }

// SetButtonStyle sets one of "primary", "success", "info", "warning", "danger" or "".
func (b *Button) SetButtonStyle(s string) { b.Set("button_style", s) }

// ---- Checkbox ----

// Checkbox is a boolean control (CheckboxModel).
type Checkbox struct {
	dom
	changes callbacks[func(bool)]
}

// NewCheckbox returns a checkbox labelled description.
func NewCheckbox(description string, value bool) *Checkbox {
	c := &Checkbox{}
	c.dom = newDOM("Checkbox", "CheckboxModel", "CheckboxView", "CheckboxStyleModel",
		map[string]any{"description_width": "", "background": nil},
		described(description, map[string]any{"value": value, "indent": true}))
	c.repr = func() string { return kv("value", c.Value(), "description", c.get("description")) }
	c.onUpdate = func(changed map[string]any) error {
		if _, ok := changed["value"]; !ok {
			return nil
		}
		v := c.Value()
		return c.changes.run("Checkbox OnChange", func(f func(bool)) { f(v) })
	}
	return c
}

// Value reports whether the box is checked.
func (c *Checkbox) Value() bool { v, _ := c.get("value").(bool); return v }

// SetValue checks or unchecks the box.
func (c *Checkbox) SetValue(v bool) { c.Set("value", v) }

// OnChange adds a callback run with the new value.
func (c *Checkbox) OnChange(f func(bool)) { c.changes.add(f) }

// ---- Text ----

// Text is a one-line text box (TextModel).
type Text struct {
	dom
	changes callbacks[func(string)]
	submits callbacks[func(string)]
}

// NewText returns a text box labelled description holding value.
func NewText(description, value string) *Text {
	t := &Text{}
	t.dom = newDOM("Text", "TextModel", "TextView", "TextStyleModel",
		map[string]any{"description_width": "", "background": nil, "font_size": nil, "text_color": nil},
		described(description, map[string]any{"value": value, "placeholder": "\u200b", "continuous_update": true}))
	t.repr = func() string { return kv("value", t.Value(), "description", t.get("description")) }
	t.onUpdate = func(changed map[string]any) error {
		if _, ok := changed["value"]; !ok {
			return nil
		}
		v := t.Value()
		return t.changes.run("Text OnChange", func(f func(string)) { f(v) })
	}
	t.onCustom = func(content map[string]any, _ [][]byte) error {
		if content["event"] != "submit" {
			return nil
		}
		v := t.Value()
		return t.submits.run("Text OnSubmit", func(f func(string)) { f(v) })
	}
	return t
}

// Value returns the text.
func (t *Text) Value() string { v, _ := t.get("value").(string); return v }

// SetValue replaces the text.
func (t *Text) SetValue(v string) { t.Set("value", v) }

// SetPlaceholder sets the grey hint shown while the box is empty.
func (t *Text) SetPlaceholder(p string) { t.Set("placeholder", p) }

// OnChange adds a callback run with the text after each change (each keystroke, unless
// Set("continuous_update", false)).
func (t *Text) OnChange(f func(string)) { t.changes.add(f) }

// OnSubmit adds a callback run with the text when the user presses Enter.
func (t *Text) OnSubmit(f func(string)) { t.submits.add(f) }

// ---- ToggleButton, Textarea, IntProgress ----

// ToggleButton is a button that stays pressed (ToggleButtonModel): a boolean.
type ToggleButton struct {
	dom
	changes callbacks[func(bool)]
}

// NewToggleButton returns a toggle button labelled description.
func NewToggleButton(description string, value bool) *ToggleButton {
	b := &ToggleButton{}
	b.dom = newDOM("ToggleButton", "ToggleButtonModel", "ToggleButtonView", "ToggleButtonStyleModel",
		map[string]any{"description_width": "", "font_family": nil, "font_size": nil, "font_style": nil,
			"font_variant": nil, "font_weight": nil, "text_color": nil, "text_decoration": nil},
		described(description, map[string]any{"value": value, "button_style": "", "icon": ""}))
	b.repr = func() string { return kv("value", b.Value(), "description", b.get("description")) }
	b.onUpdate = func(changed map[string]any) error {
		if _, ok := changed["value"]; !ok {
			return nil
		}
		v := b.Value()
		return b.changes.run("ToggleButton OnChange", func(f func(bool)) { f(v) })
	}
	return b
}

// Value reports whether the button is pressed.
func (b *ToggleButton) Value() bool { v, _ := b.get("value").(bool); return v }

// SetValue presses or releases the button.
func (b *ToggleButton) SetValue(v bool) { b.Set("value", v) }

// OnChange adds a callback run with the new value.
func (b *ToggleButton) OnChange(f func(bool)) { b.changes.add(f) }

// Textarea is a multi-line text box (TextareaModel).
type Textarea struct {
	dom
	changes callbacks[func(string)]
}

// NewTextarea returns a text area labelled description holding value.
func NewTextarea(description, value string) *Textarea {
	t := &Textarea{}
	t.dom = newDOM("Textarea", "TextareaModel", "TextareaView", "TextStyleModel",
		map[string]any{"description_width": "", "background": nil, "font_size": nil, "text_color": nil},
		described(description, map[string]any{"value": value, "placeholder": "\u200b", "continuous_update": true, "rows": nil}))
	t.repr = func() string { return kv("value", t.Value(), "description", t.get("description")) }
	t.onUpdate = func(changed map[string]any) error {
		if _, ok := changed["value"]; !ok {
			return nil
		}
		v := t.Value()
		return t.changes.run("Textarea OnChange", func(f func(string)) { f(v) })
	}
	return t
}

// Value returns the text.
func (t *Textarea) Value() string { v, _ := t.get("value").(string); return v }

// SetValue replaces the text.
func (t *Textarea) SetValue(v string) { t.Set("value", v) }

// OnChange adds a callback run with the text after each change.
func (t *Textarea) OnChange(f func(string)) { t.changes.add(f) }

// IntProgress is a progress bar from min to max (IntProgressModel).
type IntProgress struct{ dom }

// NewIntProgress returns a bar from min to max at value, labelled description.
func NewIntProgress(description string, min, max, value int) *IntProgress {
	p := &IntProgress{}
	p.dom = newDOM("IntProgress", "IntProgressModel", "ProgressView", "ProgressStyleModel",
		map[string]any{"bar_color": nil, "description_width": ""},
		described(description, map[string]any{"min": min, "max": max, "value": value, "bar_style": "", "orientation": "horizontal"}))
	p.repr = func() string {
		return kv("value", p.Value(), "max", toInt(p.get("max")), "description", p.get("description"))
	}
	return p
}

// Value returns the bar's value.
func (p *IntProgress) Value() int { return toInt(p.get("value")) }

// SetValue moves the bar.
func (p *IntProgress) SetValue(v int) { p.Set("value", v) }

// SetBarStyle sets one of "success", "info", "warning", "danger" or "".
func (p *IntProgress) SetBarStyle(s string) { p.Set("bar_style", s) }

// ---- Label and HTML ----

// Label shows a line of text (LabelModel).
type Label struct{ dom }

// NewLabel returns a label showing text.
func NewLabel(text string) *Label {
	l := &Label{}
	l.dom = newDOM("Label", "LabelModel", "LabelView", "LabelStyleModel",
		map[string]any{"description_width": "", "background": nil, "font_family": nil, "font_size": nil,
			"font_style": nil, "font_variant": nil, "font_weight": nil, "text_color": nil, "text_decoration": nil},
		described("", map[string]any{"value": text, "placeholder": "\u200b"}))
	l.repr = func() string { return kv("value", l.Value()) }
	return l
}

// Value returns the text.
func (l *Label) Value() string { v, _ := l.get("value").(string); return v }

// SetValue replaces the text.
func (l *Label) SetValue(text string) { l.Set("value", text) }

// HTML shows a fragment of HTML (HTMLModel).
type HTML struct{ dom }

// NewHTML returns a widget showing html.
func NewHTML(html string) *HTML {
	h := &HTML{}
	h.dom = newDOM("HTML", "HTMLModel", "HTMLView", "HTMLStyleModel",
		map[string]any{"description_width": "", "background": nil, "font_size": nil, "text_color": nil},
		described("", map[string]any{"value": html, "placeholder": "\u200b"}))
	h.repr = func() string { return kv("value", h.Value()) }
	return h
}

// Value returns the HTML.
func (h *HTML) Value() string { v, _ := h.get("value").(string); return v }

// SetValue replaces the HTML.
func (h *HTML) SetValue(html string) { h.Set("value", html) }

// ---- Output ----

// Output is an output area inside the widget tree (OutputModel of @jupyter-widgets/output):
// its content is the widget's "outputs" state, so Show, Print and Clear redraw it in every
// frontend, from a cell or from a callback.
type Output struct{ dom }

// NewOutput returns an empty output area.
func NewOutput() *Output {
	o := &Output{}
	o.dom = newDOMIn(outputModule, outputVersion, "Output", "OutputModel", "OutputView", "", nil,
		map[string]any{"msg_id": "", "outputs": []any{}})
	o.repr = func() string { return fmt.Sprintf("outputs=%d", len(o.outputs())) }
	return o
}

func (o *Output) outputs() []any {
	outs, _ := o.get("outputs").([]any)
	return outs
}

func displayOutputs(vs []any) []any {
	outs := make([]any, 0, len(vs))
	for _, v := range vs {
		outs = append(outs, map[string]any{"output_type": "display_data", "data": display.Render(v), "metadata": map[string]any{}})
	}
	return outs
}

// Show replaces the area's content with vs, each rendered as display.Render does. A value of
// a type declared in a cell loses its methods on the way to a method such as this one; pass
// display.Of(v) instead.
func (o *Output) Show(vs ...any) { o.Set("outputs", displayOutputs(vs)) }

// Append adds vs after the current content.
func (o *Output) Append(vs ...any) {
	o.Set("outputs", append(append([]any{}, o.outputs()...), displayOutputs(vs)...))
}

// Print adds text to the area as stdout output, formatted as fmt.Sprintln does.
func (o *Output) Print(a ...any) {
	out := map[string]any{"output_type": "stream", "name": "stdout", "text": fmt.Sprintln(a...)}
	o.Set("outputs", append(append([]any{}, o.outputs()...), out))
}

// Clear empties the area.
func (o *Output) Clear() { o.Set("outputs", []any{}) }

// Capture runs f with the output of the frontend message being handled (a callback's prints
// and displays) going into the area instead, as ipywidgets' "with out:" does: it sets the
// model's msg_id to that message's id, which the frontend's Output model watches. Outside a
// callback (in a cell, which already shows its own output) it just runs f.
func (o *Output) Capture(f func()) {
	id := MessageID()
	if id == "" {
		f()
		return
	}
	o.Set("msg_id", id)
	defer o.Set("msg_id", "")
	f()
}

// ---- Boxes ----

// Box lays out child widgets in a row (HBox) or a column (VBox).
type Box struct{ dom }

func newBox(name string, children []Widget) *Box {
	b := &Box{}
	b.dom = newDOM(name, name+"Model", name+"View", "", nil,
		map[string]any{"box_style": "", "children": refs(children)})
	b.repr = func() string { return fmt.Sprintf("children=%d", len(b.get("children").([]any))) }
	return b
}

func refs(children []Widget) []any {
	out := make([]any, 0, len(children))
	for _, c := range children {
		if c != nil {
			out = append(out, "IPY_MODEL_"+c.ModelID())
		}
	}
	return out
}

// NewHBox returns a row of children.
func NewHBox(children ...Widget) *Box { return newBox("HBox", children) }

// NewVBox returns a column of children.
func NewVBox(children ...Widget) *Box { return newBox("VBox", children) }

// SetChildren replaces the box's children.
func (b *Box) SetChildren(children ...Widget) { b.Set("children", refs(children)) }
