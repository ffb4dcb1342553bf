package eval

import (
	"strings"
	"testing"
)

func TestExecutorsProcesses(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("fmt"; "github.com/quire-go/quire/executors")
func square(n int) int { return n * n }`)
	got, out := mustOK(t, s, `func greet(name string) string { fmt.Println("hi", name); return "done " + name }
r := executors.Processes(executors.Each(greet, "A", "B"), executors.Quiet())
r2 := executors.Processes(executors.Call(square, 7), executors.Quiet())
fmt.Sprint(r.Err, r2.Err, r2.Results)`)
	if !strings.Contains(out.Stdout(), "hi A") || !strings.Contains(out.Stdout(), "hi B") {
		t.Fatalf("child output: %q", out.Stdout())
	}
	if !strings.Contains(got, "<nil> <nil> [49]") {
		t.Fatalf("results: %q (stderr %q)", got, out.Stderr())
	}
}
