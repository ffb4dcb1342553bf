package reliability

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

// sampleRSS samples pid's resident memory every 25 ms until stop is called, which returns the
// peak.
func sampleRSS(pid int) (stop func() int64) {
	var peak atomic.Int64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := rssBytes(pid); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			case <-time.After(25 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(done)
		<-sampled
		return peak.Load()
	}
}

// streamCounter counts the stream bytes of a request's iopub without keeping them.
func streamCounter(n *atomic.Int64) *client.ExecuteOptions {
	return &client.ExecuteOptions{DiscardStreams: true, OnIOPub: func(m *kernel.Message) {
		if m.Type() != "stream" {
			return
		}
		var c struct{ Text string }
		if m.DecodeContent(&c) == nil {
			n.Add(int64(len(c.Text)))
		}
	}}
}

// TestStalledSubscriberDoesNotBlockIOPub subscribes a SUB socket to iopub that never reads (a
// suspended client; its receive buffer is 4 KiB) and runs 2 cells printing 24 MiB each from
// the normal client: every cell must finish with all its output delivered to the normal client,
// and the kernel's memory must stay bounded while the stalled subscriber's messages are
// dropped. When the stalled subscriber reads again it gets new output.
func TestStalledSubscriberDoesNotBlockIOPub(t *testing.T) {
	k := startKernel(t)
	k.execute(`import ("fmt"; "strings")`, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stalled := zmq4.NewSub(ctx)
	defer closeDialed()
	defer stalled.Close()
	if err := stalled.Dial(testEndpoint(t, "qtest-slow", k.ConnectionInfo().IOPubPort)); err != nil {
		t.Fatal(err)
	}
	if err := stalled.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		t.Fatal(err)
	}
	k.execute("1", time.Minute) // the subscription has reached the kernel by now

	pid := k.pid()
	rss0 := rssBytes(pid)
	stop := sampleRSS(pid)
	const cells, size = 2, 24 << 20 // more than the subscriber's high-water mark in all
	code := `fmt.Print(strings.Repeat(strings.Repeat("x", 1023)+"\n", 24<<10))`
	t0 := time.Now()
	var worst time.Duration
	for i := range cells {
		var got atomic.Int64
		c0 := time.Now()
		call, err := k.ExecuteAsync(code, streamCounter(&got))
		if err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(context.Background(), 30*time.Second)
		r, err := call.Wait(wctx)
		wcancel()
		if err != nil {
			t.Fatalf("cell %d of %d with a stalled iopub subscriber: %v (normal client got %d of %d bytes)", i+1, cells, err, got.Load(), size)
		}
		worst = max(worst, time.Since(c0))
		if r.Status() != "ok" || got.Load() != size {
			t.Fatalf("cell %d: status %q, normal client got %d of %d bytes", i+1, r.Status(), got.Load(), size)
		}
	}
	took := time.Since(t0)
	peak := stop()
	drops := k.waitLog("peer not reading: dropping messages", 1)
	t.Logf("stalled iopub subscriber: %d cells of %d MiB in %v (slowest %v), all output reached the normal client; kernel RSS %d MB before, peak %d MB; drop episodes logged: %d",
		cells, size>>20, took.Round(time.Millisecond), worst.Round(time.Millisecond), rss0>>20, peak>>20, drops)
	if drops < 1 {
		t.Error("no drop for the stalled subscriber logged")
	}
	// The stalled subscriber's queue holds at most kernel.DefaultSendHWMBytes; the rest is the
	// flood's own working memory (see TestFaultOutputFlood).
	if bound := rss0 + 3*kernel.DefaultSendHWMBytes + 100<<20; peak > bound {
		t.Errorf("kernel RSS grew from %d MB to %d MB (bound %d MB) with %d MiB published to a stalled subscriber",
			rss0>>20, peak>>20, bound>>20, cells*size>>20)
	}

	// The subscriber wakes up: it drains what was queued for it, then sees new output.
	marker := "woke up " + time.Now().Format(time.RFC3339Nano)
	woke := make(chan bool, 1)
	go func() {
		for {
			m, err := stalled.Recv()
			if err != nil {
				woke <- false
				return
			}
			for _, f := range m.Frames {
				if strings.Contains(string(f), marker) {
					woke <- true
					return
				}
			}
		}
	}()
	r := k.execute(`fmt.Println("`+marker+`")`, time.Minute)
	if r.Status() != "ok" {
		t.Fatalf("marker cell: %v", r.Content)
	}
	w0 := time.Now()
	select {
	case ok := <-woke:
		if !ok {
			t.Error("the woken subscriber's socket failed")
		}
		t.Logf("woken subscriber: drained its queue and saw new output in %v", time.Since(w0).Round(time.Millisecond))
	case <-time.After(30 * time.Second):
		t.Error("the woken subscriber did not see new output within 30 s")
	}
	k.alive("a stalled iopub subscriber")
}

// TestUnreadShellRepliesDoNotBlockOthers connects a DEALER to shell that sends 600 or more
// history_requests, each answered with a 200 KB reply, and never reads the replies (its receive
// buffer is 4 KiB): kernel_info and cells of the normal client must still be answered promptly,
// and the kernel must log that it drops replies for the peer that does not read once 40 MiB
// are queued for it.
func TestUnreadShellRepliesDoNotBlockOthers(t *testing.T) {
	k := startKernel(t)
	big := "// " + strings.Repeat("x", 200<<10)
	if r := k.execute(big, time.Minute); r.Status() != "ok" {
		t.Fatalf("200 KB cell: %v", r.Content)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deaf := zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("deaf-client")))
	defer closeDialed()
	defer deaf.Close()
	if err := deaf.Dial(testEndpoint(t, "qtest-slow", k.ConnectionInfo().ShellPort)); err != nil {
		t.Fatal(err)
	}
	// At least 600 requests (120 MB of replies: more than the peer's high-water mark), more
	// until the kernel logs the drop (on a loaded machine some requests are refused as
	// KernelBusy, with a small reply), at most 3,000.
	const dropLog = "peer not reading: dropping messages"
	n := 0
	sent := make(chan error, 1)
	go func() {
		for n < 3000 && (n < 600 || n%50 != 0 || k.logCount(dropLog) == 0) {
			m := k.NewMessage("history_request", kernel.HistoryQuery{HistAccessType: "tail", N: 1})
			if err := deaf.SendMulti(zmq4.NewMsgFrom(signedFrames(k.Client, m)...)); err != nil {
				sent <- err
				return
			}
			n++
			time.Sleep(time.Millisecond) // within the kernel's limit of concurrent requests
		}
		sent <- nil
	}()

	// Probe the normal client's shell replies while the requests go in, and after.
	var infos []time.Duration
	probe := func(what string) {
		req := k.NewMessage("kernel_info_request", map[string]any{})
		p0 := time.Now()
		if err := k.Send(client.Shell, req); err != nil {
			t.Fatal(err)
		}
		if m := awaitReply(k.Client, client.Shell, req.Header.MsgID, 5*time.Second); m == nil || m.ContentMap()["status"] != "ok" {
			t.Fatalf("kernel_info %s: no reply within 5 s", what)
		}
		infos = append(infos, time.Since(p0))
	}
	t0 := time.Now()
	for done := false; !done; {
		select {
		case err := <-sent:
			if err != nil {
				t.Fatalf("sending the unread requests: %v", err)
			}
			done = true
		case <-time.After(100 * time.Millisecond):
			probe("while a peer sends requests and reads no reply")
		}
		if time.Since(t0) > time.Minute {
			t.Fatal("the requests were not sent within a minute")
		}
	}
	drops := k.waitLog(dropLog, 1)
	for range 5 {
		probe("after a peer stopped reading its replies")
	}
	r := k.execute("6 * 7", time.Minute)
	if r.Status() != "ok" || !strings.Contains(resultText(r), "42") {
		t.Fatalf("cell after a peer stopped reading its replies: %v", r.Content)
	}
	t.Logf("peer sending %d history requests (200 KB replies) without reading: sent in %v; normal client's kernel_info: %d probes, median %v, max %v; drop episodes logged: %d",
		n, time.Since(t0).Round(time.Millisecond), len(infos), median(infos).Round(time.Microsecond), maxDur(infos), drops)
	if drops < 1 {
		t.Error("no drop for the peer that does not read logged")
	}
	k.alive("a peer that never reads its shell replies")
}
