package lessons

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/notebook"
)

// The CHECK line. A check cell reports its verdict by printing, at the start of a line on
// stdout:
//
//	CHECK <grade_id> PASS <points>/<max>: <reason>
//	CHECK <grade_id> FAIL <points>/<max>: <reason>
//
// for example
//
//	CHECK pool-check PASS 2/2: your pool finished 5 tasks in 2.01 s (limit 2.2 s)
//	CHECK pool-check FAIL 0/2: your pool took 5.01 s: are the tasks running one at a time?
//
// grade_id is the check cell's nbgrader grade_id; points and max are numbers (points may be a
// fraction of max for partial credit); ": <reason>" is optional. In a cell, print it with
// fmt.Printf("CHECK %s %s %g/%g: %s\n", id, "PASS", got, max, reason); FormatCheck builds the
// same line in Go code outside cells. A cell may print several CHECK lines for its id: their
// points and maxima are added up.
//
// When grading, the grader marks each check cell's own lines: before running the cell it
// writes a fresh random token after the grade_id in the cell's source ("CHECK pool-check
// #1f0c9a7e2b3d4c5a PASS 3/3: ..."), and counts only lines carrying it. A CHECK line printed
// by any other code (a student's function called by the check, a goroutine) cannot know the
// token and is ignored. So a check cell must spell its id literally, "CHECK <grade_id> ", in
// the string it prints.
var checkLine = regexp.MustCompile(`(?m)^CHECK ([A-Za-z0-9_-]+) (?:#([0-9a-f]+) )?(PASS|FAIL) ([0-9]+(?:\.[0-9]+)?)/([0-9]+(?:\.[0-9]+)?)(?:: ?(.*))?$`)

// Check is one parsed CHECK line.
type Check struct {
	ID     string
	Pass   bool
	Points float64
	Max    float64
	Reason string
	// Token is the grading token after the id ("" outside grading).
	Token string
}

// FormatCheck returns the CHECK line (without newline) for a verdict.
func FormatCheck(id string, pass bool, points, max float64, reason string) string {
	verdict := "FAIL"
	if pass {
		verdict = "PASS"
	}
	s := fmt.Sprintf("CHECK %s %s %s/%s", id, verdict, num(points), num(max))
	if reason != "" {
		s += ": " + strings.ReplaceAll(reason, "\n", " ")
	}
	return s
}

// ParseChecks returns the CHECK lines found in text, in order.
func ParseChecks(text string) []Check {
	var out []Check
	for _, m := range checkLine.FindAllStringSubmatch(strings.ReplaceAll(text, "\r\n", "\n"), -1) {
		p, _ := strconv.ParseFloat(m[4], 64)
		mx, _ := strconv.ParseFloat(m[5], 64)
		out = append(out, Check{ID: m[1], Token: m[2], Pass: m[3] == "PASS", Points: p, Max: mx, Reason: strings.TrimSpace(m[6])})
	}
	return out
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// nbgrader is the part of a cell's nbgrader metadata grading uses.
type nbgrader struct {
	Grade    bool
	Solution bool
	Locked   bool
	GradeID  string
	Points   float64
}

func grading(c notebook.Cell) nbgrader {
	m, _ := c.Metadata["nbgrader"].(map[string]any)
	var g nbgrader
	g.Grade, _ = m["grade"].(bool)
	g.Solution, _ = m["solution"].(bool)
	g.Locked, _ = m["locked"].(bool)
	g.GradeID, _ = m["grade_id"].(string)
	switch p := m["points"].(type) {
	case json.Number:
		g.Points, _ = p.Float64()
	case float64:
		g.Points = p
	case int:
		g.Points = float64(p)
	}
	return g
}

// Score is the grade of one check cell.
type Score struct {
	ID     string  `json:"id"`
	Points float64 `json:"points"`
	Max    float64 `json:"max"`
	Passed bool    `json:"passed"`
	Reason string  `json:"reason"`
	// Restored is true when the check cell's source was replaced by the built-in lesson's
	// (a check cell is locked: edits to it do not count).
	Restored bool `json:"restored,omitempty"`
}

// Result is the grade of one notebook.
type Result struct {
	Notebook  string  `json:"notebook"`
	Exercises []Score `json:"exercises"`
	Points    float64 `json:"points"`
	Max       float64 `json:"max"`
}

// GradeOptions configure GradeNotebook.
type GradeOptions struct {
	// Timeout bounds each cell (0: DefaultGradeTimeout).
	Timeout time.Duration
	// Stdout, if set, receives the live rendering of the execution.
	Stdout io.Writer
	// Render overrides the rendering options for Stdout.
	Render *notebook.RenderOptions
}

// DefaultGradeTimeout bounds each cell of a graded notebook, so a student's endless loop
// costs one exercise, not the whole grading run.
const DefaultGradeTimeout = 2 * time.Minute

// Grade executes the notebook at path through a fresh kernel and scores its check cells.
// This is `quire grade NOTEBOOK... [--json]`.
func Grade(ctx context.Context, path string, k notebook.KernelFactory) (Result, error) {
	nb, err := notebook.ReadFile(path)
	if err != nil {
		return Result{Notebook: path}, err
	}
	return GradeNotebook(ctx, nb, path, k, GradeOptions{})
}

// GradeNotebook executes nb with errors allowed (one failing exercise does not stop the rest)
// and scores every check cell (nbgrader "grade": true with points): the points of its CHECK
// lines, or 0 with the reason when the cell failed or printed no CHECK line for its grade_id.
// name labels the result. The rules that keep grading honest (lessons/AUTHORING.md, "How
// grading works"):
//
//   - a check cell whose grade_id belongs to a built-in lesson gets that lesson's source back
//     before running, and a lesson's check cells missing from nb score 0;
//   - only CHECK lines printed by the check cell itself count (see checkLine: the token);
//   - a check scores 0 when another cell of nb declares a name the check cell uses but does not
//     declare itself, other than the names the exercise cells are to define (a redefined
//     helper such as a lesson's near);
//   - a check of a built-in lesson scores 0 when every exercise cell it grades is as released
//     (not attempted), whatever the stub's run printed.
func GradeNotebook(ctx context.Context, nb *notebook.Notebook, name string, k notebook.KernelFactory, opts GradeOptions) (Result, error) {
	res := Result{Notebook: name, Exercises: []Score{}}
	if k == nil {
		return res, fmt.Errorf("lessons: grade %s: no kernel", name)
	}
	builtin := builtinChecks()
	lesson := lessonOf(nb)
	restored := map[string]bool{}
	present := map[string]bool{}
	for i := range nb.Cells {
		c := &nb.Cells[i]
		g := grading(*c)
		if !g.Grade || c.CellType != notebook.Code {
			continue
		}
		present[g.GradeID] = true
		if ref, ok := builtin[g.GradeID]; ok {
			if ref.Source != c.Source {
				c.Source = ref.Source
				restored[g.GradeID] = true
			}
			if lesson == "" {
				lesson = ref.lesson
			}
		}
	}
	ref := builtinLessons()[lesson]
	notGraded := tampering(nb, ref)
	notTried := untouched(nb, ref)
	token, err := newToken()
	if err != nil {
		return res, fmt.Errorf("lessons: grade %s: %w", name, err)
	}
	for i := range nb.Cells {
		c := &nb.Cells[i]
		if g := grading(*c); g.Grade && c.CellType == notebook.Code {
			c.Source = markCheck(c.Source, g.GradeID, token)
		}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultGradeTimeout
	}
	kern, err := k(ctx)
	if err != nil {
		return res, fmt.Errorf("lessons: grade %s: starting kernel: %w", name, err)
	}
	if c, ok := kern.(io.Closer); ok {
		defer c.Close()
	}
	xo := notebook.ExecOptions{AllowErrors: true, Timeout: timeout}
	if opts.Stdout != nil {
		ro := notebook.TerminalOptions(opts.Stdout)
		if opts.Render != nil {
			ro = *opts.Render
		}
		p := notebook.NewPrinter(opts.Stdout, ro)
		xo.OnEvent = p.Event
	}
	if err := notebook.Execute(ctx, nb, kern, xo); err != nil {
		return res, fmt.Errorf("lessons: grade %s: %w", name, err)
	}
	for _, c := range nb.Cells {
		g := grading(c)
		if !g.Grade || c.CellType != notebook.Code {
			continue
		}
		s := score(c, g, token)
		s.Restored = restored[g.GradeID]
		switch {
		case notGraded[g.GradeID] != "":
			s.Points, s.Passed, s.Reason = 0, false, "not graded: "+notGraded[g.GradeID]
		case notTried[g.GradeID] != "":
			s.Reason = fmt.Sprintf("not attempted: %s (the check alone gave %s/%s: %s)",
				notTried[g.GradeID], num(round2(s.Points)), num(s.Max), s.Reason)
			s.Points, s.Passed = 0, false
		}
		res.Exercises = append(res.Exercises, s)
	}
	if lesson != "" {
		var missing []string
		for id, ref := range builtin {
			if ref.lesson == lesson && !present[id] {
				missing = append(missing, id)
			}
		}
		sort.Strings(missing)
		for _, id := range missing {
			res.Exercises = append(res.Exercises, Score{ID: id, Max: builtin[id].points, Reason: "the check cell is missing from the notebook"})
		}
	}
	for _, s := range res.Exercises {
		res.Points += s.Points
		res.Max += s.Max
	}
	return res, nil
}

func newToken() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("grading token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// markCheck writes the grading token after every "CHECK <id> " in a check cell's source.
func markCheck(src, id, token string) string {
	return strings.ReplaceAll(src, "CHECK "+id+" ", "CHECK "+id+" #"+token+" ")
}

// tampering maps the grade_id of each check cell of nb that another cell interferes with to
// the reason: the check cell uses a name it does not declare, that is not one of the names the
// exercises are to define, and that a cell of nb declares (a cell of the lesson left as it was
// does not count). ref is the built-in lesson nb is a copy of, or nil.
func tampering(nb *notebook.Notebook, ref *lessonRef) map[string]string {
	out := map[string]string{}
	graded := map[string]bool{}
	if ref != nil {
		graded = ref.graded
	} else {
		for _, c := range nb.Cells {
			if g := grading(c); g.Solution && c.CellType == notebook.Code {
				decls, _, err := cellNames(c.Source)
				if err == nil {
					for _, d := range decls {
						graded[declName(d)] = true
					}
				}
			}
		}
	}
	declaredBy := map[string]string{}
	for _, c := range nb.Cells {
		if c.CellType != notebook.Code || grading(c).Grade {
			continue
		}
		if ref != nil && ref.release[c.ID] == c.Source {
			continue
		}
		decls, _, err := cellNames(c.Source)
		if err != nil {
			continue // it fails when it runs; nothing it declares exists
		}
		for _, d := range decls {
			if d.Kind == cell.DeclImport && (strings.HasPrefix(d.Name, "_ ") || strings.HasPrefix(d.Name, ". ") || d.Name == path.Base(d.Path)) {
				continue
			}
			n := declName(d)
			if _, seen := declaredBy[n]; !seen {
				declaredBy[n] = cellLabel(c)
			}
		}
	}
	for _, c := range nb.Cells {
		g := grading(c)
		if !g.Grade || c.CellType != notebook.Code {
			continue
		}
		_, free, err := cellNames(c.Source)
		if err != nil {
			continue
		}
		var names []string
		for n := range free {
			if !graded[n] && declaredBy[n] != "" {
				names = append(names, n)
			}
		}
		if len(names) == 0 {
			continue
		}
		sort.Strings(names)
		var parts []string
		for _, n := range names {
			parts = append(parts, fmt.Sprintf("%s is redefined by %s", n, declaredBy[n]))
		}
		out[g.GradeID] = "the check uses " + strings.Join(names, ", ") + ", which only the lesson may define (" +
			strings.Join(parts, "; ") + "): rename yours"
	}
	return out
}

// declName is the name a declaration claims in the notebook: a method counts as its type.
func declName(d cell.Decl) string {
	if d.Kind == cell.DeclMethod {
		if i := strings.IndexByte(d.Name, '.'); i >= 0 {
			return d.Name[:i]
		}
	}
	return d.Name
}

func cellLabel(c notebook.Cell) string {
	if c.ID != "" {
		return "cell " + c.ID
	}
	return "a cell"
}

// untouched maps the grade_id of each check cell of the built-in lesson ref whose exercise
// cells are all in nb as released to the reason.
func untouched(nb *notebook.Notebook, ref *lessonRef) map[string]string {
	out := map[string]string{}
	if ref == nil {
		return out
	}
	byID := map[string]string{}
	for _, c := range nb.Cells {
		if c.CellType != notebook.Code {
			continue
		}
		id := c.ID
		if g := grading(c); g.Solution && g.GradeID != "" {
			id = g.GradeID
		}
		byID[id] = c.Source
	}
	for check, exercises := range ref.grades {
		same := len(exercises) > 0
		for _, e := range exercises {
			src, ok := byID[e]
			same = same && ok && strings.TrimSpace(src) == strings.TrimSpace(ref.release[e])
		}
		if same {
			out[check] = fmt.Sprintf("the exercise cell %s is as released", strings.Join(exercises, ", "))
		}
	}
	return out
}

func score(c notebook.Cell, g nbgrader, token string) Score {
	s := Score{ID: g.GradeID, Max: g.Points}
	var stdout strings.Builder
	for _, o := range c.Outputs {
		switch o.OutputType {
		case notebook.Error:
			first := strings.SplitN(strings.TrimSpace(o.EValue), "\n", 2)[0]
			s.Reason = "the check cell failed: " + o.EName
			if first != "" && first != o.EName {
				s.Reason += ": " + first
			}
			return s
		case notebook.Stream:
			if o.Name == "stdout" {
				stdout.WriteString(o.Text)
			}
		}
	}
	if c.ExecutionCount == nil {
		s.Reason = "the check cell did not run"
		return s
	}
	var got, max float64
	var reasons []string
	pass, found, forged := true, false, 0
	for _, ch := range ParseChecks(stdout.String()) {
		if ch.ID != g.GradeID {
			continue
		}
		if ch.Token != token {
			forged++
			continue
		}
		found = true
		got += ch.Points
		max += ch.Max
		pass = pass && ch.Pass
		if ch.Reason != "" {
			reasons = append(reasons, ch.Reason)
		}
	}
	if !found {
		s.Reason = fmt.Sprintf("the check cell printed no \"CHECK %s\" line", g.GradeID)
		if forged > 0 {
			s.Reason += fmt.Sprintf(" of its own (%d printed by other code ignored)", forged)
		}
		return s
	}
	if max > 0 {
		s.Points = g.Points * min(max, got) / max
	}
	s.Passed = pass
	s.Reason = strings.Join(reasons, "; ")
	if forged > 0 {
		s.Reason += fmt.Sprintf(" (%d CHECK lines printed by other code ignored)", forged)
	}
	return s
}

type builtinCheck struct {
	lesson string
	Source string
	points float64
}

// builtinChecks maps the grade_id of every built-in check cell to its source.
func builtinChecks() map[string]builtinCheck {
	out := map[string]builtinCheck{}
	for name, l := range builtinLessons() {
		for id, c := range l.checks {
			out[id] = builtinCheck{lesson: name, Source: c.Source, points: c.points}
		}
	}
	return out
}

// lessonRef is what grading knows of a built-in lesson.
type lessonRef struct {
	// release maps each code cell's id to its released source.
	release map[string]string
	checks  map[string]builtinCheck
	// grades maps each check's grade_id to the ids of the exercise cells it grades: those
	// between the previous check cell and it.
	grades map[string][]string
	// graded holds the names the solved exercise cells declare: what checks may take from
	// the learner's code.
	graded map[string]bool
}

// builtinLessons maps each lesson name to what grading knows of it. The lessons are embedded,
// so it is computed once.
var builtinLessons = sync.OnceValue(func() map[string]*lessonRef {
	out := map[string]*lessonRef{}
	for _, l := range List() {
		_, rel, err := Get(l.Name)
		if err != nil {
			continue
		}
		_, sol, err := Solution(l.Name)
		if err != nil {
			continue
		}
		ref := &lessonRef{release: map[string]string{}, checks: map[string]builtinCheck{},
			grades: map[string][]string{}, graded: map[string]bool{}}
		var pending []string
		for _, c := range rel.Cells {
			if c.CellType != notebook.Code {
				continue
			}
			ref.release[c.ID] = c.Source
			switch g := grading(c); {
			case g.Grade && g.GradeID != "":
				ref.checks[g.GradeID] = builtinCheck{lesson: l.Name, Source: c.Source, points: g.Points}
				ref.grades[g.GradeID] = pending
				pending = nil
			case g.Solution:
				pending = append(pending, c.ID)
			}
		}
		for _, c := range sol.Cells {
			if g := grading(c); g.Solution && c.CellType == notebook.Code {
				decls, _, err := cellNames(c.Source)
				if err != nil {
					continue
				}
				for _, d := range decls {
					ref.graded[declName(d)] = true
				}
			}
		}
		out[l.Name] = ref
	}
	return out
})

func lessonOf(nb *notebook.Notebook) string {
	q, _ := nb.Metadata["quire"].(map[string]any)
	s, _ := q["lesson"].(string)
	return s
}

// WriteText prints the result as a table: one row per exercise (id, points, max, result,
// reason) and a total.
func (r Result) WriteText(w io.Writer) error {
	var buf strings.Builder
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%s\n", filepath.Base(r.Notebook))
	fmt.Fprintf(tw, "  EXERCISE\tPOINTS\tMAX\tRESULT\tREASON\n")
	for _, s := range r.Exercises {
		verdict := "fail"
		if s.Passed {
			verdict = "pass"
		}
		reason := s.Reason
		if s.Restored {
			reason += " (check cell restored from the lesson)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.ID, num(round2(s.Points)), num(s.Max), verdict, reason)
	}
	if len(r.Exercises) == 0 {
		fmt.Fprintf(tw, "  (no check cells: nothing to grade)\t\t\t\t\n")
	}
	fmt.Fprintf(tw, "  TOTAL\t%s\t%s\t\t\n", num(round2(r.Points)), num(r.Max))
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \n")
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	_, err := io.WriteString(w, strings.Join(lines, ""))
	return err
}

func round2(f float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', 2, 64), 64)
	return v
}

// WriteResults prints results as tables separated by blank lines or, with asJSON, as one
// JSON array (`quire grade --json`).
func WriteResults(w io.Writer, results []Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if results == nil {
			results = []Result{}
		}
		return enc.Encode(results)
	}
	for i, r := range results {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if err := r.WriteText(w); err != nil {
			return err
		}
	}
	return nil
}
