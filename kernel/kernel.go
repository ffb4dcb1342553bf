package kernel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/google/uuid"

	"github.com/quire-go/quire/backend"
)

// Defaults for Config fields left zero.
const (
	DefaultMaxMessageBytes = 64 << 20
	DefaultReplayWindow    = 1 << 14
	DefaultStreamFlush     = 10 * time.Millisecond
	// DefaultFirstSubscriberWait: see Config.FirstSubscriberWait.
	DefaultFirstSubscriberWait = 10 * time.Second
	DefaultStreamBatchBytes    = 64 << 10
	DefaultShutdownTimeout     = 2 * time.Second
	DefaultLinger              = 20 * time.Millisecond
	DefaultHistoryEntries      = 10000
	DefaultHandshakeTimeout    = 10 * time.Second
	DefaultMaxStreamBytes      = 32 << 20
	// DefaultStopOnErrorTimeout is Config.StopOnErrorTimeout's default: long enough for the
	// rest of a JupyterLab "Run All" (sent as one burst over about 15 ms, later on a loaded
	// machine) to arrive after a cell that fails at once.
	DefaultStopOnErrorTimeout = 200 * time.Millisecond
)

// Config configures a Kernel. Conn and Backend are required; everything else has a default.
type Config struct {
	// Conn is the connection file's content: where to bind and the signing key.
	Conn ConnectionInfo
	// Backend runs cells.
	Backend backend.Backend
	// Logger receives the kernel's logs (default slog.Default()). The key is never logged.
	Logger *slog.Logger
	// MaxMessageBytes caps the size of an incoming message, all frames together
	// (0 = DefaultMaxMessageBytes, negative = no cap). Larger messages are dropped; a peer
	// announcing a message over max(2*cap, cap+1MiB) has its connection dropped before zmq4
	// allocates the frames.
	MaxMessageBytes int
	// ReplayWindow is how many recent signatures are remembered to refuse replays
	// (0 = DefaultReplayWindow, negative = no replay check).
	ReplayWindow int
	// HistoryPath is the JSON-lines history file (default DefaultHistoryPath()).
	HistoryPath string
	// NoHistory disables the history file; history_request then only sees this session.
	NoHistory bool
	// MaxHistoryEntries bounds the history file (0 = DefaultHistoryEntries).
	MaxHistoryEntries int
	// CommTargets are the comm targets frontends may open (more can be added with
	// Kernel.RegisterCommTarget).
	CommTargets map[string]CommTarget
	// RestartInProcess makes shutdown_request{restart: true} call Backend.Shutdown(ctx, true) and
	// keep serving, instead of returning from Serve (jupyter_client expects the process to exit
	// and starts a new one; `quire run` and tests may prefer an in-process restart).
	RestartInProcess bool
	// FirstSubscriberWait is how long after Serve starts iopub messages are held while no client
	// has subscribed yet, and sent to the first subscriber when it does (0 =
	// DefaultFirstSubscriberWait, negative = never hold). A SUB socket misses what is published
	// before its subscription reaches the PUB; clients such as jupyter console send their first
	// cell right after kernel_info_reply without waiting for iopub, and on a loaded machine
	// would lose that cell's status messages and wait for its "idle" for ever.
	FirstSubscriberWait time.Duration
	// StreamFlushInterval is how long stream text may wait to be coalesced
	// (0 = DefaultStreamFlush).
	StreamFlushInterval time.Duration
	// StreamBatchBytes flushes a stream batch when it reaches this size
	// (0 = DefaultStreamBatchBytes).
	StreamBatchBytes int
	// MaxStreamBytes caps the stream text (stdout and stderr together) published for one
	// execute_request, including what its goroutines print after it ended (0 =
	// DefaultMaxStreamBytes, negative = no cap). Text over the cap is dropped, so a cell
	// printing without end neither floods the frontend nor fills the kernel's memory: the
	// frontend gets a notice on stderr when the cap is reached and, when the cell ends, the
	// number of bytes dropped.
	MaxStreamBytes int
	// ShutdownTimeout is how long Serve waits for a running Execute to return after shutdown,
	// and how long Backend.Shutdown may take (0 = DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// HandshakeTimeout bounds the ZMTP handshake of a new connection; a peer that stalls in
	// it is dropped (0 = DefaultHandshakeTimeout).
	HandshakeTimeout time.Duration
	// SendHWM and SendHWMBytes are the send high-water marks of each connection, as libzmq's
	// ZMQ_SNDHWM is per peer (0 = DefaultSendHWM messages, DefaultSendHWMBytes bytes). Messages
	// to a peer that stops reading queue up to the marks and are then dropped for that peer
	// alone (logged once per episode), so a stalled iopub subscriber or a client that never
	// reads its shell replies neither blocks the other clients nor grows the kernel's memory.
	SendHWM      int
	SendHWMBytes int
	// StopOnErrorTimeout is how long after an error reply to an execute_request with
	// stop_on_error the kernel goes on aborting execute_requests that arrive (0 =
	// DefaultStopOnErrorTimeout, negative = abort only those already queued), as ipykernel's
	// stop_on_error_timeout; each request aborted extends the window to this long after its
	// own arrival. A frontend's "Run All" sends every cell at once, and a cell that fails
	// within milliseconds is answered before the later requests have all arrived; without the
	// window those would run. Requests with stop_on_error false are never aborted (nor
	// extend the window), so a client that continues after an error sends that.
	StopOnErrorTimeout time.Duration
	// Linger is how long Serve waits before closing the sockets so that queued iopub messages
	// (the last status idle, shutdown_reply) reach subscribers (0 = DefaultLinger).
	Linger time.Duration
}

// defaultOrOff maps a limit's configured value to the one in force: 0 means the default, a
// negative value means no limit (0 in force).
func defaultOrOff(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Stats counts what the kernel received. Tests read it with Kernel.Stats.
type Stats struct {
	Received     uint64 // messages read from shell, control and stdin
	Handled      uint64 // messages dispatched to a handler
	BadSignature uint64 // refused: bad or missing signature
	Replayed     uint64 // refused: signature already seen
	Malformed    uint64 // dropped: missing frames, bad JSON
	TooLarge     uint64 // dropped: over MaxMessageBytes (or connection dropped: a message announced over twice that)
	Unknown      uint64 // unknown message types (requests get an error reply)
	Panics       uint64 // handler or backend panics recovered
}

type stats struct {
	received, handled, badSig, replayed, malformed, tooLarge, unknown, panics atomic.Uint64
}

// channel is a ROUTER socket with serialized sends (zmq4 sockets are not safe for concurrent
// Send).
type channel struct {
	name string
	sock zmq4.Socket
	mu   sync.Mutex
}

func (c *channel) send(frames [][]byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sock.SendMulti(zmq4.NewMsgFrom(frames...))
}

// Kernel serves the Jupyter protocol for one backend. Create it with New, run it with Serve.
type Kernel struct {
	cfg     Config
	log     *slog.Logger
	be      backend.Backend
	codec   *Codec
	session string // this kernel's session id, in the header of every message it sends
	conn    ConnectionInfo

	sockCtx    context.Context
	sockCancel context.CancelFunc
	shell      *channel
	control    *channel
	stdin      *channel
	hb         *channel
	iopub      *publisher

	stats   stats
	queue   *execQueue
	ordered chan func()
	history *History
	comms   *commRegistry
	inputs  inputWaiters
	// The comm lane (comm_backend.go), started on first use.
	commOnce sync.Once
	commQ    chan func()

	mu    sync.Mutex
	count int // execution count
	// abortUntil: execute_requests with stop_on_error that arrived before it are aborted
	// (set by an error reply to the end of the stop-on-error window).
	abortUntil time.Time

	runCtx    context.Context
	runCancel context.CancelFunc
	stopOnce  sync.Once
	stopCh    chan struct{}
	served    atomic.Bool
	beClosed  atomic.Bool
	concurSem chan struct{}
	dbgLane   debugLane
}

// New validates cfg and binds the five sockets of cfg.Conn. TCP ports given as 0 are chosen by
// the system; ConnectionInfo reports them. Call Serve to start serving, or Close to unbind.
func New(cfg Config) (*Kernel, error) {
	if cfg.Backend == nil {
		return nil, errors.New("kernel: Config.Backend is nil")
	}
	conn := cfg.Conn
	if err := conn.Validate(); err != nil {
		return nil, fmt.Errorf("kernel: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.MaxMessageBytes = defaultOrOff(cfg.MaxMessageBytes, DefaultMaxMessageBytes)
	cfg.ReplayWindow = defaultOrOff(cfg.ReplayWindow, DefaultReplayWindow)
	switch {
	case cfg.FirstSubscriberWait == 0:
		cfg.FirstSubscriberWait = DefaultFirstSubscriberWait
	case cfg.FirstSubscriberWait < 0:
		cfg.FirstSubscriberWait = 0
	}
	if cfg.StreamFlushInterval <= 0 {
		cfg.StreamFlushInterval = DefaultStreamFlush
	}
	if cfg.StreamBatchBytes <= 0 {
		cfg.StreamBatchBytes = DefaultStreamBatchBytes
	}
	cfg.MaxStreamBytes = defaultOrOff(cfg.MaxStreamBytes, DefaultMaxStreamBytes)
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	switch {
	case cfg.StopOnErrorTimeout == 0:
		cfg.StopOnErrorTimeout = DefaultStopOnErrorTimeout
	case cfg.StopOnErrorTimeout < 0:
		cfg.StopOnErrorTimeout = 0
	}
	if cfg.Linger <= 0 {
		cfg.Linger = DefaultLinger
	}
	if cfg.MaxHistoryEntries <= 0 {
		cfg.MaxHistoryEntries = DefaultHistoryEntries
	}
	k := &Kernel{
		cfg:       cfg,
		log:       cfg.Logger,
		be:        cfg.Backend,
		codec:     NewCodec([]byte(conn.Key), cfg.MaxMessageBytes, cfg.ReplayWindow),
		session:   uuid.NewString(),
		queue:     newExecQueue(),
		ordered:   make(chan func(), 256),
		comms:     newCommRegistry(),
		stopCh:    make(chan struct{}),
		concurSem: make(chan struct{}, 32),
	}
	k.inputs.init()
	for name, t := range cfg.CommTargets {
		k.comms.register(name, t)
	}
	if !cfg.NoHistory {
		path := cfg.HistoryPath
		if path == "" {
			var err error
			if path, err = DefaultHistoryPath(); err != nil {
				return nil, fmt.Errorf("kernel: %w", err)
			}
		}
		k.history = NewHistory(path, cfg.MaxHistoryEntries)
	} else {
		k.history = NewHistory("", cfg.MaxHistoryEntries)
	}
	k.sockCtx, k.sockCancel = context.WithCancel(context.Background())
	k.runCtx, k.runCancel = context.WithCancel(context.Background())
	zlog := slog.NewLogLogger(k.log.Handler(), slog.LevelWarn)
	opts := []zmq4.Option{zmq4.WithLogger(zlog), zmq4.WithTimeout(30 * time.Second)}

	// The transport drops a connection whose message exceeds a hard limit above the cap
	// (messages between the two are read and then dropped by Decode).
	hard := uint64(1) << 40
	if cfg.MaxMessageBytes > 0 {
		hard = uint64(max(2*cfg.MaxMessageBytes, cfg.MaxMessageBytes+1<<20))
	}
	guard := guardConfig{maxMessage: hard, handshake: cfg.HandshakeTimeout, reject: func(err error) {
		if errors.Is(err, ErrTooLarge) {
			k.stats.tooLarge.Add(1)
		}
		k.log.Warn("dropped connection", "err", err)
	}, sendHWM: cfg.SendHWM, sendHWMBytes: cfg.SendHWMBytes, log: k.log}
	bind := func(name string, sock zmq4.Socket, port *int) error {
		g := guard
		g.sockType, g.channel = sock.Type(), name
		scheme, err := registerTransport(conn.Transport, name, g)
		if err != nil {
			return fmt.Errorf("kernel: %w", err)
		}
		ep := conn.bindEndpoint(scheme, *port)
		if err := sock.Listen(ep); err != nil {
			return fmt.Errorf("kernel: bind %s channel on %s: %w", name, ep, err)
		}
		if conn.Transport == "tcp" && *port == 0 {
			if a, ok := sock.Addr().(*net.TCPAddr); ok {
				*port = a.Port
			}
		}
		return nil
	}
	k.shell = &channel{name: "shell", sock: zmq4.NewRouter(k.sockCtx, opts...)}
	k.control = &channel{name: "control", sock: zmq4.NewRouter(k.sockCtx, opts...)}
	k.stdin = &channel{name: "stdin", sock: zmq4.NewRouter(k.sockCtx, opts...)}
	k.hb = &channel{name: "hb", sock: zmq4.NewRouter(k.sockCtx, opts...)}
	pub := zmq4.NewPub(k.sockCtx, opts...)
	k.iopub = newPublisher(k, pub)
	socks := []struct {
		name string
		sock zmq4.Socket
		port *int
	}{
		{"shell", k.shell.sock, &conn.ShellPort},
		{"iopub", pub, &conn.IOPubPort},
		{"stdin", k.stdin.sock, &conn.StdinPort},
		{"control", k.control.sock, &conn.ControlPort},
		{"hb", k.hb.sock, &conn.HBPort},
	}
	for _, s := range socks {
		if err := bind(s.name, s.sock, s.port); err != nil {
			k.closeSockets()
			return nil, err
		}
	}
	k.conn = conn
	return k, nil
}

// Serve creates a kernel from cfg and serves until ctx ends or a shutdown_request (see
// Config.RestartInProcess) arrives.
func Serve(ctx context.Context, cfg Config) error {
	k, err := New(cfg)
	if err != nil {
		return err
	}
	return k.Serve(ctx)
}

// ConnectionInfo returns the connection actually bound (with the ports chosen for port 0).
func (k *Kernel) ConnectionInfo() ConnectionInfo { return k.conn }

// Session returns the session id the kernel puts in the headers it sends.
func (k *Kernel) Session() string { return k.session }

// Stats returns a snapshot of the kernel's counters.
func (k *Kernel) Stats() Stats {
	s := &k.stats
	return Stats{
		Received: s.received.Load(), Handled: s.handled.Load(), BadSignature: s.badSig.Load(),
		Replayed: s.replayed.Load(), Malformed: s.malformed.Load(), TooLarge: s.tooLarge.Load(),
		Unknown: s.unknown.Load(), Panics: s.panics.Load(),
	}
}

// Interrupt interrupts the running cell, as interrupt_request does: pending input requests
// end with context.Canceled and Backend.Interrupt is called.
func (k *Kernel) Interrupt() error {
	k.inputs.cancelAll()
	return k.be.Interrupt()
}

// Shutdown makes Serve return (as a shutdown_request without restart does, without a reply).
func (k *Kernel) Shutdown() { k.stop() }

func (k *Kernel) stop() {
	k.stopOnce.Do(func() { close(k.stopCh) })
}

// Done is closed when the kernel begins to shut down.
func (k *Kernel) Done() <-chan struct{} { return k.stopCh }

// Serve serves the protocol until ctx ends or the kernel is shut down. It then calls
// Backend.Shutdown(ctx, false) (unless a shutdown already did; ctx ends after Config.ShutdownTimeout), waits up to Config.ShutdownTimeout
// for a running cell, and closes the sockets. Serve may be called once.
func (k *Kernel) Serve(ctx context.Context) error {
	if !k.served.CompareAndSwap(false, true) {
		return errors.New("kernel: Serve called twice")
	}
	var readers sync.WaitGroup
	execDone := make(chan struct{})
	orderedDone := make(chan struct{})
	readers.Add(4)
	go func() { defer readers.Done(); k.heartbeat() }()
	go func() { defer readers.Done(); k.readLoop(k.shell) }()
	go func() { defer readers.Done(); k.readLoop(k.control) }()
	go func() { defer readers.Done(); k.readLoop(k.stdin) }()
	go func() { defer close(execDone); k.execLoop() }()
	go func() { defer close(orderedDone); k.orderedLoop() }()

	k.iopub.publish(nil, "status", map[string]any{"execution_state": "starting"}, nil, nil)
	k.log.Info("kernel started", "transport", k.conn.Transport, "ip", k.conn.IP,
		"shell_port", k.conn.ShellPort, "iopub_port", k.conn.IOPubPort, "session", k.session)

	select {
	case <-ctx.Done():
		k.stop()
	case <-k.stopCh:
	}
	k.log.Info("kernel shutting down")
	k.queue.close()
	k.inputs.cancelAll()
	k.runCancel()
	k.shutdownBackend(false)
	select {
	case <-execDone:
	case <-time.After(k.cfg.ShutdownTimeout):
		k.log.Warn("running cell did not end after shutdown", "timeout", k.cfg.ShutdownTimeout)
	}
	k.iopub.flush()
	time.Sleep(k.cfg.Linger)
	k.iopub.close()
	err := k.closeSockets()
	readers.Wait()
	select {
	case <-orderedDone:
	case <-time.After(k.cfg.ShutdownTimeout):
	}
	k.history.Close()
	return err
}

func (k *Kernel) shutdownBackend(restart bool) {
	if !restart && !k.beClosed.CompareAndSwap(false, true) {
		return
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				k.stats.panics.Add(1)
				k.log.Error("backend Shutdown panicked", "panic", fmt.Sprint(p))
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), k.cfg.ShutdownTimeout)
		defer cancel()
		if err := k.be.Shutdown(ctx, restart); err != nil {
			k.log.Warn("backend shutdown", "restart", restart, "err", err)
		}
	}()
}

// Close unbinds the sockets of a kernel that is not serving.
func (k *Kernel) Close() error {
	if k.served.Load() {
		k.stop()
		return nil
	}
	return k.closeSockets()
}

func (k *Kernel) closeSockets() error {
	k.sockCancel()
	var first error
	for _, s := range []zmq4.Socket{k.shell.sock, k.control.sock, k.stdin.sock, k.hb.sock, k.iopub.sock} {
		if s == nil {
			continue
		}
		if err := s.Close(); err != nil && first == nil && !errors.Is(err, net.ErrClosed) {
			first = err
		}
	}
	return first
}

// heartbeat echoes every message back to its sender, on its own goroutine.
func (k *Kernel) heartbeat() {
	for {
		msg, err := k.hb.sock.Recv()
		if err != nil {
			if k.sockCtx.Err() != nil {
				return
			}
			continue
		}
		if err := k.hb.send(msg.Frames); err != nil && k.sockCtx.Err() == nil {
			k.log.Debug("heartbeat echo failed", "err", err)
		}
	}
}

// readLoop reads one ROUTER channel, decodes, verifies and dispatches.
func (k *Kernel) readLoop(ch *channel) {
	for {
		zm, err := ch.sock.Recv()
		if err != nil {
			if k.sockCtx.Err() != nil {
				return
			}
			k.log.Debug("recv failed", "channel", ch.name, "err", err)
			continue
		}
		k.stats.received.Add(1)
		m, err := k.codec.Decode(zm.Frames)
		if err != nil {
			k.refuse(ch, zm.Frames, err)
			continue
		}
		k.dispatch(ch, m)
	}
}

func (k *Kernel) refuse(ch *channel, frames [][]byte, err error) {
	n := 0
	for _, f := range frames {
		n += len(f)
	}
	attrs := []any{"channel", ch.name, "frames", len(frames), "bytes", n, "err", err}
	switch {
	case errors.Is(err, ErrBadSignature):
		k.stats.badSig.Add(1)
		k.log.Warn("refused message: bad or missing signature", attrs...)
	case errors.Is(err, ErrReplayed):
		k.stats.replayed.Add(1)
		k.log.Warn("refused message: replayed signature", attrs...)
	case errors.Is(err, ErrTooLarge):
		k.stats.tooLarge.Add(1)
		k.log.Warn("dropped message: too large", attrs...)
	default:
		k.stats.malformed.Add(1)
		k.log.Warn("dropped malformed message", attrs...)
	}
	k.answerRefused(ch, frames, err)
}

// answerRefused answers a request refused as malformed or too large with an error reply, when
// the message is signed and its header readable (a frontend would otherwise wait for ever).
// Messages with a bad or replayed signature are never answered.
func (k *Kernel) answerRefused(ch *channel, frames [][]byte, err error) {
	tooLarge := errors.Is(err, ErrTooLarge)
	if ch == k.stdin || (!tooLarge && !errors.Is(err, ErrMalformed)) {
		return
	}
	m := k.codec.salvage(frames, tooLarge)
	if m == nil || !strings.HasSuffix(m.Type(), "_request") {
		return
	}
	ename := "BadRequest"
	if tooLarge {
		ename = "MessageTooLarge"
	}
	content := errorContent(ename, err.Error(), nil)
	h := handler{fn: func(*Kernel, context.Context, *request) any { return content }}
	r := &request{ch: ch, msg: m}
	if ch == k.control {
		k.handle(k.runCtx, r, h)
		return
	}
	k.enqueueOrdered(r, h)
}

// newMessage builds a message from the kernel with parent as parent header.
func (k *Kernel) newMessage(msgType string, parent *Message, content any) (*Message, error) {
	m := &Message{Header: NewHeader(msgType, k.session, "kernel")}
	if parent != nil {
		m.ParentHeader = parent.Header
		m.Identities = parent.Identities
	}
	if err := m.SetContent(content); err != nil {
		return nil, err
	}
	return m, nil
}

// send encodes and sends m on ch.
func (k *Kernel) send(ch *channel, m *Message) error {
	frames, err := k.codec.Encode(m)
	if err != nil {
		return err
	}
	if err := ch.send(frames); err != nil {
		return fmt.Errorf("send %s on %s: %w", m.Header.MsgType, ch.name, err)
	}
	return nil
}

// reply sends a reply to req on the channel it came from.
func (k *Kernel) reply(ch *channel, req *Message, msgType string, content any, metadata map[string]any) {
	m, err := k.newMessage(msgType, req, content)
	if err == nil {
		m.Metadata = metadata
		err = k.send(ch, m)
	}
	if err != nil && k.sockCtx.Err() == nil {
		k.log.Error("reply failed", "msg_type", msgType, "err", err)
	}
}
