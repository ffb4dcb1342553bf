package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/quire-go/quire/executors"
)

// Functions child processes call by name (registered in main and TestMain).

// announceSleep is E1/E3's task: print, sleep, print.
func announceSleep(t *executors.Task, ms int) {
	t.Println("task: starting")
	t.Sleep(time.Duration(ms) * time.Millisecond)
	t.Println("task: finished")
}

// namedWorker is E2/E4's worker(name).
func namedWorker(t *executors.Task, name string, ms int) string {
	t.Printf("worker %s: starting\n", name)
	t.Sleep(time.Duration(ms) * time.Millisecond)
	t.Printf("worker %s: finished\n", name)
	return name
}

// fetchData is E6's coroutine.
func fetchData(t *executors.Task, ms int) map[string]any {
	t.Println("fetching data...")
	t.Sleep(time.Duration(ms) * time.Millisecond)
	t.Println("data fetched")
	return map[string]any{"data": 123}
}

// sleepFor sleeps ms through the model (time.sleep / await asyncio.sleep).
func sleepFor(t *executors.Task, ms int) {
	t.Sleep(time.Duration(ms) * time.Millisecond)
}

func noop() {}

func registerFuncs() error {
	return executors.Register(announceSleep, namedWorker, fetchData, sleepFor, noop)
}

// execConfig sizes the executor measurements.
type execConfig struct {
	Sleep      time.Duration // E1-E6 sleep (2 s)
	PoolSleep  time.Duration // E7 per-task sleep (1 s)
	CPUJob     time.Duration // E8 per-job CPU time (1 s)
	CPURuns    int           // E8 repetitions (best wall per model)
	ProcStarts int           // no-op processes started+joined (median)
	Spawns     int           // goroutine / thread start+join repetitions (mean)
	PoolRTs    int           // pool round trips (mean)
	Many       int           // gathered sleeps (100,000)
	ManySleep  time.Duration // their sleep (1 s)
	Threads    int           // threads x sleep (1,000)
}

func execConfigFor(quick bool) execConfig {
	if quick {
		return execConfig{Sleep: 200 * time.Millisecond, PoolSleep: 100 * time.Millisecond, CPUJob: 100 * time.Millisecond, CPURuns: 1,
			ProcStarts: 5, Spawns: 1000, PoolRTs: 1000, Many: 10000, ManySleep: 200 * time.Millisecond, Threads: 100}
	}
	return execConfig{Sleep: 2 * time.Second, PoolSleep: time.Second, CPUJob: time.Second, CPURuns: 3,
		ProcStarts: 50, Spawns: 100000, PoolRTs: 100000, Many: 100000, ManySleep: time.Second, Threads: 1000}
}

// benchExecutors runs E1-E8 and the micro-measures in compiled Go, storing values under "go.".
// Tasks print to stdout, so the caller may point os.Stdout elsewhere while it runs.
func benchExecutors(ctx context.Context, cfg execConfig, self string, res *results, logf func(string, ...any)) {
	executors.SetProgressDelay(-1)
	ms := int(cfg.Sleep.Milliseconds())
	q := executors.Quiet()
	wc := executors.WithContext(ctx)
	report := func(key string, r *executors.Report) {
		if r.Err != nil {
			res.fail(key, r.Err)
			logf("go %s: %v", key, r.Err)
			return
		}
		res.set(key, secs(r.Wall))
		logf("go %s: %s wall %.3f s (ideal %.3f s)", key, r.Model, secs(r.Wall), secs(r.Ideal))
	}
	timed := func(key string, f func() error) {
		t0 := time.Now()
		if err := f(); err != nil {
			res.fail(key, err)
			logf("go %s: %v", key, err)
			return
		}
		res.set(key, secs(time.Since(t0)))
		logf("go %s: %.3f s", key, secs(time.Since(t0)))
	}

	// E1: one thread, start then join.
	timed("go.e1", func() error {
		th := executors.NewThread(announceSleep, ms)
		if err := th.Start(); err != nil {
			return err
		}
		return th.Join()
	})
	// E2: three threads running worker(name).
	report("go.e2", executors.Threads(executors.Call(namedWorker, "A", ms), executors.Call(namedWorker, "B", ms),
		executors.Call(namedWorker, "C", ms), q, wc))
	// E3: one process, start then join.
	timed("go.e3", func() error {
		p := executors.NewProcess(announceSleep, ms)
		if err := p.Start(); err != nil {
			return err
		}
		return p.Join()
	})
	// E4: three processes running worker(name).
	report("go.e4", executors.Processes(executors.Call(namedWorker, "A", ms), executors.Call(namedWorker, "B", ms),
		executors.Call(namedWorker, "C", ms), q, wc))
	// E3 and E4 again with their children prestarted off the clock (as Python's forkserver
	// starts its server before the first Process): the start-up moves out of the run.
	if err := executors.Prestart(1); err != nil {
		res.fail("go.e3_warm", err)
	} else {
		timed("go.e3_warm", func() error {
			p := executors.NewProcess(announceSleep, ms)
			if err := p.Start(); err != nil {
				return err
			}
			return p.Join()
		})
	}
	if err := executors.Prestart(3); err != nil {
		res.fail("go.e4_warm", err)
	} else {
		report("go.e4_warm", executors.Processes(executors.Call(namedWorker, "A", ms), executors.Call(namedWorker, "B", ms),
			executors.Call(namedWorker, "C", ms), q, wc))
	}
	// E5: three coroutines awaiting sleep, gathered.
	report("go.e5", executors.Gather(executors.Repeat(3, sleepFor, ms), q, wc))
	// E6: fetch_data gathered twice.
	report("go.e6", executors.Gather(executors.Call(fetchData, ms), executors.Call(fetchData, ms), q, wc))
	// E7: a pool of 3, 5 tasks sleeping PoolSleep, results read in submission order.
	timed("go.e7", func() error {
		pool := executors.NewThreadPool(3)
		defer pool.Shutdown(true)
		pms := int(cfg.PoolSleep.Milliseconds())
		var fs []*executors.Future
		for i := 1; i <= 5; i++ {
			fs = append(fs, pool.Submit(func(t *executors.Task, n int) string {
				t.Sleep(time.Duration(pms) * time.Millisecond)
				return fmt.Sprintf("Task %d completed", n)
			}, i))
		}
		for i, f := range fs {
			v, err := f.Result()
			if err != nil {
				return err
			}
			if want := fmt.Sprintf("Task %d completed", i+1); v != want {
				return fmt.Errorf("future %d: got %v, want %q", i, v, want)
			}
		}
		return nil
	})

	// E8: 4 CPU-bound jobs of about CPUJob each, under every model, CPURuns times: the best
	// wall time of each model counts (on a loaded machine, other processes only add time).
	n := executors.PrimesFor(cfg.CPUJob)
	logf("go e8: CountPrimes(%d) is about %v of CPU", n, cfg.CPUJob)
	keys := map[string]string{"Sequential": "go.e8_seq", "Threads": "go.e8_threads", "Threads+GIL": "go.e8_gil", "Processes": "go.e8_procs", "Gather": "go.e8_gather"}
	best := map[string]time.Duration{}
	var gmp1 float64
	for run := 0; run < cfg.CPURuns; run++ {
		cmp := executors.Compare(append([]any{}, executors.Repeat(4, executors.CountPrimes(n)), q, wc),
			executors.Sequential, executors.Threads, executors.GILThreads, executors.Processes, executors.Gather)
		for _, r := range cmp.Reports {
			key, ok := keys[r.Model]
			if !ok {
				res.note("E8: unexpected model %q", r.Model)
				continue
			}
			if r.Err != nil {
				res.fail(key, r.Err)
				continue
			}
			if b, ok := best[key]; !ok || r.Wall < b {
				best[key] = r.Wall
			}
			logf("go e8 run %d %s: wall %.3f s", run+1, r.Model, secs(r.Wall))
		}
		// Threads under GOMAXPROCS=1, in a child process started with that environment.
		out, _, err := runChild(ctx, self, []string{"GOMAXPROCS=1"}, "e8-threads", strconv.Itoa(n))
		if err != nil {
			res.fail("go.e8_gmp1", err)
		} else if gmp1 == 0 || out.Wall < gmp1 {
			gmp1 = out.Wall
		}
		logf("go e8 run %d Threads GOMAXPROCS=1: wall %.3f s", run+1, out.Wall)
	}
	if seq, ok := best["go.e8_seq"]; ok {
		res.set("go.e8_seq", secs(seq))
		for key, w := range best {
			if key != "go.e8_seq" {
				res.set(key, secs(seq)/secs(w))
			}
		}
		if gmp1 > 0 {
			res.set("go.e8_gmp1", secs(seq)/gmp1)
		}
		logf("go e8 best of %d: sequential %.3f s; speedups threads %.2fx, GIL %.2fx, processes %.2fx, gather %.2fx, GOMAXPROCS=1 threads %.2fx",
			cfg.CPURuns, secs(seq), mustNum(res, "go.e8_threads"), mustNum(res, "go.e8_gil"), mustNum(res, "go.e8_procs"),
			mustNum(res, "go.e8_gather"), mustNum(res, "go.e8_gmp1"))
	}

	// Process start+join of a no-op: median.
	var ps []float64
	for i := 0; i < cfg.ProcStarts; i++ {
		t0 := time.Now()
		p := executors.NewProcess(noop)
		err := p.Start()
		if err == nil {
			err = p.Join()
		}
		if err != nil {
			res.fail("go.proc_sj", err)
			ps = nil
			break
		}
		ps = append(ps, secs(time.Since(t0)))
	}
	if len(ps) > 0 {
		res.set("go.proc_sj", median(ps))
		logf("go process start+join: median %.2f ms", median(ps)*1e3)
	}
	// The same with a child prestarted (off the clock) for each.
	ps = nil
	for i := 0; i < cfg.ProcStarts; i++ {
		err := executors.Prestart(1)
		t0 := time.Now()
		if err == nil {
			p := executors.NewProcess(noop)
			if err = p.Start(); err == nil {
				err = p.Join()
			}
		}
		if err != nil {
			res.fail("go.proc_sj_warm", err)
			ps = nil
			break
		}
		ps = append(ps, secs(time.Since(t0)))
	}
	if len(ps) > 0 {
		res.set("go.proc_sj_warm", median(ps))
		logf("go process start+join, prestarted: median %.2f ms", median(ps)*1e3)
	}
	// Goroutine start+join (go + channel) and executors.NewThread start+join: mean.
	t0 := time.Now()
	for i := 0; i < cfg.Spawns; i++ {
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
	}
	res.set("go.goroutine_sj", secs(time.Since(t0))/float64(cfg.Spawns))
	t0 = time.Now()
	for i := 0; i < cfg.Spawns; i++ {
		th := executors.NewThread(noop)
		if err := th.Start(); err != nil {
			res.fail("go.thread_sj", err)
			break
		}
		th.Join()
	}
	res.set("go.thread_sj", secs(time.Since(t0))/float64(cfg.Spawns))
	logf("go goroutine start+join %.2f us, executors.NewThread start+join %.2f us",
		mustNum(res, "go.goroutine_sj")*1e6, mustNum(res, "go.thread_sj")*1e6)
	// Pool submit -> result round trip: mean, one worker.
	pool := executors.NewThreadPool(1)
	t0 = time.Now()
	for i := 0; i < cfg.PoolRTs; i++ {
		if _, err := pool.Submit(noop).Result(); err != nil {
			res.fail("go.pool_rt", err)
			break
		}
	}
	res.set("go.pool_rt", secs(time.Since(t0))/float64(cfg.PoolRTs))
	pool.Shutdown(true)
	logf("go pool submit->result %.2f us", mustNum(res, "go.pool_rt")*1e6)

	// Many waiting tasks, each in a fresh child process so that peak RSS is the run's own.
	many := func(key, mode string, count int, d time.Duration) {
		out, maxrss, err := runChild(ctx, self, nil, mode, strconv.Itoa(count), strconv.Itoa(int(d.Milliseconds())))
		if err != nil {
			res.fail(key, err)
			res.fail(key+"_rss", err)
			logf("go %s: %v", key, err)
			return
		}
		res.set(key, out.Wall)
		res.set(key+"_rss", maxrss)
		logf("go %s: %d x %v: %.3f s, peak RSS %.1f MiB", mode, count, d, out.Wall, maxrss)
	}
	many("go.gather_many", "gather-builtin", cfg.Many, cfg.ManySleep)
	many("go.gather_many_fn", "gather-func", cfg.Many, cfg.ManySleep)
	many("go.goroutines_many", "goroutines", cfg.Many, cfg.ManySleep)
	many("go.threads_many", "threads", cfg.Threads, cfg.ManySleep)
}

func mustNum(res *results, key string) float64 {
	v, _ := res.num(key)
	return v
}

// childOut is what a benchmark child prints (JSON) on stdout.
type childOut struct {
	Wall float64 `json:"wall"`
}

// childEnv selects a child mode of this program (see childMain).
const childEnv = "QUIRE_BENCH_CHILD"

// runChild runs this program (self) in child mode with args and returns its result and peak
// RSS (MiB, from the child's rusage).
func runChild(ctx context.Context, self string, env []string, args ...string) (childOut, float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	cmd.Env = append(cmd.Env, "QUIRE_BENCH_ARGS="+mustJSON(args))
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return childOut{}, 0, fmt.Errorf("bench child %v: %w", args, err)
	}
	var out childOut
	if err := json.Unmarshal(b, &out); err != nil {
		return childOut{}, 0, fmt.Errorf("bench child %v: bad output %q: %w", args, b, err)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss float64
	if ru != nil {
		rss = float64(ru.Maxrss) / 1024 // kB on Linux
	}
	return out, rss, nil
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// childMain runs one child measurement and exits, when this process is a benchmark child.
func childMain() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv("QUIRE_BENCH_ARGS")), &args); err != nil || len(args) == 0 {
		fmt.Fprintln(os.Stderr, "bench child: bad QUIRE_BENCH_ARGS")
		os.Exit(2)
	}
	os.Unsetenv(childEnv)
	executors.SetProgressDelay(-1)
	out, err := runChildMode(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench child:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(out)
	os.Exit(0)
}

func runChildMode(args []string) (childOut, error) {
	atoi := func(i int) int {
		if i >= len(args) {
			return 0
		}
		n, _ := strconv.Atoi(args[i])
		return n
	}
	var r *executors.Report
	switch args[0] {
	case "e8-threads":
		r = executors.Threads(executors.Repeat(4, executors.CountPrimes(atoi(1))), executors.Quiet())
	case "gather-builtin":
		r = executors.Gather(executors.Repeat(atoi(1), executors.Sleep(time.Duration(atoi(2))*time.Millisecond)), executors.Quiet())
	case "gather-func":
		r = executors.Gather(executors.Repeat(atoi(1), sleepFor, atoi(2)), executors.Quiet())
	case "threads":
		r = executors.Threads(executors.Repeat(atoi(1), sleepFor, atoi(2)), executors.Quiet())
	case "goroutines":
		// Raw goroutines and time.Sleep, for reference.
		n, d := atoi(1), time.Duration(atoi(2))*time.Millisecond
		t0 := time.Now()
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); time.Sleep(d) }()
		}
		wg.Wait()
		return childOut{Wall: secs(time.Since(t0))}, nil
	default:
		return childOut{}, fmt.Errorf("unknown mode %q", args[0])
	}
	if r.Err != nil {
		return childOut{}, r.Err
	}
	return childOut{Wall: secs(r.Wall)}, nil
}
