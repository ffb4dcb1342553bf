package worker

import (
	"fmt"
	"io"
	"reflect"
	"slices"
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
// type's values reach compiled code. A struct type has a reflect type of its own, so its
// nested values are found and given their method's result. A named non-struct type has its
// underlying reflect type (a type Celsius float64 reaches fmt as float64): a nested value of
// that reflect type may or may not be one, so fmt cannot call the method there, and warns
// instead (once per cell and type) that it may print something else than Go.
type nestedMethods struct {
	mu     sync.Mutex
	types  map[reflect.Type]tracked
	basic  map[reflect.Type][]string // "Celsius.String" by underlying reflect type
	warned map[string]bool           // in the running cell
}

// tracked is a type with a String or Error method, and how to call it on a value of the type
// as compiled code holds it (an interpreted func that asserts the type and calls the method).
type tracked struct {
	name string // "Person.String"
	call func(any) string
}

// Wrappers that give fmt the method's result where Go would call the method.
type (
	stringerText string
	errorText    string
)

func (s stringerText) String() string { return string(s) }
func (s errorText) Error() string     { return string(s) }

// noteMethod records that the type of v (a zero value of the receiver type) has the method,
// which call calls.
func (w *Worker) noteMethod(name, method string, v any, call func(any) string) {
	t := reflect.TypeOf(v)
	if t == nil {
		return
	}
	w.nested.mu.Lock()
	defer w.nested.mu.Unlock()
	if e := t; e.Kind() != reflect.Struct && (e.Kind() != reflect.Ptr || e.Elem().Kind() != reflect.Struct) {
		if w.nested.basic == nil {
			w.nested.basic = map[reflect.Type][]string{}
		}
		n := name + "." + method
		if !slices.Contains(w.nested.basic[t], n) {
			w.nested.basic[t] = append(w.nested.basic[t], n)
		}
		return
	}
	if w.nested.types == nil {
		w.nested.types = map[reflect.Type]tracked{}
	}
	w.nested.types[t] = tracked{name: name + "." + method, call: call}
}

// newCellMethods starts a cell: its warnings are new.
func (w *Worker) newCellMethods() {
	w.nested.mu.Lock()
	w.nested.warned = nil
	w.nested.mu.Unlock()
}

// fixNested returns args with the values of tracked types below their top level replaced by
// their method's result, so that fmt prints what Go prints; where it cannot (convert false,
// for %#v and %T; a map keyed by such a value; a method that panics), it warns, once per cell
// and type.
func (w *Worker) fixNested(fn string, args []any, convert bool) []any {
	w.nested.mu.Lock()
	types, basic := w.nested.types, w.nested.basic
	w.nested.mu.Unlock()
	if len(types) == 0 && len(basic) == 0 && convert {
		return args
	}
	c := converter{types: types, basic: basic, budget: 10000, unfixed: map[string]bool{}, maybe: map[string]string{}}
	var out []any
	for i, a := range args {
		if !convert {
			c.checkTyped(reflect.ValueOf(a), 0)
		}
		v, changed := c.conv(reflect.ValueOf(a), 0, convert)
		if changed && v.IsValid() && v.CanInterface() {
			if out == nil {
				out = append([]any(nil), args...)
			}
			out[i] = v.Interface()
		}
	}
	w.warnUnfixed(fn, c.unfixed, c.maybe, c.typed)
	if out == nil || c.budget <= 0 {
		return args
	}
	return out
}

func (w *Worker) warnUnfixed(fn string, unfixed map[string]bool, maybe map[string]string, typed string) {
	w.nested.mu.Lock()
	defer w.nested.mu.Unlock()
	if w.nested.warned == nil {
		w.nested.warned = map[string]bool{}
	}
	for _, n := range sortedNew(unfixed, w.nested.warned, "") {
		typ, method, _ := strings.Cut(n, ".")
		_, _ = io.WriteString(w.errW, fmt.Sprintf("quire: fmt.%s does not call the %s method of the %s values inside a slice, map, struct or pointer here (Go does): "+
			"the interpreter (yaegi v0.16.1) gives compiled packages such nested values without their methods. Run the cell with %%%%go to see what Go prints.\n", fn, method, typ))
	}
	names := map[string]bool{}
	for n := range maybe {
		names[n] = true
	}
	for _, n := range sortedNew(names, w.nested.warned, "maybe ") {
		typ, method, _ := strings.Cut(n, ".")
		under := maybe[n]
		_, _ = io.WriteString(w.errW, fmt.Sprintf("quire: fmt.%s prints any %s values inside a slice, map, struct or pointer here as plain %s, without calling their %s method (Go calls it): "+
			"the interpreter (yaegi v0.16.1) gives compiled packages values of a non-struct type declared in a cell as their underlying type. "+
			"If these are %s values, run the cell with %%%%go to see what Go prints.\n", fn, typ, under, method, typ))
	}
	if typed != "" && !w.nested.warned["%T"] {
		w.nested.warned["%T"] = true
		_, _ = io.WriteString(w.errW, fmt.Sprintf("quire: fmt.%s's %%T and %%#v show a value of a type declared in a cell under another type than Go does (here: %s): "+
			"the interpreter (yaegi v0.16.1) gives compiled packages such values as their underlying type, or in a wrapper. "+
			"If the value is of a type declared in a cell, run the cell with %%%%go to see what Go prints.\n", fn, typed))
	}
}

// sortedNew returns the names not yet warned about (with prefix), marking them warned.
func sortedNew(names, warned map[string]bool, prefix string) []string {
	var out []string
	for n := range names {
		if !warned[prefix+n] {
			warned[prefix+n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

var anyType = reflect.TypeOf((*any)(nil)).Elem()

// converter rebuilds values with tracked nested values replaced by their method's text.
type converter struct {
	types   map[reflect.Type]tracked
	basic   map[reflect.Type][]string
	budget  int
	unfixed map[string]bool   // tracked types met where they could not be replaced
	maybe   map[string]string // non-struct tracked types whose underlying type was met nested: that type
	typed   string            // for %T and %#v: a type declared in a cell met, as it is shown
}

// wrapperPkg is the package path of the wrappers yaegi gives fmt for a value of a type of a
// cell with methods (wrappers_gen.go).
var wrapperPkg = reflect.TypeOf(wString{}).PkgPath()

// checkTyped looks, for %T and %#v, for values whose type fmt shows differently from Go:
// a wrapper of a value with methods, an unnamed struct type (how a struct type declared in a
// cell reaches compiled code), or the underlying type of a tracked non-struct type.
func (c *converter) checkTyped(v reflect.Value, depth int) {
	if !v.IsValid() || depth > 4 || c.typed != "" || c.budget <= 0 {
		return
	}
	c.budget--
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	t := v.Type()
	switch {
	case t.PkgPath() == wrapperPkg && t.Kind() == reflect.Struct && t.NumField() > 0 && t.Field(0).Name == "IValue":
		c.typed = "a value of a type with methods"
		if iv := v.Field(0); iv.Kind() == reflect.Interface && !iv.IsNil() {
			if tr, ok := c.types[iv.Elem().Type()]; ok {
				c.typed, _, _ = strings.Cut(tr.name, ".")
			} else if names := c.basic[iv.Elem().Type()]; len(names) > 0 {
				c.typed, _, _ = strings.Cut(names[0], ".")
			}
		}
		return
	case t.Kind() == reflect.Struct && t.Name() == "":
		c.typed = t.String()
		return
	}
	if names := c.basic[t]; len(names) > 0 {
		typ, _, _ := strings.Cut(names[0], ".")
		c.typed = typ + " (if it is one)"
		return
	}
	switch t.Kind() {
	case reflect.Ptr:
		if !v.IsNil() {
			c.checkTyped(v.Elem(), depth+1)
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len() && i < 100; i++ {
			c.checkTyped(v.Index(i), depth+1)
		}
	case reflect.Map:
		it := v.MapRange()
		for n := 0; it.Next() && n < 100; n++ {
			c.checkTyped(it.Key(), depth+1)
			c.checkTyped(it.Value(), depth+1)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			c.checkTyped(v.Field(i), depth+1)
		}
	}
}

func (c *converter) conv(v reflect.Value, depth int, convert bool) (reflect.Value, bool) {
	if !v.IsValid() || depth > 4 || c.budget <= 0 {
		return v, false
	}
	c.budget--
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return v, false
		}
		v = v.Elem()
	}
	if _, ok := c.types[v.Type()]; ok && depth == 0 {
		return v, false // passed directly: yaegi hands fmt the method
	}
	if depth > 0 {
		for _, n := range c.basic[v.Type()] {
			c.maybe[n] = v.Type().String()
		}
		t, ok := c.types[v.Type()]
		if !ok {
			t, v, ok = c.promoted(v)
		}
		if ok {
			if !convert {
				c.unfixed[t.name] = true
				return v, false
			}
			text, ok := callMethod(t, v)
			if !ok {
				c.unfixed[t.name] = true
				return v, false
			}
			if strings.HasSuffix(t.name, ".Error") {
				return reflect.ValueOf(errorText(text)), true
			}
			return reflect.ValueOf(stringerText(text)), true
		}
	}
	switch v.Kind() {
	case reflect.Ptr:
		if depth == 0 && !v.IsNil() {
			if e, changed := c.conv(v.Elem(), depth, convert); changed {
				p := reflect.New(e.Type())
				p.Elem().Set(e)
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		return c.convList(v, depth, convert)
	case reflect.Map:
		return c.convMap(v, depth, convert)
	case reflect.Struct:
		return c.convStruct(v, depth, convert)
	}
	return v, false
}

func (c *converter) convList(v reflect.Value, depth int, convert bool) (reflect.Value, bool) {
	elems := make([]reflect.Value, v.Len())
	changed := false
	for i := range elems {
		var ch bool
		elems[i], ch = c.conv(v.Index(i), depth+1, convert)
		changed = changed || ch
	}
	if !changed {
		return v, false
	}
	var out reflect.Value
	if v.Kind() == reflect.Slice {
		out = reflect.MakeSlice(reflect.SliceOf(anyType), len(elems), len(elems))
	} else {
		out = reflect.New(reflect.ArrayOf(len(elems), anyType)).Elem()
	}
	for i, e := range elems {
		if e.IsValid() {
			out.Index(i).Set(e)
		}
	}
	return out, true
}

func (c *converter) convMap(v reflect.Value, depth int, convert bool) (reflect.Value, bool) {
	if t, ok := c.types[v.Type().Key()]; ok {
		c.unfixed[t.name] = true // keys: fmt sorts them by the values it is given
		return v, false
	}
	for _, n := range c.basic[v.Type().Key()] {
		c.maybe[n] = v.Type().Key().String()
	}
	out := reflect.MakeMapWithSize(reflect.MapOf(v.Type().Key(), anyType), v.Len())
	changed := false
	it := v.MapRange()
	for it.Next() {
		e, ch := c.conv(it.Value(), depth+1, convert)
		changed = changed || ch
		if !e.IsValid() {
			e = reflect.Zero(anyType)
		}
		out.SetMapIndex(it.Key(), e)
	}
	if !changed {
		return v, false
	}
	return out, true
}

func (c *converter) convStruct(v reflect.Value, depth int, convert bool) (reflect.Value, bool) {
	t := v.Type()
	if t.Name() != "" || t.PkgPath() != "" {
		return v, false // a compiled struct type: fmt sees its own methods
	}
	fields := make([]reflect.StructField, t.NumField())
	vals := make([]reflect.Value, t.NumField())
	changed := false
	for i := range fields {
		f := t.Field(i)
		if !f.IsExported() {
			return v, false
		}
		var ch bool
		vals[i], ch = c.conv(v.Field(i), depth+1, convert)
		fields[i] = reflect.StructField{Name: f.Name, Type: f.Type, Tag: f.Tag}
		if ch {
			fields[i].Type = anyType
			changed = true
		}
	}
	if !changed {
		return v, false
	}
	out := reflect.New(reflect.StructOf(fields)).Elem()
	for i, e := range vals {
		if e.IsValid() {
			out.Field(i).Set(e)
		}
	}
	return out, true
}

// promoted finds, in a struct value of no tracked type, the one embedded field (at the
// shallowest depth that has any) whose tracked method Go promotes to the struct: fmt calls it
// on the struct, as on the field. Two at the same depth make the method ambiguous: none.
func (c *converter) promoted(v reflect.Value) (tracked, reflect.Value, bool) {
	for level := []reflect.Value{v}; len(level) > 0; {
		var next []reflect.Value
		var found []reflect.Value
		var with []tracked
		for _, s := range level {
			if s.Kind() != reflect.Struct {
				continue
			}
			for i := 0; i < s.NumField(); i++ {
				if !s.Type().Field(i).Anonymous {
					continue
				}
				f := s.Field(i)
				if t, ok := c.types[f.Type()]; ok {
					found, with = append(found, f), append(with, t)
					continue
				}
				if f.Kind() == reflect.Ptr {
					if f.IsNil() {
						continue
					}
					f = f.Elem()
				}
				next = append(next, f)
			}
		}
		switch {
		case len(found) == 1:
			return with[0], found[0], true
		case len(found) > 1:
			return tracked{}, v, false
		}
		if len(next) > 20 {
			break
		}
		level = next
	}
	return tracked{}, v, false
}

// callMethod calls the tracked method on v, reporting false if it panics.
func callMethod(t tracked, v reflect.Value) (text string, ok bool) {
	if t.call == nil || !v.CanInterface() {
		return "", false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return t.call(v.Interface()), true
}

// convertsFor reports whether a Printf format lets fmt call String and Error (not %#v, %T).
func convertsFor(format string) bool {
	return !strings.Contains(format, "%#") && !strings.Contains(format, "%T")
}

// checkedFmt wraps the cells' fmt printing functions with fixNested.
func (w *Worker) checkedFmt(syms map[string]reflect.Value) {
	type printer = func(a ...any) (int, error)
	type printerf = func(f string, a ...any) (int, error)
	type fprinter = func(wr io.Writer, a ...any) (int, error)
	type fprinterf = func(wr io.Writer, f string, a ...any) (int, error)
	for _, name := range []string{"Print", "Println"} {
		if f, ok := syms[name].Interface().(printer); ok {
			n := name
			syms[name] = reflect.ValueOf(func(a ...any) (int, error) { return f(w.fixNested(n, a, true)...) })
		}
	}
	if f, ok := syms["Printf"].Interface().(printerf); ok {
		syms["Printf"] = reflect.ValueOf(func(s string, a ...any) (int, error) { return f(s, w.fixNested("Printf", a, convertsFor(s))...) })
	}
	for _, name := range []string{"Fprint", "Fprintln"} {
		if f, ok := syms[name].Interface().(fprinter); ok {
			n := name
			syms[name] = reflect.ValueOf(func(wr io.Writer, a ...any) (int, error) { return f(wr, w.fixNested(n, a, true)...) })
		}
	}
	if f, ok := syms["Fprintf"].Interface().(fprinterf); ok {
		syms["Fprintf"] = reflect.ValueOf(func(wr io.Writer, s string, a ...any) (int, error) {
			return f(wr, s, w.fixNested("Fprintf", a, convertsFor(s))...)
		})
	}
	syms["Sprint"] = reflect.ValueOf(func(a ...any) string { return fmt.Sprint(w.fixNested("Sprint", a, true)...) })
	syms["Sprintln"] = reflect.ValueOf(func(a ...any) string { return fmt.Sprintln(w.fixNested("Sprintln", a, true)...) })
	syms["Sprintf"] = reflect.ValueOf(func(s string, a ...any) string { return fmt.Sprintf(s, w.fixNested("Sprintf", a, convertsFor(s))...) })
	syms["Errorf"] = reflect.ValueOf(func(s string, a ...any) error {
		return fmt.Errorf(s, w.fixNested("Errorf", a, convertsFor(s) && !strings.Contains(s, "%w"))...)
	})
}
