package worker

import (
	"bytes"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"

	"github.com/quire-go/quire/eval/internal/wire"
)

// The memory limit (wire.EnvMemLimit, the kernel's --memory-limit) bounds what the process
// uses, not its address space: a Go program reserves far more address space than it touches
// (yaegi's worker reserves over 1 GiB at start), so RLIMIT_AS made every start fail below
// about 1.3 GiB. Two mechanisms instead:
//
//   - the Go runtime's soft limit (debug.SetMemoryLimit) at 90% of the limit, so the garbage
//     collector works harder as a cell approaches it and returns freed memory to the system;
//   - a watchdog that samples the process's memory (the larger of its resident set, from
//     /proc/self/statm, and the memory the Go runtime holds for its heap, stacks and
//     metadata, which counts allocated but untouched pages too) and ends the process with
//     a message naming the limit once it is exceeded.

// memoryLimit reads the limit from the environment (0: none).
func memoryLimit() uint64 {
	n, err := strconv.ParseUint(os.Getenv(EnvMemLimit), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// limitMessage is what the user sees when the limit is exceeded.
func limitMessage(limit uint64) string {
	return "cell exceeded the memory limit of " + sizeString(limit) + " (--memory-limit)"
}

// sizeString formats a byte count for people: "256 MiB", "1.5 GiB".
func sizeString(n uint64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

// memoryUse samples the process's memory use (see above).
type memoryUse struct {
	statm   *os.File
	buf     []byte
	page    uint64
	samples []metrics.Sample
}

func newMemoryUse() *memoryUse {
	m := &memoryUse{buf: make([]byte, 128), page: uint64(os.Getpagesize()), samples: []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}}
	m.statm, _ = os.Open("/proc/self/statm")
	return m
}

// resident returns the resident set size in bytes (0 if unknown).
func (m *memoryUse) resident() uint64 {
	if m.statm == nil {
		return 0
	}
	n, err := m.statm.ReadAt(m.buf, 0)
	if n == 0 && err != nil {
		return 0
	}
	// size resident shared text lib data dt, in pages
	f := bytes.Fields(m.buf[:n])
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * m.page
}

// held returns the memory the Go runtime holds from the system and has not released.
func (m *memoryUse) held() uint64 {
	metrics.Read(m.samples)
	var total, released uint64
	if m.samples[0].Value.Kind() == metrics.KindUint64 {
		total = m.samples[0].Value.Uint64()
	}
	if m.samples[1].Value.Kind() == metrics.KindUint64 {
		released = m.samples[1].Value.Uint64()
	}
	if released > total {
		return 0
	}
	return total - released
}

func (m *memoryUse) now() uint64 { return max(m.resident(), m.held()) }

// limits applies the memory limit and a small maximum stack, so runaway recursion and
// allocation end the process quickly with a clear message. exceeded is called (once, from the
// watchdog goroutine) when the memory limit is exceeded; it must end the process.
func limits(exceeded func(msg string)) {
	debug.SetMaxStack(64 << 20)
	limit := memoryLimit()
	if limit == 0 {
		return
	}
	debug.SetMemoryLimit(int64(limit / 10 * 9))
	go watchMemory(limit, exceeded)
}

// requestMemory is the sampler of checkMemory (called by one request at a time).
var requestMemory = sync.OnceValue(newMemoryUse)

// checkMemory reports whether the memory limit is exceeded now, and the message saying so.
// The worker checks at the end of every request, so a cell that allocates more than the limit
// faster than the watchdog samples fails, not the next one.
func checkMemory() (string, bool) {
	limit := memoryLimit()
	if limit == 0 {
		return "", false
	}
	if requestMemory().now() > limit {
		return limitMessage(limit), true
	}
	return "", false
}

// watchMemory samples the memory use every few milliseconds (more often near the limit) and
// calls exceeded when it passes limit.
func watchMemory(limit uint64, exceeded func(msg string)) {
	m := newMemoryUse()
	for {
		use := m.now()
		if use > limit {
			exceeded(limitMessage(limit))
			return
		}
		wait := 25 * time.Millisecond
		if use > limit/2 {
			wait = 5 * time.Millisecond
		}
		time.Sleep(wait)
	}
}

// memoryExceeded ends the worker when a cell exceeds the memory limit, telling the supervisor
// why (the output written so far is flushed first, as for a goroutine panic).
func (w *Worker) memoryExceeded(msg string) {
	debug.SetGCPercent(-1) // no more collector work: the process is about to end
	w.syncSend(wire.Event{Ev: wire.EvFatal, Error: &wire.Error{Name: "MemoryError", Value: msg}})
	os.Exit(2)
}
