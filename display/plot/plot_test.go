package plot

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/display"
)

// element is a parsed SVG element.
type element struct {
	Name  string
	Attr  map[string]string
	Text  string // character data directly inside
	Kids  []*element
	Outer *element
}

// parseSVG parses s as XML and returns its root; it fails the test on malformed XML.
func parseSVG(t *testing.T, s string) *element {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(s))
	var root, cur *element
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, s)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			e := &element{Name: tk.Name.Local, Attr: map[string]string{}, Outer: cur}
			for _, a := range tk.Attr {
				e.Attr[a.Name.Local] = a.Value
			}
			if cur == nil {
				if root != nil {
					t.Fatal("several root elements")
				}
				root = e
			} else {
				cur.Kids = append(cur.Kids, e)
			}
			cur = e
		case xml.EndElement:
			cur = cur.Outer
		case xml.CharData:
			if cur != nil {
				cur.Text += string(tk)
			}
		}
	}
	if root == nil || root.Name != "svg" {
		t.Fatalf("root element is not svg")
	}
	return root
}

// all returns the elements named name, depth first.
func (e *element) all(name string) []*element {
	var out []*element
	var walk func(*element)
	walk = func(x *element) {
		if x.Name == name {
			out = append(out, x)
		}
		for _, k := range x.Kids {
			walk(k)
		}
	}
	walk(e)
	return out
}

func (e *element) texts() []string {
	var out []string
	for _, t := range e.all("text") {
		out = append(out, t.Text)
	}
	return out
}

// tipped returns the elements of the given name carrying a <title> tooltip, keyed by tooltip.
func (e *element) tipped(name string) map[string]*element {
	out := map[string]*element{}
	for _, x := range e.all(name) {
		for _, k := range x.Kids {
			if k.Name == "title" {
				out[k.Text] = x
			}
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestNiceTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 980, 6, []float64{0, 200, 400, 600, 800, 1000}},
		{0, 1, 6, []float64{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}},
		{-100, 741, 6, []float64{-200, 0, 200, 400, 600, 800}},
		{3, 3, 5, []float64{1, 2, 3, 4, 5}},
		{0, 0, 5, []float64{-1, -0.5, 0, 0.5, 1}},
		{12, 17, 6, []float64{12, 13, 14, 15, 16, 17}},
	}
	for _, c := range cases {
		got := NiceTicks(c.lo, c.hi, c.n)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("NiceTicks(%v, %v, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
		}
		if got[0] > c.lo || got[len(got)-1] < c.hi {
			t.Errorf("NiceTicks(%v, %v) = %v does not cover the range", c.lo, c.hi, got)
		}
	}
	f := tickFormatter([]float64{0, 20000, 40000})
	if got := []string{f(0), f(20000), f(40000)}; !reflect.DeepEqual(got, []string{"0", "20k", "40k"}) {
		t.Errorf("k format: %v", got)
	}
	f = tickFormatter([]float64{0, 0.2, 0.6000000000000001})
	if got := []string{f(0), f(0.2), f(0.6000000000000001)}; !reflect.DeepEqual(got, []string{"0", "0.2", "0.6"}) {
		t.Errorf("decimal format: %v", got)
	}
	f = tickFormatter([]float64{0, 2.5e6, 5e6})
	if got := f(2.5e6) + " " + f(5e6); got != "2.5M 5.0M" {
		t.Errorf("M format: %v", got)
	}
}

func TestBarChart(t *testing.T) {
	c := Bar("Requests <per> endpoint & co", []string{"/", "/login", "<api>"}, []float64{120, 14, 980})
	c.YLabel = "requests"
	b := display.Render(c)
	if len(b) != 2 {
		t.Fatalf("bundle keys: %v", b)
	}
	svg := b["image/svg+xml"].(string)
	root := parseSVG(t, svg)
	if root.Attr["width"] != "640" || root.Attr["height"] != "360" || root.Attr["xmlns"] != "http://www.w3.org/2000/svg" {
		t.Errorf("svg attributes %v", root.Attr)
	}
	if strings.Contains(svg, "<api>") || strings.Contains(svg, "<per>") || strings.Contains(svg, "href") || strings.Contains(svg, "@import") {
		t.Errorf("unescaped text or external reference in SVG")
	}
	texts := root.texts()
	for _, want := range []string{"Requests <per> endpoint & co", "/", "/login", "<api>", "requests", "0", "200", "1000"} {
		if !contains(texts, want) {
			t.Errorf("text %q missing from %q", want, texts)
		}
	}
	bars := root.tipped("rect")
	if len(bars) != 3 {
		t.Fatalf("%d bars, want 3: %v", len(bars), bars)
	}
	// Heights are proportional to the values (the axis runs 0..1000).
	h := func(tip string) float64 {
		e := bars[tip]
		if e == nil {
			t.Fatalf("no bar %q", tip)
		}
		return parseF(t, e.Attr["height"])
	}
	if r := h("<api>: 980") / h("/: 120"); math.Abs(r-980.0/120) > 0.1 {
		t.Errorf("bar height ratio %v, want %v", r, 980.0/120)
	}
	if contains(texts, "series 1") {
		t.Errorf("a single unnamed series has no legend")
	}
	wantText := "Requests <per> endpoint & co\n" +
		"/       ████                           120\n" +
		"/login                                 14\n" +
		"<api>   ██████████████████████████████ 980"
	if b["text/plain"] != wantText {
		t.Errorf("text:\n%s\nwant\n%s", b["text/plain"], wantText)
	}
}

func parseF(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return f
}

func TestGroupedBarAndNegative(t *testing.T) {
	c := GroupedBar("Speedup", []string{"Threads", "Gather"},
		Series{"CPU", []float64{1.9, -1}}, Series{"IO", []float64{7.8, math.NaN()}})
	root := parseSVG(t, c.SVG())
	bars := root.tipped("rect")
	for _, tip := range []string{"CPU, Threads: 1.9", "CPU, Gather: -1", "IO, Threads: 7.8"} {
		if bars[tip] == nil {
			t.Errorf("bar %q missing; have %v", tip, keys(bars))
		}
	}
	if len(bars) != 3 {
		t.Errorf("%d bars, want 3 (NaN skipped)", len(bars))
	}
	texts := root.texts()
	if !contains(texts, "CPU") || !contains(texts, "IO") || !contains(texts, "-2") {
		t.Errorf("legend or negative ticks missing: %q", texts)
	}
	// The negative bar hangs below the zero line, the positive one stands on it.
	neg, pos := bars["CPU, Gather: -1"], bars["CPU, Threads: 1.9"]
	if parseF(t, neg.Attr["y"]) < parseF(t, pos.Attr["y"])+parseF(t, pos.Attr["height"])-0.2 {
		t.Errorf("negative bar does not start at the zero line")
	}
	want := "Speedup\n" +
		"                CPU          IO\n" +
		"Threads         1.9         7.8\n" +
		"Gather           -1         NaN"
	if c.String() != want {
		t.Errorf("text:\n%s\nwant\n%s", c.String(), want)
	}
}

func keys(m map[string]*element) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestLineChart(t *testing.T) {
	xs := []float64{0, 1, 2, 3, 4}
	c := Line("Waves", xs, map[string][]float64{"b": {4, 3, math.NaN(), 1, 0}, "a": {0, 1, 4, 9, 16}})
	c.XLabel = "x"
	root := parseSVG(t, c.SVG())
	lines := root.all("polyline")
	// "a" is one line; "b" is broken in two by the NaN.
	if len(lines) != 3 {
		t.Fatalf("%d polylines, want 3", len(lines))
	}
	if got := strings.Count(lines[0].Attr["points"], ","); got != 5 {
		t.Errorf("series a has %d points, want 5", got)
	}
	if lines[0].Attr["stroke"] != Palette[0] || lines[1].Attr["stroke"] != Palette[1] {
		t.Errorf("series colours %q %q", lines[0].Attr["stroke"], lines[1].Attr["stroke"])
	}
	if n := len(root.tipped("circle")); n != 9 {
		t.Errorf("%d markers, want 9", n)
	}
	texts := root.texts()
	for _, want := range []string{"Waves", "a", "b", "x", "0", "4", "20"} {
		if !contains(texts, want) {
			t.Errorf("text %q missing from %q", want, texts)
		}
	}
	want := "Waves\na: 5 points, y 0..16, last 16\nb: 4 points, y 0..4, last 0"
	if c.String() != want {
		t.Errorf("text:\n%s\nwant\n%s", c.String(), want)
	}
	// Degenerate input still gives valid SVG.
	for _, c := range []*Chart{Lines("", nil), Bar("", nil, nil), Lines("one", []float64{1}, Series{"s", []float64{math.Inf(1)}})} {
		parseSVG(t, c.SVG())
	}
}

func TestTimeline(t *testing.T) {
	tl := NewTimeline("Threads: 3 tasks <x>")
	ms := time.Millisecond
	tl.Add(
		Interval{Lane: "goroutine 7", Label: "fetch a", Start: 0, End: 400 * ms},
		Interval{Lane: "goroutine 8", Label: "fetch b", Start: 10 * ms, End: 900 * ms, Faded: true, Color: "#d62728"},
		Interval{Lane: "goroutine 7", Label: "fetch c", Start: 450 * ms, End: 800 * ms, Tip: "c <custom>"},
	)
	b := display.Render(tl)
	root := parseSVG(t, b["image/svg+xml"].(string))
	bars := root.tipped("rect")
	if len(bars) != 3 {
		t.Fatalf("%d bars, want 3: %v", len(bars), keys(bars))
	}
	a, fb, cc := bars["fetch a (goroutine 7): 0s to 400ms"], bars["fetch b (goroutine 8): 10ms to 900ms"], bars["c <custom>"]
	if a == nil || fb == nil || cc == nil {
		t.Fatalf("tooltips: %v", keys(bars))
	}
	if a.Attr["y"] != cc.Attr["y"] || a.Attr["y"] == fb.Attr["y"] {
		t.Errorf("lanes: a y=%s c y=%s b y=%s", a.Attr["y"], cc.Attr["y"], fb.Attr["y"])
	}
	if fb.Attr["fill"] != "#d62728" || fb.Attr["fill-opacity"] != "0.3" {
		t.Errorf("faded coloured bar: %v", fb.Attr)
	}
	// x is linear in time: c starts after a ends.
	if parseF(t, cc.Attr["x"]) <= parseF(t, a.Attr["x"])+parseF(t, a.Attr["width"]) {
		t.Errorf("bar c does not start after bar a")
	}
	texts := root.texts()
	for _, want := range []string{"Threads: 3 tasks <x>", "goroutine 7", "goroutine 8", "ms", "0", "900", "fetch a"} {
		if !contains(texts, want) {
			t.Errorf("text %q missing from %q", want, texts)
		}
	}
	want := "Threads: 3 tasks <x>\ngoroutine 7: fetch a 0s–400ms, fetch c 450ms–800ms\ngoroutine 8: fetch b 10ms–900ms"
	if b["text/plain"] != want {
		t.Errorf("text:\n%s\nwant\n%s", b["text/plain"], want)
	}
}

func TestTimelineLaneCap(t *testing.T) {
	tl := &Timeline{MaxLanes: 5}
	for i := range 12 {
		tl.Add(Interval{Lane: string(rune('A' + i)), Label: "t", Start: time.Duration(i) * time.Second, End: time.Duration(i+1) * time.Second})
	}
	root := parseSVG(t, tl.SVG())
	if n := len(root.tipped("rect")); n != 5 {
		t.Errorf("%d bars drawn, want 5", n)
	}
	if !contains(root.texts(), "… 7 more lanes not drawn") || !contains(root.texts(), "s") {
		t.Errorf("texts %q", root.texts())
	}
	parseSVG(t, NewTimeline("").SVG())
	if NewTimeline("").String() != "(no intervals)" {
		t.Errorf("empty timeline text %q", NewTimeline("").String())
	}
}

func TestHistogram(t *testing.T) {
	c := Histogram("latency", []float64{1, 2, 2, 3, 9.5, 10, math.NaN()}, 5)
	want := "latency\n" +
		"0–2   ██████████                     1\n" +
		"2–4   ██████████████████████████████ 3\n" +
		"4–6                                  0\n" +
		"6–8                                  0\n" +
		"8–10  ████████████████████           2"
	if got := c.String(); got != want {
		t.Errorf("histogram text:\n%s\nwant\n%s", got, want)
	}
	root := parseSVG(t, c.SVG())
	if bars := root.tipped("rect"); len(bars) != 5 || bars["2–4: 3"] == nil {
		t.Errorf("histogram bars: %v", keys(bars))
	}
	parseSVG(t, Histogram("empty", nil, 0).SVG())
}
