package magic

import (
	"fmt"
	"testing"
)

func TestScratch(t *testing.T) {
	s, _ := newSup(t, Options{})
	for _, c := range []string{
		"type P struct{ A int; B string }\np := P{1, \"x\"}\nf := func(int) int { return 1 }\nm := map[int]int{}\nfor i := 0; i < 100; i++ { m[i] = i }\nvar e error\nch := make(chan int)",
		"%whos",
		"%time undefinedX",
		"%time y := 5",
		"%who",
		"%timeit -n 3 -r 1 fmt.Print(\"\")",
		"import \"fmt\"\n%timeit -n 2 -r 1 fmt.Println(\"x\")",
		"%lesson 00",
		"%lesson",
		"%timeit for i := 0; i < 1000; i++ {}",
		"%timeit go func() {}()",
		"%%timeit\nvar s []int\nfor i := range 100 { s = append(s, i) }",
		"%env -u X",
		"%help",
	} {
		r, out := execute(t, s, c)
		fmt.Printf("=== %q\n%s", c, out.stdout())
		if out.stderr() != "" {
			fmt.Printf("[stderr] %s", out.stderr())
		}
		for _, d := range out.displays {
			fmt.Printf("[display] %.200q\n", d.Data["text/markdown"])
		}
		if r.Status != "ok" {
			fmt.Printf("[error] %s: %s\n", r.Error.Name, r.Error.Value)
		}
		if r.Payload != nil {
			fmt.Printf("[payload] %.200v\n", r.Payload)
		}
		if r.Result != nil {
			fmt.Printf("[result] %v\n", r.Result.Data["text/plain"])
		}
	}
}
