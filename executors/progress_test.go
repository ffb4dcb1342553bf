package executors

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quire-go/quire/display"
)

type recordingPublisher struct {
	mu   sync.Mutex
	msgs []display.Message
	at   []time.Time
}

func (p *recordingPublisher) Publish(m display.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, m)
	p.at = append(p.at, time.Now())
}

// A long run shows a progress display, updated in place at a bounded rate.
func TestProgressDisplay(t *testing.T) {
	pub := &recordingPublisher{}
	display.SetPublisher(pub)
	SetProgressDelay(unit / 2)
	defer func() {
		display.SetPublisher(nil)
		SetProgressDelay(-1)
	}()
	r := Threads(Repeat(3, Sleep(5*unit)))
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	pub.mu.Lock()
	defer pub.mu.Unlock()
	if len(pub.msgs) < 3 {
		t.Fatalf("%d display messages, want a display and updates", len(pub.msgs))
	}
	id := pub.msgs[0].ID
	if pub.msgs[0].Kind != display.KindDisplay || id == "" {
		t.Errorf("first message %+v, want a display with an id", pub.msgs[0])
	}
	for i, m := range pub.msgs[1:] {
		if m.Kind != display.KindUpdate || m.ID != id {
			t.Errorf("message %d: kind %v id %q, want updates of %q", i+1, m.Kind, m.ID, id)
		}
	}
	span := pub.at[len(pub.at)-1].Sub(pub.at[0])
	if rate := float64(len(pub.msgs)-1) / span.Seconds(); rate > 10 {
		t.Errorf("%.1f updates/s, want at most 10", rate)
	}
	last, _ := pub.msgs[len(pub.msgs)-1].Data["text/plain"].(string)
	if !strings.Contains(last, "3/3") || !strings.Contains(last, "finished") {
		t.Errorf("last progress %q", last)
	}
	if _, ok := pub.msgs[0].Data["text/html"]; !ok {
		t.Error("progress has no HTML")
	}

	pub.msgs = nil
	pub.mu.Unlock()
	Threads(Repeat(2, Sleep(unit/4)))
	pub.mu.Lock()
	if len(pub.msgs) != 0 {
		t.Errorf("a short run published %d progress messages", len(pub.msgs))
	}
}
