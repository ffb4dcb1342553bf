package worker

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/quire-go/quire/eval/internal/wire"
)

// Methods that compiled packages look for on the values they are given, which they do not
// see on values of a type declared in a cell (yaegi v0.16.1 hands such values to compiled code
// as their underlying type; it wraps only a value passed directly, and only for some
// functions). A cell that uses the package while the session has such a method is told, in
// every such cell (issue 12: never a silently different output). The package is found in the
// cell's source, or in the source of the session's funcs the cell calls.
var lookedFor = map[string]struct {
	use *regexp.Regexp // a use of the package that would call the method
	pkg string         // what is told
	why string
}{
	"GoString":      {regexp.MustCompile(`%#v`), "fmt", "fmt's %#v does not call it"},
	"MarshalJSON":   {regexp.MustCompile(`\bjson\.`), "encoding/json", "encoding/json calls it for a value passed directly, not for one inside a slice, map or struct"},
	"UnmarshalJSON": {regexp.MustCompile(`\bjson\.`), "encoding/json", "encoding/json does not call it"},
	"MarshalText":   {regexp.MustCompile(`\b(json|xml|slog)\.`), "encoding/json, encoding/xml or log/slog", "encoding/json, encoding/xml and log/slog do not call it"},
	"UnmarshalText": {regexp.MustCompile(`\b(json|xml)\.`), "encoding/json or encoding/xml", "encoding/json and encoding/xml do not call it"},
	"MarshalXML":    {regexp.MustCompile(`\bxml\.`), "encoding/xml", "encoding/xml does not call it"},
	"UnmarshalXML":  {regexp.MustCompile(`\bxml\.`), "encoding/xml", "encoding/xml does not call it"},
	"Is":            {regexp.MustCompile(`\berrors\.`), "errors", "errors.Is does not call it"},
	"As":            {regexp.MustCompile(`\berrors\.`), "errors", "errors.As does not call it"},
	"Unwrap":        {regexp.MustCompile(`\berrors\.|%w`), "errors", "errors.Is, errors.As and errors.Unwrap do not call it"},
	"LogValue":      {regexp.MustCompile(`\bslog\.`), "log/slog", "log/slog does not call it"},
}

// Packages that see the interpreter rather than the cell, whatever the session declares: a
// cell that uses them is told (once per cell). For reflect, only where the cell asks for
// names, fields or methods (what differs; Kind, Int, String... are as in Go).
var seesInterpreter = []struct {
	use  *regexp.Regexp
	note string
}{
	{regexp.MustCompile(`\breflect\.[\s\S]*\.(FieldByName|NumField|Field|Name|PkgPath|NumMethod|Method|MethodByName)\(|\.(FieldByName|NumField|Field|Name|PkgPath|NumMethod|Method|MethodByName)\([\s\S]*\breflect\.`), "quire: this cell uses reflect, which sees the values of types declared in a cell as the interpreter (yaegi v0.16.1) builds them: " +
		"as unnamed types (Type().Name() is \"\", %T and Type().String() give struct { ... } or the underlying type), without their methods, and with unexported fields renamed " +
		"(a field name is XName: FieldByName(\"name\") finds nothing). Where a value of such a type reaches reflect, run the cell with %%go to see what Go prints.\n"},
	{regexp.MustCompile(`\bruntime\.(Callers|Caller|CallersFrames|FuncForPC|Stack)\b|\bdebug\.(Stack|PrintStack)\b`), "quire: this cell asks the runtime for its call stack, " +
		"which holds the interpreter's (yaegi v0.16.1) frames, not the cell's funcs and lines as in Go. Run the cell with %%go to see what Go prints.\n"},
}

// useNotes is what the worker knows of the session's sources for those notes.
type useNotes struct {
	mu      sync.Mutex
	methods map[string][]string // "MarshalXML" -> types of the session declaring it
	funcs   map[string]string   // the session's funcs and methods (by name): their source
}

// noteUses records the declarations of a request's steps and tells the cell about the
// methods compiled packages it uses will not call (before the cell runs: it may not end).
func (w *Worker) noteUses(steps []wire.Step) {
	u := &w.uses
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, s := range steps {
		if s.Kind != wire.StepEval {
			continue
		}
		for _, f := range s.Funcs {
			if _, ok := lookedFor[f.Name]; ok && f.Recv != "" && !slices.Contains(u.methods[f.Name], f.Recv) {
				if u.methods == nil {
					u.methods = map[string][]string{}
				}
				u.methods[f.Name] = append(u.methods[f.Name], f.Recv)
			}
			if u.funcs == nil {
				u.funcs = map[string]string{}
			}
			u.funcs[f.Name] = f.Src
		}
	}
	var src strings.Builder
	for _, s := range steps {
		if (s.Kind == wire.StepEval || s.Kind == wire.StepShow) && !s.Tolerant && !s.Retry {
			src.WriteString(s.Src)
			src.WriteString("\n")
		}
	}
	code := u.reach(src.String())
	var notes []string
	for m, types := range u.methods {
		lf := lookedFor[m]
		if !lf.use.MatchString(code) {
			continue
		}
		for _, t := range types {
			notes = append(notes, fmt.Sprintf("quire: %s.%s is a method of a type declared in a cell, which compiled packages see only in part: %s. "+
				"This cell uses %s: where it gets %s values, the output differs from Go's; run the cell with %%%%go to see what Go prints.\n", t, m, lf.why, lf.pkg, t))
		}
	}
	sort.Strings(notes)
	for _, g := range seesInterpreter {
		if g.use.MatchString(code) {
			notes = append(notes, g.note)
		}
	}
	for _, n := range notes {
		_, _ = io.WriteString(w.errW, n)
	}
}

// reach returns code with the source of the session's funcs it calls appended, transitively.
func (u *useNotes) reach(code string) string {
	var out strings.Builder
	out.WriteString(code)
	seen := map[string]bool{}
	todo := []string{code}
	for len(todo) > 0 && len(seen) < 1000 {
		c := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		for name, src := range u.funcs {
			if seen[name] || !containsWord(c, name) {
				continue
			}
			seen[name] = true
			out.WriteString("\n")
			out.WriteString(src)
			todo = append(todo, src)
		}
	}
	return out.String()
}

// containsWord reports whether s has word with no identifier character either side.
func containsWord(s, word string) bool {
	for i := 0; word != ""; {
		j := strings.Index(s[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		if (start == 0 || !isIdentByte(s[start-1])) && (end == len(s) || !isIdentByte(s[end])) {
			return true
		}
		i = start + 1
	}
	return false
}

// isIdentByte reports an ASCII letter, digit or underscore, or a byte of a multi-byte
// character (a letter, most likely, in an identifier).
func isIdentByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}
