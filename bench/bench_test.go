package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/install"
)

// TestMain makes the test binary its own executors child and benchmark child, as main does.
func TestMain(m *testing.M) {
	if err := registerFuncs(); err != nil {
		panic(err)
	}
	executorsChildMain()
	childMain()
	os.Exit(m.Run())
}

// positive checks that every key has a positive number.
func positive(t *testing.T, res *results, keys ...string) {
	t.Helper()
	for _, k := range keys {
		v, ok := res.get(k)
		switch {
		case !ok:
			t.Errorf("%s: not measured", k)
		case v.Err != "":
			t.Errorf("%s: %s", k, v.Err)
		case !(v.V > 0):
			t.Errorf("%s = %v, want > 0", k, v.V)
		}
	}
}

func flagOK(t *testing.T, res *results, key string) {
	t.Helper()
	if v, ok := res.get(key); !ok || v.V != 1 {
		t.Errorf("%s = %+v, want ok", key, v)
	}
}

func buildQuire(t *testing.T) (quire, inproc string) {
	t.Helper()
	dir := t.TempDir()
	quire, inproc = filepath.Join(dir, "quire"), filepath.Join(dir, "inproc")
	ctx := context.Background()
	if err := goBuild(ctx, "./cmd/quire", quire, t.Logf); err != nil {
		t.Fatal(err)
	}
	if err := goBuild(ctx, "./cmd/quire-kernel", filepath.Join(dir, install.KernelBinaryName), t.Logf); err != nil {
		t.Fatal(err)
	}
	if err := goBuild(ctx, "./bench/inproc", inproc, t.Logf); err != nil {
		t.Fatal(err)
	}
	return quire, inproc
}

var kernelKeys = []string{"start", "client_start", "first_cell", "rss_idle", "rt_p50", "rt_p95", "rt_p99",
	"stream", "sleep", "rss_loaded", "interrupt", "restart", "restart_cell"}

func TestKernelQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kernels")
	}
	quire, inproc := buildQuire(t)
	cfg := kernelConfigFor(true)
	res := newResults()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	spec := kernelSpec{Name: "quire", Argv: quireArgv(quire), InterruptMode: "message", Env: []string{"QUIRE_LOG_LEVEL=warn"}}
	if err := benchKernel(ctx, spec, goProfile, cfg, res, t.Logf); err != nil {
		t.Fatal(err)
	}
	for _, k := range kernelKeys {
		positive(t, res, "quire."+k)
	}
	flagOK(t, res, "quire.stream_ok")
	flagOK(t, res, "quire.interrupt_alive")
	// p50 <= p95 <= p99, and a round trip is faster than a start.
	p50, _ := res.num("quire.rt_p50")
	p95, _ := res.num("quire.rt_p95")
	p99, _ := res.num("quire.rt_p99")
	st, _ := res.num("quire.start")
	if !(p50 <= p95 && p95 <= p99) || p50 >= st {
		t.Errorf("round trips p50 %v p95 %v p99 %v, start %v: out of order", p50, p95, p99, st)
	}
	// The loaded RSS counts the worker child too: more than the kernel process alone.
	if rss, _ := res.num("quire.rss_idle"); rss < 5 || rss > 2000 {
		t.Errorf("idle RSS %.1f MiB: not plausible", rss)
	}
	ip := kernelSpec{Name: "inproc", Argv: []string{inproc, quire, "{connection_file}"}, InterruptMode: "message", Env: []string{"QUIRE_LOG_LEVEL=warn"}}
	if err := benchInProcessRestart(ctx, ip, goProfile, 1, res, t.Logf); err != nil {
		t.Fatal(err)
	}
	positive(t, res, "inproc.restart", "inproc.restart_cell")
	md := res.markdown(tableRows(true))
	if !strings.Contains(md, "| kernel: start to first kernel_info_reply") {
		t.Errorf("table lacks the start row:\n%s", md)
	}
}

func TestIPyKernelQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kernels")
	}
	if _, ok := haveIPyKernel(); !ok {
		t.Skip("ipykernel is not installed for " + python)
	}
	spec, dir, err := ipykernelSpec()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := kernelConfigFor(true)
	cfg.Starts, cfg.ClientStarts = 1, 0
	res := newResults()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := benchKernel(ctx, spec, pythonProfile, cfg, res, t.Logf); err != nil {
		t.Fatal(err)
	}
	for _, k := range kernelKeys {
		if k != "client_start" {
			positive(t, res, "ipykernel."+k)
		}
	}
	flagOK(t, res, "ipykernel.stream_ok")
	flagOK(t, res, "ipykernel.interrupt_kept")
}

func TestExecutorsQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes and sleeps")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg := execConfigFor(true)
	res := newResults()
	benchExecutors(context.Background(), cfg, self, res, t.Logf)
	positive(t, res, "go.e1", "go.e2", "go.e3", "go.e4", "go.e3_warm", "go.e4_warm", "go.e5", "go.e6", "go.e7",
		"go.e8_seq", "go.e8_threads", "go.e8_gil", "go.e8_procs", "go.e8_gather", "go.e8_gmp1",
		"go.proc_sj", "go.proc_sj_warm", "go.goroutine_sj", "go.thread_sj", "go.pool_rt",
		"go.gather_many", "go.gather_many_rss", "go.gather_many_fn", "go.gather_many_fn_rss",
		"go.goroutines_many", "go.goroutines_many_rss", "go.threads_many", "go.threads_many_rss")
	// Sleeps cannot end before their ideal.
	for _, k := range []string{"go.e1", "go.e2", "go.e3", "go.e4", "go.e3_warm", "go.e4_warm", "go.e5", "go.e6"} {
		if v, _ := res.num(k); v < cfg.Sleep.Seconds()*0.99 {
			t.Errorf("%s = %.3f s, shorter than the %v sleep", k, v, cfg.Sleep)
		}
	}
	if v, _ := res.num("go.e7"); v < 2*cfg.PoolSleep.Seconds()*0.99 {
		t.Errorf("E7 = %.3f s, shorter than 2 x %v", v, cfg.PoolSleep)
	}
	if v, _ := res.num("go.gather_many"); v < cfg.ManySleep.Seconds()*0.99 {
		t.Errorf("gathered sleeps = %.3f s, shorter than %v", v, cfg.ManySleep)
	}
}

func TestPythonQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("runs CPython")
	}
	if _, err := exec.LookPath(python); err != nil {
		t.Skip(python + " is missing")
	}
	cfg := execConfigFor(true)
	res := newResults()
	if err := benchPython(context.Background(), cfg, res, t.Logf); err != nil {
		t.Fatal(err)
	}
	positive(t, res, "py.e1", "py.e2", "py.e3_fork", "py.e3_spawn", "py.e4_fork", "py.e4_spawn", "py.e5", "py.e6", "py.e7",
		"py.e8_seq", "py.e8_threads", "py.e8_procs", "py.e8_gather", "py.proc_sj_fork", "py.proc_sj_spawn",
		"py.thread_sj", "py.pool_rt", "py.gather_many", "py.gather_many_rss", "py.threads_many", "py.threads_many_rss")
}

func TestPercentileAndTable(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	if got := median(xs); got != 3 {
		t.Errorf("median = %v, want 3", got)
	}
	if got := percentile([]float64{1, 2, 3, 4, 5}, 100); got != 5 {
		t.Errorf("p100 = %v, want 5", got)
	}
	if got := percentile([]float64{0, 10}, 95); got != 9.5 {
		t.Errorf("p95 of {0,10} = %v, want 9.5", got)
	}
	res := newResults()
	res.set("quire.rt_p50", 0.0005)
	res.set("ipykernel.rt_p50", 0.004)
	md := res.markdown([]row{{Name: "rt", Unit: millis, Key: "quire.rt_p50", PeerCol: "ipykernel", PeerKey: "ipykernel.rt_p50", Goal: "<= 0.70 ms", Met: atMost(0.0007)}})
	if want := "| rt | 0.50 ms | 4.00 ms |  | 0.12x | <= 0.70 ms | yes |"; !strings.Contains(md, want) {
		t.Errorf("table:\n%s\nwant a line %q", md, want)
	}
}

func TestTreeRSSCountsChildren(t *testing.T) {
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep command:", err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	time.Sleep(100 * time.Millisecond)
	self, err := treeRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	child, err := treeRSS(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	own, err := statusField(os.Getpid(), "VmRSS:")
	if err != nil {
		t.Fatal(err)
	}
	if child <= 0 || self < float64(own)/1024+child*0.5 {
		t.Errorf("tree RSS %.2f MiB, own %.2f MiB, child %.2f MiB: the child is not counted", self, float64(own)/1024, child)
	}
}
