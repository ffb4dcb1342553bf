package symtab

import (
	"slices"
	"testing"

	"github.com/quire-go/quire/eval/internal/symtab/live"
)

// The generated tables match the worker's: regenerate with go generate ./eval/internal/symtab.
func TestTablesAreCurrent(t *testing.T) {
	pkgs, callees := live.Tables()
	if len(pkgs) != len(packages) {
		t.Errorf("%d packages generated, the interpreter has %d: run go generate ./eval/internal/symtab", len(packages), len(pkgs))
	}
	for p, names := range pkgs {
		got := Names(p)
		if len(got) != len(names) {
			t.Errorf("%s: %d names generated, the interpreter binds %d: run go generate ./eval/internal/symtab", p, len(got), len(names))
			continue
		}
		for _, n := range names {
			if !got[n] {
				t.Errorf("%s.%s missing: run go generate ./eval/internal/symtab", p, n)
			}
		}
	}
	if !slices.Equal(FuncParamCallees(), callees) {
		t.Errorf("FuncParamCallees = %v, executors has %v: run go generate ./eval/internal/symtab", FuncParamCallees(), callees)
	}
}

func TestNames(t *testing.T) {
	fmt := Names("fmt")
	if !fmt["Println"] || fmt["println"] {
		t.Errorf("fmt: Println %v, println %v", fmt["Println"], fmt["println"])
	}
	if Names("github.com/quire-go/quire/executors")["Threads"] != true {
		t.Error("executors.Threads missing")
	}
	if Names("no/such/package") != nil {
		t.Error("an unknown package has names")
	}
	if !slices.Contains(Paths(), "net/http") {
		t.Error("Paths lacks net/http")
	}
}
