package magic

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/quire-go/quire/backend"
)

// time implements %time and %%time.
func (m *Magics) time(c *call) backend.ExecuteResult {
	code := c.args
	if c.cell {
		code = c.body
		if strings.TrimSpace(c.args) != "" {
			return usage("%%time (the code goes in the cell body, below the first line)")
		}
	}
	if strings.TrimSpace(code) == "" {
		return usage("%time STATEMENT or %%time with code in the cell")
	}
	before := sampleCPU()
	t0 := time.Now()
	res, evalTime := c.env.Exec(c.ctx, code)
	wall := time.Since(t0)
	after := sampleCPU()
	if res.Status != backend.StatusOK {
		return res
	}
	c.print("%s", timeReport(before, after, wall, evalTime))
	return res
}

// timeReport formats %time's lines as IPython does.
func timeReport(before, after cpuSample, wall, evalTime time.Duration) string {
	var b strings.Builder
	if user, sys, ok := cpuDelta(before, after); ok {
		fmt.Fprintf(&b, "CPU times: user %s, sys: %s, total: %s\n", formatTime(user.Seconds()), formatTime(sys.Seconds()), formatTime((user + sys).Seconds()))
	} else {
		fmt.Fprintf(&b, "CPU times: not available (no /proc); worker evaluation time: %s\n", formatTime(evalTime.Seconds()))
	}
	fmt.Fprintf(&b, "Wall time: %s\n", formatTime(wall.Seconds()))
	return b.String()
}

// formatTime formats a duration in seconds as IPython's _format_time does (3 significant
// digits; s, ms, µs or ns; "1min 3s" from a minute on).
func formatTime(sec float64) string {
	if sec >= 60 {
		var parts []string
		left := sec
		for _, u := range []struct {
			suffix string
			length float64
		}{{"d", 86400}, {"h", 3600}, {"min", 60}, {"s", 1}} {
			if v := math.Floor(left / u.length); v > 0 {
				left = math.Mod(left, u.length)
				parts = append(parts, fmt.Sprintf("%d%s", int64(v), u.suffix))
			}
			if left < 1 {
				break
			}
		}
		return strings.Join(parts, " ")
	}
	units := []string{"s", "ms", "µs", "ns"}
	scale := []float64{1, 1e3, 1e6, 1e9}
	order := 3
	if sec > 0 {
		e := int(math.Floor(math.Log10(sec)))
		order = min(-floorDiv(e, 3), 3)
		order = max(order, 0)
	}
	return fmt.Sprintf("%.3g %s", sec*scale[order], units[order])
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// timeitArgs are %timeit's options.
type timeitArgs struct {
	loops, runs int
	stmt, setup string
}

// parseTimeit reads "[-n N] [-r R] rest" (also -nN, -rR).
func parseTimeit(args string) (timeitArgs, error) {
	a := timeitArgs{runs: 7}
	rest := strings.TrimSpace(args)
	for strings.HasPrefix(rest, "-") {
		flag, after := splitName(rest)
		var val string
		switch {
		case flag == "-n" || flag == "-r":
			val, after = splitName(after)
		case strings.HasPrefix(flag, "-n") || strings.HasPrefix(flag, "-r"):
			val = flag[2:]
			flag = flag[:2]
		default:
			return a, fmt.Errorf("unknown option %s", flag)
		}
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 {
			return a, fmt.Errorf("%s needs a positive integer, not %q", flag, val)
		}
		if flag == "-n" {
			a.loops = n
		} else {
			a.runs = n
		}
		rest = after
	}
	a.stmt = rest
	return a, nil
}

const timeitUsage = "%timeit [-n N] [-r R] STATEMENT, or %%timeit [-n N] [-r R] [SETUP] with the statement in the cell body"

// timeit implements %timeit and %%timeit.
func (m *Magics) timeit(c *call) backend.ExecuteResult {
	a, err := parseTimeit(c.args)
	if err != nil {
		return usage(timeitUsage + " (" + err.Error() + ")")
	}
	if c.cell {
		a.setup, a.stmt = a.stmt, c.body
	}
	if strings.TrimSpace(a.stmt) == "" {
		return usage(timeitUsage)
	}
	res, _ := m.helperExec(c, timeitSource(a))
	if res.Status != backend.StatusOK {
		return res
	}
	loops, runs, err := parseTimings(res)
	if err != nil {
		return errResult("TimeitError", err.Error())
	}
	c.print("%s", timeitReport(loops, runs))
	return ok()
}

// timeitSource generates the Go code that runs the statement: a func literal invoked at once
// (so nothing leaks into the session) that picks the loop count when loops is 0 (1, 10, 100...
// until a run takes 0.2 s), times runs runs of loops iterations and returns
// []int64{loops, ns of run 1, ns of run 2, ...} as the cell's value.
func timeitSource(a timeitArgs) string {
	return fmt.Sprintf(`func() []int64 {
	__quire_run := func(__quire_k int) int64 {
%s
		__quire_t0 := __quire_magic_time.Now()
		for __quire_i := 0; __quire_i < __quire_k; __quire_i++ {
%s
		}
		return int64(__quire_magic_time.Since(__quire_t0))
	}
	__quire_n := %d
	if __quire_n <= 0 {
		for __quire_n = 1; __quire_n < 10000000000; __quire_n *= 10 {
			if __quire_run(__quire_n) >= 200000000 {
				break
			}
		}
	}
	__quire_ts := []int64{int64(__quire_n)}
	for __quire_j := 0; __quire_j < %d; __quire_j++ {
		__quire_ts = append(__quire_ts, __quire_run(__quire_n))
	}
	return __quire_ts
}()`, a.setup, a.stmt, a.loops, a.runs)
}

// parseTimings reads the value of timeitSource's code: "[loops t1 t2 ...]".
func parseTimings(res backend.ExecuteResult) (int64, []time.Duration, error) {
	var text string
	if res.Result != nil {
		text, _ = res.Result.Data["text/plain"].(string)
	}
	fields := strings.Fields(strings.Trim(strings.TrimSpace(text), "[]"))
	if len(fields) < 2 {
		return 0, nil, fmt.Errorf("unexpected timing result %q", text)
	}
	var nums []int64
	for _, f := range fields {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, nil, fmt.Errorf("unexpected timing result %q", text)
		}
		nums = append(nums, n)
	}
	runs := make([]time.Duration, len(nums)-1)
	for i, n := range nums[1:] {
		runs[i] = time.Duration(n)
	}
	return nums[0], runs, nil
}

// timeitReport formats the result as IPython's TimeitResult does, plus its warning about a
// slowest run much slower than the fastest.
func timeitReport(loops int64, runs []time.Duration) string {
	per := make([]float64, len(runs))
	var sum float64
	worst, best := 0.0, math.Inf(1)
	for i, r := range runs {
		per[i] = r.Seconds() / float64(loops)
		sum += per[i]
		worst, best = max(worst, per[i]), min(best, per[i])
	}
	mean := sum / float64(len(per))
	var ss float64
	for _, p := range per {
		ss += (p - mean) * (p - mean)
	}
	std := math.Sqrt(ss / float64(len(per)))
	var b strings.Builder
	if best > 0 && worst > 4*best && worst > 1e-6 {
		fmt.Fprintf(&b, "The slowest run took %.2f times longer than the fastest. This could mean that an intermediate result is being cached.\n", worst/best)
	}
	fmt.Fprintf(&b, "%s ± %s per loop (mean ± std. dev. of %d run%s, %s loop%s each)\n",
		formatTime(mean), formatTime(std), len(runs), plural(len(runs)), thousands(loops), plural(int(loops)))
	return b.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// thousands formats n with commas: 10,000,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
