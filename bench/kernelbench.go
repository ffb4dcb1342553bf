package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

var errKernelExited = errors.New("kernel process exited")

// kernelSpec is what a kernelspec (kernel.json) tells a Jupyter client: how to start the kernel
// and how to interrupt it.
type kernelSpec struct {
	Name          string   // result key prefix: "quire", "ipykernel", "inproc"
	Argv          []string // with "{connection_file}"
	InterruptMode string   // "message" (interrupt_request on control) or "signal" (SIGINT)
	Env           []string // added to the environment
}

// profile holds one language's code for the kernel measurements (as kbench's profiles do).
type profile struct {
	Setup       []string
	Trivial     string // "1+1"
	TrivialWant string // its execute_result text/plain
	Stream      func(n int) string
	Loop        string
	Sleep       func(d time.Duration) string // 3 goroutines/threads sleeping d, joined
	Decl        string                       // declares x = 42 (a declaration) and y = 43 (Go: y := 43)
	DeclCheck   string                       // shows x
	ShortDecl   string                       // shows y
}

var goProfile = profile{
	Setup:       []string{"import (\n\t\"fmt\"\n\t\"sync\"\n\t\"time\"\n)"},
	Trivial:     "1+1",
	TrivialWant: "2",
	Stream: func(n int) string {
		return fmt.Sprintf("for i := 0; i < %d; i++ {\n\tfmt.Println(i)\n}", n)
	},
	Loop: "for {\n}",
	Sleep: func(d time.Duration) string {
		return fmt.Sprintf("var wg sync.WaitGroup\nfor i := 0; i < 3; i++ {\n\twg.Add(1)\n\tgo func() {\n\t\tdefer wg.Done()\n\t\ttime.Sleep(%d * time.Millisecond)\n\t}()\n}\nwg.Wait()", d.Milliseconds())
	},
	Decl:      "var x = 42\ny := 43",
	DeclCheck: "x",
	ShortDecl: "y",
}

var pythonProfile = profile{
	Trivial:     "1+1",
	TrivialWant: "2",
	Stream: func(n int) string {
		return fmt.Sprintf("for i in range(%d):\n    print(i)", n)
	},
	Loop: "while True:\n    pass",
	Sleep: func(d time.Duration) string {
		return fmt.Sprintf("import threading, time\nts = [threading.Thread(target=time.sleep, args=(%g,)) for _ in range(3)]\nfor t in ts: t.start()\nfor t in ts: t.join()", d.Seconds())
	},
	Decl:      "x = 42\ny = 43",
	DeclCheck: "x",
	ShortDecl: "y",
}

// kproc is a kernel process started by the benchmark, connected through the Go client.
type kproc struct {
	spec  kernelSpec
	c     *client.Client
	cmd   *exec.Cmd
	dead  chan struct{}
	dir   string
	t0    time.Time     // when the process was started
	ready time.Duration // start to kernel_info_reply (with its iopub status idle)
	bound time.Duration // start to all five ports listening
	once  sync.Once
}

// launch starts spec's kernel as a Jupyter client does (connection file, new process group),
// waits for its five ports to listen (polling /proc/net/tcp every 0.5 ms, so the client's
// 50 ms dial retry does not quantise the figure), then connects the Go client, which sends
// kernel_info_request until answered.
func launch(ctx context.Context, spec kernelSpec) (*kproc, error) {
	info, err := kernel.NewConnectionInfo("tcp", "127.0.0.1")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "quire-bench-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "kernel.json")
	if err := kernel.WriteConnectionFile(path, info); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	args := make([]string, len(spec.Argv))
	for i, a := range spec.Argv {
		args[i] = strings.ReplaceAll(a, "{connection_file}", path)
	}
	logf, err := os.Create(filepath.Join(dir, "kernel.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), spec.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	kp := &kproc{spec: spec, cmd: cmd, dead: make(chan struct{}), dir: dir}
	kp.t0 = time.Now()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", spec.Name, err)
	}
	go func() { cmd.Wait(); close(kp.dead) }()
	fail := func(err error) (*kproc, error) {
		kp.kill()
		return nil, fmt.Errorf("%s: %w%s", spec.Name, err, kp.logTail())
	}
	ports := []int{info.ShellPort, info.IOPubPort, info.StdinPort, info.ControlPort, info.HBPort}
	if err := waitListening(ports, kp.dead, 60*time.Second); err != nil {
		return fail(err)
	}
	kp.bound = time.Since(kp.t0)
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	go func() {
		select {
		case <-kp.dead:
			cancel()
		case <-cctx.Done():
		}
	}()
	c, err := client.Connect(cctx, info)
	if err != nil {
		return fail(err)
	}
	kp.ready = time.Since(kp.t0)
	kp.c = c
	return kp, nil
}

func (kp *kproc) pid() int { return kp.cmd.Process.Pid }

func (kp *kproc) logTail() string {
	b, _ := os.ReadFile(filepath.Join(kp.dir, "kernel.log"))
	s := strings.TrimSpace(string(b))
	if len(s) > 800 {
		s = "..." + s[len(s)-800:]
	}
	if s == "" {
		return ""
	}
	return "; kernel log: " + s
}

// kill kills the kernel's process group and cleans up.
func (kp *kproc) kill() {
	kp.once.Do(func() {
		if kp.c != nil {
			kp.c.Close()
		}
		syscall.Kill(-kp.cmd.Process.Pid, syscall.SIGKILL)
		<-kp.dead
		os.RemoveAll(kp.dir)
	})
}

// close shuts the kernel down politely, then kills what is left of its process group.
func (kp *kproc) close() {
	select {
	case <-kp.dead:
	default:
		if kp.c == nil {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		kp.c.Shutdown(ctx, false)
		cancel()
		select {
		case <-kp.dead:
		case <-time.After(3 * time.Second):
		}
	}
	kp.kill()
}

// execute runs code and checks that the reply is "ok".
func (kp *kproc) execute(ctx context.Context, code string, timeout time.Duration) (*client.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r, err := kp.c.Execute(ctx, code, nil)
	if err != nil {
		return nil, fmt.Errorf("executing %q: %w", shorten(code, 40), err)
	}
	if r.Status() != "ok" {
		return r, fmt.Errorf("executing %q: status %s: %v %v", shorten(code, 40), r.Status(), r.Content["ename"], r.Content["evalue"])
	}
	return r, nil
}

// resultText returns the text/plain of the request's execute_result.
func resultText(r *client.Reply) string {
	for _, m := range r.IOPub {
		if m.Type() == "execute_result" {
			if data, ok := m.ContentMap()["data"].(map[string]any); ok {
				s, _ := data["text/plain"].(string)
				return s
			}
		}
	}
	return ""
}

// interrupt interrupts the running cell the way the kernelspec asks.
func (kp *kproc) interrupt(ctx context.Context) error {
	if kp.spec.InterruptMode == "signal" {
		return syscall.Kill(kp.pid(), syscall.SIGINT)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := kp.c.Interrupt(ctx)
	return err
}

// kernelConfig sizes the kernel measurements.
type kernelConfig struct {
	Starts       int           // timed starts (median)
	ClientStarts int           // timed client.Start calls
	Trivial      int           // timed 1+1 round trips
	Lines        int           // printed lines
	Sleep        time.Duration // per goroutine in the sleep cell
	Restarts     int
	Settle       time.Duration // wait before the idle RSS
}

func kernelConfigFor(quick bool) kernelConfig {
	if quick {
		return kernelConfig{Starts: 3, ClientStarts: 1, Trivial: 100, Lines: 10000, Sleep: 200 * time.Millisecond, Restarts: 1, Settle: 300 * time.Millisecond}
	}
	return kernelConfig{Starts: 10, ClientStarts: 5, Trivial: 1000, Lines: 100000, Sleep: 2 * time.Second, Restarts: 3, Settle: time.Second}
}

// benchKernel measures spec's kernel with prof, storing values under spec.Name+".": start,
// client_start, first_cell, rss_idle, rt_p50/p95/p99, stream, stream_ok, sleep, rss_loaded,
// interrupt (+ interrupt_alive, interrupt_kept), restart, restart_cell.
func benchKernel(ctx context.Context, spec kernelSpec, prof profile, cfg kernelConfig, res *results, logf func(string, ...any)) error {
	k := spec.Name + "."
	// A discarded warm-up start loads the binary or the Python modules into the page cache.
	logf("%s: warm-up start", spec.Name)
	kp, err := launch(ctx, spec)
	if err != nil {
		res.fail(k+"start", err)
		return err
	}
	kp.close()

	var starts, firsts, bounds []float64
	for i := 0; i < cfg.Starts; i++ {
		kp, err = launch(ctx, spec)
		if err != nil {
			res.fail(k+"start", err)
			return err
		}
		starts = append(starts, secs(kp.ready))
		bounds = append(bounds, secs(kp.bound))
		r, err := kp.execute(ctx, prof.Trivial, 60*time.Second)
		if err != nil {
			kp.close()
			res.fail(k+"first_cell", err)
			return err
		}
		firsts = append(firsts, secs(time.Since(kp.t0)))
		if got := resultText(r); got != prof.TrivialWant {
			res.note("%s: %s gave %q, want %q", spec.Name, prof.Trivial, got, prof.TrivialWant)
		}
		if i < cfg.Starts-1 {
			kp.close()
		}
	}
	res.set(k+"start", median(starts))
	res.set(k+"first_cell", median(firsts))
	res.set(k+"bound", median(bounds))
	res.set(k+"start_min", slices.Min(starts))
	logf("%s: start to kernel_info_reply: median %.3f s of %v; ports listening after median %.3f s",
		spec.Name, median(starts), fmtSecs(starts), median(bounds))
	defer func() { kp.close() }()

	var cs []float64
	for i := 0; i < cfg.ClientStarts; i++ {
		t0 := time.Now()
		c, err := client.Start(ctx, spec.Argv)
		if err != nil {
			res.fail(k+"client_start", err)
			break
		}
		cs = append(cs, secs(time.Since(t0)))
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		c.Shutdown(sctx, false)
		cancel()
		c.Close()
	}
	if len(cs) > 0 {
		res.set(k+"client_start", median(cs))
		logf("%s: client.Start: median %.3f s of %v", spec.Name, median(cs), fmtSecs(cs))
	}

	time.Sleep(cfg.Settle)
	if rss, err := treeRSS(kp.pid()); err != nil {
		res.fail(k+"rss_idle", err)
	} else {
		res.set(k+"rss_idle", rss)
		logf("%s: idle RSS %.1f MiB", spec.Name, rss)
	}
	for _, code := range prof.Setup {
		if _, err := kp.execute(ctx, code, 60*time.Second); err != nil {
			res.fail(k+"rt_p50", err)
			return err
		}
	}

	// 1+1 round trips: send to reply and status idle, after 10 warm-ups.
	var rts []float64
	for i := 0; i < 10+cfg.Trivial; i++ {
		t0 := time.Now()
		r, err := kp.execute(ctx, prof.Trivial, 10*time.Second)
		if err != nil {
			res.fail(k+"rt_p50", err)
			return err
		}
		d := time.Since(t0)
		if i >= 10 {
			rts = append(rts, secs(d))
		}
		if got := resultText(r); got != prof.TrivialWant {
			err := fmt.Errorf("%s gave %q, want %q", prof.Trivial, got, prof.TrivialWant)
			res.fail(k+"rt_p50", err)
			return err
		}
	}
	res.set(k+"rt_p50", percentile(rts, 50))
	res.set(k+"rt_p95", percentile(rts, 95))
	res.set(k+"rt_p99", percentile(rts, 99))
	logf("%s: %s round trip p50 %.3f ms p95 %.3f ms p99 %.3f ms (n=%d)", spec.Name, prof.Trivial,
		percentile(rts, 50)*1e3, percentile(rts, 95)*1e3, percentile(rts, 99)*1e3, len(rts))

	// Printed lines: time to status idle; every line checked, in order.
	t0 := time.Now()
	r, err := kp.execute(ctx, prof.Stream(cfg.Lines), 5*time.Minute)
	if err != nil {
		res.fail(k+"stream", err)
	} else {
		d := time.Since(t0)
		res.set(k+"stream", secs(d))
		lines := strings.Split(strings.TrimSuffix(r.Stream("stdout"), "\n"), "\n")
		bad := -1
		for i := 0; i < cfg.Lines; i++ {
			if i >= len(lines) || lines[i] != strconv.Itoa(i) {
				bad = i
				break
			}
		}
		nmsg := 0
		for _, m := range r.IOPub {
			if m.Type() == "stream" {
				nmsg++
			}
		}
		switch {
		case bad >= 0:
			res.setFlag(k+"stream_ok", false, fmt.Sprintf("line %d wrong or missing (%d lines)", bad, len(lines)))
		case len(lines) != cfg.Lines:
			res.setFlag(k+"stream_ok", false, fmt.Sprintf("%d lines, want %d", len(lines), cfg.Lines))
		default:
			res.setFlag(k+"stream_ok", true, "all in order")
		}
		logf("%s: %d lines in %.3f s (%d stream messages)", spec.Name, cfg.Lines, secs(d), nmsg)
	}

	// Three sleepers.
	t0 = time.Now()
	if _, err := kp.execute(ctx, prof.Sleep(cfg.Sleep), time.Minute+10*cfg.Sleep); err != nil {
		res.fail(k+"sleep", err)
	} else {
		res.set(k+"sleep", secs(time.Since(t0)))
		logf("%s: 3 x %v sleep cell: %.3f s", spec.Name, cfg.Sleep, secs(time.Since(t0)))
	}
	if rss, err := treeRSS(kp.pid()); err != nil {
		res.fail(k+"rss_loaded", err)
	} else {
		res.set(k+"rss_loaded", rss)
		logf("%s: RSS after the loaded cells %.1f MiB", spec.Name, rss)
	}

	if err := measureInterrupt(ctx, kp, prof, res, k, logf); err != nil {
		res.fail(k+"interrupt", err)
		logf("%s: interrupt: %v", spec.Name, err)
		// The kernel may be dead: start a fresh one for the restarts.
		kp.kill()
		if kp, err = launch(ctx, spec); err != nil {
			return err
		}
	}

	// Restart as jupyter_client does it: shutdown_request{restart: true}, wait for the process
	// to exit, start a new one, wait for kernel_info_reply.
	var rs, rcs, exits []float64
	for i := 0; i < cfg.Restarts; i++ {
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := kp.c.Shutdown(sctx, true)
		cancel()
		if err != nil {
			res.fail(k+"restart", fmt.Errorf("shutdown_request: %w", err))
			return err
		}
		select {
		case <-kp.dead:
			exits = append(exits, secs(time.Since(t0)))
		case <-time.After(10 * time.Second):
			res.note("%s: process did not exit within 10 s of shutdown_request{restart:true}; killed", spec.Name)
		}
		kp.kill()
		kp, err = launch(ctx, spec)
		if err != nil {
			res.fail(k+"restart", err)
			return err
		}
		rs = append(rs, secs(time.Since(t0)))
		if _, err := kp.execute(ctx, prof.Trivial, time.Minute); err != nil {
			res.fail(k+"restart_cell", err)
			return err
		}
		rcs = append(rcs, secs(time.Since(t0)))
	}
	if len(rs) > 0 {
		res.set(k+"restart", median(rs))
		res.set(k+"restart_cell", median(rcs))
		if len(exits) > 0 {
			res.set(k+"restart_exit", median(exits))
		}
		logf("%s: process restart %.3f s (old process gone after %.3f s), to first result %.3f s",
			spec.Name, median(rs), median(exits), median(rcs))
	}
	return nil
}

// measureInterrupt declares x, runs an endless loop, interrupts it after 1 s, and checks that
// the kernel answers and still knows x.
func measureInterrupt(ctx context.Context, kp *kproc, prof profile, res *results, k string, logf func(string, ...any)) error {
	if _, err := kp.execute(ctx, prof.Decl, 30*time.Second); err != nil {
		return err
	}
	call, err := kp.c.ExecuteAsync(prof.Loop, nil)
	if err != nil {
		return err
	}
	select {
	case <-call.Done():
		return errors.New("the endless loop ended by itself")
	case <-time.After(time.Second):
	}
	t0 := time.Now()
	if err := kp.interrupt(ctx); err != nil {
		return fmt.Errorf("interrupt: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	r, err := call.Wait(wctx)
	cancel()
	if err != nil {
		res.setFlag(k+"interrupt_alive", false, "no reply")
		return fmt.Errorf("waiting for the interrupted cell: %w", err)
	}
	d := time.Since(t0)
	res.set(k+"interrupt", secs(d))
	rr, err := kp.execute(ctx, prof.Trivial, 30*time.Second)
	for try := 0; try < 3 && rr != nil && rr.Status() == "aborted"; try++ {
		// ipykernel aborts the requests that arrive just after an error (stop_on_error);
		// the kernel is alive: ask again.
		res.note("%s: the first `%s` after the interrupt was aborted (stop_on_error); retried", kp.spec.Name, prof.Trivial)
		time.Sleep(10 * time.Millisecond)
		rr, err = kp.execute(ctx, prof.Trivial, 30*time.Second)
	}
	if err != nil || resultText(rr) != prof.TrivialWant {
		res.setFlag(k+"interrupt_alive", false, fmt.Sprintf("dies (%v)", err))
	} else {
		res.setFlag(k+"interrupt_alive", true, "survives")
	}
	rx, err := kp.execute(ctx, prof.DeclCheck, 30*time.Second)
	kept := err == nil && resultText(rx) == "42"
	ry, err := kp.execute(ctx, prof.ShortDecl, 30*time.Second)
	shortKept := err == nil && resultText(ry) == "43"
	text := map[bool]string{true: "kept", false: "lost"}
	res.setFlag(k+"interrupt_kept", kept, fmt.Sprintf("declarations %s (x = 42 %s, y = 43 %s)", text[kept], text[kept], text[shortKept]))
	logf("%s: interrupt to idle %.3f s (reply %s)", kp.spec.Name, secs(d), r.Status())
	return nil
}

// benchInProcessRestart measures shutdown_request{restart: true} on a kernel that restarts its
// backend in the same process (kernel.Config.RestartInProcess), until kernel_info_reply and
// until the first 1+1 result.
func benchInProcessRestart(ctx context.Context, spec kernelSpec, prof profile, n int, res *results, logf func(string, ...any)) error {
	k := spec.Name + "."
	kp, err := launch(ctx, spec)
	if err != nil {
		res.fail(k+"restart", err)
		return err
	}
	defer kp.close()
	if _, err := kp.execute(ctx, prof.Trivial, time.Minute); err != nil {
		res.fail(k+"restart", err)
		return err
	}
	var rs, rcs []float64
	for i := 0; i < n; i++ {
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := kp.c.Shutdown(sctx, true)
		if err == nil {
			_, err = kp.c.KernelInfo(sctx)
		}
		cancel()
		if err != nil {
			res.fail(k+"restart", err)
			return err
		}
		rs = append(rs, secs(time.Since(t0)))
		if _, err := kp.execute(ctx, prof.Trivial, time.Minute); err != nil {
			// The first cell may reach the old backend while it is being replaced: note it,
			// and time the retry.
			res.note("%s: first `%s` right after the in-process restart failed: %v", spec.Name, prof.Trivial, err)
			if _, err := kp.execute(ctx, prof.Trivial, time.Minute); err != nil {
				res.fail(k+"restart_cell", err)
				return err
			}
		}
		rcs = append(rcs, secs(time.Since(t0)))
	}
	res.set(k+"restart", median(rs))
	res.set(k+"restart_cell", median(rcs))
	logf("%s: in-process restart %.3f s, to first result %.3f s", spec.Name, median(rs), median(rcs))
	return nil
}

func fmtSecs(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'f', 3, 64)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// benchStarts measures n starts of spec (after one warm-up) and stores the median under
// spec.Name+".start".
func benchStarts(ctx context.Context, spec kernelSpec, n int, res *results, logf func(string, ...any)) error {
	var xs []float64
	for i := 0; i <= n; i++ {
		kp, err := launch(ctx, spec)
		if err != nil {
			res.fail(spec.Name+".start", err)
			return err
		}
		if i > 0 {
			xs = append(xs, secs(kp.ready))
		}
		kp.close()
	}
	res.set(spec.Name+".start", median(xs))
	logf("%s: start to kernel_info_reply: median %.3f s of %v", spec.Name, median(xs), fmtSecs(xs))
	return nil
}
