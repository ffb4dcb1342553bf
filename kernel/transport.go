package kernel

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/transport"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
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
// registry is global; each kernel registers its own, one per channel, with its limits, socket
// type and logger).
var transportSeq atomic.Int64

// guardConfig is what a kernel's guarded transport enforces.
type guardConfig struct {
	// maxMessage is the largest message (all frames) a peer may send before its connection
	// is dropped: zmq4 allocates each frame's announced size before reading it, so a single
	// 10-byte frame header announcing 2^62 bytes would crash the process.
	maxMessage uint64
	// handshake bounds the ZMTP handshake of an accepted connection.
	handshake time.Duration
	// sockType is the type of the socket listening; a peer whose handshake zmq4 would refuse
	// (another mechanism, an incompatible or unknown socket type, a malformed READY) is
	// closed before zmq4 sees its READY. Empty: not checked.
	sockType zmq4.SocketType
	// reject is called (from a connection's reader) when a connection is dropped.
	reject func(err error)
	// sendHWM and sendHWMBytes are each connection's send high-water marks (see sendQueue).
	sendHWM, sendHWMBytes int
	// channel names the socket in logs; log receives the send queues' reports.
	channel string
	log     *slog.Logger
}

// registerTransport registers a guarded transport for one channel's socket and returns its
// scheme name, to use in place of transport ("tcp" or "ipc") in the bind endpoint.
func registerTransport(transport, channel string, cfg guardConfig) (string, error) {
	network := map[string]string{"tcp": "tcp", "ipc": "unix"}[transport]
	if network == "" {
		return "", fmt.Errorf("unknown transport %q", transport)
	}
	name := fmt.Sprintf("quire-%s-%d-%s", transport, transportSeq.Add(1), channel)
	if err := zmq4.RegisterTransport(name, guardedTransport{network: network, cfg: cfg}); err != nil {
		return "", fmt.Errorf("register transport %s: %w", name, err)
	}
	return name, nil
}

// bindEndpoint is the endpoint the kernel listens on for port, with the guarded scheme.
func (c *ConnectionInfo) bindEndpoint(scheme string, port int) string {
	ep := c.Endpoint(port)
	return scheme + ep[len(c.Transport):]
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
// syscall), and queues writes: zmq4 writes every frame as two writes (header, then body),
// prefixConn assembles them into whole messages and hands each to the connection's send queue
// (see sendQueue), whose writer sends what is queued with one writev. zmq4's writes therefore
// never block on the peer: a peer that stops reading has its messages dropped at the queue's
// high-water mark instead of stalling zmq4's PUB (every subscriber) or ROUTER (every peer).
type prefixConn struct {
	net.Conn
	r     *bufio.Reader
	guard frameGuard
	cfg   guardConfig

	deadlineCleared bool

	wmu        sync.Mutex
	greeted    bool   // the 64-byte greeting (the first write) has passed
	msg        []byte // the frames of the message being written, headers included
	expectBody bool   // the last write was a frame header
	lastFrame  bool   // that header ends the message (no MORE flag) or is a command
	command    bool   // that header is a command's
	raw        bool   // a write did not follow the frame pattern: message boundaries unknown
	q          *sendQueue

	closeOnce sync.Once
	closeErr  error
}

func newPrefixConn(c net.Conn, prefix []byte, cfg guardConfig) *prefixConn {
	p := &prefixConn{Conn: c, r: bufio.NewReaderSize(io.MultiReader(bytes.NewReader(prefix), c), 64<<10), cfg: cfg}
	p.guard = frameGuard{greeting: zmtpGreeting, max: cfg.maxMessage, sockType: cfg.sockType}
	p.q = newSendQueue(c, cfg)
	return p
}

// Read reads through the buffer and checks the frame sizes the peer announces, and its
// handshake, before zmq4 sees them. zmq4 v0.17 does not close a connection whose handshake
// (Open) failed, so every error before the handshake is done closes it here.
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
	if err != nil && !p.guard.handshakeDone {
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

	// sockType, when set, makes the guard check the handshake as zmq4 will (see guardConfig).
	sockType zmq4.SocketType
	greet    []byte // the greeting so far (when checking)
	ready    []byte // the body of the first command so far (when checking)
	frames   int    // frames (including commands) completed

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
			if g.sockType != "" {
				g.greet = append(g.greet, b[:n]...)
				if g.greeting == 0 {
					if err := checkGreeting(g.greet); err != nil {
						return err
					}
				}
			}
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
			if g.checkingReady() {
				switch {
				case g.flags&flagCommand == 0:
					return fmt.Errorf("%w: a message before the READY command", errHandshake)
				case g.flags&flagMore != 0:
					return fmt.Errorf("%w: a multi-frame command", errHandshake)
				case size > maxReady:
					return fmt.Errorf("%w: a %d-byte first command (limit %d)", errHandshake, size, maxReady)
				}
			}
			g.body = size
			g.stage = 2
			if size == 0 {
				if err := g.endFrame(); err != nil {
					return err
				}
			}
		case 2:
			n := uint64(len(b))
			if n > g.body {
				n = g.body
			}
			if g.checkingReady() {
				g.ready = append(g.ready, b[:n]...)
			}
			g.body -= n
			b = b[n:]
			if g.body == 0 {
				if err := g.endFrame(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkingReady tells whether the frame being scanned is the first one and must be a READY.
func (g *frameGuard) checkingReady() bool { return g.sockType != "" && g.frames == 0 }

func (g *frameGuard) endFrame() error {
	g.stage = 0
	if g.checkingReady() {
		if err := checkReady(g.ready, g.sockType); err != nil {
			return err
		}
		g.ready = nil
	}
	g.frames++
	if g.flags&flagCommand != 0 {
		g.handshakeDone = true
	}
	if g.flags&flagMore == 0 || g.flags&flagCommand != 0 {
		g.msgBytes = 0
	}
	return nil
}

// errHandshake is the error of a connection closed for a handshake zmq4 would refuse (or
// crash on).
var errHandshake = errors.New("ZMTP handshake refused")

// maxReady bounds the peer's READY command (its socket type, identity and any metadata).
const maxReady = 64 << 10

// checkGreeting checks the 64-byte ZMTP greeting as zmq4's Open will: version 3 or later, the
// NULL mechanism, an as-server flag of 0 or 1. (The signature was checked on admission.)
func checkGreeting(g []byte) error {
	if len(g) < zmtpGreeting {
		return fmt.Errorf("%w: short greeting", errHandshake)
	}
	mech, _, _ := bytes.Cut(g[12:32], []byte{0})
	switch {
	case g[10] < 3:
		return fmt.Errorf("%w: ZMTP version %d.%d (want 3.0 or later)", errHandshake, g[10], g[11])
	case string(mech) != string(zmq4.NullSecurity):
		return fmt.Errorf("%w: security mechanism %q (the kernel uses NULL)", errHandshake, mech)
	case g[32] > 1:
		return fmt.Errorf("%w: as-server flag %d", errHandshake, g[32])
	}
	return nil
}

// socketTypes are the ZMTP socket types zmq4 knows (it panics on any other).
var socketTypes = map[zmq4.SocketType]bool{
	zmq4.Pair: true, zmq4.Pub: true, zmq4.Sub: true, zmq4.Req: true, zmq4.Rep: true, zmq4.Dealer: true,
	zmq4.Router: true, zmq4.Pull: true, zmq4.Push: true, zmq4.XPub: true, zmq4.XSub: true,
}

// checkReady checks the body of the peer's first command: a READY whose properties are well
// formed and whose Socket-Type (as zmq4 reads it: the last property whose title-cased name is
// Socket-Type) is compatible with ours. zmq4 v0.17 reads the properties without bounds checks
// and panics on an unknown socket type, so these peers must never reach it.
func checkReady(body []byte, ours zmq4.SocketType) error {
	if len(body) == 0 || int(body[0]) > len(body)-1 {
		return fmt.Errorf("%w: malformed command", errHandshake)
	}
	name, props := string(body[1:1+int(body[0])]), body[1+int(body[0]):]
	if name != zmq4.CmdReady {
		return fmt.Errorf("%w: first command %q, want READY", errHandshake, name)
	}
	var peer zmq4.SocketType
	for len(props) > 0 {
		klen := int(props[0])
		if len(props) < 1+klen+4 {
			return fmt.Errorf("%w: truncated READY property", errHandshake)
		}
		key := string(props[1 : 1+klen])
		vlen := binary.BigEndian.Uint32(props[1+klen:])
		rest := props[1+klen+4:]
		if uint64(vlen) > uint64(len(rest)) {
			return fmt.Errorf("%w: truncated READY property %q", errHandshake, key)
		}
		// Property names as zmq4 looks them up (a Caser is not safe for concurrent use).
		if cases.Title(language.Und, cases.NoLower).String(key) == "Socket-Type" {
			peer = zmq4.SocketType(rest[:vlen])
		}
		props = rest[vlen:]
	}
	if !socketTypes[peer] {
		return fmt.Errorf("%w: peer socket type %q", errHandshake, peer)
	}
	if !peer.IsCompatible(ours) {
		return fmt.Errorf("%w: a %s socket cannot connect to the kernel's %s", errHandshake, peer, ours)
	}
	return nil
}

// ZMTP frame flags.
const (
	flagMore    = 0x01
	flagLong    = 0x02
	flagCommand = 0x04
)

// Write assembles zmq4's frame writes into messages and queues each whole message (the first
// write, the greeting, goes straight out: nothing can be queued before it).
func (p *prefixConn) Write(b []byte) (int, error) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if !p.greeted {
		p.greeted = true
		n, err := p.Conn.Write(b)
		if err != nil {
			p.Conn.Close() // zmq4 does not close a connection whose handshake failed
		}
		return n, err
	}
	if !p.expectBody {
		long := len(b) == 9 && b[0]&flagLong != 0
		short := len(b) == 2 && b[0]&flagLong == 0
		if !long && !short {
			// Not the header/body pattern this wrapper knows: from now on message boundaries
			// are unknown, so queue what is held and these bytes as they are and never drop
			// anything on this connection (dropping part of a message would corrupt the
			// stream; the queue's hard limit still bounds it).
			p.raw = true
			held := append(p.msg, b...)
			p.msg = nil
			if err := p.q.push(held, false); err != nil {
				return 0, err
			}
			return len(b), nil
		}
		p.msg = append(p.msg, b...)
		p.expectBody = true
		p.command = b[0]&flagCommand != 0
		p.lastFrame = b[0]&flagMore == 0 || p.command
		return len(b), nil
	}
	p.expectBody = false
	p.msg = append(p.msg, b...)
	if !p.lastFrame {
		return len(b), nil
	}
	m := p.msg
	p.msg = nil
	// Commands (READY, PONG) are never dropped: the handshake and keep-alives need them.
	if err := p.q.push(m, !p.command && !p.raw); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Close closes the connection, giving the send queue a moment to deliver what it holds (the
// last status and shutdown_reply when the kernel shuts down).
func (p *prefixConn) Close() error {
	p.closeOnce.Do(func() {
		p.q.close(sendLinger)
		p.closeErr = p.Conn.Close()
	})
	return p.closeErr
}
