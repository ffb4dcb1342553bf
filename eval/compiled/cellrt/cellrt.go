// Package cellrt is the runtime that quire links into every compiled cell (%%go). It is not
// meant to be imported by hand.
//
// A compiled cell is an ordinary Go program whose standard output is read by the kernel. The
// program calls Start first; from then on display messages (display.Show, handles, progress
// bars, the executors' reports) and the value of the cell's trailing expression (Show) travel
// on the same standard output as the program's own text, as frames:
//
//	"\x00quire:" JSON "\x00"
//
// with JSON an object {"kind": "display"|"update"|"clear"|"result", "data": bundle,
// "metadata": {...}, "id": "...", "wait": bool}. Sharing one pipe keeps text and displays in the
// order the program produced them; encoding/json never writes a NUL byte, so a frame cannot end
// early. Each frame is one Write on the *os.File, which Go serialises with the program's other
// writes to the same file.
package cellrt

import (
	"encoding/json"
	"os"
	"strings"
	"sync"

	"github.com/quire-go/quire/display"
	"github.com/quire-go/quire/eval/compiled/frame"
)

// Frame is the JSON payload of one frame.
type Frame = frame.Frame

var (
	mu  sync.Mutex
	out *os.File
)

// Start routes display output into frames on the current os.Stdout. Without EnvFrames (the
// program run by hand) it does nothing: displays print their text form, as outside quire.
func Start() {
	if os.Getenv(frame.EnvFrames) != "1" {
		return
	}
	mu.Lock()
	out = os.Stdout
	mu.Unlock()
	display.SetPublisher(publisher{})
}

type publisher struct{}

func (publisher) Publish(m display.Message) {
	f := Frame{Data: m.Data, Metadata: m.Metadata, ID: m.ID, Wait: m.Wait}
	switch m.Kind {
	case display.KindUpdate:
		f.Kind = frame.KindUpdate
	case display.KindClear:
		f.Kind = frame.KindClear
	default:
		f.Kind = frame.KindDisplay
	}
	write(f)
}

// Show publishes the values of the cell's trailing expression as its result (Out). One value
// renders itself (display.Render); several are shown comma separated, as a tuple.
func Show(vs ...any) {
	var data map[string]any
	if len(vs) == 1 {
		data = display.Render(vs[0])
	} else {
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i], _ = display.Render(v)["text/plain"].(string)
		}
		data = map[string]any{"text/plain": strings.Join(parts, ", ")}
	}
	mu.Lock()
	framed := out != nil
	mu.Unlock()
	if !framed {
		s, _ := data["text/plain"].(string)
		os.Stdout.WriteString(s + "\n")
		return
	}
	write(Frame{Kind: frame.KindResult, Data: data})
}

func write(f Frame) {
	b, err := json.Marshal(f)
	if err != nil {
		b, _ = json.Marshal(Frame{Kind: f.Kind, Data: map[string]any{"text/plain": "<display: " + err.Error() + ">"}})
	}
	buf := make([]byte, 0, len(frame.Prefix)+len(b)+1)
	buf = append(buf, frame.Prefix...)
	buf = append(buf, b...)
	buf = append(buf, 0)
	mu.Lock()
	defer mu.Unlock()
	_, _ = out.Write(buf)
}
