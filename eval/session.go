package eval

import (
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
	vars    map[string]bool // variables that live only in the worker (lost on restart)
	history []string        // executed cell sources
	// zombies are names that only a cell which failed to compile declared: yaegi v0.16.1
	// keeps them (declared before the error was found), Go would not have them.
	zombies map[string]bool
	// snap has the plain-data values of variables after the last cell that ran without
	// error (snapshot.go), restored after a restart.
	snap map[string]wire.Snap
}

func newSession() *session {
	return &session{decls: map[string]cell.Decl{}, vars: map[string]bool{}, zombies: map[string]bool{}}
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
		vars:    make(map[string]bool, len(s.vars)),
	}
	for k, v := range s.decls {
		c.decls[k] = v
	}
	for k, v := range s.vars {
		c.vars[k] = v
	}
	c.record(ds)
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
		Iters:    map[string]int{},
		Yields:   map[string]int{},
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
		if d.Iter != 0 && d.Kind != cell.DeclMethod {
			k.Iters[d.Name] = d.Iter
		}
		if d.Yields != 0 && d.Kind == cell.DeclFunc {
			k.Yields[d.Name] = d.Yields
		}
	}
	return k
}

// record adds the declarations of a segment that ran.
func (s *session) record(ds []cell.Decl) {
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
		delete(s.zombies, d.Name)
		if _, ok := s.decls[key]; !ok {
			s.order = append(s.order, key)
		}
		s.decls[key] = d
		if d.Kind == cell.DeclVar {
			s.vars[d.Name] = d.Define || !d.Pure // a var with a pure initial value is replayed
		}
	}
}

// changed reports whether d redefines a declaration with different source.
func (s *session) changed(d cell.Decl) bool {
	old, ok := s.decls[declKey(d)]
	return ok && old.Kind != cell.DeclImport && old.Text != d.Text
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
		steps = append(steps, wire.Step{Kind: wire.StepEval, Src: d.Src, Name: string(d.Kind) + " " + d.Name, Tolerant: true, Retry: true, Funcs: stepFuncs(d)})
	}
	return steps
}

// childSteps are the replay steps for executors' child processes (`quire worker --task`),
// which run the session's funcs: replaySteps, plus the := definitions whose value is
// side-effect free (x := 0, m := map[string]int{}; replayed like var declarations, so the child
// starts from the initial value), plus a wire.StepUnavailable step for each func that uses,
// directly or through other funcs, a variable the child cannot rebuild, so that running it in a
// child fails with a message saying what to write instead.
func (s *session) childSteps(prelude string) []wire.Step {
	steps := s.replaySteps(prelude)
	missing := map[string]cell.Decl{} // variables the child does not have
	var defines []wire.Step
	seen := map[string]bool{} // a, b := 1, 2 declares two names with one source
	for _, key := range s.order {
		d := s.decls[key]
		if d.Kind != cell.DeclVar || !s.vars[d.Name] {
			continue
		}
		if d.Define && d.Pure {
			if seen[d.Src] {
				continue
			}
			seen[d.Src] = true
			defines = append(defines, wire.Step{Kind: wire.StepEval, Src: d.Src, Name: "var " + d.Name, Tolerant: true, Retry: true})
			continue
		}
		missing[d.Name] = d
	}
	if len(defines) > 0 {
		// Before the funcs' steps is not needed (a func may use a global declared later), but
		// they go before any late var that could use them: insert after the imports and helpers.
		at := len(s.imports)
		if prelude != "" {
			at++
		}
		steps = append(steps[:at:at], append(defines, steps[at:]...)...)
	}
	if len(missing) == 0 {
		return steps
	}
	// The funcs (not methods) that use a missing variable as a free identifier, directly or
	// through other funcs, in order of declaration.
	free := map[string]map[string]bool{}
	for _, key := range s.order {
		if d := s.decls[key]; d.Kind == cell.DeclFunc {
			free[d.Name] = map[string]bool{}
			for _, id := range d.Free {
				free[d.Name][id] = true
			}
		}
	}
	why := map[string]string{} // func -> message
	for changed := true; changed; {
		changed = false
		for _, key := range s.order {
			d := s.decls[key]
			if d.Kind != cell.DeclFunc || why[d.Name] != "" {
				continue
			}
			for _, key2 := range s.order {
				u := s.decls[key2].Name
				if !free[d.Name][u] || u == d.Name {
					continue
				}
				if m, ok := missing[u]; ok {
					why[d.Name] = d.Name + " uses " + unavailableMsg(m)
				} else if w := why[u]; w != "" && free[u] != nil {
					why[d.Name] = d.Name + " calls " + u + ", which" + strings.TrimPrefix(w, u)
				}
				if why[d.Name] != "" {
					changed = true
					break
				}
			}
		}
	}
	funcs := make([]string, 0, len(why))
	for f := range why {
		funcs = append(funcs, f)
	}
	sort.Strings(funcs)
	for _, f := range funcs {
		steps = append(steps, wire.Step{Kind: wire.StepUnavailable, Name: f, Src: why[f]})
	}
	return steps
}

// unavailableMsg says why a child process has no variable d and what to write instead.
func unavailableMsg(d cell.Decl) string {
	where := ""
	if d.Pos != "" {
		where = " in " + d.Pos
	}
	if d.Define {
		return d.Name + ", declared with :=" + where + "; a child process only rebuilds declarations, and re-runs a := only when its value has no side effects (literals, make, new, conversions): " +
			"declare it with var " + d.Name + " = <initial value> (its initial value is used in the child), or pass the value as an argument"
	}
	return d.Name + ", declared" + where + " with an initial value that calls a function or uses a variable a child process does not have; a child process does not re-run it: " +
		"give it a side-effect-free initial value (var " + d.Name + " = <literal>, make(...)) and set it where it is used, or pass the value as an argument"
}

// lost lists the variables a restart loses, sorted.
func (s *session) lost() []string {
	var out []string
	for name, lost := range s.vars {
		if _, restored := s.snap[name]; lost && !restored {
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
		if _, restored := s.snap[name]; !lost && !restored {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// lostNote tells the user what a restart did to their variables.
func lostNote(lost, reset, restored []string) string {
	var b strings.Builder
	if len(restored) > 0 {
		b.WriteString("Variables restored to their value after the last cell that ran without error: " + strings.Join(restored, ", ") + ".")
	}
	if len(lost) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
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

// forgetVars drops the lost variables from the records (after a restart), except those
// restored from the snapshot.
func (s *session) forgetVars() {
	for name, lost := range s.vars {
		if _, restored := s.snap[name]; !lost || restored {
			continue
		}
		delete(s.vars, name)
		if d, ok := s.decls[name]; ok && d.Kind == cell.DeclVar {
			delete(s.decls, name)
			for i, k := range s.order {
				if k == name {
					s.order = append(s.order[:i], s.order[i+1:]...)
					break
				}
			}
		}
	}
}
