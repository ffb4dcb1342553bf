package kernel

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func testMessage() *Message {
	m := &Message{
		Identities:   [][]byte{[]byte("peer-1")},
		Header:       NewHeader("execute_request", "sess", "user"),
		ParentHeader: NewHeader("previous", "sess", "user"),
		Metadata:     map[string]any{"k": "v"},
		Buffers:      [][]byte{[]byte("buf0")},
	}
	m.SetContent(map[string]any{"code": "1+1", "silent": false})
	return m
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	c := NewCodec([]byte("secret"), 0, 0)
	m := testMessage()
	frames, err := c.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(frames[1], Delimiter) || string(frames[0]) != "peer-1" || len(frames) != 8 {
		t.Fatalf("frame layout: %q", frames)
	}
	// The signature is HMAC-SHA256 over header, parent, metadata, content, in hex.
	mac := hmac.New(sha256.New, []byte("secret"))
	for _, f := range frames[3:7] {
		mac.Write(f)
	}
	if want := hex.EncodeToString(mac.Sum(nil)); string(frames[2]) != want {
		t.Errorf("signature %s, want %s", frames[2], want)
	}
	got, err := c.Decode(frames)
	if err != nil {
		t.Fatal(err)
	}
	if got.Header != m.Header || got.ParentHeader != m.ParentHeader || string(got.Content) != string(m.Content) ||
		got.Metadata["k"] != "v" || len(got.Buffers) != 1 || string(got.Identities[0]) != "peer-1" {
		t.Errorf("round trip: %+v", got)
	}
}

func TestDecodeErrors(t *testing.T) {
	c := NewCodec([]byte("secret"), 1<<10, 4)
	good, _ := c.Encode(testMessage())
	clone := func() [][]byte {
		out := make([][]byte, len(good))
		for i, f := range good {
			out[i] = append([]byte(nil), f...)
		}
		return out
	}
	tamper := clone()
	tamper[6] = []byte(`{"code":"rm -rf"}`)
	badHex := clone()
	badHex[2] = bytes.Repeat([]byte("g"), 64)
	noSig := clone()
	noSig[2] = nil
	big := clone()
	big[7] = make([]byte, 2<<10)
	cases := []struct {
		name   string
		frames [][]byte
		want   error
	}{
		{"no delimiter", [][]byte{[]byte("a"), []byte("b")}, ErrMalformed},
		{"missing frames", good[:5], ErrMalformed},
		{"tampered content", tamper, ErrBadSignature},
		{"non-hex signature", badHex, ErrBadSignature},
		{"missing signature", noSig, ErrBadSignature},
		{"too large", big, ErrTooLarge},
	}
	for _, tc := range cases {
		if _, err := c.Decode(tc.frames); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := c.Decode(good); err != nil {
		t.Fatalf("good message: %v", err)
	}
	if _, err := c.Decode(good); !errors.Is(err, ErrReplayed) {
		t.Errorf("replay: err %v", err)
	}
	// The window is bounded: after 4 newer messages, the first signature is forgotten.
	for range 4 {
		f, _ := c.Encode(testMessage())
		if _, err := c.Decode(f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Decode(good); err != nil {
		t.Errorf("signature outside the window still refused: %v", err)
	}
}

func TestDecodeUnsigned(t *testing.T) {
	c := NewCodec(nil, 0, 0)
	frames, _ := c.Encode(testMessage())
	if len(frames[2]) != 0 {
		t.Errorf("unsigned codec wrote signature %q", frames[2])
	}
	if _, err := c.Decode(frames); err != nil {
		t.Fatal(err)
	}
	bad := append([][]byte(nil), frames...)
	bad[6] = []byte("[]")
	if _, err := c.Decode(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("array content: %v", err)
	}
}

func TestConnectionFile(t *testing.T) {
	dir := t.TempDir()
	info, err := NewConnectionInfo("tcp", "")
	if err != nil {
		t.Fatal(err)
	}
	if info.IP != "127.0.0.1" || len(info.Key) != 64 || info.ShellPort == 0 || info.HBPort == 0 {
		t.Fatalf("new info %+v", info)
	}
	path := filepath.Join(dir, "sub", "kernel-1.json")
	if err := WriteConnectionFile(path, info); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v err %v", fi.Mode(), err)
	}
	got, err := ReadConnectionFile(path)
	if err != nil || got != info {
		t.Fatalf("read back %+v, %v", got, err)
	}
	if ep := got.Endpoint(got.ShellPort); !strings.HasPrefix(ep, "tcp://127.0.0.1:") {
		t.Errorf("endpoint %s", ep)
	}
	ipc := ConnectionInfo{Transport: "ipc", IP: "/tmp/k-ipc", ShellPort: 1, IOPubPort: 2, StdinPort: 3, ControlPort: 4, HBPort: 5}
	if err := ipc.Validate(); err != nil || ipc.Endpoint(3) != "ipc:///tmp/k-ipc-3" {
		t.Errorf("ipc endpoint %s %v", ipc.Endpoint(3), err)
	}

	bad := map[string]string{
		"scheme":    `{"transport":"tcp","ip":"127.0.0.1","shell_port":1,"key":"k","signature_scheme":"hmac-md5"}`,
		"transport": `{"transport":"udp","ip":"127.0.0.1","shell_port":1,"key":"k","signature_scheme":"hmac-sha256"}`,
		"json":      `{"transport":`,
		"ipc ip":    `{"transport":"ipc","shell_port":1,"iopub_port":2,"stdin_port":3,"control_port":4,"hb_port":5}`,
	}
	for name, content := range bad {
		p := filepath.Join(dir, name+".json")
		os.WriteFile(p, []byte(content), 0o600)
		if _, err := ReadConnectionFile(p); err == nil {
			t.Errorf("%s: accepted %s", name, content)
		}
	}
	// An empty key means unsigned; an empty scheme defaults to hmac-sha256.
	p := filepath.Join(dir, "nokey.json")
	os.WriteFile(p, []byte(`{"transport":"tcp","ip":"127.0.0.1","shell_port":5,"iopub_port":6,"stdin_port":7,"control_port":8,"hb_port":9,"key":""}`), 0o600)
	if c, err := ReadConnectionFile(p); err != nil || c.SignatureScheme != SignatureScheme {
		t.Errorf("no key: %+v %v", c, err)
	}
}

func TestGlobMatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "anything", true},
		{"print*", "print a", true},
		{"print*", "x print", false},
		{"*fmt*", "x := fmt.Sprint(1)", true},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"[ab]x", "bx", true},
		{"[^ab]x", "bx", false},
		{"[a-c]1", "c1", true},
		{"é?", "éa", true},
		{"Print*", "print", false},
		{"[", "[", true},
	}
	for _, c := range cases {
		if got := globMatch(c.pattern, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}

func BenchmarkEncodeSign(b *testing.B) {
	c := NewCodec([]byte("0123456789abcdef0123456789abcdef"), 0, 0)
	m := testMessage()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeVerify(b *testing.B) {
	c := NewCodec([]byte("0123456789abcdef0123456789abcdef"), 0, 0)
	frames, _ := c.Encode(testMessage())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(frames); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStreamMessageEncode(b *testing.B) {
	c := NewCodec([]byte("0123456789abcdef0123456789abcdef"), 0, 0)
	text := strings.Repeat("line 12345\n", 6000) // ~64 KiB, one full stream batch
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		m := &Message{Header: NewHeader("stream", "s", "kernel"), Identities: [][]byte{[]byte("kernel.s.stream")}}
		m.SetContent(map[string]any{"name": "stdout", "text": text})
		if _, err := c.Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

// globMatchBacktracking is the recursive matcher globMatch replaced (exponential on patterns
// such as *a*a*a*a*a*b), kept as the reference its results must agree with.
func globMatchBacktracking(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(s); {
				if globMatchBacktracking(pattern, s[i:]) {
					return true
				}
				if i == len(s) {
					break
				}
				_, w := utf8.DecodeRuneInString(s[i:])
				i += w
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			_, w := utf8.DecodeRuneInString(s)
			s, pattern = s[w:], pattern[1:]
		case '[':
			if s == "" {
				return false
			}
			r, w := utf8.DecodeRuneInString(s)
			ok, rest, valid := matchClass(pattern[1:], r)
			if !valid {
				if s[0] != '[' {
					return false
				}
				s, pattern = s[1:], pattern[1:]
				continue
			}
			if !ok {
				return false
			}
			s, pattern = s[w:], rest
		default:
			pr, pw := utf8.DecodeRuneInString(pattern)
			r, w := utf8.DecodeRuneInString(s)
			if s == "" || pr != r {
				return false
			}
			s, pattern = s[w:], pattern[pw:]
		}
	}
	return s == ""
}

// TestGlobMatchAgreesWithBacktracking compares globMatch with the backtracking reference on
// random short patterns and strings.
func TestGlobMatchAgreesWithBacktracking(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(alphabet []string, n int) string {
		var b strings.Builder
		for range rng.IntN(n + 1) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	pat := []string{"a", "b", "*", "*", "?", "[", "]", "^", "-", "é", "[ab]", "[^a]", "[a-b]"}
	str := []string{"a", "b", "[", "]", "-", "é", "\xff"}
	for range 200_000 {
		p, s := pick(pat, 7), pick(str, 8)
		if got, want := globMatch(p, s), globMatchBacktracking(p, s); got != want {
			t.Fatalf("globMatch(%q, %q) = %v, backtracking matcher says %v", p, s, got, want)
		}
	}
}

// TestGlobMatchLinear: a pattern that makes a backtracking matcher take minutes matches at once.
func TestGlobMatchLinear(t *testing.T) {
	s := strings.Repeat("a", 100_000)
	t0 := time.Now()
	if globMatch("*a*a*a*a*a*b", s) {
		t.Fatal("matched")
	}
	if !globMatch("*a*a*a*a*a", s) {
		t.Fatal("no match")
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}
