package display

import (
	"fmt"
	"html"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxRows is how many rows Render shows of a table before a "... N more rows" line.
const MaxRows = 50

// maxCell is how many characters of one cell a table shows.
const maxCell = 120

// Table renders v as a table showing at most maxRows rows (all of them when maxRows <= 0), with
// an HTML and an aligned text form. v is a slice or array of structs or of maps, or a map;
// anything else renders as Render(v) does.
func Table(v any, maxRows int) MIME {
	t, ok := tableOf(v, maxRows)
	if !ok {
		return MIME(Render(v))
	}
	return MIME{"text/html": t.HTML(), "text/plain": t.String()}
}

// table is tabular data turned into strings, ready to print.
type table struct {
	cols    []string
	numeric []bool // right-align: every non-empty cell of the column is a number
	rows    [][]string
	total   int // rows in the data, shown or not
}

// tableOf lays v out as a table when it is tabular: a slice or array of structs or maps (or
// pointers to them, or interfaces holding them), or a map (one row per key, in sorted order).
func tableOf(v any, maxRows int) (*table, bool) {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, false
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		recs := make([]reflect.Value, rv.Len())
		for i := range recs {
			recs[i] = deref(rv.Index(i))
		}
		kind, ok := recordKind(rv.Type().Elem(), recs)
		if !ok {
			return nil, false
		}
		return build(nil, recs, rv.Type().Elem(), kind, maxRows)
	case reflect.Map:
		keys := rv.MapKeys()
		ks := make([]string, len(keys))
		for i, k := range keys {
			ks[i], _ = cellString(k)
		}
		order := naturalOrder(ks)
		recs := make([]reflect.Value, len(keys))
		sortedKeys := make([]string, len(keys))
		for i, j := range order {
			recs[i] = deref(rv.MapIndex(keys[j]))
			sortedKeys[i] = ks[j]
		}
		kind, ok := recordKind(rv.Type().Elem(), recs)
		if !ok {
			kind = reflect.Invalid // one "value" column
		}
		if t, ok := build(sortedKeys, recs, rv.Type().Elem(), kind, maxRows); ok {
			return t, true
		}
		return build(sortedKeys, recs, rv.Type().Elem(), reflect.Invalid, maxRows)
	}
	return nil, false
}

// deref follows pointers and interfaces; it returns the zero Value for nil.
func deref(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// recordKind says whether the records are structs (all of one type) or maps, from the static
// element type or, for interface elements, from the records themselves.
func recordKind(elem reflect.Type, recs []reflect.Value) (reflect.Kind, bool) {
	if textual(elem) {
		return reflect.Invalid, false
	}
	for elem.Kind() == reflect.Pointer {
		elem = elem.Elem()
	}
	if textual(elem) {
		return reflect.Invalid, false
	}
	switch elem.Kind() {
	case reflect.Struct, reflect.Map:
		return elem.Kind(), true
	case reflect.Interface:
	default:
		return reflect.Invalid, false
	}
	var kind reflect.Kind
	var typ reflect.Type
	for _, r := range recs {
		if !r.IsValid() {
			continue
		}
		switch {
		case textual(r.Type()):
			return reflect.Invalid, false
		case r.Kind() == reflect.Map && (kind == reflect.Invalid || kind == reflect.Map):
			kind = reflect.Map
		case r.Kind() == reflect.Struct && (typ == nil || typ == r.Type()):
			kind, typ = reflect.Struct, r.Type()
		default:
			return reflect.Invalid, false
		}
	}
	return kind, kind != reflect.Invalid
}

var (
	stringerType = reflect.TypeFor[fmt.Stringer]()
	errorType    = reflect.TypeFor[error]()
)

// textual reports whether values of t print themselves (String or Error): such records are
// shown as one value, not split into fields (time.Time, big.Int, errors...).
func textual(t reflect.Type) bool {
	if t.Kind() == reflect.Interface {
		return false
	}
	return t.Implements(stringerType) || t.Implements(errorType)
}

// build lays out the records (elements of type elem): an optional key column, then the struct fields or the union of
// the map keys (of the rows shown), or a single value column when kind is Invalid.
func build(keys []string, recs []reflect.Value, elem reflect.Type, kind reflect.Kind, maxRows int) (*table, bool) {
	t := &table{total: len(recs)}
	shown := recs
	if maxRows > 0 && len(shown) > maxRows {
		shown = shown[:maxRows]
	}
	var fields []int // struct field indexes
	var mapCols []string
	switch kind {
	case reflect.Struct:
		var typ reflect.Type // the static element type, or that of the records in a []any
		for elem.Kind() == reflect.Pointer {
			elem = elem.Elem()
		}
		if elem.Kind() == reflect.Struct {
			typ = elem
		}
		for _, r := range recs {
			if typ != nil {
				break
			}
			if r.IsValid() {
				typ = r.Type()
			}
		}
		if typ == nil {
			return nil, false
		}
		for i := 0; i < typ.NumField(); i++ {
			if f := typ.Field(i); f.IsExported() && !renamedByInterpreter(typ, f) {
				fields = append(fields, i)
				t.cols = append(t.cols, f.Name)
			}
		}
		if len(fields) == 0 {
			return nil, false
		}
	case reflect.Map:
		seen := map[string]bool{}
		for _, r := range shown {
			if !r.IsValid() {
				continue
			}
			for _, k := range r.MapKeys() {
				s, _ := cellString(k)
				if !seen[s] {
					seen[s] = true
					mapCols = append(mapCols, s)
				}
			}
		}
		sorted := make([]string, len(mapCols))
		for i, j := range naturalOrder(mapCols) {
			sorted[i] = mapCols[j]
		}
		mapCols = sorted
		t.cols = mapCols
	default:
		t.cols = []string{"value"}
	}
	if keys != nil {
		t.cols = append([]string{"key"}, t.cols...)
	}
	t.numeric = make([]bool, len(t.cols))
	hasValue := make([]bool, len(t.cols))
	for i := range t.numeric {
		t.numeric[i] = true
	}
	t.rows = make([][]string, len(shown))
	for i, r := range shown {
		row := make([]string, 0, len(t.cols))
		var nums []bool
		if keys != nil {
			row = append(row, keys[i])
			nums = append(nums, isNumber(keys[i]))
		}
		switch {
		case !r.IsValid(): // a nil record: "<nil>" in its first column
			row, nums = append(row, "<nil>"), append(nums, false)
			for len(row) < len(t.cols) {
				row, nums = append(row, ""), append(nums, false)
			}
		case kind == reflect.Struct:
			for _, f := range fields {
				s, n := cellString(r.Field(f))
				row, nums = append(row, s), append(nums, n)
			}
		case kind == reflect.Map:
			index := map[string]reflect.Value{}
			for _, k := range r.MapKeys() {
				s, _ := cellString(k)
				index[s] = r.MapIndex(k)
			}
			for _, c := range mapCols {
				s, n := "", false
				if v, ok := index[c]; ok {
					s, n = cellString(v)
				}
				row, nums = append(row, s), append(nums, n)
			}
		default:
			s, n := cellString(r)
			row, nums = append(row, s), append(nums, n)
		}
		for c, s := range row {
			if s != "" {
				hasValue[c] = true
				t.numeric[c] = t.numeric[c] && nums[c]
			}
		}
		t.rows[i] = row
	}
	for c := range t.numeric {
		t.numeric[c] = t.numeric[c] && hasValue[c]
	}
	return t, true
}

// renamedByInterpreter reports whether f looks like an unexported field of a type declared in a
// notebook cell: yaegi hands such values over as unnamed struct types whose unexported fields
// are renamed "X" + name (secret becomes Xsecret). Like unexported fields of compiled types,
// they are not shown.
func renamedByInterpreter(typ reflect.Type, f reflect.StructField) bool {
	if typ.Name() != "" || len(f.Name) < 2 || f.Name[0] != 'X' {
		return false
	}
	r, _ := utf8.DecodeRuneInString(f.Name[1:])
	return unicode.IsLower(r) || r == '_'
}

// cellString formats one value for a cell, and says whether it is a number.
func cellString(v reflect.Value) (string, bool) {
	if !v.IsValid() {
		return "", false
	}
	for v.Kind() == reflect.Interface {
		if v.IsNil() {
			return "<nil>", false
		}
		v = v.Elem()
	}
	if !v.CanInterface() {
		return "", false
	}
	x := v.Interface()
	var s string
	numeric := false
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		_, stringer := x.(fmt.Stringer)
		numeric = !stringer
	}
	if _, stringer := x.(fmt.Stringer); !stringer && v.Kind() == reflect.String {
		s = v.String()
	} else {
		s = fmt.Sprint(x)
	}
	if utf8.RuneCountInString(s) > maxCell {
		r := []rune(s)
		s = string(r[:maxCell-1]) + "…"
	}
	return s, numeric
}

func isNumber(s string) bool {
	_, ok := parseNumber(s)
	return ok
}

// naturalOrder returns the indexes of ss in natural order: numbers first, numerically, then
// the other strings lexically.
func naturalOrder(ss []string) []int {
	type key struct {
		num bool
		f   float64
	}
	keys := make([]key, len(ss))
	for i, s := range ss {
		keys[i].f, keys[i].num = parseNumber(s)
	}
	order := make([]int, len(ss))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		ka, kb := keys[order[a]], keys[order[b]]
		switch {
		case ka.num && kb.num:
			return ka.f < kb.f
		case ka.num != kb.num:
			return ka.num
		}
		return ss[order[a]] < ss[order[b]]
	})
	return order
}

// parseNumber parses s as a number, cheaply rejecting strings that cannot be one.
func parseNumber(s string) (float64, bool) {
	if s == "" || !strings.ContainsAny(s[:1], "0123456789+-.IiNn") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// more is the line under a truncated table.
func (t *table) more() string {
	if hidden := t.total - len(t.rows); hidden > 0 {
		return fmt.Sprintf("... %d more rows (%d rows × %d columns)", hidden, t.total, len(t.cols))
	}
	if t.total == 0 {
		return "(no rows)"
	}
	return ""
}

// HTML renders the table; every cell is HTML-escaped.
func (t *table) HTML() string {
	var b strings.Builder
	b.Grow(64 * (len(t.rows) + 1) * (len(t.cols) + 1))
	b.WriteString(`<table style="border-collapse:collapse">` + "\n<thead><tr>")
	for c, name := range t.cols {
		align := "left"
		if t.numeric[c] {
			align = "right"
		}
		fmt.Fprintf(&b, `<th style="text-align:%s">%s</th>`, align, html.EscapeString(name))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, row := range t.rows {
		b.WriteString("<tr>")
		for c, cell := range row {
			if t.numeric[c] {
				b.WriteString(`<td style="text-align:right">`)
			} else {
				b.WriteString(`<td style="text-align:left">`)
			}
			b.WriteString(html.EscapeString(cell))
			b.WriteString("</td>")
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>")
	if m := t.more(); m != "" {
		fmt.Fprintf(&b, "\n<p style=\"font-style:italic\">%s</p>", html.EscapeString(m))
	}
	return b.String()
}

var textCell = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`)

// String renders the table as aligned text: a header, a rule, the rows.
func (t *table) String() string {
	cells := make([][]string, 0, len(t.rows)+1)
	cells = append(cells, t.cols)
	for _, row := range t.rows {
		r := make([]string, len(row))
		for c, s := range row {
			r[c] = textCell.Replace(s)
		}
		cells = append(cells, r)
	}
	width := make([]int, len(t.cols))
	for _, row := range cells {
		for c, s := range row {
			width[c] = max(width[c], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	var l strings.Builder
	line := func(row []string) {
		l.Reset()
		for c, s := range row {
			if c > 0 {
				l.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[c]-utf8.RuneCountInString(s))
			if t.numeric[c] {
				l.WriteString(pad + s)
			} else {
				l.WriteString(s + pad)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " "))
		b.WriteByte('\n')
	}
	line(cells[0])
	rule := make([]string, len(t.cols))
	for c := range rule {
		rule[c] = strings.Repeat("-", width[c])
	}
	line(rule)
	for _, row := range cells[1:] {
		line(row)
	}
	if m := t.more(); m != "" {
		b.WriteString(m + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
