package plot_test

import (
	"fmt"
	"time"

	"github.com/quire-go/quire/display/plot"
)

func ExampleBar() {
	c := plot.Bar("requests", []string{"/", "/login", "/api"}, []float64{120, 14, 980})
	c.YLabel = "count"
	// In a notebook: display.Show(c), or c as the last expression of a cell.
	fmt.Println(c)
	// Output:
	// requests
	// /       ████                           120
	// /login                                 14
	// /api    ██████████████████████████████ 980
}

func ExampleTimeline() {
	tl := plot.NewTimeline("two workers")
	ms := time.Millisecond
	tl.Add(
		plot.Interval{Lane: "worker 1", Label: "a", Start: 0, End: 300 * ms},
		plot.Interval{Lane: "worker 2", Label: "b", Start: 0, End: 200 * ms},
		plot.Interval{Lane: "worker 2", Label: "c", Start: 200 * ms, End: 450 * ms},
	)
	fmt.Println(tl)
	// Output:
	// two workers
	// worker 1: a 0s–300ms
	// worker 2: b 0s–200ms, c 200ms–450ms
}
