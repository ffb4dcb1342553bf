package worker

import (
	"fmt"
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
//
// The buffer and the internal pipe are shared with the supervisor (newSharedOutStream): when
// the process dies without flushing (a fatal runtime error, syscall.Exit), the supervisor
// delivers what they still hold, after everything the process wrote to it.
type outStream struct {
	mu      sync.Mutex
	out     *os.File // to the supervisor
	pr      int      // read end of the internal pipe
	pw      *os.File // write end: the process's os.Stdout or os.Stderr
	region  []byte   // the buffer: bytes not yet written to out are region[:n]
	n       int
	hdr     *wire.ShmHeader // base and length of the buffer, for the supervisor after a crash
	pending bool            // a flush is scheduled
	checked time.Time       // last FIONREAD check by Write
	ready   atomic.Bool     // the watcher saw the internal pipe readable
	seen    time.Time       // last time the internal pipe had data
	last    time.Time       // last Write
	burst   int             // Writes in a row less than checkEvery apart
	dirty   bool            // bytes went out since the last marker
	mark    uint64          // last marker written
	lazy    uint64          // marker to write before the next bytes (an event passed while clean)
	nonce   string
	ownerOf func() uint64 // the request the calling goroutine writes for (nil: none)
	owner   uint64        // owner of the bytes last buffered (see wire.OwnerMarker)
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

// newOutStream returns a stream to out with its own internal pipe and an unshared buffer
// (what the buffer holds is lost if the process dies).
func newOutStream(out *os.File, name string) (*outStream, error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	return newSharedOutStream(out, fds[0], os.NewFile(uintptr(fds[1]), name), make([]byte, wire.ShmData), &wire.ShmHeader{}), nil
}

// newSharedOutStream returns a stream to out whose internal pipe (pr, pw) and buffer (region,
// described by hdr) the supervisor shares, so that it can still deliver what they hold when
// the process dies without flushing (a fatal runtime error, syscall.Exit): see wire.ShmHeader.
func newSharedOutStream(out *os.File, pr int, pw *os.File, region []byte, hdr *wire.ShmHeader) *outStream {
	s := &outStream{out: out, pr: pr, pw: pw, region: region, hdr: hdr}
	go s.watch()
	return s
}

// tagOwners makes the stream mark its bytes with the request they are written for (see
// owners), with the worker's marker nonce.
func (s *outStream) tagOwners(nonce string, ownerOf func() uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nonce, s.ownerOf = nonce, ownerOf
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
		avail := fionread(s.pr)
		if avail <= 0 {
			return
		}
		s.seen = time.Now()
		if s.owner != 0 {
			s.appendLocked(wire.OwnerMarker(s.nonce, 0)) // the pipe's writers are unknown
			s.owner = 0
		}
		if s.n == len(s.region) {
			s.writeOutLocked()
		}
		// A raw read (the pipe has avail bytes: it does not block) and no scheduler call
		// between the read and SetLen: a fatal error elsewhere freezes goroutines as they
		// return from a system call, and one frozen there would have taken the bytes out of
		// the pipe without recording them in the shared buffer.
		to := s.region[s.n:min(s.n+avail, len(s.region))]
		m, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(s.pr), uintptr(unsafe.Pointer(&to[0])), uintptr(len(to)))
		if errno != 0 || int(m) <= 0 {
			return
		}
		s.n += int(m)
		s.hdr.SetLen(s.n)
	}
}

// writeOutLocked writes the buffer to the supervisor. The shared header is updated after the
// write (length first, then base), so at any moment the supervisor can tell which buffered
// bytes it has not received.
func (s *outStream) writeOutLocked() {
	if s.n == 0 {
		return
	}
	s.beforeBytesLocked()
	_, _ = s.out.Write(s.region[:s.n]) // an error means the supervisor is gone: drop
	s.hdr.SetLen(0)
	s.hdr.AddBase(s.n)
	s.n = 0
}

// appendLocked adds b to the buffer, writing the buffer out first when b does not fit.
func (s *outStream) appendLocked(b []byte) {
	if s.n+len(b) > len(s.region) {
		s.writeOutLocked()
	}
	s.n += copy(s.region[s.n:], b)
	s.hdr.SetLen(s.n)
}

// writeMetaLocked writes a marker to the supervisor at once. Base counts it before the
// write: if the process dies in between, the supervisor (which has received less) delivers
// the whole buffer, which is right, as none of it went out.
func (s *outStream) writeMetaLocked(b []byte) {
	s.hdr.AddBase(len(b))
	_, _ = s.out.Write(b)
}

func (s *outStream) flushLocked() {
	s.drainLocked()
	s.writeOutLocked()
}

func (s *outStream) scheduleLocked() {
	if s.n >= flushSize {
		s.flushLocked()
		return
	}
	if s.n > 0 && !s.pending {
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
	var owner uint64
	if s.ownerOf != nil {
		owner = s.ownerOf()
	}
	if owner != s.owner {
		s.appendLocked(wire.OwnerMarker(s.nonce, owner))
		s.owner = owner
	}
	if len(p) >= flushSize {
		s.flushLocked()
		s.beforeBytesLocked()
		n, err := s.out.Write(p)
		s.hdr.AddBase(n)
		return len(p), err
	}
	s.appendLocked(p)
	s.scheduleLocked()
	return len(p), nil
}

// beforeBytesLocked writes a pending marker before user bytes go out, so the supervisor holds
// those bytes until the event they follow is handled.
func (s *outStream) beforeBytesLocked() {
	if s.lazy > s.mark {
		s.writeMetaLocked(wire.Marker(s.nonce, s.lazy))
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
		s.writeMetaLocked(wire.Marker(nonce, n))
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

// sharedStreams sets up the user's stdout and stderr streams with the buffers and internal
// pipes the supervisor shares (see wire.FdShm).
func sharedStreams(stdout, stderr *os.File) (*outStream, *outStream, error) {
	var st syscall.Stat_t
	for _, fd := range []int{wire.FdShm, wire.FdOutPipeR, wire.FdOutPipeW, wire.FdErrPipeR, wire.FdErrPipeW} {
		if err := syscall.Fstat(fd, &st); err != nil {
			return nil, nil, fmt.Errorf("fd %d: %w", fd, err)
		}
		// Not for the worker's own children (executors, shell commands).
		syscall.CloseOnExec(fd)
	}
	mem, err := syscall.Mmap(wire.FdShm, 0, wire.ShmSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mapping the shared output buffers: %w", err)
	}
	syscall.Close(wire.FdShm) // the mapping stays
	stream := func(i int, out *os.File, pr, pw int, name string) *outStream {
		region := mem[i*wire.ShmStream : (i+1)*wire.ShmStream]
		hdr := (*wire.ShmHeader)(unsafe.Pointer(&region[0]))
		return newSharedOutStream(out, pr, os.NewFile(uintptr(pw), name), region[wire.ShmHeaderSize:], hdr)
	}
	return stream(0, stdout, wire.FdOutPipeR, wire.FdOutPipeW, "/dev/stdout"),
		stream(1, stderr, wire.FdErrPipeR, wire.FdErrPipeW, "/dev/stderr"), nil
}
