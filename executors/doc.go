// Package executors is the compiled engine of quire's concurrency lessons: it runs the same
// jobs under the models Python programmers know, at native speed, and measures them.
//
// # Models
//
//   - Sequential: one job after the other, in the calling goroutine (the baseline).
//   - Threads (threading.Thread + join): a goroutine per job, all joined; Workers(n) bounds them.
//     Goroutines run in parallel up to GOMAXPROCS. With GIL() (or GILThreads) they behave like
//     CPython threads: a fair global lock lets one job run at a time; a job releases it while it
//     waits in a Task helper (Sleep, Fetch, Await, Blocking, Yield) and, once the switch interval
//     (5 ms) has passed and another job waits, in Task.Checkpoint, which the built-in CPU
//     workload calls as CPython's eval loop checks its "drop request". CPU-bound jobs therefore
//     get about 1.0x while sleeping jobs still overlap. Code that neither calls a helper nor
//     Checkpoint keeps the lock until it returns (like a C extension that does not release it).
//   - Processes (multiprocessing.Process, spawn): each job runs in a child OS process with its
//     own memory. The child finds the function by name and gets its arguments by value (JSON);
//     results, errors and panics come back by value. A func literal is refused (like pickle
//     refuses lambdas). The child's stdout and stderr are streamed to this process's, each line
//     prefixed "[pid N] ". Each child leads its own process group, which holds whatever its job
//     starts (exec.Command's processes): the group is killed when the run's context is
//     cancelled, when the child exits, and, when the parent dies (even by SIGKILL, as an
//     interrupt kills the quire worker), by the child itself on the SIGTERM that Pdeathsig
//     sends it; so neither children nor their children outlive the parent. At most
//     DefaultProcessLimit() children run at a time (8 per CPU, at least 16, fewer when memory is
//     short; ProcessLimit(n) or QUIRE_MAX_PROCESSES=n to change, 0 for no limit); the other
//     jobs wait in order, each started in a fresh child when one has exited, and the report
//     says how many were queued. A queued task's start time is when it really started.
//   - Gather (asyncio.run(asyncio.gather(...))): coroutines on a single-threaded cooperative
//     event loop. Exactly one coroutine runs at a time, switching only at await points (the Task
//     helpers); a coroutine that computes, or calls time.Sleep, blocks all the others. Each
//     coroutine is a goroutine driven by iter.Pull (a direct switch, never two running at once);
//     sleeps are entries in one timer heap. Built-in Sleep jobs run as stackless state machines.
//     Task.Go starts another coroutine on the same loop (asyncio.create_task); Task.Await waits
//     for it, or for any Future. The first error cancels the rest (each unwinds at its await point with ErrCancelled) unless
//     ReturnExceptions() is given.
//   - ThreadPool and ProcessPool (concurrent.futures): Submit returns a *Future at once; Result,
//     ResultTimeout, Done, Cancel (only before the job starts), AsCompleted, Wait, WaitFirst, Map,
//     Shutdown. A panic in a job becomes the future's error; it never crashes the process.
//   - Compare runs one workload under several models and tabulates and charts the wall times.
//
// Options: Workers(n), GIL(), SwitchInterval(d), MaxProcs(n) (GOMAXPROCS for the run: MaxProcs(1)
// gives goroutines the GIL's shape), ProcessLimit(n) (children of Processes at a time),
// WithContext(ctx), ReturnExceptions(), Label(name), Quiet().
// Runs without WithContext use BaseContext, which the quire worker sets to the running cell's
// context (SetBaseContext) so that an interrupt cancels tasks and kills children. Task.Sleep and
// the built-in sleeps are multiplied by Scale (QUIRE_LESSON_SCALE, for fast test runs of lessons).
//
// Each run returns a *Report (wall time, CPU time, per-task start/end/worker, speedup, ideal,
// overhead, results, errors) that renders itself as text, an HTML table, an SVG timeline and a
// Jupyter MIME bundle. Runs longer than a second show a live progress display (package display).
//
// # Jobs and functions
//
// Functions arrive as `any`, because cells interpreted by yaegi pass their own functions. A
// function may take a *Task first, then any parameters, and return nothing, a value, an error,
// or (value, error): func(), func(name string), func(t *Task) int, func(t *Task, n int) (int,
// error)... Arguments are checked against the parameters with reflect before anything runs.
// Jobs are given to a model as functions, Call(fn, args...), Each(fn, args...) (one job per
// argument), Repeat(n, fn, args...), or `n, fn`; options (Workers, GIL, WithContext,
// ReturnExceptions, Label, Quiet) go in the same argument list:
//
//	executors.Threads(3, worker)                      // 3 copies of worker
//	executors.Processes(executors.Each(worker, "A", "B", "C"))
//	executors.Gather(fetch, fetch)
//	executors.Compare(executors.Repeat(4, executors.CountPrimes(n)),
//		executors.Sequential, executors.Threads, executors.GILThreads, executors.Processes, executors.Gather)
//
// Built-in workloads work in every model, including child processes: Sleep(d), CountPrimes(n)
// (with PrimesFor(d) to size n), Fetch(url) against StartServer's local HTTP server.
//
// # Child processes and their wire protocol
//
// The process plumbing is pluggable (ProcessHost, SetProcessHost). The default host re-executes
// os.Executable() with QUIRE_EXECUTORS_CHILD=1; programs and tests call Register(fns...) and then
// ChildMain() first thing in main/TestMain. The quire kernel installs a host whose child is
// `quire worker --task`, which replays the session and calls ServeChild with a resolver that
// looks names up in the interpreter; a cell rewriter wraps top-level function identifiers passed
// to the functions in FuncParamCallees as Func("name", name).
//
// A child starts cold by default: exec, runtime start-up, then (in quire) the session replay,
// before it reads its first call. Prestart(n) starts n children ahead of time and waits until
// each has announced that it is ready; the next processes take these spares (each used once),
// so the start-up is paid before the run rather than inside it, as with Python's forkserver.
//
// The parent starts the child with:
//
//	fd 0     /dev/null
//	fd 1, 2  pipes; the parent copies them line by line to its own stdout/stderr, prefixed "[pid N] "
//	fd 3     calls, parent -> child: a stream of JSON objects, one per call:
//	         {"id":0,"task":"worker#0","name":"main.worker","args":[<json>...],"fds":{"1":[5,6]}}
//	         EOF on fd 3 tells the child to exit.
//	fd 4     results, child -> parent: first {"pid":123,"start":<unix ns>,"ready":true} once the
//	         child can serve calls, then one JSON object per call, in order:
//	         {"id":0,"pid":123,"start":<unix ns>,"end":<unix ns>,"results":[<json>...],
//	          "error":"...","panic":"...","stack":"...","cancelled":false}
//	fd 5...  ends of Queue/Pipe socketpairs given as arguments; "fds" maps the argument index to
//	         them (a *Queue is two fds: put end, get end; a *Conn one).
//
// The child (ServeChild) resolves the name (built-in workloads first), decodes each argument
// into the function's parameter type, calls it with a *Task if it takes one, and encodes the
// results. A ProcessPool keeps its children and sends them several calls; a child that dies is
// reported ("died before returning a result: exit status 7") and replaced.
//
// Queue (multiprocessing.Queue) and Pipe (multiprocessing.Pipe) are unix SOCK_SEQPACKET
// socketpairs carrying one JSON message per value (at most 60 KiB); they can be passed to
// Processes and NewProcess, whose children inherit them, but not to pool tasks (as in Python).
//
// # Measures
//
// Wall time is from the start of the run to the end of the last job (for a pool: from its
// creation to its last job's end); CPU time is user+system over that same span, of this process,
// of its waited-for children (getrusage) and of the jobs live children (a ProcessPool's workers)
// reported running. A job's own duration is its end minus start minus the time it spent ready
// but waiting for the GIL or the loop, or waiting for a turn (Task.WaitTurn: a semaphore slot);
// Work is their sum and Speedup is Work/Wall (after Compare with Sequential, or SpeedupOver:
// the base's wall / wall); when the jobs mostly waited, the basis says that Work/Wall counts
// overlapping waits, not faster computing. Ideal is the longest-first schedule of the jobs' own
// durations on the workers (the longest job when every job has its own worker,
// ceil(n/workers) x d for equal jobs), at least each job's turns plus its own duration, and,
// on the GIL or the loop, at least the time it was held plus the shortest first wait (no job's
// later work can start before its first wait ends); Overhead is Wall - Ideal. For CPU-bound
// jobs under plain Threads with more jobs than cores, the jobs' own durations include
// time-slicing by the OS, so Work/Wall overstates the speedup: compare with Sequential for
// CPU-bound work.
package executors
