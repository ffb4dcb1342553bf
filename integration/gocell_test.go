package integration

import (
	"context"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel/client"
	"github.com/quire-go/quire/kernel/kerneltest"
)

func needGoToolchain(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH: compiled cells need the Go toolchain")
	}
}

// bundleKeys returns the sorted MIME types of the reply's execute_result and display_data.
func bundleKeys(r *client.Reply, msgType string) []string {
	var keys []string
	for _, m := range r.IOPub {
		if m.Header.MsgType != msgType {
			continue
		}
		var c struct {
			Data map[string]any `json:"data"`
		}
		if err := m.DecodeContent(&c); err == nil {
			for k := range c.Data {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// TestGoCellsThroughKernel: compiled cells through the real kernel over ZeroMQ.
func TestGoCellsThroughKernel(t *testing.T) {
	needGoToolchain(t)
	t.Setenv("QUIRE_GOCELL_CACHE", t.TempDir())
	c := startKernel(t)

	t.Run("generic stdlib", func(t *testing.T) {
		r := execute(t, c, "%%go\nimport (\n\t\"maps\"\n\t\"slices\"\n)\nm := map[string]int{\"pear\": 3, \"apple\": 1, \"fig\": 2}\nslices.Sorted(maps.Keys(m))")
		if r.Status() != "ok" || resultText(r) != "[apple fig pear]" {
			t.Fatalf("reply %v, Out %q", r.Content, resultText(r))
		}
	})

	t.Run("race detector", func(t *testing.T) {
		code := "%%go -race\nimport (\n\t\"fmt\"\n\t\"sync\"\n)\nvar counter int\nvar wg sync.WaitGroup\nfor range 2 {\n\twg.Add(1)\n\tgo func() {\n\t\tdefer wg.Done()\n\t\tfor range 1000 {\n\t\t\tcounter++\n\t\t}\n\t}()\n}\nwg.Wait()\nfmt.Println(\"counter:\", counter)"
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a first -race build compiles the runtime
		defer cancel()
		r, err := c.Execute(ctx, code, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := exec.LookPath("gcc"); err != nil {
			if r.Status() != "error" || !strings.Contains(r.Content["evalue"].(string), "C compiler") {
				t.Fatalf("without gcc: %v", r.Content)
			}
			t.Skip("gcc is not installed: checked the error that says so")
		}
		stderr := r.Stream("stderr")
		if r.Status() != "error" || r.Content["ename"] != "DataRace" {
			t.Fatalf("reply %v\nstderr %s", r.Content, stderr)
		}
		n := r.ExecutionCount()
		if !strings.Contains(stderr, "WARNING: DATA RACE") || !regexp.MustCompile(`cell`+strconv.Itoa(n)+`\.go:13 `).MatchString(stderr) {
			t.Errorf("the race report does not name the cell's line 13:\n%s", stderr)
		}
		if !strings.Contains(r.Stream("stdout"), "counter: ") {
			t.Errorf("stdout %q", r.Stream("stdout"))
		}
	})

	t.Run("executors report", func(t *testing.T) {
		work := "import (\n\t\"time\"\n\t\"github.com/quire-go/quire/executors\"\n)\nexecutors.Threads(executors.Repeat(3, executors.Sleep(100*time.Millisecond)))"
		ri := execute(t, c, work)
		rc := execute(t, c, "%%go\n"+work)
		if ri.Status() != "ok" || rc.Status() != "ok" {
			t.Fatalf("interpreted %v\ncompiled %v\n%s", ri.Content, rc.Content, rc.Stream("stderr"))
		}
		ki, kc := bundleKeys(ri, "execute_result"), bundleKeys(rc, "execute_result")
		if strings.Join(ki, ",") != strings.Join(kc, ",") || len(kc) < 2 {
			t.Errorf("MIME types of the report: interpreted %v, compiled %v", ki, kc)
		}
		if !strings.Contains(resultText(rc), "threads") && !strings.Contains(strings.ToLower(resultText(rc)), "thread") {
			t.Errorf("report text %q", resultText(rc))
		}
	})

	t.Run("interrupt", func(t *testing.T) {
		opts, running := kerneltest.StreamSeen("running")
		call, err := c.ExecuteAsync("%%go\nimport \"fmt\"\nfmt.Println(\"running\")\nn := 0\nfor {\n\tn++\n}", opts)
		if err != nil {
			t.Fatal(err)
		}
		kerneltest.Wait(t, running, 5*time.Minute, "the compiled cell did not start")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		t0 := time.Now()
		if _, err := c.Interrupt(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := call.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status() != "error" || r.Content["ename"] != "KeyboardInterrupt" {
			t.Fatalf("reply %v", r.Content)
		}
		if d := time.Since(t0); d > 3*time.Second {
			t.Errorf("interrupt took %v", d)
		}
		if r := execute(t, c, "1+1"); resultText(r) != "2" {
			t.Errorf("after the interrupt: %v", r.Content)
		}
	})
}
