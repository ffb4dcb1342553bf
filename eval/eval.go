// Package eval is quire's Go backend: it implements backend.Backend with a Supervisor in the
// kernel process that drives a worker process running yaegi v0.16.1.
//
// The model:
//
//	kernel process                              worker process (`quire worker`)
//	Supervisor ── requests (fd 3, JSON) ──────▶ yaegi interpreter + display/executors
//	           ◀── events (fd 4, JSON) ──────── (displays, input requests, results)
//	           ◀── stdout (fd 1), stderr (fd 5)  user output with sync markers
//	           ◀── fd 2                          Go runtime crash reports
//
// The worker is disposable; the session lives in the supervisor. Each cell is planned by
// package eval/cell (split into segments, rewritten for Go 1.22 semantics), its declarations
// are recorded, and the segments run in the worker in order. When the worker dies (a goroutine
// panic, a fatal runtime error such as concurrent map writes, a stack overflow, running out of
// memory) or is killed by Interrupt, the cell ends with an error carrying the runtime's own
// message, a new worker starts and the recorded declarations (imports, types, consts, funcs,
// methods and side-effect-free `var` declarations) are replayed; the user is told which
// variables were lost. A changed type or method also restarts the worker (yaegi cannot
// redefine them); a changed func is re-evaluated in place together with its callers.
//
// Output: stdout and stderr stream live to the running cell's backend.Output. Output and
// displays of a goroutine that outlives its cell go to the Output of the cell that started it
// (the kernel publishes them with that request as parent, so a notebook shows them under that
// cell, and quire run and quire grade, which collect only the running cell's messages, leave
// them out): the worker runs each request under profiler labels that its goroutines inherit and
// tags output with the request it is for. Output whose writer is unknown (time.AfterFunc
// callbacks, text written through the os.Stdout file, child processes) goes to the running
// cell, or the last one when none runs. Displays, input requests and results are ordered after
// all output written before them.
//
// Crashes: the worker's output buffers and internal pipes are shared with the supervisor, so
// output written before the worker dies without flushing (a fatal runtime error, syscall.Exit,
// the memory limit, kill -9) is still delivered, before the cell's error.
//
// Output batching: the worker buffers the user's stdout/stderr for up to 2 ms (or 32 KiB) so a
// cell printing 100,000 lines makes a few dozen writes. fmt.Print*, fmt.Fprint*(os.Stdout, ...),
// print and log go straight into that buffer; other writes to the os.Stdout/os.Stderr *os.File
// (os.Stdout.Write, compiled packages such as executors, child processes) pass through a pipe
// that is drained into the buffer before interpreter writes, so their order is kept (the one
// exception: the first such write after a second without any, landing in a run of more than 32
// interpreter writes less than 50 µs apart, may come out after the next one).
//
// stdin: os.Stdin in cells is a reader (type *worker.Stdin, not *os.File) and fmt.Scan* read
// from it; each read with an empty buffer sends an input_request through backend.Output.Input,
// or fails at once with "allow_stdin is false". Package "quire" offers Input(prompt) and
// Password(prompt).
//
// Process-level escapes: os.Exit and log.Fatal* end the cell as they end a Go program, without
// running deferred calls or being stopped by recover: "Exit: exit status N" for N != 0, no error
// for 0; the worker and its state live on. In a goroutine the cell started they end the worker
// (and so the session's variables) like a goroutine panic does. runtime.Goexit and
// runtime.Breakpoint end the cell with an error (ename "Goexit", "panic").
//
// Magics: cells whose first non-blank line starts with % or ! go to Options.Magics first (see
// Magics and MagicEnv); MagicEnv.GoGet implements `%go get`.
//
// Executors: the worker installs an executors.ProcessHost whose children are
// `quire worker --task` processes that replay the session; top-level funcs passed to executors
// functions (and to methods of variables assigned from executors calls) are rewritten into
// executors.Func("name", name).
//
// Completion, inspection and is_complete are answered by the supervisor from its own records
// and the documentation index (eval/godoc), so they work while a cell runs.
//
// This package does not link the interpreter: the worker is package eval/worker, run by the
// `quire worker` subcommand (Options.WorkerCommand), and what the interpreter can call is read
// from tables generated from the worker's (eval/internal/symtab). So the kernel process can be
// a small binary (cmd/quire-kernel) that starts quickly and holds little memory.
package eval
