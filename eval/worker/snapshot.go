package worker

import (
	"fmt"
	"math"
	"reflect"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quire-go/quire/eval/internal/wire"
)

// Snapshots of plain-data globals (issue 12, item 5): after a successful cell the supervisor
// names the session's variables, and the worker returns, for each whose value is plain data
// (booleans, numbers, strings, and slices, arrays and maps of them), Go source that recreates
// the value. After a crash or an interrupt the supervisor replays the declarations and then
// assigns these values.

const (
	snapMaxNames = 256     // variables per snapshot
	snapMaxSrc   = 1 << 16 // bytes of source per variable
	snapMaxTotal = 1 << 20 // bytes of source per snapshot
)

// snapshot returns the restore source of the plain-data variables among names. While
// goroutines of the cells may still run (more goroutines than when the first cell ran), maps
// are left out: reading one that a goroutine writes would end the process (concurrent map
// read and map write), which the program itself might never do.
func (w *Worker) snapshot(names []string) map[string]wire.Snap {
	var idents []string
	for _, n := range names {
		if isGoIdent(n) && len(idents) < snapMaxNames {
			idents = append(idents, n)
		}
	}
	busy := w.idleGoroutines == 0 || goroutinesAbove(w.idleGoroutines)
	vals := w.snapValues(idents)
	type cand struct {
		name, typ string
		snap      wire.Snap
	}
	var cands []cand
	total := 0
	for i, name := range idents {
		v := vals[i]
		if !v.IsValid() {
			continue
		}
		typ, ok := plainType(v.Type(), 0)
		if !ok || busy && strings.Contains(typ, "map[") {
			continue
		}
		var b strings.Builder
		if !writeLiteral(&b, v, 0) || b.Len() > snapMaxSrc || total+2*b.Len() > snapMaxTotal {
			continue
		}
		lit := b.String()
		sn := wire.Snap{Value: lit, Typed: lit}
		if v.Kind() <= reflect.Complex128 || v.Kind() == reflect.String {
			sn.Typed = typ + "(" + lit + ")"
		}
		total += len(sn.Value) + len(sn.Typed)
		cands = append(cands, cand{name, typ, sn})
	}
	// The variable's static type must be the value's: a variable of a named type declared
	// in a cell (type Celsius float64) reaches the host as its underlying type. One
	// compilation checks all (then one per variable if that fails).
	var check strings.Builder
	check.WriteString(";_ = func() {")
	for _, c := range cands {
		fmt.Fprintf(&check, " var _ %s = %s;", c.typ, c.name)
	}
	check.WriteString(" }")
	_, err := w.compile(check.String())
	out := map[string]wire.Snap{}
	for _, c := range cands {
		if err == nil || w.hasType(c.name, c.typ) {
			out[c.name] = c.snap
		}
	}
	return out
}

// goroutinesAbove reports whether more than n goroutines are alive, giving those that are
// ending (a request's goroutine that has just returned) a moment to be gone first; a
// goroutine a cell started and that still runs or sleeps keeps the count above n.
func goroutinesAbove(n int) bool {
	for i := range 20 {
		if runtime.NumGoroutine() <= n {
			return false
		}
		if i < 10 {
			runtime.Gosched()
		} else {
			time.Sleep(50 * time.Microsecond)
		}
	}
	return true
}

// settledGoroutines is the number of goroutines once those that are ending are gone: the
// smallest count seen over a few scheduling rounds.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 10 {
		runtime.Gosched()
		n = min(n, runtime.NumGoroutine())
	}
	return n
}

// snapValues returns the values of the variables (the invalid Value for one that cannot be
// read), read through pointers in one evaluation when it compiles.
func (w *Worker) snapValues(names []string) []reflect.Value {
	vals := make([]reflect.Value, len(names))
	if len(names) == 0 {
		return vals
	}
	var src strings.Builder
	src.WriteString(";__quire.SnapValues(")
	for i, n := range names {
		if i > 0 {
			src.WriteString(", ")
		}
		src.WriteString("&" + n)
	}
	src.WriteString(")")
	w.snapGot = nil
	if _, err := w.eval(w.i, src.String()); err == nil && len(w.snapGot) == len(names) {
		for i, p := range w.snapGot {
			if rv := reflect.ValueOf(p); rv.Kind() == reflect.Ptr && !rv.IsNil() {
				vals[i] = rv.Elem()
			}
		}
		w.snapGot = nil
		return vals
	}
	for i, n := range names {
		if v, err := w.eval(w.i, ";"+n); err == nil {
			vals[i] = v
		}
	}
	return vals
}

// hasType reports whether the variable name has a type assignable to typ (a type literal of
// predeclared types), which the interpreter checks without running anything.
func (w *Worker) hasType(name, typ string) bool {
	_, err := w.compile(";_ = func() { var _ " + typ + " = " + name + " }")
	return err == nil
}

// plainType returns the Go source of t when t is plain data made of predeclared types.
func plainType(t reflect.Type, depth int) (string, bool) {
	if depth > 8 || t.PkgPath() != "" {
		return "", false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		if t.Name() != t.Kind().String() {
			return "", false
		}
		return t.Name(), true
	case reflect.Slice:
		e, ok := plainType(t.Elem(), depth+1)
		return "[]" + e, ok
	case reflect.Array:
		e, ok := plainType(t.Elem(), depth+1)
		return fmt.Sprintf("[%d]%s", t.Len(), e), ok
	case reflect.Map:
		k, ok1 := plainType(t.Key(), depth+1)
		e, ok2 := plainType(t.Elem(), depth+1)
		return "map[" + k + "]" + e, ok1 && ok2
	}
	return "", false
}

// writeLiteral writes v as Go source: an untyped constant for basic kinds, a composite
// literal (or T(nil)) for the others. It reports false for values with no constant form (NaN,
// infinities).
func writeLiteral(b *strings.Builder, v reflect.Value, depth int) bool {
	if depth > 8 || b.Len() > snapMaxSrc {
		return false
	}
	switch v.Kind() {
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		return writeFloat(b, v.Float(), v.Type().Bits())
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		bits := v.Type().Bits() / 2
		b.WriteString("complex(")
		if !writeFloat(b, real(c), bits) {
			return false
		}
		b.WriteString(", ")
		if !writeFloat(b, imag(c), bits) {
			return false
		}
		b.WriteString(")")
	case reflect.String:
		b.WriteString(strconv.Quote(v.String()))
	case reflect.Slice, reflect.Map:
		typ, _ := plainType(v.Type(), 0)
		if v.IsNil() {
			b.WriteString(typ + "(nil)")
			return true
		}
		b.WriteString(typ + "{")
		if v.Kind() == reflect.Map {
			keys := v.MapKeys()
			sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
			for i, k := range keys {
				if i > 0 {
					b.WriteString(", ")
				}
				if !writeLiteral(b, k, depth+1) {
					return false
				}
				b.WriteString(": ")
				if !writeLiteral(b, v.MapIndex(k), depth+1) {
					return false
				}
			}
		} else if !writeElems(b, v, depth) {
			return false
		}
		b.WriteString("}")
	case reflect.Array:
		typ, _ := plainType(v.Type(), 0)
		b.WriteString(typ + "{")
		if !writeElems(b, v, depth) {
			return false
		}
		b.WriteString("}")
	default:
		return false
	}
	return true
}

func writeElems(b *strings.Builder, v reflect.Value, depth int) bool {
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if !writeLiteral(b, v.Index(i), depth+1) {
			return false
		}
	}
	return true
}

func writeFloat(b *strings.Builder, f float64, bits int) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return false
	}
	if f == 0 && math.Signbit(f) {
		return false // -0 has no constant form
	}
	b.WriteString(strconv.FormatFloat(f, 'g', -1, bits))
	return true
}

func isGoIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
