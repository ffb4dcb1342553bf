package compiled

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval/compiled/frame"
	"github.com/quire-go/quire/eval/internal/group"
	"github.com/quire-go/quire/eval/internal/lines"
)

// RunOptions say how to run a built program.
type RunOptions struct {
	Dir  string   // working directory; default the kernel's
	Env  []string // environment; default os.Environ()
	Args []string // command-line arguments (os.Args[1:])
}

// Outcome is how a run ended.
type Outcome struct {
	// Result is the value of the cell's trailing expression, if it showed one.
	Result *backend.Display
	// Err is nil when the program exited with status 0.
	Err *backend.Error
	// Races counts the race detector's reports.
	Races int
}

// Run runs bin until it exits or ctx ends (which kills its process group), sending its output
// to out: standard output as text and display frames, standard error line by line.
func Run(ctx context.Context, bin string, opt RunOptions, out backend.Output) Outcome {
	cmd := group.Command(ctx, bin, opt.Args...)
	cmd.Dir = opt.Dir
	env := opt.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env[:len(env):len(env)], frame.EnvFrames+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Outcome{Err: &backend.Error{Name: "OSError", Value: err.Error()}}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return Outcome{Err: &backend.Error{Name: "OSError", Value: err.Error()}}
	}
	if err := cmd.Start(); err != nil {
		return Outcome{Err: &backend.Error{Name: "OSError", Value: fmt.Sprintf("starting the cell's program: %v", err)}}
	}
	var (
		mu     sync.Mutex // one Output call at a time
		result *backend.Display
		diag   diagnosis
		wg     sync.WaitGroup
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		fr := frameReader{
			text: func(s string) {
				mu.Lock()
				out.Stream("stdout", s)
				mu.Unlock()
			},
			frame: func(f frame.Frame) {
				mu.Lock()
				defer mu.Unlock()
				switch f.Kind {
				case frame.KindResult:
					result = &backend.Display{Data: f.Data, Metadata: f.Metadata}
				case frame.KindClear:
					out.ClearOutput(f.Wait)
				case frame.KindUpdate:
					out.Display(backend.Display{Data: f.Data, Metadata: f.Metadata, ID: f.ID, Update: true})
				default:
					out.Display(backend.Display{Data: f.Data, Metadata: f.Metadata, ID: f.ID})
				}
			},
		}
		fr.copy(stdout)
	}()
	go func() {
		defer wg.Done()
		lines.Copy(stderr, func(s string) {
			diag.see(s)
			mu.Lock()
			out.Stream("stderr", s)
			mu.Unlock()
		})
	}()
	wg.Wait()
	err = cmd.Wait()
	o := Outcome{Result: result, Races: diag.races}
	if ctx.Err() != nil {
		o.Result = nil
		o.Err = &backend.Error{Name: "KeyboardInterrupt", Value: "interrupted", Traceback: []string{"KeyboardInterrupt: the compiled cell was stopped."}}
		return o
	}
	if err == nil && diag.races == 0 {
		return o
	}
	o.Err = diag.classify(err)
	return o
}

// diagnosis watches standard error for what ended the program.
type diagnosis struct {
	panicMsg, fatal string
	races           int
}

func (d *diagnosis) see(chunk string) {
	for _, l := range strings.Split(chunk, "\n") {
		switch {
		case l == "WARNING: DATA RACE":
			d.races++
		case d.panicMsg == "" && strings.HasPrefix(l, "panic: "):
			d.panicMsg = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(l, "panic: "), " [recovered]"))
		case d.fatal == "" && strings.HasPrefix(l, "fatal error: "):
			d.fatal = strings.TrimPrefix(l, "fatal error: ")
		}
	}
}

func (d *diagnosis) classify(err error) *backend.Error {
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return &backend.Error{Name: "Killed", Value: fmt.Sprintf("the program died with signal %d (%s)", int(ws.Signal()), ws.Signal())}
		}
		code = ee.ExitCode()
	} else if err != nil {
		return &backend.Error{Name: "OSError", Value: err.Error()}
	}
	switch {
	case d.races > 0:
		s := "s"
		if d.races == 1 {
			s = ""
		}
		return &backend.Error{Name: "DataRace", Value: fmt.Sprintf("the race detector found %d data race%s (WARNING: DATA RACE above)", d.races, s)}
	case d.fatal != "":
		return &backend.Error{Name: "fatal error", Value: d.fatal}
	case d.panicMsg != "":
		return &backend.Error{Name: "panic", Value: d.panicMsg}
	}
	return &backend.Error{Name: "Exit", Value: fmt.Sprintf("exit status %d", code)}
}

// frameReader splits a program's standard output into text and cellrt frames.
type frameReader struct {
	text  func(string)
	frame func(frame.Frame)
}

func (fr *frameReader) copy(r io.Reader) {
	prefix := []byte(frame.Prefix)
	buf := make([]byte, 32<<10)
	var pending []byte
	for {
		n, err := r.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			i := bytes.Index(pending, prefix)
			if i < 0 {
				break
			}
			end := bytes.IndexByte(pending[i+len(prefix):], 0)
			if end < 0 {
				// The frame is not complete: emit the text before it, wait for the rest.
				if i > 0 {
					fr.text(string(pending[:i]))
					pending = append(pending[:0], pending[i:]...)
				}
				break
			}
			if i > 0 {
				fr.text(string(pending[:i]))
			}
			var f frame.Frame
			payload := pending[i+len(prefix) : i+len(prefix)+end]
			if jerr := json.Unmarshal(payload, &f); jerr == nil {
				fr.frame(f)
			}
			pending = append(pending[:0], pending[i+len(prefix)+end+1:]...)
		}
		// Emit complete lines of text, keeping a tail that may be the start of a frame.
		hold := 0
		if i := bytes.Index(pending, prefix); i >= 0 {
			hold = len(pending) - i
		} else {
			for k := min(len(prefix)-1, len(pending)); k > 0; k-- {
				if bytes.HasPrefix(prefix, pending[len(pending)-k:]) {
					hold = k
					break
				}
			}
		}
		if cut := bytes.LastIndexByte(pending[:len(pending)-hold], '\n') + 1; cut > 0 {
			fr.text(string(pending[:cut]))
			pending = append(pending[:0], pending[cut:]...)
		}
		if err != nil {
			if len(pending) > 0 {
				fr.text(string(pending))
			}
			return
		}
	}
}
