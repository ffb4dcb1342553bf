package reliability

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

// listener is a listening TCP socket read from /proc/PID/net/tcp{,6}.
type listener struct {
	addr string // hex address as the kernel shows it, e.g. 0100007F
	port int
}

// listeners returns the TCP sockets in state LISTEN owned by pid (matched by socket inode).
func listeners(t *testing.T, pid int) []listener {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid)
	fds, err := os.ReadDir(dir + "/fd")
	if err != nil {
		t.Fatalf("listing the kernel's fds: %v", err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		l, err := os.Readlink(dir + "/fd/" + fd.Name())
		if err == nil && strings.HasPrefix(l, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	var out []listener
	for _, table := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(dir + "/net/" + table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] {
				continue
			}
			addr, port, _ := strings.Cut(f[1], ":")
			p, _ := strconv.ParseInt(port, 16, 32)
			out = append(out, listener{addr: addr, port: int(p)})
		}
	}
	return out
}

// TestSecurityLoopbackOnly checks that the kernel listens on exactly the five ports of its
// connection file, on 127.0.0.1 only, and that its worker listens on nothing.
func TestSecurityLoopbackOnly(t *testing.T) {
	k := startKernel(t)
	info := k.ConnectionInfo()
	want := map[int]bool{info.ShellPort: true, info.IOPubPort: true, info.StdinPort: true, info.ControlPort: true, info.HBPort: true}
	ls := listeners(t, k.pid())
	if len(ls) != 5 {
		t.Errorf("kernel has %d listening TCP sockets, want the 5 of its connection file: %+v", len(ls), ls)
	}
	for _, l := range ls {
		if l.addr != "0100007F" {
			t.Errorf("kernel listens on %s:%d, not 127.0.0.1", l.addr, l.port)
		}
		if !want[l.port] {
			t.Errorf("kernel listens on port %d, which is not in its connection file", l.port)
		}
	}
	k.execute("1", time.Minute) // make sure the worker is up
	ws := workers(k.pid())
	if len(ws) == 0 {
		t.Fatal("no worker process found under the kernel")
	}
	for _, w := range ws {
		if wl := listeners(t, w.pid); len(wl) != 0 {
			t.Errorf("worker %d listens on %+v", w.pid, wl)
		}
	}
	t.Logf("listening sockets: kernel %d (all 127.0.0.1, ports of the connection file), workers 0", len(ls))
}

// TestSecuritySignatures sends execute_requests whose cells would create a file, with a wrong,
// missing, malformed and replayed signature, and checks that each is refused, counted in the
// log and never executed; then checks that the key never appears in the debug log.
func TestSecuritySignatures(t *testing.T) {
	k := startKernel(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "executed")
	code := func(tag string) string {
		return "import \"os\"\nf, _ := os.OpenFile(" + strconv.Quote(marker) +
			", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)\nf.WriteString(" + strconv.Quote(tag+"\n") + ")\nf.Close()"
	}
	exec := func(tag string) *kernel.Message {
		return k.NewMessage("execute_request", map[string]any{"code": code(tag), "silent": false,
			"store_history": true, "user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true})
	}
	other := kernel.NewCodec([]byte("not-the-key"), 0, 0)

	var badSig int
	send := func(ch client.Channel, frames [][]byte) {
		t.Helper()
		if err := k.SendFrames(ch, frames); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	for _, ch := range []client.Channel{client.Shell, client.Control} {
		// Signed with another key.
		frames, _ := other.Encode(exec("wrong key"))
		send(ch, frames)
		badSig++
		// No signature.
		frames = signedFrames(k.Client, exec("missing"))
		frames[1] = nil
		send(ch, frames)
		badSig++
		// Right length, not hex.
		frames = signedFrames(k.Client, exec("not hex"))
		frames[1] = []byte(strings.Repeat("z", 64))
		send(ch, frames)
		badSig++
		// A valid signature of other content (the header was changed after signing).
		m := exec("tampered")
		frames = signedFrames(k.Client, m)
		m.Header.MsgID = "tampered"
		tampered := signedFrames(k.Client, m)
		tampered[1] = frames[1]
		send(ch, tampered)
		badSig++
	}
	// Truncated signature.
	frames := signedFrames(k.Client, exec("short"))
	frames[1] = frames[1][:32]
	send(client.Shell, frames)
	badSig++

	if got := k.waitLog("refused message: bad or missing signature", badSig); got != badSig {
		t.Errorf("log counts %d refused signatures, want %d", got, badSig)
	}

	// A valid request, then the same frames again (a replay), on shell and once more on control.
	valid := signedFrames(k.Client, exec("valid"))
	send(client.Shell, valid)
	deadline := time.Now().Add(time.Minute)
	for {
		if b, _ := os.ReadFile(marker); strings.Contains(string(b), "valid") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the validly signed request did not run")
		}
		time.Sleep(20 * time.Millisecond)
	}
	send(client.Shell, valid)
	send(client.Control, valid)
	replayed := 2
	if got := k.waitLog("refused message: replayed signature", replayed); got != replayed {
		t.Errorf("log counts %d replayed signatures, want %d", got, replayed)
	}
	k.alive("refused signatures")

	b, _ := os.ReadFile(marker)
	if string(b) != "valid\n" {
		t.Errorf("the marker file holds %q, want only the valid request's line: a refused message ran", b)
	}
	// The valid cell was execution 1 and alive's cell 2: nothing refused took a number.
	r := k.execute("1", time.Minute)
	if n := r.ExecutionCount(); n != 3 {
		t.Errorf("execution_count %d, want 3 (only the valid requests counted)", n)
	}

	key := k.ConnectionInfo().Key
	logText, _ := os.ReadFile(k.log)
	if len(logText) == 0 {
		t.Fatal("the debug log is empty")
	}
	for _, s := range []string{key, key[:16], key[len(key)-16:]} {
		if strings.Contains(string(logText), s) {
			t.Errorf("the kernel's log contains (part of) the key %q", s)
		}
	}
	if raw, err := hex.DecodeString(key); err == nil && strings.Contains(string(logText), string(raw)) {
		t.Error("the kernel's log contains the raw key bytes")
	}
	t.Logf("messages refused: %d bad or missing signatures, %d replays; executed: 0 of them; log lines (debug): %d, key occurrences: 0",
		badSig, replayed, strings.Count(string(logText), "\n"))
}

// TestSecurityFileModes checks that the connection file written for the kernel (by the client,
// and by `quire run`) and the history file are mode 0600.
func TestSecurityFileModes(t *testing.T) {
	k := startKernel(t)
	conn := connectionFile(t, k.pid())
	checkMode(t, "connection file (client.Start)", conn, 0o600)

	k.execute("x := 1\nx", time.Minute)
	hist := filepath.Join(k.dataDir, "quire", "history.jsonl")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(hist); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	checkMode(t, "history file", hist, 0o600)

	// quire run: a cell reports the mode of its kernel's connection file (the kernel is the
	// worker's parent; the connection file is the kernel's last argument).
	dir := t.TempDir()
	nb := filepath.Join(dir, "modes.ipynb")
	cell := `import ("fmt"; "os"; "strconv"; "strings")
cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(os.Getppid()) + "/cmdline")
args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
st, err := os.Stat(args[len(args)-1])
if err != nil { fmt.Println("stat:", err) } else { fmt.Printf("connection-file-mode=%o\n", st.Mode().Perm()) }`
	writeNotebook(t, nb, cell)
	cmd := exec.Command(quireBinary(t), "run", nb)
	cmd.Env = append(os.Environ(), "JUPYTER_DATA_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quire run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "connection-file-mode=600") {
		t.Errorf("quire run's connection file is not mode 0600:\n%s", out)
	}
	t.Logf("modes: connection file (client) 0600, history 0600, connection file (quire run) 0600")
}

func checkMode(t *testing.T, what, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s %s has mode %o, want %o", what, path, got, want)
	}
}

func writeNotebook(t *testing.T, path string, cells ...string) {
	t.Helper()
	var cs []map[string]any
	for _, c := range cells {
		cs = append(cs, map[string]any{"cell_type": "code", "metadata": map[string]any{}, "source": c,
			"outputs": []any{}, "execution_count": nil})
	}
	nb := map[string]any{"nbformat": 4, "nbformat_minor": 5, "cells": cs,
		"metadata": map[string]any{"kernelspec": map[string]any{"name": "quire", "display_name": "Go (quire)", "language": "go"}}}
	b, _ := json.Marshal(nb)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestSecurityBadConnectionFile runs `quire kernel FILE` with connection files it must refuse
// and checks the exit status and the message.
func TestSecurityBadConnectionFile(t *testing.T) {
	bin := quireBinary(t)
	good, err := kernel.NewConnectionInfo("tcp", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(edit func(m map[string]any)) string {
		b, _ := json.Marshal(good)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		edit(m)
		b, _ = json.Marshal(m)
		return string(b)
	}
	dir := t.TempDir()
	cases := []struct {
		name, content, want string
	}{
		{"scheme", mk(func(m map[string]any) { m["signature_scheme"] = "hmac-md5" }), `unsupported signature_scheme "hmac-md5"`},
		{"transport", mk(func(m map[string]any) { m["transport"] = "udp" }), `unsupported transport "udp"`},
		{"port", mk(func(m map[string]any) { m["shell_port"] = 70000 }), "shell_port 70000 out of range"},
		{"json", `{"transport": "tcp",`, ": parse: unexpected end of JSON input"},
		{"types", mk(func(m map[string]any) { m["shell_port"] = "5555" }), ": parse: json: cannot unmarshal string"},
		{"missing", "", "read connection file"},
	}
	refused := 0
	for _, c := range cases {
		path := filepath.Join(dir, c.name+".json")
		if c.name != "missing" {
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, bin, "kernel", path)
		out, err := cmd.CombinedOutput()
		cancel()
		ee, ok := err.(*exec.ExitError)
		switch {
		case err == nil:
			t.Errorf("%s: quire kernel accepted the file", c.name)
		case !ok:
			t.Errorf("%s: %v", c.name, err)
		case ee.ExitCode() != 1:
			t.Errorf("%s: exit status %d, want 1\n%s", c.name, ee.ExitCode(), out)
		case !strings.Contains(string(out), c.want):
			t.Errorf("%s: message %q lacks %q", c.name, out, c.want)
		default:
			refused++
			t.Logf("%-9s exit 1: %s", c.name, strings.TrimSpace(string(out)))
		}
	}
	t.Logf("connection files refused: %d of %d", refused, len(cases))
	if left := leftover(t, 5*time.Second); len(left) > 0 {
		t.Errorf("processes left: %v", left)
	}
}
