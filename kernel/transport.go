package kernel

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/transport"
)

// zmq4 v0.17.0 performs the ZMTP handshake of each accepted connection synchronously in the
// socket's accept loop, with no deadline: one TCP connection that never sends a greeting (a port
// scanner, `nc`, a stuck client) blocks every later connection to that socket. The kernel
// therefore binds through "guarded" transports, registered with zmq4 under their own names:
// their listener admits a connection only once its 10-byte ZMTP signature has arrived (within
// the handshake timeout), replaying those bytes to zmq4, and keeps a read deadline on it until
// the peer's first ZMTP command (READY) has arrived, so a peer that stalls later in the handshake
// only holds the accept loop until the deadline. Clients still use plain tcp:// and ipc://.
// (The listener cannot wait for the whole 64-byte greeting: libzmq sends the rest of its greeting
// only after it has seen ours, which zmq4 sends once the connection is accepted.)

// transportSeq numbers the transports registered by kernels of this process (zmq4's transport
// registry is global; each kernel registers its own pair, with its limits and logger).
var transportSeq atomic.Int64

// guardConfig is what a kernel's guarded transport enforces.
type guardConfig struct {
	// maxMessage is the largest message (all frames) a peer may send before its connection
	// is dropped: zmq4 allocates each frame's announced size before reading it, so a single
	// 10-byte frame header announcing 2^62 bytes would crash the process.
	maxMessage uint64
	// handshake bounds the ZMTP handshake of an accepted connection.
	handshake time.Duration
	// reject is called (from a connection's reader) when a connection is dropped.
	reject func(err error)
}

// registerTransports registers the kernel's guarded transports and returns their scheme names
// by connection transport ("tcp", "ipc").
func registerTransports(cfg guardConfig) (map[string]string, error) {
	n := transportSeq.Add(1)
	names := map[string]string{
		"tcp": fmt.Sprintf("quire-tcp-%d", n),
		"ipc": fmt.Sprintf("quire-ipc-%d", n),
	}
	if err := zmq4.RegisterTransport(names["tcp"], guardedTransport{network: "tcp", cfg: cfg}); err != nil {
		return nil, err
	}
	if err := zmq4.RegisterTransport(names["ipc"], guardedTransport{network: "unix", cfg: cfg}); err != nil {
		return nil, err
	}
	return names, nil
}

// bindEndpoint is the endpoint the kernel listens on for port, with the guarded scheme.
func (c *ConnectionInfo) bindEndpoint(schemes map[string]string, port int) string {
	ep := c.Endpoint(port)
	return schemes[c.Transport] + ep[len(c.Transport):]
}

type guardedTransport struct {
	network string
	cfg     guardConfig
}

func (t guardedTransport) Dial(ctx context.Context, d transport.Dialer, addr string) (net.Conn, error) {
	return d.DialContext(ctx, t.network, addr)
}

func (t guardedTransport) Listen(ctx context.Context, addr string) (net.Listener, error) {
	l, err := net.Listen(t.network, addr)
	if err != nil {
		return nil, err
	}
	return newGuardedListener(l, t.cfg.handshake, t.cfg), nil
}

func (t guardedTransport) Addr(ep string) (string, error) {
	if t.network == "unix" {
		return ep, nil
	}
	host, port, err := net.SplitHostPort(ep)
	if err != nil {
		return "", fmt.Errorf("bad tcp endpoint %q: %w", ep, err)
	}
	if port == "*" || port == "" {
		port = "0"
	}
	if host == "*" || host == "" {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, port), nil
}

// guardedListener hands zmq4 only connections that have started a ZMTP handshake.
type guardedListener struct {
	net.Listener
	timeout time.Duration
	cfg     guardConfig
	conns   chan net.Conn
	done    chan struct{}
	once    sync.Once
}

func newGuardedListener(l net.Listener, timeout time.Duration, cfg guardConfig) *guardedListener {
	g := &guardedListener{Listener: l, timeout: timeout, cfg: cfg, conns: make(chan net.Conn), done: make(chan struct{})}
	go g.acceptLoop()
	return g
}

func (g *guardedListener) acceptLoop() {
	for {
		c, err := g.Listener.Accept()
		if err != nil {
			select {
			case <-g.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				g.Close()
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		go g.admit(c)
	}
}

// zmtpSignature is the length of the ZMTP signature every peer sends first (0xFF, 8 bytes,
// 0x7F), before waiting for anything.
const zmtpSignature = 10

func (g *guardedListener) admit(c net.Conn) {
	buf := make([]byte, zmtpSignature)
	// The deadline stays until the handshake is done (see prefixConn.Read).
	c.SetReadDeadline(time.Now().Add(g.timeout))
	_, err := io.ReadFull(c, buf)
	if err != nil || buf[0] != 0xff || buf[9] != 0x7f {
		c.Close()
		return
	}
	select {
	case g.conns <- newPrefixConn(c, buf, g.cfg):
	case <-g.done:
		c.Close()
	}
}

func (g *guardedListener) Accept() (net.Conn, error) {
	select {
	case c := <-g.conns:
		return c, nil
	case <-g.done:
		return nil, net.ErrClosed
	}
}

func (g *guardedListener) Close() error {
	var err error
	g.once.Do(func() {
		close(g.done)
		err = g.Listener.Close()
	})
	return err
}

// prefixConn is an accepted connection as zmq4 sees it. It replays the signature bytes the
// listener consumed, buffers reads (zmq4 reads each frame header and body with its own read
// syscall), and coalesces writes: zmq4 writes every frame as two writes (header, then body) and
// does not use writev through a wrapped net.Conn, so prefixConn holds frames back until the last
// frame of a message (or a command) and sends them with one writev.
type prefixConn struct {
	net.Conn
	r     *bufio.Reader
	guard frameGuard
	cfg   guardConfig

	deadlineCleared bool

	wmu        sync.Mutex
	greeted    bool        // the 64-byte greeting (the first write) has passed
	pending    net.Buffers // held-back frames of the message being written
	expectBody bool        // the last write was a frame header
	lastFrame  bool        // that header ends the message (no MORE flag) or is a command
}

func newPrefixConn(c net.Conn, prefix []byte, cfg guardConfig) *prefixConn {
	p := &prefixConn{Conn: c, r: bufio.NewReaderSize(io.MultiReader(bytes.NewReader(prefix), c), 64<<10), cfg: cfg}
	p.guard = frameGuard{greeting: zmtpGreeting, max: cfg.maxMessage}
	return p
}

// Read reads through the buffer and checks the frame sizes the peer announces before zmq4
// sees them.
func (p *prefixConn) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		if gerr := p.guard.scan(b[:n]); gerr != nil {
			if p.cfg.reject != nil {
				p.cfg.reject(gerr)
			}
			p.Conn.Close()
			return 0, gerr
		}
		if p.guard.handshakeDone && !p.deadlineCleared {
			p.deadlineCleared = true
			p.Conn.SetReadDeadline(time.Time{})
		}
	}
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		// The handshake deadline passed: zmq4 does not close a connection whose Open failed.
		p.Conn.Close()
	}
	return n, err
}

// zmtpGreeting is the length of the ZMTP 3 greeting that precedes the frames.
const zmtpGreeting = 64

// frameGuard follows the ZMTP frames of a byte stream and fails when a message grows past max.
type frameGuard struct {
	greeting int // greeting bytes still to skip
	max      uint64

	stage    int // 0: flags byte, 1: size bytes, 2: body
	flags    byte
	size     [8]byte
	sizeN    int
	sizeLen  int
	body     uint64 // body bytes left
	msgBytes uint64 // bytes of the message so far

	handshakeDone bool // the first command (READY) after the greeting is complete
}

func (g *frameGuard) scan(b []byte) error {
	for len(b) > 0 {
		if g.greeting > 0 {
			n := min(g.greeting, len(b))
			g.greeting -= n
			b = b[n:]
			continue
		}
		switch g.stage {
		case 0:
			g.flags = b[0]
			b = b[1:]
			g.sizeN, g.sizeLen = 0, 1
			if g.flags&flagLong != 0 {
				g.sizeLen = 8
			}
			g.stage = 1
		case 1:
			n := copy(g.size[g.sizeN:g.sizeLen], b)
			g.sizeN += n
			b = b[n:]
			if g.sizeN < g.sizeLen {
				continue
			}
			var size uint64
			for _, c := range g.size[:g.sizeLen] {
				size = size<<8 | uint64(c)
			}
			g.msgBytes += size
			if g.max > 0 && (size > g.max || g.msgBytes > g.max) {
				return fmt.Errorf("%w: peer announced a %d-byte frame (message so far %d bytes, limit %d); connection dropped",
					ErrTooLarge, size, g.msgBytes, g.max)
			}
			g.body = size
			g.stage = 2
			if size == 0 {
				g.endFrame()
			}
		case 2:
			n := uint64(len(b))
			if n > g.body {
				n = g.body
			}
			g.body -= n
			b = b[n:]
			if g.body == 0 {
				g.endFrame()
			}
		}
	}
	return nil
}

func (g *frameGuard) endFrame() {
	g.stage = 0
	if g.flags&flagCommand != 0 {
		g.handshakeDone = true
	}
	if g.flags&flagMore == 0 || g.flags&flagCommand != 0 {
		g.msgBytes = 0
	}
}

// ZMTP frame flags.
const (
	flagMore    = 0x01
	flagLong    = 0x02
	flagCommand = 0x04
)

// maxHeldBody is the largest frame body copied into the pending buffer; larger bodies flush.
const maxHeldBody = 16 << 10

func (p *prefixConn) Write(b []byte) (int, error) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if !p.greeted {
		p.greeted = true
		return p.Conn.Write(b)
	}
	if !p.expectBody {
		long := len(b) == 9 && b[0]&flagLong != 0
		short := len(b) == 2 && b[0]&flagLong == 0
		if !long && !short {
			// Not the header/body pattern this wrapper knows: write through.
			if err := p.flush(); err != nil {
				return 0, err
			}
			return p.Conn.Write(b)
		}
		p.pending = append(p.pending, append([]byte(nil), b...))
		p.expectBody = true
		p.lastFrame = b[0]&flagMore == 0 || b[0]&flagCommand != 0
		return len(b), nil
	}
	p.expectBody = false
	if p.lastFrame || len(b) > maxHeldBody {
		p.pending = append(p.pending, b)
		if err := p.flush(); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	p.pending = append(p.pending, append([]byte(nil), b...))
	return len(b), nil
}

func (p *prefixConn) flush() error {
	if len(p.pending) == 0 {
		return nil
	}
	bufs := p.pending
	_, err := bufs.WriteTo(p.Conn)
	clear(p.pending)
	p.pending = p.pending[:0]
	return err
}
