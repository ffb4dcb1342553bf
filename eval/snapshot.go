package eval

import (
	"sort"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/internal/wire"
)

// Variables after a restart (issue 12, item 5). After each cell that runs without error the
// worker returns the plain-data values of the session's variables (eval/worker/snapshot.go);
// a restart after a crash or an interrupt replays the declarations and then restores those
// values, and the message says which variables were restored, which reset to their declared
// initial value and which lost.

// snapshotNames lists the variables to snapshot after a cell declaring ds.
func (s *session) snapshotNames(ds []cell.Decl) []string {
	seen := map[string]bool{}
	var out []string
	for name := range s.vars {
		seen[name] = true
		out = append(out, name)
	}
	for _, d := range ds {
		if d.Kind == cell.DeclVar && !seen[d.Name] {
			seen[d.Name] = true
			out = append(out, d.Name)
		}
	}
	sort.Strings(out)
	return out
}

// takeSnapshot keeps the values of a successful cell's snapshot that a restart can restore
// faithfully: all values of variables whose var declaration is replayed (restored by
// assignment, the declaration gives the type), and values of := variables whose definition
// uses no type or func of the session (the value's type, which the snapshot spells from
// predeclared types, may otherwise be a named type of the session).
func (s *session) takeSnapshot(m map[string]wire.Snap) {
	s.snap = nil
	for name, v := range m {
		lost, ok := s.vars[name]
		if !ok {
			continue
		}
		if lost && s.usesSessionCode(name) {
			continue
		}
		if s.snap == nil {
			s.snap = map[string]wire.Snap{}
		}
		s.snap[name] = v
	}
}

// usesSessionCode reports whether the declaration of the variable name uses a type or func
// declared in the session.
func (s *session) usesSessionCode(name string) bool {
	d, ok := s.decls[name]
	if !ok {
		return true
	}
	for _, u := range d.Uses {
		if o, ok := s.decls[u]; ok && o.Kind != cell.DeclVar && o.Kind != cell.DeclConst {
			return true
		}
	}
	return false
}

// restored lists the variables a restart restores from the snapshot, sorted.
func (s *session) restored() []string {
	var out []string
	for name := range s.snap {
		if _, ok := s.vars[name]; ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// restoreSteps recreate the snapshot's values after the replay: an assignment for variables
// whose declaration was replayed, a definition for the others.
func (s *session) restoreSteps() []wire.Step {
	var steps []wire.Step
	for _, name := range s.restored() {
		v := s.snap[name]
		src := ";" + name + " = " + v.Value
		if s.vars[name] {
			src = ";" + name + " := " + v.Typed
		}
		steps = append(steps, wire.Step{Kind: wire.StepEval, Src: src, Name: "the value of " + name, Tolerant: true})
	}
	return steps
}
