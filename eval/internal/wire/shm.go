package wire

import (
	"encoding/binary"
	"sync/atomic"
)

// Crash-safe output. The worker buffers the user's output (see eval/worker's outStream), and a
// process that dies of a fatal runtime error or syscall.Exit does not flush. So the buffers
// live in memory shared with the supervisor (a file the supervisor creates, unlinked, mapped
// by the worker), next to the internal pipes that carry what is written to the os.Stdout and
// os.Stderr files: when the worker is gone, the supervisor reads what its output pipes still
// held, then what each buffer holds and it did not receive, then what is left in the internal
// pipes, in that order.
//
// Extra files of the worker for this (after fd 3, 4 and 5):
//
//	6  the shared buffers (ShmSize bytes)
//	7  read end of the internal stdout pipe, 8 its write end
//	9  read end of the internal stderr pipe, 10 its write end
const (
	FdShm                  = 6
	FdOutPipeR, FdOutPipeW = 7, 8
	FdErrPipeR, FdErrPipeW = 9, 10
)

// Layout of the shared file: for stdout then stderr, a header of ShmHeaderSize bytes and
// ShmData bytes of buffer.
const (
	ShmData       = 256 << 10
	ShmHeaderSize = 64
	ShmStream     = ShmHeaderSize + ShmData
	ShmSize       = 2 * ShmStream
)

// ShmHeader is the start of a stream's region: Base is the number of user bytes the worker
// wrote to its output pipe before the first buffered byte (markers not counted), Len the
// number of bytes buffered. The worker updates Len after appending, and after writing the
// buffer out sets Len to 0 before adding to Base, so that for every moment the supervisor
// can find the bytes it did not receive: those of the buffer from (received - Base) to Len.
type ShmHeader struct {
	base, n atomic.Uint64
}

// SetLen records the buffered length.
func (h *ShmHeader) SetLen(n int) { h.n.Store(uint64(n)) }

// AddBase records n more bytes written out.
func (h *ShmHeader) AddBase(n int) {
	if n > 0 {
		h.base.Add(uint64(n))
	}
}

// Unreceived returns the bytes of one stream's region (ShmStream bytes read from the shared
// file after the worker died) that the supervisor did not receive, given the number of user
// bytes it received from the output pipe.
func Unreceived(region []byte, received uint64) []byte {
	if len(region) < ShmStream {
		return nil
	}
	base := binary.NativeEndian.Uint64(region[0:8])
	n := binary.NativeEndian.Uint64(region[8:16])
	if n > ShmData {
		return nil
	}
	skip := uint64(0)
	if received > base {
		skip = received - base
	}
	if skip >= n {
		return nil
	}
	return region[ShmHeaderSize+skip : ShmHeaderSize+n]
}
