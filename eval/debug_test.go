package eval

import "testing"

// TestMurmur2 checks the cell hash against murmurhash-js's murmur2 (the values were computed
// with murmurhash-js 1.0.0 under Node, seed DebugHashSeed): JupyterLab computes the same
// hash to map cells to dumped sources, so it must match exactly, non-ASCII text included.
func TestMurmur2(t *testing.T) {
	for _, c := range []struct {
		code string
		want uint32
	}{
		{"", 2496897256},
		{"a", 115598505},
		{"ab", 608389596},
		{"abc", 4016309163},
		{"abcd", 103468879},
		{"fmt.Println(1)\n", 3688050506},
		{"x := \"héllo 世界 🎉\"\nfmt.Println(x)", 3276595590},
	} {
		if got := Murmur2(c.code, DebugHashSeed); got != c.want {
			t.Errorf("Murmur2(%q) = %d, want %d", c.code, got, c.want)
		}
	}
}
