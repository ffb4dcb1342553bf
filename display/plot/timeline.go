package plot

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Interval is one bar of a Timeline: something that happened on Lane from Start to End.
type Interval struct {
	Lane  string        // the row: a worker, a goroutine, a process...
	Label string        // drawn inside the bar when it fits
	Start time.Duration // offsets from the start of whatever is being timed
	End   time.Duration
	Color string // CSS colour; "" takes the palette colour of the interval's position
	Tip   string // tooltip; "" means "label (lane): start–end"
	Faded bool   // drawn pale, e.g. time spent waiting; draw a solid Interval on top for the rest
}

// Timeline draws intervals in lanes over a time axis, one lane per distinct Lane in order of
// first appearance. It renders as image/svg+xml with a text/plain listing.
//
//	tl := plot.NewTimeline("downloads")
//	tl.Add(plot.Interval{Lane: "worker 1", Label: "a.txt", Start: 0, End: 120 * time.Millisecond})
//	display.Show(tl)
type Timeline struct {
	Title     string
	Intervals []Interval
	Width     int // pixels; 0 means 640
	MaxLanes  int // lanes drawn before "… N more lanes"; 0 means 40
}

// NewTimeline returns an empty timeline.
func NewTimeline(title string) *Timeline { return &Timeline{Title: title} }

// Add appends intervals.
func (t *Timeline) Add(ivs ...Interval) { t.Intervals = append(t.Intervals, ivs...) }

// lanes returns the lane names in order of first appearance and each interval's lane index.
func (t *Timeline) lanes() ([]string, []int) {
	var names []string
	index := map[string]int{}
	of := make([]int, len(t.Intervals))
	for i, iv := range t.Intervals {
		k, ok := index[iv.Lane]
		if !ok {
			k = len(names)
			index[iv.Lane] = k
			names = append(names, iv.Lane)
		}
		of[i] = k
	}
	return names, of
}

// span is the time range covered: from min(0, earliest start) to the latest end.
func (t *Timeline) span() (lo, hi time.Duration) {
	for _, iv := range t.Intervals {
		lo, hi = min(lo, iv.Start, iv.End), max(hi, iv.End, iv.Start)
	}
	if hi <= lo {
		hi = lo + time.Millisecond
	}
	return lo, hi
}

// timeUnit picks the unit the axis is labelled in.
func timeUnit(d time.Duration) (time.Duration, string) {
	switch {
	case d >= 2*time.Second:
		return time.Second, "s"
	case d >= 2*time.Millisecond:
		return time.Millisecond, "ms"
	case d >= 2*time.Microsecond:
		return time.Microsecond, "µs"
	}
	return time.Nanosecond, "ns"
}

// SVG draws the lanes (alternately shaded), the bars with tooltips and the time axis.
func (t *Timeline) SVG() string {
	const (
		pad   = 12.0
		laneH = 24.0
		barH  = 16.0
		axisH = 36.0
	)
	w := float64(t.Width)
	if w <= 0 {
		w = defaultWidth
	}
	maxLanes := t.MaxLanes
	if maxLanes <= 0 {
		maxLanes = 40
	}
	lanes, laneOf := t.lanes()
	shown := min(len(lanes), maxLanes)
	more := 0
	if len(lanes) > shown {
		more = 1
	}
	top := pad
	if t.Title != "" {
		top = 34
	}
	labelW := 0
	for _, l := range lanes[:shown] {
		labelW = max(labelW, utf8.RuneCountInString(clip(l, 20)))
	}
	left := pad + float64(labelW)*charW + 8
	right := w - pad - 8
	h := top + float64(max(shown+more, 1))*laneH + axisH
	cv := newCanvas(w, h)
	if t.Title != "" {
		cv.text(pad, 22, clip(t.Title, int((w-2*pad)/8)), `font-size="15" font-weight="bold" fill="#222222"`)
	}
	lo, hi := t.span()
	unit, unitName := timeUnit(hi - lo)
	ticks := NiceTicks(float64(lo)/float64(unit), float64(hi)/float64(unit), 8)
	tfmt := tickFormatter(ticks)
	a, z := ticks[0], ticks[len(ticks)-1]
	xs := func(d time.Duration) float64 {
		return left + (float64(d)/float64(unit)-a)/(z-a)*(right-left)
	}
	axisY := top + float64(max(shown+more, 1))*laneH
	for i := 0; i < shown; i++ {
		y := top + float64(i)*laneH
		if i%2 == 0 {
			cv.rect(left, y, right-left, laneH, `fill="#f4f4f4"`)
		}
		cv.text(left-6, y+laneH/2+4, clip(lanes[i], 20), `text-anchor="end" fill="#333333"`)
	}
	for _, tk := range ticks {
		x := left + (tk-a)/(z-a)*(right-left)
		cv.line(x, top, x, axisY, `stroke="#dddddd" stroke-dasharray="2,3"`)
		cv.line(x, axisY, x, axisY+4, `stroke="#333333"`)
		cv.text(x, axisY+16, tfmt(tk), `text-anchor="middle" fill="#444444"`)
	}
	cv.text(right, axisY+30, unitName, `text-anchor="end" fill="#444444"`)
	cv.line(left, axisY, right, axisY, `stroke="#333333"`)
	for i, iv := range t.Intervals {
		lane := laneOf[i]
		if lane >= shown {
			continue
		}
		y := top + float64(lane)*laneH + (laneH-barH)/2
		x0, x1 := xs(min(iv.Start, iv.End)), xs(max(iv.Start, iv.End))
		bw := math.Max(x1-x0, 1)
		color := iv.Color
		if color == "" {
			color = Palette[i%len(Palette)]
		}
		opacity := "0.9"
		if iv.Faded {
			opacity = "0.3"
		}
		tip := iv.Tip
		if tip == "" {
			tip = fmt.Sprintf("%s (%s): %s to %s", iv.Label, iv.Lane, iv.Start, iv.End)
		}
		cv.rectTip(x0, y, bw, barH, fmt.Sprintf(`rx="2" fill="%s" fill-opacity="%s"`, esc(color), opacity), tip)
		if n := int((bw - 6) / charW); n >= 3 && iv.Label != "" {
			cv.text(x0+3, y+barH-4, clip(iv.Label, n), `fill="#111111"`)
		}
	}
	if more > 0 {
		cv.text(left, top+float64(shown)*laneH+laneH/2+4, fmt.Sprintf("… %d more lanes not drawn", len(lanes)-shown), `fill="#666666"`)
	}
	return cv.String()
}

// String lists the lanes and their intervals, at most 50 lines.
func (t *Timeline) String() string {
	var b strings.Builder
	if t.Title != "" {
		b.WriteString(t.Title + "\n")
	}
	lanes, laneOf := t.lanes()
	lines := 0
	for k, lane := range lanes {
		var parts []string
		n := 0
		for i, iv := range t.Intervals {
			if laneOf[i] != k {
				continue
			}
			if n++; n <= 20 {
				parts = append(parts, fmt.Sprintf("%s %s–%s", iv.Label, iv.Start, iv.End))
			}
		}
		if n > 20 {
			parts = append(parts, fmt.Sprintf("... %d more", n-20))
		}
		if lines == 50 {
			fmt.Fprintf(&b, "... %d more lanes\n", len(lanes)-k)
			break
		}
		fmt.Fprintf(&b, "%s: %s\n", lane, strings.Join(parts, ", "))
		lines++
	}
	if len(lanes) == 0 {
		b.WriteString("(no intervals)\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
