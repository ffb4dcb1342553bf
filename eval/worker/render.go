//go:generate go run ./internal/genwrappers -o wrappers_gen.go

package worker

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/quire-go/quire/display"
	"github.com/quire-go/quire/eval/exports"
	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// How values of interpreted types reach Show with their methods: yaegi hands a value of an
// interpreted type to a compiled function as its underlying type, without methods, unless the
// callee is listed in the interpreter's MapTypes with interfaces to wrap it in. For each interface
// yaegi then picks a "wrapper" struct (IValue plus one W<Method> func field per method). The
// wrappers in wrappers_gen.go compose a display interface with error and fmt.Stringer, so a type
// with both HTML and String methods keeps both; wrappers without String or Error render their
// text/plain form from the underlying value.

// plainOf is the text/plain fallback for a wrapped value.
func plainOf(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
}

// renderFuncs are the compiled functions whose arguments get wrapped: Show and the display
// package's own entry points.
func mapTypes(errorWrapper reflect.Value, extra ...reflect.Value) interp.Exports {
	ifaces := make([]reflect.Type, 0, len(renderWrappers))
	for _, rw := range renderWrappers {
		ifaces = append(ifaces, rw.Iface)
	}
	m := map[reflect.Value][]reflect.Type{}
	for _, f := range extra {
		m[f] = ifaces
	}
	disp := exports.Symbols["github.com/quire-go/quire/display/display"]
	for _, rw := range renderWrappers {
		var key reflect.Value
		switch rw.Iface.PkgPath() {
		case "":
			key = errorWrapper
		case "fmt":
			key = stdlib.Symbols["fmt/fmt"]["_"+rw.Iface.Name()]
		default:
			key = disp["_"+rw.Iface.Name()]
		}
		if key.IsValid() {
			m[key] = rw.Wrappers
		}
	}
	return interp.Exports{".": {"MapTypes": reflect.ValueOf(m)}}
}

// renderValues builds the bundle of a trailing expression's values: one value renders itself;
// several are shown as Go shows a tuple, comma separated.
func renderValues(vs []any) map[string]any {
	if len(vs) == 1 {
		return display.Render(vs[0])
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		b := display.Render(v)
		parts[i], _ = b["text/plain"].(string)
	}
	return map[string]any{"text/plain": strings.Join(parts, ", ")}
}
