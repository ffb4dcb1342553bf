package worker

import "testing"

func TestContainsWord(t *testing.T) {
	for _, c := range []struct {
		s, word string
		want    bool
	}{
		{"load(&t)", "load", true},
		{"x := reload(&t)", "load", false},
		{"loader(&t)", "load", false},
		{"a.load()", "load", true},
		{"_load()", "load", false},
		{"load2()", "load", false},
		{"reload(); load()", "load", true},
		{"éload()", "load", false},
		{"", "load", false},
		{"load", "", false},
	} {
		if got := containsWord(c.s, c.word); got != c.want {
			t.Errorf("containsWord(%q, %q) = %v, want %v", c.s, c.word, got, c.want)
		}
	}
}
