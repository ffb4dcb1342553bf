package eval

import (
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"github.com/quire-go/quire/eval/internal/wire"
)

// crashOutput holds the supervisor's side of a worker's crash-safe output (see wire.FdShm):
// the shared buffers and the internal pipes, read only once the worker is gone.
type crashOutput struct {
	mu    sync.Mutex
	shm   *os.File
	pipes [2][2]*os.File // stdout, stderr: read end, write end
}

func newCrashOutput() (*crashOutput, error) {
	f, err := os.CreateTemp("", "quire-output-*")
	if err != nil {
		return nil, fmt.Errorf("shared output buffers: %w", err)
	}
	os.Remove(f.Name()) // only the descriptors keep it
	c := &crashOutput{shm: f}
	if err := f.Truncate(wire.ShmSize); err != nil {
		c.close()
		return nil, fmt.Errorf("shared output buffers: %w", err)
	}
	for i := range c.pipes {
		var fds [2]int
		if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
			c.close()
			return nil, fmt.Errorf("internal output pipes: %w", err)
		}
		c.pipes[i] = [2]*os.File{os.NewFile(uintptr(fds[0]), "quire-pipe-r"), os.NewFile(uintptr(fds[1]), "quire-pipe-w")}
	}
	return c, nil
}

// extraFiles are the worker's fds wire.FdShm to wire.FdErrPipeW.
func (c *crashOutput) extraFiles() []*os.File {
	return []*os.File{c.shm, c.pipes[0][0], c.pipes[0][1], c.pipes[1][0], c.pipes[1][1]}
}

// started closes the descriptors only the worker needs (the write ends of the internal
// pipes: the supervisor never writes, and must not keep them open).
func (c *crashOutput) started() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.pipes {
		if c.pipes[i][1] != nil {
			c.pipes[i][1].Close()
			c.pipes[i][1] = nil
		}
	}
}

func (c *crashOutput) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shm != nil {
		c.shm.Close()
		c.shm = nil
	}
	for i := range c.pipes {
		for j := range c.pipes[i] {
			if c.pipes[i][j] != nil {
				c.pipes[i][j].Close()
				c.pipes[i][j] = nil
			}
		}
	}
}

// recover returns what the dead worker had buffered for stream i (0 stdout, 1 stderr) and
// the supervisor did not receive (it read received bytes from the output pipe, markers
// included), then what is left in the stream's internal pipe.
func (c *crashOutput) recover(i int, received uint64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shm == nil {
		return nil
	}
	var out []byte
	region := make([]byte, wire.ShmStream)
	if n, err := c.shm.ReadAt(region, int64(i*wire.ShmStream)); n == len(region) || err == io.EOF {
		out = append(out, wire.Unreceived(region[:n], received)...)
	}
	if r := c.pipes[i][0]; r != nil {
		out = append(out, drainPipe(r)...)
	}
	return out
}

// drainPipe reads what a pipe holds now, without blocking (other processes, the worker's
// children, may still hold its write end).
func drainPipe(f *os.File) []byte {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	var out []byte
	_ = rc.Control(func(fd uintptr) {
		for {
			var n int32
			if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); errno != 0 || n <= 0 {
				return
			}
			buf := make([]byte, n)
			m, err := syscall.Read(int(fd), buf)
			if m > 0 {
				out = append(out, buf[:m]...)
			}
			if err != nil || m <= 0 {
				return
			}
		}
	})
	return out
}
