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
// so that fmt warns where it prints values of the type nested in others without calling
// them (eval/worker/methods.go).
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
		vals := []string{"new(" + typ + ")"}
		if r[1] == "" {
			vals = append(vals, "*new("+typ+")")
		}
		for _, v := range vals {
			steps = append(steps, wire.Step{Kind: wire.StepEval, Tolerant: true, Name: "quire's note of " + d.Name,
				Src: fmt.Sprintf(";%s.NoteMethod(%q, %q, %s)", cell.HostPkg, typ, m, v)})
		}
	}
	return steps
}
