package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The point of quire-kernel is what it does not link: the interpreter and its tables, the
// worker, the executors and the lessons' runner stay in the quire binary.
func TestDoesNotLinkTheInterpreter(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch {
		case strings.HasPrefix(dep, "github.com/traefik/yaegi"),
			dep == "github.com/quire-go/quire/eval/worker",
			dep == "github.com/quire-go/quire/eval/exports",
			dep == "github.com/quire-go/quire/executors",
			dep == "github.com/quire-go/quire/display",
			dep == "net/http":
			t.Errorf("quire-kernel links %s", dep)
		}
	}
}
