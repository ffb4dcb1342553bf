package plot

import (
	"fmt"
	"math"
)

// Histogram is a bar chart counting values into about bins equal-width bins with round edges
// (see NiceTicks); each bar is labelled with its range. NaN and infinite values are skipped.
func Histogram(title string, values []float64, bins int) *Chart {
	if bins < 1 {
		bins = 10
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo > hi {
		return Bar(title, nil, nil)
	}
	edges := NiceTicks(lo, hi, bins+1)
	width := edges[1] - edges[0]
	counts := make([]float64, len(edges)-1)
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		i := int((v - edges[0]) / width) // the last bin includes its top edge
		counts[min(max(i, 0), len(counts)-1)]++
	}
	format := tickFormatter(edges)
	labels := make([]string, len(counts))
	for i := range counts {
		labels[i] = fmt.Sprintf("%s–%s", format(edges[i]), format(edges[i+1]))
	}
	c := Bar(title, labels, counts)
	c.YLabel = "count"
	return c
}
