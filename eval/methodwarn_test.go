package eval

import (
	"strings"
	"testing"
)

// TestNestedNonStructMethodWarns: a named non-struct type reaches compiled fmt as its
// underlying type, so fmt cannot call its String method on nested values as Go does
// (Go prints "[1.0°C 2.0°C]"): the cell is told, in every cell where it can happen.
func TestNestedNonStructMethodWarns(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, "import \"fmt\"\ntype Celsius float64\nfunc (c Celsius) String() string { return fmt.Sprintf(\"%.1f°C\", float64(c)) }")
	for i := 0; i < 2; i++ {
		_, out := mustOK(t, s, "fmt.Println(Celsius(3), []Celsius{1, 2})\nfmt.Println(map[string]Celsius{\"a\": 4})")
		if out.Stdout() != "3.0°C [1 2]\nmap[a:4]\n" {
			t.Errorf("stdout %q", out.Stdout())
		}
		if e := out.Stderr(); strings.Count(e, "quire: fmt.Println prints any Celsius values inside a slice, map, struct or pointer here as plain float64, without calling their String method (Go calls it)") != 1 {
			t.Errorf("cell %d: stderr %q", i, e)
		}
	}
	_, out := mustOK(t, s, "fmt.Println([]int{1}, 2.5)")
	if out.Stderr() != "" {
		t.Errorf("no float64 nested: stderr %q", out.Stderr())
	}
	_, out = mustOK(t, s, "fmt.Printf(\"%T\\n\", Celsius(1))")
	if !strings.Contains(out.Stderr(), "quire: fmt.Printf's %T and %#v show a value of a type declared in a cell under another type than Go does (here: Celsius)") {
		t.Errorf("%%T: stdout %q stderr %q", out.Stdout(), out.Stderr())
	}
	mustOK(t, s, "type P struct{ X int }")
	_, out = mustOK(t, s, "fmt.Printf(\"%T %#v\\n\", P{1}, []P{{2}})")
	if !strings.Contains(out.Stderr(), "quire: fmt.Printf's %T and %#v show a value of a type declared in a cell under another type than Go does (here: struct { X int })") {
		t.Errorf("%%T of a struct: stdout %q stderr %q", out.Stdout(), out.Stderr())
	}
}

// TestMethodUseNotes: a method compiled packages look for (here UnmarshalJSON, which
// encoding/json does not call on a value of a type declared in a cell) is told about in every
// cell that uses the package, also through a func of the session, and only there.
func TestMethodUseNotes(t *testing.T) {
	s := newSup(t)
	const note = "quire: Temp.UnmarshalJSON is a method of a type declared in a cell, which compiled packages see only in part: encoding/json does not call it. This cell uses encoding/json: where it gets Temp values, the output differs from Go's; run the cell with %%go to see what Go prints.\n"
	_, out := mustOK(t, s, "import (\"encoding/json\"; \"fmt\")\ntype Temp struct{ C float64 }\nfunc (t *Temp) UnmarshalJSON(b []byte) error { t.C = 1; return nil }")
	if out.Stderr() != "" {
		t.Errorf("declaration: stderr %q", out.Stderr())
	}
	for i := 0; i < 2; i++ {
		_, out = mustOK(t, s, "var t Temp\n_ = json.Unmarshal([]byte(`{\"C\": 5}`), &t)\nfmt.Println(t.C)")
		if out.Stderr() != note {
			t.Errorf("cell %d: stderr %q", i, out.Stderr())
		}
	}
	mustOK(t, s, "func load(t *Temp) { _ = json.Unmarshal([]byte(`{}`), t) }")
	_, out = mustOK(t, s, "var t2 Temp\nload(&t2)")
	if out.Stderr() != note {
		t.Errorf("through a func: stderr %q", out.Stderr())
	}
	_, out = mustOK(t, s, "fmt.Println(Temp{2})")
	if out.Stderr() != "" {
		t.Errorf("no json: stderr %q", out.Stderr())
	}
}

// TestSeesInterpreterNotes: reflect and the runtime's call stack see what the interpreter
// built (reflect.ExampleValue_FieldByName prints "Name: <invalid reflect.Value>" where Go
// prints "Name: John"; runtime.ExampleFrames lists yaegi's frames): every cell that uses them
// is told.
func TestSeesInterpreterNotes(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, "import (\"fmt\"; \"reflect\"; \"runtime\")\ntype user struct{ firstName string }")
	for i := 0; i < 2; i++ {
		_, out := mustOK(t, s, "fmt.Println(\"Name:\", reflect.ValueOf(user{\"John\"}).FieldByName(\"firstName\"))")
		if out.Stdout() != "Name: <invalid reflect.Value>\n" || strings.Count(out.Stderr(), "quire: this cell uses reflect, which sees the values of types declared in a cell as the interpreter (yaegi v0.16.1) builds them") != 1 {
			t.Errorf("reflect, cell %d: stdout %q stderr %q", i, out.Stdout(), out.Stderr())
		}
	}
	_, out := mustOK(t, s, "pc := make([]uintptr, 5)\n_ = runtime.Callers(0, pc)")
	if !strings.Contains(out.Stderr(), "quire: this cell asks the runtime for its call stack") {
		t.Errorf("runtime.Callers: stderr %q", out.Stderr())
	}
	_, out = mustOK(t, s, "fmt.Println(runtime.NumCPU() > 0)")
	if out.Stderr() != "" {
		t.Errorf("runtime.NumCPU: stderr %q", out.Stderr())
	}
}
