package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// value is one measured figure: a number in the unit of its row, a text (for yes/no facts), or
// the reason it could not be measured.
type value struct {
	V    float64
	Text string
	Err  string
}

// results collects measured values by key ("quire.start", "ipykernel.rt_p50", "go.e1",
// "py.e1", ...) and free-form notes. It is safe for concurrent use.
type results struct {
	mu    sync.Mutex
	m     map[string]value
	notes []string
}

func newResults() *results { return &results{m: map[string]value{}} }

func (r *results) set(key string, v float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[key] = value{V: v}
}

func (r *results) setText(key, s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[key] = value{Text: s, V: math.NaN()}
}

// setFlag records a yes/no fact shown as text; a row's goal needs its Flags to be ok.
func (r *results) setFlag(key string, ok bool, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v := value{Text: text}
	if ok {
		v.V = 1
	}
	r.m[key] = v
}

func (r *results) fail(key string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[key] = value{Err: err.Error(), V: math.NaN()}
}

func (r *results) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func (r *results) get(key string) (value, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[key]
	return v, ok
}

// num returns the numeric value of key, or false if it is missing, failed or text.
func (r *results) num(key string) (float64, bool) {
	v, ok := r.get(key)
	if !ok || v.Err != "" || math.IsNaN(v.V) {
		return 0, false
	}
	return v.V, true
}

// keys returns the keys in order.
func (r *results) keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ks := make([]string, 0, len(r.m))
	for k := range r.m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// unit says how a row's numbers are stored and printed.
type unit int

const (
	seconds unit = iota // stored in seconds, printed "0.123 s"
	millis              // stored in seconds, printed "0.70 ms"
	micros              // stored in seconds, printed "0.35 us"
	mib                 // stored in MiB
	times               // a speedup factor, printed "2.00x"
)

func (u unit) format(v float64) string {
	switch u {
	case seconds:
		return fmt.Sprintf("%.3f s", v)
	case millis:
		return fmt.Sprintf("%.2f ms", v*1e3)
	case micros:
		if v*1e6 < 10 {
			return fmt.Sprintf("%.2f us", v*1e6)
		}
		return fmt.Sprintf("%.1f us", v*1e6)
	case mib:
		return fmt.Sprintf("%.1f MiB", v)
	case times:
		return fmt.Sprintf("%.2fx", v)
	}
	return fmt.Sprint(v)
}

// row is one line of the results table. Key is the quire/Go value; Peer the ipykernel or
// CPython value (PeerCol says which column). Met, when set, decides the "met?" column from the
// quire/Go value; Flags name extra text values that must be "yes" for the goal to be met.
type row struct {
	Name    string
	Unit    unit
	Key     string
	PeerCol string // "ipykernel" or "CPython"
	PeerKey string
	Goal    string
	Met     func(v float64) bool
	Flags   []string
	// PeerFlags are shown next to the peer's value.
	PeerFlags []string
}

func (r *results) cell(key string, u unit) string {
	if key == "" {
		return ""
	}
	v, ok := r.get(key)
	switch {
	case !ok:
		return "-"
	case v.Err != "":
		return "failed: " + shorten(v.Err, 60)
	case v.Text != "":
		return v.Text
	}
	return u.format(v.V)
}

func shorten(s string, n int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// markdown renders rows as a Markdown table.
func (r *results) markdown(rows []row) string {
	var b strings.Builder
	b.WriteString("| measure | quire / Go | ipykernel | CPython | ratio | goal | met? |\n")
	b.WriteString("|---|---|---|---|---|---|---|\n")
	for _, w := range rows {
		q := r.cell(w.Key, w.Unit)
		for _, f := range w.Flags {
			if _, ok := r.get(f); ok {
				q += ", " + r.cell(f, w.Unit)
			}
		}
		peer := r.cell(w.PeerKey, w.Unit)
		for _, f := range w.PeerFlags {
			if _, ok := r.get(f); ok {
				peer += ", " + r.cell(f, w.Unit)
			}
		}
		var ipy, py string
		if w.PeerCol == "ipykernel" {
			ipy = peer
		} else {
			py = peer
		}
		ratio := ""
		if a, ok := r.num(w.Key); ok {
			if p, ok := r.num(w.PeerKey); ok && p != 0 {
				ratio = fmt.Sprintf("%.2fx", a/p)
			}
		}
		met := ""
		if w.Met != nil {
			met = "-"
			if a, ok := r.num(w.Key); ok {
				met = "yes"
				if !w.Met(a) {
					met = "**no**"
				}
				for _, f := range w.Flags {
					if v, ok := r.get(f); !ok || v.Err != "" || v.V != 1 {
						met = "**no**"
					}
				}
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", w.Name, q, ipy, py, ratio, w.Goal, met)
	}
	return b.String()
}

// percentile returns the p-th percentile (0..100) of xs by linear interpolation (xs is sorted
// in place).
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sort.Float64s(xs)
	pos := p / 100 * float64(len(xs)-1)
	i := int(pos)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	return xs[i] + (pos-float64(i))*(xs[i+1]-xs[i])
}

func median(xs []float64) float64 { return percentile(xs, 50) }

func secs(d time.Duration) float64 { return d.Seconds() }
