package executors

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ProcessHost starts child processes able to find functions by name. The default host
// re-executes this program (see ChildMain); the quire kernel installs one for interpreted
// functions.
type ProcessHost interface {
	// Command returns an unstarted child that will call ServeChild. The caller sets its
	// Stdout, Stderr, ExtraFiles and SysProcAttr; Path, Args, Env and Dir are the host's.
	Command(ctx context.Context) (*exec.Cmd, error)
	// NameOf returns the name to call fn by in a child, or why fn cannot be called there.
	NameOf(fn any) (string, error)
}

var (
	hostMu sync.RWMutex
	host   ProcessHost = defaultHost{}
)

// SetProcessHost installs h for Processes, NewProcess and ProcessPool; nil restores the default.
func SetProcessHost(h ProcessHost) {
	hostMu.Lock()
	defer hostMu.Unlock()
	if h == nil {
		h = defaultHost{}
	}
	host = h
}

func currentHost() ProcessHost {
	hostMu.RLock()
	defer hostMu.RUnlock()
	return host
}

// ChildEnv is the environment variable that tells ChildMain it runs as a child.
const ChildEnv = "QUIRE_EXECUTORS_CHILD"

var (
	registryMu sync.RWMutex
	registry   = map[string]any{}
)

// Register makes top-level functions callable in child processes of the default host. Call it
// in main or TestMain before ChildMain (the child runs the same program and registers the
// same functions, then looks the name up). Closures and method values are refused.
func Register(fns ...any) error {
	registryMu.Lock()
	defer registryMu.Unlock()
	for _, fn := range fns {
		name, err := funcName(fn)
		if err != nil {
			return err
		}
		registry[name] = fn
	}
	return nil
}

// ChildMain serves the call and exits when this process was started as a child by the default
// host; otherwise it returns at once. Call it first thing in main or TestMain, after Register.
func ChildMain() {
	if os.Getenv(ChildEnv) != "1" {
		return
	}
	os.Unsetenv(ChildEnv)
	if err := ServeChild(lookupRegistered); err != nil {
		fmt.Fprintln(os.Stderr, "executors child:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func lookupRegistered(name string) (any, error) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	if fn, ok := registry[name]; ok {
		return fn, nil
	}
	return nil, fmt.Errorf("function %q is not registered in the child (call executors.Register before executors.ChildMain)", name)
}

// funcName returns the runtime name of a top-level compiled function, or why it has none.
func funcName(fn any) (string, error) {
	if n, ok := fn.(Named); ok {
		return n.Name, nil
	}
	v := reflect.ValueOf(fn)
	if !v.IsValid() || v.Kind() != reflect.Func || v.IsNil() {
		return "", fmt.Errorf("executors: %T is not a function", fn)
	}
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return "", errors.New("executors: cannot name this function")
	}
	name := f.Name()
	switch {
	case strings.HasPrefix(name, "reflect."):
		return "", errClosure("an interpreted function passed without its name (wrap it with executors.Func(\"name\", fn))")
	case strings.Contains(name, ".func"):
		return "", errClosure("a func literal (closure) " + name)
	case strings.HasSuffix(name, "-fm"):
		return "", errClosure("a method value " + strings.TrimSuffix(name, "-fm"))
	}
	return name, nil
}

func errClosure(what string) error {
	return fmt.Errorf("executors: cannot run %s in another process: a child process starts fresh "+
		"and finds the function to call by its name, and a func literal has no name and may capture "+
		"variables that only exist in this process (Python's pickle refuses lambdas for the same reason); "+
		"define it as a top-level func and pass that", what)
}

type defaultHost struct{}

func (defaultHost) Command(ctx context.Context) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), ChildEnv+"=1")
	return cmd, nil
}

func (defaultHost) NameOf(fn any) (string, error) {
	name, err := funcName(fn)
	if err != nil {
		return "", err
	}
	if _, err := lookupRegistered(name); err != nil {
		return "", fmt.Errorf("executors: %s is not registered for child processes: call executors.Register(%s) "+
			"and executors.ChildMain() first thing in main (or TestMain)", name, shortName(name))
	}
	return name, nil
}

func shortName(name string) string {
	if i := strings.LastIndex(name, "."); i >= 0 {
		return name[i+1:]
	}
	return name
}

// Wire protocol between a parent and a child (all messages are JSON objects, one per line):
//
//	fd 3 (child reads):  wireCall, one per task; EOF means "exit"
//	fd 4 (child writes): a wireResult with Ready set as soon as the child can serve calls
//	                     (after its own start-up), then one wireResult per call, in order
//	fd 1, fd 2:          the child's stdout/stderr, streamed by the parent line by line
//	fd 5...:             ends of Queue/Pipe socketpairs passed as arguments
type wireCall struct {
	ID   int               `json:"id"`
	Task string            `json:"task"`
	Name string            `json:"name"`
	Args []json.RawMessage `json:"args"`
	FDs  map[int][]int     `json:"fds,omitempty"` // argument index -> child fds of a *Queue or *Conn
}

type wireResult struct {
	ID      int               `json:"id"`
	Pid     int               `json:"pid"`
	Start   int64             `json:"start"` // unix ns
	End     int64             `json:"end"`
	Results []json.RawMessage `json:"results,omitempty"`
	Error   string            `json:"error,omitempty"`
	Panic   string            `json:"panic,omitempty"`
	Stack   string            `json:"stack,omitempty"`
	Cancel  bool              `json:"cancelled,omitempty"`
	Ready   bool              `json:"ready,omitempty"` // the first message: the child is up
	// CPU is the CPU time (ns, user+system) the child process used during the call, so that
	// the parent can count the work of children that are still alive (see liveChildCPU).
	CPU int64 `json:"cpu,omitempty"`
}

const (
	fdCalls   = 3
	fdResults = 4
	fdFirst   = 5
)

// ServeChild is the child side: it reads calls from fd 3, finds each function by name (the
// built-in workloads first, then resolve), decodes the JSON arguments into the function's
// parameter types, calls it, and writes the results, error or panic to fd 4, until fd 3 closes.
func ServeChild(resolve func(name string) (any, error)) error {
	var st syscall.Stat_t
	if syscall.Fstat(fdCalls, &st) != nil || syscall.Fstat(fdResults, &st) != nil {
		return errors.New("executors: ServeChild: fds 3 and 4 are not open; this process was not started by executors")
	}
	killGroupOnSIGTERM()
	in := os.NewFile(fdCalls, "executors-calls")
	out := os.NewFile(fdResults, "executors-results")
	defer out.Close()
	dec := json.NewDecoder(bufio.NewReader(in))
	enc := json.NewEncoder(out)
	if err := enc.Encode(wireResult{Ready: true, Pid: os.Getpid(), Start: time.Now().UnixNano()}); err != nil {
		return fmt.Errorf("executors: ServeChild: write ready: %w", err)
	}
	files := map[int]*os.File{}
	for {
		var c wireCall
		if err := dec.Decode(&c); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("executors: ServeChild: read call: %w", err)
		}
		res := serveCall(c, resolve, files)
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("executors: ServeChild: write result: %w", err)
		}
	}
}

// killGroupOnSIGTERM makes SIGTERM kill this child's whole process group, so that processes
// its jobs started die with it. The parent starts the child as a group leader with Pdeathsig
// SIGTERM: when the parent dies, even by SIGKILL, the kernel sends this child SIGTERM.
func killGroupOnSIGTERM() {
	pid := os.Getpid()
	if syscall.Getpgrp() != pid {
		return // not a group leader: keep SIGTERM's default (exit)
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	go func() {
		<-ch
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		os.Exit(128 + int(syscall.SIGTERM)) // not reached: SIGKILL ended the group, this process too
	}()
}

func serveCall(c wireCall, resolve func(string) (any, error), files map[int]*os.File) (res wireResult) {
	res = wireResult{ID: c.ID, Pid: os.Getpid(), Start: time.Now().UnixNano()}
	cpu0 := selfCPU()
	defer func() {
		res.End = time.Now().UnixNano()
		res.CPU = int64(selfCPU() - cpu0)
	}()
	fn, ok := builtins[c.Name]
	if !ok {
		var err error
		if resolve == nil {
			err = errors.New("no resolver")
		} else {
			fn, err = resolve(c.Name)
		}
		if err != nil {
			res.Error = fmt.Sprintf("child cannot find function %q: %v", c.Name, err)
			return res
		}
	}
	cl, err := newCallable(fn)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	args := make([]reflect.Value, len(c.Args))
	for i, raw := range c.Args {
		pt, err := cl.paramType(i)
		if err != nil {
			res.Error = err.Error()
			return res
		}
		if fds, ok := c.FDs[i]; ok {
			v, err := endpointFromFDs(pt, fds, files)
			if err != nil {
				res.Error = fmt.Sprintf("argument %d: %v", i+1, err)
				return res
			}
			args[i] = v
			continue
		}
		pv := reflect.New(pt)
		if err := json.Unmarshal(raw, pv.Interface()); err != nil {
			res.Error = fmt.Sprintf("argument %d of %s: cannot decode %s into %s: %v", i+1, c.Name, clip(string(raw), 40), pt, err)
			return res
		}
		if pt.Kind() == reflect.Interface && !pv.Elem().IsNil() {
			pv.Elem().Set(reflect.ValueOf(normalizeJSON(pv.Elem().Interface())))
		}
		args[i] = pv.Elem()
	}
	if !cl.variadic && len(args) != len(cl.params) {
		res.Error = fmt.Sprintf("%s takes %d argument(s), got %d", c.Name, len(cl.params), len(args))
		return res
	}
	t := &Task{ID: c.ID, Name: c.Task}
	result, err := cl.call(t, args)
	var pe *PanicError
	switch {
	case errors.As(err, &pe):
		res.Panic = fmt.Sprint(pe.Value)
		res.Stack = pe.Stack
		return res
	case errors.Is(err, ErrCancelled):
		res.Cancel = true
		return res
	case err != nil:
		res.Error = err.Error()
	}
	var vals []any
	switch len(cl.results) {
	case 0:
	case 1:
		vals = []any{result}
	default:
		vals = result.([]any)
	}
	for _, v := range vals {
		b, err := json.Marshal(v)
		if err != nil {
			res.Error = fmt.Sprintf("the result of %s (%T) cannot be sent back to the parent: %v", c.Name, v, err)
			res.Results = nil
			return res
		}
		res.Results = append(res.Results, b)
	}
	return res
}

func (c *callable) paramType(i int) (reflect.Type, error) {
	n := len(c.params)
	switch {
	case c.variadic && i >= n-1:
		return c.params[n-1].Elem(), nil
	case i < n:
		return c.params[i], nil
	}
	return nil, fmt.Errorf("%s takes %d argument(s)", c.name, n)
}

// normalizeJSON turns float64 numbers that are whole into int, recursively (values decoded
// into `any` come back as Python would give them).
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case float64:
		if x == float64(int(x)) && x > -1e15 && x < 1e15 {
			return int(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = normalizeJSON(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = normalizeJSON(x[k])
		}
		return x
	}
	return v
}

// decodeResults decodes a child's results into the function's result types.
func (c *callable) decodeResults(raws []json.RawMessage) (any, error) {
	if len(raws) != len(c.results) {
		if len(c.results) == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("child sent %d result(s), %s has %d", len(raws), c.name, len(c.results))
	}
	vals := make([]any, len(raws))
	for i, raw := range raws {
		pv := reflect.New(c.results[i])
		if err := json.Unmarshal(raw, pv.Interface()); err != nil {
			return nil, fmt.Errorf("decode result of %s: %w", c.name, err)
		}
		v := pv.Elem().Interface()
		if c.results[i].Kind() == reflect.Interface {
			v = normalizeJSON(v)
		}
		vals[i] = v
	}
	switch len(vals) {
	case 0:
		return nil, nil
	case 1:
		return vals[0], nil
	}
	return vals, nil
}

// RemoteError is an error returned by a function in a child process.
type RemoteError struct {
	Pid int
	Msg string
}

func (e *RemoteError) Error() string { return e.Msg }

// child is one running child process.
type child struct {
	cmd     *exec.Cmd
	pid     int
	calls   *os.File
	enc     *json.Encoder
	results *bufio.Reader
	dec     *json.Decoder
	output  sync.WaitGroup
	exited  chan struct{}
	waitErr error
	stop    func() bool
	ready   bool   // the child's ready message has been read
	ident   string // what the host asked to run (see cmdIdentity)
	// reported is the CPU time the child's results reported, counted in liveChildCPU until the
	// child has exited and been waited for (from then on RUSAGE_CHILDREN holds it).
	reported atomic.Int64
}

// startChild starts a child of the current host with the given extra files at fd 5 onwards.
func startChild(ctx context.Context, extra []*os.File) (*child, error) {
	cmd, err := currentHost().Command(ctx)
	if err != nil {
		return nil, fmt.Errorf("executors: process host: %w", err)
	}
	callR, callW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("executors: pipe: %w", err)
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		closeAll(callR, callW)
		return nil, fmt.Errorf("executors: pipe: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(callR, callW, resR, resW)
		return nil, fmt.Errorf("executors: pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(callR, callW, resR, resW, outR, outW)
		return nil, fmt.Errorf("executors: pipe: %w", err)
	}
	ident := cmdIdentity(cmd)
	cmd.Stdin = nil
	cmd.Stdout = outW
	cmd.Stderr = errW
	cmd.ExtraFiles = append([]*os.File{callR, resW}, extra...)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// The child leads its own process group, which holds whatever its job starts (an
	// exec.Command's process is a grandchild of this process). The group is killed as a whole:
	// on cancel (the AfterFunc below), when the child has exited (the waiter below), and, when
	// this process dies without cleaning up (a kernel interrupt kills the worker with
	// SIGKILL), by the child itself: Pdeathsig sends it SIGTERM, on which ServeChild kills its
	// group, itself included (killGroupOnSIGTERM). SIGKILL would leave the group's other
	// processes running.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
	cmd.SysProcAttr.Setpgid = true
	startErr := cmd.Start()
	closeAll(callR, resW, outW, errW)
	if startErr != nil {
		closeAll(callW, resR, outR, errR)
		return nil, fmt.Errorf("executors: start child process: %w", startErr)
	}
	c := &child{cmd: cmd, pid: cmd.Process.Pid, calls: callW, enc: json.NewEncoder(callW), exited: make(chan struct{}), ident: ident}
	c.dec = json.NewDecoder(bufio.NewReader(resR))
	prefix := fmt.Sprintf("[pid %d] ", c.pid)
	c.output.Add(2)
	go func() { defer c.output.Done(); streamLines(outR, os.Stdout, prefix) }()
	go func() { defer c.output.Done(); streamLines(errR, os.Stderr, prefix) }()
	pid := c.pid
	c.stop = context.AfterFunc(ctx, func() { syscall.Kill(-pid, syscall.SIGKILL) })
	go func() {
		c.waitErr = cmd.Wait()
		liveChildCPU.Add(-c.reported.Swap(0))
		// Processes the job started and left running die with the child: they may hold the
		// output pipes open (streamLines would wait for them) and nothing would ever stop
		// them. The group id cannot have been reused while any of them lives.
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		c.output.Wait()
		resR.Close()
		close(c.exited)
	}()
	return c, nil
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		f.Close()
	}
}

// streamLines copies r to w line by line, each line prefixed.
func streamLines(r *os.File, w *os.File, prefix string) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if !strings.HasSuffix(line, "\n") {
				line += "\n"
			}
			outMu.Lock()
			io.WriteString(w, prefix+line)
			outMu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// awaitReady reads the child's ready message once: it comes when the child has started up
// (for quire's task children, after the session is replayed).
func (c *child) awaitReady() error {
	if c.ready {
		return nil
	}
	var hello wireResult
	if err := c.dec.Decode(&hello); err != nil {
		return c.deathError(err)
	}
	if !hello.Ready {
		return fmt.Errorf("child process %d: expected its ready message, got %+v", c.pid, hello)
	}
	c.ready = true
	return nil
}

// call sends one call and waits for its result. A child that dies first yields an error that
// says how it ended.
func (c *child) call(wc wireCall) (wireResult, error) {
	if err := c.enc.Encode(wc); err != nil {
		return wireResult{}, c.deathError(fmt.Errorf("send call: %w", err))
	}
	if err := c.awaitReady(); err != nil {
		return wireResult{}, err
	}
	var res wireResult
	if err := c.dec.Decode(&res); err != nil {
		return wireResult{}, c.deathError(err)
	}
	if res.CPU > 0 {
		select {
		case <-c.exited: // already waited for: RUSAGE_CHILDREN has its CPU
		default:
			c.reported.Add(res.CPU)
			liveChildCPU.Add(res.CPU)
		}
	}
	return res, nil
}

func (c *child) deathError(cause error) error {
	select {
	case <-c.exited:
	case <-time.After(2 * time.Second):
		return fmt.Errorf("child process %d stopped answering: %v", c.pid, cause)
	}
	if c.waitErr != nil {
		return fmt.Errorf("child process %d died before returning a result: %v", c.pid, c.waitErr)
	}
	return fmt.Errorf("child process %d exited before returning a result", c.pid)
}

// close tells the child to exit, waits for it and its output, and returns its exit error.
func (c *child) close() error {
	c.calls.Close()
	<-c.exited
	c.stop()
	return c.waitErr
}

// kill kills the child's process group.
func (c *child) kill() { syscall.Kill(-c.pid, syscall.SIGKILL) }

// remoteJob is a job prepared for a child: its name, encoded arguments and local callable.
type remoteJob struct {
	p    prepared
	name string
	args []json.RawMessage
	fds  map[int][]int
}

// prepareRemote names and encodes jobs; endpoints (*Queue, *Conn) passed as arguments are
// collected into files, which every child receives at fd 5 onwards.
func prepareRemote(jobs []Job, allowEndpoints bool) ([]remoteJob, []*os.File, error) {
	ps, err := prepareJobs(jobs)
	if err != nil {
		return nil, nil, err
	}
	h := currentHost()
	var files []*os.File
	fdOf := map[*os.File]int{}
	addFile := func(f *os.File) int {
		if fd, ok := fdOf[f]; ok {
			return fd
		}
		fd := fdFirst + len(files)
		files = append(files, f)
		fdOf[f] = fd
		return fd
	}
	out := make([]remoteJob, len(ps))
	for i, p := range ps {
		fn := jobs[i].Fn
		var name string
		if n, ok := fn.(Named); ok {
			name = n.Name
		} else if name, err = h.NameOf(fn); err != nil {
			return nil, nil, fmt.Errorf("job %d: %w", i, err)
		}
		rj := remoteJob{p: p, name: name}
		for k, a := range jobs[i].Args {
			var fds []int
			switch e := a.(type) {
			case *Queue:
				fds = []int{addFile(e.put), addFile(e.get)}
			case *Conn:
				fds = []int{addFile(e.f)}
			}
			if fds != nil {
				if !allowEndpoints {
					return nil, nil, fmt.Errorf("job %d: a Queue or Pipe can only be passed to Processes or NewProcess, whose children inherit it when they start, not to a pool task (like Python's multiprocessing)", i)
				}
				if rj.fds == nil {
					rj.fds = map[int][]int{}
				}
				rj.fds[k] = fds
				rj.args = append(rj.args, json.RawMessage("null"))
				continue
			}
			b, err := json.Marshal(a)
			if err != nil {
				return nil, nil, fmt.Errorf("job %d: argument %d (%T) cannot be sent to a child process: %w", i, k+1, a, err)
			}
			rj.args = append(rj.args, b)
		}
		out[i] = rj
	}
	return out, files, nil
}

// runRemote runs one job in child c and fills its record.
func (r *run) runRemote(c *child, j remoteJob) {
	callRemote(r.ctx, c, j, &r.recs[j.p.id], r.t0)
	r.done.Add(1)
}

func callRemote(ctx context.Context, c *child, j remoteJob, rec *TaskRecord, t0 time.Time) {
	rec.ID, rec.Name, rec.Worker, rec.Pid = j.p.id, j.p.name, pidLabel(c.pid), c.pid
	sent := time.Since(t0)
	res, err := c.call(wireCall{ID: j.p.id, Task: j.p.name, Name: j.name, Args: j.args, FDs: j.fds})
	if err != nil {
		rec.Start, rec.End = sent, time.Since(t0)
		rec.Err = err
		if ctx.Err() != nil {
			rec.Err = fmt.Errorf("%w: %v", ErrCancelled, err)
		}
		return
	}
	rec.Start = time.Unix(0, res.Start).Sub(t0)
	rec.End = time.Unix(0, res.End).Sub(t0)
	switch {
	case res.Panic != "":
		rec.Err = &PanicError{Value: res.Panic, Stack: res.Stack}
	case res.Cancel:
		rec.Err = ErrCancelled
	case res.Error != "":
		rec.Err = &RemoteError{Pid: res.Pid, Msg: res.Error}
	}
	if res.Error == "" || len(res.Results) > 0 {
		v, derr := j.p.c.decodeResults(res.Results)
		if derr != nil && rec.Err == nil {
			rec.Err = derr
		}
		rec.Result = v
	}
}

// Processes runs each job in its own child process (multiprocessing.Process + start + join),
// or on Workers(n) child processes taking jobs in order. Each child has its own memory: it
// finds the function by name, gets its arguments by value (JSON) and sends its results back
// by value. Closures are refused. Each child's output is streamed with a "[pid N] " prefix.
// Children are killed when the context is cancelled and never outlive this process.
//
// At most DefaultProcessLimit() children run at a time (ProcessLimit(n) or
// QUIRE_MAX_PROCESSES change it): the other jobs wait in order, each starting in a fresh child
// when an earlier one has exited, and the report says how many waited (Report.Queued). Jobs
// that pass each other a Queue or Pipe may need to run at the same time, so they are refused,
// not queued, when there are more of them than the limit.
func Processes(args ...any) *Report {
	jobs, cfg, err := parseArgs(args)
	if err != nil {
		return errorReport("Processes", err)
	}
	rjs, files, err := prepareRemote(jobs, true)
	if err != nil {
		return errorReport("Processes", err)
	}
	workers := len(rjs)
	reuse := cfg.workers > 0 && cfg.workers < workers // Workers(n): n children, each running jobs in turn
	if reuse {
		workers = cfg.workers
	}
	limit := cfg.processLimit()
	queued := 0
	if limit > 0 && workers > limit {
		if len(files) > 0 {
			return errorReport("Processes", fmt.Errorf("executors: %d jobs are given a Queue or Pipe, but at most %d child processes "+
				"run at a time (ProcessLimit, %s): a queued job could wait forever for one that is not running yet; "+
				"pass executors.ProcessLimit(%d), or use fewer jobs", len(rjs), limit, ProcessLimitEnv, workers))
		}
		workers = limit
		queued = len(rjs) - limit
	}
	r := newRun("Processes", cfg, len(rjs))
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	var startErrs []error
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *child
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(rjs) {
					break
				}
				if c == nil {
					var err error
					if c, err = acquireChild(r.ctx, files); err != nil {
						rec := &r.recs[rjs[i].p.id]
						rec.Name, rec.Err = rjs[i].p.name, err
						r.done.Add(1)
						mu.Lock()
						startErrs = append(startErrs, err)
						mu.Unlock()
						continue
					}
				}
				r.runRemote(c, rjs[i])
				if !reuse {
					// One process per job: the next job (queued behind the limit) gets a fresh child.
					c.close()
					c = nil
				}
			}
			if c != nil {
				c.close()
			}
		}()
	}
	wg.Wait()
	rep := r.report(workers, 0, r.ctxErr())
	rep.ProcessLimit, rep.Queued = limit, queued
	if rep.Err == nil && len(startErrs) > 0 {
		rep.Err = startErrs[0]
	}
	return rep
}

// Process is one child process started and joined explicitly (multiprocessing.Process).
type Process struct {
	job     Job
	mu      sync.Mutex
	started bool
	pid     int
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	report  *Report
}

// NewProcess returns an unstarted process that will run fn(args...) in a child.
func NewProcess(fn any, args ...any) *Process {
	ctx, cancel := context.WithCancel(BaseContext())
	return &Process{job: Job{Fn: fn, Args: args}, ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// Start starts the child process; its pid is known when Start returns.
func (p *Process) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return errors.New("executors: process already started")
	}
	rjs, files, err := prepareRemote([]Job{p.job}, true)
	if err != nil {
		return err
	}
	r := newRun("Process", config{quiet: true, ctx: p.ctx}, 1)
	c, err := acquireChild(r.ctx, files)
	if err != nil {
		r.cancel()
		return err
	}
	p.started, p.pid = true, c.pid
	go func() {
		defer close(p.done)
		r.runRemote(c, rjs[0])
		c.close()
		p.report = r.report(1, 0, nil)
	}()
	return nil
}

// Pid returns the child's process id (0 before Start).
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

// Join waits for the child to finish and returns the task's error.
func (p *Process) Join() error {
	p.mu.Lock()
	started := p.started
	p.mu.Unlock()
	if !started {
		return errors.New("executors: cannot join a process before it is started")
	}
	<-p.done
	return p.report.Err
}

// Kill kills the child (Process.kill / terminate).
func (p *Process) Kill() { p.cancel() }

// IsAlive reports whether the process has started and not finished.
func (p *Process) IsAlive() bool {
	select {
	case <-p.done:
		return false
	default:
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.started
	}
}

// Result waits for the child and returns the function's result and error.
func (p *Process) Result() (any, error) {
	if err := p.Join(); err != nil && p.report == nil {
		return nil, err
	}
	rec := p.report.Records[0]
	return rec.Result, rec.Err
}

// Report waits for the child and returns the timing report.
func (p *Process) Report() *Report {
	if err := p.Join(); err != nil && p.report == nil {
		return errorReport("Process", err)
	}
	return p.report
}
