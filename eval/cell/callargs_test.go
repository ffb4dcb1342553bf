package cell

import (
	"reflect"
	"testing"
)

func TestCollectAssigned(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   string
		stmts bool
		want  map[string]bool
	}{
		{"define", "pool := executors.NewProcessPool(2)", true, map[string]bool{"pool": true}},
		{"var", "var tp = executors.NewThreadPool(3)", false, map[string]bool{"tp": true}},
		{"other package", "x := fmt.Sprint(1)", true, map[string]bool{}},
		{"multi-value", "a, b := executors.Two()", true, map[string]bool{}},
		{"syntax error", "x := executors.New(", true, map[string]bool{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]bool{}
			CollectAssigned(tc.src, tc.stmts, "executors", got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("CollectAssigned(%q) = %v, want %v", tc.src, got, tc.want)
			}
		})
	}
}

func TestRewriteCallArgs(t *testing.T) {
	wrap := func(a string) string { return "W(" + a + ")" }
	for _, tc := range []struct {
		name, src, want string
		stmts           bool
	}{
		{"stmts", "h.Update(v, 1+2)\nh.Other(v)", "h.Update(W(v), W(1+2))\nh.Other(v)", true},
		{"decls", "func f() { h.Show(x) }", "func f() { h.Show(W(x)) }", false},
		{"syntax error", "h.Update(v", "h.Update(v", true},
		{"nested", "h.Update(h.Update(v), w)", "h.Update(W(h.Update(W(v))), W(w))", true},
		{"nested twice", "h.Show(f(h.Show(h.Show(a))), b)", "h.Show(W(f(h.Show(W(h.Show(W(a)))))), W(b))", true},
		{"side by side", "h.Show(a); h.Show(b)", "h.Show(W(a)); h.Show(W(b))", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := RewriteCallArgs(tc.src, tc.stmts, func(x, sel string) bool {
				return x == "h" && (sel == "Update" || sel == "Show")
			}, wrap)
			if got != tc.want {
				t.Errorf("RewriteCallArgs(%q) = %q, want %q", tc.src, got, tc.want)
			}
		})
	}
}
