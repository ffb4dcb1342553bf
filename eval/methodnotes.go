package eval

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/internal/wire"
)

// recvStar finds a method declaration's receiver: "func (p *T) Name(" gives "*", "T".
var recvStar = regexp.MustCompile(`func\s*\(\s*(?:\w+\s+)?(\*?)\s*(\w+)\s*\)`)

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
		r := recvStar.FindStringSubmatch(d.Src)
		if r == nil || r[2] != typ {
			continue // a generic receiver type, or unusual source
		}
		recvs := []string{"*" + typ}
		if r[1] == "" {
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
