package reliability

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

// floodRSSBound is the kernel process's resident memory allowed during a 1 GB output flood.
const floodRSSBound = 500 << 20

// TestFaultOutputFlood runs a cell printing 1 GB (1,000 lines of 1 MiB). The kernel must stay
// responsive (heartbeat and kernel_info from a second client answer during the flood), the
// notebook must get a truncated stream ending with a notice, and the kernel's memory must stay
// bounded. The test consumes the output as it arrives, without keeping it.
func TestFaultOutputFlood(t *testing.T) {
	k := startKernel(t)
	k.execute(`import ("fmt"; "strings")`, time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	probe, err := client.Connect(ctx, k.ConnectionInfo())
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()

	// Kernel RSS, sampled every 25 ms.
	var peakRSS atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := rssBytes(k.pid()); n > peakRSS.Load() {
				peakRSS.Store(n)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(25 * time.Millisecond):
			}
		}
	}()

	var streamBytes, streamMsgs atomic.Int64
	var mu sync.Mutex
	var lastText string
	var notices []string
	opts := &client.ExecuteOptions{DiscardStreams: true, OnIOPub: func(m *kernel.Message) {
		if m.Type() != "stream" {
			return
		}
		var c struct {
			Name, Text string
		}
		if err := m.DecodeContent(&c); err != nil {
			return
		}
		streamMsgs.Add(1)
		streamBytes.Add(int64(len(c.Text)))
		mu.Lock()
		if strings.Contains(c.Text, "output truncated") {
			notices = append(notices, c.Text[max(0, strings.Index(c.Text, "output truncated")-30):])
		}
		if c.Name == "stdout" {
			lastText = c.Text[max(0, len(c.Text)-200):]
		}
		mu.Unlock()
	}}
	t0 := time.Now()
	call, err := k.ExecuteAsync(`line := strings.Repeat("x", 1<<20-1) + "\n"
for i := 0; i < 1000; i++ {
	fmt.Print(line)
}`, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Probe the kernel from the second client until the cell ends.
	var pings, infos []time.Duration
	failed := 0
	for done := false; !done; {
		select {
		case <-call.Done():
			done = true
		case <-time.After(100 * time.Millisecond):
		}
		if done {
			break
		}
		pctx, pcancel := context.WithTimeout(context.Background(), 2*time.Second)
		p0 := time.Now()
		if err := probe.Ping(pctx); err != nil {
			failed++
			t.Errorf("heartbeat during the flood: %v", err)
		} else {
			pings = append(pings, time.Since(p0))
		}
		pcancel()
		// kernel_info's reply on shell (its status idle on iopub queues behind the flood's
		// stream messages, as slowly as the slowest subscriber reads them).
		req := probe.NewMessage("kernel_info_request", map[string]any{})
		i0 := time.Now()
		if err := probe.Send(client.Shell, req); err != nil {
			t.Fatal(err)
		}
		if m := awaitReply(probe, client.Shell, req.Header.MsgID, 5*time.Second); m == nil || m.ContentMap()["status"] != "ok" {
			failed++
			t.Errorf("kernel_info during the flood: no reply within 5 s")
		} else {
			infos = append(infos, time.Since(i0))
		}
		if time.Since(t0) > 3*time.Minute {
			t.Fatal("the flood did not end within 3 minutes")
		}
	}
	r := wait(t, call, time.Minute)
	took := time.Since(t0)
	close(stopSampling)
	<-sampled
	if r.Status() != "ok" {
		t.Errorf("flood cell: %v", r.Content)
	}
	got := streamBytes.Load()
	t.Logf("flood of 1000 MiB: %v; the notebook got %d MiB in %d stream messages; probes: %d pings (max %v), %d kernel_info (max %v), %d failed; kernel RSS peak %d MB",
		took.Round(time.Millisecond), got>>20, streamMsgs.Load(), len(pings), maxDur(pings), len(infos), maxDur(infos), failed, peakRSS.Load()>>20)
	if len(pings) == 0 || len(infos) == 0 {
		t.Error("no probe answered during the flood")
	}
	// cmd/quire keeps the kernel's default cap; the notices add a few hundred bytes.
	if got < kernel.DefaultMaxStreamBytes || got > kernel.DefaultMaxStreamBytes+4096 {
		t.Errorf("the notebook got %d bytes, want the cap of %d (plus the notices)", got, kernel.DefaultMaxStreamBytes)
	}
	mu.Lock()
	all := strings.Join(notices, "")
	dropped := "output truncated: " + strconv.Itoa(1000<<20-kernel.DefaultMaxStreamBytes) + " bytes dropped"
	if !strings.Contains(all, "the rest of its output is dropped") || !strings.Contains(all, dropped) {
		t.Errorf("truncation notices %q, want the notice at the cap and %q; end of stdout: %q", notices, dropped, lastText)
	} else {
		t.Logf("notices: %q", notices)
	}
	mu.Unlock()
	if peakRSS.Load() > floodRSSBound {
		t.Errorf("kernel RSS peaked at %d MB during the flood, bound %d MB", peakRSS.Load()>>20, floodRSSBound>>20)
	}
	k.alive("a 1 GB output flood")
	t.Logf("faults survived: 1 (1 GB of output)")
}

func maxDur(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m.Round(time.Millisecond)
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
