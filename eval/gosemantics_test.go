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
	"github.com/quire-go/quire/internal/golden"
)

// goCase is a program run as notebook cells, whose last cell must print what `go run` prints
// for the same program (prog). Issue 12, item 4: no silent wrong answers. The cases are the
// golden files of testdata/semantics (its README gives the format), one t.Run each;
// TestGoCasesAgreeWithGoRun proves their expectations are Go's, not the interpreter's.
type goCase struct {
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

const goCaseDir = "testdata/semantics"

// readGoCase reads a golden file of testdata/semantics. A file without cells is a program
// (cells is nil): it runs as one cell and split (programCells).
func readGoCase(t *testing.T, path string) goCase {
	t.Helper()
	f, err := golden.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	var c goCase
	for _, sec := range f.Sections {
		switch sec.Name {
		case "cell", "cell fails":
			if sec.Name == "cell fails" {
				c.failing = append(c.failing, len(c.cells))
			}
			c.cells = append(c.cells, golden.TrimNewline(sec.Text))
		case "prog.go":
			c.prog = sec.Text
		case "stdout":
			c.stdout = sec.Text
		case "stderr":
			c.stderr = sec.Text
		case "exit":
			if c.exit, err = strconv.Atoi(strings.TrimSpace(sec.Text)); err != nil || c.exit == 0 {
				t.Fatalf("%s: exit %q: want a status other than 0", path, sec.Text)
			}
		case "error":
			var ok bool
			if c.errName, c.errValue, ok = strings.Cut(golden.TrimNewline(sec.Text), ": "); !ok {
				t.Fatalf("%s: error %q: want \"Name: value\"", path, sec.Text)
			}
		default:
			t.Fatalf("%s: unknown section %q", path, sec.Name)
		}
	}
	if c.prog == "" {
		t.Fatalf("%s: no prog.go: every case must say what go run prints", path)
	}
	if slices.Contains(c.failing, len(c.cells)-1) {
		t.Fatalf("%s: the last cell is checked against go run; it cannot be a \"cell fails\"", path)
	}
	return c
}

// programCells returns the ways a program-only case runs: as one cell, and split into its
// declarations then main's statements at the top level (splitProgram).
func programCells(prog string) map[string][]string {
	return map[string][]string{"whole program": {prog}, "split cell": {splitProgram(prog)}}
}

// splitProgram turns a program into one cell: its declarations, then main's statements.
func splitProgram(prog string) string {
	head, body, ok := strings.Cut(prog, "func main() {\n")
	if !ok {
		panic(fmt.Sprintf("no func main in %q", prog))
	}
	head = strings.TrimPrefix(head, "package main\n")
	body = strings.TrimSuffix(strings.TrimRight(body, "\n"), "}")
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	return head + strings.Join(lines, "\n")
}

func goCaseFiles(t *testing.T) []string {
	t.Helper()
	paths, err := golden.Files(goCaseDir)
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func TestGoCases(t *testing.T) {
	for _, path := range goCaseFiles(t) {
		t.Run(golden.Name(path), func(t *testing.T) {
			c := readGoCase(t, path)
			if c.cells != nil {
				runGoCase(t, c)
				return
			}
			ways := programCells(c.prog)
			for _, way := range []string{"whole program", "split cell"} {
				t.Run(way, func(t *testing.T) {
					c := c
					c.cells = ways[way]
					runGoCase(t, c)
				})
			}
		})
	}
}

func runGoCase(t *testing.T, c goCase) {
	t.Helper()
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

// TestGoCasesAgreeWithGoRun checks that the golden files' expectations are what go run prints:
// each prog.go is built and run with the go command, so a golden file cannot record the
// interpreter's answer where it differs from Go's.
func TestGoCasesAgreeWithGoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every program with the go command")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH: the golden files of testdata/semantics are not checked against go run")
	}
	dir := t.TempDir()
	for i, path := range goCaseFiles(t) {
		t.Run(golden.Name(path), func(t *testing.T) {
			c := readGoCase(t, path)
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
					t.Errorf("go build: %v %q; the golden file says it fails with %q", err, b, msg)
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
					t.Errorf("go run: exit %d stdout %q stderr %q; the golden file says exit 2 stdout %q stderr %q...", code, stdout.String(), stderr.String(), c.stdout, want)
				}
				return
			}
			if code != c.exit || stdout.String() != c.stdout || stderr.String() != c.stderr {
				t.Errorf("go run: exit %d stdout %q stderr %q; the golden file says exit %d stdout %q stderr %q",
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
