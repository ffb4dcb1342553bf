package reliability

import (
	"strings"
	"testing"
	"time"
)

// TestWaitGroupCellThroughKernel (issue 17 item 15): a correct 50-goroutine WaitGroup cell,
// run 2,000 times through the real kernel, always gives Go's answer. Before the yaegi patch
// (third_party/yaegi/PATCHES.md) about 1 run in 200 summed wrong or panicked with
// "reflect.Value.Call: call of nil function".
func TestWaitGroupCellThroughKernel(t *testing.T) {
	k := startKernel(t)
	k.execute("import \"sync\"\nfunc sum50() int {\n\tvar mu sync.Mutex\n\tvar wg sync.WaitGroup\n\ttotal := 0\n\tfor i := 0; i < 50; i++ {\n\t\twg.Add(1)\n\t\tgo func() {\n\t\t\tdefer wg.Done()\n\t\t\tmu.Lock()\n\t\t\ttotal += i\n\t\t\tmu.Unlock()\n\t\t}()\n\t}\n\twg.Wait()\n\treturn total\n}", time.Minute)
	r := k.execute("bad := 0\nfor k := 0; k < 2000; k++ {\n\tif sum50() != 1225 {\n\t\tbad++\n\t}\n}\nbad", 5*time.Minute)
	if r.Status() != "ok" || strings.TrimSpace(resultText(r)) != "0" {
		t.Fatalf("2,000 runs of the WaitGroup cell: status %s, wrong sums %q, error %v", r.Status(), resultText(r), r.Content["evalue"])
	}
}
