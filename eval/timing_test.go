package eval

import (
	"context"
	"testing"
	"time"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/internal/wire"
)

func TestTimingBreakdown(t *testing.T) {
	s := newSup(t)
	ctx := context.Background()
	n := 50
	t0 := time.Now()
	for i := 0; i < n; i++ {
		_, _ = cell.Build("cell1.go", "1+1", s.sess.known())
	}
	t.Logf("cell.Build: %v", time.Since(t0)/time.Duration(n))
	p, _ := s.worker(ctx)
	var work time.Duration
	t0 = time.Now()
	for i := 0; i < n; i++ {
		ev, _ := p.run(ctx, wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1), Steps: []wire.Step{{Kind: wire.StepShow, Src: ";__quire.Show(1+1)"}}})
		work += time.Duration(ev.Duration)
	}
	t.Logf("worker request: %v (evaluating %v)", time.Since(t0)/time.Duration(n), work/time.Duration(n))
	t0 = time.Now()
	for i := 0; i < n; i++ {
		_, _ = p.run(ctx, wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1)})
	}
	t.Logf("empty request: %v", time.Since(t0)/time.Duration(n))
}

func TestTimingLines(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("fmt"; "io")`)
	ctx := context.Background()
	p, _ := s.worker(ctx)
	for _, src := range []string{
		";for i := 0; i < 100000; i++ { fmt.Println(i) }",
		";for i := 0; i < 100000; i++ { fmt.Fprintln(io.Discard, i) }",
		";for i := 0; i < 100000; i++ { }",
	} {
		t0 := time.Now()
		ev, _ := p.run(ctx, wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1), Steps: []wire.Step{{Kind: wire.StepEval, Src: src}}})
		t.Logf("%s: total %v, worker %v", src, time.Since(t0), time.Duration(ev.Duration))
	}
}

func TestTimingStart(t *testing.T) {
	s := newSup(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		t0 := time.Now()
		p, err := s.startProc(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Since(t0)
		ev, _ := p.run(ctx, wire.Request{Op: wire.OpExec, ID: s.reqID.Add(1), Steps: s.sess.replaySteps(prelude())})
		t.Logf("process start to ready: %v; prelude replay: %v (worker %v)", t1, time.Since(t0)-t1, time.Duration(ev.Duration))
		p.kill()
	}
}
