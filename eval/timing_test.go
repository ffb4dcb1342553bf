package eval

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/internal/wire"
)

// BenchmarkPlan measures cell.Build for "1+1" (supervisor side).
func BenchmarkPlan(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := cell.Build("cell1.go", "1+1", cell.Known{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWorkerShow measures one show request straight to the worker (no planning), and
// reports the time the worker spent evaluating.
func BenchmarkWorkerShow(b *testing.B) {
	s := newSup(b)
	ctx := context.Background()
	p, err := s.workers.get(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var work time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev, ok := p.run(ctx, wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1), Steps: []wire.Step{{Kind: wire.StepShow, Src: ";__quire.Show(1+1)"}}})
		if !ok || ev.Result["text/plain"] != "2" {
			b.Fatalf("%+v", ev)
		}
		work += time.Duration(ev.Duration)
	}
	b.ReportMetric(float64(work.Microseconds())/float64(b.N), "µs-evaluating")
}

// BenchmarkWorkerStart measures starting a worker until it is ready, plus the prelude.
func BenchmarkWorkerStart(b *testing.B) {
	s := newSup(b)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		p, err := startProc(ctx, s.procConfig())
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := p.run(ctx, wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1), Steps: s.rec.sess.replaySteps(prelude())}); !ok {
			b.Fatal("worker died")
		}
		p.kill()
		<-p.dead
	}
}

// BenchmarkIdleRSS reports the resident memory of an idle worker and of this process.
func BenchmarkIdleRSS(b *testing.B) {
	s := newSup(b)
	for i := 0; i < b.N; i++ {
		mustOK(b, s, "1+1")
	}
	s.rec.mu.Lock()
	pid := s.workers.current().pid
	s.rec.mu.Unlock()
	b.ReportMetric(rssKB(strconv.Itoa(pid))/1024, "MB-worker-RSS")
	b.ReportMetric(rssKB("self")/1024, "MB-supervisor-RSS")
}

func rssKB(pid string) float64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseFloat(f[1], 64)
			return n
		}
	}
	return 0
}
