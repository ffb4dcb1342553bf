package worker

import (
	"fmt"
	"io"
	"log"
	"os"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

// The interpreter's log package is Go's own (yaegi v0.16.1 substitutes a wrapper type for
// log.Logger that lacks SetPrefix and is not a *log.Logger, and a private standard logger that
// log/slog does not see): log.Logger is *log.Logger, log.New and log.Default return real loggers,
// and the package functions use the process's standard logger, whose output is the user's
// stderr. So slog's default handler, which writes through the standard logger, prints to stderr
// as in Go and follows log.SetOutput. Fatal, Fatalf and Fatalln print and then end the cell as
// os.Exit(1) does (see osExit); for loggers from log.New and the standard logger this holds
// until the (*log.Logger).SetOutput method replaces their writer (log.SetOutput keeps it).
//
// What does not work: Lshortfile and Llongfile name a source file of the interpreter, not the
// cell's line (the log package asks the Go runtime for its caller, which is yaegi); the first
// use prints a warning.

// logSymbols returns the interpreter's log package.
func (w *Worker) logSymbols() (interp.Exports, map[reflect.Value][]reflect.Type) {
	fatal := func(s string) {
		_ = log.Output(3, s)
		w.osExit(1)
	}
	syms := map[string]reflect.Value{
		"Default": reflect.ValueOf(log.Default),
		"Fatal":   reflect.ValueOf(func(v ...any) { fatal(fmt.Sprint(v...)) }),
		"Fatalf":  reflect.ValueOf(func(f string, v ...any) { fatal(fmt.Sprintf(f, v...)) }),
		"Fatalln": reflect.ValueOf(func(v ...any) { fatal(fmt.Sprintln(v...)) }),
		"Flags":   reflect.ValueOf(log.Flags),
		"New": reflect.ValueOf(func(out io.Writer, prefix string, flag int) *log.Logger {
			w.fileFlags(flag)
			return log.New(&fatalWriter{w: w, out: out}, prefix, flag)
		}),
		"Output":    reflect.ValueOf(log.Output),
		"Panic":     reflect.ValueOf(log.Panic),
		"Panicf":    reflect.ValueOf(log.Panicf),
		"Panicln":   reflect.ValueOf(log.Panicln),
		"Prefix":    reflect.ValueOf(log.Prefix),
		"Print":     reflect.ValueOf(log.Print),
		"Printf":    reflect.ValueOf(log.Printf),
		"Println":   reflect.ValueOf(log.Println),
		"SetFlags":  reflect.ValueOf(func(flag int) { w.fileFlags(flag); log.SetFlags(flag) }),
		"SetOutput": reflect.ValueOf(func(out io.Writer) { log.SetOutput(&fatalWriter{w: w, out: out}) }),
		"SetPrefix": reflect.ValueOf(log.SetPrefix),
		"Writer": reflect.ValueOf(func() io.Writer {
			switch x := log.Writer().(type) {
			case *fatalWriter:
				return x.out
			case stdLog:
				return os.Stderr
			default:
				return x
			}
		}),
		"Logger": reflect.ValueOf((*log.Logger)(nil)),
	}
	// The functions taking ...any need the interface wrapping (String, Error) of the ones they
	// replace.
	mt := map[reflect.Value][]reflect.Type{}
	for name, v := range syms {
		if ts := stdlib.MapTypes[stdlib.Symbols["log/log"][name]]; ts != nil {
			mt[v] = ts
		}
	}
	return interp.Exports{"log/log": syms}, mt
}

var fileFlagsOnce sync.Once

// fileFlags warns, once, that Lshortfile and Llongfile cannot name the cell's line.
func (w *Worker) fileFlags(flag int) {
	if flag&(log.Lshortfile|log.Llongfile) == 0 {
		return
	}
	fileFlagsOnce.Do(func() {
		_, _ = io.WriteString(w.errW, "quire: log.Lshortfile and log.Llongfile show a source file of the interpreter, not your cell's line "+
			"(yaegi cannot tell the log package where it is in the cell); use %%go where log lines need file:line.\n")
	})
}

// stdLog is the output of the process's standard logger in the worker: the user's stderr.
// Writes by yaegi itself (its log.Panic before an internal error, which the cell reports) are
// dropped, and a Fatal ends the cell (see fatalWriter).
type stdLog struct{ w *Worker }

func (s stdLog) Write(p []byte) (int, error) {
	switch logCaller() {
	case callerYaegi:
		return len(p), nil
	case callerFatal:
		n, err := s.w.errW.Write(p)
		s.w.osExit(1)
		return n, err
	}
	return s.w.errW.Write(p)
}

// fatalWriter is the writer of loggers made by log.New in cells: Fatal methods end the cell
// instead of the process.
type fatalWriter struct {
	w   *Worker
	out io.Writer
}

func (f *fatalWriter) Write(p []byte) (int, error) {
	n, err := f.out.Write(p)
	if logCaller() == callerFatal {
		f.w.osExit(1)
	}
	return n, err
}

const (
	callerUser = iota
	callerYaegi
	callerFatal
)

// logCaller tells who made the log package write: a Fatal method or function, yaegi's own
// code, or anything else.
func logCaller() int {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		switch {
		case strings.HasPrefix(f.Function, "log.(*Logger).Fatal") || strings.HasPrefix(f.Function, "log.Fatal"):
			return callerFatal
		case strings.HasPrefix(f.Function, "log."):
		default:
			// The first caller outside package log.
			if strings.HasPrefix(f.Function, "github.com/traefik/yaegi/") {
				return callerYaegi
			}
			return callerUser
		}
		if !more {
			return callerUser
		}
	}
}
