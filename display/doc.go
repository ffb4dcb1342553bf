// Package display turns Go values into Jupyter MIME bundles and sends them to the notebook.
//
// # The model
//
// A notebook shows a value as a MIME bundle: the same value in several formats ("text/plain",
// "text/html", "image/png", ...), from which the front end picks the richest it can draw.
// Render(v) builds the bundle of any value; Show(v) renders it and publishes it as a new output
// of the running cell; a Handle (New) is an output that can be replaced in place later, which
// is how progress bars and live tables work. The text/plain entry is always present, so every
// value also reads well in a terminal console or a log.
//
// # Making your own type render itself
//
// Give the type one or more of these methods. They are ordinary method sets: a type satisfies
// them without importing this package, so a library can be display-ready with no dependency.
//
//	HTML() string                 text/html
//	Markdown() string             text/markdown
//	SVG() string                  image/svg+xml
//	LaTeX() string                text/latex ("$x^2$")
//	PNG() []byte                  image/png (raw bytes; Render base64-encodes them)
//	JPEG() []byte                 image/jpeg
//	JSON() any                    application/json
//	MIMEBundle() map[string]any   the whole bundle, chosen by you
//	String() string / Error()     text/plain (otherwise fmt's %v)
//
// For example:
//
//	type Celsius float64
//
//	func (c Celsius) String() string { return fmt.Sprintf("%.1f °C", float64(c)) }
//	func (c Celsius) HTML() string {
//		color := "steelblue"
//		if c > 30 {
//			color = "crimson"
//		}
//		return fmt.Sprintf(`<b style="color:%s">%s</b>`, color, display.EscapeHTML(c.String()))
//	}
//
// Now display.Show(Celsius(35)), or Celsius(35) as the last expression of a cell, shows a red
// "35.0 °C" in the notebook and the plain string elsewhere. Rules Render follows:
//
//   - MIMEBundle wins over everything: its map is used as is (a missing text/plain is added,
//     []byte values become base64 for binary types, strings for text types, parsed JSON for
//     JSON types).
//   - Otherwise every rendering method the value has contributes its entry; the front end
//     picks one.
//   - A value with none of them gets automatic rich forms: an image.Image becomes a PNG; a
//     slice or array of structs or maps, and a map, become an HTML table (plus an aligned text
//     table), showing the first MaxRows rows and "... N more rows". Only exported struct
//     fields are shown. Everything taken from the data is HTML-escaped.
//   - Anything you put in HTML yourself is not escaped for you: use EscapeHTML (and
//     EscapeMarkdown for Markdown) on text that comes from data.
//
// # Ready-made values
//
// Text, HTML, Markdown, SVG and LaTeX are string types, PNG and JPEG byte-slice types, so a
// conversion is enough: display.Show(display.HTML("<b>hi</b>")). JSON(v) shows v as a JSON
// tree, MIME{...} is a bundle written by hand, Table(v, n) is a table showing n rows, and
// Progress(total, label) is a progress bar updated in place (rate-limited to about ten updates
// a second, safe for concurrent use). Package display/plot draws bar and line charts and
// timelines as SVG.
//
// # Where output goes
//
// The process that runs cells (the quire worker) installs a Publisher with SetPublisher; it
// forwards each Message (display, update, clear) to the kernel, which sends it to the front
// end. Without a Publisher (a plain Go program, a test) Show prints the text/plain form to
// standard output, so code written for a notebook still runs as a normal program.
//
// # In a notebook (the Go interpreter)
//
// Cells are interpreted by yaegi. A value of a type declared in a cell keeps its methods when
// it is passed to package functions (Show, Render, Of, Table) or when it is the last
// expression of a cell, because quire registers those functions with the interpreter; it
// loses them when passed to a method of a compiled type such as Handle.Update. Write
// h.Update(display.Of(v)) in that case. Unexported fields of cell-declared structs reach this
// package renamed ("secret" as "Xsecret" in an unnamed struct type); tables hide them too.
//
// The API has no generics, so the interpreter can use all of it.
package display
