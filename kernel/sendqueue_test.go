package kernel

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

// writeMsg writes a one-frame message as zmq4 does (header, then body).
func writeMsg(t *testing.T, p *prefixConn, body string) {
	t.Helper()
	if _, err := p.Write([]byte{0, byte(len(body))}); err != nil {
		t.Fatalf("write header: %v", err)
	}
	if _, err := p.Write([]byte(body)); err != nil {
		t.Fatalf("write body: %v", err)
	}
}

// readMsgs reads count one-frame messages "m<number>", checking the stream is made of whole
// messages numbered from on, in increasing order, and returns how many arrived. It stops early
// only when nothing arrives for 10 s (a loaded machine, or -race, can pause the writer for a
// while: the count, not a quiet spell, says when the stream is complete).
func readMsgs(t *testing.T, c net.Conn, r *bufio.Reader, from, count int) (got int) {
	t.Helper()
	last := from - 1
	for got < count {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var hdr [2]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return got
			}
			t.Fatalf("after message %d: %v", last, err)
		}
		body := make([]byte, hdr[1])
		if _, err := io.ReadFull(r, body); err != nil || hdr[0] != 0 || len(body) < 2 || body[0] != 'm' {
			t.Fatalf("after message %d: corrupt stream: %v %q %v", last, hdr, body, err)
		}
		n, err := strconv.Atoi(string(body[1:]))
		if err != nil || n <= last {
			t.Fatalf("message %q after %d", body, last)
		}
		last = n
		got++
	}
	return got
}

// TestSendQueueDropsForSlowPeerOnly: writes to a peer that does not read never block; past the
// high-water mark whole messages are dropped; when the peer reads again it gets an intact
// stream, and later messages all arrive.
func TestSendQueueDropsForSlowPeerOnly(t *testing.T) {
	server, client := tcpPair(t)
	p := newPrefixConn(server, nil, guardConfig{sendHWM: 100, sendHWMBytes: 1 << 20, channel: "test"})
	if _, err := p.Write(make([]byte, 64)); err != nil { // greeting
		t.Fatal(err)
	}
	r := bufio.NewReader(client)
	if _, err := io.ReadFull(r, make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	const n = 200_000 // ~2 MB: more than the socket buffers hold
	t0 := time.Now()
	for i := range n {
		writeMsg(t, p, fmt.Sprintf("m%d", i))
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("%d writes to a peer that does not read took %v", n, d)
	}
	p.q.mu.Lock()
	queued, dropped := len(p.q.msgs), p.q.total
	p.q.mu.Unlock()
	if queued > 100 || dropped == 0 {
		t.Errorf("queued %d (high-water mark 100), dropped %d", queued, dropped)
	}
	got := readMsgs(t, client, r, 0, n-dropped) // dropped is final: only writes drop
	t.Logf("%d messages to a peer that did not read: %d dropped, %d delivered", n, dropped, got)
	if got+dropped != n {
		t.Errorf("delivered %d + dropped %d != %d", got, dropped, n)
	}
	// The peer reads now: below the high-water mark nothing is dropped.
	for round := range 20 {
		base := n + 50*round
		for i := range 50 {
			writeMsg(t, p, fmt.Sprintf("m%d", base+i))
		}
		if got := readMsgs(t, client, r, base, 50); got != 50 {
			t.Fatalf("reading peer got %d of 50 messages", got)
		}
	}
	// Closing with a stalled peer returns within the linger.
	for i := range 200_000 {
		writeMsg(t, p, fmt.Sprintf("m%d", 2*n+i))
	}
	c0 := time.Now()
	p.Close()
	if d := time.Since(c0); d > sendLinger+time.Second {
		t.Errorf("Close with a stalled peer took %v", d)
	}
	p.Write([]byte{0, 1})
	if _, err := p.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}
