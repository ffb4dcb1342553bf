package cell

import (
	"regexp"
	"testing"
)

// lineDirectivesRE is the regular expression StripLineDirectives implements.
var lineDirectivesRE = regexp.MustCompile(`(?m)^//line [^\n]*\n|/\*line [^*]*\*/`)

func FuzzStripLineDirectives(f *testing.F) {
	for _, s := range []string{
		"//line cell1/_.go:1:1\nx := 1\n",
		";\n//line cell1/_.go:3:1\nfunc f() {}\n/*line cell1/_.go:4:2*/g()",
		"//line no newline",
		"a //line not at a line start\n",
		"/*line a*b*/ /*line ok*/x",
		"/*line unterminated",
		"\n//line x\n//line y\nz",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if got, want := StripLineDirectives(src), lineDirectivesRE.ReplaceAllString(src, ""); got != want {
			t.Fatalf("StripLineDirectives(%q) = %q, the regexp gives %q", src, got, want)
		}
	})
}
