package display

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/quire-go/quire/backend/backendtest"
)

// recorder is a fake Publisher keeping every message.
type recorder struct {
	mu      sync.Mutex
	msgs    []Message
	changed backendtest.Signal // notified at each message
}

func (r *recorder) Publish(m Message) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	r.changed.Notify()
}

func (r *recorder) messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// until returns the messages once cond holds for them, checking at each message (not on a
// timer), or what arrived when within passes first.
func (r *recorder) until(within time.Duration, cond func([]Message) bool) []Message {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	_ = r.changed.Wait(ctx, func() bool { return cond(r.messages()) })
	return r.messages()
}

// record installs a recorder as the Publisher for the duration of the test.
func record(t *testing.T) *recorder {
	t.Helper()
	r := &recorder{}
	SetPublisher(r)
	t.Cleanup(func() { SetPublisher(nil) })
	return r
}

func checkBundle(t *testing.T, name string, got, want Bundle) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %#v\n want %#v", name, got, want)
	}
}

// User types, one per rendering interface, as a student would write them.
type (
	celsius   float64
	diagram   struct{}
	note      string
	formula   struct{}
	pngImg    struct{}
	jpegImg   struct{}
	record2   struct{ A int }
	custom    struct{}
	rich      struct{}
	failure   struct{}
	richError struct{}
)

func (c celsius) HTML() string  { return "<b>21.5 °C</b>" }
func (diagram) SVG() string     { return `<svg xmlns="http://www.w3.org/2000/svg"/>` }
func (n note) Markdown() string { return "**" + string(n) + "**" }
func (formula) LaTeX() string   { return `$e^{i\pi}+1=0$` }
func (pngImg) PNG() []byte      { return []byte{1, 2, 3} }
func (jpegImg) JPEG() []byte    { return []byte{4, 5} }
func (r record2) JSON() any     { return map[string]any{"a": r.A} }
func (custom) MIMEBundle() map[string]any {
	return map[string]any{"text/html": "<i>c</i>", "image/png": []byte{0xff}, "application/json": []byte(`{"k":[1,2]}`)}
}
func (rich) HTML() string       { return "<p>rich</p>" }
func (rich) SVG() string        { return "<svg/>" }
func (rich) String() string     { return "rich!" }
func (failure) Error() string   { return "it failed" }
func (richError) Error() string { return "bad <thing>" }
func (richError) HTML() string  { return "<span>bad &lt;thing&gt;</span>" }

func TestRenderValues(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	cases := []struct {
		name string
		v    any
		want Bundle
	}{
		{"int", 42, Bundle{"text/plain": "42"}},
		{"string", "hi", Bundle{"text/plain": `"hi"`}},
		{"nil", nil, Bundle{"text/plain": "<nil>"}},
		{"error", errors.New("boom"), Bundle{"text/plain": "boom"}},
		{"slice of ints is not a table", []int{1, 2}, Bundle{"text/plain": "[1 2]"}},
		{"Text", Text("plain"), Bundle{"text/plain": "plain"}},
		{"HTML", HTML("<b>x</b>"), Bundle{"text/plain": "<b>x</b>", "text/html": "<b>x</b>"}},
		{"Markdown", Markdown("# T"), Bundle{"text/plain": "# T", "text/markdown": "# T"}},
		{"SVG", SVG("<svg/>"), Bundle{"text/plain": "<svg image>", "image/svg+xml": "<svg/>"}},
		{"LaTeX", LaTeX("$x^2$"), Bundle{"text/plain": "$x^2$", "text/latex": "$x^2$"}},
		{"PNG", PNG{1, 2, 3}, Bundle{"text/plain": "<PNG image, 3 bytes>", "image/png": b64([]byte{1, 2, 3})}},
		{"JPEG", JPEG{9}, Bundle{"text/plain": "<JPEG image, 1 bytes>", "image/jpeg": b64([]byte{9})}},
		{"JSON", JSON(map[string]any{"b": []int{1}, "a": "x"}), Bundle{
			"application/json": map[string]any{"a": "x", "b": []any{float64(1)}},
			"text/plain":       "{\n  \"a\": \"x\",\n  \"b\": [\n    1\n  ]\n}",
		}},
		{"JSON error", JSON(func() {}), Bundle{"text/plain": "json: marshal json: json: unsupported type: func()"}},
		{"MIME", MIME{"text/html": "<i>h</i>", "image/png": []byte{7}}, Bundle{
			"text/html": "<i>h</i>", "image/png": b64([]byte{7}), "text/plain": "<image/png, text/html>",
		}},
		{"MIME with text", MIME{"text/plain": "t", "text/markdown": []byte("*m*")}, Bundle{"text/plain": "t", "text/markdown": "*m*"}},
		// User types implementing one interface each.
		{"HTMLer", celsius(21.5), Bundle{"text/plain": "21.5", "text/html": "<b>21.5 °C</b>"}},
		{"SVGer", diagram{}, Bundle{"text/plain": "{}", "image/svg+xml": `<svg xmlns="http://www.w3.org/2000/svg"/>`}},
		{"Markdowner", note("hi"), Bundle{"text/plain": "hi", "text/markdown": "**hi**"}},
		{"LaTeXer", formula{}, Bundle{"text/plain": "{}", "text/latex": `$e^{i\pi}+1=0$`}},
		{"PNGer", pngImg{}, Bundle{"text/plain": "{}", "image/png": "AQID"}},
		{"JPEGer", jpegImg{}, Bundle{"text/plain": "{}", "image/jpeg": "BAU="}},
		{"JSONer", record2{A: 3}, Bundle{"text/plain": "{3}", "application/json": map[string]any{"a": 3}}},
		{"Bundler", custom{}, Bundle{
			"text/html": "<i>c</i>", "image/png": "/w==", "application/json": map[string]any{"k": []any{float64(1), float64(2)}},
			"text/plain": "{}",
		}},
		{"several methods and String", rich{}, Bundle{"text/plain": "rich!", "text/html": "<p>rich</p>", "image/svg+xml": "<svg/>"}},
		{"error type", failure{}, Bundle{"text/plain": "it failed"}},
		{"error with HTML", richError{}, Bundle{"text/plain": "bad <thing>", "text/html": "<span>bad &lt;thing&gt;</span>"}},
	}
	for _, c := range cases {
		checkBundle(t, c.name, Render(c.v), c.want)
	}
}

func TestRenderImage(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	img.Set(1, 0, color.RGBA{0, 0, 255, 255})
	b := Render(img)
	if len(b) != 2 || b["text/plain"] != "<image 2x1 *image.RGBA>" {
		t.Fatalf("bundle = %v", b)
	}
	data, err := base64.StdEncoding.DecodeString(b["image/png"].(string))
	if err != nil {
		t.Fatal(err)
	}
	got, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/png does not decode: %v", err)
	}
	if got.Bounds() != img.Bounds() {
		t.Fatalf("bounds %v, want %v", got.Bounds(), img.Bounds())
	}
	for x, want := range []color.RGBA{{255, 0, 0, 255}, {0, 0, 255, 255}} {
		if c := color.RGBAModel.Convert(got.At(x, 0)); c != want {
			t.Errorf("pixel %d = %v, want %v", x, c, want)
		}
	}
	// An encoded PNG describes itself with its size.
	if s := PNG(data).String(); s != "<PNG image 2x1, "+strconv.Itoa(len(data))+" bytes>" {
		t.Errorf("PNG.String() = %q", s)
	}
}

func TestShowPublishesExactMessages(t *testing.T) {
	r := record(t)
	Show(HTML("<b>a</b>"), 7)
	h := New()
	h.Show(Text("first"))
	h.Update(Text("second"))
	h.Clear()
	Clear(true)
	Clear(false)
	h2 := New()
	h2.Update(Markdown("*m*")) // the first Update of a handle displays it
	h2.Update(Markdown("*n*"))
	h3 := New()
	h3.Clear() // nothing shown yet: nothing to clear

	want := []Message{
		{Kind: KindDisplay, Data: Bundle{"text/plain": "<b>a</b>", "text/html": "<b>a</b>"}},
		{Kind: KindDisplay, Data: Bundle{"text/plain": "7"}},
		{Kind: KindDisplay, Data: Bundle{"text/plain": "first"}, ID: h.ID()},
		{Kind: KindUpdate, Data: Bundle{"text/plain": "second"}, ID: h.ID()},
		{Kind: KindUpdate, Data: Bundle{"text/plain": ""}, ID: h.ID()},
		{Kind: KindClear, Wait: true},
		{Kind: KindClear},
		{Kind: KindDisplay, Data: Bundle{"text/plain": "*m*", "text/markdown": "*m*"}, ID: h2.ID()},
		{Kind: KindUpdate, Data: Bundle{"text/plain": "*n*", "text/markdown": "*n*"}, ID: h2.ID()},
	}
	got := r.messages()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("messages:\n got  %#v\n want %#v", got, want)
	}
	if h.ID() == "" || h.ID() == h2.ID() {
		t.Errorf("display ids not unique: %q %q", h.ID(), h2.ID())
	}
}

func TestShowWithoutPublisherPrintsText(t *testing.T) {
	SetPublisher(nil)
	rd, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	Show(HTML("<i>x</i>"), "s")
	Clear(false)
	os.Stdout = old
	w.Close()
	out, _ := io.ReadAll(rd)
	if string(out) != "<i>x</i>\n\"s\"\n" {
		t.Fatalf("stdout = %q", out)
	}
}

func TestEscaping(t *testing.T) {
	if got := EscapeHTML(`<a href="x">&'</a>`); got != "&lt;a href=&#34;x&#34;&gt;&amp;&#39;&lt;/a&gt;" {
		t.Errorf("EscapeHTML = %q", got)
	}
	if got := EscapeMarkdown("*bold* _x_ [l](u) <b> # 1. a|b $x$ `c` é"); got != `\*bold\* \_x\_ \[l\]\(u\) \<b\> \# 1\. a\|b \$x\$ \`+"`c\\`"+` é` {
		t.Errorf("EscapeMarkdown = %q", got)
	}
}

func TestOf(t *testing.T) {
	r := record(t)
	h := New()
	h.Update(Of(HTML("<b>x</b>")))
	want := []Message{{Kind: KindDisplay, ID: h.ID(), Data: Bundle{"text/html": "<b>x</b>", "text/plain": "<b>x</b>"}}}
	if got := r.messages(); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindDisplay: "display_data", KindUpdate: "update_display_data", KindClear: "clear_output", 7: "Kind(7)"} {
		if k.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(k), k.String(), want)
		}
	}
}

type panicky struct{}

func (*panicky) HTML() string { panic("no HTML today") }

func TestRenderRecoversFromPanickingMethods(t *testing.T) {
	var p *panicky
	checkBundle(t, "panic", Render(p), Bundle{"text/plain": "<*display.panicky: panic while rendering: no HTML today>"})
}
