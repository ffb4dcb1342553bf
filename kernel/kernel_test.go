package kernel_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type harness struct {
	k         *kernel.Kernel
	be        *fakeBackend
	c         *client.Client
	logs      *syncBuffer
	served    chan struct{} // closed when Serve returned
	serveErr  error
	cancel    context.CancelFunc
	closeOnce sync.Once
}

const testKey = "0123456789abcdef0123456789abcdef"

func testConn() kernel.ConnectionInfo {
	return kernel.ConnectionInfo{Transport: "tcp", IP: "127.0.0.1", Key: testKey, SignatureScheme: "hmac-sha256"}
}

// startKernel serves an in-process kernel with a fake backend and connects a client.
func startKernel(t testing.TB, modify func(*kernel.Config)) *harness {
	t.Helper()
	h := &harness{be: newFakeBackend(), logs: &syncBuffer{}, served: make(chan struct{})}
	cfg := kernel.Config{
		Conn:        testConn(),
		Backend:     h.be,
		Logger:      slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		HistoryPath: filepath.Join(t.TempDir(), "history.jsonl"),
	}
	if modify != nil {
		modify(&cfg)
	}
	k, err := kernel.New(cfg)
	if err != nil {
		t.Fatalf("kernel.New: %v", err)
	}
	h.k = k
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		h.serveErr = k.Serve(ctx)
		close(h.served)
	}()
	cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer ccancel()
	c, err := client.Connect(cctx, k.ConnectionInfo())
	if err != nil {
		cancel()
		t.Fatalf("client.Connect: %v\nlogs:\n%s", err, h.logs.String())
	}
	h.c = c
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	h.closeOnce.Do(func() {
		h.cancel()
		select {
		case <-h.served:
		case <-time.After(10 * time.Second):
		}
		h.c.Close()
	})
}

// waitServed waits for Serve to return and returns its error.
func (h *harness) waitServed(t testing.TB) error {
	t.Helper()
	select {
	case <-h.served:
		return h.serveErr
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
		return nil
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func statusOf(m *kernel.Message) string {
	s, _ := m.ContentMap()["execution_state"].(string)
	return s
}

func TestKernelInfo(t *testing.T) {
	h := startKernel(t, nil)
	r, err := h.c.KernelInfo(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Msg.Type() != "kernel_info_reply" {
		t.Fatalf("reply type %q", r.Msg.Type())
	}
	c := r.Content
	if c["status"] != "ok" || c["protocol_version"] != "5.3" || c["implementation"] != "fake" ||
		c["implementation_version"] != "0.1" || c["banner"] != "fake backend for tests" {
		t.Errorf("bad kernel_info_reply content: %v", c)
	}
	li, _ := c["language_info"].(map[string]any)
	if li["name"] != "fake" || li["mimetype"] != "text/x-fake" || li["file_extension"] != ".fake" {
		t.Errorf("bad language_info: %v", li)
	}
	links, _ := c["help_links"].([]any)
	if len(links) != 1 {
		t.Errorf("help_links: %v", c["help_links"])
	}
	if r.Msg.Header.Version != "5.3" || r.Msg.Header.Session != h.k.Session() {
		t.Errorf("reply header: %+v", r.Msg.Header)
	}
	if got := r.Types(); !slices.Equal(got, []string{"status", "status"}) || statusOf(r.IOPub[0]) != "busy" || statusOf(r.IOPub[1]) != "idle" {
		t.Errorf("iopub around kernel_info: %v", got)
	}
	// kernel_info is also served on control.
	r, err = h.c.Request(ctxT(t), client.Control, "kernel_info_request", map[string]any{}, true)
	if err != nil || r.Status() != "ok" {
		t.Fatalf("kernel_info on control: %v %v", err, r)
	}
}

func TestExecuteCountAndOrder(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	for i := 1; i <= 2; i++ {
		r, err := h.c.Execute(ctx, "print hi", nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status() != "ok" || r.ExecutionCount() != i {
			t.Fatalf("run %d: reply %v", i, r.Content)
		}
		want := []string{"status", "execute_input", "stream", "status"}
		if got := r.Types(); !slices.Equal(got, want) {
			t.Fatalf("iopub order %v, want %v", got, want)
		}
		if statusOf(r.IOPub[0]) != "busy" || statusOf(r.IOPub[3]) != "idle" {
			t.Fatalf("status order: %s %s", statusOf(r.IOPub[0]), statusOf(r.IOPub[3]))
		}
		in := r.IOPub[1].ContentMap()
		if in["code"] != "print hi" || in["execution_count"] != float64(i) {
			t.Errorf("execute_input %v", in)
		}
		if r.Stream("stdout") != "hi\n" {
			t.Errorf("stdout %q", r.Stream("stdout"))
		}
		for _, m := range r.IOPub {
			if m.ParentHeader.MsgID != r.Msg.ParentHeader.MsgID {
				t.Errorf("iopub %s has parent %s", m.Type(), m.ParentHeader.MsgID)
			}
		}
	}
	r, err := h.c.Execute(ctx, "value 42", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"status", "execute_input", "execute_result", "status"}
	if got := r.Types(); !slices.Equal(got, want) {
		t.Fatalf("iopub %v, want %v", got, want)
	}
	res := r.IOPub[2].ContentMap()
	if res["execution_count"] != float64(3) || res["data"].(map[string]any)["text/plain"] != "42" {
		t.Errorf("execute_result %v", res)
	}
	// store_history false: the counter does not move.
	r, err = h.c.Execute(ctx, "print x", &client.ExecuteOptions{NoStoreHistory: true})
	if err != nil || r.ExecutionCount() != 3 {
		t.Fatalf("store_history=false: %v %v", err, r.Content)
	}
}

func TestSilent(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	if _, err := h.c.Execute(ctx, "print a", nil); err != nil {
		t.Fatal(err)
	}
	r, err := h.c.Execute(ctx, "value 7", &client.ExecuteOptions{Silent: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != "ok" || r.ExecutionCount() != 1 {
		t.Errorf("silent reply %v", r.Content)
	}
	if got := r.Types(); !slices.Equal(got, []string{"status", "status"}) {
		t.Errorf("silent iopub %v, want only busy/idle", got)
	}
	r, err = h.c.Execute(ctx, "print b", nil)
	if err != nil || r.ExecutionCount() != 2 {
		t.Fatalf("after silent: %v %v", err, r.Content)
	}
	hist, err := h.c.History(ctx, kernel.HistoryQuery{HistAccessType: "tail", N: 10})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(hist.Content["history"].([]any)); n != 2 {
		t.Errorf("silent cell stored in history: %d entries", n)
	}
}

func TestStopOnErrorAbortsQueued(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	stop := &client.ExecuteOptions{StopOnError: true}
	first, err := h.c.ExecuteAsync("sleepfail 300ms", stop)
	if err != nil {
		t.Fatal(err)
	}
	var calls []*client.Call
	for _, code := range []string{"print a", "print b"} {
		p, err := h.c.ExecuteAsync(code, stop)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, p)
	}
	r, err := first.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != "error" || r.Content["ename"] != "TestError" {
		t.Fatalf("first reply %v", r.Content)
	}
	if got := r.Types(); !slices.Equal(got, []string{"status", "execute_input", "error", "status"}) {
		t.Errorf("error iopub %v", got)
	}
	for i, p := range calls {
		r, err := p.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status() != "aborted" {
			t.Errorf("queued request %d: status %q, want aborted", i, r.Status())
		}
		if got := r.Types(); !slices.Equal(got, []string{"status", "status"}) {
			t.Errorf("aborted iopub %v", got)
		}
	}
	if codes := h.be.Codes(); len(codes) != 1 {
		t.Errorf("backend ran %v; the queued cells must not run", codes)
	}
	// A request with stop_on_error false (the client's default) runs, even in the window.
	r, err = h.c.Execute(ctx, "print c", nil)
	if err != nil || r.Status() != "ok" || r.Stream("stdout") != "c\n" {
		t.Fatalf("after abort: %v %v", err, r)
	}
	// With stop_on_error false on the failing request, the queue keeps running (once the
	// window of the first error is over).
	time.Sleep(kernel.DefaultStopOnErrorTimeout) // the window is what is tested: let it pass
	first, _ = h.c.ExecuteAsync("sleepfail 200ms", nil)
	next, _ := h.c.ExecuteAsync("print d", stop)
	if r, err := first.Wait(ctx); err != nil || r.Status() != "error" {
		t.Fatalf("%v %v", err, r)
	}
	if r, err := next.Wait(ctx); err != nil || r.Status() != "ok" {
		t.Fatalf("stop_on_error=false: next %v %v", err, r)
	}
}

// TestStopOnErrorWindow sends what JupyterLab's Run All sends: every cell's execute_request
// with stop_on_error, one burst spread over about 15 ms, the first cell failing at once. The
// kernel answers the error before the burst has all arrived; the requests arriving within
// the stop-on-error window are aborted all the same, those with stop_on_error false run, and
// a request sent after the window runs. The window is a second here, not the default 0.2 s, so
// that a loaded machine's slow burst still falls in it (the browser test checks the default).
func TestStopOnErrorWindow(t *testing.T) {
	const window = time.Second
	h := startKernel(t, func(c *kernel.Config) { c.StopOnErrorTimeout = window })
	ctx := ctxT(t)
	stop := &client.ExecuteOptions{StopOnError: true}
	first, err := h.c.ExecuteAsync("fail", stop)
	if err != nil {
		t.Fatal(err)
	}
	var burst []*client.Call
	var keep *client.Call
	for i := range 8 {
		time.Sleep(2 * time.Millisecond) // the burst's spread, as the browser sends it: the workload
		opts := stop
		if i == 5 {
			opts = nil // stop_on_error false: never aborted
		}
		p, err := h.c.ExecuteAsync(fmt.Sprintf("print %d", i), opts)
		if err != nil {
			t.Fatal(err)
		}
		if opts == nil {
			keep = p
		} else {
			burst = append(burst, p)
		}
	}
	if r, err := first.Wait(ctx); err != nil || r.Status() != "error" {
		t.Fatalf("first: %v %v", err, r)
	}
	errorAt := time.Now()
	for i, p := range burst {
		r, err := p.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status() != "aborted" {
			t.Errorf("request %d of the burst: status %q, want aborted", i, r.Status())
		}
	}
	if r, err := keep.Wait(ctx); err != nil || r.Status() != "ok" || r.Stream("stdout") != "5\n" {
		t.Errorf("the request with stop_on_error false: %v %v", err, r)
	}
	if got := h.be.Codes(); !slices.Equal(got, []string{"fail", "print 5"}) {
		t.Errorf("backend ran %q, want only the failing cell and the one with stop_on_error false", got)
	}
	// After the window, a request with stop_on_error runs.
	time.Sleep(time.Until(errorAt.Add(window + 100*time.Millisecond))) // the window is what is tested
	if r, err := h.c.Execute(ctx, "print after", stop); err != nil || r.Status() != "ok" {
		t.Fatalf("after the window: %v %v", err, r)
	}
}

// TestStopOnErrorWindowSlides: a Run All whose requests trickle in, each within the window of
// the one before but all together over twice as long, is aborted whole (the browser may stall
// between sends on a loaded machine); a request after a quiet window runs.
func TestStopOnErrorWindowSlides(t *testing.T) {
	const window, gap = time.Second, 300 * time.Millisecond
	h := startKernel(t, func(c *kernel.Config) { c.StopOnErrorTimeout = window })
	ctx := ctxT(t)
	stop := &client.ExecuteOptions{StopOnError: true}
	if r, err := h.c.Execute(ctx, "fail", stop); err != nil || r.Status() != "error" {
		t.Fatalf("first: %v %v", err, r)
	}
	start := time.Now()
	var calls []*client.Call
	for i := range 8 {
		time.Sleep(gap) // the trickle, each request within the window of the one before: the workload
		p, err := h.c.ExecuteAsync(fmt.Sprintf("print %d", i), stop)
		if err != nil {
			t.Fatal(err)
		}
		calls = append(calls, p)
	}
	if d := time.Since(start); d < 2*window {
		t.Fatalf("the trickle took %v, less than two windows", d)
	}
	for i, p := range calls {
		if r, err := p.Wait(ctx); err != nil || r.Status() != "aborted" {
			t.Errorf("request %d of the trickle: %v %v, want aborted", i, err, r)
		}
	}
	time.Sleep(window + 100*time.Millisecond) // a quiet window: what is tested
	if r, err := h.c.Execute(ctx, "print after", stop); err != nil || r.Status() != "ok" {
		t.Fatalf("after a quiet window: %v %v", err, r)
	}
}

// TestStopOnErrorNoWindow: with the window off, only requests queued at the error are
// aborted; one sent after the error reply runs.
func TestStopOnErrorNoWindow(t *testing.T) {
	h := startKernel(t, func(c *kernel.Config) { c.StopOnErrorTimeout = -1 })
	ctx := ctxT(t)
	stop := &client.ExecuteOptions{StopOnError: true}
	first, _ := h.c.ExecuteAsync("sleepfail 200ms", stop)
	queued, _ := h.c.ExecuteAsync("print a", stop)
	if r, err := first.Wait(ctx); err != nil || r.Status() != "error" {
		t.Fatalf("first: %v %v", err, r)
	}
	if r, err := queued.Wait(ctx); err != nil || r.Status() != "aborted" {
		t.Fatalf("queued: %v %v", err, r)
	}
	if r, err := h.c.Execute(ctx, "print b", stop); err != nil || r.Status() != "ok" {
		t.Fatalf("sent after the error reply: %v %v", err, r)
	}
}

func TestManyLinesInOrder(t *testing.T) {
	h := startKernel(t, nil)
	const n = 100000
	var want strings.Builder
	for i := range n {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	start := time.Now()
	r, err := h.c.Execute(ctxT(t), fmt.Sprintf("lines %d", n), nil)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	got := r.Stream("stdout")
	if got != want.String() {
		t.Fatalf("stdout differs: got %d bytes, want %d", len(got), want.Len())
	}
	streams := 0
	for _, m := range r.IOPub {
		if m.Type() == "stream" {
			streams++
		}
	}
	if last := r.IOPub[len(r.IOPub)-1]; statusOf(last) != "idle" {
		t.Errorf("last iopub is %s", last.Type())
	}
	t.Logf("%d lines (%d bytes) in %d stream messages, %v", n, len(got), streams, elapsed)
	if streams > n/10 {
		t.Errorf("stream text not coalesced: %d messages for %d lines", streams, n)
	}
}

func TestHeartbeatWhileCPUBusy(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	p, err := h.c.ExecuteAsync("spin 1500ms", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.be.waitStarted(t, "spin 1500ms")
	for i := range 5 {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := h.c.Ping(pctx)
		cancel()
		if err != nil {
			t.Fatalf("ping %d while spinning: %v", i, err)
		}
		time.Sleep(100 * time.Millisecond) // spreads the pings over the spin: the workload
	}
	if r, err := p.Wait(ctx); err != nil || r.Status() != "ok" {
		t.Fatalf("spin: %v %v", err, r)
	}
}

func TestInterruptOnControlWhileRunning(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	p, err := h.c.ExecuteAsync("sleep 20s", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.be.waitStarted(t, "sleep 20s")
	start := time.Now()
	ir, err := h.c.Interrupt(ctx)
	if err != nil || ir.Status() != "ok" || ir.Msg.Type() != "interrupt_reply" {
		t.Fatalf("interrupt: %v %v", err, ir)
	}
	r, err := p.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != "error" || r.Content["ename"] != "KeyboardInterrupt" {
		t.Fatalf("interrupted cell reply %v", r.Content)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("interrupt took %v", d)
	}
}

func TestShutdownOnControlWhileRunning(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	if _, err := h.c.ExecuteAsync("sleep 20s", nil); err != nil {
		t.Fatal(err)
	}
	h.be.waitStarted(t, "sleep 20s")
	r, err := h.c.Shutdown(ctx, false)
	if err != nil || r.Status() != "ok" || r.Msg.Type() != "shutdown_reply" || r.Content["restart"] != false {
		t.Fatalf("shutdown: %v %v", err, r)
	}
	if err := h.waitServed(t); err != nil {
		t.Errorf("Serve returned %v", err)
	}
	if s := h.be.Shutdowns(); !slices.Equal(s, []bool{false}) {
		t.Errorf("backend Shutdown calls %v", s)
	}
}

func TestShutdownOnShell(t *testing.T) {
	h := startKernel(t, nil)
	r, err := h.c.Request(ctxT(t), client.Shell, "shutdown_request", map[string]any{"restart": false}, true)
	if err != nil || r.Status() != "ok" {
		t.Fatalf("shutdown on shell: %v %v", err, r)
	}
	if err := h.waitServed(t); err != nil {
		t.Errorf("Serve returned %v", err)
	}
}

func TestRestartInProcess(t *testing.T) {
	h := startKernel(t, func(c *kernel.Config) { c.RestartInProcess = true })
	ctx := ctxT(t)
	h.c.Execute(ctx, "print a", nil)
	r, err := h.c.Shutdown(ctx, true)
	if err != nil || r.Content["restart"] != true {
		t.Fatalf("restart: %v %v", err, r)
	}
	// The backend has restarted when the reply arrives: a cell sent right after it must not
	// reach the old backend (bench/RESULTS.md, gap 6).
	if s := h.be.Shutdowns(); !slices.Equal(s, []bool{true}) {
		t.Errorf("backend Shutdown calls when the reply arrived: %v", s)
	}
	// Still serving, with a fresh counter.
	er, err := h.c.Execute(ctx, "print b", nil)
	if err != nil || er.ExecutionCount() != 1 {
		t.Fatalf("after restart: %v %v", err, er)
	}
	if s := h.be.Shutdowns(); !slices.Equal(s, []bool{true}) {
		t.Errorf("backend Shutdown calls %v", s)
	}
}

func TestShellNotBlockedByRunningCell(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	p, err := h.c.ExecuteAsync("sleep 3s", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.be.waitStarted(t, "sleep 3s")
	start := time.Now()
	cr, err := h.c.Complete(ctx, "fmt.Pr", 6)
	if err != nil || cr.Status() != "ok" {
		t.Fatalf("complete: %v %v", err, cr)
	}
	if m := cr.Content["matches"].([]any); len(m) != 2 || cr.Content["cursor_end"] != float64(6) {
		t.Errorf("complete reply %v", cr.Content)
	}
	ir, err := h.c.Inspect(ctx, "fmt", 3, 0)
	if err != nil || ir.Content["found"] != true || ir.Content["data"].(map[string]any)["text/plain"] != "doc of fmt" {
		t.Fatalf("inspect: %v %v", err, ir)
	}
	ic, err := h.c.IsComplete(ctx, "func f() {")
	if err != nil || ic.Content["status"] != "incomplete" || ic.Content["indent"] != "\t" {
		t.Fatalf("is_complete: %v %v", err, ic)
	}
	if _, err := h.c.KernelInfo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.History(ctx, kernel.HistoryQuery{HistAccessType: "tail", N: 1}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("shell requests waited for the running cell: %v", d)
	}
	select {
	case <-p.Done():
		t.Error("cell finished before the shell requests were answered")
	default:
	}
	if _, err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	cr, err = h.c.Complete(ctx, "err", 3)
	if err != nil || cr.Status() != "error" || cr.Content["ename"] != "CompleteError" {
		t.Fatalf("complete error: %v %v", err, cr)
	}
}

// signedFrames encodes an execute_request with codec.
func signedFrames(t testing.TB, c *client.Client, codec *kernel.Codec, code string) [][]byte {
	t.Helper()
	m := c.NewMessage("execute_request", map[string]any{"code": code, "silent": false, "store_history": true,
		"user_expressions": map[string]any{}, "allow_stdin": false, "stop_on_error": true})
	frames, err := codec.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// sync waits until everything sent before it on shell has been handled: shell is in order up to
// dispatch, and execute requests run in order, so a trailing execute flushes the pipe.
func syncShell(t testing.TB, h *harness) {
	t.Helper()
	if _, err := h.c.Execute(ctxT(t), "print sync", &client.ExecuteOptions{NoStoreHistory: true}); err != nil {
		t.Fatal(err)
	}
}

func TestSignatureRefused(t *testing.T) {
	h := startKernel(t, nil)
	wrong := kernel.NewCodec([]byte("not-the-key"), 0, 0)
	if err := h.c.SendFrames(client.Shell, signedFrames(t, h.c, wrong, "print wrong-key")); err != nil {
		t.Fatal(err)
	}
	missing := signedFrames(t, h.c, h.c.Codec(), "print missing-sig")
	missing[1] = nil
	h.c.SendFrames(client.Shell, missing)
	garbage := signedFrames(t, h.c, h.c.Codec(), "print garbage-sig")
	garbage[1] = bytes.Repeat([]byte("zz"), 32)
	h.c.SendFrames(client.Shell, garbage)
	// A valid message, then the same frames again: the replay is refused.
	valid := signedFrames(t, h.c, h.c.Codec(), "print once")
	h.c.SendFrames(client.Shell, valid)
	h.c.SendFrames(client.Shell, valid)
	syncShell(t, h)

	codes := h.be.Codes()
	if !slices.Equal(codes, []string{"print once", "print sync"}) {
		t.Errorf("backend executed %q; only the valid message may run, once", codes)
	}
	s := h.k.Stats()
	if s.BadSignature != 3 || s.Replayed != 1 {
		t.Errorf("stats %+v: want 3 bad signatures, 1 replay", s)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "bad or missing signature") || !strings.Contains(logs, "replayed") {
		t.Errorf("refusals not logged:\n%s", logs)
	}
	if strings.Contains(logs, testKey) {
		t.Error("the key appears in the logs")
	}
}

func TestMalformedSurvived(t *testing.T) {
	h := startKernel(t, func(c *kernel.Config) { c.MaxMessageBytes = 64 << 10 })
	codec := h.c.Codec()
	send := func(frames ...[]byte) {
		if err := h.c.SendFrames(client.Shell, frames); err != nil {
			t.Fatal(err)
		}
	}
	// No delimiter.
	send([]byte("hello"), []byte("world"))
	// Delimiter but missing frames.
	send(kernel.Delimiter, []byte("sig"), []byte("{}"))
	// Signed, bad JSON header.
	hdr, parent, meta, content := []byte("{not json"), []byte("{}"), []byte("{}"), []byte("{}")
	send(kernel.Delimiter, codec.Sign(hdr, parent, meta, content), hdr, parent, meta, content)
	// Signed, content not an object.
	hdr = []byte(`{"msg_id":"x1","msg_type":"execute_request","session":"s","username":"u","date":"","version":"5.3"}`)
	content = []byte(`[1,2]`)
	send(kernel.Delimiter, codec.Sign(hdr, parent, meta, content), hdr, parent, meta, content)
	// Oversize.
	big := signedFrames(t, h.c, codec, "print "+strings.Repeat("x", 100<<10))
	send(big...)
	syncShell(t, h)

	s := h.k.Stats()
	if s.Malformed != 4 || s.TooLarge != 1 {
		t.Errorf("stats %+v: want 4 malformed, 1 too large", s)
	}
	if codes := h.be.Codes(); !slices.Equal(codes, []string{"print sync"}) {
		t.Errorf("backend ran %q", codes)
	}
	if !strings.Contains(h.logs.String(), "malformed") {
		t.Error("malformed messages not logged")
	}
}

func TestUnknownTypes(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	r, err := h.c.Request(ctx, client.Shell, "frobnicate_request", map[string]any{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Msg.Type() != "frobnicate_reply" || r.Status() != "error" || r.Content["ename"] != "UnknownMessageType" {
		t.Fatalf("unknown request reply %s %v", r.Msg.Type(), r.Content)
	}
	// A backend without a debugger: debug_request gets an error reply.
	r, err = h.c.Request(ctx, client.Control, "debug_request", map[string]any{}, true)
	if err != nil || r.Msg.Type() != "debug_reply" || r.Status() != "error" {
		t.Fatalf("debug_request without a debugger: %v %v", err, r)
	}
	// execute_request is a shell request: on control it gets an error reply, and does not run.
	r, err = h.c.Request(ctx, client.Control, "execute_request", map[string]any{"code": "print no"}, true)
	if err != nil || r.Msg.Type() != "execute_reply" || r.Status() != "error" || len(h.be.Codes()) != 0 {
		t.Fatalf("execute on control: %v %v", err, r)
	}
	// A non-request unknown type is ignored (no reply), and the kernel keeps serving.
	h.c.Send(client.Shell, h.c.NewMessage("frobnicate", map[string]any{}))
	if _, err := h.c.KernelInfo(ctx); err != nil {
		t.Fatal(err)
	}
	if s := h.k.Stats(); s.Unknown != 3 {
		t.Errorf("unknown count %d, want 3", s.Unknown)
	}
}

func TestPanicRecovered(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	r, err := h.c.Execute(ctx, "panic", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != "error" || r.Content["ename"] != "KernelError" {
		t.Fatalf("panic reply %v", r.Content)
	}
	if r, err := h.c.Execute(ctx, "print alive", nil); err != nil || r.Stream("stdout") != "alive\n" {
		t.Fatalf("after panic: %v %v", err, r)
	}
	if h.k.Stats().Panics != 1 {
		t.Errorf("panics %d", h.k.Stats().Panics)
	}
}

func TestDisplayAndLateOutput(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	r, err := h.c.Execute(ctx, "display", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"status", "execute_input", "display_data", "update_display_data", "clear_output", "status"}
	if got := r.Types(); !slices.Equal(got, want) {
		t.Fatalf("display iopub %v, want %v", got, want)
	}
	tr := r.IOPub[2].ContentMap()["transient"].(map[string]any)
	if tr["display_id"] != "d1" {
		t.Errorf("transient %v", tr)
	}
	if r.IOPub[4].ContentMap()["wait"] != true {
		t.Errorf("clear_output %v", r.IOPub[4].ContentMap())
	}
	r, err = h.c.Execute(ctx, "late", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The next iopub message of this request (the status "starting" the kernel published at
	// start may still be queued, when the client subscribed early enough to get it).
	var m *kernel.Message
	for m == nil || m.ParentHeader.MsgID != r.Msg.ParentHeader.MsgID {
		if m, err = h.c.Recv(ctx, client.IOPub); err != nil {
			t.Fatal(err)
		}
	}
	if m.Type() != "stream" || m.ContentMap()["text"] != "late\n" {
		t.Errorf("late output %s %v parent %s", m.Type(), m.ContentMap(), m.ParentHeader.MsgID)
	}
}

func TestInputRoundTrip(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	var mu sync.Mutex
	var prompts []string
	r, err := h.c.Execute(ctx, "input name?", &client.ExecuteOptions{Input: func(prompt string, password bool) (string, error) {
		mu.Lock()
		prompts = append(prompts, prompt)
		mu.Unlock()
		return "Ada", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if r.Status() != "ok" || r.Stream("stdout") != "got: Ada\n" || !slices.Equal(prompts, []string{"name?"}) {
		t.Fatalf("input: %v stdout %q prompts %v", r.Content, r.Stream("stdout"), prompts)
	}
	// allow_stdin false: ErrNoStdin at once.
	start := time.Now()
	r, err = h.c.Execute(ctx, "input name?", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != "error" || !strings.Contains(r.Stream("stderr"), "allow_stdin is false") {
		t.Fatalf("no stdin: %v %q", r.Content, r.Stream("stderr"))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("ErrNoStdin took %v", d)
	}
	// An interrupt ends a pending input (sent once the client has the input_request).
	asked := make(chan struct{})
	p, _ := h.c.ExecuteAsync("input never?", &client.ExecuteOptions{Input: func(string, bool) (string, error) {
		close(asked)
		select {} // never answers
	}})
	select {
	case <-asked:
	case <-time.After(20 * time.Second):
		t.Fatal("no input_request for the pending input")
	}
	if _, err := h.c.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	r, err = p.Wait(ctx)
	if err != nil || r.Status() != "error" {
		t.Fatalf("interrupted input: %v %v", err, r)
	}
}

// echoComm sends every message back with "echo": true.
type echoComm struct{ closed chan map[string]any }

func (e *echoComm) Msg(c *kernel.Comm, data map[string]any, _ [][]byte) {
	data["echo"] = true
	c.Send(data, nil)
}
func (e *echoComm) Close(_ *kernel.Comm, data map[string]any) { e.closed <- data }

func TestComms(t *testing.T) {
	ec := &echoComm{closed: make(chan map[string]any, 1)}
	h := startKernel(t, func(c *kernel.Config) {
		c.CommTargets = map[string]kernel.CommTarget{"echo": func(*kernel.Comm, map[string]any, [][]byte) (kernel.CommHandler, error) {
			return ec, nil
		}}
	})
	ctx := ctxT(t)
	r, err := h.c.Request(ctx, client.Shell, "comm_open", map[string]any{"comm_id": "c1", "target_name": "echo", "data": map[string]any{}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Types(); !slices.Equal(got, []string{"status", "status"}) {
		t.Errorf("comm_open iopub %v", got)
	}
	info, err := h.c.Request(ctx, client.Shell, "comm_info_request", map[string]any{}, true)
	if err != nil {
		t.Fatal(err)
	}
	comms := info.Content["comms"].(map[string]any)
	if c1, ok := comms["c1"].(map[string]any); !ok || c1["target_name"] != "echo" {
		t.Fatalf("comm_info %v", info.Content)
	}
	info, _ = h.c.Request(ctx, client.Shell, "comm_info_request", map[string]any{"target_name": "other"}, true)
	if len(info.Content["comms"].(map[string]any)) != 0 {
		t.Errorf("comm_info filter: %v", info.Content)
	}
	r, err = h.c.Request(ctx, client.Shell, "comm_msg", map[string]any{"comm_id": "c1", "data": map[string]any{"x": 1}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Types(); !slices.Equal(got, []string{"status", "comm_msg", "status"}) {
		t.Fatalf("comm_msg iopub %v", got)
	}
	if d := r.IOPub[1].ContentMap()["data"].(map[string]any); d["echo"] != true || d["x"] != float64(1) {
		t.Errorf("echo %v", d)
	}
	h.c.Request(ctx, client.Shell, "comm_close", map[string]any{"comm_id": "c1", "data": map[string]any{"bye": true}}, false)
	select {
	case d := <-ec.closed:
		if d["bye"] != true {
			t.Errorf("close data %v", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("comm handler not closed")
	}
	if len(h.k.OpenComms()) != 0 {
		t.Errorf("open comms after close: %v", h.k.OpenComms())
	}
	// Unknown target: the kernel answers with comm_close.
	r, err = h.c.Request(ctx, client.Shell, "comm_open", map[string]any{"comm_id": "c2", "target_name": "nope", "data": map[string]any{}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Types(); !slices.Equal(got, []string{"status", "comm_close", "status"}) || r.IOPub[1].ContentMap()["comm_id"] != "c2" {
		t.Fatalf("unknown target iopub %v", got)
	}
}

func historyOf(t *testing.T, r *client.Reply) [][3]any {
	t.Helper()
	var out [][3]any
	for _, e := range r.Content["history"].([]any) {
		t3 := e.([]any)
		out = append(out, [3]any{int(t3[0].(float64)), int(t3[1].(float64)), t3[2]})
	}
	return out
}

func TestHistoryPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quire", "history.jsonl")
	useFile := func(c *kernel.Config) { c.HistoryPath = path }
	h := startKernel(t, useFile)
	ctx := ctxT(t)
	for _, code := range []string{"print a", "print b", "value 1", "print a"} {
		if _, err := h.c.Execute(ctx, code, nil); err != nil {
			t.Fatal(err)
		}
	}
	r, err := h.c.History(ctx, kernel.HistoryQuery{HistAccessType: "tail", N: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := historyOf(t, r); !slices.Equal(got, [][3]any{{1, 3, "value 1"}, {1, 4, "print a"}}) {
		t.Errorf("tail %v", got)
	}
	stop := 3
	r, _ = h.c.History(ctx, kernel.HistoryQuery{HistAccessType: "range", Session: 0, Start: 1, Stop: &stop})
	if got := historyOf(t, r); !slices.Equal(got, [][3]any{{1, 1, "print a"}, {1, 2, "print b"}}) {
		t.Errorf("range %v", got)
	}
	r, _ = h.c.History(ctx, kernel.HistoryQuery{HistAccessType: "search", Pattern: "print*", Unique: true})
	if got := historyOf(t, r); !slices.Equal(got, [][3]any{{1, 2, "print b"}, {1, 4, "print a"}}) {
		t.Errorf("search unique %v", got)
	}
	r, _ = h.c.History(ctx, kernel.HistoryQuery{HistAccessType: "search", Pattern: "print ?", N: 1})
	if got := historyOf(t, r); !slices.Equal(got, [][3]any{{1, 4, "print a"}}) {
		t.Errorf("search n=1 %v", got)
	}
	r, _ = h.c.History(ctx, kernel.HistoryQuery{HistAccessType: "tail", N: 1, Output: true})
	if e := r.Content["history"].([]any)[0].([]any); len(e) != 3 || e[2].([]any)[0] != "print a" {
		t.Errorf("output=true entry %v", e)
	}
	h.stop()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("history file mode %v", fi.Mode().Perm())
	}

	h2 := startKernel(t, useFile)
	if _, err := h2.c.Execute(ctx, "print new", nil); err != nil {
		t.Fatal(err)
	}
	r, _ = h2.c.History(ctx, kernel.HistoryQuery{HistAccessType: "range", Session: -1, Start: 1})
	if got := historyOf(t, r); len(got) != 4 || got[0] != [3]any{1, 1, "print a"} {
		t.Errorf("previous session %v", got)
	}
	r, _ = h2.c.History(ctx, kernel.HistoryQuery{HistAccessType: "range", Session: 0, Start: 1})
	if got := historyOf(t, r); !slices.Equal(got, [][3]any{{2, 1, "print new"}}) {
		t.Errorf("current session %v", got)
	}
	r, _ = h2.c.History(ctx, kernel.HistoryQuery{HistAccessType: "tail", N: 2})
	if got := historyOf(t, r); !slices.Equal(got, [][3]any{{1, 4, "print a"}, {2, 1, "print new"}}) {
		t.Errorf("tail across sessions %v", got)
	}
}

func TestIPCTransport(t *testing.T) {
	dir, err := os.MkdirTemp("", "qk")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	info, err := kernel.NewConnectionInfo("ipc", filepath.Join(dir, "kernel-ipc"))
	if err != nil {
		t.Fatal(err)
	}
	h := startKernel(t, func(c *kernel.Config) { c.Conn = info })
	ctx := ctxT(t)
	r, err := h.c.Execute(ctx, "print over ipc", nil)
	if err != nil || r.Stream("stdout") != "over ipc\n" {
		t.Fatalf("ipc execute: %v %v", err, r)
	}
	if err := h.c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(info.IP + "-" + fmt.Sprint(info.ShellPort)); err != nil {
		t.Errorf("ipc socket file: %v", err)
	}
}

func TestServeReturnsOnContextCancel(t *testing.T) {
	h := startKernel(t, nil)
	h.cancel()
	if err := h.waitServed(t); err != nil {
		t.Errorf("Serve: %v", err)
	}
	if s := h.be.Shutdowns(); !slices.Equal(s, []bool{false}) {
		t.Errorf("backend shutdowns %v", s)
	}
	// The ports are free again.
	k2, err := kernel.New(kernel.Config{Conn: h.k.ConnectionInfo(), Backend: newFakeBackend(), NoHistory: true})
	if err != nil {
		t.Fatalf("rebinding after Serve returned: %v", err)
	}
	k2.Close()
}

// A TCP connection that never starts a ZMTP handshake must not block other clients (zmq4 does
// the handshake in its accept loop; the kernel's guarded listener filters such connections).
func TestSilentConnectionDoesNotBlockClients(t *testing.T) {
	// A peer that stalls after the signature holds zmq4's accept loop until this deadline, so
	// the client gets through once it passes; it must be long enough for a real handshake on a
	// loaded machine (500 ms was not).
	h := startKernel(t, func(c *kernel.Config) { c.HandshakeTimeout = 3 * time.Second })
	info := h.k.ConnectionInfo()
	for _, port := range []int{info.ShellPort, info.IOPubPort, info.StdinPort, info.ControlPort, info.HBPort} {
		// One connection that sends nothing, one that stalls after the ZMTP signature.
		for _, first := range [][]byte{nil, {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f}} {
			conn, err := net.Dial("tcp", strings.TrimPrefix(info.Endpoint(port), "tcp://"))
			if err != nil {
				t.Fatal(err)
			}
			conn.Write(first)
			defer conn.Close()
		}
	}
	// Give the kernel's accept loops a moment to take the silent connections first: nothing
	// observable says they have (that is the point of them), and without them first the test
	// checks nothing.
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Connect(ctx, info)
	if err != nil {
		t.Fatalf("second client blocked by a silent connection: %v", err)
	}
	defer c.Close()
	if r, err := c.Execute(ctx, "print second", nil); err != nil || r.Stream("stdout") != "second\n" {
		t.Fatalf("second client: %v %v", err, r)
	}
}

func TestOutputOrderAndLiveStreaming(t *testing.T) {
	h := startKernel(t, nil)
	ctx := ctxT(t)
	r, err := h.c.Execute(ctx, "mixed", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range r.IOPub {
		c := m.ContentMap()
		switch m.Type() {
		case "stream":
			got = append(got, c["name"].(string)+":"+c["text"].(string))
		case "display_data":
			got = append(got, "display:"+c["data"].(map[string]any)["text/plain"].(string))
		}
	}
	want := []string{"stdout:a\n", "stderr:b\n", "display:c", "stdout:d\ne\n"}
	if !slices.Equal(got, want) {
		t.Errorf("output order %q, want %q", got, want)
	}
	// Stream text is published while the cell still runs, not when it ends.
	var mu sync.Mutex
	var events []string
	seen := make(chan struct{}, 1)
	note := func(s string) {
		mu.Lock()
		events = append(events, s)
		mu.Unlock()
		select {
		case seen <- struct{}{}:
		default:
		}
	}
	p, err := h.c.ExecuteAsync("printsleep early 1500ms", &client.ExecuteOptions{OnIOPub: func(m *kernel.Message) {
		if m.Type() == "stream" {
			note("stream")
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-seen:
	case <-time.After(1200 * time.Millisecond):
	}
	select {
	case <-p.Done():
		t.Fatal("cell ended before its output was seen")
	default:
	}
	mu.Lock()
	if !slices.Equal(events, []string{"stream"}) {
		t.Errorf("no live stream while the cell ran: %v", events)
	}
	mu.Unlock()
	if _, err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
}

// A peer announcing a gigantic frame must not make zmq4 allocate it (which would crash the
// process): the kernel drops the connection and keeps serving.
func TestHugeFrameDoesNotCrash(t *testing.T) {
	h := startKernel(t, func(c *kernel.Config) { c.MaxMessageBytes = 1 << 20 })
	info := h.k.ConnectionInfo()
	for _, port := range []int{info.ShellPort, info.IOPubPort} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(info.Endpoint(port), "tcp://"))
		if err != nil {
			t.Fatal(err)
		}
		greeting := make([]byte, 64)
		greeting[0], greeting[9], greeting[10] = 0xff, 0x7f, 3
		copy(greeting[12:], "NULL")
		frame := []byte{0x02, 0x40, 0, 0, 0, 0, 0, 0, 0} // long frame of 2^62 bytes
		conn.Write(append(greeting, frame...))
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.Copy(io.Discard, conn) // until the kernel closes it
		conn.Close()
		if err != nil {
			t.Errorf("connection not closed by the kernel: %v", err)
		}
	}
	if _, err := h.c.KernelInfo(ctxT(t)); err != nil {
		t.Fatalf("kernel after huge frame: %v", err)
	}
	if s := h.k.Stats(); s.TooLarge != 2 {
		t.Errorf("TooLarge %d, want 2", s.TooLarge)
	}
}

// A client that sends a request before its iopub subscription reaches the kernel (jupyter
// console does, right after kernel_info_reply) still gets that request's iopub messages: the
// kernel holds them until the first subscriber arrives.
func TestIOPubHeldForFirstSubscriber(t *testing.T) {
	be := newFakeBackend()
	k, err := kernel.New(kernel.Config{Conn: testConn(), Backend: be, NoHistory: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go k.Serve(ctx)
	info := k.ConnectionInfo()
	codec := kernel.NewCodec([]byte(info.Key), 0, 0)

	shell := zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("early-client")))
	defer shell.Close()
	if err := shell.Dial(info.Endpoint(info.ShellPort)); err != nil {
		t.Fatal(err)
	}
	req := &kernel.Message{Header: kernel.NewHeader("execute_request", "early-session", "user")}
	if err := req.SetContent(map[string]any{"code": "print early", "silent": false}); err != nil {
		t.Fatal(err)
	}
	frames, err := codec.Encode(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := shell.SendMulti(zmq4.NewMsgFrom(frames...)); err != nil {
		t.Fatal(err)
	}
	raw, err := shell.Recv()
	if err != nil {
		t.Fatal(err)
	}
	reply, err := codec.Decode(raw.Frames)
	if err != nil || reply.Type() != "execute_reply" {
		t.Fatalf("reply %v %v", reply, err)
	}
	// Only now does an iopub subscriber arrive: the cell has finished long ago (the pause is
	// the scenario: a subscriber that comes late).
	time.Sleep(50 * time.Millisecond)
	sub := zmq4.NewSub(ctx)
	defer sub.Close()
	if err := sub.Dial(info.Endpoint(info.IOPubPort)); err != nil {
		t.Fatal(err)
	}
	if err := sub.SetOption(zmq4.OptionSubscribe, ""); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) == 0 || got[len(got)-1] != "status:idle" {
		done := make(chan zmq4.Msg, 1)
		go func() {
			m, _ := sub.Recv()
			done <- m
		}()
		var zm zmq4.Msg
		select {
		case zm = <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("iopub of the early request not received; got %v", got)
		}
		m, err := codec.Decode(zm.Frames)
		if err != nil {
			t.Fatal(err)
		}
		if m.ParentHeader.MsgID != req.Header.MsgID {
			continue
		}
		what := m.Type()
		switch what {
		case "status":
			what += ":" + statusOf(m)
		case "stream":
			what += ":" + m.ContentMap()["text"].(string)
		}
		got = append(got, what)
	}
	want := []string{"status:busy", "execute_input", "stream:early\n", "status:idle"}
	if !slices.Equal(got, want) {
		t.Errorf("iopub for the early request: %q, want %q", got, want)
	}
}

// A sequential client (nbclient, quire run) never sees its next cell aborted: sending
// stop_on_error false, as kernel/client does by default, within the stop-on-error window; and
// sending true, once the error reply has arrived, when there is no window (only what was
// queued when the cell failed is aborted then).
func TestStopOnErrorSparesLaterRequests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		window time.Duration
		opts   *client.ExecuteOptions
	}{
		{"stop_on_error false, default window", 0, nil},
		{"stop_on_error true, no window", -1, &client.ExecuteOptions{StopOnError: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startKernel(t, func(c *kernel.Config) { c.StopOnErrorTimeout = tc.window })
			ctx := ctxT(t)
			for i := 0; i < 40; i++ {
				r, err := h.c.Execute(ctx, "sleepfail 0ms", tc.opts)
				if err != nil || r.Status() != "error" {
					t.Fatalf("failing cell: %v %v", err, r)
				}
				r, err = h.c.Execute(ctx, "print next", tc.opts)
				if err != nil || r.Status() != "ok" {
					t.Fatalf("round %d: the request sent after the error reply was %v (%v)", i, r.Status(), err)
				}
			}
		})
	}
}
