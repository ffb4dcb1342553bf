package magic

import (
	"context"
	"fmt"
	osexec "os/exec"
	"strings"
	"sync"

	"github.com/quire-go/quire/backend"
)

// fakeOut records what a magic sends.
type fakeOut struct {
	mu       sync.Mutex
	log      []string // "stdout:text", "stderr:text", "display:<markdown or text>"
	displays []backend.Display
}

func (f *fakeOut) Stream(name, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// Merge consecutive writes to one stream (the worker batches output as it likes).
	if n := len(f.log); n > 0 && strings.HasPrefix(f.log[n-1], name+":") {
		f.log[n-1] += text
		return
	}
	f.log = append(f.log, name+":"+text)
}

func (f *fakeOut) Display(d backend.Display) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.displays = append(f.displays, d)
	f.log = append(f.log, fmt.Sprintf("display:%v", d.Data["text/plain"]))
}

func (f *fakeOut) ClearOutput(bool) {}

func (f *fakeOut) Input(context.Context, string, bool) (string, error) {
	return "", backend.ErrNoStdin
}

func (f *fakeOut) events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func (f *fakeOut) text(name string) string {
	var b strings.Builder
	for _, e := range f.events() {
		if s, ok := strings.CutPrefix(e, name+":"); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}

func (f *fakeOut) stdout() string { return f.text("stdout") }
func (f *fakeOut) stderr() string { return f.text("stderr") }

func command(name string, args ...string) *osexec.Cmd { return osexec.Command(name, args...) }

var osexecLookPath = osexec.LookPath
