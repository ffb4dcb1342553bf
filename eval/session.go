package eval

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"sort"
	"strings"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/internal/wire"
)

// session is the supervisor's record of what the user declared, in the order of first
// declaration, with each name's latest source. It is the source of truth for replay (after a
// crash, an interrupt or a type redefinition), for completion and for inspection: the worker's
// interpreter state is disposable.
type session struct {
	cells   int
	imports []cell.Decl // in order; local name unique
	order   []string    // decl keys in order of first declaration
	decls   map[string]cell.Decl
	cellOf  map[string]string // decl key -> cell source it came from (for doc comments)
	vars    map[string]bool   // variables that live only in the worker (lost on restart)
	history []string          // executed cell sources
}

func newSession() *session {
	return &session{decls: map[string]cell.Decl{}, cellOf: map[string]string{}, vars: map[string]bool{}}
}

func declKey(d cell.Decl) string {
	if d.Kind == cell.DeclImport {
		return "import " + d.Name
	}
	return d.Name
}

// withDecls returns a copy of the records with ds added.
func (s *session) withDecls(ds []cell.Decl) *session {
	c := &session{
		imports: append([]cell.Decl(nil), s.imports...),
		order:   append([]string(nil), s.order...),
		decls:   make(map[string]cell.Decl, len(s.decls)),
		cellOf:  make(map[string]string, len(s.cellOf)),
		vars:    make(map[string]bool, len(s.vars)),
	}
	for k, v := range s.decls {
		c.decls[k] = v
	}
	for k, v := range s.cellOf {
		c.cellOf[k] = v
	}
	for k, v := range s.vars {
		c.vars[k] = v
	}
	c.record(ds, "")
	return c
}

// known describes the session for cell.Build.
func (s *session) known() cell.Known {
	k := cell.Known{
		Imports:  map[string]string{},
		Funcs:    map[string]bool{},
		Types:    map[string]bool{},
		Vars:     map[string]bool{},
		Consts:   map[string]bool{},
		Generics: map[string]bool{},
		Ints:     map[string]bool{},
	}
	for _, d := range s.imports {
		k.Imports[d.Name] = d.Path
	}
	for _, name := range s.order {
		d := s.decls[name]
		switch d.Kind {
		case cell.DeclFunc, cell.DeclMethod:
			k.Funcs[d.Name] = true
			if d.Generic {
				k.Generics[d.Name] = true
			}
		case cell.DeclType:
			k.Types[d.Name] = true
		case cell.DeclConst:
			k.Consts[d.Name] = true
			k.Vars[d.Name] = true
		case cell.DeclVar:
			k.Vars[d.Name] = true
		}
		if d.Int {
			k.Ints[d.Name] = true
		}
	}
	return k
}

// record adds the declarations of a segment that ran.
func (s *session) record(ds []cell.Decl, src string) {
	for _, d := range ds {
		if d.Kind == cell.DeclImport {
			replaced := false
			for i, old := range s.imports {
				if old.Name == d.Name {
					s.imports[i], replaced = d, true
				}
			}
			if !replaced {
				s.imports = append(s.imports, d)
			}
			continue
		}
		key := declKey(d)
		if _, ok := s.decls[key]; !ok {
			s.order = append(s.order, key)
		}
		s.decls[key] = d
		s.cellOf[key] = src
		if d.Kind == cell.DeclVar {
			s.vars[d.Name] = !replayableVar(d.Src)
		}
	}
}

var lineDirective = regexp.MustCompile(`(?m)^//line [^\n]*\n|/\*line [^*]*\*/`)

// sameSource compares two declarations' sources without their //line directives.
func sameSource(a, b string) bool {
	norm := func(s string) string {
		return strings.TrimSpace(strings.TrimLeft(lineDirective.ReplaceAllString(s, ""), ";\n"))
	}
	return norm(a) == norm(b)
}

// changed reports whether d redefines a declaration with different source.
func (s *session) changed(d cell.Decl) bool {
	old, ok := s.decls[declKey(d)]
	return ok && old.Kind != cell.DeclImport && !sameSource(old.Src, d.Src)
}

// replaySteps re-creates the session's declarations in a fresh interpreter: imports, then the
// other declarations in order of first declaration (each with its latest source), then the
// helpers. Every step is tolerant; out-of-order dependencies are retried.
func (s *session) replaySteps(prelude string) []wire.Step {
	var steps []wire.Step
	for _, d := range s.imports {
		steps = append(steps, wire.Step{Kind: wire.StepEval, Src: d.Src, Name: "import " + d.Path, Tolerant: true})
	}
	if prelude != "" {
		steps = append(steps, wire.Step{Kind: wire.StepEval, Src: prelude, Name: "quire helpers", Tolerant: true})
	}
	for _, key := range s.order {
		d := s.decls[key]
		if d.Kind == cell.DeclVar && s.vars[d.Name] {
			continue
		}
		steps = append(steps, wire.Step{Kind: wire.StepEval, Src: d.Src, Name: string(d.Kind) + " " + d.Name, Tolerant: true, Retry: true})
	}
	return steps
}

// lost lists the variables a restart loses, sorted.
func (s *session) lost() []string {
	var out []string
	for name, lost := range s.vars {
		if lost {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// reset lists the variables a restart sets back to their declared initial value (replayed
// `var` declarations), sorted.
func (s *session) reset() []string {
	var out []string
	for name, lost := range s.vars {
		if !lost {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// lostNote tells the user what a restart did to their variables.
func lostNote(lost, reset []string) string {
	var b strings.Builder
	if len(lost) > 0 {
		b.WriteString("Lost variables: " + strings.Join(lost, ", ") + ".")
	}
	if len(reset) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString("Variables back to their declared initial value: " + strings.Join(reset, ", ") + ".")
	}
	return b.String()
}

// forgetVars drops the lost variables from the records (after a restart).
func (s *session) forgetVars() {
	for name, lost := range s.vars {
		if !lost {
			continue
		}
		delete(s.vars, name)
		if d, ok := s.decls[name]; ok && d.Kind == cell.DeclVar {
			delete(s.decls, name)
			delete(s.cellOf, name)
			for i, k := range s.order {
				if k == name {
					s.order = append(s.order[:i], s.order[i+1:]...)
					break
				}
			}
		}
	}
}

// replayableVar reports whether a var declaration can be re-run without side effects: a
// `var` declaration whose initialisers call nothing but make/new/len/cap and conversions of
// basic types and receive from no channel. := definitions are never replayed.
func replayableVar(src string) bool {
	body := strings.TrimSpace(strings.TrimLeft(lineDirective.ReplaceAllString(src, ""), ";\n \t"))
	if !strings.HasPrefix(body, "var") {
		return false
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p;"+body, parser.SkipObjectResolution)
	if err != nil {
		return false
	}
	ok := true
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			id, isID := x.Fun.(*ast.Ident)
			if !isID || !safeCalls[id.Name] {
				ok = false
			}
		case *ast.UnaryExpr:
			if x.Op == token.ARROW {
				ok = false
			}
		case *ast.FuncLit:
			return false
		}
		return ok
	})
	return ok
}

var safeCalls = map[string]bool{
	"make": true, "new": true, "len": true, "cap": true, "int": true, "int64": true, "int32": true,
	"uint": true, "uint64": true, "float64": true, "float32": true, "string": true, "byte": true,
	"rune": true, "bool": true, "complex": true,
}
