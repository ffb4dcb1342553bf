package kernel

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// zmq4 v0.17 writes to its peers synchronously and without deadlines: its PUB socket writes
// each message to every subscriber in turn, and its ROUTER holds the socket's lock while it
// writes a reply. One peer that stops reading (a suspended jupyter console, a client that never
// reads its replies) therefore fills its TCP buffer and then blocks iopub for every subscriber,
// or shell replies for every client, while zmq4's PUB queue grows without bound. libzmq gives
// each peer its own pipe with a high-water mark and drops for that peer alone when it is full
// (PUB and ROUTER never block); the send queue does the same below zmq4, per connection.

// Defaults for Config.SendHWM and Config.SendHWMBytes.
const (
	// DefaultSendHWM is a hundred times libzmq's default ZMQ_SNDHWM: status messages are
	// small, and a client that reads, only more slowly than a burst of requests (another
	// client's, say) makes them, should not lose its own; DefaultSendHWMBytes bounds the memory.
	DefaultSendHWM = 100_000
	// DefaultSendHWMBytes holds a whole output flood at the default MaxStreamBytes, so a
	// client that reads, only more slowly than a cell prints, loses nothing.
	DefaultSendHWMBytes = 40 << 20
)

// sendLinger is how long closing a connection waits for its queue to drain.
const sendLinger = 200 * time.Millisecond

// errPeerNotReading is the error of a connection closed because its peer stopped reading even
// the commands the kernel must send it.
var errPeerNotReading = errors.New("peer not reading")

// sendQueue is one connection's queue of whole ZMTP messages, written by its own goroutine.
// When the queue holds hwm messages or hwmBytes bytes, further messages are dropped for this
// connection (a message is always accepted into an empty queue, whatever its size); commands
// are never dropped, and a peer whose queue reaches twice the marks with commands is
// disconnected.
type sendQueue struct {
	conn     net.Conn
	hwm      int
	hwmBytes int
	log      *slog.Logger
	channel  string

	mu       sync.Mutex
	msgs     [][]byte
	bytes    int // queued and being written
	writing  bool
	started  bool
	closing  bool
	err      error // set when the writer failed or the queue closed: later pushes fail
	wake     chan struct{}
	done     chan struct{} // closed when the writer has exited
	dropped  int           // messages dropped in the current episode
	droppedB int
	total    int // messages dropped over the connection's life
}

func newSendQueue(c net.Conn, cfg guardConfig) *sendQueue {
	q := &sendQueue{conn: c, hwm: cfg.sendHWM, hwmBytes: cfg.sendHWMBytes, log: cfg.log, channel: cfg.channel,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	if q.hwm <= 0 {
		q.hwm = DefaultSendHWM
	}
	if q.hwmBytes <= 0 {
		q.hwmBytes = DefaultSendHWMBytes
	}
	if q.log == nil {
		q.log = slog.New(slog.DiscardHandler)
	}
	return q
}

// push queues m (the queue owns it). A droppable message over the high-water mark is dropped,
// and push still succeeds: to zmq4, as with libzmq, the send happened.
func (q *sendQueue) push(m []byte, droppable bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	full := len(q.msgs) >= q.hwm || q.bytes+len(m) > q.hwmBytes
	if full && q.bytes > 0 {
		if !droppable {
			if len(q.msgs) < 2*q.hwm && q.bytes+len(m) <= 2*q.hwmBytes {
				return q.appendLocked(m)
			}
			q.err = fmt.Errorf("%s: %w: %d messages, %d bytes queued", q.channel, errPeerNotReading, len(q.msgs), q.bytes)
			q.log.Warn("closing connection: peer not reading", "channel", q.channel, "peer", q.peer(), "queued", len(q.msgs), "queued_bytes", q.bytes)
			q.conn.Close()
			return q.err
		}
		if q.dropped == 0 {
			q.log.Warn("peer not reading: dropping messages for it until it catches up", "channel", q.channel,
				"peer", q.peer(), "queued", len(q.msgs), "queued_bytes", q.bytes, "hwm", q.hwm, "hwm_bytes", q.hwmBytes)
		}
		q.dropped++
		q.droppedB += len(m)
		q.total++
		return nil
	}
	return q.appendLocked(m)
}

func (q *sendQueue) appendLocked(m []byte) error {
	q.msgs = append(q.msgs, m)
	q.bytes += len(m)
	if !q.started {
		q.started = true
		go q.run()
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

func (q *sendQueue) peer() string {
	if a := q.conn.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// run writes what is queued, in order, until the queue closes or a write fails.
func (q *sendQueue) run() {
	defer close(q.done)
	var bufs net.Buffers
	for {
		q.mu.Lock()
		for len(q.msgs) == 0 {
			if q.closing || q.err != nil {
				q.mu.Unlock()
				return
			}
			q.mu.Unlock()
			<-q.wake
			q.mu.Lock()
		}
		batch := q.msgs
		q.msgs = nil
		q.writing = true
		q.mu.Unlock()

		n := 0
		for _, m := range batch {
			n += len(m)
		}
		bufs = append(bufs[:0], batch...)
		_, err := bufs.WriteTo(q.conn)
		clear(batch)

		q.mu.Lock()
		q.writing = false
		q.bytes -= n
		if err != nil && q.err == nil {
			q.err = fmt.Errorf("%s: write: %w", q.channel, err)
			// zmq4 learns of it from its reader, which the close ends.
			q.conn.Close()
		}
		if q.dropped > 0 && len(q.msgs) == 0 && q.err == nil {
			q.log.Info("peer caught up", "channel", q.channel, "peer", q.peer(), "dropped", q.dropped, "dropped_bytes", q.droppedB)
			q.dropped, q.droppedB = 0, 0
		}
		failed := q.err != nil
		q.mu.Unlock()
		if failed {
			return
		}
	}
}

// close stops the queue: the writer delivers what is queued, for at most linger, then exits.
func (q *sendQueue) close(linger time.Duration) {
	q.mu.Lock()
	q.closing = true
	started := q.started
	pending := len(q.msgs) > 0 || q.writing
	if q.err == nil {
		q.err = net.ErrClosed
	}
	q.mu.Unlock()
	if !started {
		return
	}
	if pending {
		q.conn.SetWriteDeadline(time.Now().Add(linger))
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	<-q.done
}
