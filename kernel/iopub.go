package kernel

import (
	"strings"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// publisher sends every iopub message, in order, through one mutex. It coalesces stream text:
// consecutive Stream calls for the same request and stream name are joined into one message,
// sent when the flush interval has passed, when the batch reaches its size cap, before any other
// iopub message, or on flush.
//
// Until the first client subscribes (at most Config.FirstSubscriberWait after the kernel is
// made), replies' iopub messages are held, not sent: a PUB socket drops what it publishes before
// a subscription arrives, and a client that sends its first request without waiting for iopub
// (jupyter console does) would otherwise never see that request's status "idle".
type publisher struct {
	k    *Kernel
	sock zmq4.Socket

	mu     sync.Mutex
	closed bool

	// pending stream batch
	parent   *Message
	name     string
	buf      strings.Builder
	timer    *time.Timer
	interval time.Duration
	maxBatch int

	holding  bool       // no subscriber yet: hold messages that answer a request
	held     []zmq4.Msg // in order
	heldSize int
}

// maxHeld bounds what is held for the first subscriber.
const maxHeld = 16 << 20

// topicLister is the part of zmq4's PUB socket that tells whether anyone has subscribed.
type topicLister interface{ Topics() []string }

func newPublisher(k *Kernel, sock zmq4.Socket) *publisher {
	p := &publisher{k: k, sock: sock, interval: k.cfg.StreamFlushInterval, maxBatch: k.cfg.StreamBatchBytes}
	p.timer = time.AfterFunc(time.Hour, p.flush)
	p.timer.Stop()
	if tl, ok := sock.(topicLister); ok && k.cfg.FirstSubscriberWait > 0 {
		p.holding = true
		go p.awaitFirstSubscriber(tl, k.cfg.FirstSubscriberWait)
	}
	return p
}

// awaitFirstSubscriber sends the held messages once a client has subscribed, and stops holding
// after wait whether or not one has.
func (p *publisher) awaitFirstSubscriber(tl topicLister, wait time.Duration) {
	deadline := time.Now().Add(wait)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		subscribed := len(tl.Topics()) > 0
		if subscribed || time.Now().After(deadline) || p.k.sockCtx.Err() != nil {
			p.mu.Lock()
			if subscribed && !p.closed {
				for _, m := range p.held {
					if err := p.sock.SendMulti(m); err != nil && p.k.sockCtx.Err() == nil {
						p.k.log.Error("iopub: send failed", "err", err)
					}
				}
			} else if len(p.held) > 0 {
				p.k.log.Warn("iopub: no client subscribed in time; messages dropped", "messages", len(p.held), "waited", wait)
			}
			p.held, p.heldSize, p.holding = nil, 0, false
			p.mu.Unlock()
			return
		}
		select {
		case <-tick.C:
		case <-p.k.sockCtx.Done():
		}
	}
}

// topic returns the PUB topic frame, as ipykernel names them.
func (p *publisher) topic(msgType string) []byte {
	return []byte("kernel." + p.k.session + "." + msgType)
}

// publish sends one iopub message with parent as parent header (nil: none).
func (p *publisher) publish(parent *Message, msgType string, content any, metadata map[string]any, buffers [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked()
	p.sendLocked(parent, msgType, content, metadata, buffers)
}

func (p *publisher) status(state string, parent *Message) {
	p.publish(parent, "status", map[string]any{"execution_state": state}, nil, nil)
}

func (p *publisher) sendLocked(parent *Message, msgType string, content any, metadata map[string]any, buffers [][]byte) {
	if p.closed {
		return
	}
	m := &Message{Header: NewHeader(msgType, p.k.session, "kernel"), Metadata: metadata, Buffers: buffers}
	if parent != nil {
		m.ParentHeader = parent.Header
	}
	if err := m.SetContent(content); err != nil {
		p.k.log.Error("iopub: encode failed", "msg_type", msgType, "err", err)
		return
	}
	m.Identities = [][]byte{p.topic(msgType)}
	frames, err := p.k.codec.Encode(m)
	if err != nil {
		p.k.log.Error("iopub: encode failed", "msg_type", msgType, "err", err)
		return
	}
	msg := zmq4.NewMsgFrom(frames...)
	if p.holding && parent != nil {
		size := 0
		for _, f := range frames {
			size += len(f)
		}
		if p.heldSize+size <= maxHeld {
			p.held = append(p.held, msg)
			p.heldSize += size
			return
		}
	}
	// PUB Send only queues (zmq4's PUB writer has its own goroutine), so holding the lock is
	// cheap; SendMulti writes all frames with one writev.
	if err := p.sock.SendMulti(msg); err != nil && p.k.sockCtx.Err() == nil {
		p.k.log.Error("iopub: send failed", "msg_type", msgType, "err", err)
	}
}

// stream adds text to the batch of (parent, name), flushing a batch of another request or
// stream first.
func (p *publisher) stream(parent *Message, name, text string) {
	if text == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.buf.Len() > 0 && (p.parent != parent || p.name != name) {
		p.flushLocked()
	}
	if p.buf.Len() == 0 {
		p.parent, p.name = parent, name
		p.timer.Reset(p.interval)
	}
	p.buf.WriteString(text)
	if p.buf.Len() >= p.maxBatch {
		p.flushLocked()
	}
}

// flush sends the pending stream batch, if any.
func (p *publisher) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked()
}

func (p *publisher) flushLocked() {
	if p.buf.Len() == 0 {
		return
	}
	text := p.buf.String()
	p.buf = strings.Builder{}
	parent, name := p.parent, p.name
	p.parent = nil
	p.timer.Stop()
	p.sendLocked(parent, "stream", map[string]any{"name": name, "text": text}, nil, nil)
}

func (p *publisher) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushLocked()
	p.closed = true
	p.timer.Stop()
}
