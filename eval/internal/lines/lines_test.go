package lines

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCopy(t *testing.T) {
	var got []string
	Copy(iotest.OneByteReader(strings.NewReader("a\nbc\nd")), func(s string) { got = append(got, s) })
	if strings.Join(got, "|") != "a\n|bc\n|d" {
		t.Errorf("got %q", got)
	}
	got = nil
	Copy(io.MultiReader(strings.NewReader("x\ny\n"), strings.NewReader("z")), func(s string) { got = append(got, s) })
	if strings.Join(got, "") != "x\ny\nz" || !strings.HasSuffix(got[0], "\n") {
		t.Errorf("got %q", got)
	}
}
