package main

import (
	"fmt"
	"time"

	"github.com/quire-go/quire/executors"
)

func executorsChildMain() { executors.ChildMain() }

func atMost(limit float64) func(float64) bool  { return func(v float64) bool { return v <= limit } }
func atLeast(limit float64) func(float64) bool { return func(v float64) bool { return v >= limit } }

// tableRows lists the table: kernel rows (quire vs ipykernel, goals from anchors.md) and
// executor rows (Go vs CPython, ideals from curriculum.md).
func tableRows(quick bool) []row {
	kc, ec := kernelConfigFor(quick), execConfigFor(quick)
	s := func(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }
	ideal := ec.Sleep.Seconds()
	pool := 2 * ec.PoolSleep.Seconds()
	sleepGoal := kc.Sleep.Seconds() + 0.005
	k := func(name string, u unit, key, goal string, met func(float64) bool) row {
		return row{Name: name, Unit: u, Key: "quire." + key, PeerCol: "ipykernel", PeerKey: "ipykernel." + key, Goal: goal, Met: met}
	}
	g := func(name string, u unit, key, peer, goal string, met func(float64) bool) row {
		return row{Name: name, Unit: u, Key: "go." + key, PeerCol: "CPython", PeerKey: peer, Goal: goal, Met: met}
	}
	rows := []row{
		k(fmt.Sprintf("kernel: start to first kernel_info_reply (median of %d)", kc.Starts), seconds, "start", "<= 0.10 s", atMost(0.100)),
		k(fmt.Sprintf("kernel: start to first kernel_info_reply (best of %d)", kc.Starts), seconds, "start_min", "<= 0.10 s", atMost(0.100)),
		k(fmt.Sprintf("kernel: client.Start() to ready (median of %d; 50 ms dial retry)", kc.ClientStarts), seconds, "client_start", "", nil),
		k("kernel: start to its 5 ports listening (median)", seconds, "bound", "", nil),
		k("kernel: start to first `1+1` result", seconds, "first_cell", "", nil),
		k(fmt.Sprintf("kernel: `1+1` round trip p50 (n=%d)", kc.Trivial), millis, "rt_p50", "<= 0.70 ms", atMost(0.0007)),
		k("kernel: `1+1` round trip p95", millis, "rt_p95", "", nil),
		k("kernel: `1+1` round trip p99", millis, "rt_p99", "", nil),
		{Name: fmt.Sprintf("kernel: %d printed lines, to idle", kc.Lines), Unit: seconds, Key: "quire.stream", PeerCol: "ipykernel", PeerKey: "ipykernel.stream",
			Goal: "<= 0.10 s, all in order", Met: atMost(0.100 * float64(kc.Lines) / 100000), Flags: []string{"quire.stream_ok"}, PeerFlags: []string{"ipykernel.stream_ok"}},
		k(fmt.Sprintf("kernel: 3 goroutines/threads x %s sleep cell", s(kc.Sleep)), seconds, "sleep", fmt.Sprintf("<= %.3f s", sleepGoal), atMost(sleepGoal)),
		{Name: "kernel: interrupt an endless loop (to idle)", Unit: seconds, Key: "quire.interrupt", PeerCol: "ipykernel", PeerKey: "ipykernel.interrupt",
			Goal: "<= 0.05 s, survives, declarations kept", Met: atMost(0.05),
			Flags: []string{"quire.interrupt_alive", "quire.interrupt_kept"}, PeerFlags: []string{"ipykernel.interrupt_alive", "ipykernel.interrupt_kept"}},
		k(fmt.Sprintf("kernel: restart, new process as jupyter_client does (median of %d)", kc.Restarts), seconds, "restart", "<= 0.15 s", atMost(0.15)),
		k("kernel: restart, shutdown_request to old process exited", seconds, "restart_exit", "", nil),
		k("kernel: restart, new process, to first `1+1` result", seconds, "restart_cell", "", nil),
		{Name: "kernel: restart in-process (RestartInProcess), to kernel_info_reply", Unit: seconds, Key: "inproc.restart", PeerCol: "ipykernel", Goal: "<= 0.15 s", Met: atMost(0.15)},
		{Name: "kernel: restart in-process, to first `1+1` result", Unit: seconds, Key: "inproc.restart_cell", PeerCol: "ipykernel"},
		{Name: "kernel (experiment, bench/inproc): start, worker spawned before binding, as `quire kernel`", Unit: seconds, Key: "inproc.start", PeerCol: "ipykernel"},
		{Name: "kernel (experiment, bench/inproc): start, worker spawned after binding", Unit: seconds, Key: "bindfirst.start", PeerCol: "ipykernel", Goal: "<= 0.10 s", Met: atMost(0.100)},
		k("kernel: RSS idle, kernel + children", mib, "rss_idle", "<= 30 MB", atMost(30)),
		k("kernel: RSS after the loaded cells, kernel + children", mib, "rss_loaded", "", nil),

		g(fmt.Sprintf("E1 one thread, print/sleep %s/print, start+join", s(ec.Sleep)), seconds, "e1", "py.e1", s(ec.Sleep)+" (+10 ms)", atMost(ideal+0.010)),
		g("E2 three threads worker(name), joined", seconds, "e2", "py.e2", s(ec.Sleep)+" (+10 ms)", atMost(ideal+0.010)),
		g("E3 one process, start+join (CPython fork)", seconds, "e3", "py.e3_fork", s(ec.Sleep)+" + start (+50 ms)", atMost(ideal+0.050)),
		g("E3 one process, start+join (CPython spawn)", seconds, "e3", "py.e3_spawn", s(ec.Sleep)+" + start (+50 ms)", atMost(ideal+0.050)),
		g("E4 three processes worker(name) (CPython fork)", seconds, "e4", "py.e4_fork", s(ec.Sleep)+" + start (+50 ms)", atMost(ideal+0.050)),
		g("E4 three processes worker(name) (CPython spawn)", seconds, "e4", "py.e4_spawn", s(ec.Sleep)+" + start (+50 ms)", atMost(ideal+0.050)),
		g("E3 one process, child prestarted (CPython fork)", seconds, "e3_warm", "py.e3_fork", s(ec.Sleep)+" (+10 ms)", atMost(ideal+0.010)),
		g("E4 three processes, children prestarted (CPython fork)", seconds, "e4_warm", "py.e4_fork", s(ec.Sleep)+" (+10 ms)", atMost(ideal+0.010)),
		g("E5 three coroutines await sleep, gathered", seconds, "e5", "py.e5", s(ec.Sleep)+" (+10 ms)", atMost(ideal+0.010)),
		g("E6 fetch_data() gathered twice", seconds, "e6", "py.e6", s(ec.Sleep)+" (+10 ms)", atMost(ideal+0.010)),
		g(fmt.Sprintf("E7 pool of 3, 5 x %s, results in order", s(ec.PoolSleep)), seconds, "e7", "py.e7", fmt.Sprintf("%.3f s (+10 ms)", pool), atMost(pool+0.010)),
		g(fmt.Sprintf("E8 4 CPU jobs of ~%s: Sequential wall (best of %d per model)", s(ec.CPUJob), ec.CPURuns), seconds, "e8_seq", "py.e8_seq", "", nil),
		g("E8 Threads speedup (GOMAXPROCS=2)", times, "e8_threads", "py.e8_threads", "2.00x (>= 1.90x)", atLeast(1.9)),
		g("E8 Threads speedup, GOMAXPROCS=1 (child process)", times, "e8_gmp1", "py.e8_threads", "1.00x by design", func(v float64) bool { return v <= 1.1 }),
		g("E8 GIL threads speedup", times, "e8_gil", "py.e8_threads", "1.00x by design", func(v float64) bool { return v <= 1.1 }),
		g("E8 Processes speedup", times, "e8_procs", "py.e8_procs", "2.00x (>= 1.90x)", atLeast(1.9)),
		g("E8 Gather speedup", times, "e8_gather", "py.e8_gather", "1.00x by design", func(v float64) bool { return v <= 1.1 }),
		g(fmt.Sprintf("process start+join, no-op (median of %d; CPython fork)", ec.ProcStarts), millis, "proc_sj", "py.proc_sj_fork", "", nil),
		g("process start+join, no-op (CPython spawn)", millis, "proc_sj", "py.proc_sj_spawn", "<= 15 ms", atMost(0.015)),
		g("process start+join, no-op, child prestarted (CPython fork)", millis, "proc_sj_warm", "py.proc_sj_fork", "", nil),
		g("goroutine (go + chan) vs thread start+join", micros, "goroutine_sj", "py.thread_sj", "", nil),
		g("executors.NewThread vs threading.Thread start+join", micros, "thread_sj", "py.thread_sj", "", nil),
		g("pool submit->result round trip (1 worker)", micros, "pool_rt", "py.pool_rt", "", nil),
		g(fmt.Sprintf("%d gathered sleeps of %s (built-in Sleep) vs asyncio.gather", ec.Many, s(ec.ManySleep)), seconds, "gather_many", "py.gather_many", s(ec.ManySleep), nil),
		g("  peak RSS", mib, "gather_many_rss", "py.gather_many_rss", "", nil),
		g(fmt.Sprintf("%d gathered coroutines func(t){t.Sleep} vs asyncio.gather", ec.Many), seconds, "gather_many_fn", "py.gather_many", s(ec.ManySleep), nil),
		g("  peak RSS", mib, "gather_many_fn_rss", "py.gather_many_rss", "", nil),
		g(fmt.Sprintf("%d raw goroutines time.Sleep vs asyncio.gather", ec.Many), seconds, "goroutines_many", "py.gather_many", s(ec.ManySleep), nil),
		g("  peak RSS", mib, "goroutines_many_rss", "py.gather_many_rss", "", nil),
		g(fmt.Sprintf("%d threads x %s sleep", ec.Threads, s(ec.ManySleep)), seconds, "threads_many", "py.threads_many", s(ec.ManySleep), nil),
		g("  peak RSS", mib, "threads_many_rss", "py.threads_many_rss", "", nil),
	}
	return rows
}
