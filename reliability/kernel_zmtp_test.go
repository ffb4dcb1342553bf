package reliability

import (
	"context"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/go-zeromq/zmq4/transport"
)

// Helpers for tests that connect their own ZeroMQ sockets to the kernel: a zmq4 transport that
// remembers the connections it dialed (zmq4 v0.17 leaks the connection of a Dial whose
// handshake fails; the test closes them) and can shrink the socket's receive buffer (so a
// client that stops reading stalls the kernel's writes after kilobytes, not megabytes).

var (
	zmtpOnce  sync.Once
	zmtpMu    sync.Mutex
	zmtpConns []net.Conn
)

// recordingTransport dials TCP, optionally with a small SO_RCVBUF, and records the connection.
type recordingTransport struct{ rcvbuf int }

func (tr recordingTransport) Dial(ctx context.Context, _ transport.Dialer, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if tr.rcvbuf > 0 {
		d.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, tr.rcvbuf)
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	zmtpMu.Lock()
	zmtpConns = append(zmtpConns, c)
	zmtpMu.Unlock()
	return c, nil
}

func (recordingTransport) Listen(context.Context, string) (net.Listener, error) {
	return nil, syscall.EOPNOTSUPP
}

func (recordingTransport) Addr(ep string) (string, error) { return ep, nil }

// testEndpoint returns the endpoint of a kernel port through the recording transport:
// "qtest" dials normally, "qtest-slow" with a 4 KiB receive buffer.
func testEndpoint(t *testing.T, scheme string, port int) string {
	t.Helper()
	zmtpOnce.Do(func() {
		for name, tr := range map[string]recordingTransport{"qtest": {}, "qtest-slow": {rcvbuf: 4 << 10}} {
			if err := zmq4.RegisterTransport(name, tr); err != nil {
				t.Fatalf("registering transport %s: %v", name, err)
			}
		}
	})
	return scheme + "://127.0.0.1:" + strconv.Itoa(port)
}

// closeDialed closes every connection the recording transport dialed.
func closeDialed() {
	zmtpMu.Lock()
	defer zmtpMu.Unlock()
	for _, c := range zmtpConns {
		c.Close()
	}
	zmtpConns = nil
}

// fdCount is the number of open file descriptors of pid.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatalf("listing the fds of %d: %v", pid, err)
	}
	return len(ents)
}
