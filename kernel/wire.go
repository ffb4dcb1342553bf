package kernel

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"sync"
	"time"

	"github.com/google/uuid"
)

// ProtocolVersion is the Jupyter messaging protocol version quire speaks.
const ProtocolVersion = "5.3"

// Delimiter separates the routing identities from the message proper.
var Delimiter = []byte("<IDS|MSG>")

// Errors returned by Codec.Decode. They are wrapped with detail; test with errors.Is.
var (
	ErrMalformed    = errors.New("malformed message")
	ErrTooLarge     = errors.New("message too large")
	ErrBadSignature = errors.New("bad or missing signature")
	ErrReplayed     = errors.New("replayed signature")
)

// Header is a message header (and, for replies and iopub messages, the parent header).
type Header struct {
	MsgID    string `json:"msg_id"`
	Session  string `json:"session"`
	Username string `json:"username"`
	Date     string `json:"date"`
	MsgType  string `json:"msg_type"`
	Version  string `json:"version"`
}

// NewHeader returns a header with a fresh msg_id, the current time and protocol version 5.3.
func NewHeader(msgType, session, username string) Header {
	return Header{
		MsgID:    uuid.NewString(),
		Session:  session,
		Username: username,
		Date:     time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
		MsgType:  msgType,
		Version:  ProtocolVersion,
	}
}

// Message is one Jupyter message as it travels on the wire.
//
// Content is kept as raw JSON: handlers decode it into the struct they need. ParentHeader is the
// zero Header when the message has no parent (it is then encoded as {}).
type Message struct {
	Identities   [][]byte
	Header       Header
	ParentHeader Header
	Metadata     map[string]any
	Content      json.RawMessage
	Buffers      [][]byte
}

// Type returns the message's msg_type.
func (m *Message) Type() string { return m.Header.MsgType }

// DecodeContent unmarshals the content into v.
func (m *Message) DecodeContent(v any) error {
	if len(m.Content) == 0 {
		return json.Unmarshal([]byte("{}"), v)
	}
	return json.Unmarshal(m.Content, v)
}

// ContentMap returns the content as a generic map (nil when it is not an object).
func (m *Message) ContentMap() map[string]any {
	var v map[string]any
	_ = m.DecodeContent(&v)
	return v
}

// SetContent marshals v as the message content.
func (m *Message) SetContent(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s content: %w", m.Header.MsgType, err)
	}
	m.Content = b
	return nil
}

// Codec encodes and decodes wire messages and signs and verifies them with HMAC-SHA256.
//
// An empty key disables signing (signature frames are empty and not checked). A Codec with a
// replay window remembers the signatures of the last N accepted messages and refuses a
// message whose signature it has already seen. A Codec is safe for concurrent use.
type Codec struct {
	key      []byte
	maxBytes int
	pool     sync.Pool

	mu     sync.Mutex
	seen   map[[sha256.Size]byte]struct{}
	ring   [][sha256.Size]byte
	next   int
	window int
}

// NewCodec returns a codec signing with key. maxBytes caps the total size of an incoming
// message (0 = no cap); replayWindow is how many recent signatures Decode remembers to refuse
// replays (0 = no replay check).
func NewCodec(key []byte, maxBytes, replayWindow int) *Codec {
	c := &Codec{key: append([]byte(nil), key...), maxBytes: maxBytes, window: replayWindow}
	c.pool.New = func() any { return hmac.New(sha256.New, c.key) }
	if replayWindow > 0 {
		c.seen = make(map[[sha256.Size]byte]struct{}, replayWindow)
		c.ring = make([][sha256.Size]byte, 0, replayWindow)
	}
	return c
}

// Signed reports whether the codec signs messages.
func (c *Codec) Signed() bool { return len(c.key) > 0 }

func (c *Codec) mac(parts ...[]byte) [sha256.Size]byte {
	h := c.pool.Get().(hash.Hash)
	h.Reset()
	for _, p := range parts {
		h.Write(p)
	}
	var out [sha256.Size]byte
	h.Sum(out[:0])
	c.pool.Put(h)
	return out
}

// Sign returns the hex signature of the four JSON frames (header, parent, metadata, content),
// or nil when the codec has no key.
func (c *Codec) Sign(header, parent, metadata, content []byte) []byte {
	if !c.Signed() {
		return nil
	}
	sum := c.mac(header, parent, metadata, content)
	dst := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(dst, sum[:])
	return dst
}

var emptyObject = []byte("{}")

// Encode returns the wire frames of m: identities, delimiter, signature, header, parent header,
// metadata, content, buffers.
func (c *Codec) Encode(m *Message) ([][]byte, error) {
	header, err := json.Marshal(&m.Header)
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	parent := emptyObject
	if m.ParentHeader != (Header{}) {
		if parent, err = json.Marshal(&m.ParentHeader); err != nil {
			return nil, fmt.Errorf("encode parent header: %w", err)
		}
	}
	metadata := emptyObject
	if len(m.Metadata) > 0 {
		if metadata, err = json.Marshal(m.Metadata); err != nil {
			return nil, fmt.Errorf("encode metadata: %w", err)
		}
	}
	content := []byte(m.Content)
	if len(content) == 0 {
		content = emptyObject
	}
	frames := make([][]byte, 0, len(m.Identities)+6+len(m.Buffers))
	frames = append(frames, m.Identities...)
	frames = append(frames, Delimiter, c.Sign(header, parent, metadata, content), header, parent, metadata, content)
	frames = append(frames, m.Buffers...)
	return frames, nil
}

// Decode parses wire frames into a message. It checks the size cap, the frame layout, the
// signature (in constant time) and, with a replay window, that the signature is new; then it
// parses the JSON frames. Errors wrap ErrTooLarge, ErrMalformed, ErrBadSignature or
// ErrReplayed. Decode never panics on any input.
func (c *Codec) Decode(frames [][]byte) (*Message, error) {
	if c.maxBytes > 0 {
		n := 0
		for _, f := range frames {
			n += len(f)
		}
		if n > c.maxBytes {
			return nil, fmt.Errorf("%w: %d bytes > cap %d", ErrTooLarge, n, c.maxBytes)
		}
	}
	delim := -1
	for i, f := range frames {
		if bytes.Equal(f, Delimiter) {
			delim = i
			break
		}
	}
	if delim < 0 {
		return nil, fmt.Errorf("%w: no <IDS|MSG> delimiter in %d frames", ErrMalformed, len(frames))
	}
	if len(frames) < delim+6 {
		return nil, fmt.Errorf("%w: %d frames after the delimiter, need at least 5", ErrMalformed, len(frames)-delim-1)
	}
	sig, header, parent, metadata, content := frames[delim+1], frames[delim+2], frames[delim+3], frames[delim+4], frames[delim+5]
	if c.Signed() {
		var got [sha256.Size]byte
		if len(sig) != hex.EncodedLen(sha256.Size) {
			return nil, fmt.Errorf("%w: signature has %d bytes", ErrBadSignature, len(sig))
		}
		if _, err := hex.Decode(got[:], sig); err != nil {
			return nil, fmt.Errorf("%w: signature is not hex", ErrBadSignature)
		}
		want := c.mac(header, parent, metadata, content)
		if !hmac.Equal(got[:], want[:]) {
			return nil, fmt.Errorf("%w: HMAC mismatch", ErrBadSignature)
		}
		if c.window > 0 && !c.remember(got) {
			return nil, ErrReplayed
		}
	}
	m := &Message{}
	if err := json.Unmarshal(header, &m.Header); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if m.Header.MsgType == "" {
		return nil, fmt.Errorf("%w: header has no msg_type", ErrMalformed)
	}
	if err := json.Unmarshal(parent, &m.ParentHeader); err != nil {
		return nil, fmt.Errorf("%w: parent_header: %v", ErrMalformed, err)
	}
	if err := json.Unmarshal(metadata, &m.Metadata); err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", ErrMalformed, err)
	}
	if !isJSONObject(content) {
		return nil, fmt.Errorf("%w: content is not a JSON object", ErrMalformed)
	}
	m.Content = json.RawMessage(append([]byte(nil), content...))
	if delim > 0 {
		m.Identities = frames[:delim:delim]
	}
	if rest := frames[delim+6:]; len(rest) > 0 {
		m.Buffers = rest
	}
	return m, nil
}

// salvage returns the identities and header of a message that Decode refused as malformed or
// too large, when its layout is intact, its signature valid and its header readable, so that
// the request can be answered with an error reply. It returns nil otherwise. remember makes it
// record the signature against replays (Decode refuses an oversized message before checking
// its signature; it has already recorded the signature of a message with bad JSON frames).
func (c *Codec) salvage(frames [][]byte, remember bool) *Message {
	delim := -1
	for i, f := range frames {
		if bytes.Equal(f, Delimiter) {
			delim = i
			break
		}
	}
	if delim < 0 || len(frames) < delim+6 {
		return nil
	}
	sig, header, parent, metadata, content := frames[delim+1], frames[delim+2], frames[delim+3], frames[delim+4], frames[delim+5]
	if c.Signed() {
		var got [sha256.Size]byte
		if len(sig) != hex.EncodedLen(sha256.Size) {
			return nil
		}
		if _, err := hex.Decode(got[:], sig); err != nil {
			return nil
		}
		want := c.mac(header, parent, metadata, content)
		if !hmac.Equal(got[:], want[:]) {
			return nil
		}
		if remember && c.window > 0 && !c.remember(got) {
			return nil
		}
	}
	m := &Message{}
	if err := json.Unmarshal(header, &m.Header); err != nil || m.Header.MsgType == "" || m.Header.MsgID == "" {
		return nil
	}
	if delim > 0 {
		m.Identities = frames[:delim:delim]
	}
	return m
}

// remember records a signature; it reports false when the signature was already seen.
func (c *Codec) remember(sig [sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.seen[sig]; dup {
		return false
	}
	if len(c.ring) < c.window {
		c.ring = append(c.ring, sig)
	} else {
		delete(c.seen, c.ring[c.next])
		c.ring[c.next] = sig
		c.next = (c.next + 1) % c.window
	}
	c.seen[sig] = struct{}{}
	return true
}

func isJSONObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}
