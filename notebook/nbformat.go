package notebook

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Cell types.
const (
	Code     = "code"
	Markdown = "markdown"
	Raw      = "raw"
)

// Output types.
const (
	Stream        = "stream"
	DisplayData   = "display_data"
	ExecuteResult = "execute_result"
	Error         = "error"
)

// Notebook is an nbformat 4 notebook. Read accepts 4.0 to 4.5; EnsureIDs upgrades to 4.5.
type Notebook struct {
	Cells         []Cell
	Metadata      map[string]any
	NBFormat      int
	NBFormatMinor int
}

// Cell is one cell. Source is the joined text whether the file held a string or a list of
// lines. Outputs and ExecutionCount are used by code cells only; Attachments by markdown and
// raw cells (nil when absent).
type Cell struct {
	ID             string
	CellType       string
	Source         string
	Metadata       map[string]any
	Attachments    map[string]any
	Outputs        []Output
	ExecutionCount *int
}

// MIMEBundle maps MIME types to data: a string for text types and base64 images, any JSON
// value for application/json and application/*+json.
type MIMEBundle map[string]any

// Output is one output of a code cell. Which fields are used depends on OutputType:
// stream (Name, Text), display_data (Data, Metadata), execute_result (Data, Metadata,
// ExecutionCount), error (EName, EValue, Traceback).
type Output struct {
	OutputType     string
	Name           string
	Text           string
	Data           MIMEBundle
	Metadata       map[string]any
	ExecutionCount *int
	EName          string
	EValue         string
	Traceback      []string
}

// New returns an empty nbformat 4.5 notebook.
func New() *Notebook {
	return &Notebook{Metadata: map[string]any{}, NBFormat: 4, NBFormatMinor: 5}
}

// NewCode returns a code cell with a fresh id.
func NewCode(source string) Cell {
	return Cell{ID: NewCellID(), CellType: Code, Source: source, Metadata: map[string]any{}}
}

// NewMarkdown returns a markdown cell with a fresh id.
func NewMarkdown(source string) Cell {
	return Cell{ID: NewCellID(), CellType: Markdown, Source: source, Metadata: map[string]any{}}
}

// NewCellID returns a random cell id the way nbformat makes them (8 hex digits).
func NewCellID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var cellIDPattern = regexp.MustCompile(`^[a-zA-Z0-9-_]{1,64}$`)

// ValidCellID reports whether id matches nbformat 4.5's cell id pattern.
func ValidCellID(id string) bool { return cellIDPattern.MatchString(id) }

// EnsureIDs upgrades the notebook to nbformat 4.5: every cell without a valid, unique id gets a
// fresh one.
func (nb *Notebook) EnsureIDs() {
	seen := map[string]bool{}
	for i := range nb.Cells {
		c := &nb.Cells[i]
		if !ValidCellID(c.ID) || seen[c.ID] {
			c.ID = NewCellID()
			for seen[c.ID] {
				c.ID = NewCellID()
			}
		}
		seen[c.ID] = true
	}
	if nb.NBFormat == 4 && nb.NBFormatMinor < 5 {
		nb.NBFormatMinor = 5
	}
}

// StripOutputs removes every output and execution count, as a notebook is kept in a
// repository.
func (nb *Notebook) StripOutputs() {
	for i := range nb.Cells {
		if nb.Cells[i].CellType == Code {
			nb.Cells[i].Outputs = nil
			nb.Cells[i].ExecutionCount = nil
		}
	}
}

// PlainText returns the output's text/plain, its stream text or its error line, for quick checks.
func (o *Output) PlainText() string {
	switch o.OutputType {
	case Stream:
		return o.Text
	case Error:
		return o.EName + ": " + o.EValue
	}
	s, _ := o.Data["text/plain"].(string)
	return s
}

// Validate checks the fields nbformat 4.5 requires: version, metadata, cell types, ids
// (pattern and uniqueness), sources, and outputs only on code cells.
func (nb *Notebook) Validate() error {
	var errs []error
	if nb.NBFormat != 4 {
		errs = append(errs, fmt.Errorf("nbformat is %d, want 4", nb.NBFormat))
	}
	if nb.NBFormatMinor != 5 {
		errs = append(errs, fmt.Errorf("nbformat_minor is %d, want 5", nb.NBFormatMinor))
	}
	if nb.Metadata == nil {
		errs = append(errs, errors.New("metadata is missing"))
	}
	seen := map[string]int{}
	for i, c := range nb.Cells {
		switch c.CellType {
		case Code, Markdown, Raw:
		default:
			errs = append(errs, fmt.Errorf("cell %d: cell_type %q", i, c.CellType))
		}
		if !ValidCellID(c.ID) {
			errs = append(errs, fmt.Errorf("cell %d: id %q does not match %s", i, c.ID, cellIDPattern))
		} else if j, dup := seen[c.ID]; dup {
			errs = append(errs, fmt.Errorf("cell %d: id %q already used by cell %d", i, c.ID, j))
		}
		seen[c.ID] = i
		if c.CellType != Code && (len(c.Outputs) > 0 || c.ExecutionCount != nil) {
			errs = append(errs, fmt.Errorf("cell %d: a %s cell has outputs", i, c.CellType))
		}
		for j, o := range c.Outputs {
			switch o.OutputType {
			case Stream:
				if o.Name != "stdout" && o.Name != "stderr" {
					errs = append(errs, fmt.Errorf("cell %d output %d: stream name %q", i, j, o.Name))
				}
			case DisplayData, ExecuteResult, Error:
			default:
				errs = append(errs, fmt.Errorf("cell %d output %d: output_type %q", i, j, o.OutputType))
			}
		}
	}
	return errors.Join(errs...)
}

// ReadFile reads the notebook at path.
func ReadFile(path string) (*Notebook, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notebook: %w", err)
	}
	nb, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return nb, nil
}

// Read reads a notebook from r.
func Read(r io.Reader) (*Notebook, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("notebook: %w", err)
	}
	return Parse(b)
}

// Parse decodes a notebook from its JSON text.
func Parse(b []byte) (*Notebook, error) {
	v, err := decodeJSON(b)
	if err != nil {
		return nil, err
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("notebook: not a JSON object")
	}
	nb := &Notebook{}
	nb.NBFormat = intOf(top["nbformat"])
	nb.NBFormatMinor = intOf(top["nbformat_minor"])
	if nb.NBFormat != 4 {
		return nil, fmt.Errorf("notebook: nbformat %v is not supported (want 4; convert with `jupyter nbconvert --to notebook`)", top["nbformat"])
	}
	nb.Metadata, _ = top["metadata"].(map[string]any)
	if nb.Metadata == nil {
		nb.Metadata = map[string]any{}
	}
	cells, _ := top["cells"].([]any)
	for i, cv := range cells {
		cm, ok := cv.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("notebook: cell %d is not an object", i)
		}
		c, err := parseCell(cm)
		if err != nil {
			return nil, fmt.Errorf("notebook: cell %d: %w", i, err)
		}
		nb.Cells = append(nb.Cells, c)
	}
	return nb, nil
}

func parseCell(m map[string]any) (Cell, error) {
	c := Cell{}
	c.CellType, _ = m["cell_type"].(string)
	c.ID, _ = m["id"].(string)
	src, err := multiline(m["source"])
	if err != nil {
		return c, fmt.Errorf("source: %w", err)
	}
	c.Source = src
	c.Metadata, _ = m["metadata"].(map[string]any)
	if c.Metadata == nil {
		c.Metadata = map[string]any{}
	}
	c.Attachments, _ = m["attachments"].(map[string]any)
	if c.CellType != Code {
		return c, nil
	}
	c.ExecutionCount = intPtr(m["execution_count"])
	outs, _ := m["outputs"].([]any)
	for j, ov := range outs {
		om, ok := ov.(map[string]any)
		if !ok {
			return c, fmt.Errorf("output %d is not an object", j)
		}
		o, err := parseOutput(om)
		if err != nil {
			return c, fmt.Errorf("output %d: %w", j, err)
		}
		c.Outputs = append(c.Outputs, o)
	}
	return c, nil
}

func parseOutput(m map[string]any) (Output, error) {
	o := Output{}
	o.OutputType, _ = m["output_type"].(string)
	switch o.OutputType {
	case Stream:
		o.Name, _ = m["name"].(string)
		t, err := multiline(m["text"])
		if err != nil {
			return o, fmt.Errorf("text: %w", err)
		}
		o.Text = t
	case DisplayData, ExecuteResult:
		data, _ := m["data"].(map[string]any)
		o.Data = joinBundle(data)
		o.Metadata, _ = m["metadata"].(map[string]any)
		if o.Metadata == nil {
			o.Metadata = map[string]any{}
		}
		if o.OutputType == ExecuteResult {
			o.ExecutionCount = intPtr(m["execution_count"])
		}
	case Error:
		o.EName, _ = m["ename"].(string)
		o.EValue, _ = m["evalue"].(string)
		tb, _ := m["traceback"].([]any)
		o.Traceback = []string{}
		for _, l := range tb {
			s, _ := l.(string)
			o.Traceback = append(o.Traceback, s)
		}
	default:
		return o, fmt.Errorf("unknown output_type %q", o.OutputType)
	}
	return o, nil
}

// isJSONMIME reports whether a MIME type holds a JSON value rather than text.
func isJSONMIME(mime string) bool {
	return mime == "application/json" || strings.HasPrefix(mime, "application/") && strings.HasSuffix(mime, "+json")
}

// splitMIME reports whether nbformat writes a MIME type's string value as a list of lines.
func splitMIME(mime string) bool {
	return strings.HasPrefix(mime, "text/") || mime == "application/javascript" || mime == "image/svg+xml"
}

// joinBundle turns list-of-lines values back into strings (nbformat's _rejoin_mimebundle).
func joinBundle(data map[string]any) MIMEBundle {
	b := MIMEBundle{}
	for k, v := range data {
		if l, ok := v.([]any); ok && !isJSONMIME(k) {
			if s, err := multiline(l); err == nil {
				b[k] = s
				continue
			}
		}
		b[k] = v
	}
	return b
}

// multiline accepts a string or a list of strings (joined).
func multiline(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []any:
		var b strings.Builder
		for _, l := range v {
			s, ok := l.(string)
			if !ok {
				return "", fmt.Errorf("list item %T is not a string", l)
			}
			b.WriteString(s)
		}
		return b.String(), nil
	case []string:
		return strings.Join(v, ""), nil
	}
	return "", fmt.Errorf("%T is neither a string nor a list of strings", v)
}

func intOf(v any) int {
	switch v := v.(type) {
	case json.Number:
		n, _ := v.Int64()
		return int(n)
	case float64:
		return int(v)
	case int:
		return v
	}
	return 0
}

func intPtr(v any) *int {
	switch v.(type) {
	case json.Number, float64, int:
		n := intOf(v)
		return &n
	}
	return nil
}

// splitLines splits s after each line break, as Python's str.splitlines(keepends=True) does
// (nbformat writes sources that way).
func splitLines(s string) []string {
	lines := []string{}
	start := 0
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= 0x80 {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		end := -1
		switch r {
		case '\r':
			end = i + 1
			if i+1 < len(s) && s[i+1] == '\n' {
				end = i + 2
			}
		case '\n', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
			end = i + size
		}
		if end >= 0 {
			lines = append(lines, s[start:end])
			start, i = end, end
			continue
		}
		i += size
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

// Marshal encodes the notebook as nbformat writes it: keys sorted, indent of one space,
// multi-line strings as lists of lines, a final newline.
func Marshal(nb *Notebook) ([]byte, error) {
	cells := make([]any, 0, len(nb.Cells))
	for _, c := range nb.Cells {
		cells = append(cells, c.jsonValue())
	}
	meta := nb.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	top := map[string]any{
		"cells":          cells,
		"metadata":       meta,
		"nbformat":       nb.NBFormat,
		"nbformat_minor": nb.NBFormatMinor,
	}
	var w jsonWriter
	if err := w.value(top, 0); err != nil {
		return nil, err
	}
	w.buf.WriteByte('\n')
	return w.buf.Bytes(), nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func (c Cell) jsonValue() map[string]any {
	m := map[string]any{
		"cell_type": c.CellType,
		"metadata":  orEmpty(c.Metadata),
		"source":    splitLines(c.Source),
	}
	if c.ID != "" {
		m["id"] = c.ID
	}
	if c.CellType == Code {
		if c.ExecutionCount != nil {
			m["execution_count"] = *c.ExecutionCount
		} else {
			m["execution_count"] = nil
		}
		outs := make([]any, 0, len(c.Outputs))
		for _, o := range c.Outputs {
			outs = append(outs, o.jsonValue())
		}
		m["outputs"] = outs
	} else if c.Attachments != nil {
		m["attachments"] = c.Attachments
	}
	return m
}

func (o Output) jsonValue() map[string]any {
	m := map[string]any{"output_type": o.OutputType}
	switch o.OutputType {
	case Stream:
		m["name"] = o.Name
		m["text"] = splitLines(o.Text)
	case DisplayData, ExecuteResult:
		data := map[string]any{}
		for k, v := range o.Data {
			if s, ok := v.(string); ok && splitMIME(k) {
				data[k] = splitLines(s)
			} else {
				data[k] = v
			}
		}
		m["data"] = data
		m["metadata"] = orEmpty(o.Metadata)
		if o.OutputType == ExecuteResult {
			if o.ExecutionCount != nil {
				m["execution_count"] = *o.ExecutionCount
			} else {
				m["execution_count"] = nil
			}
		}
	case Error:
		m["ename"] = o.EName
		m["evalue"] = o.EValue
		tb := o.Traceback
		if tb == nil {
			tb = []string{}
		}
		m["traceback"] = tb
	}
	return m
}

// Write writes the notebook to w as nbformat does.
func Write(w io.Writer, nb *Notebook) error {
	b, err := Marshal(nb)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// WriteFile writes the notebook to path atomically (a temporary file renamed over it).
func WriteFile(path string, nb *Notebook) error {
	b, err := Marshal(nb)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

func writeFileAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".quire-*.ipynb")
	if err != nil {
		return fmt.Errorf("notebook: write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := io.Copy(f, bytes.NewReader(b)); err != nil {
		f.Close()
		return fmt.Errorf("notebook: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("notebook: write %s: %w", path, err)
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	_ = os.Chmod(f.Name(), mode)
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("notebook: write %s: %w", path, err)
	}
	return nil
}
