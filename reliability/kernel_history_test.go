package reliability

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
	"github.com/quire-go/quire/kernel/kerneltest"
)

// historyEntries returns the [session, line, source] triples of a history_reply.
func historyEntries(t *testing.T, r *client.Reply) [][3]any {
	t.Helper()
	list, _ := r.Content["history"].([]any)
	var out [][3]any
	for _, e := range list {
		t3, ok := e.([]any)
		if !ok || len(t3) != 3 {
			t.Fatalf("history entry %v", e)
		}
		s, _ := t3[0].(float64)
		l, _ := t3[1].(float64)
		out = append(out, [3]any{int(s), int(l), t3[2]})
	}
	return out
}

// summarize shows history entries as session:line:first 10 bytes of the source.
func summarize(es [][3]any) []string {
	var out []string
	for _, e := range es {
		src, _ := e[2].(string)
		out = append(out, strconv.Itoa(e[0].(int))+":"+strconv.Itoa(e[1].(int))+":"+src[:min(len(src), 10)])
	}
	return out
}

// TestHistoryLongCellKeepsLaterEntries runs a cell of 400,000 '<' (2.4 MB once JSON-escaped
// with HTML escaping) between two short cells, then starts a second kernel on the same history
// file: it must see all three entries of the first session (the long one kept whole, as it
// encodes within the line cap) and number its own session 2. A corrupt line put in the middle
// of the file must be skipped, not end the load.
func TestHistoryLongCellKeepsLaterEntries(t *testing.T) {
	dataDir := t.TempDir()
	k := startKernelIn(t, dataDir)
	long := "// " + strings.Repeat("<", 400_000)
	for _, code := range []string{"1 + 1", long, "2 + 2"} {
		if r := k.execute(code, time.Minute); r.Status() != "ok" {
			t.Fatalf("cell %.20q: %v", code, r.Content)
		}
	}
	k.stop()
	path := filepath.Join(dataDir, "quire", "history.jsonl")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("history file after session 1: %d bytes", fi.Size())

	k2 := startKernelIn(t, dataDir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r := k2.execute("3 + 3", time.Minute); r.Status() != "ok" {
		t.Fatalf("cell in session 2: %v", r.Content)
	}
	r, err := k2.History(ctx, kernel.HistoryQuery{HistAccessType: "range", Session: -1, Start: 1})
	if err != nil {
		t.Fatal(err)
	}
	prev := historyEntries(t, r)
	r, err = k2.History(ctx, kernel.HistoryQuery{HistAccessType: "range", Session: 0, Start: 1})
	if err != nil {
		t.Fatal(err)
	}
	cur := historyEntries(t, r)
	t.Logf("second kernel: previous session %v, current session %v", summarize(prev), summarize(cur))
	if len(prev) != 3 || prev[0] != [3]any{1, 1, "1 + 1"} || prev[2] != [3]any{1, 3, "2 + 2"} {
		t.Errorf("previous session: %v, want the 3 entries of session 1", summarize(prev))
	} else if prev[1][2] != long {
		t.Errorf("long cell not kept whole: %d bytes", len(prev[1][2].(string)))
	}
	if len(cur) != 1 || cur[0] != [3]any{2, 1, "3 + 3"} {
		t.Errorf("current session: %v, want [[2 1 \"3 + 3\"]]", cur)
	}
	k2.stop()

	// Corrupt the file: garbage and a 3 MB junk line after its first line.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first, rest, _ := strings.Cut(string(b), "\n")
	bad := first + "\n{not json\n" + strings.Repeat("x", 3<<20) + "\n" + rest
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	k3 := startKernelIn(t, dataDir)
	if r := k3.execute("4 + 4", time.Minute); r.Status() != "ok" {
		t.Fatalf("cell in session 3: %v", r.Content)
	}
	r, err = k3.History(ctx, kernel.HistoryQuery{HistAccessType: "tail", N: 10})
	if err != nil {
		t.Fatal(err)
	}
	got := summarize(historyEntries(t, r))
	t.Logf("third kernel, corrupt lines in the file: tail %v", got)
	want := []string{"1:1:1 + 1", "1:2:// <<<<<<<", "1:3:2 + 2", "2:1:3 + 3", "3:1:4 + 4"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("history after corrupt lines: %v, want %v", got, want)
	}
}

// TestHistoryGlobSearchIsLinear stores a cell of 2,000 'a' and searches the history for
// `*a*a*a*a*a*b` (exponential for a backtracking matcher): the search must answer within
// seconds, and kernel_info must answer promptly while it runs.
func TestHistoryGlobSearchIsLinear(t *testing.T) {
	k := startKernel(t)
	cell := "// " + strings.Repeat("a", 2000)
	if r := k.execute(cell, time.Minute); r.Status() != "ok" {
		t.Fatalf("cell: %v", r.Content)
	}
	q := kernel.HistoryQuery{HistAccessType: "search", Pattern: "*a*a*a*a*a*b", N: 10}
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The kernel publishes busy when it starts on the search: kernel_info goes after that.
	onIOPub, started := kerneltest.Seen(func(m *kernel.Message) bool {
		st, _ := m.ContentMap()["execution_state"].(string)
		return st == "busy"
	})
	call, err := k.RequestAsync(client.Shell, "history_request", q, true, onIOPub)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		r   *client.Reply
		err error
	}
	search := make(chan result, 1)
	go func() {
		r, err := call.Wait(ctx)
		search <- result{r, err}
	}()
	kerneltest.Wait(t, started, 5*time.Second, "the kernel did not start on the history search")
	t1 := time.Now()
	if _, err := k.KernelInfo(ctx); err != nil {
		t.Fatalf("kernel_info while a history search runs: %v (after %v)", err, time.Since(t1).Round(time.Millisecond))
	}
	info := time.Since(t1)
	res := <-search
	r, err := res.r, res.err
	if err != nil {
		t.Fatalf("history search *a*a*a*a*a*b over 2,000 'a': no reply in 5 s: %v", err)
	}
	took := time.Since(t0)
	t.Logf("glob search over a 2,000-character cell: reply in %v, kernel_info meanwhile in %v", took.Round(time.Millisecond), info.Round(time.Millisecond))
	if n := len(historyEntries(t, r)); r.Status() != "ok" || n != 0 {
		t.Errorf("search: status %q, %d entries (want ok, none)", r.Status(), n)
	}
	// A matching search still works.
	r, err = k.History(ctx, kernel.HistoryQuery{HistAccessType: "search", Pattern: "*a*a*a*a*a", N: 10})
	if err != nil || len(historyEntries(t, r)) != 1 {
		t.Errorf("search *a*a*a*a*a: %v %v", err, r.Content)
	}
}

// TestHistoryUniqueAcrossSessions: a search with unique=true returns each source once, its
// latest run, across sessions (issue 12: IPython habits).
func TestHistoryUniqueAcrossSessions(t *testing.T) {
	data := t.TempDir()
	k1 := startKernelIn(t, data)
	for _, code := range []string{"x := 1", "y := 2", "x := 1"} {
		k1.execute(code, time.Minute)
	}
	k1.stop()
	k2 := startKernelIn(t, data)
	k2.execute("x := 1", time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := k2.History(ctx, kernel.HistoryQuery{HistAccessType: "search", Pattern: "*", Unique: true})
	if err != nil {
		t.Fatal(err)
	}
	got := summarize(historyEntries(t, r))
	if strings.Join(got, " ") != "1:2:y := 2 2:1:x := 1" {
		t.Errorf("unique search: %v", got)
	}
	r, err = k2.History(ctx, kernel.HistoryQuery{HistAccessType: "tail", N: 10, Unique: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := summarize(historyEntries(t, r)); strings.Join(got, " ") != "1:2:y := 2 2:1:x := 1" {
		t.Errorf("unique tail: %v", got)
	}
}
