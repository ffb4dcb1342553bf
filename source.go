// Package quire embeds the source of the quire packages that compiled cells (%%go) link:
// display, display/plot, executors and the compiled-cell runtime. The kernel writes them into
// its cache and builds cells against them with a replace directive, so a compiled cell needs
// neither the network nor a checkout of quire. These packages import the standard library
// only (a test in eval/compiled keeps it so).
package quire

import "embed"

// Source holds the embedded packages' files, test files included (the extractor skips them).
//
//go:embed display/*.go display/plot/*.go executors/*.go eval/compiled/cellrt/*.go eval/compiled/frame/*.go
var Source embed.FS

// SourcePackages are the import paths (relative to the module) that Source holds.
var SourcePackages = []string{"display", "display/plot", "executors", "eval/compiled/cellrt", "eval/compiled/frame"}
