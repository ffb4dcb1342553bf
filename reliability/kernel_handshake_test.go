package reliability

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// zmtpGreeting is a ZMTP 3.0 greeting with mechanism mech.
func zmtpGreeting(major byte, mech string) []byte {
	g := make([]byte, 64)
	g[0], g[8], g[9] = 0xff, 1, 0x7f
	g[10], g[11] = major, 0
	copy(g[12:32], mech)
	return g
}

// zmtpCommand frames a ZMTP command: name and body.
func zmtpCommand(name string, body []byte) []byte {
	b := append([]byte{byte(len(name))}, name...)
	b = append(b, body...)
	if len(b) > 255 {
		h := []byte{0x04 | 0x02, 0, 0, 0, 0, 0, 0, 0, 0}
		binary.BigEndian.PutUint64(h[1:], uint64(len(b)))
		return append(h, b...)
	}
	return append([]byte{0x04, byte(len(b))}, b...)
}

// zmtpProperty encodes one metadata property.
func zmtpProperty(name, value string) []byte {
	b := append([]byte{byte(len(name))}, name...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	return append(b, value...)
}

// rawHandshake connects to addr, sends the bytes and waits (up to 5 s) for the kernel to close
// the connection; it reports whether it did.
func rawHandshake(t *testing.T, addr string, parts ...[]byte) bool {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	for _, p := range parts {
		if _, err := c.Write(p); err != nil {
			return true // closed already
		}
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = io.Copy(io.Discard, c)
	// EOF, or a reset when the kernel closed with our bytes unread: closed by the kernel.
	return err == nil || errors.Is(err, syscall.ECONNRESET)
}

// TestHandshakeWrongSocketTypeClosed connects 100 peers of the wrong ZMTP socket type (50
// DEALERs to the iopub PUB, 50 PUBs to the shell ROUTER) and malformed handshakes (no or an
// unknown Socket-Type, a truncated property, another command than READY, another mechanism, an
// old ZMTP version): the kernel must close each connection (its fd count comes back to where it
// was), stay up, and keep serving.
func TestHandshakeWrongSocketTypeClosed(t *testing.T) {
	k := startKernel(t)
	k.alive("start") // the worker is up: its pipes are open
	info := k.ConnectionInfo()
	pid := k.pid()
	before := fdCount(t, pid)

	t0 := time.Now()
	failed := 0
	for i := range 100 {
		var s zmq4.Socket
		var ep string
		if i%2 == 0 {
			s, ep = zmq4.NewDealer(t.Context()), testEndpoint(t, "qtest", info.IOPubPort)
		} else {
			s, ep = zmq4.NewPub(t.Context()), testEndpoint(t, "qtest", info.ShellPort)
		}
		if err := s.Dial(ep); err != nil {
			failed++
		}
		s.Close()
	}
	closeDialed()
	t.Logf("100 wrong-type peers in %v", time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	if failed != 100 {
		t.Errorf("%d of 100 wrong-type peers were refused by the handshake, want all", failed)
	}

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(info.ShellPort))
	dealer := zmtpProperty("Socket-Type", "DEALER")
	malformed := map[string][][]byte{
		"no Socket-Type":      {zmtpGreeting(3, "NULL"), zmtpCommand("READY", nil)},
		"unknown Socket-Type": {zmtpGreeting(3, "NULL"), zmtpCommand("READY", zmtpProperty("Socket-Type", "FOO"))},
		"truncated property":  {zmtpGreeting(3, "NULL"), zmtpCommand("READY", dealer[:8])},
		"overlong name":       {zmtpGreeting(3, "NULL"), zmtpCommand("READY", []byte{200, 'S'})},
		"PING, not READY":     {zmtpGreeting(3, "NULL"), zmtpCommand("PING", dealer)},
		"a message first":     {zmtpGreeting(3, "NULL"), {0, 2, 'h', 'i'}},
		"PLAIN mechanism":     {zmtpGreeting(3, "PLAIN"), zmtpCommand("HELLO", nil)},
		"ZMTP 2":              {zmtpGreeting(2, "NULL"), zmtpCommand("READY", dealer)},
		"server flag 7":       {append(zmtpGreeting(3, "NULL")[:32], append([]byte{7}, make([]byte, 31)...)...), zmtpCommand("READY", dealer)},
	}
	closed := 0
	for name, parts := range malformed {
		for range 5 {
			if rawHandshake(t, addr, parts...) {
				closed++
			} else {
				t.Errorf("%s: connection not closed by the kernel", name)
			}
		}
		select {
		case <-k.Done():
			t.Fatalf("the kernel died after a handshake with %s", name)
		default:
		}
	}

	t.Logf("%d malformed handshakes in %v", 5*len(malformed), time.Since(t0).Round(time.Millisecond))
	// The kernel closes at once; allow the runtime a moment and a few fds of slack for noise.
	after := fdCount(t, pid)
	for deadline := time.Now().Add(5 * time.Second); after > before+3 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		after = fdCount(t, pid)
	}
	t.Logf("kernel fds: %d before, %d after 100 wrong-type peers and %d malformed handshakes (%d closed by the kernel)",
		before, after, 5*len(malformed), closed)
	if after > before+3 {
		t.Errorf("kernel fds grew from %d to %d: connections with a failed handshake are not closed", before, after)
	}
	k.alive("wrong-type peers and malformed handshakes")
}
