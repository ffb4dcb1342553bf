package kernel

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// SignatureScheme is the only signature scheme quire accepts.
const SignatureScheme = "hmac-sha256"

// ConnectionInfo is the content of a Jupyter connection file.
//
// With Transport "tcp", each channel listens on IP:port. With Transport "ipc", each channel
// listens on the Unix socket path "IP-port" (jupyter_client's convention), so IP is a path
// prefix such as "/run/user/1000/jupyter/kernel-abc-ipc".
//
// A port of 0 (tcp only) means "pick a free port when binding"; Kernel.ConnectionInfo reports
// the ports actually bound.
type ConnectionInfo struct {
	Transport       string `json:"transport"`
	IP              string `json:"ip"`
	ShellPort       int    `json:"shell_port"`
	IOPubPort       int    `json:"iopub_port"`
	StdinPort       int    `json:"stdin_port"`
	ControlPort     int    `json:"control_port"`
	HBPort          int    `json:"hb_port"`
	Key             string `json:"key"`
	SignatureScheme string `json:"signature_scheme"`
	KernelName      string `json:"kernel_name,omitempty"`
}

// Validate checks the transport and signature scheme and fills the defaults (transport "tcp",
// ip "127.0.0.1", scheme "hmac-sha256"). An empty key means unsigned messages.
func (c *ConnectionInfo) Validate() error {
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	switch c.Transport {
	case "tcp", "ipc":
	default:
		return fmt.Errorf("connection info: unsupported transport %q (want \"tcp\" or \"ipc\")", c.Transport)
	}
	if c.IP == "" {
		if c.Transport == "ipc" {
			return errors.New("connection info: transport \"ipc\" needs \"ip\" set to a socket path prefix")
		}
		c.IP = "127.0.0.1"
	}
	if c.SignatureScheme == "" {
		c.SignatureScheme = SignatureScheme
	}
	if c.SignatureScheme != SignatureScheme {
		return fmt.Errorf("connection info: unsupported signature_scheme %q (only %q is supported)", c.SignatureScheme, SignatureScheme)
	}
	for _, p := range []struct {
		name string
		port int
	}{{"shell_port", c.ShellPort}, {"iopub_port", c.IOPubPort}, {"stdin_port", c.StdinPort}, {"control_port", c.ControlPort}, {"hb_port", c.HBPort}} {
		if p.port < 0 || p.port > 65535 {
			return fmt.Errorf("connection info: %s %d out of range", p.name, p.port)
		}
		if c.Transport == "ipc" && p.port == 0 {
			return fmt.Errorf("connection info: %s must be set for transport \"ipc\"", p.name)
		}
	}
	return nil
}

// Endpoint returns the ZeroMQ endpoint for a port of this connection, e.g. "tcp://127.0.0.1:5555"
// or "ipc:///tmp/kernel-ipc-1".
func (c *ConnectionInfo) Endpoint(port int) string {
	if c.Transport == "ipc" {
		return "ipc://" + c.IP + "-" + strconv.Itoa(port)
	}
	return "tcp://" + net.JoinHostPort(c.IP, strconv.Itoa(port))
}

// ReadConnectionFile reads and validates a Jupyter connection file.
func ReadConnectionFile(path string) (ConnectionInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ConnectionInfo{}, fmt.Errorf("read connection file: %w", err)
	}
	c, err := parseConnection(data)
	if err != nil {
		return c, fmt.Errorf("connection file %s: %w", path, err)
	}
	return c, nil
}

// parseConnection decodes and validates the content of a connection file.
func parseConnection(data []byte) (ConnectionInfo, error) {
	var c ConnectionInfo
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("parse: %w", err)
	}
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, nil
}

// NewConnectionInfo returns a connection for transport "tcp" on ip (default 127.0.0.1) or "ipc"
// (ip is then the socket path prefix), with five free ports and a random 256-bit hex key.
// TCP ports are found by binding port 0 and closing; like jupyter_client, another process may
// grab one before the kernel binds it.
func NewConnectionInfo(transport, ip string) (ConnectionInfo, error) {
	c := ConnectionInfo{Transport: transport, IP: ip, SignatureScheme: SignatureScheme}
	if c.Transport == "" {
		c.Transport = "tcp"
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return c, fmt.Errorf("generate key: %w", err)
	}
	c.Key = hex.EncodeToString(key)
	ports := make([]int, 5)
	switch c.Transport {
	case "tcp":
		if c.IP == "" {
			c.IP = "127.0.0.1"
		}
		var ls []net.Listener
		defer func() {
			for _, l := range ls {
				l.Close()
			}
		}()
		for i := range ports {
			l, err := net.Listen("tcp", net.JoinHostPort(c.IP, "0"))
			if err != nil {
				return c, fmt.Errorf("find a free port on %s: %w", c.IP, err)
			}
			ls = append(ls, l)
			ports[i] = l.Addr().(*net.TCPAddr).Port
		}
	case "ipc":
		if c.IP == "" {
			return c, errors.New("ipc transport needs a socket path prefix")
		}
		n := 1
		for i := range ports {
			for ; ; n++ {
				if _, err := os.Stat(c.IP + "-" + strconv.Itoa(n)); errors.Is(err, os.ErrNotExist) {
					break
				}
			}
			ports[i] = n
			n++
		}
	default:
		return c, fmt.Errorf("unsupported transport %q", c.Transport)
	}
	c.ShellPort, c.IOPubPort, c.StdinPort, c.ControlPort, c.HBPort = ports[0], ports[1], ports[2], ports[3], ports[4]
	return c, c.Validate()
}

// WriteConnectionFile writes info as JSON to path with mode 0600, creating the directory
// (mode 0700) if needed. The file is written to a temporary name and renamed, so a reader never
// sees it half-written.
func WriteConnectionFile(path string, info ConnectionInfo) error {
	data, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("encode connection file: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write connection file: %w", err)
	}
	f, err := os.CreateTemp(dir, ".conn-*.json")
	if err != nil {
		return fmt.Errorf("write connection file: %w", err)
	}
	tmp := f.Name()
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write connection file %s: %w", path, err)
	}
	return nil
}
