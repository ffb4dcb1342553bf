package magic

import (
	"fmt"
	"strings"

	"github.com/quire-go/quire/backend"
)

// table lists the magics in the order %help shows them.
func (m *Magics) table() []*spec {
	return []*spec{
		{name: "time", line: true, cell: true, run: (*Magics).time,
			usage:   "%time STATEMENT  |  %%time (cell)",
			summary: "time one run of Go code (CPU and wall time)",
			help: `Runs the Go code once, in the session (its declarations stay), then prints
how long it took, as IPython does:

    CPU times: user 1.2 ms, sys: 310 µs, total: 1.51 ms
    Wall time: 102 ms

CPU times are those of the Go worker process (and its child processes) while the
code ran, read from /proc; wall time is measured by the kernel around the run.
The code's output and value are shown as usual.

    %time fib(30)
    %%time
    for i := 0; i < 3; i++ { work() }`},
		{name: "timeit", line: true, cell: true, run: (*Magics).timeit,
			usage:   "%timeit [-n N] [-r R] STATEMENT  |  %%timeit [-n N] [-r R] [SETUP]",
			summary: "measure the mean time per loop of Go code, over many loops",
			help: `Runs the statement in a loop inside the Go worker (a generated func literal
timing N iterations with time.Now) and reports the mean and standard deviation
per loop over R runs:

    31.2 ns ± 0.4 ns per loop (mean ± std. dev. of 7 runs, 10,000,000 loops each)

  -n N   loops per run. Default: 1, 10, 100, ... until a run takes at least 0.2 s.
  -r R   runs. Default: 7.

With %%timeit the cell body is the statement and the rest of the first line is
setup code run before each run (not timed). Nothing the statement or the setup
declares stays in the session. The measured code is interpreted by yaegi: times
are those of interpreted Go, not of compiled Go.

    %timeit strings.Repeat("ab", 100)
    %%timeit -r 3 s := make([]int, 1000)
    sort.Ints(s)`},
		{name: "!", line: true, run: (*Magics).shellLine,
			usage:   "!command",
			summary: "run a shell command (/bin/sh -c) in the kernel's machine",
			help: `Runs the rest of the line with /bin/sh -c in the working directory of the Go
worker (see %cd), streaming its stdout and stderr line by line. A non-zero exit
status ends the cell with a CalledProcessError. Interrupting the kernel stops it.

    !ls -l
    !go version`},
		{name: "bash", cell: true, run: (*Magics).bash,
			usage:   "%%bash",
			summary: "run the cell as a bash script",
			help: `Runs the cell body with bash -c (or /bin/sh when bash is not installed) in the
working directory of the Go worker, streaming its output line by line. A non-zero
exit status ends the cell with a CalledProcessError.`},
		{name: "python", cell: true, run: (*Magics).python,
			usage:   "%%python",
			summary: "run the cell with python3, if installed",
			help: `Runs the cell body with python3 from PATH (unbuffered), streaming its output,
so lessons can compare Go with CPython side by side. When python3 is not
installed the cell fails with a clear error; the lessons quote measured CPython
figures instead.`},
		{name: "writefile", cell: true, run: (*Magics).writefile,
			usage:   "%%writefile [-a] FILE",
			summary: "write (or append, -a) the cell body to FILE",
			help: `Writes the cell body to FILE (relative to the working directory, see %cd) and
says "Writing FILE" (or "Overwriting FILE"). With -a the body is appended:
"Appending to FILE".`},
		{name: "env", line: true, run: (*Magics).envMagic,
			usage:   "%env  |  %env NAME  |  %env NAME=VALUE  |  %env -u NAME",
			summary: "list, get or set environment variables",
			help: `%env lists the environment (values of names containing KEY, TOKEN, SECRET or
PASS are hidden), %env NAME prints one variable, and %env NAME=VALUE (or %env
NAME VALUE) sets it in the Go worker (os.Setenv) and in the kernel process, so
shell commands and later workers inherit it. %env -u NAME unsets it in both.`},
		{name: "cd", line: true, run: (*Magics).cd,
			usage:   "%cd [DIR]",
			summary: "change the working directory of the worker and shell commands",
			help: `Changes the working directory of the Go worker (os.Chdir) and of the kernel
process (where !commands run) and prints the new directory. Without DIR it goes
to the home directory; "%cd -" goes back to the previous one.`},
		{name: "pwd", line: true, run: (*Magics).pwd,
			usage:   "%pwd",
			summary: "print the working directory",
			help:    `Prints the working directory of the Go worker and shell commands.`},
		{name: "who", line: true, run: (*Magics).who,
			usage:   "%who [KIND...]",
			summary: "list the session's names",
			help: `Lists the names the session declared (variables, constants, functions,
types, methods), sorted, tab-separated. KIND (var, const, func, type, method)
limits the list, e.g. "%who var func".`},
		{name: "whos", line: true, run: (*Magics).whos,
			usage:   "%whos [KIND...]",
			summary: "table of the session's names with kind, type and value",
			help: `Like %who, but as a table: name, kind, and for variables and constants their
Go type and value (asked of the worker with fmt.Sprintf("%T") and "%v", values cut
at 60 characters); for funcs and types their declaration's first line.`},
		{name: "reset", line: true, run: (*Magics).reset,
			usage:   "%reset [-f]",
			summary: "forget the whole session (fresh worker, no declarations)",
			help: `Starts a fresh Go worker with no declarations and says what was cleared.
Unlike a kernel restart it keeps the kernel (and %cd, %env, lesson positions).`},
		{name: "restart", line: true, run: (*Magics).restart,
			usage:   "%restart",
			summary: "restart the Go worker, replaying the declarations",
			help: `Kills the Go worker, starts a new one and replays the session's imports,
types, funcs, consts and side-effect-free vars; says which variables were lost.`},
		{name: "go", line: true, cell: true, run: (*Magics).goEntry,
			usage:   "%%go [-race] [-gcflags F] [-ldflags F] [-tags T] [-trimpath] [-print]  |  %go get MODULE[@VERSION]...",
			summary: "compile and run the cell as native Go; %go get: add modules",
			help: `%%go compiles the cell with the installed Go toolchain and runs it at native
speed, with the whole language and standard library of that toolchain (generic
slices/maps, iterators, range over func, the newest APIs) and, with -race, the
race detector:

    %%go -race
    var n int
    var wg sync.WaitGroup
    for range 2 { wg.Go(func() { n++ }) }
    wg.Wait()

The program is the cell plus the session's declarations it uses: imports, funcs,
methods, types, consts and var declarations (their initialisers run again in the
program). Variables made with := in interpreted cells, and every runtime value, stay
in the interpreter: a compiled cell starts from fresh values each time. The cell's
statements run as main; its trailing expression is shown as Out; display and
executors work as in interpreted cells. Funcs and types declared in a %%go cell are
available to later %%go cells. A cell may also be a whole program (package main
with func main). Output streams live; interrupt kills the program; standard input
is empty. Compile errors and panics name the cell's lines (cell7.go:3:5).

  -race       build with the race detector (needs cgo and gcc)
  -gcflags F  -ldflags F  -tags T  -trimpath   passed to go build
  -print      show the generated program instead of running it

The build directory is reused and binaries are cached by content, so running an
unchanged cell again skips the build. Without a Go toolchain %%go says so and
everything else works as before ($QUIRE_GO names another go command).

%go get downloads modules (with the go command) and makes their packages
importable from source in later interpreted cells; it prints the modules added.
Only pure-Go packages that the interpreter (yaegi v0.16.1) can run will load.

    %go get golang.org/x/exp@v0.0.0-20240506185415-9bf2ced13842`},
		{name: "lesson", line: true, run: (*Magics).lesson,
			usage:   "%lesson  |  %lesson NAME [STEP]  |  %lesson export DIR [-f]",
			summary: "list lessons, walk through one, or export them as notebooks",
			help: `%lesson lists the built-in lessons.
%lesson NAME shows the prose of the lesson's next step here and puts its code
into a new cell below; run it again for the following step (it starts over
after the last). NAME may be the full name, the number or the name without the
number ("03", "threads"). %lesson NAME STEP jumps to step STEP.
%lesson export DIR writes every lesson notebook into DIR (-f overwrites lessons
you changed).`},
		{name: "help", line: true, run: (*Magics).helpMagic,
			usage:   "%help [NAME]",
			summary: "list the magics, or explain one (also %NAME?)",
			help:    `%help lists the magics; %help NAME (or %NAME?, %%NAME?) explains one.`},
	}
}

func (s *spec) longHelp() string {
	return s.usage + "\n\n" + s.summary + ".\n\n" + s.help + "\n"
}

func (m *Magics) helpMagic(c *call) backend.ExecuteResult {
	if name := strings.TrimLeft(strings.TrimRight(c.args, "?"), "%"); name != "" {
		s := m.byName[name]
		if s == nil {
			return m.unknown(name, false)
		}
		c.print("%s", s.longHelp())
		return ok()
	}
	var b strings.Builder
	b.WriteString("quire magics (cells or lines starting with % or !):\n\n")
	width := 0
	for _, s := range m.specs {
		width = max(width, len([]rune(s.forms())))
	}
	for _, s := range m.specs {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, s.forms(), s.summary)
	}
	b.WriteString("\n%help NAME or %NAME? explains one. Line magics may be followed by Go code in the same cell.\n")
	c.print("%s", b.String())
	return ok()
}
