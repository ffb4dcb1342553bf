package executors

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"syscall"
)

// maxMessage is the largest value (JSON-encoded) a Queue or Conn carries.
const maxMessage = 60 << 10

// Conn is one end of a Pipe between processes (multiprocessing.Pipe): Send on one end, Recv on
// the other. Values travel JSON-encoded over a unix SOCK_SEQPACKET socket, one message each
// (at most 60 KiB). Pass a Conn as an argument to Processes or NewProcess: the child receives
// its own copy of the same end.
type Conn struct {
	f *os.File
}

// Queue is a first-in first-out queue shared by processes (multiprocessing.Queue): any process
// holding it may Put and Get. Each message is delivered to exactly one Get.
type Queue struct {
	put, get *os.File
}

func socketpair() (*os.File, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("executors: socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "executors-end0"), os.NewFile(uintptr(fds[1]), "executors-end1"), nil
}

// NewPipe returns the two connected ends of a duplex pipe.
func NewPipe() (*Conn, *Conn, error) {
	a, b, err := socketpair()
	if err != nil {
		return nil, nil, err
	}
	return &Conn{f: a}, &Conn{f: b}, nil
}

// NewQueue returns an empty inter-process queue.
func NewQueue() (*Queue, error) {
	a, b, err := socketpair()
	if err != nil {
		return nil, err
	}
	return &Queue{put: a, get: b}, nil
}

func send(f *os.File, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("executors: cannot send %T: %w", v, err)
	}
	if len(b) > maxMessage {
		return fmt.Errorf("executors: message of %d bytes is larger than the %d-byte limit", len(b), maxMessage)
	}
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("executors: send: %w", err)
	}
	return nil
}

func recv(f *os.File, ptr any) error {
	buf := make([]byte, maxMessage+1)
	n, err := f.Read(buf)
	if err != nil {
		return fmt.Errorf("executors: receive: %w", err)
	}
	if n == 0 {
		return errors.New("executors: receive: the other end is closed")
	}
	if err := json.Unmarshal(buf[:n], ptr); err != nil {
		return fmt.Errorf("executors: receive: %w", err)
	}
	return nil
}

func recvAny(f *os.File) (any, error) {
	var v any
	if err := recv(f, &v); err != nil {
		return nil, err
	}
	return normalizeJSON(v), nil
}

// Send sends v (JSON-encoded) to the other end.
func (c *Conn) Send(v any) error { return send(c.f, v) }

// Recv waits for the next value from the other end. Numbers come back as int when whole,
// else float64; objects as map[string]any (use RecvInto for a typed value).
func (c *Conn) Recv() (any, error) { return recvAny(c.f) }

// RecvInto waits for the next value and decodes it into ptr.
func (c *Conn) RecvInto(ptr any) error { return recv(c.f, ptr) }

// Close closes this end.
func (c *Conn) Close() error { return c.f.Close() }

// Put appends v (JSON-encoded) to the queue.
func (q *Queue) Put(v any) error { return send(q.put, v) }

// Get waits for the next value (see Conn.Recv for the types).
func (q *Queue) Get() (any, error) { return recvAny(q.get) }

// GetInto waits for the next value and decodes it into ptr.
func (q *Queue) GetInto(ptr any) error { return recv(q.get, ptr) }

// Close closes this process's handle of the queue.
func (q *Queue) Close() error { return errors.Join(q.put.Close(), q.get.Close()) }

var (
	queueT = reflect.TypeOf((*Queue)(nil))
	connT  = reflect.TypeOf((*Conn)(nil))
)

// endpointFromFDs rebuilds, in a child, the *Queue or *Conn passed at the given fds.
func endpointFromFDs(pt reflect.Type, fds []int, files map[int]*os.File) (reflect.Value, error) {
	file := func(fd int) *os.File {
		if f, ok := files[fd]; ok {
			return f
		}
		f := os.NewFile(uintptr(fd), fmt.Sprintf("executors-fd%d", fd))
		files[fd] = f
		return f
	}
	switch {
	case pt == queueT && len(fds) == 2:
		return reflect.ValueOf(&Queue{put: file(fds[0]), get: file(fds[1])}), nil
	case pt == connT && len(fds) == 1:
		return reflect.ValueOf(&Conn{f: file(fds[0])}), nil
	}
	return reflect.Value{}, fmt.Errorf("a Queue or Conn was passed where the function takes %s", pt)
}
