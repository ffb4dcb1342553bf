package eval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
)

// goCase is a program run as notebook cells, whose last cell must print what `go run` prints
// for the same program (prog). Issue 12, item 4: no silent wrong answers.
type goCase struct {
	name  string
	cells []string // run in order in one session; all but the last must succeed...
	// ...except those whose indexes are in failing, which must fail.
	failing []int
	prog    string // the same program as one file for go run (TestGoCasesAgreeWithGoRun)
	// What the last cell and go run print. exit is the program's exit status: the cell
	// ends with the error "Exit: exit status N" when it is not 0.
	stdout, stderr string
	exit           int
	// errName, when set, is the error the last cell ends with: "panic" (errValue is the panic
	// value, as go run prints it after "panic: "), "CompileError" (errValue is in the message,
	// which go build gives after its position), or another (not checked with go run).
	errName, errValue string
}

var goCases = []goCase{
	{
		name: "os.Exit runs no defers and is not recovered",
		cells: []string{`import ("fmt"; "os")
func run() {
	defer fmt.Println("deferred")
	defer func() {
		if r := recover(); r != nil {
			fmt.Println("recovered", r)
		}
	}()
	fmt.Println("before")
	os.Exit(3)
}
run()
fmt.Println("after")`},
		prog: `package main

import (
	"fmt"
	"os"
)

func run() {
	defer fmt.Println("deferred")
	defer func() {
		if r := recover(); r != nil {
			fmt.Println("recovered", r)
		}
	}()
	fmt.Println("before")
	os.Exit(3)
}

func main() {
	run()
	fmt.Println("after")
}
`,
		stdout: "before\n",
		exit:   3,
	},
	{
		name: "os.Exit(0) ends the cell without an error",
		cells: []string{`import ("fmt"; "os")
func finish() {
	defer fmt.Println("deferred")
	fmt.Println("main")
	os.Exit(0)
}
finish()
fmt.Println("after")`},
		prog: `package main

import (
	"fmt"
	"os"
)

func finish() {
	defer fmt.Println("deferred")
	fmt.Println("main")
	os.Exit(0)
}

func main() {
	finish()
	fmt.Println("after")
}
`,
		stdout: "main\n",
	},
	{
		name: "log.Fatal runs no defers",
		cells: []string{`import ("fmt"; "log")
log.SetFlags(0)
func() {
	defer fmt.Println("deferred")
	defer func() { recover() }()
	log.Fatal("bad thing")
}()`},
		prog: `package main

import (
	"fmt"
	"log"
)

func main() {
	log.SetFlags(0)
	func() {
		defer fmt.Println("deferred")
		defer func() { recover() }()
		log.Fatal("bad thing")
	}()
}
`,
		stderr: "bad thing\n",
		exit:   1,
	},
	{
		name:     "undefined name in a top-level :=",
		cells:    []string{"y := undefinedThing + 1"},
		prog:     "package main\n\nfunc main() {\n\ty := undefinedThing + 1\n\t_ = y\n}\n",
		errName:  "CompileError",
		errValue: "cell1.go:1:6: undefined: undefinedThing",
	},
	{
		name:     "undefined name in a top-level var",
		cells:    []string{"import \"fmt\"\nvar z = 2 * (undefinedThing + 1)\nfmt.Println(z)"},
		prog:     "package main\n\nimport \"fmt\"\n\nvar z = 2 * (undefinedThing + 1)\n\nfunc main() { fmt.Println(z) }\n",
		errName:  "CompileError",
		errValue: "cell1.go:2:14: undefined: undefinedThing",
	},
	{
		name:     "a panic's value is shown once",
		cells:    []string{"import \"fmt\"\nfmt.Println(\"start\")\npanic(\"X\")"},
		prog:     "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"start\")\n\tpanic(\"X\")\n}\n",
		stdout:   "start\n",
		errName:  "panic",
		errValue: "X",
	},
	{
		name:     "an error's panic value is shown once",
		cells:    []string{"import \"errors\"\nfunc f() { panic(errors.New(\"E\")) }\nf()"},
		prog:     "package main\n\nimport \"errors\"\n\nfunc f() { panic(errors.New(\"E\")) }\n\nfunc main() { f() }\n",
		errName:  "panic",
		errValue: "E",
	},
	{
		name: "a variable named main",
		cells: []string{"import \"fmt\"\nmain := func() { fmt.Println(\"my main\") }",
			"type T struct{ main int }\nmain()\nt := T{main: 2}\nfmt.Println(1+1, t.main)"},
		prog: `package main

import "fmt"

type T struct{ main int }

func main() {
	main := func() { fmt.Println("my main") }
	main()
	t := T{main: 2}
	fmt.Println(1+1, t.main)
}
`,
		stdout: "my main\n2 2\n",
	},
	{
		name:  "a constant named main",
		cells: []string{"const main = 40", "import \"fmt\"\nfmt.Println(main + 2)"},
		prog: `package main

import "fmt"

func main() {
	const main = 40
	fmt.Println(main + 2)
}
`,
		stdout: "42\n",
	},
	{
		name:    "a variable of a cell that failed to compile is undefined",
		cells:   []string{"m := map[string]int{}\nundefinedFn()\nm[\"b\"] = 2", "m[\"a\"] = 1"},
		failing: []int{0},
		prog:    "package main\n\nfunc main() {\n\tm[\"a\"] = 1\n}\n",
		errName: "CompileError", errValue: "cell2.go:1:1: undefined: m",
	},
	{
		name:    "a func of a cell that failed to compile is undefined",
		cells:   []string{"func f() int { return undefinedX }", "f()"},
		failing: []int{0},
		prog:    "package main\n\nfunc main() {\n\tf()\n}\n",
		errName: "CompileError", errValue: "cell2.go:1:1: undefined: f",
	},
	{
		name:    "a cell that failed to compile changes no const or func",
		cells:   []string{"import \"fmt\"\nconst c = 1\nfunc g() int { return 10 }", "const c = 2\nvar x = nope()", "func g() int { return nope2 }", "fmt.Println(c, g())"},
		failing: []int{1, 2},
		prog:    "package main\n\nimport \"fmt\"\n\nconst c = 1\n\nfunc g() int { return 10 }\n\nfunc main() { fmt.Println(c, g()) }\n",
		stdout:  "1 10\n",
	},
	{
		name: "a func uses a type declared later in the cell",
		cells: []string{`import "fmt"
func newT() T { return T{A: 1} }
func (t T) Twice() int { return 2 * t.A }
type T struct{ A int }
fmt.Println(newT().Twice())`},
		prog: `package main

import "fmt"

func newT() T { return T{A: 1} }
func (t T) Twice() int { return 2 * t.A }

type T struct{ A int }

func main() { fmt.Println(newT().Twice()) }
`,
		stdout: "2\n",
	},
	{
		name: "log.New returns a *log.Logger with all its methods",
		cells: []string{`import ("log"; "os")
l := log.New(os.Stdout, "app: ", 0)
l.SetPrefix("pre: ")
var l2 *log.Logger = l
l2.Printf("x %d", 1)
l.Println("hello", l.Prefix())`},
		prog: `package main

import (
	"log"
	"os"
)

func main() {
	l := log.New(os.Stdout, "app: ", 0)
	l.SetPrefix("pre: ")
	var l2 *log.Logger = l
	l2.Printf("x %d", 1)
	l.Println("hello", l.Prefix())
}
`,
		stdout: "pre: x 1\npre: hello pre: \n",
	},
	{
		name: "slog's default handler writes to stderr and follows log.SetOutput",
		cells: []string{`import ("bytes"; "fmt"; "log"; "log/slog")
log.SetFlags(0)
slog.Info("hi", "k", 1)
var buf bytes.Buffer
log.SetOutput(&buf)
slog.Warn("to buf", "k", 2)
log.Print("plain")
fmt.Print(buf.String())`},
		prog: `package main

import (
	"bytes"
	"fmt"
	"log"
	"log/slog"
)

func main() {
	log.SetFlags(0)
	slog.Info("hi", "k", 1)
	var buf bytes.Buffer
	log.SetOutput(&buf)
	slog.Warn("to buf", "k", 2)
	log.Print("plain")
	fmt.Print(buf.String())
}
`,
		stdout: "WARN to buf k=2\nplain\n",
		stderr: "INFO hi k=1\n",
	},
	{
		name: "a Logger's Fatal runs no defers",
		cells: []string{`import ("fmt"; "log"; "os")
l := log.New(os.Stderr, "L ", 0)
func() { defer fmt.Println("deferred"); l.Fatalf("fatal %d", 4) }()`},
		prog: `package main

import (
	"fmt"
	"log"
	"os"
)

func main() {
	l := log.New(os.Stderr, "L ", 0)
	func() { defer fmt.Println("deferred"); l.Fatalf("fatal %d", 4) }()
}
`,
		stderr: "L fatal 4\n",
		exit:   1,
	},
	{
		name: "the standard logger's Fatal after log.SetOutput",
		cells: []string{`import ("log"; "os")
log.SetFlags(0)
log.SetOutput(os.Stdout)
log.Default().Fatal("std fatal")`},
		prog: `package main

import (
	"log"
	"os"
)

func main() {
	log.SetFlags(0)
	log.SetOutput(os.Stdout)
	log.Default().Fatal("std fatal")
}
`,
		stdout: "std fatal\n",
		exit:   1,
	},
	{
		name: "closures made in a loop and handed to compiled code",
		cells: []string{`import ("fmt"; "sort"; "sync")
var wg sync.WaitGroup
var mu sync.Mutex
got := []int{}
for i := 0; i < 3; i++ {
	wg.Go(func() { mu.Lock(); got = append(got, i); mu.Unlock() })
}
wg.Wait()
sort.Ints(got)
fmt.Println(got)
var fs []func()
for i := range 3 {
	fs = append(fs, sync.OnceFunc(func() { fmt.Print(i, " ") }))
}
for _, f := range fs { f() }
fmt.Println()`},
		prog: `package main

import (
	"fmt"
	"sort"
	"sync"
)

func main() {
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := []int{}
	for i := 0; i < 3; i++ {
		wg.Go(func() { mu.Lock(); got = append(got, i); mu.Unlock() })
	}
	wg.Wait()
	sort.Ints(got)
	fmt.Println(got)
	var fs []func()
	for i := range 3 {
		fs = append(fs, sync.OnceFunc(func() { fmt.Print(i, " ") }))
	}
	for _, f := range fs {
		f()
	}
	fmt.Println()
}
`,
		stdout: "[0 1 2]\n0 1 2 \n",
	},
	{
		name: "closures made in a loop in a func and handed to compiled code",
		cells: []string{`import ("fmt"; "sync")`, `func onces() []func() {
	var out []func()
	for _, s := range []string{"a", "b", "c"} {
		v := s + s
		out = append(out, sync.OnceFunc(func() { fmt.Print(v, " ") }))
	}
	return out
}
for _, f := range onces() { f() }
fmt.Println()`},
		prog: `package main

import (
	"fmt"
	"sync"
)

func onces() []func() {
	var out []func()
	for _, s := range []string{"a", "b", "c"} {
		v := s + s
		out = append(out, sync.OnceFunc(func() { fmt.Print(v, " ") }))
	}
	return out
}

func main() {
	for _, f := range onces() {
		f()
	}
	fmt.Println()
}
`,
		stdout: "aa bb cc \n",
	},
	{
		name:     "a panic in a func literal in a loop: no stray trace lines",
		cells:    []string{"for i := 0; i < 1; i++ {\n\tfunc() {\n\t\tpanic(\"p\")\n\t}()\n}"},
		prog:     "package main\n\nfunc main() {\n\tfor i := 0; i < 1; i++ {\n\t\tfunc() {\n\t\t\tpanic(\"p\")\n\t\t}()\n\t}\n}\n",
		errName:  "panic",
		errValue: "p",
	},
}

func TestGoCases(t *testing.T) {
	for _, c := range goCases {
		t.Run(c.name, func(t *testing.T) {
			s := newSup(t)
			for i, code := range c.cells[:len(c.cells)-1] {
				if slices.Contains(c.failing, i) {
					mustErr(t, s, code)
				} else {
					mustOK(t, s, code)
				}
			}
			r, out := run(t, s, c.cells[len(c.cells)-1])
			checkCase(t, c, r, out)
		})
	}
}

func checkCase(t *testing.T, c goCase, r backend.ExecuteResult, out *fakeOut) {
	t.Helper()
	want := backend.StatusOK
	if c.exit != 0 || c.errName != "" {
		want = backend.StatusError
	}
	if r.Status != want {
		msg := ""
		if r.Error != nil {
			msg = r.Error.Name + ": " + r.Error.Value
		}
		t.Fatalf("status %s, want %s (%s)\nstdout %q\nstderr %q", r.Status, want, msg, out.Stdout(), out.Stderr())
	}
	switch {
	case c.errName == "panic":
		if r.Error.Name != "panic" || r.Error.Value != c.errValue || r.Error.Traceback[0] != "\x1b[0;31mpanic\x1b[0m: "+c.errValue {
			t.Errorf("error %s: %q (traceback %q), want panic: %q", r.Error.Name, r.Error.Value, r.Error.Traceback, c.errValue)
		}
	case c.errName != "":
		if r.Error.Name != c.errName || !strings.Contains(r.Error.Value, c.errValue) {
			t.Errorf("error %s: %q, want %s: ...%q...", r.Error.Name, r.Error.Value, c.errName, c.errValue)
		}
	case c.exit != 0:
		if r.Error.Name != "Exit" || r.Error.Value != "exit status "+strconv.Itoa(c.exit) {
			t.Errorf("error %s: %q, want Exit: exit status %d", r.Error.Name, r.Error.Value, c.exit)
		}
	}
	if got := out.Stdout(); got != c.stdout {
		t.Errorf("stdout %q, want %q", got, c.stdout)
	}
	if got := out.Stderr(); got != c.stderr {
		t.Errorf("stderr %q, want %q", got, c.stderr)
	}
}

// TestGoCasesAgreeWithGoRun checks that the table's expectations are what go run prints.
func TestGoCasesAgreeWithGoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every program with the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	for i, c := range goCases {
		if c.prog == "" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			src := filepath.Join(dir, fmt.Sprintf("p%d.go", i))
			if err := os.WriteFile(src, []byte(c.prog), 0o644); err != nil {
				t.Fatal(err)
			}
			bin := strings.TrimSuffix(src, ".go")
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			b, err := exec.CommandContext(ctx, "go", "build", "-o", bin, src).CombinedOutput()
			if c.errName == "CompileError" {
				_, msg, _ := strings.Cut(c.errValue, ": ") // after the position
				if err == nil || !strings.Contains(string(b), msg) {
					t.Errorf("go build: %v %q; the table says it fails with %q", err, b, msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("go build: %v\n%s", err, b)
			}
			var stdout, stderr bytes.Buffer
			cmd := exec.CommandContext(ctx, bin)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err = cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if c.errName == "panic" {
				if want := "panic: " + c.errValue + "\n"; code != 2 || stdout.String() != c.stdout || !strings.HasPrefix(stderr.String(), want) {
					t.Errorf("go run: exit %d stdout %q stderr %q; the table says exit 2 stdout %q stderr %q...", code, stdout.String(), stderr.String(), c.stdout, want)
				}
				return
			}
			if code != c.exit || stdout.String() != c.stdout || stderr.String() != c.stderr {
				t.Errorf("go run: exit %d stdout %q stderr %q; the table says exit %d stdout %q stderr %q",
					code, stdout.String(), stderr.String(), c.exit, c.stdout, c.stderr)
			}
		})
	}
}

// TestCompileErrorWarnings: where a cell that fails to compile has changed the session in a
// way Go would not (yaegi v0.16.1 cannot undo it), the user is told.
func TestCompileErrorWarnings(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, "import \"fmt\"\nk := 1")
	_, out := mustErr(t, s, "k := 2\nnope()\nz := 0")
	if !strings.Contains(out.Stderr(), "variable k may no longer hold the value it had before this cell") {
		t.Errorf("redeclared variable: stderr %q", out.Stderr())
	}
	e, out := mustErr(t, s, "fmt.Println(\"ran\")\nundefinedY")
	if tb := strings.Join(e.Traceback, "\n"); out.Stdout() != "ran\n" || !strings.Contains(tb, "statements before line 2 ran") {
		t.Errorf("partly run cell: stdout %q, traceback %q", out.Stdout(), tb)
	}
	e, _ = mustErr(t, s, "undefinedY")
	if strings.Contains(strings.Join(e.Traceback, "\n"), "Note:") {
		t.Errorf("nothing ran, yet: %q", e.Traceback)
	}
}

// TestLogFileFlagsWarn: log.Lshortfile cannot name the cell's line in the interpreter; the
// user is told instead of reading a wrong file name silently.
func TestLogFileFlagsWarn(t *testing.T) {
	s := newSup(t)
	_, out := mustOK(t, s, "import \"log\"\nlog.SetFlags(log.Lshortfile)\nlog.Print(\"x\")")
	if !strings.HasPrefix(out.Stderr(), "quire: log.Lshortfile and log.Llongfile show a source file of the interpreter") {
		t.Errorf("stderr %q", out.Stderr())
	}
}

// TestOutputOrderCompiledWrites: a func that prints, has compiled code write to the os.Stdout
// file and prints again keeps that order, also as the first write to the file after a pause
// (go run prints "a\nb\nc\n" for each call).
func TestOutputOrderCompiledWrites(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("fmt"; "io"; "os"; "time")
func f() { fmt.Println("a"); io.WriteString(os.Stdout, "b\n"); fmt.Println("c") }`)
	for i := 0; i < 3; i++ {
		_, out := mustOK(t, s, "time.Sleep(1100 * time.Millisecond)\nf()")
		if got := out.Stdout(); got != "a\nb\nc\n" {
			t.Fatalf("call %d: stdout %q", i, got)
		}
	}
}
