package wire

import (
	"strings"
	"testing"
	"unsafe"
)

func TestUnreceived(t *testing.T) {
	region := make([]byte, ShmStream)
	h := (*ShmHeader)(unsafe.Pointer(&region[0]))
	copy(region[ShmHeaderSize:], "abcdef")
	h.AddBase(100) // 100 bytes went out before the buffer
	h.SetLen(6)
	for _, c := range []struct {
		received uint64
		want     string
	}{
		{90, "abcdef"},  // some written bytes were lost too: deliver the whole buffer
		{100, "abcdef"}, // the buffer did not go out
		{103, "def"},    // it went out in part
		{106, ""},       // all of it
		{200, ""},
	} {
		if got := string(Unreceived(region, c.received)); got != c.want {
			t.Errorf("received %d: got %q, want %q", c.received, got, c.want)
		}
	}
}

func TestScannerOwnerMarkers(t *testing.T) {
	in := "a" + string(OwnerMarker("n1", 7)) + "b" + string(Marker("n1", 3)) + "c" + string(OwnerMarker("n1", 0)) + "d"
	for chunk := 1; chunk <= len(in); chunk++ {
		s := NewScanner("n1")
		owner := uint64(0)
		var got strings.Builder
		s.Owner = func(id uint64) { owner = id }
		for i := 0; i < len(in); i += chunk {
			s.Feed([]byte(in[i:min(i+chunk, len(in))]), func(b []byte) {
				got.WriteString(strings.Repeat(string(rune('0'+owner)), len(b)) + ":" + string(b) + " ")
			}, func(n uint64) { got.WriteString("|") })
		}
		// Text may come in pieces; compare without the piece boundaries.
		norm := strings.NewReplacer(" ", "").Replace(got.String())
		if want := "0:a7:b|7:c0:d"; norm != want {
			t.Fatalf("chunk %d: got %q, want %q", chunk, norm, want)
		}
	}
}
