package display

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() time.Duration   { return time.Duration(c.ns.Load()) }
func (c *fakeClock) set(d time.Duration)  { c.ns.Store(int64(d)) }
func texts(msgs []Message) (out []string) { return appendTexts(out, msgs) }
func appendTexts(out []string, msgs []Message) []string {
	for _, m := range msgs {
		s, _ := m.Data["text/plain"].(string)
		out = append(out, s)
	}
	return out
}

// waitFor waits until the recorder holds n messages or the deadline passes.
func waitFor(t *testing.T, r *recorder, n int, within time.Duration) []Message {
	t.Helper()
	return r.until(within, func(msgs []Message) bool { return len(msgs) >= n })
}

func TestProgressExactMessages(t *testing.T) {
	r := record(t)
	var clk fakeClock
	b := newBar(10, "work", clk.now, 100*time.Millisecond)
	id := b.Handle().ID()

	clk.set(50 * time.Millisecond)
	b.Add(5) // within the interval: held back, a trailing update is scheduled
	if n := len(r.messages()); n != 1 {
		t.Fatalf("after a quick Add: %d messages, want 1 (the first display)", n)
	}
	clk.set(200 * time.Millisecond)
	msgs := waitFor(t, r, 2, 10*time.Second) // the trailing update
	if len(msgs) != 2 {
		t.Fatalf("trailing update never came: %q", texts(msgs))
	}
	clk.set(300 * time.Millisecond)
	b.Add(5) // reaches the total: sent at once
	clk.set(400 * time.Millisecond)
	b.Done()
	b.Done()  // no second final update
	b.Add(1)  // after Done: counted, not shown
	b.Set(20) // idem

	want := []Message{
		{Kind: KindDisplay, ID: id, Data: Bundle{
			"text/plain": "work [....................] 0% 0/10 0.0s",
			"text/html": `<div style="display:flex;align-items:center;gap:8px;font-family:sans-serif;font-size:13px">` +
				`<span>work</span><div style="width:300px;height:14px;background:#e6e6e6;border-radius:3px;overflow:hidden">` +
				`<div style="width:0.0%;height:100%;background:#4e79a7"></div></div>` +
				`<span style="font-variant-numeric:tabular-nums">0% 0/10 0.0s</span></div>`,
		}},
		{Kind: KindUpdate, ID: id},
		{Kind: KindUpdate, ID: id},
		{Kind: KindUpdate, ID: id, Data: Bundle{
			"text/plain": "work [####################] 100% 10/10 0.4s done",
			"text/html": `<div style="display:flex;align-items:center;gap:8px;font-family:sans-serif;font-size:13px">` +
				`<span>work</span><div style="width:300px;height:14px;background:#e6e6e6;border-radius:3px;overflow:hidden">` +
				`<div style="width:100.0%;height:100%;background:#59a14f"></div></div>` +
				`<span style="font-variant-numeric:tabular-nums">100% 10/10 0.4s done</span></div>`,
		}},
	}
	wantText := []string{
		"work [....................] 0% 0/10 0.0s",
		"work [##########..........] 50% 5/10 0.2s ETA 0.2s",
		"work [####################] 100% 10/10 0.3s",
		"work [####################] 100% 10/10 0.4s done",
	}
	time.Sleep(50 * time.Millisecond) // a stray timer would show up here
	got := r.messages()
	if strings.Join(texts(got), "\n") != strings.Join(wantText, "\n") {
		t.Fatalf("texts:\n%s\nwant\n%s", strings.Join(texts(got), "\n"), strings.Join(wantText, "\n"))
	}
	for i, m := range got {
		if m.Kind != want[i].Kind || m.ID != want[i].ID {
			t.Errorf("message %d: kind %v id %q, want %v %q", i, m.Kind, m.ID, want[i].Kind, want[i].ID)
		}
		if want[i].Data != nil {
			checkBundle(t, "message", m.Data, want[i].Data)
		}
	}
	if b.Count() != 20 {
		t.Errorf("Count = %d, want 20", b.Count())
	}
}

func TestProgressWithoutTotal(t *testing.T) {
	r := record(t)
	var clk fakeClock
	b := newBar(0, "", clk.now, 0) // no interval: every change is sent
	b.Add(3)
	clk.set(90 * time.Second)
	b.Set(7)
	b.Done()
	want := []string{"0 0.0s", "3 0.0s", "7 1m30s", "7 1m30s done"}
	if got := texts(r.messages()); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("texts %q, want %q", got, want)
	}
	if h := r.messages()[3].Data["text/html"].(string); !strings.Contains(h, "width:100.0%;height:100%;background:#a0cbe8") || strings.Contains(h, "<span>") {
		t.Errorf("html without total: %s", h)
	}
}

func TestProgressRateLimit(t *testing.T) {
	r := record(t)
	const total, workers = 100_000, 8
	start := time.Now()
	b := Progress(total, "adds")
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range total / workers {
				b.Add(1)
			}
		}()
	}
	wg.Wait()
	b.Done()
	elapsed := time.Since(start)
	msgs := r.messages()
	// First display, the update reaching the total, Done's update, and at most one update per
	// interval in between (+1 for the interval in progress).
	limit := 3 + int(elapsed/ProgressInterval) + 1
	if len(msgs) > limit {
		t.Errorf("%d Adds in %v sent %d updates, limit %d", total, elapsed, len(msgs), limit)
	}
	last := texts(msgs[len(msgs)-1:])[0]
	if !strings.HasPrefix(last, "adds [####################] 100% 100000/100000 ") || !strings.HasSuffix(last, " done") {
		t.Errorf("last update %q", last)
	}
	if prev := texts(msgs[len(msgs)-2 : len(msgs)-1])[0]; !strings.Contains(prev, "100% 100000/100000") {
		t.Errorf("update before Done %q, want the total reached", prev)
	}
	for i, m := range msgs {
		if (i == 0) != (m.Kind == KindDisplay) || m.ID != b.Handle().ID() {
			t.Errorf("message %d: kind %v id %q", i, m.Kind, m.ID)
		}
	}
	n := len(msgs)
	time.Sleep(3 * ProgressInterval)
	if got := len(r.messages()); got != n {
		t.Errorf("%d updates arrived after Done", got-n)
	}
	t.Logf("%d Adds from %d goroutines in %v: %d messages", total, workers, elapsed, n)
}

func TestProgressTrailingUpdateShowsLastState(t *testing.T) {
	r := record(t)
	b := Progress(1000, "slow")
	for range 3 {
		b.Add(1) // quick successive Adds: at most one goes out at once
	}
	// Without further calls, the trailing update still shows the final count.
	msgs := r.until(10*time.Second, func(msgs []Message) bool {
		return len(msgs) >= 2 && strings.Contains(texts(msgs[len(msgs)-1:])[0], " 3/1000 ")
	})
	if len(msgs) < 2 {
		t.Fatalf("no trailing update: %q", texts(msgs))
	}
	if last := texts(msgs[len(msgs)-1:])[0]; !strings.Contains(last, "0% 3/1000 ") {
		t.Fatalf("last update %q, want 3/1000", last)
	}
	b.Done()
}

func TestProgressShowsItself(t *testing.T) {
	var clk fakeClock
	SetPublisher(&recorder{})
	defer SetPublisher(nil)
	b := newBar(4, "<x>", clk.now, time.Hour)
	b.Set(1)
	clk.set(1500 * time.Millisecond)
	if s := b.String(); s != "<x> [#####...............] 25% 1/4 1.5s ETA 4.5s" {
		t.Errorf("String = %q", s)
	}
	if h := b.HTML(); !strings.Contains(h, "<span>&lt;x&gt;</span>") || !strings.Contains(h, "width:25.0%") {
		t.Errorf("HTML = %s", h)
	}
	b.Done()
}
