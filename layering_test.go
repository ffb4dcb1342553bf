package quire

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The layering rules of DESIGN.md and the README's architecture section, checked on the real
// import graph (`go list -deps`, so an indirect import breaks a rule too). Each rule names
// packages (a trailing /... includes sub-packages) and what they must never depend on.
var layering = []struct {
	pkgs   []string
	never  []string
	reason string
}{
	{[]string{"backend"}, []string{"kernel/...", "eval/...", "display/...", "executors/...", zmq4, yaegi},
		"backend is the contract between the two sides and depends on neither"},
	{[]string{"kernel/..."}, []string{"eval/...", "display/...", "executors/...", yaegi},
		"the kernel speaks Jupyter and never knows Go-the-language"},
	{[]string{"eval/..."}, []string{"kernel/...", zmq4},
		"the Go backend never speaks ZeroMQ"},
	{[]string{"eval"}, []string{yaegi, "eval/worker", "executors/..."},
		"the supervisor runs in the kernel process, which does not link the interpreter"},
	{[]string{"display/..."}, []string{"kernel/...", "eval/...", "executors/...", zmq4, yaegi},
		"display builds MIME bundles and knows nothing of sockets or the interpreter"},
	{[]string{"executors"}, []string{"kernel/...", "eval/...", zmq4, yaegi},
		"executors are plain Go, usable without the kernel"},
	{[]string{"notebook"}, []string{"kernel/...", "eval/...", zmq4, yaegi},
		"nbformat and notebook execution go through an interface, not a kernel"},
	{[]string{"lessons/..."}, []string{"eval", "eval/worker", "eval/magic", "eval/compiled", yaegi},
		"lessons are data and checks, run through a kernel (eval/cell, the parser, is allowed)"},
	{[]string{"cmd/quire-kernel"}, []string{yaegi, "eval/worker", "executors/...", "display/..."},
		"the small kernel binary leaves the interpreter out"},
}

const (
	module = "github.com/quire-go/quire"
	zmq4   = "github.com/go-zeromq/zmq4/..."
	yaegi  = "github.com/traefik/yaegi/..."
)

func TestLayering(t *testing.T) {
	deps := goList(t, "Deps")
	for _, r := range layering {
		checked := 0
		for pkg, ds := range deps {
			if !matchAny(pkg, r.pkgs) {
				continue
			}
			checked++
			for _, d := range ds {
				if matchAny(d, r.never) {
					t.Errorf("%s depends on %s: %s", strings.TrimPrefix(pkg, module+"/"), d, r.reason)
				}
			}
		}
		if checked == 0 {
			t.Errorf("rule for %v matches no package: update the rule", r.pkgs)
		}
	}
}

// goList maps each package of the module to the list field of `go list` (Deps: every
// package it depends on; Imports: what its non-test files import). It skips the test when
// there is no go command.
func goList(t *testing.T, field string) map[string][]string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH: the import graph comes from go list")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range ."+field+"}} {{.}}{{end}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	pkgs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkgs[f[0]] = f[1:]
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages: %s", len(pkgs), out)
	}
	return pkgs
}

// matchAny reports whether pkg is one of patterns; module-relative patterns are expanded.
func matchAny(pkg string, patterns []string) bool {
	for _, p := range patterns {
		if !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
			p = module + "/" + p
		}
		if base, ok := strings.CutSuffix(p, "/..."); ok {
			if pkg == base || strings.HasPrefix(pkg, base+"/") {
				return true
			}
		} else if pkg == p {
			return true
		}
	}
	return false
}

// parsers are the standard packages that read Go source.
var parsers = []string{"go/parser", "go/scanner", "go/printer"}

// TestOnlyCellParsesGo keeps eval/cell the one package that reads Go source (cells,
// declarations, imports): a second parser drifts from the first, as the session's did. Allowed
// besides: the generator of the godoc index, which reads GOROOT, and the worker's generated
// table of newer standard library symbols, which exports go/parser to cells.
func TestOnlyCellParsesGo(t *testing.T) {
	allowed := []string{"eval/cell", "eval/godoc/internal/gen", "eval/worker"}
	found := false
	for pkg, imports := range goList(t, "Imports") {
		for _, imp := range imports {
			if !slices.Contains(parsers, imp) {
				continue
			}
			if pkg == module+"/eval/cell" {
				found = true
			}
			if !matchAny(pkg, allowed) {
				t.Errorf("%s imports %s: parse Go with eval/cell (add what you need to cell.Decl or a cell function)", strings.TrimPrefix(pkg, module+"/"), imp)
			}
		}
	}
	if !found {
		t.Error("eval/cell imports no parser: update this test")
	}
}
