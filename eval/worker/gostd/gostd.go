// Package gostd holds quire's interpreted versions of the generic standard library packages
// (cmp, iter, slices, maps, and the generic funcs of sync and errors), written for what yaegi v0.16.1
// can run: the interpreter cannot call the generic functions of compiled packages. The worker
// hands them to yaegi in place of the interpreter's own go1.22 sources (third_party/yaegi
// PATCHES.md, 3), which miss most of Go 1.26's API and fail on the forms they use
// (S ~[]E constraints).
package gostd

import _ "embed"

var (
	//go:embed cmp.go.src
	cmpSource string
	//go:embed iter.go.src
	iterSource string
	//go:embed slices.go.src
	slicesSource string
	//go:embed maps.go.src
	mapsSource string
	//go:embed sync.go.src
	syncSource string
	//go:embed errors.go.src
	errorsSource string
)

// Sources returns the packages' sources, each one file, in an order where a package comes
// after those it imports.
func Sources() []string {
	return []string{cmpSource, iterSource, slicesSource, mapsSource, syncSource, errorsSource}
}
