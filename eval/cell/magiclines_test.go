package cell

import "testing"

func TestMagicLines(t *testing.T) {
	cases := []struct {
		src  string
		want string // one character a line: m for magic, . for Go
	}{
		{"%time f()", "m"},
		{"x := 1\n%time f(x)\nfmt.Println(x)", ".m."},
		{"ok := a &&\n!b", ".."},
		{"s := `\n%d items\n`\n%who", "...m"},
		{"/*\n%not a magic\n*/\n!ls", "...m"},
		{"f(\n%x,\n)", "..."},
		{"for i := 0; i < 3; i++ {\n%time g()\n}", "..."},
		{"x++\n%timeit x++", ".m"},
		{"s := \"%\" // comment\n!echo hi", ".m"},
		{"y := 2 *\n%x", ".."},
	}
	for _, tc := range cases {
		got := ""
		for _, m := range MagicLines(tc.src) {
			if m {
				got += "m"
			} else {
				got += "."
			}
		}
		if got != tc.want {
			t.Errorf("MagicLines(%q) = %s, want %s", tc.src, got, tc.want)
		}
	}
}
