// Package golden reads and writes the golden files of quire's table tests (eval's Go
// semantics cases, eval/cell's rewrite cases). The format is txtar's (golang.org/x/tools/txtar,
// which the module does not depend on): a free-form comment, then sections, each opened by a
// line "-- name --" and running to the next such line. A section's text always ends with a
// newline (Format adds one), and no line of it may look like a section line.
package golden

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Section is one "-- name --" section of a File.
type Section struct {
	Name string
	Text string // ends with "\n" unless empty
}

// File is a parsed golden file.
type File struct {
	Comment  string // the text before the first section
	Sections []Section
}

// Parse parses a golden file. Text that does not end with a newline is given one.
func Parse(data []byte) *File {
	f := &File{}
	var cur *Section
	var b strings.Builder
	flush := func() {
		s := b.String()
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		if cur == nil {
			f.Comment = s
		} else {
			cur.Text = s
			f.Sections = append(f.Sections, *cur)
		}
		b.Reset()
	}
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		if name, ok := marker(string(line)); ok {
			flush()
			cur = &Section{Name: name}
			continue
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	flush()
	return f
}

// marker returns the name of a section line "-- name --".
func marker(line string) (string, bool) {
	if !strings.HasPrefix(line, "-- ") || !strings.HasSuffix(line, " --") || len(line) < len("-- x --") {
		return "", false
	}
	return strings.TrimSpace(line[3 : len(line)-3]), true
}

// Format returns f in the golden file format; Parse(f.Format()) is f (texts given a final
// newline). It fails when a section's text has a line that would read as a section line.
func (f *File) Format() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(withNewline(f.Comment))
	for _, s := range f.Sections {
		for _, l := range strings.Split(s.Text, "\n") {
			if _, ok := marker(l); ok {
				return nil, fmt.Errorf("section %q: the line %q would start a section", s.Name, l)
			}
		}
		fmt.Fprintf(&b, "-- %s --\n", s.Name)
		b.WriteString(withNewline(s.Text))
	}
	return b.Bytes(), nil
}

func withNewline(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}

// Get returns the text of the first section called name, and whether there is one.
func (f *File) Get(name string) (string, bool) {
	for _, s := range f.Sections {
		if s.Name == name {
			return s.Text, true
		}
	}
	return "", false
}

// Files returns the paths of the *.txt files in dir, sorted. It is an error for dir to have
// none: a mistyped directory must not make a test pass by checking nothing.
func Files(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no golden files (*.txt) in %s", dir)
	}
	return paths, nil
}

// Read parses the golden file at path.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data), nil
}

// Name is the name of a golden file's test: its file name without ".txt".
func Name(path string) string { return strings.TrimSuffix(filepath.Base(path), ".txt") }

// TrimNewline returns text without the one final newline the format gives every section.
func TrimNewline(text string) string { return strings.TrimSuffix(text, "\n") }
