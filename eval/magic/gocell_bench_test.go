package magic

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"
)

// The compiled-cell benchmarks (go test ./eval/magic -run X -bench GoCell):
//
//   - fib30/interpreted: fib(30) in an interpreted cell, the whole cell.
//   - fib30/compiled: the same in a %%go cell whose binary is cached (run only), whole cell;
//     fib-ns is fib(30) timed inside the program.
//   - fib30/gorun: `go run` of the same program (go run's own compile and run), fib-ns inside.
//   - small/warm: a different small %%go cell each time (a real build in the warm work
//     directory and build cache, then the run), whole cell; p50-s is its median.

const fibSrc = "func fib(n int) int {\n\tif n < 2 {\n\t\treturn n\n\t}\n\treturn fib(n-1) + fib(n-2)\n}\n"

const fibTimed = "import (\n\t\"fmt\"\n\t\"time\"\n)\n" + fibSrc + "t0 := time.Now()\nr := fib(30)\nfmt.Println(r, time.Since(t0).Nanoseconds())\n"

var fibOut = regexp.MustCompile(`^832040 (\d+)\n$`)

func BenchmarkGoCell(b *testing.B) {
	if _, err := exec.LookPath("go"); err != nil {
		b.Skip("no go command")
	}
	s, _ := newSup(b, Options{GoCache: b.TempDir()})
	if r, _ := execute(b, s, fibSrc); r.Error != nil {
		b.Fatal(r.Error)
	}
	b.Run("fib30/interpreted", func(b *testing.B) {
		for b.Loop() {
			if r, _ := execute(b, s, "fib(30)"); r.Error != nil {
				b.Fatal(r.Error)
			}
		}
	})
	b.Run("fib30/compiled", func(b *testing.B) {
		if r, _ := execute(b, s, "%%go\n"+fibTimed); r.Error != nil { // build once
			b.Fatal(r.Error)
		}
		var inside []float64
		for b.Loop() {
			r, out := execute(b, s, "%%go\n"+fibTimed)
			m := fibOut.FindStringSubmatch(out.Text("stdout"))
			if r.Error != nil || m == nil {
				b.Fatalf("%+v %q", r.Error, out.Text("stdout"))
			}
			ns, _ := strconv.ParseFloat(m[1], 64)
			inside = append(inside, ns)
		}
		b.ReportMetric(median(inside), "fib-ns")
	})
	b.Run("fib30/gorun", func(b *testing.B) {
		dir := b.TempDir()
		prog := "package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\n" + fibSrc + "\nfunc main() {\n\tt0 := time.Now()\n\tr := fib(30)\n\tfmt.Println(r, time.Since(t0).Nanoseconds())\n}\n"
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(prog), 0o644); err != nil {
			b.Fatal(err)
		}
		var inside []float64
		for b.Loop() {
			cmd := exec.Command("go", "run", "main.go")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=off")
			out, err := cmd.Output()
			m := fibOut.FindStringSubmatch(string(out))
			if err != nil || m == nil {
				b.Fatalf("go run: %v %q", err, out)
			}
			ns, _ := strconv.ParseFloat(m[1], 64)
			inside = append(inside, ns)
		}
		b.ReportMetric(median(inside), "fib-ns")
	})
	b.Run("small/warm", func(b *testing.B) {
		if r, _ := execute(b, s, "%%go\nimport \"fmt\"\nfmt.Println(-1)"); r.Error != nil { // warm the work directory
			b.Fatal(r.Error)
		}
		var walls []float64
		i := 0
		for b.Loop() {
			i++
			t0 := time.Now()
			r, out := execute(b, s, fmt.Sprintf("%%%%go\nimport \"fmt\"\nfmt.Println(%d)", time.Now().UnixNano()+int64(i)))
			walls = append(walls, time.Since(t0).Seconds())
			if r.Error != nil || out.Text("stdout") == "" {
				b.Fatalf("%+v", r.Error)
			}
		}
		b.ReportMetric(median(walls), "p50-s")
	})
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}
