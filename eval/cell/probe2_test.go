package cell

import "testing"

func TestProbe2(t *testing.T) {
	for _, c := range [][]string{
		{"func a() (out []string) { var fns []func() string; for _, w := range []string{\"a\",\"b\",\"c\"} { w := w; fns = append(fns, func() string { return w }) }; for _, f := range fns { out = append(out, f()) }; return }", "a()"},
		{"func a() (out []string) { for _, w := range []string{\"a\",\"b\",\"c\"} { w := w; defer func() { out = append(out, w) }() }; return }", "a()"},
		{"func a() (out []string) { for _, w := range []string{\"a\",\"b\",\"c\"} { w := w; defer func() { out = append(out, w) }() }; return nil }", "a()"},
		{"func a() (out []string) { for _, w := range []string{\"a\",\"b\",\"c\"} { w := w; f := func() { out = append(out, w) }; defer f() }; return }", "a()"},
		{"func a() (out []string) { for _, w := range []string{\"a\",\"b\",\"c\"} { defer func(w string) { out = append(out, w) }(w) }; return }", "a()"},
		{"func a() (out []int) { for i := 0; i < 3; i++ { i := i; defer func() { out = append(out, i) }() }; return }", "a()"},
	} {
		out, res := evalSeq(t, c...)
		t.Logf("%q\n  -> %q out=%q", c, res, out)
	}
}
