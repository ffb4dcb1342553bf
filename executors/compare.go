package executors

import (
	"fmt"
	"html"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quire-go/quire/display"
)

// Comparison is one workload run under several models.
type Comparison struct {
	Reports  []*Report
	Baseline *Report // the Sequential run, if one of the models was Sequential
}

// Compare runs the workload (anything a model accepts: a func, a Job, []Job, or []any of
// those and options) under each model in turn, and compares wall times. When Sequential is
// among the models, every report's Speedup becomes Sequential's wall time / its wall time.
//
//	executors.Compare(executors.Repeat(4, executors.CountPrimes(n)),
//		executors.Sequential, executors.Threads, executors.GILThreads, executors.Processes, executors.Gather)
func Compare(workload any, models ...Model) *Comparison {
	args := []any{workload}
	if list, ok := workload.([]any); ok {
		args = list
	}
	cmp := &Comparison{}
	var h *display.Handle
	t0 := time.Now()
	show := progressDelay.Load() >= 0
	for i, m := range models {
		if m == nil {
			continue
		}
		if show && time.Since(t0) >= time.Duration(progressDelay.Load()) {
			if h == nil {
				h = display.New()
			}
			h.Update(display.Text(fmt.Sprintf("Compare: running model %d of %d, %.1f s", i+1, len(models), time.Since(t0).Seconds())))
		}
		all := append(append([]any{}, args...), Quiet())
		r := m(all...)
		cmp.Reports = append(cmp.Reports, r)
		if r.Model == "Sequential" && cmp.Baseline == nil {
			cmp.Baseline = r
		}
	}
	if h != nil {
		h.Update(display.Text(fmt.Sprintf("Compare: %d models in %.1f s", len(models), time.Since(t0).Seconds())))
	}
	if b := cmp.Baseline; b != nil && b.Err == nil && b.Wall > 0 {
		for _, r := range cmp.Reports {
			if r.Wall > 0 {
				r.Speedup = float64(b.Wall) / float64(r.Wall)
				r.Basis = "Sequential wall / wall"
			}
		}
	}
	return cmp
}

// Report returns the report of the named model, or nil.
func (c *Comparison) Report(model string) *Report {
	for _, r := range c.Reports {
		if r.Model == model {
			return r
		}
	}
	return nil
}

// String renders the comparison as an aligned text table.
func (c *Comparison) String() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\ttasks\tworkers\twall\tCPU\tcores\tspeedup\tideal\toverhead\terror\t")
	for _, r := range c.Reports {
		errText := ""
		if r.Err != nil {
			errText = clip(r.Err.Error(), 50)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%.2f\t%.2fx\t%s\t%s\t%s\t\n", r.Model, r.Tasks, r.Workers, secs(r.Wall), secs(r.CPU),
			r.CoresBusy(), r.Speedup, secs(r.Ideal), fmtOverhead(r.Overhead), errText)
	}
	tw.Flush()
	if c.Baseline != nil {
		b.WriteString("speedup = Sequential wall time / wall time; cores = CPU time / wall time\n")
	} else {
		b.WriteString("speedup = sum of task durations / wall time; cores = CPU time / wall time\n")
	}
	return b.String()
}

// HTML renders the table, the bar chart and each model's timeline.
func (c *Comparison) HTML() string {
	var b strings.Builder
	esc := html.EscapeString
	b.WriteString(`<div class="quire-compare"><table><thead><tr><th>model</th><th>tasks</th><th>workers</th><th>wall</th><th>CPU</th><th>cores busy</th><th>speedup</th><th>ideal</th><th>overhead</th><th>error</th></tr></thead><tbody>`)
	for _, r := range c.Reports {
		errText := ""
		if r.Err != nil {
			errText = r.Err.Error()
		}
		fmt.Fprintf(&b, `<tr><td>%s</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%.2f</td><td><b>%.2fx</b></td><td>%s</td><td>%s</td><td>%s</td></tr>`,
			esc(r.Model), r.Tasks, r.Workers, secs(r.Wall), secs(r.CPU), r.CoresBusy(), r.Speedup, secs(r.Ideal), fmtOverhead(r.Overhead), esc(clip(errText, 80)))
	}
	b.WriteString(`</tbody></table>`)
	b.WriteString(c.SVG())
	for _, r := range c.Reports {
		if len(r.Records) > 0 {
			fmt.Fprintf(&b, `<details><summary>%s timeline</summary>%s</details>`, esc(r.Model), r.SVG())
		}
	}
	b.WriteString(`</div>`)
	return b.String()
}

// SVG renders a bar chart of the wall times, labelled with the speedups.
func (c *Comparison) SVG() string {
	const (
		plotW = 360.0
		right = 150.0
		top   = 30.0
		rowH  = 28.0
		barH  = 18.0
	)
	height := top + float64(len(c.Reports))*rowH + 48
	var longest time.Duration
	for _, r := range c.Reports {
		longest = max(longest, r.Wall)
	}
	if longest <= 0 {
		longest = time.Millisecond
	}
	// Model names are right-aligned against the bars: the margin fits the longest.
	chars := 0
	for _, r := range c.Reports {
		chars = max(chars, len([]rune(clip(r.Model, laneLabelMax))))
	}
	left := max(130, labelLeft(chars, 12))
	width := left + plotW + right
	esc := html.EscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`, width, height, width, height)
	fmt.Fprintf(&b, `<rect x="0" y="0" width="%.0f" height="%.0f" fill="#ffffff"/>`, width, height)
	fmt.Fprintf(&b, `<text x="8" y="19" font-size="13" font-weight="bold">wall time per model (shorter is better)</text>`)
	for i, r := range c.Reports {
		y := top + float64(i)*rowH
		w := plotW * float64(r.Wall) / float64(longest)
		color := palette[i%len(palette)]
		if r.Err != nil {
			color = "#d62728"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">%s</text>`, left-6, y+barH-4, esc(clip(r.Model, laneLabelMax)))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="2" fill="%s"/>`, left, y, math.Max(w, 1), barH, color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s (%s)</text>`, left+math.Max(w, 1)+6, y+barH-4, secs(r.Wall), fmtX(r.Speedup))
	}
	axisY := top + float64(len(c.Reports))*rowH
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`, left, axisY, left+plotW, axisY)
	step := niceStep(longest.Seconds(), 6)
	for t := 0.0; t <= longest.Seconds()+step/1e6; t += step {
		tx := left + plotW*t/longest.Seconds()
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#333333"/>`, tx, axisY, tx, axisY+5)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, tx, axisY+18, fmtTick(t, step))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">seconds</text>`, left+plotW, axisY+32)
	b.WriteString(`</svg>`)
	return b.String()
}

// MIMEBundle renders the comparison for Jupyter.
func (c *Comparison) MIMEBundle() map[string]any {
	return map[string]any{
		"text/plain":    c.String(),
		"text/html":     c.HTML(),
		"image/svg+xml": c.SVG(),
	}
}
