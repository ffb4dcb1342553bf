// Package widget gives notebook cells interactive controls that JupyterLab and Notebook draw
// with @jupyter-widgets, the frontend library of ipywidgets 8: IntSlider, FloatSlider,
// Dropdown, RadioButtons, ToggleButtons, Select, Button, ToggleButton, Checkbox, Text,
// Textarea, Label, HTML, IntProgress, an Output area, and HBox/VBox to lay them out. Every
// widget also has Set(key, value) for the ipywidgets attributes the typed methods leave out,
// and Layout() (and most Style()) for CSS.
//
// # The model
//
// A widget is a model: a set of named values (its state) that lives twice, once here, once in
// the browser, kept equal by comm messages (Jupyter widget messaging protocol 2.1.0, models of
// @jupyter-widgets/controls 2.0.0 and @jupyter-widgets/base 2.0.0). Creating a widget opens a
// comm (target "jupyter.widget") carrying its whole state; displaying it (display.Show(w), or
// w as a cell's last expression) sends a display_data whose
// "application/vnd.jupyter.widget-view+json" entry names the model, and the frontend draws a
// view of it. The same model may be shown several times; every view stays in sync.
//
// When the user moves a slider, the frontend sends an "update" with the new value. The package
// echoes it back ("echo_update", as ipywidgets 8 does), stores it, and calls the widget's
// OnChange callbacks; Value() then returns it. A change made here (SetValue, a callback
// clamping a value) is sent to the frontend as an "update". Buttons send "custom" messages
// ({"event": "click"}) that call OnClick callbacks.
//
//	workers := widget.NewIntSlider("workers", 1, 8, 4)
//	out := widget.NewOutput()
//	workers.OnChange(func(n int) {
//		out.Show(executors.Threads(n, tasks).SVG()) // redraw
//	})
//	display.Show(widget.NewVBox(workers, out))
//
// # When callbacks run
//
// In quire, callbacks run in the worker process that runs cells, one at a time and never while
// a cell runs: a message that arrives during a cell waits until it ends, as ipykernel handles
// comm messages between executions. A cell therefore never sees a value change under its feet,
// and a callback may use the session's variables without locks; but a cell that waits for a
// widget to change (a loop polling Value) waits for ever: end the cell and use OnChange.
//
// What a callback prints or displays goes to the frontend as output of the comm message that
// caused it, as in ipykernel: JupyterLab shows it in its log console (View > Show Log Console),
// not under a cell. To show results next to a widget, either give it an Output and call
// Output.Show, Print or Clear (they replace the area's content through the widget's state), or
// wrap the printing code in Output.Capture(func() { ... }) (ipywidgets' "with out:"), or update
// a display.Handle shown by a cell (update_display_data; JupyterLab 4 redraws the cell's
// output). A panic in a callback is reported on stderr (the log console) and ends neither the
// worker nor the other callbacks.
//
// Widgets live as long as the worker: they survive from cell to cell. When the worker
// restarts (a crash, an interrupt, a type redefinition, %restart), its widgets are closed and
// the frontend removes them; run the cells that create them again.
//
// # Outside the notebook
//
// Without a Transport (a plain Go program, a test, a compiled %%go cell), widgets still hold
// their state and Deliver can play the frontend's part; nothing is sent anywhere. Compiled
// %%go cells cannot use widgets: they run in their own process, with no comm to the notebook.
//
// # For the host
//
// SetTransport, Deliver, DeliverControl and CloseAll connect the package to a kernel; quire's
// worker calls them. ControlTarget is the comm target (jupyter.widget.control) JupyterLab
// opens to ask for every widget's state when it (re)loads a notebook.
//
// The API has no generics, so the interpreter can use all of it.
package widget
