package cell

import "testing"

func TestUndefined(t *testing.T) {
	known := Known{
		Imports: map[string]string{"fmt": "fmt"},
		Vars:    map[string]bool{"old": true},
		Funcs:   map[string]bool{"helper": true},
		Types:   map[string]bool{"T0": true},
	}
	for _, c := range []struct{ src, want string }{
		{"y := undefinedThing + 1", "cell1.go:1:6: undefined: undefinedThing"},
		{"x := 1\ny := x + nope\nz := nope2", "cell1.go:2:10: undefined: nope"},
		{"func f() int { return missing }", "cell1.go:1:23: undefined: missing"},
		{"import . \"strings\"\ny := ToUpper(\"a\")", ""},
		// Everything resolves: no answer.
		{`import "strings"
type P struct{ A int }
func (p P) Get() int { return p.A + later() }
func later() int { return len(strings.Repeat("a", 2)) }
func G[E any](xs []E) E { var z E; return z }
p := P{A: old}
L:
	for i := 0; i < 3; i++ {
		if i > 0 { continue L }
	}
q := struct{ B int }{B: 2}
var r T0
fmt.Println(p.Get(), q.B, r, helper, G([]int{1}), min(1, 2), any(nil), iota0)
const iota0 = iota`, ""},
	} {
		err := Undefined("cell1", c.src, known)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.src, got, c.want)
		}
	}
}
