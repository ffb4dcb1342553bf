package notebook

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// RenderOptions control terminal output.
type RenderOptions struct {
	// Color writes ANSI colours: dimmed source, bold headers, red stderr and errors. Without
	// it, ANSI sequences inside tracebacks are removed.
	Color bool
	// Terminal allows redrawing a one-line output in place when a display is updated or
	// cleared and redrawn (progress lines). Without it an updated display is printed again,
	// in its final state, when its cell finishes.
	Terminal bool
	// HideSource leaves the cell's source out of the header.
	HideSource bool
	// Markdown prints whole markdown cells; by default only their headings are printed.
	Markdown bool
}

// TerminalOptions returns the options suited to w: colour and redraws when w is a terminal,
// no colour when NO_COLOR is set (https://no-color.org) or TERM is "dumb".
func TerminalOptions(w io.Writer) RenderOptions {
	tty := IsTerminal(w)
	return RenderOptions{
		Color:    tty && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb",
		Terminal: tty && os.Getenv("TERM") != "dumb",
	}
}

// IsTerminal reports whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiBlue  = "\x1b[34m"
	// up one line, to its start, and erase it.
	ansiRedraw = "\x1b[1A\r\x1b[2K"
)

var ansiSeq = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]`)

// StripANSI removes ANSI escape sequences (as found in tracebacks).
func StripANSI(s string) string { return ansiSeq.ReplaceAllString(s, "") }

func (o RenderOptions) paint(code, s string) string {
	if !o.Color || s == "" {
		return s
	}
	return code + s + ansiReset
}

// header returns "In [n]:" (or "In [ ]:") and the indented source.
func (o RenderOptions) header(c *Cell) string {
	count := " "
	if c.ExecutionCount != nil {
		count = fmt.Sprint(*c.ExecutionCount)
	}
	var b strings.Builder
	b.WriteString(o.paint(ansiBold+ansiGreen, "In ["+count+"]:"))
	b.WriteByte('\n')
	if src := strings.TrimRight(c.Source, "\n"); !o.HideSource && strings.TrimSpace(src) != "" {
		for _, l := range strings.Split(src, "\n") {
			b.WriteString(o.paint(ansiDim, strings.TrimRight("    "+l, " ")))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// markdown returns what is printed for a markdown cell: its headings, or all of it.
func (o RenderOptions) markdown(c *Cell) string {
	if c.CellType != Markdown {
		return ""
	}
	var b strings.Builder
	if o.Markdown {
		b.WriteString(strings.TrimRight(c.Source, "\n"))
		b.WriteString("\n\n")
		return b.String()
	}
	// Lines inside fenced code (``` or ~~~, as lessons show Python) are never headings, even
	// when they start with "#" (a Python comment).
	fence := ""
	for _, l := range strings.Split(c.Source, "\n") {
		t := strings.TrimSpace(l)
		switch {
		case fence == "" && (strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")):
			fence = t[:3]
			continue
		case fence != "":
			if strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(l, "#") {
			b.WriteString(o.paint(ansiBold+ansiBlue, strings.TrimRight(l, " \r")))
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// output returns the terminal text of one output, ending with a newline (empty for an empty
// stream).
func (o RenderOptions) output(out *Output) string {
	var s string
	switch out.OutputType {
	case Stream:
		s = out.Text
		if out.Name == "stderr" {
			s = o.paint(ansiRed, s)
		}
		return s
	case Error:
		tb := strings.Join(out.Traceback, "\n")
		if strings.TrimSpace(StripANSI(tb)) == "" {
			tb = out.EName + ": " + out.EValue
		}
		if !o.Color {
			tb = StripANSI(tb)
		} else if !ansiSeq.MatchString(tb) {
			tb = o.paint(ansiRed, tb)
		}
		return tb + "\n"
	case ExecuteResult, DisplayData:
		s = bundleText(out.Data)
		if out.OutputType == ExecuteResult {
			label := "Out[ ]:"
			if out.ExecutionCount != nil {
				label = fmt.Sprintf("Out[%d]:", *out.ExecutionCount)
			}
			label = o.paint(ansiBold+ansiRed, label)
			if strings.Contains(strings.TrimRight(s, "\n"), "\n") {
				s = label + "\n" + s
			} else {
				s = label + " " + s
			}
		}
	}
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}

// bundleText picks the terminal rendering of a MIME bundle: text/plain, else text/markdown,
// else application/json (indented), else text/latex; otherwise a note naming what is there.
func bundleText(data MIMEBundle) string {
	for _, mime := range []string{"text/plain", "text/markdown"} {
		if s, ok := data[mime].(string); ok {
			return s
		}
	}
	if v, ok := data["application/json"]; ok {
		if b, err := json.MarshalIndent(v, "", "  "); err == nil {
			return string(b)
		}
	}
	if s, ok := data["text/latex"].(string); ok {
		return s
	}
	if len(data) == 0 {
		return ""
	}
	mimes := make([]string, 0, len(data))
	for k := range data {
		mimes = append(mimes, k)
	}
	sort.Strings(mimes)
	parts := make([]string, len(mimes))
	for i, m := range mimes {
		parts[i] = m + " " + humanSize(dataSize(data[m]))
	}
	return "[" + strings.Join(parts, ", ") + ": open the notebook to see it]"
}

func dataSize(v any) int {
	if s, ok := v.(string); ok {
		return len(s)
	}
	b, _ := json.Marshal(v)
	return len(b)
}

func humanSize(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}

// Render prints one cell as `quire run` shows it: a markdown cell's headings, or a code
// cell's header, source and outputs.
func Render(w io.Writer, cell Cell, opts RenderOptions) error {
	var b strings.Builder
	switch cell.CellType {
	case Markdown:
		b.WriteString(opts.markdown(&cell))
	case Code:
		b.WriteString(opts.header(&cell))
		for i := range cell.Outputs {
			s := opts.output(&cell.Outputs[i])
			b.WriteString(s)
			if s != "" && !strings.HasSuffix(s, "\n") && !strings.HasSuffix(s, "\n"+ansiReset) {
				b.WriteByte('\n')
			}
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Printer prints Execute's events as they happen (live output). Pass its Event method as
// ExecOptions.OnEvent. Write errors are remembered and returned by Err.
type Printer struct {
	w    io.Writer
	opts RenderOptions

	mu         sync.Mutex
	err        error
	cell       int
	headerDone bool
	lineStart  bool
	// last is the output printed last, if it was one line in a terminal (redrawable).
	last      *outRef
	redraw    bool
	pending   map[outRef]Output
	pendOrder []outRef
}

// NewPrinter returns a Printer writing to w.
func NewPrinter(w io.Writer, opts RenderOptions) *Printer {
	return &Printer{w: w, opts: opts, cell: -1, lineStart: true, pending: map[outRef]Output{}}
}

// Err returns the first write error.
func (p *Printer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *Printer) write(s string) {
	if s == "" || p.err != nil {
		return
	}
	if _, err := io.WriteString(p.w, s); err != nil {
		p.err = err
		return
	}
	plain := strings.TrimSuffix(s, ansiReset)
	p.lineStart = strings.HasSuffix(plain, "\n")
}

func (p *Printer) newline() {
	if !p.lineStart {
		p.write("\n")
	}
}

func (p *Printer) ensureHeader(c *Cell) {
	if !p.headerDone {
		p.headerDone = true
		p.write(p.opts.header(c))
	}
}

// Event prints ev.
func (p *Printer) Event(ev Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev.Kind {
	case TextCell:
		p.write(p.opts.markdown(ev.Cell))
	case CellStarted:
		p.cell, p.headerDone, p.last, p.redraw = ev.Index, false, nil, false
	case CellInput:
		p.ensureHeader(ev.Cell)
	case StreamText:
		p.ensureHeader(ev.Cell)
		p.last = nil
		t := ev.Text
		if ev.Name == "stderr" {
			t = p.opts.paint(ansiRed, t)
		}
		p.write(t)
	case OutputAdded:
		p.ensureHeader(ev.Cell)
		p.newline()
		s := p.opts.output(ev.Output)
		oneLine := strings.Count(s, "\n") == 1
		if p.redraw && oneLine {
			p.write(ansiRedraw)
		}
		p.redraw = false
		p.write(s)
		p.last = nil
		if p.opts.Terminal && oneLine {
			p.last = &outRef{ev.Index, ev.Pos}
		}
	case OutputUpdated:
		ref := outRef{ev.Index, ev.Pos}
		s := p.opts.output(ev.Output)
		if p.last != nil && *p.last == ref && strings.Count(s, "\n") == 1 {
			p.write(ansiRedraw + s)
			return
		}
		if _, ok := p.pending[ref]; !ok {
			p.pendOrder = append(p.pendOrder, ref)
		}
		p.pending[ref] = *ev.Output
	case OutputsCleared:
		p.redraw = p.last != nil && p.last.cell == ev.Index
		p.last = nil
	case CellFinished:
		p.ensureHeader(ev.Cell)
		p.newline()
		for _, ref := range p.pendOrder {
			o := p.pending[ref]
			p.write(p.opts.output(&o))
		}
		p.pending, p.pendOrder = map[outRef]Output{}, nil
		p.write("\n")
		p.cell = -1
	}
}
