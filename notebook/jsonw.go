package notebook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"unicode/utf8"
)

// jsonWriter writes JSON the way Python's json.dumps(obj, sort_keys=True, indent=1,
// ensure_ascii=False, separators=(",", ": ")) does, which is how nbformat writes notebooks:
// object keys sorted, one space of indent per level, empty containers as {} and [], non-ASCII
// characters written as themselves and only '"', '\\' and control characters escaped.
type jsonWriter struct {
	buf bytes.Buffer
}

func (w *jsonWriter) indent(level int) {
	w.buf.WriteByte('\n')
	for range level {
		w.buf.WriteByte(' ')
	}
}

// value writes v, a tree of map[string]any, []any, []string, string, bool, nil, json.Number,
// float64, int and (as a fallback) anything encoding/json can marshal.
func (w *jsonWriter) value(v any, level int) error {
	switch v := v.(type) {
	case nil:
		w.buf.WriteString("null")
	case bool:
		if v {
			w.buf.WriteString("true")
		} else {
			w.buf.WriteString("false")
		}
	case string:
		w.str(v)
	case json.Number:
		w.buf.WriteString(v.String())
	case int:
		w.buf.WriteString(strconv.Itoa(v))
	case int64:
		w.buf.WriteString(strconv.FormatInt(v, 10))
	case float64:
		return w.float(v)
	case []string:
		if len(v) == 0 {
			w.buf.WriteString("[]")
			return nil
		}
		w.buf.WriteByte('[')
		for i, s := range v {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.indent(level + 1)
			w.str(s)
		}
		w.indent(level)
		w.buf.WriteByte(']')
	case []any:
		if len(v) == 0 {
			w.buf.WriteString("[]")
			return nil
		}
		w.buf.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.indent(level + 1)
			if err := w.value(e, level+1); err != nil {
				return err
			}
		}
		w.indent(level)
		w.buf.WriteByte(']')
	case map[string]any:
		return w.object(v, level)
	default:
		// Values built by callers (typed maps, structs): go through encoding/json, decode
		// generically and write that, so the layout stays Jupyter's.
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Map && rv.Len() == 0 {
			w.buf.WriteString("{}")
			return nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("notebook: encode %T: %w", v, err)
		}
		g, err := decodeJSON(b)
		if err != nil {
			return err
		}
		return w.value(g, level)
	}
	return nil
}

func (w *jsonWriter) object(m map[string]any, level int) error {
	if len(m) == 0 {
		w.buf.WriteString("{}")
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // Python sorts str keys by code point; Go compares bytes of UTF-8: same order.
	w.buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		w.indent(level + 1)
		w.str(k)
		w.buf.WriteString(": ")
		if err := w.value(m[k], level+1); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	w.indent(level)
	w.buf.WriteByte('}')
	return nil
}

// float writes f as Python's float repr does (shortest round-trip digits, exponent outside
// 1e-4 <= |f| < 1e16), except that integral values are written without ".0": numbers decoded
// from kernel messages as float64 were integers on the wire.
func (w *jsonWriter) float(f float64) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("notebook: cannot encode %v as JSON", f)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e16 {
		w.buf.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
		return nil
	}
	abs := math.Abs(f)
	if abs >= 1e-4 && abs < 1e16 {
		w.buf.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
		return nil
	}
	w.buf.WriteString(strconv.FormatFloat(f, 'e', -1, 64))
	return nil
}

const hexDigits = "0123456789abcdef"

// str writes s as a JSON string with Python's ensure_ascii=False escaping.
func (w *jsonWriter) str(s string) {
	w.buf.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				w.buf.WriteString(`\"`)
			case '\\':
				w.buf.WriteString(`\\`)
			case '\n':
				w.buf.WriteString(`\n`)
			case '\r':
				w.buf.WriteString(`\r`)
			case '\t':
				w.buf.WriteString(`\t`)
			case '\b':
				w.buf.WriteString(`\b`)
			case '\f':
				w.buf.WriteString(`\f`)
			default:
				if c < 0x20 {
					w.buf.WriteString(`\u00`)
					w.buf.WriteByte(hexDigits[c>>4])
					w.buf.WriteByte(hexDigits[c&0xf])
				} else {
					w.buf.WriteByte(c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			w.buf.WriteString(`\ufffd`)
		} else {
			w.buf.WriteString(s[i : i+size])
		}
		i += size
	}
	w.buf.WriteByte('"')
}

// decodeJSON decodes b generically, keeping numbers as json.Number so they are written back
// exactly as read.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("notebook: decode JSON: %w", err)
	}
	return v, nil
}
