package eval

import (
	"fmt"
	"strings"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/internal/wire"
)

// nestedMethodSteps tell the worker about the String and Error methods a segment declares,
// and how to call them, so that fmt calls them on values of the type nested in others, as Go
// does (eval/worker/methods.go).
func nestedMethodSteps(seg cell.Segment) []wire.Step {
	var steps []wire.Step
	for _, d := range seg.Defines {
		typ, m, ok := strings.Cut(d.Name, ".")
		if d.Kind != cell.DeclMethod || !ok || (m != "String" && m != "Error") {
			continue
		}
		base, ptr := strings.CutPrefix(d.Recv, "*")
		if base != typ {
			continue // a generic receiver type (Stack[E]), or a receiver not known
		}
		recvs := []string{"*" + typ}
		if !ptr {
			recvs = append(recvs, typ)
		}
		for _, rt := range recvs {
			zero := "new(" + typ + ")"
			if rt == typ {
				zero = "*" + zero
			}
			steps = append(steps, wire.Step{Kind: wire.StepEval, Tolerant: true, Name: "quire's note of " + d.Name,
				Src: fmt.Sprintf(";%s.NoteMethod(%q, %q, %s, func(v any) string { return v.(%s).%s() })", cell.HostPkg, typ, m, zero, rt, m)})
		}
	}
	return steps
}

// stepFuncs lists the funcs and methods among ds for wire.Step.Funcs.
func stepFuncs(ds ...cell.Decl) []wire.Func {
	var fs []wire.Func
	for _, d := range ds {
		switch d.Kind {
		case cell.DeclFunc:
			fs = append(fs, wire.Func{Name: d.Name, Src: d.Text})
		case cell.DeclMethod:
			typ, m, _ := strings.Cut(d.Name, ".")
			fs = append(fs, wire.Func{Name: m, Recv: typ, Src: d.Text})
		}
	}
	return fs
}
