package cell

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func TestBuildProgramCarriesWhatIsUsed(t *testing.T) {
	history := []ProgramCell{{File: "earlier1.go", Src: "import \"strings\"\ntype P struct{ X int }\nfunc (p P) String() string { return strings.Repeat(\"*\", p.X) }\nfunc unused() {}\nn := 3"}}
	opts := ProgramOptions{Runtime: "rt", Executors: "ex"}
	// A method on an earlier type brings the type, its other methods and their imports.
	p, err := BuildProgram(history, ProgramCell{File: "cell2.go", Src: "func (p P) Twice() int { return 2 * p.X }\nP{2}.Twice()"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	src := p.Files["main.go"]
	for _, want := range []string{"type P struct", "func (p P) String()", `strings "strings"`, "__quire_rt.Show(/*line cell2.go:2:1*/P{2}.Twice())"} {
		if !strings.Contains(src, want) {
			t.Errorf("program lacks %q:\n%s", want, src)
		}
	}
	if strings.Contains(src, "unused") || strings.Join(p.Locals, ",") != "n" {
		t.Errorf("unused carried or locals %v:\n%s", p.Locals, src)
	}
	// A cell that declares P again gets neither the old P's methods nor their imports (an
	// unused import would not compile).
	p, err = BuildProgram(history, ProgramCell{File: "cell3.go", Src: "type P struct{ Y int }\nP{1}"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if src := p.Files["main.go"]; strings.Contains(src, "String()") || strings.Contains(src, `"strings"`) {
		t.Errorf("old methods or their imports carried:\n%s", src)
	}
}

// TestBuildProgramHeaderSemicolons: the semicolons of a for, if or switch header at the top of a
// cell do not cut the statement (the program parses and keeps the statements whole).
func TestBuildProgramHeaderSemicolons(t *testing.T) {
	src := "import \"fmt\"\nsum := 0\nfor i := 0; i < 3; i++ {\n\tsum += i\n}\nswitch x := sum; x {\ncase 3:\n\tfmt.Println(\"three\")\n}\nif y := sum * 2; y > 5 { fmt.Println(y) }\nsum"
	p, err := BuildProgram(nil, ProgramCell{File: "cell1.go", Src: src}, ProgramOptions{Runtime: "rt"})
	if err != nil {
		t.Fatal(err)
	}
	main := p.Files["main.go"]
	if _, err := parser.ParseFile(token.NewFileSet(), "main.go", main, 0); err != nil {
		t.Fatalf("program does not parse: %v\n%s", err, main)
	}
	for _, want := range []string{"for i := 0; i < 3; i++ {", "switch x := sum; x {", "if y := sum * 2; y > 5", "rt.Show(/*line cell1.go:11:1*/sum)"} {
		if !strings.Contains(main, want) {
			t.Errorf("program lacks %q:\n%s", want, main)
		}
	}
}
