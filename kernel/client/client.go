// Package client is a Go Jupyter client for quire's kernel (or any kernel speaking messaging
// protocol 5.3): it is used by tests, `quire run` and benchmarks.
//
// A Client owns one DEALER socket per request channel (shell, control, stdin, all with the same
// ZeroMQ identity, so the kernel can route input_request to the frontend that sent the
// execute_request), a SUB socket on iopub and a DEALER on the heartbeat. One goroutine per socket
// reads messages and routes them: replies to the waiting call by parent msg_id, iopub messages
// to the call whose request is their parent, input_request to the Execute that asked for it.
// Messages nobody waits for are kept (up to a bound) for Recv, for protocol tests.
//
// A request is complete when both its reply and the iopub status "idle" with that request as
// parent have arrived; Reply.IOPub holds every iopub message of the request, in order.
package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/google/uuid"

	"github.com/quire-go/quire/kernel"
)

// Channel names a kernel channel.
type Channel string

// The kernel's channels.
const (
	Shell   Channel = "shell"
	Control Channel = "control"
	Stdin   Channel = "stdin"
	IOPub   Channel = "iopub"
	HB      Channel = "hb"
)

// ErrKernelDied is returned by calls waiting on a kernel process that exited.
var ErrKernelDied = errors.New("kernel process exited")

// Reply is the outcome of a request.
type Reply struct {
	// Msg is the *_reply message (nil for requests without a reply, such as comm_open).
	Msg *kernel.Message
	// Content is Msg's content.
	Content map[string]any
	// IOPub holds the iopub messages whose parent is the request, in order, up to and including
	// status idle.
	IOPub []*kernel.Message
}

// Status returns the reply's content status ("ok", "error", "aborted").
func (r *Reply) Status() string {
	s, _ := r.Content["status"].(string)
	return s
}

// ExecutionCount returns the reply's execution_count (0 when absent).
func (r *Reply) ExecutionCount() int {
	f, _ := r.Content["execution_count"].(float64)
	return int(f)
}

// Stream returns the concatenated text of the request's stream messages named name
// ("stdout" or "stderr").
func (r *Reply) Stream(name string) string {
	var b strings.Builder
	for _, m := range r.IOPub {
		if m.Type() != "stream" {
			continue
		}
		c := m.ContentMap()
		if c["name"] == name {
			s, _ := c["text"].(string)
			b.WriteString(s)
		}
	}
	return b.String()
}

// Types returns the msg_types of the request's iopub messages, in order.
func (r *Reply) Types() []string {
	out := make([]string, len(r.IOPub))
	for i, m := range r.IOPub {
		out[i] = m.Type()
	}
	return out
}

// ExecuteOptions are the fields of an execute_request. The zero value is Jupyter's default
// (store_history on, stdin off) except for stop_on_error, which is off: a client that sends
// its next cell after this one's reply, and means to run it whatever this one did, must not
// have it aborted by the kernel's stop-on-error window.
type ExecuteOptions struct {
	Silent         bool
	NoStoreHistory bool
	// StopOnError asks the kernel to abort the execute requests queued behind this one, and
	// those arriving shortly after, if this one fails (Jupyter's stop_on_error, as notebook
	// frontends send it for "Run All").
	StopOnError     bool
	UserExpressions map[string]string
	// OnIOPub is called, on the client's iopub goroutine, for each iopub message of the request
	// as it arrives (live output). It must not block for long.
	OnIOPub func(*kernel.Message)
	// Input answers input_request; setting it sets allow_stdin. It runs on its own goroutine.
	Input func(prompt string, password bool) (string, error)
	// DiscardStreams leaves stream messages out of Reply.IOPub (OnIOPub still sees them), so a
	// cell printing a lot does not fill the client's memory.
	DiscardStreams bool
}

// call is a request in flight.
type call struct {
	id         string
	wantReply  bool
	noStreams  bool // keep no stream messages in iopub
	onIOPub    func(*kernel.Message)
	input      func(prompt string, password bool) (string, error)
	mu         sync.Mutex
	reply      *kernel.Message
	iopub      []*kernel.Message
	idle       bool
	done       chan struct{}
	closedDone bool
}

func (c *call) complete() {
	if !c.closedDone && c.idle && (c.reply != nil || !c.wantReply) {
		c.closedDone = true
		close(c.done)
	}
}

// Call is a request whose reply has not been waited for yet (see ExecuteAsync).
type Call struct {
	c  *Client
	cl *call
	// MsgID is the request's msg_id.
	MsgID string
}

// Done is closed when the reply and the status idle have arrived.
func (p *Call) Done() <-chan struct{} { return p.cl.done }

// Wait waits for the request's reply and its status idle.
func (p *Call) Wait(ctx context.Context) (*Reply, error) {
	defer p.c.forget(p.cl.id)
	select {
	case <-p.cl.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for reply to %s: %w", p.MsgID, ctx.Err())
	case <-p.c.dead:
		return nil, ErrKernelDied
	}
	p.cl.mu.Lock()
	defer p.cl.mu.Unlock()
	r := &Reply{Msg: p.cl.reply, IOPub: p.cl.iopub}
	if r.Msg != nil {
		r.Content = r.Msg.ContentMap()
	}
	return r, nil
}

// Client talks to one kernel.
type Client struct {
	info    kernel.ConnectionInfo
	codec   *kernel.Codec
	session string

	ctx    context.Context
	cancel context.CancelFunc
	socks  map[Channel]zmq4.Socket
	sendMu map[Channel]*sync.Mutex

	mu        sync.Mutex
	calls     map[string]*call
	unmatched map[Channel]chan *kernel.Message
	hbReplies chan []byte

	cmd      *exec.Cmd
	tmpDir   string
	dead     chan struct{}
	closeErr sync.Once
}

// Connect connects to the kernel described by info and waits (until ctx ends) for it to answer
// kernel_info_request with its iopub status reaching this client's subscription.
func Connect(ctx context.Context, info kernel.ConnectionInfo) (*Client, error) {
	return connect(ctx, info, make(chan struct{}))
}

func connect(ctx context.Context, info kernel.ConnectionInfo, dead chan struct{}) (*Client, error) {
	if err := info.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		info:      info,
		codec:     kernel.NewCodec([]byte(info.Key), 0, 0),
		session:   uuid.NewString(),
		socks:     make(map[Channel]zmq4.Socket),
		sendMu:    make(map[Channel]*sync.Mutex),
		calls:     make(map[string]*call),
		unmatched: make(map[Channel]chan *kernel.Message),
		hbReplies: make(chan []byte, 16),
		dead:      dead,
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	id := zmq4.WithID(zmq4.SocketIdentity(c.session))
	opts := []zmq4.Option{zmq4.WithDialerRetry(50 * time.Millisecond), zmq4.WithDialerMaxRetries(100)}
	mk := map[Channel]zmq4.Socket{
		Shell:   zmq4.NewDealer(c.ctx, append(opts, id)...),
		Control: zmq4.NewDealer(c.ctx, append(opts, id)...),
		Stdin:   zmq4.NewDealer(c.ctx, append(opts, id)...),
		IOPub:   zmq4.NewSub(c.ctx, opts...),
		HB:      zmq4.NewDealer(c.ctx, opts...),
	}
	ports := map[Channel]int{Shell: info.ShellPort, Control: info.ControlPort, Stdin: info.StdinPort, IOPub: info.IOPubPort, HB: info.HBPort}
	for ch, s := range mk {
		c.socks[ch] = s
		c.sendMu[ch] = new(sync.Mutex)
		c.unmatched[ch] = make(chan *kernel.Message, 1024)
	}
	// zmq4's Dial ignores contexts and blocks in the ZMTP handshake if the peer never answers:
	// dial in a goroutine and give up when ctx ends.
	dialed := make(chan error, 1)
	go func() {
		for _, ch := range []Channel{Shell, Control, Stdin, IOPub, HB} {
			if err := c.socks[ch].Dial(info.Endpoint(ports[ch])); err != nil {
				dialed <- fmt.Errorf("client: connect %s: %w", ch, err)
				return
			}
		}
		dialed <- nil
	}()
	select {
	case err := <-dialed:
		if err != nil {
			c.Close()
			return nil, err
		}
	case <-ctx.Done():
		c.Close()
		return nil, fmt.Errorf("client: connect: %w", ctx.Err())
	case <-dead:
		c.Close()
		return nil, ErrKernelDied
	}
	if err := c.socks[IOPub].SetOption(zmq4.OptionSubscribe, ""); err != nil {
		c.Close()
		return nil, fmt.Errorf("client: subscribe iopub: %w", err)
	}
	for _, ch := range []Channel{Shell, Control, Stdin, IOPub} {
		go c.readLoop(ch)
	}
	go c.hbLoop()
	if err := c.waitReady(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// waitReady sends kernel_info_request until one is answered and its status idle arrives on
// iopub (a SUB socket misses what is published before its subscription reaches the PUB).
func (c *Client) waitReady(ctx context.Context) error {
	wait := 50 * time.Millisecond
	for {
		m := c.NewMessage("kernel_info_request", map[string]any{})
		p, err := c.start(Shell, m, true, nil, nil, false)
		if err != nil {
			return err
		}
		attempt, cancel := context.WithTimeout(ctx, wait)
		_, err = p.Wait(attempt)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("client: kernel not ready: %w", ctx.Err())
		}
		select {
		case <-c.dead:
			return ErrKernelDied
		default:
		}
		wait = min(2*wait, time.Second)
	}
}

// Start writes a connection file (tcp on 127.0.0.1, free ports, random key) in a temporary
// directory, starts the kernel process argv with every "{connection_file}" replaced by the
// file's path, and waits until it answers kernel_info_request. The process's stderr goes to
// os.Stderr. Close stops the process.
func Start(ctx context.Context, argv []string) (*Client, error) {
	if len(argv) == 0 {
		return nil, errors.New("client: empty kernel command")
	}
	dir, err := os.MkdirTemp("", "quire-client-")
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	info, err := kernel.NewConnectionInfo("tcp", "127.0.0.1")
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("client: %w", err)
	}
	path := filepath.Join(dir, "kernel.json")
	if err := kernel.WriteConnectionFile(path, info); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("client: %w", err)
	}
	args := make([]string, len(argv))
	for i, a := range argv {
		args[i] = strings.ReplaceAll(a, "{connection_file}", path)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("client: start kernel: %w", err)
	}
	dead := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(dead)
	}()
	c, err := connect(ctx, info, dead)
	if err != nil {
		cmd.Process.Kill()
		<-dead
		os.RemoveAll(dir)
		if errors.Is(err, ErrKernelDied) {
			return nil, fmt.Errorf("client: kernel exited during startup: %v", waitErr)
		}
		return nil, err
	}
	c.cmd, c.tmpDir = cmd, dir
	return c, nil
}

// ConnectionInfo returns the connection the client uses.
func (c *Client) ConnectionInfo() kernel.ConnectionInfo { return c.info }

// Session returns the client's session id (also its ZeroMQ identity).
func (c *Client) Session() string { return c.session }

// Codec returns the codec the client signs with (for protocol tests building raw frames).
func (c *Client) Codec() *kernel.Codec { return c.codec }

// Process returns the kernel process started by Start (nil for Connect).
func (c *Client) Process() *os.Process {
	if c.cmd == nil {
		return nil
	}
	return c.cmd.Process
}

// ProcessState returns the exit state of the kernel process once Done is closed (nil before,
// and for Connect).
func (c *Client) ProcessState() *os.ProcessState {
	if c.cmd == nil {
		return nil
	}
	select {
	case <-c.dead:
		return c.cmd.ProcessState
	default:
		return nil
	}
}

// Done is closed when the kernel process started by Start exits (never for Connect).
func (c *Client) Done() <-chan struct{} { return c.dead }

// Close closes the sockets; for a kernel started by Start it waits up to 3 s for the process
// to exit (after a Shutdown) and then kills it.
func (c *Client) Close() error {
	var err error
	c.closeErr.Do(func() {
		c.cancel()
		for _, s := range c.socks {
			s.Close()
		}
		if c.cmd != nil {
			select {
			case <-c.dead:
			case <-time.After(3 * time.Second):
				c.cmd.Process.Kill()
				<-c.dead
				err = errors.New("client: kernel did not exit; killed")
			}
			os.RemoveAll(c.tmpDir)
		}
	})
	return err
}

// NewMessage returns a message from this client's session with a fresh header.
func (c *Client) NewMessage(msgType string, content any) *kernel.Message {
	m := &kernel.Message{Header: kernel.NewHeader(msgType, c.session, "quire-client")}
	if err := m.SetContent(content); err != nil {
		m.Content = []byte("{}")
	}
	return m
}

// Send encodes, signs and sends m on ch without waiting for anything.
func (c *Client) Send(ch Channel, m *kernel.Message) error {
	frames, err := c.codec.Encode(m)
	if err != nil {
		return err
	}
	return c.SendFrames(ch, frames)
}

// SendFrames sends raw frames on ch (for protocol tests: bad signatures, missing frames).
func (c *Client) SendFrames(ch Channel, frames [][]byte) error {
	s, ok := c.socks[ch]
	if !ok || ch == IOPub {
		return fmt.Errorf("client: cannot send on %s", ch)
	}
	mu := c.sendMu[ch]
	mu.Lock()
	defer mu.Unlock()
	if err := s.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		return fmt.Errorf("client: send on %s: %w", ch, err)
	}
	return nil
}

// Recv returns the next message on ch that no call was waiting for.
func (c *Client) Recv(ctx context.Context, ch Channel) (*kernel.Message, error) {
	q, ok := c.unmatched[ch]
	if !ok {
		return nil, fmt.Errorf("client: no channel %s", ch)
	}
	select {
	case m := <-q:
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.dead:
		return nil, ErrKernelDied
	}
}

func (c *Client) start(ch Channel, m *kernel.Message, wantReply bool, onIOPub func(*kernel.Message), input func(string, bool) (string, error), noStreams bool) (*Call, error) {
	cl := &call{id: m.Header.MsgID, wantReply: wantReply, noStreams: noStreams, onIOPub: onIOPub, input: input, done: make(chan struct{})}
	c.mu.Lock()
	c.calls[cl.id] = cl
	c.mu.Unlock()
	if err := c.Send(ch, m); err != nil {
		c.forget(cl.id)
		return nil, err
	}
	return &Call{c: c, cl: cl, MsgID: cl.id}, nil
}

func (c *Client) forget(id string) {
	c.mu.Lock()
	delete(c.calls, id)
	c.mu.Unlock()
}

func (c *Client) lookup(id string) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[id]
}

// Request sends a request of msgType with content on ch and waits for its reply and status
// idle. With wantReply false (comm_open, comm_msg, comm_close) it waits for status idle only.
func (c *Client) Request(ctx context.Context, ch Channel, msgType string, content any, wantReply bool) (*Reply, error) {
	p, err := c.start(ch, c.NewMessage(msgType, content), wantReply, nil, nil, false)
	if err != nil {
		return nil, err
	}
	return p.Wait(ctx)
}

// RequestAsync sends a request like Request without waiting; onIOPub, when not nil, sees each
// iopub message of the request as it arrives (as ExecuteOptions.OnIOPub).
func (c *Client) RequestAsync(ch Channel, msgType string, content any, wantReply bool, onIOPub func(*kernel.Message)) (*Call, error) {
	return c.start(ch, c.NewMessage(msgType, content), wantReply, onIOPub, nil, false)
}

// KernelInfo sends kernel_info_request.
func (c *Client) KernelInfo(ctx context.Context) (*Reply, error) {
	return c.Request(ctx, Shell, "kernel_info_request", map[string]any{}, true)
}

func executeContent(code string, o *ExecuteOptions) map[string]any {
	ue := o.UserExpressions
	if ue == nil {
		ue = map[string]string{}
	}
	return map[string]any{
		"code":             code,
		"silent":           o.Silent,
		"store_history":    !o.NoStoreHistory,
		"user_expressions": ue,
		"allow_stdin":      o.Input != nil,
		"stop_on_error":    o.StopOnError,
	}
}

// ExecuteAsync sends execute_request and returns without waiting.
func (c *Client) ExecuteAsync(code string, opts *ExecuteOptions) (*Call, error) {
	if opts == nil {
		opts = &ExecuteOptions{}
	}
	m := c.NewMessage("execute_request", executeContent(code, opts))
	return c.start(Shell, m, true, opts.OnIOPub, opts.Input, opts.DiscardStreams)
}

// Execute runs code and returns the execute_reply and every iopub message of the request.
func (c *Client) Execute(ctx context.Context, code string, opts *ExecuteOptions) (*Reply, error) {
	p, err := c.ExecuteAsync(code, opts)
	if err != nil {
		return nil, err
	}
	return p.Wait(ctx)
}

// Complete sends complete_request.
func (c *Client) Complete(ctx context.Context, code string, cursor int) (*Reply, error) {
	return c.Request(ctx, Shell, "complete_request", map[string]any{"code": code, "cursor_pos": cursor}, true)
}

// Inspect sends inspect_request.
func (c *Client) Inspect(ctx context.Context, code string, cursor, detail int) (*Reply, error) {
	return c.Request(ctx, Shell, "inspect_request", map[string]any{"code": code, "cursor_pos": cursor, "detail_level": detail}, true)
}

// IsComplete sends is_complete_request.
func (c *Client) IsComplete(ctx context.Context, code string) (*Reply, error) {
	return c.Request(ctx, Shell, "is_complete_request", map[string]any{"code": code}, true)
}

// History sends history_request.
func (c *Client) History(ctx context.Context, q kernel.HistoryQuery) (*Reply, error) {
	return c.Request(ctx, Shell, "history_request", q, true)
}

// Interrupt sends interrupt_request on control.
func (c *Client) Interrupt(ctx context.Context) (*Reply, error) {
	return c.Request(ctx, Control, "interrupt_request", map[string]any{}, true)
}

// Shutdown sends shutdown_request on control and waits for the reply (not for status idle,
// which a kernel that exits may never get to publish).
func (c *Client) Shutdown(ctx context.Context, restart bool) (*Reply, error) {
	m := c.NewMessage("shutdown_request", map[string]any{"restart": restart})
	p, err := c.start(Control, m, true, nil, nil, false)
	if err != nil {
		return nil, err
	}
	defer c.forget(p.cl.id)
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		p.cl.mu.Lock()
		reply := p.cl.reply
		p.cl.mu.Unlock()
		if reply != nil {
			return &Reply{Msg: reply, Content: reply.ContentMap()}, nil
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.dead:
			return nil, ErrKernelDied
		}
	}
}

// Ping sends one heartbeat and waits for its echo.
func (c *Client) Ping(ctx context.Context) error {
	payload := []byte(uuid.NewString())
	if err := c.SendFrames(HB, [][]byte{payload}); err != nil {
		return err
	}
	for {
		select {
		case got := <-c.hbReplies:
			if string(got) == string(payload) {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("heartbeat: %w", ctx.Err())
		case <-c.dead:
			return ErrKernelDied
		}
	}
}

func (c *Client) hbLoop() {
	for {
		m, err := c.socks[HB].Recv()
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			continue
		}
		if len(m.Frames) == 0 {
			continue
		}
		select {
		case c.hbReplies <- m.Frames[len(m.Frames)-1]:
		default:
		}
	}
}

func (c *Client) readLoop(ch Channel) {
	s := c.socks[ch]
	for {
		zm, err := s.Recv()
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			// io.EOF: the kernel closed the connection (zmq4 reports it once per connection).
			continue
		}
		m, err := c.codec.Decode(zm.Frames)
		if err != nil {
			continue
		}
		c.route(ch, m)
	}
}

func (c *Client) route(ch Channel, m *kernel.Message) {
	cl := c.lookup(m.ParentHeader.MsgID)
	switch {
	case cl == nil:
	case ch == IOPub:
		if cl.onIOPub != nil {
			cl.onIOPub(m)
		}
		cl.mu.Lock()
		if !cl.noStreams || m.Type() != "stream" {
			cl.iopub = append(cl.iopub, m)
		}
		if m.Type() == "status" && m.ContentMap()["execution_state"] == "idle" {
			cl.idle = true
			cl.complete()
		}
		cl.mu.Unlock()
		return
	case ch == Stdin && m.Type() == "input_request" && cl.input != nil:
		go c.answerInput(cl, m)
		return
	case ch == Shell || ch == Control:
		cl.mu.Lock()
		cl.reply = m
		cl.complete()
		cl.mu.Unlock()
		return
	}
	select {
	case c.unmatched[ch] <- m:
	default: // drop when nobody reads
	}
}

func (c *Client) answerInput(cl *call, req *kernel.Message) {
	var content struct {
		Prompt   string `json:"prompt"`
		Password bool   `json:"password"`
	}
	_ = req.DecodeContent(&content)
	value, err := cl.input(content.Prompt, content.Password)
	reply := c.NewMessage("input_reply", map[string]any{"value": value})
	if err != nil {
		reply = c.NewMessage("input_reply", map[string]any{"status": "error", "value": ""})
	}
	reply.ParentHeader = req.Header
	_ = c.Send(Stdin, reply)
}
