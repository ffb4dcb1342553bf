package kernel

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/go-zeromq/zmq4"
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
			// What the kernel does with a refused message must not panic either.
			if m := c.salvage(frames, errors.Is(err, ErrTooLarge)); m != nil && (m.Header.MsgID == "" || m.Header.MsgType == "") {
				t.Fatalf("salvaged a message without msg_id or msg_type: %+v", m.Header)
			}
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
		if chunk%2 == 1 {
			g.sockType, g.greeting = zmq4.Router, zmtpGreeting // check the handshake too
		}
		step := int(chunk%16) + 1
		for i := 0; i < len(data); i += step {
			if g.scan(data[i:min(i+step, len(data))]) != nil {
				return
			}
		}
	})
}

// FuzzParseConnection feeds arbitrary bytes to the connection-file parser. It must never
// panic; a file it accepts must describe something the kernel can bind (a known transport and
// scheme, ports in range, an address), validate again unchanged, and survive a write and read.
func FuzzParseConnection(f *testing.F) {
	f.Add([]byte(`{"transport":"tcp","ip":"127.0.0.1","shell_port":5555,"iopub_port":5556,"stdin_port":5557,"control_port":5558,"hb_port":5559,"key":"abc","signature_scheme":"hmac-sha256","kernel_name":"quire"}`))
	f.Add([]byte(`{"transport":"ipc","ip":"/tmp/kernel-ipc","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"signature_scheme":"hmac-md5"}`))
	f.Add([]byte(`{"transport":"udp"}`))
	f.Add([]byte(`{"shell_port":-1}`))
	f.Add([]byte(`{"shell_port":"5555"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseConnection(data)
		if err != nil {
			return
		}
		if c.Transport != "tcp" && c.Transport != "ipc" {
			t.Fatalf("accepted transport %q", c.Transport)
		}
		if c.SignatureScheme != SignatureScheme {
			t.Fatalf("accepted signature scheme %q", c.SignatureScheme)
		}
		if c.IP == "" {
			t.Fatal("accepted an empty ip")
		}
		for _, p := range []int{c.ShellPort, c.IOPubPort, c.StdinPort, c.ControlPort, c.HBPort} {
			if p < 0 || p > 65535 || (c.Transport == "ipc" && p == 0) {
				t.Fatalf("accepted port %d for %s", p, c.Transport)
			}
			if ep := c.Endpoint(p); !strings.HasPrefix(ep, c.Transport+"://") {
				t.Fatalf("endpoint %q", ep)
			}
		}
		again := c
		if err := again.Validate(); err != nil || again != c {
			t.Fatalf("validating an accepted connection again: %v, %+v -> %+v", err, c, again)
		}
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseConnection(out)
		if err != nil || back != c {
			t.Fatalf("round trip: %v, %+v -> %+v", err, c, back)
		}
	})
}

// FuzzCheckReady checks that the READY check never panics, and that a READY it accepts is one
// zmq4 parses without panicking, to the socket type the check saw.
func FuzzCheckReady(f *testing.F) {
	f.Add([]byte("\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER"))
	f.Add([]byte("\x05READY\x0bsocket-type\x00\x00\x00\x03SUB\x08Identity\x00\x00\x00\x00"))
	f.Add([]byte("\x05READY\xc8S"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if checkReady(body, zmq4.Router) != nil {
			return
		}
		md := zmq4.Metadata{}
		if err := md.UnmarshalZMTP(body[1+int(body[0]):]); err != nil {
			t.Fatalf("accepted a READY zmq4 cannot parse: %v", err)
		}
		if peer := zmq4.SocketType(md["Socket-Type"]); !peer.IsCompatible(zmq4.Router) {
			t.Fatalf("accepted socket type %q", peer)
		}
	})
}
