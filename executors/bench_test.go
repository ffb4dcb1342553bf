package executors

import (
	"flag"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
)

// -full runs the lesson examples at their real size (2 s sleeps, 1 s CPU jobs).
var full = flag.Bool("full", false, "run E1-E8 benchmarks at full size (2 s sleeps)")

func exampleUnit() time.Duration {
	if *full {
		return time.Second
	}
	return 100 * time.Millisecond
}

// reportFidelity reports the wall time of each example against its ideal.
func reportFidelity(b *testing.B, ideal time.Duration, run func() *Report) {
	b.Helper()
	var worst time.Duration
	for i := 0; i < b.N; i++ {
		r := run()
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		worst = max(worst, r.Wall)
		b.ReportMetric(r.Wall.Seconds(), "wall-s")
		b.ReportMetric((r.Wall-ideal).Seconds()*1000, "over-ms")
	}
	b.ReportMetric(ideal.Seconds(), "ideal-s")
}

func BenchmarkE1Thread(b *testing.B) {
	u := 2 * exampleUnit()
	reportFidelity(b, u, func() *Report {
		th := NewThread(func(t *Task) { t.Sleep(u) })
		th.Start()
		th.Join()
		return th.Report()
	})
}

func BenchmarkE2Threads(b *testing.B) {
	u := 2 * exampleUnit()
	reportFidelity(b, u, func() *Report { return Threads(Repeat(3, Sleep(u))) })
}

func e3(u time.Duration) *Report {
	p := NewProcess(sleepFor, int(u/time.Millisecond))
	p.Start()
	p.Join()
	return p.Report()
}

func e4(u time.Duration) *Report { return Processes(Repeat(3, sleepFor, int(u/time.Millisecond))) }

// BenchmarkE3Process starts its child cold: exec, runtime start-up, then the call.
func BenchmarkE3Process(b *testing.B) {
	u := 2 * exampleUnit()
	reportFidelity(b, u, func() *Report { return e3(u) })
}

func BenchmarkE4Processes(b *testing.B) {
	u := 2 * exampleUnit()
	reportFidelity(b, u, func() *Report { return e4(u) })
}

// prestarted runs example with n spare children started beforehand, off the clock (as
// Python's forkserver start method pays for its server before the first Process starts).
func prestarted(b *testing.B, n int, example func() *Report) func() *Report {
	return func() *Report {
		b.StopTimer()
		if err := Prestart(n); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		return example()
	}
}

func BenchmarkE3ProcessPrestarted(b *testing.B) {
	u := 2 * exampleUnit()
	reportFidelity(b, u, prestarted(b, 1, func() *Report { return e3(u) }))
}

func BenchmarkE4ProcessesPrestarted(b *testing.B) {
	u := 2 * exampleUnit()
	reportFidelity(b, u, prestarted(b, 3, func() *Report { return e4(u) }))
}

func BenchmarkE5Gather(b *testing.B) {
	u := 2 * exampleUnit()
	reportFidelity(b, u, func() *Report { return Gather(Repeat(3, Sleep(u))) })
}

func BenchmarkE6GatherFetchData(b *testing.B) {
	u := 2 * exampleUnit()
	fetchData := func(t *Task) string {
		t.Printf("Fetching data...\n")
		t.Sleep(u)
		t.Printf("Data fetched\n")
		return "data"
	}
	reportFidelity(b, u, func() *Report { return Gather(fetchData, fetchData) })
}

func BenchmarkE7ThreadPool(b *testing.B) {
	u := exampleUnit()
	reportFidelity(b, 2*u, func() *Report {
		pool := NewThreadPool(3)
		var fs []*Future
		for i := 0; i < 5; i++ {
			fs = append(fs, pool.Submit(sleepFor, int(u/time.Millisecond)))
		}
		for _, f := range fs {
			f.Result()
		}
		pool.Shutdown(true)
		return pool.Report()
	})
}

func BenchmarkProcessStartJoin(b *testing.B) {
	for i := 0; i < b.N; i++ {
		p := NewProcess(noop)
		if err := p.Start(); err != nil {
			b.Fatal(err)
		}
		if err := p.Join(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcessStartJoinPrestarted: the same with a ready spare taken for each process.
func BenchmarkProcessStartJoinPrestarted(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := Prestart(1); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		p := NewProcess(noop)
		if err := p.Start(); err != nil {
			b.Fatal(err)
		}
		if err := p.Join(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProcessesNoop(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if r := Processes(noop); r.Err != nil {
			b.Fatal(r.Err)
		}
	}
}

func BenchmarkGoroutineStartJoin(b *testing.B) {
	for i := 0; i < b.N; i++ {
		done := make(chan struct{})
		go func() { close(done) }()
		<-done
	}
}

func BenchmarkThreadStartJoin(b *testing.B) {
	for i := 0; i < b.N; i++ {
		th := NewThread(noop)
		th.Start()
		th.Join()
	}
}

func BenchmarkThreadPoolRoundTrip(b *testing.B) {
	pool := NewThreadPool(1)
	defer pool.Shutdown(true)
	for i := 0; i < b.N; i++ {
		if _, err := pool.Submit(noop).Result(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProcessPoolRoundTrip(b *testing.B) {
	pool := NewProcessPool(1)
	defer pool.Shutdown(true)
	pool.Submit(noop).Result() // start the child
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := pool.Submit(square, 3).Result(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGather100kSleeps(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		r := Gather(Repeat(100000, Sleep(time.Second)))
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		runtime.ReadMemStats(&m1)
		b.ReportMetric(r.Wall.Seconds(), "wall-s")
		b.ReportMetric(float64(m1.Sys)/(1<<20), "sys-MiB")
	}
}

func BenchmarkThreads1kSleeps(b *testing.B) {
	for i := 0; i < b.N; i++ {
		r := Threads(Repeat(1000, Sleep(time.Second)))
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		b.ReportMetric(r.Wall.Seconds(), "wall-s")
	}
}

// E8: 4 CPU jobs of about one unit each under every model; the speedups are against Sequential.
func BenchmarkE8CPU(b *testing.B) {
	n := PrimesFor(exampleUnit())
	for i := 0; i < b.N; i++ {
		c := Compare(Repeat(4, CountPrimes(n)), Sequential, Threads, GILThreads, Processes, Gather)
		for _, r := range c.Reports {
			if r.Err != nil {
				b.Fatal(r.Model, r.Err)
			}
			b.ReportMetric(r.Speedup, r.Model+"-x")
		}
		if i == 0 {
			b.Log("\n" + c.String())
		}
	}
}

// The same with user-written coroutines: each is a goroutine switched by iter.Pull.
func BenchmarkGather100kCoroutines(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		r := Gather(Repeat(100000, func(t *Task) { t.Sleep(time.Second) }))
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		runtime.ReadMemStats(&m1)
		b.ReportMetric(r.Wall.Seconds(), "wall-s")
		b.ReportMetric(float64(m1.Sys)/(1<<20), "sys-MiB")
	}
}

// The floor under process start+join: exec this binary as a child that exits at once.
func BenchmarkRawExecChild(b *testing.B) {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), ChildEnv+"=1")
		cmd.ExtraFiles = []*os.File{null, null} // EOF on fd 3: serve nothing, exit
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
	}
}
