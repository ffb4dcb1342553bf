package magic

import (
	osexec "os/exec"
	"time"

	"github.com/quire-go/quire/backend/backendtest"
)

// fakeOut records what a magic sends (backendtest.Recorder).
type fakeOut struct{ backendtest.Recorder }

// events returns what the Output received, consecutive writes to one stream merged.
func (f *fakeOut) events() []string { return f.Log(true) }

func (f *fakeOut) stdout() string { return f.Stdout() }
func (f *fakeOut) stderr() string { return f.Stderr() }

// waitOut waits until cond is true, checking each time out receives something, for at most d.
func waitOut(out *fakeOut, d time.Duration, cond func() bool) error { return out.WaitUntil(d, cond) }

func command(name string, args ...string) *osexec.Cmd { return osexec.Command(name, args...) }

var osexecLookPath = osexec.LookPath
