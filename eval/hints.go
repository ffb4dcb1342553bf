package eval

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/quire-go/quire/eval/cell"
	"github.com/quire-go/quire/eval/godoc"
)

// interpLibrary is the Go release of the standard library the interpreter (yaegi v0.16.1) has.
const interpLibrary = "go1.22"

var (
	undefinedSelector = regexp.MustCompile(`undefined selector: (\w+)\.(\w+)`)
	noSymbol          = regexp.MustCompile(`package \w+ "([^"]+)" has no symbol (\w+)`)
	noSource          = regexp.MustCompile(`import "([^"]+)" error: unable to find source`)
	// Messages of constructs the interpreter cannot run and the compiler can.
	interpLimits = []string{"undefined type for ", "nil type", "nil reflect type", "cannot use type func("}
)

// compiledHints explains an interpreter error that the Go compiler would not give, and
// suggests compiling the cell with %%go. msg is the error's value.
func compiledHints(msg string) []string {
	const suggest = "put %%go on the cell's first line to compile it with the Go toolchain instead"
	if m := noSource.FindStringSubmatch(msg); m != nil {
		if p, ok := godoc.Package(m[1]); ok {
			if p.NewerThan(interpLibrary) {
				return []string{fmt.Sprintf("Hint: package %s is %s; the interpreter's standard library is Go 1.22: %s.", m[1], goRelease(p.Since), suggest)}
			}
			return []string{fmt.Sprintf("Hint: package %s is not in the interpreter's standard library: %s.", m[1], suggest)}
		}
		return nil
	}
	var path, name string
	if m := noSymbol.FindStringSubmatch(msg); m != nil {
		path, name = m[1], m[2]
	} else if m := undefinedSelector.FindStringSubmatch(msg); m != nil {
		for _, p := range godoc.FindPackageByName(m[1]) {
			if _, ok := godoc.Lookup(p, m[2]); ok {
				path, name = p, m[2]
				break
			}
		}
	}
	if path != "" {
		sym, ok := godoc.Lookup(path, name)
		if !ok {
			return nil
		}
		qual := path[strings.LastIndex(path, "/")+1:] + "." + name
		if sym.NewerThan(interpLibrary) {
			return []string{fmt.Sprintf("Hint: %s is %s; the interpreter's standard library is Go 1.22: %s.", qual, goRelease(sym.Since), suggest)}
		}
		if strings.Contains(sym.Decl, "[") {
			return []string{fmt.Sprintf("Hint: %s is generic, and the interpreter cannot call the generic functions of compiled packages: %s.", qual, suggest)}
		}
		return nil
	}
	for _, l := range interpLimits {
		if strings.Contains(msg, l) {
			return []string{"Hint: this is a limit of the Go interpreter (yaegi v0.16.1), not of Go: " + suggest + "."}
		}
	}
	return nil
}

// goRelease turns "go1.23" into "Go 1.23".
func goRelease(v string) string { return "Go " + strings.TrimPrefix(v, "go") }

// methodNote was the note given once per session where a method declared in a cell is one
// that compiled packages look for (MarshalJSON, Is, LogValue...). The worker now tells every
// cell that uses such a package while the session has such a method
// (eval/worker/usenotes.go), so that a later cell does not differ silently; nothing is said
// at the declaration any more.
func methodNote(cell.Decl) string { return "" }
