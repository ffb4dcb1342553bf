package cell

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// FuzzBuild checks that Build never panics (it would turn a panic into an "internal error") and
// that every snippet of a plan is valid Go in the mode yaegi will parse it in.
func FuzzBuild(f *testing.F) {
	for _, s := range []string{
		"x := 1",
		"import \"fmt\"\nfmt.Println(1)",
		"for i := range 10 { go func() { println(i) }() }",
		"func f[T any](x T) T { return x }\ny := 1",
		"v, ok := m[k]",
		"outer:\nfor i := 0; i < 3; i++ { i++; defer func() { _ = i }(); continue outer }",
		"min(1, 2.5)",
		"package main\nfunc main() {}",
		"func (p *P[T]) M() {}",
		"go f(a, b...)",
		"switch x := y.(type) { case int: _ = x }",
		"x := `unterminated",
	} {
		f.Add(s)
	}
	known := Known{
		Imports: map[string]string{"fmt": "fmt"}, Funcs: map[string]bool{"f": true},
		Generics: map[string]bool{"G": true}, Ints: map[string]bool{"n": true},
	}
	f.Fuzz(func(t *testing.T, src string) {
		IsComplete(src)
		p, err := Build("cell1", src, known)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("Build(%q): %v", src, err)
			}
			return
		}
		for _, seg := range p.Segments {
			checkParses(t, src, seg.Kind, seg.Src)
		}
		if p.Trailing != "" {
			checkParses(t, src, Stmts, p.ShowSrc("show"))
		}
	})
}

// checkParses parses a snippet the way yaegi does.
func checkParses(t *testing.T, cell string, k Kind, src string) {
	t.Helper()
	var full string
	if k == Stmts {
		if !strings.HasPrefix(src, ";") {
			t.Fatalf("statement snippet without leading ';': %q", src)
		}
		full = "package main; func main() {" + src + "\n}"
	} else {
		full = "package main;" + src
	}
	if _, err := parser.ParseFile(token.NewFileSet(), "x.go", full, parser.SkipObjectResolution); err != nil {
		t.Fatalf("cell %q gave a %v snippet that does not parse: %v\n%s", cell, k, err, src)
	}
}

func BenchmarkBuild(b *testing.B) {
	const src = `import (
	"fmt"
	"sync"
	"time"
)

type Result struct {
	ID    int
	Value float64
}

func work(id int) Result {
	time.Sleep(time.Millisecond)
	return Result{ID: id, Value: float64(id) * 1.5}
}

var mu sync.Mutex
results := map[int]Result{}
var wg sync.WaitGroup
for i := range 8 {
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := work(i)
		mu.Lock()
		results[i] = r
		mu.Unlock()
	}()
}
wg.Wait()
best, ok := results[3]
total := 0.0
for _, r := range results {
	total += r.Value
}
if !ok {
	fmt.Println("missing")
}
fmt.Printf("%d results, best %v\n", len(results), best)
max(total, 1)`
	known := Known{Imports: map[string]string{}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Build("cell1", src, known); err != nil {
			b.Fatal(err)
		}
	}
}
