package wire

import (
	"strings"
	"testing"
)

func TestScannerSplitsMarkers(t *testing.T) {
	in := "hello\n" + string(Marker("ab12", 7)) + "wörld" + string(Marker("ab12", 8)) + "\x00x"
	for chunk := 1; chunk <= len(in); chunk++ {
		s := NewScanner("ab12")
		var got strings.Builder
		var marks []uint64
		for i := 0; i < len(in); i += chunk {
			j := min(i+chunk, len(in))
			s.Feed([]byte(in[i:j]), func(b []byte) { got.Write(b) }, func(n uint64) {
				marks = append(marks, n)
				got.WriteString("|")
			})
		}
		got.Write(s.Flush())
		if want := "hello\n|wörld|\x00x"; got.String() != want {
			t.Fatalf("chunk %d: got %q, want %q", chunk, got.String(), want)
		}
		if len(marks) != 2 || marks[0] != 7 || marks[1] != 8 {
			t.Fatalf("chunk %d: marks %v", chunk, marks)
		}
	}
}
