package magic

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
	"github.com/quire-go/quire/eval"
	"github.com/quire-go/quire/lessons"
)

// fakeEnv is an eval.MagicEnv that records what magics ask of it.
type fakeEnv struct {
	execs     []string
	exec      func(code string) backend.ExecuteResult // default: ok, no value
	decls     []string
	summaries map[string]string
	history   []string
	resets    int
	lost      []string
	goGot     []string
	goGetErr  error
	aliases   []string
}

func (f *fakeEnv) Exec(ctx context.Context, code string) (backend.ExecuteResult, time.Duration) {
	f.execs = append(f.execs, code)
	f.history = append(f.history, code)
	for _, h := range helperPkgs {
		if imp := "import " + h.alias + " " + strconv.Quote(h.path); strings.Contains(code, imp) && !contains(f.aliases, h.alias) {
			f.aliases = append(f.aliases, h.alias) // the session keys imports by local name
			f.decls = append(f.decls, "import "+h.path)
		}
	}
	if f.exec != nil {
		return f.exec(code), 5 * time.Millisecond
	}
	return backend.ExecuteResult{Status: backend.StatusOK}, 5 * time.Millisecond
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (f *fakeEnv) Restart(ctx context.Context) ([]string, error) { return f.lost, nil }
func (f *fakeEnv) Reset(ctx context.Context) error {
	f.resets++
	f.decls, f.history, f.aliases = nil, nil, nil
	return nil
}
func (f *fakeEnv) Declarations() []string { return append([]string(nil), f.decls...) }
func (f *fakeEnv) Summary(name string) (string, bool) {
	s, ok := f.summaries[name]
	return s, ok
}
func (f *fakeEnv) History() []string { return f.history }
func (f *fakeEnv) GoGet(ctx context.Context, modules ...string) ([]string, error) {
	f.goGot = append(f.goGot, modules...)
	if f.goGetErr != nil {
		return nil, f.goGetErr
	}
	var out []string
	for _, m := range modules {
		out = append(out, strings.Replace(m, "@latest", "", 1)+"@v1.2.3")
	}
	return out, nil
}
func (f *fakeEnv) Request() backend.ExecuteRequest { return backend.ExecuteRequest{} }

var _ eval.MagicEnv = (*fakeEnv)(nil)

func value(text string) backend.ExecuteResult {
	return backend.ExecuteResult{Status: backend.StatusOK, Result: &backend.Display{Data: backend.Bundle{"text/plain": text}}}
}

// runMagic runs one cell through New(opts).
func runMagic(t *testing.T, m *Magics, env *fakeEnv, cell string) (backend.ExecuteResult, *fakeOut) {
	t.Helper()
	out := &fakeOut{}
	handled, res := m.Run(context.Background(), cell, env, out)
	if !handled {
		t.Fatalf("cell %q not handled", cell)
	}
	return res, out
}

func wantOK(t *testing.T, res backend.ExecuteResult) {
	t.Helper()
	if res.Status != backend.StatusOK {
		t.Fatalf("want ok, got %+v", res.Error)
	}
}

func wantErr(t *testing.T, res backend.ExecuteResult, name, value string) {
	t.Helper()
	if res.Status != backend.StatusError || res.Error == nil || res.Error.Name != name || res.Error.Value != value {
		t.Fatalf("want %s: %q, got %s %+v", name, value, res.Status, res.Error)
	}
	if len(res.Error.Traceback) == 0 || !strings.Contains(res.Error.Traceback[0], name) {
		t.Fatalf("traceback: %q", res.Error.Traceback)
	}
}

func wantEvents(t *testing.T, out *fakeOut, want ...string) {
	t.Helper()
	if got := out.events(); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
}

func TestNotAMagic(t *testing.T) {
	m := New(Options{})
	// A % line inside a raw string is Go (a % line after Go code is a line magic, see
	// TestLineMagicOnAnyLine).
	for _, cell := range []string{"", "  \n", "s := `\n%who\n`", "ok := a &&\n!b"} {
		if handled, _ := m.Run(context.Background(), cell, &fakeEnv{}, &fakeOut{}); handled {
			t.Errorf("%q handled", cell)
		}
	}
}

func TestHelp(t *testing.T) {
	m := New(Options{})
	res, out := runMagic(t, m, &fakeEnv{}, "%help")
	wantOK(t, res)
	got := out.stdout()
	if !strings.HasPrefix(got, "quire magics (cells or lines starting with % or !):\n\n  %time, %%time ") {
		t.Fatalf("%%help: %q", got)
	}
	for _, s := range m.specs {
		if !strings.Contains(got, "  "+s.forms()+" ") || !strings.Contains(got, s.summary+"\n") {
			t.Errorf("%%help lacks %s", s.forms())
		}
	}
	res, out = runMagic(t, m, &fakeEnv{}, "%help timeit")
	wantOK(t, res)
	wantEvents(t, out, "stdout:"+m.byName["timeit"].longHelp())
	if !strings.HasPrefix(out.stdout(), "%timeit [-n N] [-r R] STATEMENT  |  %%timeit [-n N] [-r R] [SETUP]\n\nmeasure the mean time per loop of Go code, over many loops.\n\nRuns the statement") {
		t.Fatalf("%%help timeit: %q", out.stdout())
	}
	for _, cell := range []string{"%time?", "%%time?", "%help %time"} {
		res, out := runMagic(t, m, &fakeEnv{}, cell)
		wantOK(t, res)
		if cell == "%help %time" {
			wantEvents(t, out, "stdout:"+m.byName["time"].longHelp())
			continue
		}
		wantEvents(t, out)
		want := []map[string]any{{"source": "page", "data": map[string]any{"text/plain": m.byName["time"].longHelp()}, "start": 0}}
		if !reflect.DeepEqual(res.Payload, want) {
			t.Fatalf("%s payload: %v", cell, res.Payload)
		}
	}
	res, _ = runMagic(t, m, &fakeEnv{}, "%help nope")
	if res.Error == nil || res.Error.Name != "UsageError" {
		t.Fatalf("%%help nope: %+v", res)
	}
}

func TestUnknown(t *testing.T) {
	m := New(Options{})
	res, _ := runMagic(t, m, &fakeEnv{}, "%tiem 1+1")
	wantErr(t, res, "UsageError", "Line magic function `%tiem` not found. Did you mean `%time`? Known: %cd, %env, %go, %help, %lesson, %pwd, %reset, %restart, %time, %timeit, %who, %whos. See %help.")
	res, _ = runMagic(t, m, &fakeEnv{}, "%%bsh\nbody")
	wantErr(t, res, "UsageError", "Cell magic function `%%bsh` not found. Did you mean `%%bash`? Known: %%bash, %%go, %%python, %%time, %%timeit, %%writefile. See %help.")
	res, _ = runMagic(t, m, &fakeEnv{}, "%bash echo hi")
	wantErr(t, res, "UsageError", "Line magic function `%bash` not found. (it exists as `%%bash`) Known: %cd, %env, %go, %help, %lesson, %pwd, %reset, %restart, %time, %timeit, %who, %whos. See %help.")
	res, _ = runMagic(t, m, &fakeEnv{}, "%ls")
	if !strings.HasPrefix(res.Error.Value, "Line magic function `%ls` not found. Known: ") {
		t.Fatalf("no suggestion expected: %q", res.Error.Value)
	}
	res, _ = runMagic(t, m, &fakeEnv{}, "%timeti")
	if !strings.HasPrefix(res.Error.Value, "Line magic function `%timeti` not found. Did you mean `%timeit`?") {
		t.Fatalf("suggestion: %q", res.Error.Value)
	}
	res, _ = runMagic(t, m, &fakeEnv{}, "!echo a\n%%bash\necho b")
	wantErr(t, res, "UsageError", "cell magic %%bash must be on the first line of its cell")
	res, _ = runMagic(t, m, &fakeEnv{}, "%xyzzyplugh")
	if !strings.HasPrefix(res.Error.Value, "Line magic function `%xyzzyplugh` not found. Known: ") {
		t.Fatalf("no suggestion expected: %q", res.Error.Value)
	}
}

func TestTime(t *testing.T) {
	m := New(Options{})
	env := &fakeEnv{exec: func(string) backend.ExecuteResult { return value("42") }}
	res, out := runMagic(t, m, env, "%time 6*7")
	wantOK(t, res)
	if !reflect.DeepEqual(env.execs, []string{"6*7"}) || res.Result.Data["text/plain"] != "42" {
		t.Fatalf("execs %q, result %v", env.execs, res.Result)
	}
	if m := timeLines.FindStringSubmatch(out.stdout()); m == nil || len(out.events()) != 1 {
		t.Fatalf("%%time output: %q", out.events())
	}
	// %%time takes the body; an error is the cell's error, without times.
	env = &fakeEnv{exec: func(string) backend.ExecuteResult { return errResult("panic", "boom") }}
	res, out = runMagic(t, m, env, "%%time\nf()\ng()")
	wantErr(t, res, "panic", "boom")
	wantEvents(t, out)
	if !reflect.DeepEqual(env.execs, []string{"f()\ng()"}) {
		t.Fatalf("execs %q", env.execs)
	}
	res, _ = runMagic(t, m, &fakeEnv{}, "%time")
	wantErr(t, res, "UsageError", "usage: %time STATEMENT or %%time with code in the cell")
	// Without /proc figures the evaluation time is reported, labelled.
	if got := timeReport(cpuSample{}, cpuSample{}, 102*time.Millisecond, 100*time.Millisecond); got != "CPU times: not available (no /proc); worker evaluation time: 100 ms\nWall time: 102 ms\n" {
		t.Fatalf("timeReport: %q", got)
	}
	before := cpuSample{ok: true, procs: map[int]procCPU{7: {start: "1", run: time.Second, utime: 80, stime: 20}}}
	after := cpuSample{ok: true, procs: map[int]procCPU{
		7: {start: "1", run: time.Second + 40*time.Millisecond, utime: 83, stime: 21, descUser: 1},
		9: {start: "5", run: 2 * time.Millisecond},
	}}
	if got := timeReport(before, after, 50*time.Millisecond, 0); got != "CPU times: user 42 ms, sys: 10 ms, total: 52 ms\nWall time: 50 ms\n" {
		t.Fatalf("timeReport: %q", got)
	}
}

func TestCPUSampleSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	cmd := command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done")
	before := sampleCPU()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	mid := sampleCPU()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if !before.ok || !mid.ok {
		t.Fatal("sampleCPU failed")
	}
	if _, found := mid.procs[cmd.Process.Pid]; !found {
		t.Fatalf("child %d not sampled: %v", cmd.Process.Pid, mid.procs)
	}
	user, sys, ok := cpuDelta(before, mid)
	if !ok || user+sys <= 0 || user+sys > 5*time.Second {
		t.Fatalf("busy child over 50 ms: user %v sys %v", user, sys)
	}
}

func TestFormatTime(t *testing.T) {
	for _, c := range []struct {
		sec  float64
		want string
	}{
		{0, "0 ns"}, {1.5e-9, "1.5 ns"}, {26.62e-9, "26.6 ns"}, {999e-9, "999 ns"}, {1.36e-6, "1.36 µs"},
		{1.234e-3, "1.23 ms"}, {0.102, "102 ms"}, {5, "5 s"}, {59.99, "60 s"}, {75, "1min 15s"},
		{3661, "1h 1min 1s"}, {90000, "1d 1h"},
	} {
		if got := formatTime(c.sec); got != c.want {
			t.Errorf("formatTime(%v) = %q, want %q", c.sec, got, c.want)
		}
	}
}

func TestTimeit(t *testing.T) {
	m := New(Options{})
	env := &fakeEnv{exec: func(string) backend.ExecuteResult {
		return value("[10000000 260000000 270000000 250000000 265000000 262000000 268000000 255000000]")
	}}
	res, out := runMagic(t, m, env, "%timeit 1+1")
	wantOK(t, res)
	wantEvents(t, out, "stdout:26.1 ns ± 0.659 ns per loop (mean ± std. dev. of 7 runs, 10,000,000 loops each)\n")
	if res.Result != nil {
		t.Fatalf("%%timeit has no value, got %v", res.Result)
	}
	code := env.execs[0]
	for _, want := range []string{"import __quire_magic_time \"time\"\nfunc() []int64 {", "\n1+1\n", "__quire_n := 0\n", "__quire_j < 7;"} {
		if !strings.Contains(code, want) {
			t.Fatalf("generated code lacks %q:\n%s", want, code)
		}
	}
	env = &fakeEnv{exec: func(string) backend.ExecuteResult { return value("[5 1000 5000]") }}
	res, out = runMagic(t, m, env, "%%timeit -n5 -r 2 s := []int{1}\nsort.Ints(s)")
	wantOK(t, res)
	wantEvents(t, out, "stdout:The slowest run took 5.00 times longer than the fastest. This could mean that an intermediate result is being cached.\n600 ns ± 400 ns per loop (mean ± std. dev. of 2 runs, 5 loops each)\n")
	code = env.execs[0]
	if !strings.Contains(code, "\ns := []int{1}\n\t\t__quire_t0") || !strings.Contains(code, "\nsort.Ints(s)\n") || !strings.Contains(code, "__quire_n := 5\n") {
		t.Fatalf("generated code:\n%s", code)
	}
	for cell, msg := range map[string]string{
		"%timeit":             "",
		"%timeit -n x 1+1":    ` (-n needs a positive integer, not "x")`,
		"%timeit -q 1+1":      " (unknown option -q)",
		"%timeit -r 0 1+1":    ` (-r needs a positive integer, not "0")`,
		"%%timeit -n 3\n  \n": "",
	} {
		res, _ := runMagic(t, m, &fakeEnv{}, cell)
		wantErr(t, res, "UsageError", "usage: "+timeitUsage+msg)
	}
	env = &fakeEnv{exec: func(string) backend.ExecuteResult { return value("[]") }}
	res, _ = runMagic(t, m, env, "%timeit f()")
	wantErr(t, res, "TimeitError", `unexpected timing result "[]"`)
	env = &fakeEnv{exec: func(string) backend.ExecuteResult { return errResult("CompileError", "undefined: f") }}
	res, _ = runMagic(t, m, env, "%timeit f()")
	wantErr(t, res, "CompileError", "undefined: f")
}

func TestShell(t *testing.T) {
	m := New(Options{Dir: t.TempDir()})
	res, out := runMagic(t, m, &fakeEnv{}, "!echo hi; echo err >&2")
	wantOK(t, res)
	if out.stdout() != "hi\n" || out.stderr() != "err\n" {
		t.Fatalf("%q", out.events())
	}
	res, out = runMagic(t, m, &fakeEnv{}, "!pwd")
	wantOK(t, res)
	wantEvents(t, out, "stdout:"+m.dir+"\n")
	res, _ = runMagic(t, m, &fakeEnv{}, "!exit 4")
	wantErr(t, res, "CalledProcessError", "Command 'exit 4' returned non-zero exit status 4.")
	res, out = runMagic(t, m, &fakeEnv{}, "%%bash\nfor i in 1 2 3; do echo line $i; done\nprintf 'no newline'\nfalse")
	wantErr(t, res, "CalledProcessError", "Command 'for i in 1 2 3; do echo line $i; done\nprintf 'no newline'\nfalse' returned non-zero exit status 1.")
	wantEvents(t, out, "stdout:line 1\nline 2\nline 3\nno newline")
	res, _ = runMagic(t, m, &fakeEnv{}, "!kill -9 $$")
	wantErr(t, res, "CalledProcessError", "Command 'kill -9 $$' died with signal 9 (killed).")
	res, _ = runMagic(t, m, &fakeEnv{}, "!")
	wantErr(t, res, "UsageError", "usage: !command")
}

func TestShellStreamsLive(t *testing.T) {
	m := New(Options{})
	out := &fakeOut{}
	done := make(chan backend.ExecuteResult)
	go func() {
		_, res := m.Run(context.Background(), "!echo first; sleep 30", &fakeEnv{}, out)
		done <- res
	}()
	if err := waitOut(out, 10*time.Second, func() bool { return out.stdout() == "first\n" }); err != nil {
		t.Fatalf("no live output (%v): %q", err, out.events())
	}
	t0 := time.Now()
	m.Interrupt()
	select {
	case res := <-done:
		wantErr(t, res, "KeyboardInterrupt", "interrupted")
		if d := time.Since(t0); d > 5*time.Second {
			t.Fatalf("interrupt took %v", d)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Interrupt did not stop the command")
	}
	// The context ends the command too.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	t0 = time.Now()
	_, res := m.Run(ctx, "%%bash\nsleep 30", &fakeEnv{}, &fakeOut{})
	if res.Status != backend.StatusError || res.Error.Name != "KeyboardInterrupt" || time.Since(t0) > 10*time.Second {
		t.Fatalf("ctx: %+v after %v", res.Error, time.Since(t0))
	}
}

func TestPython(t *testing.T) {
	m := New(Options{Python: "no-such-python-for-quire"})
	res, _ := runMagic(t, m, &fakeEnv{}, "%%python\nprint(1)")
	wantErr(t, res, "PythonNotInstalled", "Python is not installed (no no-such-python-for-quire on the kernel's PATH), so %%python cannot run this cell. The lessons quote measured CPython figures instead.")
	if _, err := osexecLookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	res, out := runMagic(t, New(Options{}), &fakeEnv{}, "%%python\nimport sys\nprint(6*7)\nprint('e', file=sys.stderr)\nsys.exit(2)")
	wantErr(t, res, "CalledProcessError", "Command 'import sys\nprint(6*7)\nprint('e', file=sys.stderr)\nsys.exit(2)' returned non-zero exit status 2.")
	if out.stdout() != "42\n" || out.stderr() != "e\n" {
		t.Fatalf("%q", out.events())
	}
}

func TestWritefile(t *testing.T) {
	dir := t.TempDir()
	m := New(Options{Dir: dir})
	res, out := runMagic(t, m, &fakeEnv{}, "%%writefile hello.go\npackage main\n")
	wantOK(t, res)
	wantEvents(t, out, "stdout:Writing hello.go\n")
	res, out = runMagic(t, m, &fakeEnv{}, "%%writefile hello.go\npackage other")
	wantOK(t, res)
	wantEvents(t, out, "stdout:Overwriting hello.go\n")
	res, out = runMagic(t, m, &fakeEnv{}, "%%writefile -a 'hello.go'\n\nfunc main() {}")
	wantOK(t, res)
	wantEvents(t, out, "stdout:Appending to hello.go\n")
	if b, _ := os.ReadFile(filepath.Join(dir, "hello.go")); string(b) != "package other\n\nfunc main() {}\n" {
		t.Fatalf("file: %q", b)
	}
	res, _ = runMagic(t, m, &fakeEnv{}, "%%writefile\nx")
	wantErr(t, res, "UsageError", "usage: %%writefile [-a] FILE")
	res, _ = runMagic(t, m, &fakeEnv{}, "%%writefile no/such/dir/f.txt\nx")
	if res.Error == nil || res.Error.Name != "OSError" || !strings.Contains(res.Error.Value, "no such file or directory") {
		t.Fatalf("%+v", res.Error)
	}
}

func TestEnv(t *testing.T) {
	m := New(Options{})
	t.Cleanup(func() { os.Unsetenv("QUIRE_MAGIC_X"); os.Unsetenv("QUIRE_MAGIC_TOKEN") })
	env := &fakeEnv{exec: func(string) backend.ExecuteResult { return value(`"ok"`) }}
	res, out := runMagic(t, m, env, "%env QUIRE_MAGIC_X=a b")
	wantOK(t, res)
	wantEvents(t, out, "stdout:env: QUIRE_MAGIC_X=a b\n")
	if os.Getenv("QUIRE_MAGIC_X") != "a b" || len(env.execs) != 1 || !strings.Contains(env.execs[0], `__quire_magic_os.Setenv("QUIRE_MAGIC_X", "a b")`) ||
		!strings.HasPrefix(env.execs[0], "import __quire_magic_os \"os\"\nfunc() string {") {
		t.Fatalf("set: %q", env.execs)
	}
	res, out = runMagic(t, m, env, "%env QUIRE_MAGIC_TOKEN 's3cret'")
	wantOK(t, res)
	wantEvents(t, out, "stdout:env: QUIRE_MAGIC_TOKEN=s3cret\n")
	res, out = runMagic(t, m, env, "%env QUIRE_MAGIC_X")
	wantOK(t, res)
	wantEvents(t, out, "stdout:a b\n")
	res, out = runMagic(t, m, env, "%env")
	wantOK(t, res)
	if s := out.stdout(); !strings.Contains(s, "\nQUIRE_MAGIC_X=a b\n") || !strings.Contains(s, "\nQUIRE_MAGIC_TOKEN=<hidden>\n") || strings.Contains(s, "s3cret") {
		t.Fatalf("%%env list: %q", s)
	}
	res, _ = runMagic(t, m, env, "%env QUIRE_MAGIC_NOT_SET")
	wantErr(t, res, "UsageError", "Environment does not have key: QUIRE_MAGIC_NOT_SET")
	res, out = runMagic(t, m, env, "%env -u QUIRE_MAGIC_X")
	wantOK(t, res)
	wantEvents(t, out, "stdout:env: unset QUIRE_MAGIC_X\n")
	if _, set := os.LookupEnv("QUIRE_MAGIC_X"); set || !strings.Contains(env.execs[len(env.execs)-1], `__quire_magic_os.Unsetenv("QUIRE_MAGIC_X")`) {
		t.Fatalf("unset: %q", env.execs)
	}
	res, _ = runMagic(t, m, env, "%env -x=1")
	wantErr(t, res, "UsageError", "usage: %env, %env NAME, %env NAME=VALUE or %env -u NAME")
	bad := &fakeEnv{exec: func(string) backend.ExecuteResult { return value(`"setenv: invalid argument"`) }}
	res, _ = runMagic(t, m, bad, "%env QUIRE_MAGIC_X=1")
	wantErr(t, res, "OSError", "setting QUIRE_MAGIC_X in the Go worker: setenv: invalid argument")
}

func TestCd(t *testing.T) {
	wd, _ := os.Getwd()
	t.Cleanup(func() { os.Chdir(wd) })
	start, dir := t.TempDir(), t.TempDir()
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	m := New(Options{Dir: start})
	env := &fakeEnv{exec: func(string) backend.ExecuteResult { return value(`"ok"`) }}
	res, out := runMagic(t, m, env, "%cd "+dir)
	wantOK(t, res)
	wantEvents(t, out, "stdout:"+dir+"\n")
	if !strings.Contains(env.execs[0], "__quire_magic_os.Chdir("+strconv.Quote(dir)+")") {
		t.Fatalf("exec: %q", env.execs)
	}
	if kwd, _ := os.Getwd(); kwd != dir {
		t.Fatalf("kernel cwd %s", kwd)
	}
	res, out = runMagic(t, m, env, "%cd sub\n%pwd\n!pwd")
	wantOK(t, res)
	sub := filepath.Join(dir, "sub")
	wantEvents(t, out, "stdout:"+sub+"\n"+sub+"\n"+sub+"\n")
	res, out = runMagic(t, m, env, "%cd -")
	wantOK(t, res)
	wantEvents(t, out, "stdout:"+dir+"\n")
	res, _ = runMagic(t, m, env, "%cd nowhere")
	wantErr(t, res, "FileNotFoundError", "no such directory: "+filepath.Join(dir, "nowhere"))
	if m.dir != dir {
		t.Fatalf("dir changed to %s", m.dir)
	}
}

func TestWhoWhosReset(t *testing.T) {
	m := New(Options{})
	env := &fakeEnv{}
	res, out := runMagic(t, m, env, "%who")
	wantOK(t, res)
	wantEvents(t, out, "stdout:Interactive namespace is empty.\n")

	env = &fakeEnv{
		decls:     []string{"import fmt", "type T", "method T.String", "func f", "var x", "const c", "var big"},
		summaries: map[string]string{"T": "type T struct { A int }", "T.String": "func (t T) String() string", "f": "func f(a, b int) (int, error)"},
		history:   []string{"cell 1"},
	}
	env.exec = func(code string) backend.ExecuteResult {
		if !strings.Contains(code, "__quire_f(big) + \"\\x01\" + __quire_f(c) + \"\\x01\" + __quire_f(x)") {
			t.Errorf("probe: %s", code)
		}
		return value(strconv.Quote("[]int\x00len 1000\x01untyped\x003.5\x01int\x0042"))
	}
	res, out = runMagic(t, m, env, "%who")
	wantOK(t, res)
	wantEvents(t, out, "stdout:T\tT.String\tbig\tc\tf\tx\n")
	res, out = runMagic(t, m, env, "%who var func")
	wantOK(t, res)
	wantEvents(t, out, "stdout:big\tf\tx\n")
	res, out = runMagic(t, m, env, "%whos")
	wantOK(t, res)
	wantEvents(t, out, "stdout:"+`Name       Kind     Type      Value/Info
-----------------------------------------------------------
T          type               type T struct { A int }
T.String   method             func (t T) String() string
big        var      []int     len 1000
c          const    untyped   3.5
f          func               func f(a, b int) (int, error)
x          var      int       42
`)
	// The helper import the probe added is hidden; the user's import is not.
	if !contains(env.decls, "import reflect") {
		t.Fatalf("fake env did not record the helper import: %q", env.decls)
	}
	res, out = runMagic(t, m, env, "%who import")
	wantOK(t, res)
	wantEvents(t, out, "stdout:fmt\n")
	// A failing probe leaves the values unknown.
	env.exec = func(string) backend.ExecuteResult { return errResult("CompileError", "x") }
	_, out = runMagic(t, m, env, "%whos var")
	wantEvents(t, out, "stdout:Name   Kind   Type   Value/Info\n-------------------------------\nbig    var    ?      ?\nx      var    ?      ?\n")

	res, out = runMagic(t, m, env, "%reset -f")
	wantOK(t, res)
	wantEvents(t, out, "stdout:Cleared 7 declarations: import fmt, type T, method T.String, func f, var x, const c, var big. The Go worker was restarted.\n")
	if env.resets != 1 {
		t.Fatal("Reset not called")
	}
	res, out = runMagic(t, m, env, "%reset")
	wantOK(t, res)
	wantEvents(t, out, "stdout:The session was empty; the Go worker was restarted.\n")
	res, _ = runMagic(t, m, env, "%reset now")
	wantErr(t, res, "UsageError", "usage: %reset [-f]")
}

func TestRestartAndGoGet(t *testing.T) {
	m := New(Options{})
	env := &fakeEnv{lost: []string{"a", "b"}}
	res, out := runMagic(t, m, env, "%restart")
	wantOK(t, res)
	wantEvents(t, out, "stdout:Restarted the Go worker and replayed the declarations.\nLost variables: a, b\n")

	res, out = runMagic(t, m, env, "%go get golang.org/x/sync@v0.7.0 example.com/m")
	wantOK(t, res)
	wantEvents(t, out, "stdout:added golang.org/x/sync@v0.7.0@v1.2.3\nadded example.com/m@v1.2.3\n")
	if !reflect.DeepEqual(env.goGot, []string{"golang.org/x/sync@v0.7.0", "example.com/m"}) {
		t.Fatalf("GoGet got %q", env.goGot)
	}
	env.goGetErr = errors.New("go get: no network")
	res, _ = runMagic(t, m, env, "%go get example.com/m")
	wantErr(t, res, "GoGetError", "go get: no network")
	res, _ = runMagic(t, m, env, "%go build")
	wantErr(t, res, "UsageError", "usage: %go get MODULE[@VERSION]...")
}

func TestLesson(t *testing.T) {
	all := lessons.List()
	if len(all) == 0 {
		t.Skip("no lessons")
	}
	m := New(Options{Dir: t.TempDir()})
	res, out := runMagic(t, m, &fakeEnv{}, "%lesson")
	wantOK(t, res)
	wantEvents(t, out, "stdout:Lessons (%lesson NAME shows the next step of one):\n\n"+lessons.ListText())

	name := all[0].Name
	steps, err := lessons.Steps(name)
	if err != nil || len(steps) < 2 {
		t.Fatalf("steps: %v %d", err, len(steps))
	}
	for i := 0; i < 2; i++ {
		res, out := runMagic(t, m, &fakeEnv{}, "%lesson "+name)
		wantOK(t, res)
		st := steps[i]
		if len(out.Displays()) != 1 || len(out.events()) != 1 {
			t.Fatalf("step %d: events %q", i+1, out.events())
		}
		md, _ := out.Displays()[0].Data["text/markdown"].(string)
		if !strings.HasPrefix(md, st.Markdown) || !strings.Contains(md, "*"+name+", step "+strconv.Itoa(i+1)+" of "+strconv.Itoa(len(steps))+".") {
			t.Fatalf("step %d markdown: %q", i+1, md)
		}
		if st.Code != "" {
			want := []map[string]any{{"source": "set_next_input", "text": st.Code, "replace": false}}
			if !reflect.DeepEqual(res.Payload, want) {
				t.Fatalf("step %d payload: %v", i+1, res.Payload)
			}
		}
	}
	// Jump to the last step.
	res, out = runMagic(t, m, &fakeEnv{}, "%lesson "+name+" "+strconv.Itoa(len(steps)))
	wantOK(t, res)
	if md, _ := out.Displays()[0].Data["text/markdown"].(string); !strings.Contains(md, "This is the last step.*") {
		t.Fatalf("last step: %q", md)
	}
	res, _ = runMagic(t, m, &fakeEnv{}, "%lesson no-such-lesson")
	if res.Error == nil || res.Error.Name != "LessonNotFound" {
		t.Fatalf("%+v", res.Error)
	}
	res, out = runMagic(t, m, &fakeEnv{}, "%lesson export out")
	wantOK(t, res)
	if !strings.HasPrefix(out.stdout(), "Exported "+strconv.Itoa(len(all))+" lesson notebook") {
		t.Fatalf("export: %q", out.stdout())
	}
	if _, err := os.Stat(filepath.Join(m.dir, "out", all[0].FileName())); err != nil {
		t.Fatal(err)
	}
	res, _ = runMagic(t, m, &fakeEnv{}, "%lesson export")
	wantErr(t, res, "UsageError", "usage: %lesson export DIR [-f]")
}

func TestMixedCell(t *testing.T) {
	m := New(Options{})
	env := &fakeEnv{exec: func(code string) backend.ExecuteResult {
		if code == "bad()" {
			return errResult("CompileError", "undefined: bad")
		}
		return value("7")
	}}
	res, out := runMagic(t, m, env, "\n!echo a\nx := 7\n  y := 1\n!echo b\nx")
	wantOK(t, res)
	wantEvents(t, out, "stdout:a\nb\n")
	if !reflect.DeepEqual(env.execs, []string{"x := 7\n  y := 1", "x"}) || res.Result.Data["text/plain"] != "7" {
		t.Fatalf("execs %q, result %v", env.execs, res.Result)
	}
	// The cell stops at the first error.
	env.execs = nil
	res, out = runMagic(t, m, env, "!echo a\nbad()\n!echo never")
	wantErr(t, res, "CompileError", "undefined: bad")
	wantEvents(t, out, "stdout:a\n")
	// A magic's value does not survive a following magic with none; a following Go chunk's does.
	res, _ = runMagic(t, m, env, "%time x\n%pwd")
	if res.Result != nil {
		t.Fatalf("value after %%pwd: %v", res.Result)
	}
}
