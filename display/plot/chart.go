package plot

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// Series is one named sequence of values: one colour in a chart and one entry in its legend.
type Series struct {
	Name   string
	Values []float64
}

type chartKind int

const (
	barChart chartKind = iota
	lineChart
)

// Chart is a bar or line chart. Make one with Bar, GroupedBar, Line or Lines, then set the
// exported fields if you like (axis titles, size) before showing it. It renders as
// image/svg+xml (SVG) with a text/plain summary (String).
type Chart struct {
	Title  string
	XLabel string // title under the x axis
	YLabel string // title along the y axis
	Width  int    // pixels; 0 means 640
	Height int    // pixels; 0 means 360

	kind   chartKind
	labels []string  // bar categories
	xs     []float64 // line x values
	series []Series
}

// Bar is a bar chart with one bar per label.
func Bar(title string, labels []string, values []float64) *Chart {
	return &Chart{Title: title, kind: barChart, labels: labels, series: []Series{{Values: values}}}
}

// GroupedBar is a bar chart with, for each label, one bar per series side by side, and a
// legend naming the series.
func GroupedBar(title string, labels []string, series ...Series) *Chart {
	return &Chart{Title: title, kind: barChart, labels: labels, series: series}
}

// Line is a line chart of one or more series over the same xs; series are drawn and listed in
// the legend in name order.
func Line(title string, xs []float64, series map[string][]float64) *Chart {
	names := make([]string, 0, len(series))
	for n := range series {
		names = append(names, n)
	}
	sort.Strings(names)
	ss := make([]Series, len(names))
	for i, n := range names {
		ss[i] = Series{Name: n, Values: series[n]}
	}
	return Lines(title, xs, ss...)
}

// Lines is a line chart of the series, in the order given, over the same xs. Values past the
// end of xs are ignored; a NaN leaves a gap in its line.
func Lines(title string, xs []float64, series ...Series) *Chart {
	return &Chart{Title: title, kind: lineChart, xs: xs, series: series}
}

func (c *Chart) size() (float64, float64) {
	w, h := c.Width, c.Height
	if w <= 0 {
		w = defaultWidth
	}
	if h <= 0 {
		h = defaultHeight
	}
	return float64(w), float64(h)
}

// legendNames returns the names to list, or nil when a legend says nothing (one unnamed series).
func (c *Chart) legendNames() []string {
	if len(c.series) == 1 && c.series[0].Name == "" {
		return nil
	}
	names := make([]string, len(c.series))
	for i, s := range c.series {
		names[i] = s.Name
		if names[i] == "" {
			names[i] = fmt.Sprintf("series %d", i+1)
		}
	}
	return names
}

// yRange is the range of the finite values; bar charts always include 0.
func (c *Chart) yRange() (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, s := range c.series {
		n := len(s.Values)
		if c.kind == lineChart {
			n = min(n, len(c.xs))
		} else {
			n = min(n, len(c.labels))
		}
		for _, v := range s.Values[:n] {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi, ok = min(lo, v), max(hi, v), true
			}
		}
	}
	if c.kind == barChart {
		lo, hi = min(lo, 0), max(hi, 0)
	}
	return lo, hi, ok
}

// SVG draws the chart: title, legend, y grid with nice ticks, axes, bars or lines.
func (c *Chart) SVG() string {
	w, h := c.size()
	cv := newCanvas(w, h)
	const pad = 12.0
	top := pad
	if c.Title != "" {
		cv.text(pad, 22, clip(c.Title, int((w-2*pad)/8)), `font-size="15" font-weight="bold" fill="#222222"`)
		top = 34
	}
	top = c.drawLegend(cv, pad, top, w-pad)
	lo, hi, ok := c.yRange()
	if !ok {
		lo, hi = 0, 1
	}
	yticks := NiceTicks(lo, hi, 6)
	yfmt := tickFormatter(yticks)
	labelW := 0
	for _, t := range yticks {
		labelW = max(labelW, utf8.RuneCountInString(yfmt(t)))
	}
	left := pad + float64(labelW)*charW + 8
	if c.YLabel != "" {
		left += 18
	}
	right := w - pad - 4
	bottom := h - pad - 18 // room for x tick labels
	if c.XLabel != "" {
		bottom -= 18
	}

	var xlabels []string // bar charts: category labels, maybe rotated
	rotate := false
	if c.kind == barChart {
		xlabels = c.labels
		longest := 0
		for _, l := range xlabels {
			longest = max(longest, min(utf8.RuneCountInString(l), 24))
		}
		if n := len(xlabels); n > 0 && float64(longest)*charW > (right-left)/float64(n)-4 {
			rotate = true
			bottom -= float64(longest)*charW*0.64 + 4 // sin 40° of the longest label
			// The first label, rotated, reaches left of its bar by cos 40° of its length.
			first := float64(min(utf8.RuneCountInString(xlabels[0]), 24)) * charW * 0.77
			if need := pad + first - (right-left)/float64(n)/2; need > left {
				left = min(need, w/3)
			}
		}
	}
	bottom = max(bottom, top+40)
	if top+20 > bottom {
		top = bottom - 20
	}
	y0, y1 := yticks[0], yticks[len(yticks)-1]
	ys := func(v float64) float64 { return bottom - (v-y0)/(y1-y0)*(bottom-top) }

	// Grid and y axis.
	for _, t := range yticks {
		y := ys(t)
		cv.line(left, y, right, y, `stroke="#e5e5e5" stroke-width="1"`)
		cv.text(left-6, y+4, yfmt(t), `text-anchor="end" fill="#444444"`)
	}
	cv.line(left, top, left, bottom, `stroke="#333333"`)
	if c.YLabel != "" {
		cx, cy := pad+8, (top+bottom)/2
		cv.text(cx, cy, clip(c.YLabel, int((bottom-top)/charW)),
			fmt.Sprintf(`text-anchor="middle" fill="#333333" transform="rotate(-90 %s %s)"`, num(cx), num(cy)))
	}
	if c.XLabel != "" {
		cv.text((left+right)/2, h-pad, clip(c.XLabel, int((right-left)/charW)), `text-anchor="middle" fill="#333333"`)
	}
	if !ok {
		cv.text((left+right)/2, (top+bottom)/2, "no data", `text-anchor="middle" fill="#888888"`)
	}
	switch c.kind {
	case barChart:
		c.drawBars(cv, left, right, bottom, ys, xlabels, rotate)
	case lineChart:
		c.drawLines(cv, left, right, bottom, ys)
	}
	// The x axis at the bottom; a zero line when zero is inside the range.
	cv.line(left, bottom, right, bottom, `stroke="#333333"`)
	if y0 < 0 && y1 > 0 {
		cv.line(left, ys(0), right, ys(0), `stroke="#888888"`)
	}
	return cv.String()
}

// drawLegend lays the series names out in rows from (x, y); it returns the y below the legend.
func (c *Chart) drawLegend(cv *canvas, x0, y, xmax float64) float64 {
	names := c.legendNames()
	if names == nil {
		return y
	}
	x := x0
	y += 4
	for i, n := range names {
		n = clip(n, 30)
		itemW := 16 + float64(utf8.RuneCountInString(n))*charW + 14
		if x > x0 && x+itemW > xmax {
			x, y = x0, y+16
		}
		cv.rect(x, y, 10, 10, fmt.Sprintf(`fill="%s"`, Palette[i%len(Palette)]))
		cv.text(x+14, y+9, n, `fill="#333333"`)
		x += itemW
	}
	return y + 22
}

func (c *Chart) drawBars(cv *canvas, left, right, bottom float64, ys func(float64) float64, labels []string, rotate bool) {
	n := len(labels)
	if n == 0 {
		return
	}
	band := (right - left) / float64(n)
	group := band * 0.8
	bw := group / float64(max(len(c.series), 1))
	zero := ys(0)
	for i, label := range labels {
		gx := left + float64(i)*band + (band-group)/2
		for s, ser := range c.series {
			if i >= len(ser.Values) {
				continue
			}
			v := ser.Values[i]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			y := ys(v)
			tip := label + ": " + FormatValue(v)
			if ser.Name != "" {
				tip = ser.Name + ", " + tip
			}
			cv.rectTip(gx+float64(s)*bw, min(y, zero), max(bw-1, 1), math.Abs(zero-y),
				fmt.Sprintf(`fill="%s"`, Palette[s%len(Palette)]), tip)
		}
	}
	// Category labels; with many categories only every k-th one fits.
	every := 1
	if rotate {
		every = max(1, int(math.Ceil(14/band)))
	} else if n > 0 {
		every = max(1, int(math.Ceil(float64(n)*30/(right-left))))
	}
	for i := 0; i < n; i += every {
		x := left + (float64(i)+0.5)*band
		cv.line(x, bottom, x, bottom+4, `stroke="#333333"`)
		l := clip(labels[i], 24)
		if rotate {
			cv.text(x, bottom+14, l, fmt.Sprintf(`text-anchor="end" fill="#333333" transform="rotate(-40 %s %s)"`, num(x), num(bottom+14)))
		} else {
			cv.text(x, bottom+16, l, `text-anchor="middle" fill="#333333"`)
		}
	}
}

func (c *Chart) drawLines(cv *canvas, left, right, bottom float64, ys func(float64) float64) {
	xlo, xhi := math.Inf(1), math.Inf(-1)
	for _, x := range c.xs {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			xlo, xhi = min(xlo, x), max(xhi, x)
		}
	}
	if xlo > xhi {
		xlo, xhi = 0, 1
	}
	xticks := NiceTicks(xlo, xhi, 8)
	xfmt := tickFormatter(xticks)
	x0, x1 := xticks[0], xticks[len(xticks)-1]
	xs := func(v float64) float64 { return left + (v-x0)/(x1-x0)*(right-left) }
	for _, t := range xticks {
		x := xs(t)
		cv.line(x, bottom, x, bottom+4, `stroke="#333333"`)
		cv.text(x, bottom+16, xfmt(t), `text-anchor="middle" fill="#444444"`)
	}
	markers := len(c.xs) <= 60
	for s, ser := range c.series {
		color := Palette[s%len(Palette)]
		n := min(len(ser.Values), len(c.xs))
		var pts []string
		flush := func() {
			if len(pts) > 1 {
				cv.raw(fmt.Sprintf(`<polyline fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round" points="%s"/>`,
					color, strings.Join(pts, " ")))
			}
			pts = pts[:0]
		}
		for i := 0; i < n; i++ {
			x, v := c.xs[i], ser.Values[i]
			if math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(x) || math.IsInf(x, 0) {
				flush()
				continue
			}
			pts = append(pts, num(xs(x))+","+num(ys(v)))
		}
		flush()
		if !markers {
			continue
		}
		for i := 0; i < n; i++ {
			x, v := c.xs[i], ser.Values[i]
			if math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(x) || math.IsInf(x, 0) {
				continue
			}
			tip := FormatValue(x) + ", " + FormatValue(v)
			if ser.Name != "" {
				tip = ser.Name + ": " + tip
			}
			cv.raw(fmt.Sprintf(`<circle cx="%s" cy="%s" r="2.5" fill="%s"><title>%s</title></circle>`,
				num(xs(x)), num(ys(v)), color, esc(tip)))
		}
	}
}

// String summarises the chart as text: a bar chart as rows of █ bars with values, a line chart
// as one line per series with its point count, range and last value.
func (c *Chart) String() string {
	var b strings.Builder
	if c.Title != "" {
		b.WriteString(c.Title + "\n")
	}
	switch c.kind {
	case barChart:
		c.barText(&b)
	case lineChart:
		for i, s := range c.series {
			name := s.Name
			if name == "" {
				name = fmt.Sprintf("series %d", i+1)
			}
			n := min(len(s.Values), len(c.xs))
			lo, hi, last, cnt := math.Inf(1), math.Inf(-1), math.NaN(), 0
			for _, v := range s.Values[:n] {
				if !math.IsNaN(v) && !math.IsInf(v, 0) {
					lo, hi, last, cnt = min(lo, v), max(hi, v), v, cnt+1
				}
			}
			if cnt == 0 {
				fmt.Fprintf(&b, "%s: no points\n", name)
				continue
			}
			fmt.Fprintf(&b, "%s: %d points, y %s..%s, last %s\n", name, cnt, FormatValue(lo), FormatValue(hi), FormatValue(last))
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (c *Chart) barText(b *strings.Builder) {
	const maxRows, barW = 50, 30
	labelW := 0
	for _, l := range c.labels {
		labelW = max(labelW, utf8.RuneCountInString(clip(l, 24)))
	}
	if len(c.series) != 1 { // grouped: a table of values
		fmt.Fprintf(b, "%-*s", labelW, "")
		for _, n := range c.legendNames() {
			fmt.Fprintf(b, "  %10s", clip(n, 10))
		}
		b.WriteString("\n")
		for i, l := range c.labels {
			if i == maxRows {
				fmt.Fprintf(b, "... %d more\n", len(c.labels)-maxRows)
				break
			}
			fmt.Fprintf(b, "%-*s", labelW, clip(l, 24))
			for _, s := range c.series {
				v := ""
				if i < len(s.Values) {
					v = FormatValue(s.Values[i])
				}
				fmt.Fprintf(b, "  %10s", v)
			}
			b.WriteString("\n")
		}
		return
	}
	vals := c.series[0].Values
	big := 0.0
	for i, v := range vals {
		if i < len(c.labels) && !math.IsNaN(v) && !math.IsInf(v, 0) {
			big = max(big, math.Abs(v))
		}
	}
	for i, l := range c.labels {
		if i == maxRows {
			fmt.Fprintf(b, "... %d more\n", len(c.labels)-maxRows)
			break
		}
		v := math.NaN()
		if i < len(vals) {
			v = vals[i]
		}
		cells := 0
		if big > 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
			cells = int(math.Round(math.Abs(v) / big * barW))
		}
		fmt.Fprintf(b, "%-*s  %s%s %s\n", labelW, clip(l, 24), strings.Repeat("█", cells), strings.Repeat(" ", barW-cells), FormatValue(v))
	}
}
