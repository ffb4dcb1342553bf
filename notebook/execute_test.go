package notebook

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeKernel replays scripted iopub messages per cell source, from its own goroutine as the
// real client does.
type fakeKernel struct {
	mu          sync.Mutex
	script      map[string]fakeCell
	count       int
	ran         []string
	interrupted int
	intr        chan struct{}
}

type fakeCell struct {
	msgs   []Msg
	status string // "ok" when empty
	hang   bool   // never reply (until ctx ends)
}

func (k *fakeKernel) Execute(ctx context.Context, code string, onMsg func(Msg)) (Reply, error) {
	k.mu.Lock()
	k.count++
	n := k.count
	k.ran = append(k.ran, code)
	fc, ok := k.script[code]
	k.mu.Unlock()
	if !ok {
		fc = fakeCell{}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		onMsg(Msg{Type: "status", Content: map[string]any{"execution_state": "busy"}})
		onMsg(Msg{Type: "execute_input", Content: map[string]any{"code": code, "execution_count": float64(n)}})
		for _, m := range fc.msgs {
			if m.Type == "execute_result" {
				m.Content["execution_count"] = float64(n)
			}
			onMsg(m)
		}
	}()
	<-done
	if fc.hang {
		k.mu.Lock()
		if k.intr == nil {
			k.intr = make(chan struct{}, 1)
		}
		intr := k.intr
		k.mu.Unlock()
		select {
		case <-ctx.Done():
			return Reply{}, ctx.Err()
		case <-intr:
			onMsg(errMsg("interrupted", "the cell was interrupted"))
			return Reply{Status: "error", ExecutionCount: n, Content: map[string]any{"status": "error"}}, nil
		}
	}
	status := fc.status
	if status == "" {
		status = "ok"
	}
	content := map[string]any{"status": status, "execution_count": float64(n)}
	if status == "error" {
		content["ename"], content["evalue"] = "panic", "boom"
	}
	return Reply{Status: status, ExecutionCount: n, Content: content}, nil
}

func (k *fakeKernel) Interrupt(ctx context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.interrupted++
	if k.intr == nil {
		k.intr = make(chan struct{}, 1)
	}
	select {
	case k.intr <- struct{}{}:
	default:
	}
	return nil
}

func stream(name, text string) Msg {
	return Msg{Type: "stream", Content: map[string]any{"name": name, "text": text}}
}

func display(id, text string) Msg {
	c := map[string]any{"data": map[string]any{"text/plain": text}, "metadata": map[string]any{}}
	if id != "" {
		c["transient"] = map[string]any{"display_id": id}
	}
	return Msg{Type: "display_data", Content: c}
}

func update(id, text string) Msg {
	m := display(id, text)
	m.Type = "update_display_data"
	return m
}

func clearOutput(wait bool) Msg {
	return Msg{Type: "clear_output", Content: map[string]any{"wait": wait}}
}

func errMsg(name, value string) Msg {
	return Msg{Type: "error", Content: map[string]any{"ename": name, "evalue": value, "traceback": []any{name + ": " + value, "\tcell 1, line 1"}}}
}

func notebookOf(sources ...string) *Notebook {
	nb := New()
	for _, s := range sources {
		if strings.HasPrefix(s, "# ") {
			nb.Cells = append(nb.Cells, NewMarkdown(s))
		} else {
			nb.Cells = append(nb.Cells, NewCode(s))
		}
	}
	return nb
}

func TestExecuteMergesStreams(t *testing.T) {
	k := &fakeKernel{script: map[string]fakeCell{
		"print": {msgs: []Msg{
			stream("stdout", "a\n"), stream("stdout", "b"), stream("stdout", "c\n"),
			stream("stderr", "warn\n"), stream("stdout", "d\n"),
			stream("stdout", "10%\r"), stream("stdout", "50%\r"), stream("stdout", "100%\n"),
			stream("stdout", "abx\bc\n"),
		}},
	}}
	nb := notebookOf("print")
	if err := Execute(context.Background(), nb, k, ExecOptions{}); err != nil {
		t.Fatal(err)
	}
	outs := nb.Cells[0].Outputs
	if len(outs) != 3 {
		t.Fatalf("got %d outputs, want 3 (stdout, stderr, stdout): %+v", len(outs), outs)
	}
	if outs[0].Text != "a\nbc\n" || outs[1].Name != "stderr" || outs[1].Text != "warn\n" {
		t.Errorf("outputs: %+v", outs)
	}
	if outs[2].Text != "d\n100%\nabc\n" {
		t.Errorf("carriage return / backspace handling: %q", outs[2].Text)
	}
	if ec := nb.Cells[0].ExecutionCount; ec == nil || *ec != 1 {
		t.Errorf("execution count %v", ec)
	}
}

func TestExecuteResultAndDisplays(t *testing.T) {
	k := &fakeKernel{script: map[string]fakeCell{
		"show": {msgs: []Msg{
			display("bar", "0%"),
			display("", "static"),
			update("bar", "40%"),
			{Type: "execute_result", Content: map[string]any{"data": map[string]any{"text/plain": "42", "text/html": []any{"<b>42</b>"}}, "metadata": map[string]any{}}},
		}},
		"later": {msgs: []Msg{update("bar", "100%"), stream("stdout", "done\n")}},
	}}
	nb := notebookOf("show", "# Notes", "later")
	if err := Execute(context.Background(), nb, k, ExecOptions{}); err != nil {
		t.Fatal(err)
	}
	outs := nb.Cells[0].Outputs
	if len(outs) != 3 {
		t.Fatalf("got %d outputs: %+v", len(outs), outs)
	}
	if outs[0].Data["text/plain"] != "100%" {
		t.Errorf("display updated from a later cell should read 100%%, got %v", outs[0].Data["text/plain"])
	}
	if outs[1].Data["text/plain"] != "static" {
		t.Errorf("display without id changed: %v", outs[1].Data)
	}
	if outs[2].OutputType != ExecuteResult || *outs[2].ExecutionCount != 1 || outs[2].Data["text/html"] != "<b>42</b>" {
		t.Errorf("execute_result: %+v", outs[2])
	}
	if got := nb.Cells[2].Outputs; len(got) != 1 || got[0].Text != "done\n" {
		t.Errorf("the updating cell should only hold its own stream, got %+v", got)
	}
}

func TestExecuteClearOutput(t *testing.T) {
	k := &fakeKernel{script: map[string]fakeCell{
		"now": {msgs: []Msg{stream("stdout", "old\n"), display("d", "x"), clearOutput(false), stream("stdout", "new\n"), update("d", "gone")}},
		"wait": {msgs: []Msg{
			stream("stdout", "frame 1\n"), clearOutput(true),
			update("nothing", "ignored"), // updates do not trigger a pending clear
			stream("stdout", "frame 2\n"), clearOutput(true), clearOutput(true),
			display("", "frame 3"),
		}},
		"wait-at-end": {msgs: []Msg{stream("stdout", "kept\n"), clearOutput(true)}},
	}}
	nb := notebookOf("now", "wait", "wait-at-end")
	if err := Execute(context.Background(), nb, k, ExecOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := nb.Cells[0].Outputs; len(got) != 1 || got[0].Text != "new\n" {
		t.Errorf("clear_output: got %+v", got)
	}
	if got := nb.Cells[1].Outputs; len(got) != 1 || got[0].Data["text/plain"] != "frame 3" {
		t.Errorf("clear_output(wait): got %+v", got)
	}
	if got := nb.Cells[2].Outputs; len(got) != 1 || got[0].Text != "kept\n" {
		t.Errorf("a pending clear with no later output must keep the output, got %+v", got)
	}
}

func TestExecuteStopsAtFirstError(t *testing.T) {
	script := map[string]fakeCell{
		"bad": {msgs: []Msg{stream("stdout", "before\n"), errMsg("panic", "boom")}, status: "error"},
	}
	k := &fakeKernel{script: script}
	nb := notebookOf("ok1", "bad", "ok2")
	err := Execute(context.Background(), nb, k, ExecOptions{})
	var ce *CellError
	if !errors.As(err, &ce) || ce.Index != 1 || ce.EName != "panic" || ce.EValue != "boom" || ce.ExecutionCount != 2 {
		t.Fatalf("err = %#v", err)
	}
	if got := err.Error(); got != "cell 2 (In [2]): panic: boom" {
		t.Errorf("message %q", got)
	}
	if len(k.ran) != 2 {
		t.Errorf("ran %q; the cell after the error must not run", k.ran)
	}
	if got := nb.Cells[1].Outputs; len(got) != 2 || got[1].OutputType != Error || got[1].Traceback[1] != "\tcell 1, line 1" {
		t.Errorf("error output: %+v", got)
	}

	k = &fakeKernel{script: script}
	nb = notebookOf("ok1", "bad", "ok2")
	if err := Execute(context.Background(), nb, k, ExecOptions{AllowErrors: true}); err != nil {
		t.Fatalf("AllowErrors: %v", err)
	}
	if len(k.ran) != 3 {
		t.Errorf("AllowErrors ran %q", k.ran)
	}

	k = &fakeKernel{script: script}
	nb = notebookOf("ok1", "bad", "ok2")
	nb.Cells[1].Metadata["tags"] = []any{"raises-exception"}
	if err := Execute(context.Background(), nb, k, ExecOptions{}); err != nil || len(k.ran) != 3 {
		t.Errorf("raises-exception tag: err %v, ran %q", err, k.ran)
	}
}

func TestExecuteErrorReplyWithoutErrorMessage(t *testing.T) {
	k := &fakeKernel{script: map[string]fakeCell{"bad": {status: "error"}}}
	nb := notebookOf("bad")
	err := Execute(context.Background(), nb, k, ExecOptions{})
	var ce *CellError
	if !errors.As(err, &ce) || ce.EValue != "boom" {
		t.Fatalf("err = %v", err)
	}
	if o := nb.Cells[0].Outputs; len(o) != 1 || o[0].EName != "panic" {
		t.Errorf("the reply's error should become an output: %+v", o)
	}
}

func TestExecuteTimeoutInterrupts(t *testing.T) {
	k := &fakeKernel{script: map[string]fakeCell{"slow": {msgs: []Msg{stream("stdout", "started\n")}, hang: true}}}
	nb := notebookOf("slow", "next")
	err := Execute(context.Background(), nb, k, ExecOptions{Timeout: 50 * time.Millisecond, AllowErrors: true})
	if err != nil {
		t.Fatal(err)
	}
	if k.interrupted != 1 || len(k.ran) != 2 {
		t.Errorf("interrupted %d times, ran %q", k.interrupted, k.ran)
	}
	outs := nb.Cells[0].Outputs
	if len(outs) != 3 || outs[0].Text != "started\n" || outs[1].EName != "interrupted" || outs[2].EName != "CellTimeoutError" {
		t.Errorf("outputs %+v", outs)
	}

	k = &fakeKernel{script: k.script}
	err = Execute(context.Background(), notebookOf("slow", "next"), k, ExecOptions{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) || len(k.ran) != 1 {
		t.Errorf("err %v, ran %q", err, k.ran)
	}

	// A kernel that cannot be interrupted ends the run even with AllowErrors.
	nk := noInterrupt{&fakeKernel{script: k.script}}
	err = Execute(context.Background(), notebookOf("slow", "next"), nk, ExecOptions{Timeout: 50 * time.Millisecond, AllowErrors: true})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "cannot be interrupted") || len(nk.k.ran) != 1 {
		t.Errorf("err %v, ran %q", err, nk.k.ran)
	}
}

type noInterrupt struct{ k *fakeKernel }

func (n noInterrupt) Execute(ctx context.Context, code string, onMsg func(Msg)) (Reply, error) {
	return n.k.Execute(ctx, code, onMsg)
}

func TestExecuteSkipsEmptyAndTextCells(t *testing.T) {
	k := &fakeKernel{}
	nb := notebookOf("# Title", "  \n", "x")
	nb.Cells[1].Outputs = []Output{{OutputType: Stream, Name: "stdout", Text: "stale"}}
	var kinds []EventKind
	err := Execute(context.Background(), nb, k, ExecOptions{OnEvent: func(e Event) { kinds = append(kinds, e.Kind) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.ran) != 1 || k.ran[0] != "x" {
		t.Errorf("ran %q", k.ran)
	}
	if nb.Cells[1].Outputs != nil {
		t.Errorf("stale outputs kept on an empty cell")
	}
	want := []EventKind{TextCell, CellStarted, CellInput, CellFinished}
	if len(kinds) != len(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
}

func TestExecuteKernelFailure(t *testing.T) {
	nb := notebookOf("x")
	err := Execute(context.Background(), nb, failingKernel{}, ExecOptions{AllowErrors: true})
	if err == nil || !strings.Contains(err.Error(), "kernel process exited") {
		t.Fatalf("err = %v", err)
	}
}

type failingKernel struct{}

func (failingKernel) Execute(context.Context, string, func(Msg)) (Reply, error) {
	return Reply{}, errors.New("kernel process exited")
}

func TestExecuteStreamAfterClearStartsFresh(t *testing.T) {
	k := &fakeKernel{script: map[string]fakeCell{
		"c": {msgs: []Msg{stream("stdout", "a"), stream("stdout", "b"), clearOutput(false), stream("stdout", "c"), stream("stdout", "d\n")}},
	}}
	nb := notebookOf("c")
	if err := Execute(context.Background(), nb, k, ExecOptions{}); err != nil {
		t.Fatal(err)
	}
	if o := nb.Cells[0].Outputs; len(o) != 1 || o[0].Text != "cd\n" {
		t.Errorf("outputs %+v", o)
	}
}

// BenchmarkExecuteManyChunks measures a cell printing 20,000 small chunks (linear merging).
func BenchmarkExecuteManyChunks(b *testing.B) {
	msgs := make([]Msg, 20000)
	for i := range msgs {
		msgs[i] = stream("stdout", "line of output number i\n")
	}
	for b.Loop() {
		k := &fakeKernel{script: map[string]fakeCell{"p": {msgs: msgs}}}
		nb := notebookOf("p")
		if err := Execute(context.Background(), nb, k, ExecOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
