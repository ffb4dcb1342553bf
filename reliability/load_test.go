package reliability

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel/client"
	"github.com/quire-go/quire/kernel/kerneltest"
)

// TestLoadQueuedRequests sends 1,000 execute_requests at once: all are answered, in order,
// with execution counts 1..1000, and each prints its own number.
func TestLoadQueuedRequests(t *testing.T) {
	k := startKernel(t)
	const n = 1000
	calls := make([]*client.Call, n)
	t0 := time.Now()
	for i := range n {
		call, err := k.ExecuteAsync("print("+strconv.Itoa(i+1)+")", nil)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		calls[i] = call
	}
	sent := time.Since(t0)
	ok := 0
	prevReply := "" // date of the previous request's reply
	for i, call := range calls {
		r := wait(t, call, 2*time.Minute)
		out := r.Stream("stdout") + r.Stream("stderr")
		if r.Status() != "ok" || r.ExecutionCount() != i+1 || out != strconv.Itoa(i+1) {
			t.Fatalf("request %d: status %q, execution_count %d, output %q (want ok, %d, %q)",
				i+1, r.Status(), r.ExecutionCount(), out, i+1, strconv.Itoa(i+1))
		}
		// The kernel's timestamps (same format, so they compare as strings): this request
		// started after the previous one was answered.
		for _, m := range r.IOPub {
			if m.Type() == "execute_input" && m.Header.Date < prevReply {
				t.Fatalf("request %d started (%s) before request %d was answered (%s)", i+1, m.Header.Date, i, prevReply)
			}
		}
		prevReply = r.Msg.Header.Date
		ok++
	}
	took := time.Since(t0)
	t.Logf("queued requests: %d sent in %v; answered ok, one after the other, with execution counts 1..%d: %d in %v (%.1f ms per cell)",
		n, sent.Round(time.Millisecond), n, ok, took.Round(time.Millisecond), float64(took.Microseconds())/1000/n)
}

// TestLoadHeartbeatWhileSpinning pings the heartbeat while a cell spins on every core of the
// worker: the kernel's heartbeat runs in another process and must stay quick.
func TestLoadHeartbeatWhileSpinning(t *testing.T) {
	k := startKernel(t)
	// The spinners take the cores; the pings start once the cell says it has started them.
	opts, spinning := kerneltest.StreamSeen("spinning")
	call := k.startCell(`import "runtime"
for i := 0; i < runtime.GOMAXPROCS(0); i++ {
	go func() {
		for {
		}
	}()
}
println("spinning")
for {
}`, opts)
	kerneltest.Wait(t, spinning, 2*time.Minute, "the spinners did not start")
	var lat []time.Duration
	for range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		t0 := time.Now()
		err := k.Ping(ctx)
		d := time.Since(t0)
		cancel()
		if err != nil {
			t.Fatalf("heartbeat while spinning: %v", err)
		}
		lat = append(lat, d)
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := k.Interrupt(ctx); err != nil {
		t.Fatal(err)
	}
	if r := wait(t, call, 30*time.Second); r.Status() != "error" {
		t.Errorf("interrupted spinning cell: %v", r.Content)
	}
	med, mx := median(lat), maxDur(lat)
	t.Logf("heartbeat while a cell spins every core: 20 pings, median %v, max %v", med.Round(10*time.Microsecond), mx)
	// The goal is 50 ms for every ping; on a loaded shared CI machine a single ping can be
	// delayed by the scheduler, so the median is asserted at 50 ms and the max only at 1 s.
	if med > 50*time.Millisecond {
		t.Errorf("median heartbeat latency %v > 50 ms", med)
	}
	if mx > time.Second {
		t.Errorf("max heartbeat latency %v > 1 s", mx)
	}
	k.alive("spinning every core")
}

// TestLoadTwoClientsShareIOPub connects a second client to the kernel: each client's cell
// output reaches the other client's iopub, with the other client's request as parent.
func TestLoadTwoClientsShareIOPub(t *testing.T) {
	k := startKernel(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c2, err := client.Connect(ctx, k.ConnectionInfo())
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	seen := 0
	for i, pair := range [][2]*client.Client{{k.Client, c2}, {c2, k.Client}} {
		from, to := pair[0], pair[1]
		text := "hello from client " + strconv.Itoa(i+1)
		r := execOn(t, from, `import "fmt"`+"\nfmt.Println("+strconv.Quote(text)+")", time.Minute)
		if r.Status() != "ok" {
			t.Fatalf("client %d: %v", i+1, r.Content)
		}
		id := r.Msg.ParentHeader.MsgID
		var types []string
		got := ""
		for got != "idle" {
			m, err := to.Recv(ctx, client.IOPub)
			if err != nil {
				t.Fatalf("client %d's execution not seen by the other client (got %v): %v", i+1, types, err)
			}
			if m.ParentHeader.MsgID != id {
				continue
			}
			types = append(types, m.Type())
			if m.Type() == "stream" && m.ContentMap()["text"] != text+"\n" {
				t.Errorf("other client got stream %v", m.ContentMap())
			}
			if m.Type() == "status" {
				got, _ = m.ContentMap()["execution_state"].(string)
			}
		}
		want := []string{"status", "execute_input", "stream", "status"}
		if len(types) != len(want) {
			t.Errorf("client %d's execution seen by the other as %v, want %v", i+1, types, want)
		} else {
			seen++
		}
	}
	t.Logf("iopub shared: both clients saw the other's execution (%d of 2)", seen)
}
