package worker

import (
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// String and Error methods of types declared in cells, which compiled fmt does not see on
// values nested in slices, arrays, maps, struct fields or pointers (yaegi v0.16.1 hands such
// values over as plain data; it wraps only a value passed directly). Go calls the methods
// there: the fmt functions of cells warn, once per cell and type, when an argument holds such
// a value, so that the different output does not come silently (issue 12, item 4).
//
// The supervisor tells the worker about the methods (NoteMethod, a step after the segment
// declaring them) with a zero value of the receiver type, whose reflect type is how the
// type's values reach compiled code. Only struct types are tracked: a named basic type has
// its underlying reflect type (a type Celsius float64 reaches fmt as float64), which would
// flag every float64; the supervisor notes those at their declaration instead.
type nestedMethods struct {
	mu     sync.Mutex
	types  map[reflect.Type]string // reflect type -> "Person.String"
	warned map[string]bool         // in the running cell
}

// noteMethod records that the type of v (a zero value of the receiver type) has the method.
func (w *Worker) noteMethod(name, method string, v any) {
	t := reflect.TypeOf(v)
	if t == nil {
		return
	}
	if e := t; e.Kind() != reflect.Struct && (e.Kind() != reflect.Ptr || e.Elem().Kind() != reflect.Struct) {
		return
	}
	w.nested.mu.Lock()
	defer w.nested.mu.Unlock()
	if w.nested.types == nil {
		w.nested.types = map[reflect.Type]string{}
	}
	w.nested.types[t] = name + "." + method
}

// newCellMethods starts a cell: its warnings are new.
func (w *Worker) newCellMethods() {
	w.nested.mu.Lock()
	w.nested.warned = nil
	w.nested.mu.Unlock()
}

// checkNested warns when args hold, below their top level, a value of a tracked type.
func (w *Worker) checkNested(fn string, args []any) {
	w.nested.mu.Lock()
	defer w.nested.mu.Unlock()
	if len(w.nested.types) == 0 {
		return
	}
	found := map[string]bool{}
	budget := 10000
	for _, a := range args {
		w.nested.walk(reflect.ValueOf(a), 0, found, &budget)
	}
	var names []string
	for n := range found {
		if !w.nested.warned[n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return
	}
	sort.Strings(names)
	if w.nested.warned == nil {
		w.nested.warned = map[string]bool{}
	}
	for _, n := range names {
		w.nested.warned[n] = true
		typ, method, _ := strings.Cut(n, ".")
		_, _ = io.WriteString(w.errW, fmt.Sprintf("quire: fmt.%s does not call the %s method of the %s values inside a slice, map, struct or pointer here (Go does): "+
			"the interpreter (yaegi v0.16.1) gives compiled packages such nested values without their methods. Run the cell with %%%%go to see what Go prints.\n", fn, method, typ))
	}
}

// walk looks for tracked types in v's elements (depth > 0 only: yaegi wraps a value passed
// directly).
func (m *nestedMethods) walk(v reflect.Value, depth int, found map[string]bool, budget *int) {
	if !v.IsValid() || depth > 4 || *budget <= 0 {
		return
	}
	*budget--
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if depth > 0 {
		if n, ok := m.types[v.Type()]; ok {
			found[n] = true
			return
		}
	}
	switch v.Kind() {
	case reflect.Ptr:
		if depth == 0 && !v.IsNil() {
			m.walk(v.Elem(), depth, found, budget) // fmt prints &{...} at the top level
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len() && *budget > 0; i++ {
			m.walk(v.Index(i), depth+1, found, budget)
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() && *budget > 0 {
			m.walk(it.Key(), depth+1, found, budget)
			m.walk(it.Value(), depth+1, found, budget)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField() && *budget > 0; i++ {
			m.walk(v.Field(i), depth+1, found, budget)
		}
	}
}

// checkedFmt wraps the cells' fmt printing functions with checkNested.
func (w *Worker) checkedFmt(syms map[string]reflect.Value) {
	type printer = func(a ...any) (int, error)
	type printerf = func(f string, a ...any) (int, error)
	type fprinter = func(wr io.Writer, a ...any) (int, error)
	type fprinterf = func(wr io.Writer, f string, a ...any) (int, error)
	for _, name := range []string{"Print", "Println"} {
		if f, ok := syms[name].Interface().(printer); ok {
			n := name
			syms[name] = reflect.ValueOf(func(a ...any) (int, error) { w.checkNested(n, a); return f(a...) })
		}
	}
	if f, ok := syms["Printf"].Interface().(printerf); ok {
		syms["Printf"] = reflect.ValueOf(func(s string, a ...any) (int, error) { w.checkNested("Printf", a); return f(s, a...) })
	}
	for _, name := range []string{"Fprint", "Fprintln"} {
		if f, ok := syms[name].Interface().(fprinter); ok {
			n := name
			syms[name] = reflect.ValueOf(func(wr io.Writer, a ...any) (int, error) { w.checkNested(n, a); return f(wr, a...) })
		}
	}
	if f, ok := syms["Fprintf"].Interface().(fprinterf); ok {
		syms["Fprintf"] = reflect.ValueOf(func(wr io.Writer, s string, a ...any) (int, error) {
			w.checkNested("Fprintf", a)
			return f(wr, s, a...)
		})
	}
	syms["Sprint"] = reflect.ValueOf(func(a ...any) string { w.checkNested("Sprint", a); return fmt.Sprint(a...) })
	syms["Sprintln"] = reflect.ValueOf(func(a ...any) string { w.checkNested("Sprintln", a); return fmt.Sprintln(a...) })
	syms["Sprintf"] = reflect.ValueOf(func(s string, a ...any) string { w.checkNested("Sprintf", a); return fmt.Sprintf(s, a...) })
	syms["Errorf"] = reflect.ValueOf(func(s string, a ...any) error { w.checkNested("Errorf", a); return fmt.Errorf(s, a...) })
}
