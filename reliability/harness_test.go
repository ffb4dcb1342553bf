package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/internal/testbin"
	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// quireBinary builds cmd/quire once per test run and returns its path. The path is unique to
// the run, so /proc tells which processes came from this run's kernels.
func quireBinary(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the reliability tests read /proc")
	}
	return testbin.Path(t)
}

// kern is a real quire kernel process under test.
type kern struct {
	*client.Client
	t       *testing.T
	log     string // the kernel's log file (level debug)
	dataDir string // JUPYTER_DATA_DIR (the history file lives under it)
}

// startKernel starts `quire-kernel --worker quire --log FILE {connection_file}` (what `quire
// install` writes) at log level debug, with the given kernel flags and a
// private JUPYTER_DATA_DIR. The kernel is shut down (and the test fails if any quire process
// outlives it) when the test ends.
func startKernel(t *testing.T, flags ...string) *kern {
	t.Helper()
	return startKernelIn(t, t.TempDir(), flags...)
}

// startKernelIn starts a kernel as startKernel does, with JUPYTER_DATA_DIR set to dataDir (so
// that a second kernel reads the first one's history file).
func startKernelIn(t *testing.T, dataDir string, flags ...string) *kern {
	t.Helper()
	quireBinary(t)
	k := &kern{t: t, dataDir: dataDir}
	k.log = filepath.Join(t.TempDir(), "kernel.log")
	t.Setenv("JUPYTER_DATA_DIR", dataDir)
	t.Setenv("QUIRE_LOG_LEVEL", "debug")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := append(testbin.KernelArgv(t), "--log", k.log)
	argv = append(append(argv, flags...), "{connection_file}")
	c, err := client.Start(ctx, argv)
	if err != nil {
		t.Fatalf("starting the kernel: %v", err)
	}
	k.Client = c
	t.Cleanup(func() {
		k.stop()
		if t.Failed() {
			if b, err := os.ReadFile(k.log); err == nil {
				t.Logf("kernel log (tail):\n%s", tail(string(b), 4000))
			}
		}
	})
	return k
}

// stop shuts the kernel down and checks that no process of this run is left.
func (k *kern) stop() {
	k.t.Helper()
	select {
	case <-k.Done():
	default:
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = k.Shutdown(ctx, false)
		cancel()
	}
	if err := k.Close(); err != nil {
		k.t.Errorf("closing the kernel: %v", err)
	}
	left := leftover(k.t, 5*time.Second)
	k.t.Logf("processes left: %d", len(left))
	if len(left) > 0 {
		k.t.Errorf("quire processes outlived the kernel: %v", left)
	}
}

// pid is the kernel process's id.
func (k *kern) pid() int { return k.Process().Pid }

// execute runs code and fails the test on a transport error (not on a cell error).
func (k *kern) execute(code string, timeout time.Duration) *client.Reply {
	k.t.Helper()
	return execOn(k.t, k.Client, code, timeout)
}

func execOn(t *testing.T, c *client.Client, code string, timeout time.Duration) *client.Reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r, err := c.Execute(ctx, code, nil)
	if err != nil {
		t.Fatalf("execute %.60q: %v", code, err)
	}
	return r
}

// alive checks that the kernel answers kernel_info and runs a cell.
func (k *kern) alive(what string) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := k.KernelInfo(ctx); err != nil {
		k.t.Fatalf("after %s: kernel_info: %v", what, err)
	}
	if err := k.Ping(ctx); err != nil {
		k.t.Fatalf("after %s: heartbeat: %v", what, err)
	}
	r := k.execute("6 * 7", 60*time.Second)
	if r.Status() != "ok" || !strings.Contains(resultText(r), "42") {
		k.t.Fatalf("after %s: cell 6*7: %v %q", what, r.Content, resultText(r))
	}
}

// logCount returns how many lines of the kernel's log contain s.
func (k *kern) logCount(s string) int {
	b, err := os.ReadFile(k.log)
	if err != nil {
		k.t.Fatalf("reading the kernel log: %v", err)
	}
	return bytes.Count(b, []byte(s))
}

// waitLog waits until the log has at least n lines containing s and returns the count.
func (k *kern) waitLog(s string, n int) int {
	k.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := k.logCount(s)
		if got >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// resultText returns the text/plain of a reply's execute_result.
func resultText(r *client.Reply) string {
	for _, m := range r.IOPub {
		if m.Type() == "execute_result" {
			var c struct {
				Data map[string]any `json:"data"`
			}
			if err := m.DecodeContent(&c); err == nil {
				s, _ := c.Data["text/plain"].(string)
				return s
			}
		}
	}
	return ""
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// ---- /proc ----

// proc is one process read from /proc.
type proc struct {
	pid, ppid int
	state     byte
	cmdline   string
	exe       string
}

func (p proc) String() string { return fmt.Sprintf("%d(%c %s)", p.pid, p.state, p.cmdline) }

// procs lists the processes of the machine that this user can see.
func procs() []proc {
	ents, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p, ok := readProc(pid)
		if ok {
			out = append(out, p)
		}
	}
	return out
}

func readProc(pid int) (proc, bool) {
	dir := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return proc{}, false
	}
	// pid (comm) state ppid ...; comm may contain spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return proc{}, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return proc{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	p := proc{pid: pid, ppid: ppid, state: f[0][0]}
	if b, err := os.ReadFile(dir + "/cmdline"); err == nil {
		p.cmdline = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	}
	p.exe, _ = os.Readlink(dir + "/exe")
	return p, true
}

// descendants returns the live processes below pid.
func descendants(pid int) []proc {
	all := procs()
	children := map[int][]proc{}
	for _, p := range all {
		children[p.ppid] = append(children[p.ppid], p)
	}
	var out []proc
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			if c.state != 'Z' {
				out = append(out, c)
			}
			walk(c.pid)
		}
	}
	walk(pid)
	return out
}

// ours returns the live processes running this run's quire binaries (kernels, workers,
// executor children), whoever their parent is now.
func ours() []proc {
	var out []proc
	for _, p := range procs() {
		if p.state == 'Z' {
			continue
		}
		if dir := testbin.Dir(); dir != "" && (strings.HasPrefix(p.exe, dir+"/") || strings.HasPrefix(p.cmdline, dir+"/")) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return out
}

// leftover waits up to d for this run's quire processes to end and returns those still alive.
func leftover(t *testing.T, d time.Duration) []proc {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := ours()
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// workers returns the kernel's worker processes (children running `quire worker`, not tasks).
func workers(kernelPID int) []proc {
	var out []proc
	for _, p := range descendants(kernelPID) {
		if p.ppid == kernelPID && strings.Contains(p.cmdline, " worker") && !strings.Contains(p.cmdline, "--task") {
			out = append(out, p)
		}
	}
	return out
}

// rssBytes returns a process's resident set size.
func rssBytes(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n << 10
			}
		}
	}
	return 0
}

// connectionFile returns the path of the connection file the kernel was started with (its
// last argument).
func connectionFile(t *testing.T, pid int) string {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		t.Fatalf("reading the kernel's command line: %v", err)
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	return args[len(args)-1]
}

// signedFrames returns the wire frames of m signed with the client's key (the DEALER socket
// sends them as they are; the kernel's ROUTER prepends the client's identity).
func signedFrames(c *client.Client, m *kernel.Message) [][]byte {
	frames, err := c.Codec().Encode(m)
	if err != nil {
		panic(err)
	}
	return frames
}
