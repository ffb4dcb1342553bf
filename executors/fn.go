package executors

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Named pairs a top-level function with the name a child process can find it by. The kernel's
// cell rewriter wraps bare top-level function identifiers passed to this package's APIs as
// Func("worker", worker). Build it with Func: a Named composite literal written in an
// interpreted cell does not carry a callable function.
type Named struct {
	Name string
	Fn   any
}

// Func returns fn named name (see Named).
func Func(name string, fn any) Named {
	if n, ok := fn.(Named); ok { // already wrapped
		fn = n.Fn
	}
	return Named{Name: name, Fn: fn}
}

// FuncParamCallees lists the functions ("Name") and methods ("Type.Method") of this package
// whose arguments may be top-level function identifiers: a cell rewriter wraps such identifiers
// as executors.Func("name", name) so that Processes and ProcessPool can call them by name in a
// child process. Wrapping is harmless for the other models.
var FuncParamCallees = []string{
	"Call", "Each", "Repeat",
	"Sequential", "Threads", "GILThreads", "Processes", "Gather", "Compare",
	"NewThread", "NewProcess",
	"ThreadPool.Submit", "ThreadPool.Map", "ProcessPool.Submit", "ProcessPool.Map",
	"Task.Go",
}

// Job is one task: a function (a func value or a Named) and its arguments.
type Job struct {
	Fn   any
	Args []any
	Name string // label in reports; defaults to the function's name and index
}

// Call returns the job fn(args...).
func Call(fn any, args ...any) Job { return Job{Fn: fn, Args: args} }

// Each returns one job per argument: fn(args[0]), fn(args[1]), ... (Python: one Thread per name).
func Each(fn any, args ...any) []Job {
	jobs := make([]Job, len(args))
	for i, a := range args {
		jobs[i] = Job{Fn: fn, Args: []any{a}, Name: fmt.Sprint(a)}
	}
	return jobs
}

// Repeat returns n identical jobs fn(args...); fn may also be a Job (Repeat(4, CountPrimes(n))).
func Repeat(n int, fn any, args ...any) []Job {
	base := Job{Fn: fn, Args: args}
	if j, ok := fn.(Job); ok {
		base = j
		base.Args = append(append([]any(nil), j.Args...), args...)
	}
	jobs := make([]Job, max(n, 0))
	for i := range jobs {
		jobs[i] = base
		if base.Name != "" {
			jobs[i].Name = fmt.Sprintf("%s#%d", base.Name, i)
		}
	}
	return jobs
}

// Option changes how a model runs. Pass options among the jobs of a model call.
type Option struct{ apply func(*config) }

type config struct {
	workers          int
	gil              bool
	switchInterval   time.Duration
	ctx              context.Context
	returnExceptions bool
	label            string
	quiet            bool
	maxProcs         int
	procLimit        int  // ProcessLimit's n
	procLimitSet     bool // a ProcessLimit option was given
}

// Workers limits how many tasks run at once (a pool of n workers). 0 means one per task.
func Workers(n int) Option { return Option{func(c *config) { c.workers = n }} }

// GIL makes Threads serialise like CPython's global interpreter lock: one task runs at a time,
// and the lock is released while a task waits in a Task helper (Sleep, Fetch, Await...) or, at
// the switch interval, in Task.Checkpoint (called by the built-in CPU workloads).
func GIL() Option { return Option{func(c *config) { c.gil = true }} }

// SwitchInterval sets the GIL switch interval (CPython's sys.setswitchinterval, default 5 ms).
func SwitchInterval(d time.Duration) Option {
	return Option{func(c *config) { c.switchInterval = d }}
}

// WithContext runs the model under ctx: cancelling it cancels tasks at their next await point
// and kills child processes.
func WithContext(ctx context.Context) Option { return Option{func(c *config) { c.ctx = ctx }} }

// ReturnExceptions makes Gather wait for every coroutine and collect every error
// (asyncio.gather(..., return_exceptions=True)) instead of cancelling the rest at the first error.
func ReturnExceptions() Option { return Option{func(c *config) { c.returnExceptions = true }} }

// Label sets the model name shown in the report.
func Label(name string) Option { return Option{func(c *config) { c.label = name }} }

// MaxProcs runs the model with runtime.GOMAXPROCS(n) and restores the previous value after
// (process-wide while it runs). MaxProcs(1) gives goroutines the GIL's shape: concurrency
// without parallelism.
func MaxProcs(n int) Option { return Option{func(c *config) { c.maxProcs = n }} }

// Quiet turns off the live progress display of long runs.
func Quiet() Option { return Option{func(c *config) { c.quiet = true }} }

// parseArgs splits a model's arguments into jobs and options. Accepted: Job, []Job, Named,
// func values, Option, []any (spread), and an int n directly followed by a function (n copies).
func parseArgs(args []any) ([]Job, config, error) {
	cfg := config{switchInterval: 5 * time.Millisecond}
	var jobs []Job
	for i := 0; i < len(args); i++ {
		switch a := args[i].(type) {
		case nil:
			return nil, cfg, fmt.Errorf("executors: argument %d is nil; pass a function, a Job or an Option", i+1)
		case Option:
			if a.apply != nil {
				a.apply(&cfg)
			}
		case []Option:
			for _, o := range a {
				if o.apply != nil {
					o.apply(&cfg)
				}
			}
		case Job:
			jobs = append(jobs, a)
		case []Job:
			jobs = append(jobs, a...)
		case []any:
			more, c2, err := parseArgs(a)
			if err != nil {
				return nil, cfg, err
			}
			jobs = append(jobs, more...)
			mergeConfig(&cfg, c2)
		case Named:
			jobs = append(jobs, Job{Fn: a})
		case int:
			if i+1 < len(args) {
				if j, ok := args[i+1].(Job); ok {
					jobs = append(jobs, Repeat(a, j)...)
					i++
					continue
				}
			}
			if i+1 >= len(args) || !isFuncLike(args[i+1]) {
				return nil, cfg, fmt.Errorf("executors: argument %d is the count %d, which must be followed by the function to repeat", i+1, a)
			}
			jobs = append(jobs, Repeat(a, args[i+1])...)
			i++
		default:
			if !isFuncLike(a) {
				return nil, cfg, fmt.Errorf("executors: argument %d has type %T; pass a function, a Job (executors.Call), []Job (executors.Each, Repeat) or an Option", i+1, a)
			}
			jobs = append(jobs, Job{Fn: a})
		}
	}
	return jobs, cfg, nil
}

func mergeConfig(dst *config, src config) {
	if src.workers != 0 {
		dst.workers = src.workers
	}
	dst.gil = dst.gil || src.gil
	if src.ctx != nil {
		dst.ctx = src.ctx
	}
	dst.returnExceptions = dst.returnExceptions || src.returnExceptions
	if src.label != "" {
		dst.label = src.label
	}
	dst.quiet = dst.quiet || src.quiet
	if src.maxProcs != 0 {
		dst.maxProcs = src.maxProcs
	}
}

func isFuncLike(v any) bool {
	if _, ok := v.(Named); ok {
		return true
	}
	return v != nil && reflect.TypeOf(v).Kind() == reflect.Func
}

var (
	taskType  = reflect.TypeOf((*Task)(nil))
	errorType = reflect.TypeOf((*error)(nil)).Elem()
)

// callable is a validated user function.
type callable struct {
	v         reflect.Value
	name      string // display name
	named     string // Named.Name, if given
	takesTask bool
	params    []reflect.Type // excluding the *Task
	variadic  bool
	results   []reflect.Type // excluding a trailing error
	hasErr    bool
	// fast calls common signatures without reflect (smaller stacks, no allocation);
	// its arguments are already converted to the parameter types.
	fast func(t *Task, args []any) (any, error)
}

// fastPath returns a direct caller for the most common function shapes, or nil.
func fastPath(fn any) func(t *Task, args []any) (any, error) {
	switch f := fn.(type) {
	case func():
		return func(*Task, []any) (any, error) { f(); return nil, nil }
	case func() error:
		return func(*Task, []any) (any, error) { return nil, f() }
	case func(*Task):
		return func(t *Task, _ []any) (any, error) { f(t); return nil, nil }
	case func(*Task) error:
		return func(t *Task, _ []any) (any, error) { return nil, f(t) }
	case func(*Task, time.Duration):
		return func(t *Task, a []any) (any, error) { f(t, a[0].(time.Duration)); return nil, nil }
	case func(*Task, int) int:
		return func(t *Task, a []any) (any, error) { return f(t, a[0].(int)), nil }
	case func(*Task, string) (string, error):
		return func(t *Task, a []any) (any, error) { return f(t, a[0].(string)) }
	}
	return nil
}

// newCallable checks that fn is a function this package can call: a func value (or a Named
// holding one) taking optionally a *Task first, then any parameters, and returning nothing,
// a value, an error, or (value, error).
func newCallable(fn any) (*callable, error) {
	c := &callable{}
	for {
		n, ok := fn.(Named)
		if !ok {
			break
		}
		if c.named == "" {
			c.named, c.name = n.Name, n.Name
		}
		fn = n.Fn
	}
	if fn == nil {
		return nil, errors.New("executors: the function is nil")
	}
	v := reflect.ValueOf(fn)
	if v.Kind() != reflect.Func {
		if c.named != "" {
			return nil, fmt.Errorf("executors: Named %q holds a %T, not a function (build it with executors.Func(name, fn))", c.named, fn)
		}
		return nil, fmt.Errorf("executors: expected a function, got %T", fn)
	}
	if v.IsNil() {
		return nil, errors.New("executors: the function is nil")
	}
	c.v = v
	c.fast = fastPath(fn)
	t := v.Type()
	in := 0
	if t.NumIn() > 0 && t.In(0) == taskType {
		c.takesTask = true
		in = 1
	}
	for ; in < t.NumIn(); in++ {
		c.params = append(c.params, t.In(in))
	}
	c.variadic = t.IsVariadic()
	for i := 0; i < t.NumOut(); i++ {
		if i == t.NumOut()-1 && t.Out(i) == errorType {
			c.hasErr = true
			continue
		}
		c.results = append(c.results, t.Out(i))
	}
	if c.name == "" {
		c.name = shortFuncName(v)
	}
	return c, nil
}

// shortFuncName returns "worker" for main.worker, "func" for literals and interpreted funcs.
func shortFuncName(v reflect.Value) string {
	f := runtime.FuncForPC(v.Pointer())
	if f == nil {
		return "func"
	}
	name := f.Name()
	if strings.HasPrefix(name, "reflect.") || strings.Contains(name, ".func") {
		return "func"
	}
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.Index(name, "."); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSuffix(name, "-fm")
}

// argValues converts args to the parameter types, with clear errors.
func (c *callable) argValues(args []any) ([]reflect.Value, error) {
	n := len(c.params)
	if c.variadic {
		if len(args) < n-1 {
			return nil, fmt.Errorf("executors: %s takes at least %d argument(s) (%s), got %d", c.name, n-1, c.signature(), len(args))
		}
	} else if len(args) != n {
		return nil, fmt.Errorf("executors: %s takes %d argument(s) (%s), got %d", c.name, n, c.signature(), len(args))
	}
	out := make([]reflect.Value, len(args))
	for i, a := range args {
		var pt reflect.Type
		if c.variadic && i >= n-1 {
			pt = c.params[n-1].Elem()
		} else {
			pt = c.params[i]
		}
		v, err := convertArg(a, pt)
		if err != nil {
			return nil, fmt.Errorf("executors: argument %d of %s: %w", i+1, c.name, err)
		}
		out[i] = v
	}
	return out, nil
}

func convertArg(a any, pt reflect.Type) (reflect.Value, error) {
	if a == nil {
		switch pt.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Slice, reflect.Map, reflect.Func, reflect.Chan:
			return reflect.Zero(pt), nil
		}
		return reflect.Value{}, fmt.Errorf("nil cannot be a %s", pt)
	}
	v := reflect.ValueOf(a)
	if v.Type().AssignableTo(pt) {
		return v, nil
	}
	if isNumber(v.Kind()) && isNumber(pt.Kind()) || v.Type().ConvertibleTo(pt) && v.Kind() == pt.Kind() {
		return v.Convert(pt), nil
	}
	return reflect.Value{}, fmt.Errorf("%T cannot be used as %s", a, pt)
}

func isNumber(k reflect.Kind) bool {
	return k >= reflect.Int && k <= reflect.Float64
}

func (c *callable) signature() string {
	parts := make([]string, 0, len(c.params)+1)
	if c.takesTask {
		parts = append(parts, "*Task")
	}
	for i, p := range c.params {
		if c.variadic && i == len(c.params)-1 {
			parts = append(parts, "..."+p.Elem().String())
			continue
		}
		parts = append(parts, p.String())
	}
	return "func(" + strings.Join(parts, ", ") + ")"
}

// PanicError is the error of a task that panicked.
type PanicError struct {
	Value any    // the value passed to panic
	Stack string // the goroutine's stack at the panic (may be empty for child processes)
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// ErrCancelled is the error of a task cancelled before or while it ran (asyncio.CancelledError,
// Future.cancel).
var ErrCancelled = errors.New("task cancelled")

// cancelSignal is the panic value that unwinds a cancelled task from an await point. Its
// message matches net/http.ErrAbortHandler on purpose: yaegi v0.16.1 prints a "panic: ..." line
// for every interpreted frame a panic unwinds unless the value's Error() is exactly that string,
// and a cancellation is not a crash worth reporting. It never reaches users: call recovers it.
type cancelSignal struct{}

func (cancelSignal) Error() string { return "net/http: abort Handler" }

// call runs the function, converting its results. A panic becomes a *PanicError; a cancelled
// await point becomes ErrCancelled.
func (c *callable) call(t *Task, args []reflect.Value) (result any, err error) {
	return c.callWith(t, args, nil)
}

// callWith is call with, optionally, the same arguments as converted values for the fast path.
func (c *callable) callWith(t *Task, args []reflect.Value, vals []any) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(cancelSignal); ok {
				result, err = nil, ErrCancelled
				return
			}
			result, err = nil, &PanicError{Value: unwrapPanic(r), Stack: string(debug.Stack())}
		}
	}()
	if c.fast != nil && vals != nil {
		return c.fast(t, vals)
	}
	in := args
	if c.takesTask {
		in = append([]reflect.Value{reflect.ValueOf(t)}, args...)
	}
	out := c.v.Call(in)
	if c.hasErr {
		if e := out[len(out)-1]; !e.IsNil() {
			err = e.Interface().(error)
		}
		out = out[:len(out)-1]
	}
	switch len(out) {
	case 0:
		return nil, err
	case 1:
		return out[0].Interface(), err
	}
	results := make([]any, len(out))
	for i, o := range out {
		results[i] = o.Interface()
	}
	return results, err
}

// unwrapPanic turns yaegi's reflect.Value panic payloads into the user's value.
func unwrapPanic(r any) any {
	if v, ok := r.(reflect.Value); ok && v.IsValid() && v.CanInterface() {
		return v.Interface()
	}
	return r
}

// prepared is a job ready to run.
type prepared struct {
	id   int
	name string
	c    *callable
	args []reflect.Value
	vals []any // args as values, for the fast path (nil without one)
}

// invoke calls the prepared job.
func (p *prepared) invoke(t *Task) (any, error) { return p.c.callWith(t, p.args, p.vals) }

func prepareJobs(jobs []Job) ([]prepared, error) {
	out := make([]prepared, len(jobs))
	cache := map[string]*callable{} // built-in workloads, checked once (100,000 Sleep jobs)
	for i, j := range jobs {
		c, err := cachedCallable(j.Fn, cache)
		if err != nil {
			return nil, fmt.Errorf("job %d: %w", i, err)
		}
		args, err := c.argValues(j.Args)
		if err != nil {
			return nil, fmt.Errorf("job %d: %w", i, err)
		}
		name := j.Name
		if name == "" {
			name = fmt.Sprintf("%s#%d", c.name, i)
		}
		out[i] = prepared{id: i, name: name, c: c, args: args}
		if c.fast != nil {
			out[i].vals = make([]any, len(args))
			for k, a := range args {
				out[i].vals[k] = a.Interface()
			}
		}
	}
	return out, nil
}

// cachedCallable is newCallable, reusing the result for the built-in workloads (top-level
// functions, so the same name and code pointer mean the same function).
func cachedCallable(fn any, cache map[string]*callable) (*callable, error) {
	n, ok := fn.(Named)
	if !ok {
		return newCallable(fn)
	}
	b, ok := builtins[n.Name]
	if !ok || n.Fn == nil || reflect.TypeOf(n.Fn) != reflect.TypeOf(b) ||
		reflect.ValueOf(n.Fn).Pointer() != reflect.ValueOf(b).Pointer() {
		return newCallable(fn)
	}
	if c, ok := cache[n.Name]; ok {
		return c, nil
	}
	c, err := newCallable(fn)
	if err == nil {
		cache[n.Name] = c
	}
	return c, err
}
