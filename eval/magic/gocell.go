package magic

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/compiled"
)

// compiledCell is a %%go cell whose program built: its declarations carry over to later
// compiled cells.
type compiledCell struct {
	histLen int // len(env.History()) when it ran: the interpreted cells before it
	file    string
	src     string
}

// goState is what %%go keeps across cells.
type goState struct {
	mu      sync.Mutex
	builder *compiled.Builder
	cells   []compiledCell
	histLen int
}

const goCellUsage = "%%go [-race] [-gcflags FLAGS] [-ldflags FLAGS] [-tags TAGS] [-trimpath] [-print]"

// goEntry implements both %go (line: %go get) and %%go (cell: a compiled cell).
func (m *Magics) goEntry(c *call) backend.ExecuteResult {
	if c.cell {
		return m.goCell(c)
	}
	return m.goMagic(c)
}

// goFlags parses %%go's arguments.
func goFlags(args string) (flags compiled.Flags, print bool, err error) {
	f := strings.Fields(args)
	for i := 0; i < len(f); i++ {
		a := f[i]
		name, val, hasVal := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if !strings.HasPrefix(a, "-") {
			return flags, false, fmt.Errorf("unexpected argument %q", a)
		}
		name = strings.TrimPrefix(name, "-")
		takeVal := func() (string, error) {
			if hasVal {
				return strings.Trim(val, `"'`), nil
			}
			if i+1 >= len(f) {
				return "", fmt.Errorf("-%s needs a value", name)
			}
			i++
			return strings.Trim(f[i], `"'`), nil
		}
		switch name {
		case "race":
			flags.Race = true
		case "trimpath":
			flags.Trimpath = true
		case "print":
			print = true
		case "gcflags":
			if flags.GCFlags, err = takeVal(); err != nil {
				return
			}
		case "ldflags":
			if flags.LDFlags, err = takeVal(); err != nil {
				return
			}
		case "tags":
			if flags.Tags, err = takeVal(); err != nil {
				return
			}
		default:
			return flags, false, fmt.Errorf("unknown flag %s", a)
		}
	}
	return flags, print, nil
}

// goCell implements %%go: the cell is compiled with the session's declarations and run.
func (m *Magics) goCell(c *call) backend.ExecuteResult {
	flags, printOnly, err := goFlags(c.args)
	if err != nil {
		return errResult("UsageError", err.Error()+"; usage: "+goCellUsage)
	}
	if strings.TrimSpace(c.body) == "" {
		return ok()
	}
	g := &m.gocell
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.builder == nil {
		g.builder = compiled.New(compiled.Options{Go: m.opts.Go, CacheDir: m.opts.GoCache, Logger: m.log})
	}
	hist := c.env.History()
	if len(hist) < g.histLen { // %reset (or a reset by the kernel) forgot the session
		g.cells = nil
	}
	g.histLen = len(hist)

	// Earlier cells, interpreted and compiled, in the order they ran.
	var earlier []cell.ProgramCell
	k := 0
	for i, h := range hist {
		for k < len(g.cells) && g.cells[k].histLen <= i {
			earlier = append(earlier, cell.ProgramCell{File: g.cells[k].file, Src: g.cells[k].src})
			k++
		}
		if t := strings.TrimSpace(h); strings.HasPrefix(t, "%") || strings.HasPrefix(t, "!") {
			continue
		}
		earlier = append(earlier, cell.ProgramCell{File: fmt.Sprintf("earlier%d.go", i+1), Src: h})
	}
	for ; k < len(g.cells); k++ {
		earlier = append(earlier, cell.ProgramCell{File: g.cells[k].file, Src: g.cells[k].src})
	}
	file := fmt.Sprintf("cell%d.go", c.env.Request().ExecutionCount)
	// The body starts on the cell's second line: keep the cell's line numbers.
	this := cell.ProgramCell{File: file, Src: "\n" + c.body}
	popts := cell.ProgramOptions{Runtime: compiled.RuntimePath, Executors: compiled.ExecutorsPath}
	prog, err := cell.BuildProgram(earlier, this, popts)
	if err != nil {
		return errResult("CompileError", err.Error())
	}
	if printOnly {
		for _, name := range sortedFiles(prog.Files) {
			c.print("// %s\n%s\n", name, prog.Files[name])
		}
		return ok()
	}

	ctx, done := m.interruptible(c.ctx)
	defer done()
	var outMu sync.Mutex
	progress := func(s string) {
		outMu.Lock()
		c.out.Stream("stderr", s)
		outMu.Unlock()
	}
	slow := time.AfterFunc(3*time.Second, func() {
		what := "quire: compiling the cell (a first build compiles quire's packages once; later builds reuse them)"
		if flags.Race {
			what = "quire: compiling the cell with -race (the first -race build compiles the standard library for the race detector once)"
		}
		progress(what + "...\n")
	})
	b, err := g.builder.Build(ctx, prog.Files, flags, progress)
	var be *compiled.BuildError
	if err != nil && prog.Result && errors.As(err, &be) && noValueAt(be, file, prog.ResultLine) {
		// The trailing expression is a call with no result: run it as a statement.
		popts.NoResult = true
		if prog, err = cell.BuildProgram(earlier, this, popts); err == nil {
			b, err = g.builder.Build(ctx, prog.Files, flags, progress)
		}
	}
	slow.Stop()
	if err != nil {
		if ctx.Err() != nil {
			return errResult("KeyboardInterrupt", "interrupted", "The build was stopped.")
		}
		if errors.As(err, &be) {
			return errResult("CompileError", be.Lines[0], append(be.Lines[1:], localHints(be, prog.Locals)...)...)
		}
		if errors.Is(err, compiled.ErrNoToolchain) {
			return errResult("GoNotInstalled", "%%go needs the Go toolchain: "+strings.TrimPrefix(err.Error(), compiled.ErrNoToolchain.Error()+": ")+". Interpreted cells work without it.")
		}
		return errResult("BuildError", err.Error())
	}
	g.cells = append(g.cells, compiledCell{histLen: len(hist), file: file, src: this.Src})
	m.log.Debug("compiled cell", "file", file, "cached", b.Cached, "build", b.Duration)

	o := compiled.Run(ctx, b.Binary, compiled.RunOptions{Dir: m.dir}, c.out)
	if o.Err != nil {
		return backend.ExecuteResult{Status: backend.StatusError, Error: withTraceback(o.Err)}
	}
	return backend.ExecuteResult{Status: backend.StatusOK, Result: o.Result}
}

func withTraceback(e *backend.Error) *backend.Error {
	if len(e.Traceback) == 0 {
		e.Traceback = []string{"\x1b[0;31m" + e.Name + "\x1b[0m: " + e.Value}
	}
	return e
}

// noValueAt reports the compiler's "... used as value" (as in "f() (no value) used as value")
// at the given line of file.
func noValueAt(be *compiled.BuildError, file string, line int) bool {
	prefix := fmt.Sprintf("%s:%d:", file, line)
	for _, l := range be.Lines {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, "used as value") {
			return true
		}
	}
	return false
}

var undefinedRe = regexp.MustCompile(`undefined: (\w+)`)

// localHints explains "undefined: x" for a variable that an interpreted cell made with :=.
func localHints(be *compiled.BuildError, locals []string) []string {
	isLocal := map[string]bool{}
	for _, l := range locals {
		isLocal[l] = true
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range be.Lines {
		for _, m := range undefinedRe.FindAllStringSubmatch(l, -1) {
			if n := m[1]; isLocal[n] && !seen[n] {
				seen[n] = true
				out = append(out, fmt.Sprintf("hint: %s was made with := in an interpreted cell; compiled cells get the session's declarations (imports, funcs, types, consts, var declarations), not its variables' values. Declare it with var or const, or define it in this cell.", n))
			}
		}
	}
	return out
}

func sortedFiles(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	// main.go first, generated files after.
	sort.Slice(out, func(i, j int) bool {
		if (out[i] == "main.go") != (out[j] == "main.go") {
			return out[i] == "main.go"
		}
		return out[i] < out[j]
	})
	return out
}
