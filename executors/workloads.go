package executors

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// builtins are the workload functions every child process knows by name.
var builtins = map[string]any{
	"executors.Sleep":       sleepTask,
	"executors.CountPrimes": countPrimesTask,
	"executors.Fetch":       fetchTask,
}

func sleepTask(t *Task, d time.Duration) { t.Sleep(d) }

func countPrimesTask(t *Task, n int) int { return countPrimes(t, n) }

func fetchTask(t *Task, url string) (string, error) { return t.Fetch(url) }

// Sleep is an I/O-like job: it waits d through Task.Sleep, so it releases the GIL and yields
// under Gather.
func Sleep(d time.Duration) Job {
	return Job{Fn: Func("executors.Sleep", sleepTask), Args: []any{d}, Name: "sleep " + d.String()}
}

// CountPrimes is a CPU-bound job: it counts the primes below n by trial division, calling
// Task.Checkpoint as it goes (so the GIL switches, but Gather is blocked). Size n with
// PrimesFor.
func CountPrimes(n int) Job {
	return Job{Fn: Func("executors.CountPrimes", countPrimesTask), Args: []any{n}, Name: fmt.Sprintf("primes<%d", n)}
}

// Fetch is an I/O-bound job: GET url (see StartServer) and return the body.
func Fetch(url string) Job {
	return Job{Fn: Func("executors.Fetch", fetchTask), Args: []any{url}, Name: "fetch"}
}

// Primes returns the number of primes below n, by trial division (plain CPU work).
func Primes(n int) int { return countPrimes(nil, n) }

func countPrimes(t *Task, n int) int {
	count := 0
	for k := 2; k < n; k++ {
		if t != nil && k&255 == 0 {
			t.Checkpoint()
		}
		prime := true
		for d := 2; d*d <= k; d++ {
			if k%d == 0 {
				prime = false
				break
			}
		}
		if prime {
			count++
		}
	}
	return count
}

var (
	calibMu   sync.Mutex
	calibN    int
	calibTime time.Duration
)

// PrimesFor returns the n for which CountPrimes(n) takes about d of CPU time on this machine
// (one core). The machine is measured once (about 0.2 s of CPU, timed with the thread's CPU
// clock so that a loaded machine does not skew it) and the result is scaled.
func PrimesFor(d time.Duration) int {
	calibMu.Lock()
	defer calibMu.Unlock()
	if calibN == 0 {
		runtime.LockOSThread()
		n := 20000
		for {
			best := time.Duration(math.MaxInt64)
			for range 3 {
				c0 := threadCPU()
				countPrimes(nil, n)
				best = min(best, threadCPU()-c0)
			}
			if best >= 30*time.Millisecond || n > 1<<30 {
				calibN, calibTime = n, best
				break
			}
			n *= 2
		}
		runtime.UnlockOSThread()
	}
	// Trial division up to sqrt(k) costs about n^1.5 in total.
	ratio := float64(d) / float64(calibTime)
	return int(float64(calibN) * math.Pow(ratio, 1/1.5))
}

// threadCPU returns the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// Server is a local HTTP server for Fetch workloads: every request waits Delay (or the
// ?delay= query parameter, a Go duration) before answering, like a slow remote API.
type Server struct {
	URL      string // base URL, http://127.0.0.1:port/
	srv      *http.Server
	delay    atomic.Int64
	requests atomic.Int64
}

// StartServer starts a server on 127.0.0.1 (a free port) answering after delay.
func StartServer(delay time.Duration) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("executors: start server: %w", err)
	}
	s := &Server{URL: "http://" + ln.Addr().String() + "/"}
	s.delay.Store(int64(delay))
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Println("executors: server:", err)
		}
	}()
	return s, nil
}

func (s *Server) serve(w http.ResponseWriter, req *http.Request) {
	n := s.requests.Add(1)
	d := time.Duration(s.delay.Load())
	if q := req.URL.Query().Get("delay"); q != "" {
		if qd, err := time.ParseDuration(q); err == nil {
			d = qd
		}
	}
	if d > 0 {
		tm := time.NewTimer(d)
		select {
		case <-tm.C:
		case <-req.Context().Done():
			tm.Stop()
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "response %d from %s after %s", n, req.URL.Path, d)
}

// SetDelay changes the delay of later requests.
func (s *Server) SetDelay(d time.Duration) { s.delay.Store(int64(d)) }

// Requests returns how many requests the server has received.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Close stops the server.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}
