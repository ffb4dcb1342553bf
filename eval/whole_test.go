package eval

import (
	"strings"
	"testing"
)

// A cell holding a whole program runs main once, as go run does: its defers run at its end,
// its declarations stay for later cells, and a later whole program replaces it.
func TestWholeProgramCell(t *testing.T) {
	s := newSup(t)
	prog := "package main\n\nimport \"fmt\"\n\ntype greeter struct{ name string }\n\nfunc (g greeter) greet() string { return \"hello, \" + g.name }\n\nfunc main() {\n\tdefer fmt.Println(\"main's defer\")\n\tfmt.Println(greeter{\"gopher\"}.greet())\n}\n"
	_, out := mustOK(t, s, prog)
	if got := out.Stdout(); got != "hello, gopher\nmain's defer\n" {
		t.Errorf("whole program printed %q", got)
	}
	// main does not run again after later cells; the program's declarations are there.
	got, out := mustOK(t, s, "greeter{\"again\"}.greet()")
	if got != `"hello, again"` || out.Stdout() != "" {
		t.Errorf("later cell: Out %q, stdout %q", got, out.Stdout())
	}
	_, out = mustOK(t, s, "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"second program\") }\n")
	if out.Stdout() != "second program\n" {
		t.Errorf("second program printed %q", out.Stdout())
	}
	e, _ := mustErr(t, s, "package tools\n\nfunc F() {}\n")
	if !strings.Contains(e.Value, "must be package main") {
		t.Errorf("package tools: %+v", e)
	}
	e, _ = mustErr(t, s, "package main\n\nfunc main() {\n\tvar m map[string]int\n\tm[\"x\"] = 1\n}\n")
	if e.Name != "panic" || !strings.Contains(e.Value, "assignment to entry in nil map") {
		t.Errorf("panic in main: %+v", e)
	}
	// Without a package clause, func main is still refused (yaegi would run it after every cell).
	if e, _ := mustErr(t, s, "func main() {}"); !strings.Contains(e.Value, "func main is not allowed") {
		t.Errorf("func main without package clause: %+v", e)
	}
}

// A defer at the top level of a cell runs when that cell ends, last first, with the arguments
// it had at the defer statement; not again after later cells; also when the cell panics.
func TestTopLevelDefer(t *testing.T) {
	s := newSup(t)
	_, out := mustOK(t, s, "import \"fmt\"\ndefer fmt.Println(\"deferred first\")\nx := 5\ndefer fmt.Println(\"x was\", x)\nx = 6\ndefer func() { fmt.Println(\"closure sees\", x) }()\nfmt.Println(\"body\", x)")
	if got := out.Stdout(); got != "body 6\nclosure sees 6\nx was 5\ndeferred first\n" {
		t.Errorf("defers printed %q", got)
	}
	if _, out := mustOK(t, s, "fmt.Println(\"next\")"); out.Stdout() != "next\n" {
		t.Errorf("a later cell printed %q", out.Stdout())
	}
	e, out := mustErr(t, s, "defer fmt.Println(\"cleanup\")\npanic(\"boom\")")
	if !strings.Contains(e.Value, "boom") || out.Stdout() != "cleanup\n" {
		t.Errorf("panic with a defer: %+v, stdout %q", e, out.Stdout())
	}
}

// Methods that the compiled standard library would call in Go but does not see on interpreted
// types are explained in every cell that uses the package: the output then differs with a
// word, not silently (eval/worker/usenotes.go).
func TestMethodLimitsNoted(t *testing.T) {
	s := newSup(t)
	_, out := mustOK(t, s, "import (\n\t\"errors\"\n\t\"os\"\n)\ntype notFound struct{}\nfunc (notFound) Error() string { return \"not found\" }\nfunc (notFound) Is(target error) bool { return target == os.ErrNotExist }")
	if out.Stderr() != "" {
		t.Errorf("the declaration does not use errors: stderr %q", out.Stderr())
	}
	// What the note is about (if yaegi learns it, drop the note).
	for i := 0; i < 2; i++ {
		got, out := mustOK(t, s, "errors.Is(notFound{}, os.ErrNotExist)")
		if got != "false" {
			t.Errorf("errors.Is now sees Is (%s): drop its note in eval/worker/usenotes.go", got)
		}
		if e := out.Stderr(); !strings.Contains(e, "notFound.Is is a method of a type declared in a cell") || !strings.Contains(e, "errors.Is does not call it") || !strings.Contains(e, "%%go") {
			t.Errorf("cell %d: no note for notFound.Is: stderr %q", i, e)
		}
		if strings.Contains(out.Stderr(), "notFound.Error") {
			t.Errorf("Error is honoured where it matters most and gets no note: %q", out.Stderr())
		}
	}
	if _, out := mustOK(t, s, "os.Getpid()"); out.Stderr() != "" {
		t.Errorf("a cell without errors: stderr %q", out.Stderr())
	}
}
