// Package author converts lesson sources (Markdown with Go code fences) into notebooks.
//
// A source file lessons/src/NN-name.md is Markdown. Each fenced block opened with three
// backticks and the info string "go" becomes a code cell; everything between code cells
// becomes one markdown cell (a line "<!-- cell -->" splits it into several). Fences opened
// with tildes (~~~go) stay in the prose as displayed code. Words after "go" set the cell's
// role and attributes:
//
//	```go                            a code cell
//	```go id=setup tags=a,b          cell id and metadata tags
//	```go exercise id=pool           the cell the student edits (nbgrader solution cell)
//	```go check id=pool-check points=2   a locked check cell worth 2 points (nbgrader grade cell)
//
// In any code cell, lines between "// BEGIN SOLUTION" and "// END SOLUTION" are the answer:
// the release notebook (what learners get) replaces them with the lines between
// "// BEGIN STUB" and "// END STUB" of the same cell or, without a stub, with
// "// YOUR CODE HERE" at the same indentation; the solution notebook keeps them and drops the
// stub. An optional front matter sets the title and summary (defaults: the first "# " heading
// and the first paragraph after it):
//
//	---
//	title: Threads
//	summary: One goroutine per task, joined; shared memory, a race and its fix.
//	---
//
// Output is deterministic: cell ids are the id attribute or "<name>-<n>" (n counts cells
// from 1), and notebook metadata holds only the kernelspec, a fixed language_info and the
// lesson's name, title and summary under "quire".
package author

import (
	"bufio"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/quire-go/quire/notebook"
)

// Mode selects which version of exercise cells to produce.
type Mode int

const (
	// Release is the learner's notebook: solutions replaced by stubs.
	Release Mode = iota
	// Solution keeps the solutions (for tests and teachers).
	Solution
)

// Markers in code cells.
const (
	BeginSolution = "// BEGIN SOLUTION"
	EndSolution   = "// END SOLUTION"
	BeginStub     = "// BEGIN STUB"
	EndStub       = "// END STUB"
	DefaultStub   = "// YOUR CODE HERE"
)

// Roles of code cells.
const (
	RoleCode     = ""
	RoleExercise = "exercise"
	RoleCheck    = "check"
)

// Meta is a lesson's identity, also stored in the notebook metadata under "quire".
type Meta struct {
	Name    string
	Title   string
	Summary string
}

// Kernelspec is the notebook kernelspec of every lesson.
var Kernelspec = map[string]any{"display_name": "Go (quire)", "language": "go", "name": "quire"}

// LanguageInfo is the language_info of every lesson: exactly what quire's kernel_info_reply
// says (eval.Supervisor.Info; a test holds them equal), so that JupyterLab, which copies the
// kernel's language_info into the notebook when it connects, finds nothing to change and does
// not mark a lesson modified on open. The version is the Go language the interpreter
// implements, not the toolchain's, so it does not change from machine to machine.
var LanguageInfo = map[string]any{
	"codemirror_mode": "go", "file_extension": ".go", "mimetype": "text/x-go",
	"name": "go", "nbconvert_exporter": "script", "pygments_lexer": "go", "version": "1.22",
}

// SameCells returns "" when a and b have the same cells (ids, types and sources, in order;
// outputs aside), else what differs first: an executed copy of a lesson is fresh when it has
// the lesson's cells.
func SameCells(a, b *notebook.Notebook) string {
	if len(a.Cells) != len(b.Cells) {
		return fmt.Sprintf("%d cells, the lesson has %d", len(a.Cells), len(b.Cells))
	}
	for i := range a.Cells {
		x, y := a.Cells[i], b.Cells[i]
		switch {
		case x.ID != y.ID:
			return fmt.Sprintf("cell %d is %q, the lesson's is %q", i+1, x.ID, y.ID)
		case x.CellType != y.CellType || x.Source != y.Source:
			return fmt.Sprintf("cell %s differs from the lesson's", x.ID)
		}
	}
	return ""
}

var (
	namePattern = regexp.MustCompile(`^[0-9]{2}-[a-z0-9]+(-[a-z0-9]+)*$`)
	idPattern   = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
)

// NameOf returns the lesson name of a source path ("src/03-threads.md" -> "03-threads").
func NameOf(p string) string { return strings.TrimSuffix(path.Base(p), ".md") }

// Convert turns the source of lesson name into a notebook.
func Convert(name string, src []byte, mode Mode) (*notebook.Notebook, Meta, error) {
	meta := Meta{Name: name}
	if !namePattern.MatchString(name) {
		return nil, meta, fmt.Errorf("lesson %q: name must look like NN-words-with-dashes (lower case)", name)
	}
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	front, body, err := frontMatter(text)
	if err != nil {
		return nil, meta, fmt.Errorf("lesson %s: %w", name, err)
	}
	meta.Title, meta.Summary = front["title"], front["summary"]

	nb := notebook.New()
	var prose []string
	flush := func() {
		s := strings.Trim(strings.Join(prose, "\n"), "\n")
		prose = prose[:0]
		if s != "" {
			nb.Cells = append(nb.Cells, notebook.Cell{CellType: notebook.Markdown, Source: s, Metadata: map[string]any{}})
		}
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	// inFence is true inside a fence that stays prose (~~~ anything, ``` other than go).
	inFence, fence := false, ""
	for sc.Scan() {
		line++
		l := sc.Text()
		isGo := strings.HasPrefix(l, "```go") && (len(l) == 5 || l[5] == ' ')
		switch {
		case inFence:
			// A closing fence is the fence characters alone (CommonMark).
			if t := strings.TrimSpace(l); strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				inFence = false
			}
			isGo = false // the closing line, or a line inside the fence
		case !inFence && !isGo && (strings.HasPrefix(l, "~~~") || strings.HasPrefix(l, "```")):
			inFence, fence = true, l[:3]
		}
		if !inFence && isGo {
			start := line
			var code []string
			closed := false
			for sc.Scan() {
				line++
				if strings.TrimRight(sc.Text(), " ") == "```" {
					closed = true
					break
				}
				code = append(code, sc.Text())
			}
			if !closed {
				return nil, meta, fmt.Errorf("%s.md:%d: code fence is not closed", name, start)
			}
			flush()
			c, err := codeCell(strings.TrimSpace(l[5:]), strings.Join(code, "\n"), mode)
			if err != nil {
				return nil, meta, fmt.Errorf("%s.md:%d: %w", name, start, err)
			}
			nb.Cells = append(nb.Cells, c)
			continue
		}
		if !inFence && strings.TrimSpace(l) == "<!-- cell -->" {
			flush()
			continue
		}
		prose = append(prose, l)
	}
	if err := sc.Err(); err != nil {
		return nil, meta, fmt.Errorf("lesson %s: %w", name, err)
	}
	flush()

	if meta.Title == "" || meta.Summary == "" {
		t, s := titleAndSummary(nb)
		if meta.Title == "" {
			meta.Title = t
		}
		if meta.Summary == "" {
			meta.Summary = s
		}
	}
	if meta.Title == "" {
		return nil, meta, fmt.Errorf("lesson %s: no title (add a \"# Title\" heading or front matter)", name)
	}
	if err := assignIDs(nb, name); err != nil {
		return nil, meta, fmt.Errorf("lesson %s: %w", name, err)
	}
	nb.Metadata = map[string]any{
		"kernelspec":    Kernelspec,
		"language_info": LanguageInfo,
		"quire":         map[string]any{"lesson": name, "title": meta.Title, "summary": meta.Summary},
	}
	if err := nb.Validate(); err != nil {
		return nil, meta, fmt.Errorf("lesson %s: %w", name, err)
	}
	return nb, meta, nil
}

func frontMatter(text string) (map[string]string, string, error) {
	front := map[string]string{}
	if !strings.HasPrefix(text, "---\n") {
		return front, text, nil
	}
	end := strings.Index(text[4:], "\n---\n")
	if end < 0 {
		return nil, "", errors.New("front matter: no closing ---")
	}
	for i, l := range strings.Split(text[4:4+end], "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		k = strings.TrimSpace(k)
		if !ok || (k != "title" && k != "summary") {
			return nil, "", fmt.Errorf("front matter line %d: want \"title: ...\" or \"summary: ...\", got %q", i+2, l)
		}
		front[k] = strings.TrimSpace(v)
	}
	return front, text[4+end+5:], nil
}

// titleAndSummary finds the first "# " heading and the first paragraph after it.
func titleAndSummary(nb *notebook.Notebook) (title, summary string) {
	for _, c := range nb.Cells {
		if c.CellType != notebook.Markdown {
			continue
		}
		for _, para := range strings.Split(c.Source, "\n\n") {
			para = strings.TrimSpace(para)
			switch {
			case para == "":
			case title == "" && strings.HasPrefix(para, "# "):
				title = strings.TrimSpace(strings.SplitN(para, "\n", 2)[0][2:])
			case title != "" && summary == "" && !strings.HasPrefix(para, "#") && !strings.HasPrefix(para, "```") && !strings.HasPrefix(para, "~~~"):
				summary = strings.Join(strings.Fields(para), " ")
			}
			if title != "" && summary != "" {
				return title, summary
			}
		}
	}
	return title, summary
}

func codeCell(info, code string, mode Mode) (notebook.Cell, error) {
	c := notebook.Cell{CellType: notebook.Code, Metadata: map[string]any{}}
	role := RoleCode
	attrs := map[string]string{}
	for _, w := range strings.Fields(info) {
		k, v, ok := strings.Cut(w, "=")
		switch {
		case !ok && (w == RoleExercise || w == RoleCheck) && role == RoleCode:
			role = w
		case ok && (k == "id" || k == "points" || k == "tags"):
			attrs[k] = v
		default:
			return c, fmt.Errorf("fence attribute %q: use exercise, check, id=, points=, tags=", w)
		}
	}
	if id := attrs["id"]; id != "" {
		if !idPattern.MatchString(id) {
			return c, fmt.Errorf("id %q: use letters, digits, - and _ (at most 64)", id)
		}
		c.ID = id
	}
	if t := attrs["tags"]; t != "" {
		var tags []any
		for _, s := range strings.Split(t, ",") {
			tags = append(tags, s)
		}
		c.Metadata["tags"] = tags
	}
	src, err := applySolution(code, mode)
	if err != nil {
		return c, err
	}
	c.Source = src
	switch role {
	case RoleExercise:
		if c.ID == "" {
			return c, errors.New("an exercise cell needs id=")
		}
		if _, ok := attrs["points"]; ok {
			return c, errors.New("points= belongs on the check cell")
		}
		c.Metadata["nbgrader"] = map[string]any{
			"grade": false, "grade_id": c.ID, "locked": false,
			"schema_version": 3, "solution": true, "task": false,
		}
	case RoleCheck:
		if c.ID == "" {
			return c, errors.New("a check cell needs id=")
		}
		p, err := strconv.Atoi(attrs["points"])
		if err != nil || p <= 0 {
			return c, fmt.Errorf("a check cell needs points=N (a positive integer), got %q", attrs["points"])
		}
		c.Metadata["nbgrader"] = map[string]any{
			"grade": true, "grade_id": c.ID, "locked": true, "points": p,
			"schema_version": 3, "solution": false, "task": false,
		}
		c.Metadata["editable"] = false
		c.Metadata["deletable"] = false
	default:
		if _, ok := attrs["points"]; ok {
			return c, errors.New("points= is only for check cells")
		}
	}
	return c, nil
}

// applySolution resolves BEGIN/END SOLUTION and STUB markers for mode.
func applySolution(code string, mode Mode) (string, error) {
	lines := strings.Split(code, "\n")
	hasStub := false
	for _, l := range lines {
		if strings.TrimSpace(l) == BeginStub {
			hasStub = true
		}
	}
	var out []string
	state := ""
	for i, l := range lines {
		t := strings.TrimSpace(l)
		switch t {
		case BeginSolution, BeginStub:
			if state != "" {
				return "", fmt.Errorf("line %d: %s inside another block", i+1, t)
			}
			state = t
			if t == BeginSolution && mode == Release && !hasStub {
				indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
				out = append(out, indent+DefaultStub)
			}
			continue
		case EndSolution, EndStub:
			want := map[string]string{EndSolution: BeginSolution, EndStub: BeginStub}[t]
			if state != want {
				return "", fmt.Errorf("line %d: %s without %s", i+1, t, want)
			}
			state = ""
			continue
		}
		switch {
		case state == BeginSolution && mode == Release, state == BeginStub && mode == Solution:
			continue
		}
		out = append(out, l)
	}
	if state != "" {
		return "", fmt.Errorf("%s is not closed", state)
	}
	return strings.Join(out, "\n"), nil
}

func assignIDs(nb *notebook.Notebook, name string) error {
	short := name
	if i := strings.IndexByte(name, '-'); i >= 0 {
		short = name[i+1:]
	}
	if len(short) > 50 {
		short = short[:50]
	}
	seen := map[string]int{}
	for i := range nb.Cells {
		c := &nb.Cells[i]
		if c.ID == "" {
			c.ID = fmt.Sprintf("%s-%d", short, i+1)
		}
		if j, dup := seen[c.ID]; dup {
			return fmt.Errorf("cells %d and %d both have id %q", j+1, i+1, c.ID)
		}
		seen[c.ID] = i
	}
	return nil
}
