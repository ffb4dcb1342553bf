package eval

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
)

// BenchmarkRoundTrip measures Execute("1+1") through the worker.
func BenchmarkRoundTrip(b *testing.B) {
	s := newSup(b)
	ctx := context.Background()
	out := &fakeOut{}
	for i := 0; i < b.N; i++ {
		r := s.Execute(ctx, backend.ExecuteRequest{Code: "1+1"}, out)
		if text(r) != "2" {
			b.Fatal(r)
		}
	}
}

// BenchmarkRestart measures a restart with a small session replayed (the cost an interrupt or
// a crash adds before the next cell runs).
func BenchmarkRestart(b *testing.B) {
	s := newSup(b)
	mustOK(b, s, `import ("fmt"; "strings")
type P struct{ A, B int }
func (p P) Sum() int { return p.A + p.B }
func f(x int) int { return x * 2 }
func g(s string) string { return strings.ToUpper(s) + fmt.Sprint(f(2)) }`)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		env := &magicEnv{s: s}
		if _, err := env.Restart(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInterrupt measures Interrupt of `for {}` until Execute returns, then the next cell.
func BenchmarkInterrupt(b *testing.B) {
	s := newSup(b)
	mustOK(b, s, "import \"fmt\"\nfunc keep() int { return 1 }")
	var interruptToReply, interruptToNext time.Duration
	for i := 0; i < b.N; i++ {
		out := &fakeOut{}
		started := interruptOnOutput(b, s, out, "running\n")
		r := runOut(b, s, "fmt.Println(\"running\")\nfor {}", out)
		t0 := <-started
		interruptToReply += time.Since(t0)
		if r.Error == nil || r.Error.Name != "KeyboardInterrupt" {
			b.Fatal(r)
		}
		if got, _ := mustOK(b, s, "keep()"); got != "1" {
			b.Fatal(got)
		}
		interruptToNext += time.Since(t0)
	}
	b.ReportMetric(float64(interruptToReply.Microseconds())/float64(b.N)/1000, "ms-to-reply")
	b.ReportMetric(float64(interruptToNext.Microseconds())/float64(b.N)/1000, "ms-to-next-cell")
}

// BenchmarkLines prints 100,000 lines.
func BenchmarkLines(b *testing.B) {
	s := newSup(b)
	mustOK(b, s, `import "fmt"`)
	for i := 0; i < b.N; i++ {
		_, out := mustOK(b, s, `for i := 0; i < 100000; i++ { fmt.Println(i) }`)
		if n := strings.Count(out.Stdout(), "\n"); n != 100000 {
			b.Fatal(n)
		}
	}
}
