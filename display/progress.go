package display

import (
	"fmt"
	"html"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ProgressInterval is the least time between two updates a Bar sends while it runs: at most
// about ten per second, however fast Add is called. The first display, the update that reaches
// the total and the one Done sends are never held back.
const ProgressInterval = 100 * time.Millisecond

// Bar is a progress bar shown in one output area and updated in place. Add and Set are cheap
// (an atomic add and a clock read) and safe to call from many goroutines at once.
//
//	bar := display.Progress(len(files), "parsing")
//	for _, f := range files {
//		parse(f)
//		bar.Add(1)
//	}
//	bar.Done()
type Bar struct {
	label    string
	total    int64
	h        *Handle
	clock    func() time.Duration // time since the start
	interval time.Duration

	count   atomic.Int64
	next    atomic.Int64 // clock reading (ns) before which no rate-limited update is sent
	pending atomic.Bool  // a trailing update is scheduled

	mu    sync.Mutex // serialises updates; guards the fields below
	done  bool
	final time.Duration // elapsed time at Done
	sent  int64         // count shown by the last update
	timer *time.Timer
}

// Progress shows a progress bar for total steps, labelled label, and returns it. With
// total <= 0 the bar counts steps without a percentage.
func Progress(total int, label string) *Bar {
	start := time.Now()
	return newBar(total, label, func() time.Duration { return time.Since(start) }, ProgressInterval)
}

func newBar(total int, label string, clock func() time.Duration, interval time.Duration) *Bar {
	b := &Bar{label: label, total: int64(total), h: New(), clock: clock, interval: interval}
	b.mu.Lock()
	b.publishLocked(true)
	b.mu.Unlock()
	return b
}

// Add advances the bar by n steps.
func (b *Bar) Add(n int) {
	c := b.count.Add(int64(n))
	b.changed(c-int64(n), c)
}

// Set moves the bar to n steps.
func (b *Bar) Set(n int) {
	prev := b.count.Swap(int64(n))
	b.changed(prev, int64(n))
}

// Count returns the steps done so far.
func (b *Bar) Count() int { return int(b.count.Load()) }

// Handle returns the handle of the bar's output area.
func (b *Bar) Handle() *Handle { return b.h }

// Done marks the bar finished and sends its final state at once. Later calls do nothing; Add
// and Set after Done still count but no longer update the display.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return
	}
	b.done = true
	b.final = b.clock()
	if b.timer != nil {
		b.timer.Stop()
	}
	b.publishLocked(true)
}

// changed decides, after the count went from prev to c, whether to send an update now, later
// (a trailing update at the end of the current interval, so the last state always shows), or
// not at all because one is already scheduled.
func (b *Bar) changed(prev, c int64) {
	if b.total > 0 && prev < b.total && c >= b.total {
		b.mu.Lock()
		if !b.done {
			b.publishLocked(true) // reaching the total is always shown
		}
		b.mu.Unlock()
		return
	}
	b.tryPublish()
}

// tryPublish sends an update if the interval since the last one has passed, else makes sure a
// trailing update is scheduled.
func (b *Bar) tryPublish() {
	now := int64(b.clock())
	next := b.next.Load()
	if now >= next {
		if b.next.CompareAndSwap(next, now+int64(b.interval)) {
			b.mu.Lock()
			b.publishLocked(false)
			b.mu.Unlock()
		}
		return
	}
	if !b.pending.CompareAndSwap(false, true) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		b.pending.Store(false)
		return
	}
	b.timer = time.AfterFunc(time.Duration(next-now), func() {
		b.pending.Store(false)
		b.tryPublish()
	})
}

// publishLocked sends the current state, unless nothing changed since the last update and
// force is false. b.mu must be held.
func (b *Bar) publishLocked(force bool) {
	if b.done && !force {
		return
	}
	c := b.count.Load()
	if !force && c == b.sent {
		return
	}
	b.sent = c
	b.next.Store(int64(b.clock()) + int64(b.interval))
	b.h.Update(b.viewLocked(c))
}

func (b *Bar) viewLocked(c int64) progressView {
	elapsed := b.final
	if !b.done {
		elapsed = b.clock()
	}
	return progressView{label: b.label, count: c, total: b.total, elapsed: elapsed, done: b.done}
}

// String returns the bar's current text line.
func (b *Bar) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.viewLocked(b.count.Load()).String()
}

// HTML returns the bar's current HTML form.
func (b *Bar) HTML() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.viewLocked(b.count.Load()).HTML()
}

// progressView is one frame of a bar: what an update shows.
type progressView struct {
	label   string
	count   int64
	total   int64
	elapsed time.Duration
	done    bool
}

const barCells = 20

// fraction is count/total clamped to [0, 1]; ok is false without a total.
func (v progressView) fraction() (f float64, ok bool) {
	if v.total <= 0 {
		return 0, false
	}
	f = float64(v.count) / float64(v.total)
	return min(max(f, 0), 1), true
}

// eta estimates the time left from the rate so far; ok is false when unknown or finished.
func (v progressView) eta() (time.Duration, bool) {
	if v.done || v.total <= 0 || v.count <= 0 || v.count >= v.total {
		return 0, false
	}
	return time.Duration(float64(v.elapsed) * float64(v.total-v.count) / float64(v.count)), true
}

// status is the text after the bar: "50% 5/10 1.2s ETA 1.2s", "12 steps 1.2s", "... done".
func (v progressView) status() string {
	var parts []string
	if f, ok := v.fraction(); ok {
		parts = append(parts, fmt.Sprintf("%d%%", int(f*100)), fmt.Sprintf("%d/%d", v.count, v.total))
	} else {
		parts = append(parts, fmt.Sprintf("%d", v.count))
	}
	parts = append(parts, fmtDuration(v.elapsed))
	if eta, ok := v.eta(); ok {
		parts = append(parts, "ETA "+fmtDuration(eta))
	}
	if v.done {
		parts = append(parts, "done")
	}
	return strings.Join(parts, " ")
}

// String is the text line: "label [##########..........] 50% 5/10 1.2s ETA 1.2s".
func (v progressView) String() string {
	var b strings.Builder
	if v.label != "" {
		b.WriteString(v.label + " ")
	}
	if f, ok := v.fraction(); ok {
		full := int(f * barCells)
		b.WriteString("[" + strings.Repeat("#", full) + strings.Repeat(".", barCells-full) + "] ")
	}
	b.WriteString(v.status())
	return b.String()
}

// HTML is a bar drawn with two nested divs (inline styles only), the label and the status.
func (v progressView) HTML() string {
	color := "#4e79a7"
	if v.done {
		color = "#59a14f"
	}
	f, ok := v.fraction()
	if !ok { // no total: a full, pale bar that still shows the count
		f, color = 1, "#a0cbe8"
	}
	var b strings.Builder
	b.WriteString(`<div style="display:flex;align-items:center;gap:8px;font-family:sans-serif;font-size:13px">`)
	if v.label != "" {
		fmt.Fprintf(&b, `<span>%s</span>`, html.EscapeString(v.label))
	}
	fmt.Fprintf(&b, `<div style="width:300px;height:14px;background:#e6e6e6;border-radius:3px;overflow:hidden">`+
		`<div style="width:%.1f%%;height:100%%;background:%s"></div></div>`, f*100, color)
	fmt.Fprintf(&b, `<span style="font-variant-numeric:tabular-nums">%s</span></div>`, html.EscapeString(v.status()))
	return b.String()
}

// fmtDuration prints 0.4s, 12.3s, 2m05s, 1h02m.
func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}
