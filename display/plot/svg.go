package plot

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// Palette is the sequence of series colours (Tableau 10).
var Palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// Sizes and styles shared by every chart.
const (
	defaultWidth  = 640
	defaultHeight = 360
	charW         = 6.5 // approximate width of one character at font-size 11, in px
	fontFamily    = "Helvetica, Arial, sans-serif"
)

// canvas accumulates SVG elements.
type canvas struct {
	b    strings.Builder
	w, h float64
}

func newCanvas(w, h float64) *canvas {
	c := &canvas{w: w, h: h}
	fmt.Fprintf(&c.b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %s %s" font-family="%s" font-size="11">`,
		num(w), num(h), num(w), num(h), fontFamily)
	c.rect(0, 0, w, h, `fill="#ffffff"`)
	return c
}

// num formats a coordinate; NaN and infinities (which would make the SVG invalid) become 0.
func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		x = 0
	}
	return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64)
}

func esc(s string) string { return html.EscapeString(s) }

func (c *canvas) rect(x, y, w, h float64, attrs string) {
	fmt.Fprintf(&c.b, `<rect x="%s" y="%s" width="%s" height="%s" %s/>`, num(x), num(y), num(max(w, 0)), num(max(h, 0)), attrs)
}

// rectTip is a rect with a tooltip.
func (c *canvas) rectTip(x, y, w, h float64, attrs, tip string) {
	fmt.Fprintf(&c.b, `<rect x="%s" y="%s" width="%s" height="%s" %s><title>%s</title></rect>`,
		num(x), num(y), num(max(w, 0)), num(max(h, 0)), attrs, esc(tip))
}

func (c *canvas) line(x1, y1, x2, y2 float64, attrs string) {
	fmt.Fprintf(&c.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" %s/>`, num(x1), num(y1), num(x2), num(y2), attrs)
}

// text writes s (escaped) at x, y; attrs may set text-anchor, font-size, transform...
func (c *canvas) text(x, y float64, s, attrs string) {
	if attrs != "" {
		attrs = " " + attrs
	}
	fmt.Fprintf(&c.b, `<text x="%s" y="%s"%s>%s</text>`, num(x), num(y), attrs, esc(s))
}

func (c *canvas) raw(s string) { c.b.WriteString(s) }

func (c *canvas) String() string { return c.b.String() + "</svg>" }

// clip shortens s to at most n characters, ending with "…" when cut.
func clip(s string, n int) string {
	r := []rune(s)
	if n < 1 {
		return ""
	}
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// NiceTicks returns about n evenly spaced round tick values (steps of 1, 2 or 5 times a power of
// ten) covering [lo, hi]: the first tick is <= lo and the last >= hi.
func NiceTicks(lo, hi float64, n int) []float64 {
	if n < 2 {
		n = 2
	}
	if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return []float64{0, 1}
	}
	if lo > hi {
		lo, hi = hi, lo
	}
	if lo == hi {
		pad := math.Abs(lo) / 2
		if pad == 0 {
			pad = 1
		}
		lo, hi = lo-pad, hi+pad
	}
	step := niceNum(niceNum(hi-lo, false)/float64(n-1), true)
	first := math.Floor(lo/step) * step
	var ticks []float64
	for i := 0; ; i++ {
		v := first + float64(i)*step
		if math.Abs(v) < step*1e-9 {
			v = 0 // avoid "-0"
		}
		ticks = append(ticks, v)
		if v >= hi-step*1e-9 || i > 1000 {
			break
		}
	}
	return ticks
}

// niceNum returns a 1, 2, 5 or 10 times a power of ten near x: rounded to the nearest when
// round, else the smallest such number >= x.
func niceNum(x float64, round bool) float64 {
	exp := math.Floor(math.Log10(x))
	f := x / math.Pow(10, exp)
	var nf float64
	switch {
	case round && f < 1.5, !round && f <= 1:
		nf = 1
	case round && f < 3, !round && f <= 2:
		nf = 2
	case round && f < 7, !round && f <= 5:
		nf = 5
	default:
		nf = 10
	}
	return nf * math.Pow(10, exp)
}

// tickFormatter formats the values of one axis alike: enough decimals for the step, and a k/M/G
// suffix for large magnitudes ("20k", "1.5M").
func tickFormatter(ticks []float64) func(float64) string {
	step, big := 1.0, 0.0
	if len(ticks) > 1 {
		step = math.Abs(ticks[1] - ticks[0])
	}
	for _, t := range ticks {
		big = max(big, math.Abs(t))
	}
	scale, suffix := 1.0, ""
	switch {
	case big >= 1e9:
		scale, suffix = 1e9, "G"
	case big >= 1e6:
		scale, suffix = 1e6, "M"
	case big >= 1e4:
		scale, suffix = 1e3, "k"
	}
	dec := 0 // the fewest decimals that write the step exactly
	for s := step / scale; dec < 9 && s > 0 && math.Abs(s-math.Round(s)) > 1e-9*max(1, s); s *= 10 {
		dec++
	}
	return func(v float64) string {
		s := strconv.FormatFloat(v/scale, 'f', dec, 64)
		if s == "-0" || strings.Trim(s, "-0.") == "" {
			s = "0"
		}
		if s == "0" {
			return s
		}
		return s + suffix
	}
}

// FormatValue prints a data value compactly: integers without decimals, others with up to 4
// significant digits.
func FormatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
