package eval

import (
	"context"
	"path"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/godoc"
	"github.com/quire-go/quire/eval/internal/symtab"
)

// The interpreter can only call what yaegi's symbol tables hold (go1.22 API), so completion
// filters documented members against them.
const interpGo = "go1.22"

var keywords = []string{
	"break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough",
	"for", "func", "go", "goto", "if", "import", "interface", "map", "package", "range",
	"return", "select", "struct", "switch", "type", "var",
}

var builtins = []string{
	"any", "append", "bool", "byte", "cap", "clear", "close", "comparable", "complex",
	"complex128", "complex64", "copy", "delete", "error", "false", "float32", "float64", "imag",
	"int", "int16", "int32", "int64", "int8", "iota", "len", "make", "max", "min", "new", "nil",
	"panic", "print", "println", "real", "recover", "rune", "string", "true", "uint", "uint16",
	"uint32", "uint64", "uint8", "uintptr",
}

// binarySymbols returns the names the interpreter knows for the package at path, or nil.
func binarySymbols(p string) map[string]bool { return symtab.Names(p) }

// identAt splits runes around cursor into the identifier being typed (start..cursor) and the
// qualifier before a dot ("fmt" in "fmt.Pri").
func identBefore(rs []rune, cursor int) (qual string, start int) {
	start = cursor
	for start > 0 && isIdentRune(rs[start-1]) {
		start--
	}
	if start > 0 && rs[start-1] == '.' {
		q := start - 1
		for q > 0 && isIdentRune(rs[q-1]) {
			q--
		}
		qual = string(rs[q : start-1])
	}
	return qual, start
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

var importLine = regexp.MustCompile(`(?m)^\s*(?:import\s+)?(?:([A-Za-z_][A-Za-z0-9_]*|\.)\s+)?"([^"]+)"`)

// packagePath resolves a package name used in code: the session's imports, imports in the code
// being edited, then any importable package of that name.
func (s *Supervisor) packagePath(name, code string) (string, bool) {
	s.rec.mu.Lock()
	for _, d := range s.rec.sess.imports {
		if d.Name == name {
			s.rec.mu.Unlock()
			return d.Path, true
		}
	}
	s.rec.mu.Unlock()
	for _, m := range importLine.FindAllStringSubmatch(code, -1) {
		local := m[1]
		if local == "" {
			local = path.Base(m[2])
		}
		if local == name {
			return m[2], true
		}
	}
	if paths := godoc.FindPackageByName(name); len(paths) > 0 {
		sort.SliceStable(paths, func(i, j int) bool { // math/rand before crypto/rand
			return strings.HasPrefix(paths[i], "math/") && !strings.HasPrefix(paths[j], "math/")
		})
		for _, p := range paths { // prefer a package the interpreter has
			if binarySymbols(p) != nil {
				return p, true
			}
		}
		return paths[0], true
	}
	for _, p := range []string{"github.com/quire-go/quire/display", "github.com/quire-go/quire/executors"} {
		if path.Base(p) == name {
			return p, true
		}
	}
	return "", false
}

// Complete answers complete_request from the supervisor's records (it never waits for a
// running cell).
func (s *Supervisor) Complete(ctx context.Context, code string, cursor int) (backend.CompleteResult, error) {
	rs := []rune(code)
	if cursor < 0 || cursor > len(rs) {
		cursor = len(rs)
	}
	qual, start := identBefore(rs, cursor)
	dotted := start > 0 && rs[start-1] == '.'
	prefix := string(rs[start:cursor])
	res := backend.CompleteResult{CursorStart: start, CursorEnd: cursor, Metadata: map[string]any{}}
	seen := map[string]bool{}
	add := func(name string) {
		if strings.HasPrefix(name, prefix) && !seen[name] && name != "" {
			seen[name] = true
			res.Matches = append(res.Matches, name)
		}
	}
	var types []map[string]any
	addTyped := func(name, kind string) {
		if strings.HasPrefix(name, prefix) && !seen[name] {
			add(name)
			types = append(types, map[string]any{"start": start, "end": cursor, "text": name, "type": kind})
		}
	}
	if dotted {
		if p, ok := s.packagePath(qual, code); ok && qual != "" {
			callable := binarySymbols(p)
			members := godoc.Members(p)
			for _, m := range members {
				if strings.Contains(m.Name, ".") {
					continue
				}
				if callable != nil && !callable[m.Name] {
					continue
				}
				if callable == nil && m.NewerThan(interpGo) {
					continue
				}
				addTyped(m.Name, string(m.Kind))
			}
			{ // what the interpreter has that the index lacks (an index older than the package)
				names := make([]string, 0, len(callable))
				for n := range callable {
					names = append(names, n)
				}
				sort.Strings(names)
				for _, n := range names {
					addTyped(n, "")
				}
			}
		} else {
			// A value or type of the session: offer the user's methods and fields we know.
			s.rec.mu.Lock()
			for _, k := range s.rec.sess.order {
				d := s.rec.sess.decls[k]
				if d.Kind == cell.DeclMethod {
					t, m, _ := strings.Cut(d.Name, ".")
					if t == qual || !s.isType(t, qual) {
						addTyped(m, "method")
					}
				}
			}
			s.rec.mu.Unlock()
		}
	} else {
		s.rec.mu.Lock()
		for _, k := range s.rec.sess.order {
			d := s.rec.sess.decls[k]
			if d.Kind == cell.DeclMethod {
				continue
			}
			addTyped(d.Name, string(d.Kind))
		}
		for _, d := range s.rec.sess.imports {
			addTyped(d.Name, "module")
		}
		s.rec.mu.Unlock()
		for _, k := range keywords {
			addTyped(k, "keyword")
		}
		for _, b := range builtins {
			addTyped(b, "builtin")
		}
		if len(prefix) > 0 {
			for _, p := range godoc.Packages() {
				if binarySymbols(p) != nil {
					addTyped(path.Base(p), "module")
				}
			}
		}
	}
	res.Metadata["_jupyter_types_experimental"] = types
	if res.Matches == nil {
		res.Matches = []string{}
	}
	return res, nil
}

// isType reports whether t names a session type (caller holds s.rec.mu). A qualifier that is not
// a type (a variable) matches methods of every type.
func (s *Supervisor) isType(t, qual string) bool {
	d, ok := s.rec.sess.decls[qual]
	return ok && d.Kind == cell.DeclType && t != qual
}

// identAround returns the identifier under or just before the cursor and its qualifier; when
// the cursor is inside a call's parentheses, the called name.
func identAround(rs []rune, cursor int) (qual, name string) {
	if cursor > len(rs) {
		cursor = len(rs)
	}
	end := cursor
	for end < len(rs) && isIdentRune(rs[end]) {
		end++
	}
	q, start := identBefore(rs, cursor)
	if start == end {
		// Inside "f(" or "f(a, ": find the open parenthesis.
		depth := 0
		for i := cursor - 1; i >= 0; i-- {
			switch rs[i] {
			case ')':
				depth++
			case '(':
				if depth == 0 {
					return identAround(rs, i)
				}
				depth--
			case '\n', ';', '{', '}':
				return "", ""
			}
		}
		return "", ""
	}
	return q, string(rs[start:end])
}

// Inspect answers inspect_request: the signature and doc of a standard library symbol (from
// eval/godoc), or the source (with doc comment) of the user's own declaration.
func (s *Supervisor) Inspect(ctx context.Context, code string, cursor, detailLevel int) (backend.InspectResult, error) {
	rs := []rune(code)
	if cursor < 0 || cursor > len(rs) {
		cursor = len(rs)
	}
	qual, name := identAround(rs, cursor)
	res := backend.InspectResult{Data: backend.Bundle{}, Metadata: map[string]any{}}
	if name == "" {
		return res, nil
	}
	found := func(plain, md string) (backend.InspectResult, error) {
		res.Found = true
		res.Data["text/plain"] = plain
		if md != "" {
			res.Data["text/markdown"] = md
		}
		return res, nil
	}
	s.rec.mu.Lock()
	key := name
	if qual != "" {
		key = qual + "." + name
	}
	d, user := s.rec.sess.decls[key]
	src := ""
	if user {
		src = userDoc(d)
	}
	s.rec.mu.Unlock()
	if user {
		return found(src, "```go\n"+src+"\n```")
	}
	if qual != "" {
		if p, ok := s.packagePath(qual, code); ok {
			if sym, ok := godoc.Lookup(p, name); ok {
				return found(godoc.Format(sym))
			}
		}
		return res, nil
	}
	if sym, ok := godoc.Lookup(godoc.BuiltinPath, name); ok {
		return found(godoc.Format(sym))
	}
	if p, ok := s.packagePath(name, code); ok {
		if info, ok := godoc.Package(p); ok {
			return found(godoc.FormatPackage(info))
		}
	}
	return res, nil
}

// userDoc is d's doc comment and source as the user wrote them (at most 40 lines of it).
func userDoc(d cell.Decl) string {
	decl := d.Written
	if nl := strings.Count(decl, "\n"); nl > 40 {
		decl = strings.Join(strings.Split(decl, "\n")[:40], "\n") + "\n\t..."
	}
	if d.Doc != "" {
		return d.Doc + "\n" + decl
	}
	return decl
}

// IsComplete answers is_complete_request with cell.IsComplete.
func (s *Supervisor) IsComplete(ctx context.Context, code string) (backend.IsCompleteResult, error) {
	if isMagic(code) {
		return backend.IsCompleteResult{Status: backend.Complete}, nil
	}
	st, indent := cell.IsComplete(code)
	return backend.IsCompleteResult{Status: st, Indent: indent}, nil
}
