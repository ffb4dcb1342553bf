package cell

import (
	"github.com/quire-go/quire/eval/worker/gostd"
	"github.com/traefik/yaegi/stdlib/generic"
)

// The test sessions' interpreters have quire's generic standard library, as the worker's do
// (Prelude imports iter).
func init() {
	generic.Sources = gostd.Sources()
}
