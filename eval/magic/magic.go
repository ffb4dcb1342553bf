// Package magic implements quire's IPython-style magics: cells (or lines) that start with % or
// ! and are handled by the kernel instead of being run as Go.
//
// The model: eval.Supervisor hands every cell whose first non-blank line starts with % or ! to
// Magics.Run, together with an eval.MagicEnv (run Go code in the worker, the session's
// declarations, reset, %go get) and the cell's backend.Output.
//
//   - A cell magic (`%%name args` on the first line) takes the whole rest of the cell as its
//     body: %%time, %%timeit, %%bash, %%writefile, %%python.
//   - A line magic (`%name args`, `!command`) takes the rest of its line. It may stand on any
//     line where a Go statement could start (column 0, outside brackets, strings and comments:
//     cell.MagicLines), mixed with Go code: magics and Go chunks run in order, Go through
//     MagicEnv.Exec, and the cell stops at the first error. The value of a trailing Go chunk
//     is the cell's value.
//   - `%name?` and `%%name?` show the magic's help as a pager payload; `%help` lists them.
//
// Go code that magics generate (timing loops, os.Setenv, os.Chdir, %whos's type probe) runs
// through MagicEnv.Exec inside func literals invoked at once, so nothing the user typed leaks
// into the session. Helper packages are imported under names starting with __quire_magic_
// (for example `import __quire_magic_time "time"`); MagicEnv has no way to run code without
// recording it, so those imports become part of the session (they are hidden from %who).
//
// Shell commands (!cmd, %%bash, %%python) run in the kernel process, in the directory that %cd
// set (the worker's too), with their stdout and stderr streamed line by line. A non-zero exit
// status ends the cell with a CalledProcessError. They stop when Run's context ends or when
// Interrupt is called.
package magic

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval"
	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/lessons"
)

// Options configure the magics.
type Options struct {
	// Logger receives diagnostics. Default: slog.Default().
	Logger *slog.Logger
	// Shell runs `!command` lines (as Shell -c command). Default: /bin/sh.
	Shell string
	// Bash runs %%bash cells (as Bash -c body). Default: bash from PATH, else /bin/sh.
	Bash string
	// Python runs %%python cells. Default: python3 from PATH.
	Python string
	// Dir is the initial working directory for shell commands. Default: the kernel's.
	Dir string
	// Go is the go command that builds %%go cells. Default: $QUIRE_GO, else go on PATH.
	Go string
	// GoCache is where %%go cells are built and their binaries kept. Default:
	// os.UserCacheDir()/quire/gocell.
	GoCache string
}

// Magics implements eval.Magics. Create it with New; one per kernel session.
type Magics struct {
	opts    Options
	log     *slog.Logger
	byName  map[string]*spec
	specs   []*spec
	cursor  *lessons.Cursor
	dir     string   // working directory of the worker and shell commands
	prevDir string   // for %cd -
	helpers []string // helper import paths this session got from us (hidden from %who)
	histLen int      // len(env.History()) when helpers was last updated (detects resets)

	gocell goState // compiled cells (%%go)

	mu     sync.Mutex
	cancel context.CancelFunc // stops the running shell command (Interrupt)
}

var _ eval.Magics = (*Magics)(nil)

// New returns quire's magics, for eval.Options.Magics.
func New(opts Options) *Magics {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Shell == "" {
		opts.Shell = "/bin/sh"
	}
	if opts.Dir == "" {
		opts.Dir, _ = os.Getwd()
	}
	m := &Magics{opts: opts, log: opts.Logger, byName: map[string]*spec{}, cursor: lessons.NewCursor(), dir: opts.Dir}
	m.specs = m.table()
	for _, s := range m.specs {
		m.byName[s.key()] = s
	}
	return m
}

// Interrupt stops the shell command a magic is running, if any (eval.Magics):
// eval.Supervisor's Interrupt and Shutdown call it.
func (m *Magics) Interrupt() {
	m.mu.Lock()
	cancel := m.cancel
	m.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// interruptible returns a context that Interrupt cancels.
func (m *Magics) interruptible(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	m.mu.Lock()
	m.cancel = cancel
	m.mu.Unlock()
	return ctx, func() {
		m.mu.Lock()
		m.cancel = nil
		m.mu.Unlock()
		cancel()
	}
}

// call is one magic invocation.
type call struct {
	ctx  context.Context
	env  eval.MagicEnv
	out  backend.Output
	name string // without % or %%; "!" for a shell line
	args string // the rest of the magic's line, trimmed
	body string // the cell body (cell magics)
	cell bool
}

func (c *call) print(format string, a ...any) { c.out.Stream("stdout", fmt.Sprintf(format, a...)) }

// spec describes one magic.
type spec struct {
	name    string
	cell    bool // %%name
	line    bool // %name (a magic may be both)
	usage   string
	summary string
	help    string
	run     func(m *Magics, c *call) backend.ExecuteResult
}

func (s *spec) key() string { return s.name }

func (s *spec) forms() string {
	var f []string
	if s.line {
		f = append(f, "%"+s.name)
	}
	if s.cell {
		f = append(f, "%%"+s.name)
	}
	if s.name == "!" {
		f = []string{"!command"}
	}
	return strings.Join(f, ", ")
}

// Run handles a cell whose first non-blank line starts with % or !. It handles every such cell.
func (m *Magics) Run(ctx context.Context, cellSrc string, env eval.MagicEnv, out backend.Output) (bool, backend.ExecuteResult) {
	lines := strings.Split(strings.ReplaceAll(cellSrc, "\r\n", "\n"), "\n")
	i := 0
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	if i == len(lines) {
		return false, backend.ExecuteResult{}
	}
	first := strings.TrimSpace(lines[i])
	magicAt := cell.MagicLines(strings.Join(lines, "\n"))
	anyMagic := false
	for _, m := range magicAt {
		anyMagic = anyMagic || m
	}
	if !anyMagic && !strings.HasPrefix(first, "%") && !strings.HasPrefix(first, "!") {
		return false, backend.ExecuteResult{}
	}
	if strings.HasPrefix(first, "%%") {
		name, args := splitName(first[2:])
		c := &call{ctx: ctx, env: env, out: out, name: name, args: args, body: strings.Join(lines[i+1:], "\n"), cell: true}
		return true, m.dispatch(c)
	}
	// Line magics, possibly followed by Go code and more line magics.
	res := backend.ExecuteResult{Status: backend.StatusOK}
	var chunk []string
	flush := func() bool {
		code := strings.Join(chunk, "\n")
		chunk = nil
		if strings.TrimSpace(code) == "" {
			return true
		}
		r, _ := env.Exec(ctx, code)
		res = r
		return r.Status == backend.StatusOK
	}
	for j := i; j < len(lines); j++ {
		line := lines[j]
		isMagic := magicAt[j] || (j == i && (strings.HasPrefix(first, "%") || strings.HasPrefix(first, "!")))
		if !isMagic {
			chunk = append(chunk, line)
			continue
		}
		if !flush() {
			return true, res
		}
		t := strings.TrimSpace(line)
		if name, _ := splitName(strings.TrimPrefix(t, "%%")); strings.HasPrefix(t, "%%") {
			return true, errResult("UsageError", fmt.Sprintf("cell magic %%%%%s must be on the first line of its cell", name))
		}
		var c *call
		if strings.HasPrefix(t, "!") {
			c = &call{ctx: ctx, env: env, out: out, name: "!", args: strings.TrimSpace(t[1:])}
		} else {
			name, args := splitName(t[1:])
			c = &call{ctx: ctx, env: env, out: out, name: name, args: args}
		}
		res = m.dispatch(c)
		if res.Status != backend.StatusOK {
			return true, res
		}
	}
	flush()
	return true, res
}

// splitName splits "name args" (also "name?").
func splitName(s string) (name, args string) {
	s = strings.TrimSpace(s)
	end := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' })
	if end < 0 {
		return s, ""
	}
	return s[:end], strings.TrimSpace(s[end:])
}

func (m *Magics) dispatch(c *call) backend.ExecuteResult {
	if q := strings.TrimRight(c.name, "?"); q != c.name && c.args == "" && strings.TrimSpace(c.body) == "" {
		if s := m.byName[q]; s != nil {
			return backend.ExecuteResult{Status: backend.StatusOK, Payload: []map[string]any{{
				"source": "page", "data": map[string]any{"text/plain": s.longHelp()}, "start": 0,
			}}}
		}
		return m.unknown(q, c.cell)
	}
	s := m.byName[c.name]
	if s == nil || (c.cell && !s.cell) || (!c.cell && !s.line) {
		return m.unknown(c.name, c.cell)
	}
	return s.run(m, c)
}

// unknown reports a magic that does not exist (or not in this form).
func (m *Magics) unknown(name string, cell bool) backend.ExecuteResult {
	kind, prefix := "Line", "%"
	if cell {
		kind, prefix = "Cell", "%%"
	}
	var known []string
	limit := 1 // edit distance of a suggestion
	if len(name) >= 4 {
		limit = 2
	}
	best, bestD := "", limit+1
	for _, s := range m.specs {
		if s.name == "!" {
			continue
		}
		if (cell && s.cell) || (!cell && s.line) {
			known = append(known, prefix+s.name)
			if d := distance(name, s.name); d < bestD {
				best, bestD = prefix+s.name, d
			}
		}
	}
	sort.Strings(known)
	msg := fmt.Sprintf("%s magic function `%s%s` not found.", kind, prefix, name)
	if best != "" {
		msg += fmt.Sprintf(" Did you mean `%s`?", best)
	} else if s := m.byName[name]; s != nil {
		other := "%"
		if !cell {
			other = "%%"
		}
		msg += fmt.Sprintf(" (it exists as `%s%s`)", other, name)
	}
	msg += " Known: " + strings.Join(known, ", ") + ". See %help."
	return errResult("UsageError", msg)
}

// distance is the edit distance between a and b, a swap of neighbours counting as one edit
// (optimal string alignment).
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

func errResult(name, value string, tb ...string) backend.ExecuteResult {
	lines := append([]string{"\x1b[0;31m" + name + "\x1b[0m: " + value}, tb...)
	return backend.ExecuteResult{Status: backend.StatusError, Error: &backend.Error{Name: name, Value: value, Traceback: lines}}
}

func ok() backend.ExecuteResult { return backend.ExecuteResult{Status: backend.StatusOK} }

func usage(s string) backend.ExecuteResult { return errResult("UsageError", "usage: "+s) }
