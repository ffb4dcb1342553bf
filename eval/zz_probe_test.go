package eval

import (
	"os"
	"strings"
	"testing"
)

func TestZZProbe(t *testing.T) {
	s := newSup(t)
	for _, c := range strings.Split(os.Getenv("PROBE"), "\n----\n") {
		r, out := run(t, s, c)
		msg := ""
		if r.Error != nil {
			msg = r.Error.Name + ": " + r.Error.Value
		}
		t.Logf("CELL:\n%s\nSTATUS %s %s\nSTDOUT:\n%s\nSTDERR:\n%s", c, r.Status, msg, out.Stdout(), out.Stderr())
	}
}
