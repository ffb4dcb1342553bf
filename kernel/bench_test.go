package kernel_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

// BenchmarkExecuteRoundTrip measures a trivial execute_request over real sockets, from send to
// reply plus status idle, and reports the median and 99th percentile.
func BenchmarkExecuteRoundTrip(b *testing.B) {
	h := startKernel(b, func(c *kernel.Config) { c.NoHistory = true })
	ctx := context.Background()
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		r, err := h.c.Execute(ctx, "print hi", nil)
		if err != nil || r.Status() != "ok" {
			b.Fatalf("%v %v", err, r)
		}
		lat = append(lat, time.Since(start))
	}
	reportPercentiles(b, lat)
}

// BenchmarkKernelInfoStart measures an in-process kernel from New to the client's first
// kernel_info_reply (with its status idle seen on iopub).
func BenchmarkKernelInfoStart(b *testing.B) {
	var lat []time.Duration
	for b.Loop() {
		start := time.Now()
		k, err := kernel.New(kernel.Config{Conn: testConn(), Backend: newFakeBackend(), NoHistory: true,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { k.Serve(ctx); close(done) }()
		c, err := client.Connect(ctx, k.ConnectionInfo())
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		b.StopTimer()
		c.Close()
		cancel()
		<-done
		b.StartTimer()
	}
	reportPercentiles(b, lat)
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
