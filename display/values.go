package display

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"image"
	_ "image/jpeg" // DecodeConfig for JPEG descriptions
	"sort"
	"strings"
)

// PNG is an image already encoded as PNG: display.PNG(data) shows it. (A value implementing
// image.Image needs no conversion: Render encodes it as PNG itself.)
type PNG []byte

// JPEG is an image already encoded as JPEG.
type JPEG []byte

// PNG returns the encoded image.
func (p PNG) PNG() []byte { return p }

// String describes the image, for text-only front ends.
func (p PNG) String() string { return describeImage("PNG", p) }

// JPEG returns the encoded image.
func (j JPEG) JPEG() []byte { return j }

// String describes the image, for text-only front ends.
func (j JPEG) String() string { return describeImage("JPEG", j) }

func describeImage(format string, data []byte) string {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Sprintf("<%s image, %d bytes>", format, len(data))
	}
	return fmt.Sprintf("<%s image %dx%d, %d bytes>", format, cfg.Width, cfg.Height, len(data))
}

// JSONValue is a value shown as application/json (JupyterLab draws a collapsible tree), with
// indented JSON as its text form. Make one with JSON.
type JSONValue struct {
	data any    // the value as plain JSON data
	text string // indented JSON, or the marshalling error
	err  error
}

// JSON returns v shown as JSON. v is converted with encoding/json at once (struct tags apply);
// if that fails, the display shows the error as text.
func JSON(v any) JSONValue {
	data, err := jsonValue(v)
	if err != nil {
		return JSONValue{text: "json: " + err.Error(), err: err}
	}
	text, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return JSONValue{text: "json: " + err.Error(), err: err}
	}
	return JSONValue{data: data, text: string(text)}
}

// Err returns the error converting the value, if any.
func (j JSONValue) Err() error { return j.err }

// String returns the indented JSON (or the error).
func (j JSONValue) String() string { return j.text }

// MIMEBundle returns application/json (unless the conversion failed) and text/plain.
func (j JSONValue) MIMEBundle() map[string]any {
	if j.err != nil {
		return map[string]any{"text/plain": j.text}
	}
	return map[string]any{"application/json": j.data, "text/plain": j.text}
}

// MIME is a bundle written by hand: keys are MIME types, values their data. Text types take
// strings; binary types (image/png, ...) take []byte, which Render base64-encodes; JSON types
// take any JSON value or []byte holding JSON. Without a "text/plain" key the text form lists
// the types.
//
//	display.Show(display.MIME{"text/html": "<b>hi</b>", "text/plain": "hi"})
type MIME map[string]any

// MIMEBundle returns a copy of the bundle.
func (m MIME) MIMEBundle() map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// String returns the text/plain entry, or a list of the bundle's types.
func (m MIME) String() string {
	if s, ok := m["text/plain"].(string); ok {
		return s
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return "<" + strings.Join(keys, ", ") + ">"
}

// EscapeHTML escapes <, >, &, ' and " so that s shows literally inside HTML.
func EscapeHTML(s string) string { return html.EscapeString(s) }

// EscapeMarkdown backslash-escapes every ASCII punctuation character that Markdown (CommonMark)
// could read as syntax, including < and & so that no HTML gets through, so that s shows
// literally inside Markdown.
func EscapeMarkdown(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for _, r := range s {
		if strings.ContainsRune("\\`*_{}[]()<>#+-.!|~&$", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
