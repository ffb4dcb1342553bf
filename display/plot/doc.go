// Package plot draws small charts as self-contained SVG, with no dependencies: bar charts
// (Bar, GroupedBar, Histogram), line charts (Line, Lines) and timelines (Timeline). Every chart is a value
// with an SVG method and a String method, so in a quire notebook display.Show(chart), or a
// chart as the last expression of a cell, shows the picture, and a text front end gets a
// summary.
//
//	c := plot.Bar("requests per endpoint", []string{"/", "/login", "/api"}, []float64{120, 14, 980})
//	c.YLabel = "requests"
//	display.Show(c)
//
// The SVG uses inline attributes only (no stylesheet, no external fonts) and is well-formed
// XML; charts are 640 px wide unless Width says otherwise. Axis ticks are "nice" numbers
// (1, 2 or 5 times a power of ten; see NiceTicks).
package plot
