package executors

import (
	"errors"
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of one run of a model: timings, per-task records and results.
// It renders itself as text (String), an HTML table (HTML), an SVG timeline (SVG) and a
// Jupyter MIME bundle (MIMEBundle).
type Report struct {
	Model      string        // "Threads", "Threads+GIL", "Processes", "Gather", "ThreadPool(3)", ...
	Tasks      int           // number of tasks
	Workers    int           // tasks allowed to run at once (goroutines, processes, pool size; 1 for Gather)
	Wall       time.Duration // wall-clock time of the run
	CPU        time.Duration // CPU time (user+system) of this process and its waited children
	Work       time.Duration // sum of the tasks' own durations, not counting time spent waiting for the GIL or the loop
	Ideal      time.Duration // shortest possible wall time for these tasks on these workers
	Overhead   time.Duration // Wall - Ideal
	Speedup    float64       // Work / Wall, or sequential wall / Wall after Compare
	Basis      string        // what Speedup is measured against
	GOMAXPROCS int
	Records    []TaskRecord // one per task, in submission order
	Results    []any        // task results in submission order (nil for failed tasks)
	Err        error        // the run's error: setup failure, cancellation, or the first task error
	// ProcessLimit is how many child processes Processes ran at a time at most (0: no limit,
	// or not a process model); Queued is how many of its tasks waited for an earlier child to
	// exit before they started (their Start is when they really started).
	ProcessLimit int
	Queued       int
}

// TaskRecord describes one task of a run. Times are offsets from the start of the run.
type TaskRecord struct {
	ID     int
	Name   string
	Worker string // "goroutine 18", "worker 2", "pid 4242", "coroutine 3", "main"
	Thread int    // OS thread id (gettid) where the task started; 0 if unknown
	Pid    int    // process that ran the task
	Start  time.Duration
	End    time.Duration
	Waited time.Duration // time ready to run but waiting for the GIL or the event loop, or for a turn (Turn)
	// Turn is the part of Waited spent waiting for a turn the task's own code asked for with
	// Task.WaitTurn (a semaphore slot, a lock): not the task's work, but not the model's
	// overhead either, so the ideal wall time counts it.
	Turn   time.Duration
	Spans  []Span // when the task actually ran (GIL held / coroutine on the loop); empty = all the time
	Result any
	Err    error
}

// Span is an interval of a run, as offsets from its start.
type Span struct{ Start, End time.Duration }

// Duration is the task's own duration: End - Start - Waited.
func (r TaskRecord) Duration() time.Duration { return r.End - r.Start - r.Waited }

// Errors returns the errors of the failed tasks.
func (r *Report) Errors() []error {
	var errs []error
	for _, rec := range r.Records {
		if rec.Err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rec.Name, rec.Err))
		}
	}
	return errs
}

// finish computes the derived figures from the records. held is the time the GIL or the
// event loop was held (a lower bound of the ideal), parallel how many tasks could wait or run
// at once (0: all).
func (r *Report) finish(held time.Duration, parallel int) {
	r.Tasks = len(r.Records)
	r.Results = make([]any, len(r.Records))
	durs := make([]time.Duration, 0, len(r.Records))
	for i, rec := range r.Records {
		r.Results[i] = rec.Result
		d := rec.Duration()
		if d < 0 {
			d = 0
		}
		durs = append(durs, d)
		r.Work += d
	}
	if r.Err == nil {
		for _, rec := range r.Records {
			if rec.Err != nil {
				r.Err = fmt.Errorf("%s: %w", rec.Name, rec.Err)
				break
			}
		}
	}
	w := parallel
	if w <= 0 || w > len(durs) {
		w = len(durs)
	}
	r.Ideal = max(makespan(durs, w), held, loopBound(r.Records, held))
	for i, rec := range r.Records {
		r.Ideal = max(r.Ideal, rec.Turn+durs[i])
	}
	r.Overhead = r.Wall - r.Ideal
	if r.Wall > 0 {
		r.Speedup = float64(r.Work) / float64(r.Wall)
	}
	r.Basis = "sum of task durations / wall"
	if r.Speedup > 10 && r.CPU < r.Work/20 {
		// 100,000 tasks that each wait 1 s, done in 1.1 s: "88740x" is how many waits overlapped,
		// which is not what "speedup" makes a reader think of.
		r.Basis += waitsBasis
	}
}

// waitsBasis ends the basis of a run whose tasks mostly waited.
const waitsBasis = ": the tasks were waiting, so this counts overlapping waits, not faster computing"

// speedupText is the speedup as the one-line summaries show it, saying "overlapping waits"
// when that is what it counts.
func (r *Report) speedupText() string {
	if strings.HasSuffix(r.Basis, waitsBasis) {
		return fmtX(r.Speedup) + " (overlapping waits)"
	}
	return fmtX(r.Speedup)
}

// fmtX formats a speedup: two decimals, none from 100x up (88740x, not 88740.00x).
func fmtX(f float64) string {
	if f >= 100 {
		return fmt.Sprintf("%.0fx", f)
	}
	return fmt.Sprintf("%.2fx", f)
}

// loopBound is a lower bound of the wall time of a run on one lock (the event loop, the GIL)
// that was held for held in all: work that comes after a task's first wait cannot start before
// that wait is over, so the lock is idle at least for the shortest first wait (the gap between a
// task's first and second running spans), and then must still run everything but the first
// spans. 0 when no task waited.
func loopBound(recs []TaskRecord, held time.Duration) time.Duration {
	if held <= 0 {
		return 0
	}
	lead := time.Duration(-1)
	var first time.Duration
	for _, rec := range recs {
		if len(rec.Spans) == 0 {
			continue
		}
		first += rec.Spans[0].End - rec.Spans[0].Start
		if len(rec.Spans) >= 2 {
			if g := rec.Spans[1].Start - rec.Spans[0].End; lead < 0 || g < lead {
				lead = g
			}
		}
	}
	if lead < 0 {
		return 0
	}
	return lead + max(held-first, 0)
}

// makespan is the finish time of the longest-first greedy schedule of durs on w workers:
// ceil(n/w) x d for n equal tasks, the longest task when w >= n.
func makespan(durs []time.Duration, w int) time.Duration {
	if w <= 0 || len(durs) == 0 {
		return 0
	}
	if w >= len(durs) {
		var m time.Duration
		for _, d := range durs {
			m = max(m, d)
		}
		return m
	}
	s := append([]time.Duration(nil), durs...)
	sort.Slice(s, func(i, j int) bool { return s[i] > s[j] })
	load := make([]time.Duration, w)
	for _, d := range s {
		k := 0
		for j := range load {
			if load[j] < load[k] {
				k = j
			}
		}
		load[k] += d
	}
	var m time.Duration
	for _, l := range load {
		m = max(m, l)
	}
	return m
}

// SpeedupOver makes r's Speedup base's wall time / r's wall time, the basis Compare uses when
// Sequential is among its models, so that a run made apart from a comparison (a combined model,
// say) is quoted on the same basis as the comparison's rows. It returns r.
func (r *Report) SpeedupOver(base *Report) *Report {
	if r == nil || base == nil || base.Wall <= 0 || r.Wall <= 0 {
		return r
	}
	r.Speedup = float64(base.Wall) / float64(r.Wall)
	r.Basis = base.Model + " wall / wall"
	return r
}

// CoresBusy is CPU time / wall time: how many cores the run kept busy on average.
func (r *Report) CoresBusy() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.CPU) / float64(r.Wall)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }

// Summary is the one-line description of the run.
func (r *Report) Summary() string {
	return fmt.Sprintf("%s: %d task(s), %d worker(s), wall %s, CPU %s (%.2f cores busy), speedup %s, ideal %s, overhead %s",
		r.Model, r.Tasks, r.Workers, secs(r.Wall), secs(r.CPU), r.CoresBusy(), r.speedupText(), secs(r.Ideal), fmtOverhead(r.Overhead))
}

// queueNote says that tasks waited behind the process limit, or is empty.
func (r *Report) queueNote() string {
	if r.Queued <= 0 {
		return ""
	}
	return fmt.Sprintf("at most %d processes at a time (executors.ProcessLimit, %s); %d task(s) queued, "+
		"each started in a new process when an earlier one ended (start times are when they really started)",
		r.ProcessLimit, ProcessLimitEnv, r.Queued)
}

func fmtOverhead(d time.Duration) string {
	if d < time.Second && d > -time.Second {
		return fmt.Sprintf("%+.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%+.3f s", d.Seconds())
}

const maxRows = 20

// String renders the report as an aligned text table.
func (r *Report) String() string {
	if r == nil {
		return "<nil report>"
	}
	var b strings.Builder
	b.WriteString(r.Summary())
	b.WriteString("\n")
	fmt.Fprintf(&b, "speedup basis: %s; GOMAXPROCS %d\n", r.Basis, r.GOMAXPROCS)
	if q := r.queueNote(); q != "" {
		b.WriteString(q + "\n")
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "error: %v\n", r.Err)
	}
	if len(r.Records) == 0 {
		return b.String()
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "task\tworker\tstart\tend\tduration\tresult")
	for i, rec := range r.Records {
		if i == maxRows {
			fmt.Fprintf(tw, "... %d more\t\t\t\t\t\n", len(r.Records)-maxRows)
			break
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", rec.Name, rec.Worker, secs(rec.Start), secs(rec.End),
			secs(rec.Duration()), resultText(rec))
	}
	tw.Flush()
	return b.String()
}

func resultText(rec TaskRecord) string {
	if rec.Err != nil {
		return "error: " + clip(rec.Err.Error(), 60)
	}
	if rec.Result == nil {
		return "-"
	}
	return clip(fmt.Sprintf("%v", rec.Result), 40)
}

func clip(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// HTML renders the report as an HTML table.
func (r *Report) HTML() string {
	var b strings.Builder
	esc := html.EscapeString
	fmt.Fprintf(&b, `<div class="quire-report"><p><b>%s</b>: %d task(s), %d worker(s), wall <b>%s</b>, CPU %s (<b>%.2f cores busy</b>), speedup <b>%s</b> (%s), ideal %s, overhead %s</p>`,
		esc(r.Model), r.Tasks, r.Workers, secs(r.Wall), secs(r.CPU), r.CoresBusy(), fmtX(r.Speedup), esc(r.Basis), secs(r.Ideal), fmtOverhead(r.Overhead))
	if q := r.queueNote(); q != "" {
		fmt.Fprintf(&b, `<p>%s</p>`, esc(q))
	}
	if r.Err != nil {
		fmt.Fprintf(&b, `<p style="color:#b00020">error: %s</p>`, esc(r.Err.Error()))
	}
	if len(r.Records) > 0 {
		b.WriteString(`<table><thead><tr><th>task</th><th>worker</th><th>start</th><th>end</th><th>duration</th><th>result</th></tr></thead><tbody>`)
		for i, rec := range r.Records {
			if i == maxRows {
				fmt.Fprintf(&b, `<tr><td colspan="6">… %d more</td></tr>`, len(r.Records)-maxRows)
				break
			}
			fmt.Fprintf(&b, `<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>`,
				esc(rec.Name), esc(rec.Worker), secs(rec.Start), secs(rec.End), secs(rec.Duration()), esc(resultText(rec)))
		}
		b.WriteString(`</tbody></table>`)
	}
	b.WriteString(`</div>`)
	return b.String()
}

// MIMEBundle renders the report for Jupyter: text, HTML (table and timeline) and SVG.
func (r *Report) MIMEBundle() map[string]any {
	svg := r.SVG()
	return map[string]any{
		"text/plain":    r.String(),
		"text/html":     r.HTML() + "\n" + svg,
		"image/svg+xml": svg,
	}
}

var palette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7"}

const maxLanes = 40

// laneLabelMax is the longest lane or row label drawn whole (longer ones end in "…").
const laneLabelMax = 32

// labelLeft is the left margin that fits a right-aligned label of chars characters at the
// given font size, with room to spare for wide letters (GOMAXPROCS): about 0.7 em a character.
func labelLeft(chars int, fontSize float64) float64 {
	return math.Ceil(float64(chars)*0.7*fontSize) + 16
}

// SVG renders the timeline: one lane per worker, one bar per task (darker where the task was
// actually running, for GIL and Gather runs), and a time axis in seconds.
func (r *Report) SVG() string {
	const (
		plotW  = 610.0
		right  = 20.0
		top    = 34.0
		laneH  = 24.0
		barH   = 16.0
		axisH  = 46.0
		labelW = 7.0 // approximate px per character at font-size 11
	)
	var lanes []string
	laneOf := map[string]int{}
	for _, rec := range r.Records {
		if _, ok := laneOf[rec.Worker]; !ok {
			laneOf[rec.Worker] = len(lanes)
			lanes = append(lanes, rec.Worker)
		}
	}
	// The lane labels are right-aligned against the plot: the margin fits the longest.
	chars := 0
	for _, l := range lanes {
		chars = max(chars, len([]rune(clip(l, laneLabelMax))))
	}
	left := max(130, labelLeft(chars, 11))
	width := left + plotW + right
	shown := min(len(lanes), maxLanes)
	extra := 0
	if len(lanes) > maxLanes {
		extra = 1
	}
	height := top + float64(shown+extra)*laneH + axisH
	span := r.Wall
	for _, rec := range r.Records {
		span = max(span, rec.End)
	}
	if span <= 0 {
		span = time.Millisecond
	}
	x := func(d time.Duration) float64 { return left + plotW*float64(d)/float64(span) }
	esc := html.EscapeString

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="11">`,
		width, height, width, height)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%.0f" height="%.0f" fill="#ffffff"/>`, width, height)
	fmt.Fprintf(&b, `<text x="8" y="20" font-size="13" font-weight="bold">%s</text>`,
		esc(fmt.Sprintf("%s: %d task(s), wall %s, speedup %s", r.Model, r.Tasks, secs(r.Wall), r.speedupText())))
	for _, rec := range r.Records {
		if len(rec.Spans) > 0 {
			fmt.Fprintf(&b, `<text x="%.0f" y="20" text-anchor="end" fill="#555555">pale: waiting, dark: running</text>`, width-right)
			break
		}
	}
	for i := 0; i < shown; i++ {
		y := top + float64(i)*laneH
		if i%2 == 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f4f4f4"/>`, left, y, plotW, laneH)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-6, y+laneH/2+4, esc(clip(lanes[i], laneLabelMax)))
	}
	for _, rec := range r.Records {
		lane := laneOf[rec.Worker]
		if lane >= shown {
			continue
		}
		y := top + float64(lane)*laneH + (laneH-barH)/2
		x0, x1 := x(rec.Start), x(rec.End)
		w := math.Max(x1-x0, 1)
		color := palette[rec.ID%len(palette)]
		if rec.Err != nil {
			color = "#d62728"
		}
		opacity := "0.9"
		if len(rec.Spans) > 0 {
			opacity = "0.3"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="2" fill="%s" fill-opacity="%s"><title>%s</title></rect>`,
			x0, y, w, barH, color, opacity, esc(fmt.Sprintf("%s on %s: %s to %s (%s)", rec.Name, rec.Worker, secs(rec.Start), secs(rec.End), resultText(rec))))
		for _, s := range rec.Spans {
			sx0, sx1 := x(s.Start), x(s.End)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, sx0, y, math.Max(sx1-sx0, 0.5), barH, color)
		}
		label := rec.Name
		if maxChars := int(w / labelW); maxChars >= 3 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="#111111">%s</text>`, x0+3, y+barH-4, esc(clip(label, maxChars)))
		}
	}
	if extra > 0 {
		y := top + float64(shown)*laneH
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">… %d more lane(s) not drawn</text>`, left, y+laneH/2+4, len(lanes)-shown)
	}
	axisY := top + float64(shown+extra)*laneH + 4
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`, left, axisY, left+plotW, axisY)
	step := niceStep(span.Seconds(), 8)
	for t := 0.0; t <= span.Seconds()+step/1e6; t += step {
		tx := left + plotW*t/span.Seconds()
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`, tx, axisY, tx, axisY+5)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#dddddd" stroke-dasharray="2,3"/>`, tx, top, tx, axisY)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, tx, axisY+17, fmtTick(t, step))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">seconds</text>`, left+plotW, axisY+30)
	b.WriteString(`</svg>`)
	return b.String()
}

// niceStep returns a 1-2-5 step giving at most about n ticks over total.
func niceStep(total float64, n int) float64 {
	if total <= 0 {
		return 1
	}
	raw := total / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

func fmtTick(t, step float64) string {
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step)))
	}
	return fmt.Sprintf("%.*f", dec, t)
}

// errorReport is the report of a run that could not start.
func errorReport(model string, err error) *Report {
	return &Report{Model: model, Err: err, Basis: "none", GOMAXPROCS: gomaxprocs()}
}

// joinErrs returns nil, the only error, or all of them joined.
func joinErrs(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}
