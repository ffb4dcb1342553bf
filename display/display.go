package display

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
)

// Bundle maps MIME types to data: strings for textual types and base64-encoded images,
// any JSON value for "application/json".
type Bundle = map[string]any

// Interfaces a value may implement to render itself. Each returns the payload for one MIME type.
type (
	HTMLer     interface{ HTML() string }     // text/html
	SVGer      interface{ SVG() string }      // image/svg+xml
	Markdowner interface{ Markdown() string } // text/markdown
	LaTeXer    interface{ LaTeX() string }    // text/latex
	PNGer      interface{ PNG() []byte }      // image/png (raw bytes; Render base64-encodes them)
	JPEGer     interface{ JPEG() []byte }     // image/jpeg (raw bytes)
	JSONer     interface{ JSON() any }        // application/json
	// Bundler returns a complete bundle; it wins over every other method.
	Bundler interface{ MIMEBundle() map[string]any }
)

// Kind says what a Message asks the notebook to do.
type Kind int

const (
	KindDisplay Kind = iota // display_data
	KindUpdate              // update_display_data for Message.ID
	KindClear               // clear_output (Message.Wait)
)

// String names the Jupyter message a Kind becomes.
func (k Kind) String() string {
	switch k {
	case KindDisplay:
		return "display_data"
	case KindUpdate:
		return "update_display_data"
	case KindClear:
		return "clear_output"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Message is one display action, as handed to a Publisher.
type Message struct {
	Kind     Kind
	Data     Bundle
	Metadata map[string]any
	ID       string // display_id; empty for an anonymous display
	Wait     bool   // for KindClear
}

// Publisher delivers display messages to the notebook. The quire worker installs one that
// forwards them to the kernel; the kernel turns them into iopub messages.
type Publisher interface {
	Publish(m Message)
}

var publisher atomic.Pointer[Publisher]

// SetPublisher installs p as the destination of Show, Handle and Progress; nil restores the
// default, which writes text/plain renderings to os.Stdout.
func SetPublisher(p Publisher) {
	if p == nil {
		publisher.Store(nil)
		return
	}
	publisher.Store(&p)
}

// Publish sends m to the installed Publisher, or prints its text/plain form when there is none.
func Publish(m Message) {
	if p := publisher.Load(); p != nil {
		(*p).Publish(m)
		return
	}
	if m.Kind == KindClear {
		return
	}
	if s, ok := m.Data["text/plain"].(string); ok {
		writeText(os.Stdout, s)
	}
}

var stdoutMu sync.Mutex

func writeText(w io.Writer, s string) {
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	if len(s) > 0 && s[len(s)-1] != '\n' {
		s += "\n"
	}
	io.WriteString(w, s)
}

// Show renders each value and publishes it as its own display_data output, in order:
// Show(a, b) displays a, then b, like IPython's display(a, b).
func Show(vs ...any) {
	for _, v := range vs {
		Publish(Message{Kind: KindDisplay, Data: Render(v)})
	}
}

// Handle is one output area that can be replaced in place (update_display_data) or cleared.
type Handle struct {
	id    string
	shown atomic.Bool
}

// New returns a Handle with a fresh display id. Nothing is shown until Show or Update.
func New() *Handle { return &Handle{id: newID()} }

// newID returns a random (version 4) UUID in its usual text form. display depends on the
// standard library only, so compiled cells can build it from quire's embedded source offline;
// math/rand/v2 (randomly seeded per process) rather than crypto/rand keeps their link small.
// Display ids need to be unique, not secret.
func newID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// ID returns the display id.
func (h *Handle) ID() string { return h.id }

// Show displays v in a new output area bound to the handle.
func (h *Handle) Show(v any) {
	h.shown.Store(true)
	Publish(Message{Kind: KindDisplay, Data: Render(v), ID: h.id})
}

// Update replaces the handle's output with v everywhere it is shown; the first call shows it.
func (h *Handle) Update(v any) {
	if !h.shown.Swap(true) {
		Publish(Message{Kind: KindDisplay, Data: Render(v), ID: h.id})
		return
	}
	Publish(Message{Kind: KindUpdate, Data: Render(v), ID: h.id})
}

// Of renders v now and returns the bundle as a value that shows as exactly that bundle. In a
// notebook, use it to hand a value of a type declared in a cell to a Handle method:
// h.Update(display.Of(v)). The interpreter lets package functions such as Of, Show and Render
// see the methods of cell-declared types, but not methods such as Handle.Update.
func Of(v any) MIME { return MIME(Render(v)) }

// Clear empties the handle's output area in place (an update to an empty text/plain output);
// Jupyter has no message that removes a single output, so the area stays, blank. A later Update
// fills it again.
func (h *Handle) Clear() {
	if !h.shown.Load() {
		return
	}
	Publish(Message{Kind: KindUpdate, Data: Bundle{"text/plain": ""}, ID: h.id})
}

// Clear clears the cell's output (clear_output); with wait, the clear happens when new output
// arrives, which avoids flicker in animations.
func Clear(wait bool) { Publish(Message{Kind: KindClear, Wait: wait}) }

// Text is a value shown as plain text.
type Text string

// HTML is a value shown as HTML.
type HTML string

// Markdown is a value shown as Markdown.
type Markdown string

// SVG is a value shown as an SVG image.
type SVG string

// LaTeX is a value shown as LaTeX (for example "$x^2$").
type LaTeX string

func (t Text) String() string       { return string(t) }
func (h HTML) HTML() string         { return string(h) }
func (h HTML) String() string       { return string(h) }
func (m Markdown) Markdown() string { return string(m) }
func (m Markdown) String() string   { return string(m) }
func (s SVG) SVG() string           { return string(s) }
func (s SVG) String() string        { return "<svg image>" }
func (l LaTeX) LaTeX() string       { return string(l) }
func (l LaTeX) String() string      { return string(l) }

// Render builds the MIME bundle of v, following the rules in the package documentation: a
// Bundler's own bundle; else the entries of every rendering method v has; else, for values with
// no rich method, a PNG for an image.Image and an HTML table for tabular data. The text/plain
// entry is always present.
func Render(v any) (out Bundle) {
	defer func() {
		// A rendering method that panics must not take the cell (or the worker) down with it.
		if r := recover(); r != nil {
			out = Bundle{"text/plain": fmt.Sprintf("<%T: panic while rendering: %v>", v, r)}
		}
	}()
	return render(v)
}

func render(v any) Bundle {
	if b, ok := v.(Bundler); ok {
		out := Bundle{}
		for k, val := range b.MIMEBundle() {
			if raw, ok := val.([]byte); ok {
				val = bytesPayload(k, raw)
			}
			out[k] = val
		}
		if _, ok := out["text/plain"]; !ok {
			out["text/plain"] = plain(v)
		}
		return out
	}
	out := Bundle{"text/plain": plain(v)}
	rich := false
	if h, ok := v.(HTMLer); ok {
		out["text/html"] = h.HTML()
		rich = true
	}
	if s, ok := v.(SVGer); ok {
		out["image/svg+xml"] = s.SVG()
		rich = true
	}
	if m, ok := v.(Markdowner); ok {
		out["text/markdown"] = m.Markdown()
		rich = true
	}
	if l, ok := v.(LaTeXer); ok {
		out["text/latex"] = l.LaTeX()
		rich = true
	}
	if p, ok := v.(PNGer); ok {
		out["image/png"] = base64Std(p.PNG())
		rich = true
	}
	if j, ok := v.(JPEGer); ok {
		out["image/jpeg"] = base64Std(j.JPEG())
		rich = true
	}
	if j, ok := v.(JSONer); ok {
		out["application/json"] = j.JSON()
		rich = true
	}
	if rich {
		return out
	}
	if img, ok := v.(image.Image); ok {
		data, err := encodePNG(img)
		if err != nil {
			out["text/plain"] = fmt.Sprintf("<image: %v>", err)
			return out
		}
		out["image/png"] = base64Std(data)
		if !hasText(v) {
			b := img.Bounds()
			out["text/plain"] = fmt.Sprintf("<image %dx%d %T>", b.Dx(), b.Dy(), v)
		}
		return out
	}
	if t, ok := tableOf(v, MaxRows); ok {
		out["text/html"] = t.HTML()
		if !hasText(v) {
			out["text/plain"] = t.String()
		}
	}
	return out
}

// hasText reports whether v supplies its own text form (String or Error).
func hasText(v any) bool {
	switch v.(type) {
	case error, fmt.Stringer:
		return true
	}
	return false
}

// bytesPayload turns raw bytes in a bundle into what Jupyter expects for mime: parsed JSON for
// JSON types, a string for textual types, base64 for binary ones (images).
func bytesPayload(mime string, raw []byte) any {
	switch {
	case strings.HasSuffix(mime, "json"):
		var v any
		if err := json.Unmarshal(raw, &v); err == nil {
			return v
		}
		return string(raw)
	case isTextual(mime):
		return string(raw)
	}
	return base64Std(raw)
}

// isTextual reports whether a MIME type carries text rather than base64-encoded bytes.
func isTextual(mime string) bool {
	return strings.HasPrefix(mime, "text/") || strings.HasSuffix(mime, "+xml") ||
		strings.HasSuffix(mime, "json") || strings.HasSuffix(mime, "javascript")
}

func plain(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprintf("%v", v)
}
