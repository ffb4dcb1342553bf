package reliability

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

// rawRequest builds the frames of a request from k's session with the given raw JSON frames
// (nil keeps the encoded one), signed with the right key.
func rawRequest(c *client.Client, msgType string, header, parent, metadata, content []byte) (msgID string, frames [][]byte) {
	m := c.NewMessage(msgType, map[string]any{})
	msgID = m.Header.MsgID
	if header == nil {
		header, _ = json.Marshal(m.Header)
	}
	if parent == nil {
		parent = []byte("{}")
	}
	if metadata == nil {
		metadata = []byte("{}")
	}
	if content == nil {
		content = []byte("{}")
	}
	sig := c.Codec().Sign(header, parent, metadata, content)
	return msgID, [][]byte{kernel.Delimiter, sig, header, parent, metadata, content}
}

// awaitReply reads unmatched messages of ch until one answers msgID; nil after timeout.
func awaitReply(c *client.Client, ch client.Channel, msgID string, timeout time.Duration) *kernel.Message {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		m, err := c.Recv(ctx, ch)
		if err != nil {
			return nil
		}
		if m.ParentHeader.MsgID == msgID {
			return m
		}
	}
}

// TestBadInput sends malformed, mistyped, unknown and oversized messages to the real kernel and
// checks that each is logged, answered with an error reply when a reply is due (the request is
// signed and its header readable), never crashes the kernel, and that the kernel still works.
func TestBadInput(t *testing.T) {
	k := startKernel(t)
	type tc struct {
		name    string
		ch      client.Channel
		msgID   string // "" when no reply can be due
		frames  [][]byte
		ename   string // wanted error name in the reply
		logLine string // wanted in the log
	}
	var cases []tc
	add := func(name string, ch client.Channel, msgType string, header, metadata, content []byte, ename, logLine string) {
		id, frames := rawRequest(k.Client, msgType, header, nil, metadata, content)
		if ename == "" {
			id = ""
		}
		cases = append(cases, tc{name, ch, id, frames, ename, logLine})
	}
	cases = append(cases,
		tc{name: "no delimiter", ch: client.Shell, frames: [][]byte{[]byte("garbage")}, logLine: "dropped malformed message"},
		tc{name: "empty message", ch: client.Control, frames: [][]byte{{}}, logLine: "dropped malformed message"},
	)
	_, short := rawRequest(k.Client, "execute_request", nil, nil, nil, nil)
	cases = append(cases, tc{name: "missing frames", ch: client.Shell, frames: short[:4], logLine: "dropped malformed message"})

	add("header not JSON", client.Shell, "execute_request", []byte(`{"msg_id": `), nil, nil, "", "dropped malformed message")
	add("header msg_type a number", client.Shell, "execute_request", []byte(`{"msg_id":"x","msg_type":5}`), nil, nil, "", "dropped malformed message")
	add("content not JSON", client.Shell, "execute_request", nil, nil, []byte(`{"code": "1+`), "BadRequest", "dropped malformed message")
	add("content an array", client.Shell, "execute_request", nil, nil, []byte(`[1, 2]`), "BadRequest", "dropped malformed message")
	add("metadata an array", client.Control, "kernel_info_request", nil, []byte(`[]`), nil, "BadRequest", "dropped malformed message")
	add("code a number", client.Shell, "execute_request", nil, nil, []byte(`{"code": 5}`), "BadRequest", "")
	add("silent a string", client.Shell, "execute_request", nil, nil, []byte(`{"code": "1", "silent": "yes"}`), "BadRequest", "")
	add("complete cursor a string", client.Shell, "complete_request", nil, nil, []byte(`{"code": "fmt.", "cursor_pos": "4"}`), "BadRequest", "")
	add("inspect code an object", client.Shell, "inspect_request", nil, nil, []byte(`{"code": {}, "cursor_pos": 1}`), "BadRequest", "")
	add("is_complete code a list", client.Shell, "is_complete_request", nil, nil, []byte(`{"code": []}`), "BadRequest", "")
	add("history n a string", client.Shell, "history_request", nil, nil, []byte(`{"hist_access_type": "tail", "n": "ten"}`), "BadRequest", "")
	add("shutdown restart a string", client.Control, "shutdown_request", nil, nil, []byte(`{"restart": "yes"}`), "BadRequest", "")
	add("unknown request", client.Shell, "frobnicate_request", nil, nil, nil, "UnknownMessageType", "unknown request")
	add("unknown request on control", client.Control, "frobnicate_request", nil, nil, nil, "UnknownMessageType", "unknown request")
	add("execute on control", client.Control, "execute_request", nil, nil, []byte(`{"code": "1"}`), "UnknownMessageType", "unknown request")
	add("unknown message", client.Shell, "frobnicate", nil, nil, nil, "", "ignored message")
	add("comm_open comm_id a number", client.Shell, "comm_open", nil, nil, []byte(`{"comm_id": 5, "target_name": 7}`), "", "")
	add("input_reply for nobody", client.Stdin, "input_reply", nil, nil, []byte(`{"value": "x"}`), "", "input_reply for no pending input_request")
	add("input_reply value a number", client.Stdin, "input_reply", nil, nil, []byte(`{"value": 5}`), "", "bad input_reply content")

	replies, noReply := 0, 0
	for _, c := range cases {
		if err := k.SendFrames(c.ch, c.frames); err != nil {
			t.Fatalf("%s: send: %v", c.name, err)
		}
		if c.msgID == "" {
			noReply++
			continue
		}
		ch := c.ch
		m := awaitReply(k.Client, ch, c.msgID, 10*time.Second)
		if m == nil {
			t.Errorf("%s: no reply", c.name)
			continue
		}
		content := m.ContentMap()
		if content["status"] != "error" || content["ename"] != c.ename {
			t.Errorf("%s: reply %s %v, want an error %s", c.name, m.Type(), content, c.ename)
			continue
		}
		replies++
		t.Logf("%-28s -> %s %s: %v", c.name, m.Type(), c.ename, content["evalue"])
	}
	want := map[string]int{}
	for _, c := range cases {
		if c.logLine != "" {
			want[c.logLine]++
		}
	}
	for line, n := range want {
		if got := k.waitLog(line, n); got < n {
			t.Errorf("log has %d lines %q, want %d", got, line, n)
		}
	}
	k.alive("malformed messages")

	// A message over the kernel's cap (64 MiB by default: cmd/quire does not expose the cap):
	// read, refused and answered.
	tooLarge := func() {
		code := strings.Repeat("/", kernel.DefaultMaxMessageBytes)
		content, _ := json.Marshal(map[string]any{"code": code})
		code = ""
		id, frames := rawRequest(k.Client, "execute_request", nil, nil, nil, content)
		if err := k.SendFrames(client.Shell, frames); err != nil {
			t.Fatalf("sending %d bytes: %v", len(content), err)
		}
		m := awaitReply(k.Client, client.Shell, id, 30*time.Second)
		if m == nil || m.ContentMap()["ename"] != "MessageTooLarge" {
			t.Errorf("message over the cap: reply %v, want a MessageTooLarge error", m)
		} else {
			replies++
			t.Logf("%-28s -> %s MessageTooLarge: %v", "64 MiB + 12 bytes", m.Type(), m.ContentMap()["evalue"])
		}
	}
	tooLarge()
	if got := k.waitLog("dropped message: too large", 1); got != 1 {
		t.Errorf("log has %d lines about the message over the cap, want 1", got)
	}

	// A peer announcing a 1 TiB frame on a raw connection: dropped before anything is allocated.
	if err := announceHuge(k.ConnectionInfo(), 1<<40); err != nil {
		t.Errorf("1 TiB frame: %v", err)
	}
	if got := k.waitLog("dropped connection", 1); got != 1 {
		t.Errorf("log has %d dropped connections, want 1", got)
	}
	k.alive("huge messages")
	t.Logf("bad messages sent: %d; answered with an error reply: %d (1 of them over the cap); no reply due: %d; connections dropped (1 TiB frame): 1; kernel alive: yes",
		len(cases)+2, replies, noReply)
}

// announceHuge opens a ZMTP connection to the shell port, completes the greeting and READY as
// a DEALER, then sends a frame header announcing size bytes, and expects the kernel to close
// the connection.
func announceHuge(info kernel.ConnectionInfo, size uint64) error {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(info.IP, strconv.Itoa(info.ShellPort)), 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	greeting := make([]byte, 64)
	greeting[0], greeting[9] = 0xff, 0x7f
	greeting[10], greeting[11] = 3, 0
	copy(greeting[12:], "NULL")
	body := []byte("\x05READY")
	prop := func(name, value string) {
		body = append(body, byte(len(name)))
		body = append(body, name...)
		body = binary.BigEndian.AppendUint32(body, uint32(len(value)))
		body = append(body, value...)
	}
	prop("Socket-Type", "DEALER")
	prop("Identity", "")
	ready := append([]byte{0x04, byte(len(body))}, body...)
	huge := []byte{0x02}
	huge = binary.BigEndian.AppendUint64(huge, size)
	out := append(append(append([]byte{}, greeting...), ready...), huge...)
	if _, err := conn.Write(out); err != nil {
		return err
	}
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("the kernel kept the connection open")
	}
	return nil
}
