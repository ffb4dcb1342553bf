package cell

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

func evalSeq(t *testing.T, srcs ...string) (string, []string) {
	var out bytes.Buffer
	i := interp.New(interp.Options{Stdout: &out, Stderr: &out})
	i.Use(stdlib.Symbols)
	var res []string
	for _, s := range srcs {
		func() {
			defer func() {
				if r := recover(); r != nil {
					res = append(res, fmt.Sprintf("PANIC %v", r))
				}
			}()
			v, err := i.Eval(s)
			if err != nil {
				res = append(res, "ERR "+err.Error())
				return
			}
			if v.IsValid() && v.CanInterface() {
				res = append(res, fmt.Sprintf("%#v", v.Interface()))
			} else {
				res = append(res, "<invalid>")
			}
		}()
	}
	return out.String(), res
}

func TestProbe(t *testing.T) {
	pre := "func __quire_min[T int|int8|int16|int32|int64|uint|uint8|uint16|uint32|uint64|uintptr|float32|float64|string](a, b T) T { if b < a { return b }; return a }"
	cases := [][]string{
		{"m := map[string]int{\"a\":1}", ";var v, ok = m[\"a\"]", "v", "ok"},
		{"ch := make(chan int, 1); ch <- 4", ";var v, ok = <-ch", "v", "ok"},
		{"var x any = 3", ";var v, ok = x.(int)", "v", "ok"},
		{"func G[T any](x T) T { return x }", ";var y = G(5)", "y", ";y2 := G(6)"},
		{pre, ";a, b := 3, 2", ";x := __quire_min(a, b)", "x"},
		{pre, ";a, b := 3, 2", ";var x = __quire_min(a, b)", "x"},
		{pre, ";a, b := 3.5, 2.0", ";x := a; x = __quire_min(a, b)", "x"},
		{pre, ";f := 3.5", ";__quire_min(f, 2)", ";fmt := 1; _ = fmt", "__quire_min(2, f)"},
		{pre, ";f := 3.5", ";func() { y := __quire_min(f, 2); println(y) }()", ";println(__quire_min(\"b\", \"a\"))"},
		{pre, ";f := 3.5", ";func() { y := __quire_min(__quire_min(f, 2), 1.5); println(y) }()"},
	}
	for _, c := range cases {
		out, res := evalSeq(t, c...)
		t.Logf("%q\n  -> %q out=%q", c, res, out)
	}
}
