package worker

import (
	"github.com/quire-go/quire/eval/worker/gostd"
	"github.com/traefik/yaegi/stdlib/generic"
)

//go:generate sh -c "go run ./internal/gennewstd > newstd_gen.go"

// yaegi compiles the generic standard library sources in generic.Sources into every
// interpreter when the stdlib symbols are loaded (interp.Use): quire's own versions replace
// the interpreter's go1.22 ones (see package gostd and third_party/yaegi PATCHES.md, 3).
func init() {
	generic.Sources = gostd.Sources()
}
