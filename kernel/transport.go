package kernel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/transport"
)

// zmq4 v0.17.0 performs the ZMTP handshake of each accepted connection synchronously in the
// socket's accept loop, with no deadline: one TCP connection that never sends a greeting (a port
// scanner, `nc`, a stuck client) blocks every later connection to that socket. The kernel
// therefore binds through "guarded" transports, registered with zmq4 under their own names:
// their listener admits a connection only once its 10-byte ZMTP signature has arrived (within
// handshakeTimeout), replaying those bytes to zmq4. Clients still use plain tcp:// and ipc://.

const handshakeTimeout = 10 * time.Second

var registerOnce sync.Once

// guardedScheme maps a connection transport to the registered guarded zmq4 transport.
var guardedScheme = map[string]string{"tcp": "quire-tcp", "ipc": "quire-ipc"}

func registerGuardedTransports() {
	registerOnce.Do(func() {
		_ = zmq4.RegisterTransport("quire-tcp", guardedTransport{network: "tcp"})
		_ = zmq4.RegisterTransport("quire-ipc", guardedTransport{network: "unix"})
	})
}

// bindEndpoint is the endpoint the kernel listens on for port.
func (c *ConnectionInfo) bindEndpoint(port int) string {
	ep := c.Endpoint(port)
	return guardedScheme[c.Transport] + ep[len(c.Transport):]
}

type guardedTransport struct{ network string }

func (t guardedTransport) Dial(ctx context.Context, d transport.Dialer, addr string) (net.Conn, error) {
	return d.DialContext(ctx, t.network, addr)
}

func (t guardedTransport) Listen(ctx context.Context, addr string) (net.Listener, error) {
	l, err := net.Listen(t.network, addr)
	if err != nil {
		return nil, err
	}
	return newGuardedListener(l, handshakeTimeout), nil
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
	conns   chan net.Conn
	done    chan struct{}
	once    sync.Once
}

func newGuardedListener(l net.Listener, timeout time.Duration) *guardedListener {
	g := &guardedListener{Listener: l, timeout: timeout, conns: make(chan net.Conn), done: make(chan struct{})}
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
	c.SetReadDeadline(time.Now().Add(g.timeout))
	_, err := io.ReadFull(c, buf)
	c.SetReadDeadline(time.Time{})
	if err != nil || buf[0] != 0xff || buf[9] != 0x7f {
		c.Close()
		return
	}
	select {
	case g.conns <- &prefixConn{Conn: c, prefix: buf}:
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

// prefixConn replays prefix before reading from Conn.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.prefix) > 0 {
		n := copy(b, p.prefix)
		p.prefix = p.prefix[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}
