package cell

import (
	"strings"
	"testing"
)

func TestRenameMain(t *testing.T) {
	p, err := Build("cell1", "type T struct{ main int }\nmain := T{main: 1}\nmain.main", Known{})
	if err != nil {
		t.Fatal(err)
	}
	ds := p.Defines()
	if len(ds) != 2 || ds[1].Name != "main" || !strings.Contains(ds[1].Src, MainName+" := T{main: 1}") {
		t.Fatalf("defines %+v", ds)
	}
	if p.Trailing != MainName+".main" {
		t.Fatalf("trailing %q", p.Trailing)
	}
	// A later cell uses the session's main.
	p, err = Build("cell2", "main.main + 1", Known{Vars: map[string]bool{"main": true}})
	if err != nil || p.Trailing != MainName+".main + 1" {
		t.Fatalf("later cell: %v %q", err, p.Trailing)
	}
	// Without a main of the session, nothing changes.
	p, err = Build("cell3", "x.main()", Known{})
	if err != nil || p.Trailing != "x.main()" {
		t.Fatalf("no main: %v %q", err, p.Trailing)
	}
}
