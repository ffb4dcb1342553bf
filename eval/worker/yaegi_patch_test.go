package worker

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// goInLoop starts n goroutines from a func literal in a loop, each recording its iteration
// under a mutex, and returns how many iterations did not run exactly once. With yaegi v0.16.1
// unpatched, a finishing goroutine wrote back a stale value into the frame slot of the func
// literal while the loop was about to call the next one: the go statement then started the
// previous closure a second time (an iteration runs twice, another never) or, on the first
// iteration's slot value, panicked with "reflect.Value.Call: call of nil function"
// (third_party/yaegi/PATCHES.md, patch 1; issue 17 item 15).
const goInLoop = `
import "sync"

func goInLoop(n int) int {
	var mu sync.Mutex
	seen := make([]int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		j := i
		go func() {
			defer wg.Done()
			mu.Lock()
			seen[j]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	bad := 0
	for _, c := range seen {
		if c != 1 {
			bad++
		}
	}
	return bad
}
`

// TestYaegiGoStmtClosureRace runs the 50-goroutine WaitGroup cell of issue 17 in plain yaegi
// (no quire rewriting) until it has run for a few seconds. Unpatched, about 1 run in 130 went
// wrong on this project's 2-core machine (15 of 2,000), so the test failed within its first
// second; -short runs for one second, which still caught it in every trial.
func TestYaegiGoStmtClosureRace(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("the race needs two goroutines running in parallel (GOMAXPROCS >= 2)")
	}
	budget := 5 * time.Second
	if testing.Short() {
		budget = time.Second
	}
	i := interp.New(interp.Options{})
	if err := i.Use(stdlib.Symbols); err != nil {
		t.Fatal(err)
	}
	if _, err := i.Eval(goInLoop); err != nil {
		t.Fatalf("declaring goInLoop: %v", err)
	}
	const goroutines = 50
	call := "goInLoop(" + strconv.Itoa(goroutines) + ")"
	runs := 0
	for t0 := time.Now(); time.Since(t0) < budget; runs++ {
		v, err := i.Eval(call)
		if err != nil {
			t.Fatalf("run %d: %v", runs+1, err)
		}
		if bad := v.Int(); bad != 0 {
			t.Fatalf("run %d: %d of %d goroutines started from a func literal in a loop ran the wrong closure "+
				"(yaegi's getFunc restored a stale frame slot: third_party/yaegi/PATCHES.md)", runs+1, bad, goroutines)
		}
	}
	t.Logf("%d runs of %d goroutines, each closure started exactly once", runs, goroutines)
}
