package kernel

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// recConn records what is written to it.
type recConn struct {
	net.Conn
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (r *recConn) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes++
	return r.buf.Write(p)
}
func (r *recConn) Close() error                     { return nil }
func (r *recConn) SetWriteDeadline(time.Time) error { return nil }
func (r *recConn) RemoteAddr() net.Addr             { return nil }
func (r *recConn) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.buf.Bytes())
}

func TestPrefixConnCoalescesFrames(t *testing.T) {
	rc := &recConn{}
	p := newPrefixConn(rc, nil, guardConfig{})
	var want bytes.Buffer
	write := func(b []byte) {
		want.Write(b)
		if n, err := p.Write(b); err != nil || n != len(b) {
			t.Fatalf("Write: %d %v", n, err)
		}
	}
	write(make([]byte, 64)) // greeting: written through
	if len(rc.bytes()) != 64 {
		t.Fatalf("greeting held back")
	}
	// Frame 1 (MORE), frame 2 (MORE, long), frame 3 (last): nothing is queued before frame 3.
	write([]byte{flagMore, 3})
	write([]byte("abc"))
	long := bytes.Repeat([]byte("x"), 300)
	write([]byte{flagMore | flagLong, 0, 0, 0, 0, 0, 0, 1, 44})
	write(long)
	p.q.mu.Lock()
	queued := len(p.q.msgs)
	p.q.mu.Unlock()
	if queued != 0 || len(rc.bytes()) != 64 {
		t.Fatalf("frames queued or written before the last one: %d queued, %d bytes written", queued, len(rc.bytes()))
	}
	write([]byte{0, 0}) // last frame, empty body
	write(nil)
	// A command frame is a message of its own.
	write([]byte{flagCommand, 4})
	write([]byte("PING"))
	p.Close() // delivers what is queued
	if got := rc.bytes(); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("byte stream differs:\n got %q\nwant %q", got, want.Bytes())
	}
}

func TestGuardedListenerDropsSilentConns(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := newGuardedListener(l, 200*time.Millisecond, guardConfig{})
	defer g.Close()
	silent, _ := net.Dial("tcp", l.Addr().String())
	defer silent.Close()
	good, _ := net.Dial("tcp", l.Addr().String())
	defer good.Close()
	sig := []byte{0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f}
	good.Write(append(sig, 3, 0))
	c, err := g.Accept()
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 12)
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got[:10], sig) || got[10] != 3 {
		t.Fatalf("replayed bytes %v %v", got, err)
	}
	// The silent connection is closed after the timeout.
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := silent.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("silent connection: %v, want EOF", err)
	}
}

func TestFrameGuard(t *testing.T) {
	g := frameGuard{greeting: 3, max: 100}
	stream := []byte{9, 9, 9} // greeting
	stream = append(stream, flagMore, 60)
	stream = append(stream, make([]byte, 60)...)
	stream = append(stream, 0, 40) // last frame: 100 bytes in all
	stream = append(stream, make([]byte, 40)...)
	stream = append(stream, flagCommand, 5, 'h', 'e', 'l', 'l', 'o')
	// Feed it in awkward pieces.
	for i := 0; i < len(stream); i += 7 {
		if err := g.scan(stream[i:min(i+7, len(stream))]); err != nil {
			t.Fatalf("valid stream refused at %d: %v", i, err)
		}
	}
	// A message whose frames add up past the limit.
	over := []byte{flagMore, 60}
	over = append(over, make([]byte, 60)...)
	over = append(over, 0, 41)
	if err := g.scan(over); err == nil {
		t.Error("101-byte message accepted")
	}
	// One long frame announcing 2^62 bytes.
	g = frameGuard{max: 1 << 20}
	if err := g.scan([]byte{flagLong, 0x40, 0, 0, 0, 0, 0, 0, 0}); err == nil {
		t.Error("2^62-byte frame accepted")
	}
}
