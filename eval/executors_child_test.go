package eval

import (
	"strings"
	"testing"
)

// A := global with a side-effect-free value is rebuilt in executors' child processes, like a
// var declaration (its initial value).
func TestExecutorsChildReplaysSimpleDefine(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("fmt"; "github.com/quire-go/quire/executors")`)
	got, out := mustOK(t, s, `c1 := 10
m1 := map[string]int{"a": 1}
func b1(by int) int { c1 += by; return c1 + m1["a"] }
c1 = 100 // the child starts from the initial value
pr := executors.Processes(executors.Call(b1, 3), executors.Quiet())
fmt.Sprint(pr.Results, pr.Err)`)
	if got != `"[14] <nil>"` {
		t.Fatalf("results: %s (stderr %q)", got, out.Stderr())
	}
}

// A func that uses (directly or through another func) a global the child cannot rebuild fails
// in the child with a message naming the variable and what to write instead; funcs that only
// have a parameter or a field of the same name still run.
func TestExecutorsChildMissingGlobal(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("fmt"; "strings"; "github.com/quire-go/quire/executors")`)
	got, out := mustOK(t, s, `c3 := strings.Repeat("a", 2)
func h3() string { return c3 }
func b3() string { return h3() }
type S3 struct{ c3 int }
func ok3(c3 int) int { return c3 }
func ok4(s S3) int { return s.c3 }
pr := executors.Processes(executors.Call(b3), executors.Quiet())
pr2 := executors.Processes(executors.Call(ok3, 2), executors.Call(ok4, S3{5}), executors.Quiet())
fmt.Sprint(pr.Err, "|", pr2.Results, pr2.Err)`)
	for _, want := range []string{"b3 calls h3, which uses c3", "declared with := in cell2.go:1", "var c3 = ", "[2 5] <nil>"} {
		if !strings.Contains(got, want) {
			t.Fatalf("missing %q in %s (stderr %q)", want, got, out.Stderr())
		}
	}
	got, _ = mustOK(t, s, `var c4 = strings.Repeat("b", 2)
func b4() string { return c4 }
fmt.Sprint(executors.Processes(executors.Call(b4), executors.Quiet()).Err)`)
	if !strings.Contains(got, "b4 uses c4, declared in cell3.go:1 with an initial value that calls a function") {
		t.Fatalf("var with a call: %s", got)
	}
}
