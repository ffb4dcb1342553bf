// Package live reads the worker's yaegi symbol tables, for the generator and the staleness
// test of package symtab. Only they import it: it links the interpreter's tables.
package live

import (
	"reflect"
	"sort"
	"strings"

	"github.com/quire-go/quire/eval/exports"
	"github.com/quire-go/quire/executors"
	"github.com/traefik/yaegi/stdlib"
	"github.com/traefik/yaegi/stdlib/unrestricted"
)

// Tables returns, per import path, the sorted exported names the worker's interpreter binds,
// and executors.FuncParamCallees.
func Tables() (map[string][]string, []string) {
	sets := map[string]map[string]bool{}
	for _, table := range []map[string]map[string]reflect.Value{stdlib.Symbols, unrestricted.Symbols, exports.Symbols} {
		for key, syms := range table {
			i := strings.LastIndex(key, "/")
			if i < 0 {
				continue
			}
			p := key[:i]
			if sets[p] == nil {
				sets[p] = map[string]bool{}
			}
			for n := range syms {
				if n != "" && !strings.HasPrefix(n, "_") {
					sets[p][n] = true
				}
			}
		}
	}
	out := map[string][]string{}
	for p, set := range sets {
		names := make([]string, 0, len(set))
		for n := range set {
			names = append(names, n)
		}
		sort.Strings(names)
		out[p] = names
	}
	return out, append([]string(nil), executors.FuncParamCallees...)
}
