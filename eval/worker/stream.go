package worker

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/quire-go/quire/eval/internal/wire"
)

// outStream batches one of the user's output streams (stdout or stderr) on its way to the
// supervisor, so a cell printing 100,000 lines makes a few dozen pipe writes instead of 100,000.
//
// Two kinds of writers feed it, and their order is kept:
//   - the interpreter's fmt.Print*, print and log (Options.Stdout/Stderr) call Write directly;
//   - everything that writes to the os.Stdout/os.Stderr *os.File (cells through os.Stdout,
//     compiled packages, child processes) writes into an internal pipe.
//
// Every Write first moves whatever is waiting in the internal pipe into the buffer (FIONREAD
// tells how much), so text written to the pipe before the Write stays before it. A syscall
// costs over a microsecond here, so while nothing has come through the pipe for busyFor, a
// Write within checkEvery of the previous check skips it, once burstChecked Writes in a row
// came less than checkEvery apart (unless the watcher has seen the pipe readable): only the
// first *os.File write after such a run of interpreter writes can come out after the next
// interpreter write; from then on every Write checks. A watcher goroutine does the same when
// the pipe becomes readable while nobody calls Write. The buffer goes out after flushDelay,
// when it is large, and at every sync marker.
type outStream struct {
	mu      sync.Mutex
	out     *os.File // to the supervisor
	pr      int      // read end of the internal pipe
	pw      *os.File // write end: the process's os.Stdout or os.Stderr
	buf     []byte
	pending bool        // a flush is scheduled
	checked time.Time   // last FIONREAD check by Write
	ready   atomic.Bool // the watcher saw the internal pipe readable
	seen    time.Time   // last time the internal pipe had data
	last    time.Time   // last Write
	burst   int         // Writes in a row less than checkEvery apart
	dirty   bool        // bytes went out since the last marker
	mark    uint64      // last marker written
	lazy    uint64      // marker to write before the next bytes (an event passed while clean)
	nonce   string
}

const (
	flushDelay = 2 * time.Millisecond
	flushSize  = 32 << 10
	checkEvery = 50 * time.Microsecond
	busyFor    = time.Second // after the pipe had data, check on every Write for this long
	// The first Writes of a burst always check, so a func that prints, calls compiled code
	// writing to os.Stdout and prints again keeps its order.
	burstChecked = 32
)

func newOutStream(out *os.File, name string) (*outStream, error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	s := &outStream{out: out, pr: fds[0], pw: os.NewFile(uintptr(fds[1]), name)}
	go s.watch()
	return s, nil
}

func fionread(fd int) int {
	var n int32
	_, _, errno := syscall.RawSyscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	if errno != 0 {
		return 0
	}
	return int(n)
}

// drainLocked moves the internal pipe's pending bytes into the buffer.
func (s *outStream) drainLocked() {
	s.ready.Store(false)
	for {
		n := fionread(s.pr)
		if n <= 0 {
			return
		}
		s.seen = time.Now()
		l := len(s.buf)
		s.buf = append(s.buf, make([]byte, n)...)
		m, err := syscall.Read(s.pr, s.buf[l:])
		if m < 0 {
			m = 0
		}
		s.buf = s.buf[:l+m]
		if err != nil {
			return
		}
	}
}

func (s *outStream) flushLocked() {
	s.drainLocked()
	if len(s.buf) > 0 {
		s.beforeBytesLocked()
	}
	for len(s.buf) > 0 {
		n, err := s.out.Write(s.buf)
		if err != nil {
			s.buf = s.buf[:0]
			return
		}
		s.buf = s.buf[n:]
	}
	s.buf = s.buf[:0]
}

func (s *outStream) scheduleLocked() {
	if len(s.buf) >= flushSize {
		s.flushLocked()
		return
	}
	if len(s.buf) > 0 && !s.pending {
		s.pending = true
		time.AfterFunc(flushDelay, func() {
			s.mu.Lock()
			s.pending = false
			s.flushLocked()
			s.mu.Unlock()
		})
	}
}

// Write buffers p after anything already written to the internal pipe.
func (s *outStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if now.Sub(s.last) <= checkEvery {
		s.burst++
	} else {
		s.burst = 0
	}
	s.last = now
	if s.ready.Load() || s.burst < burstChecked || now.Sub(s.checked) > checkEvery || now.Sub(s.seen) < busyFor {
		s.checked = now
		s.drainLocked()
	}
	if len(p) >= flushSize {
		s.flushLocked()
		s.beforeBytesLocked()
		_, err := s.out.Write(p)
		return len(p), err
	}
	s.buf = append(s.buf, p...)
	s.scheduleLocked()
	return len(p), nil
}

// beforeBytesLocked writes a pending marker before user bytes go out, so the supervisor holds
// those bytes until the event they follow is handled.
func (s *outStream) beforeBytesLocked() {
	if s.lazy > s.mark {
		_, _ = s.out.Write(wire.Marker(s.nonce, s.lazy))
		s.mark = s.lazy
	}
	s.dirty = true
}

// writeMarker flushes everything written so far and returns the marker the supervisor must
// reach before handling event n: marker n, written now if bytes went out since the previous
// marker; else the previous marker, with n written later, just before the next bytes.
func (s *outStream) writeMarker(nonce string, n uint64) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nonce = nonce
	s.flushLocked()
	if s.dirty {
		_, _ = s.out.Write(wire.Marker(nonce, n))
		s.dirty, s.mark = false, n
		return n
	}
	s.lazy = n
	return s.mark
}

// watch drains the internal pipe when something writes to it while no Write comes.
func (s *outStream) watch() {
	for {
		var set syscall.FdSet
		set.Bits[s.pr/64] |= 1 << (uint(s.pr) % 64)
		_, err := syscall.Select(s.pr+1, &set, nil, nil, nil)
		if err != nil && err != syscall.EINTR {
			return
		}
		s.ready.Store(true)
		s.mu.Lock()
		s.drainLocked()
		s.scheduleLocked()
		s.mu.Unlock()
		if fionread(s.pr) > 0 {
			continue
		}
		// Let writers make progress before polling again.
		time.Sleep(100 * time.Microsecond)
	}
}
