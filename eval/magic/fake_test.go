package magic

import (
	"context"
	"fmt"
	osexec "os/exec"
	"strings"
	"time"

	"github.com/quire-go/quire/backend/backendtest"
)

// fakeOut records what a magic sends (backendtest.Recorder).
type fakeOut struct{ backendtest.Recorder }

// events returns what the Output received: "stdout:text", "stderr:text" (consecutive writes to
// one stream merged: the worker batches output as it likes), "display:<text/plain>".
func (f *fakeOut) events() []string {
	var log []string
	for _, e := range f.Events() {
		switch e.Kind {
		case backendtest.StreamEvent:
			if n := len(log); n > 0 && strings.HasPrefix(log[n-1], e.Name+":") {
				log[n-1] += e.Text
				continue
			}
			log = append(log, e.Name+":"+e.Text)
		case backendtest.DisplayEvent:
			log = append(log, fmt.Sprintf("display:%v", e.Display.Data["text/plain"]))
		}
	}
	return log
}

func (f *fakeOut) stdout() string { return f.Stdout() }
func (f *fakeOut) stderr() string { return f.Stderr() }

// waitOut waits until cond is true, checking each time out receives something, for at most d.
func waitOut(out *fakeOut, d time.Duration, cond func() bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return out.WaitFor(ctx, func(*backendtest.Recorder) bool { return cond() })
}

func command(name string, args ...string) *osexec.Cmd { return osexec.Command(name, args...) }

var osexecLookPath = osexec.LookPath
