package kernel

import (
	"bytes"
	"testing"
)

// fuzzSep separates frames in FuzzDecode's input.
var fuzzSep = []byte{0x1e}

// FuzzDecode feeds arbitrary frames to the decoder, signed with a valid signature when sign is
// set (so the fuzzer reaches the JSON parsing behind the signature check). Decode must never
// panic, and a decoded message must re-encode and decode again.
func FuzzDecode(f *testing.F) {
	c := NewCodec([]byte("fuzz-key"), 1<<20, 64)
	m := testMessage()
	frames, _ := c.Encode(m)
	f.Add(bytes.Join(frames, fuzzSep), true)
	f.Add(bytes.Join(frames, fuzzSep), false)
	f.Add([]byte("<IDS|MSG>"), true)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, data []byte, sign bool) {
		frames := bytes.Split(data, fuzzSep)
		if sign {
			for i, fr := range frames {
				if bytes.Equal(fr, Delimiter) && len(frames) >= i+6 {
					frames[i+1] = c.Sign(frames[i+2], frames[i+3], frames[i+4], frames[i+5])
					break
				}
			}
		}
		msg, err := c.Decode(frames)
		if err != nil {
			return
		}
		out, err := c.Encode(msg)
		if err != nil {
			t.Fatalf("re-encode of a decoded message failed: %v", err)
		}
		if _, err := NewCodec([]byte("fuzz-key"), 0, 0).Decode(out); err != nil {
			t.Fatalf("re-encoded message does not decode: %v", err)
		}
	})
}

// FuzzFrameGuard checks that the transport's frame scanner never panics, whatever the bytes and
// however they are split.
func FuzzFrameGuard(f *testing.F) {
	f.Add([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 1, 2, 3}, uint8(5))
	f.Add([]byte{flagLong, 0x40, 0, 0, 0, 0, 0, 0, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		g := frameGuard{greeting: int(chunk % 70), max: 1 << 10}
		step := int(chunk%16) + 1
		for i := 0; i < len(data); i += step {
			if g.scan(data[i:min(i+step, len(data))]) != nil {
				return
			}
		}
	})
}
