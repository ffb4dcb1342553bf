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

// Methods that compiled packages look for on the values they are given. yaegi v0.16.1 hands a
// value of an interpreted type to compiled code as its underlying type, so compiled code sees
// these methods only where quire or yaegi wrap the value (a String, Error, Format or
// MarshalJSON of a value passed directly), and never on values inside slices, maps, struct
// fields or wrapped errors. String, Error and Format are left out of the notes: they work in
// the common case (the value itself printed) and nearly every type has one; the README's
// Limits say where they do not.
var compiledLooksFor = map[string]string{
	"GoString":      "fmt's %%#v does not call it",
	"MarshalJSON":   "encoding/json calls it for a %[1]s passed directly, not for one inside a slice, map or struct",
	"UnmarshalJSON": "encoding/json does not call it",
	"MarshalText":   "encoding/json and encoding/xml do not call it",
	"UnmarshalText": "encoding/json and encoding/xml do not call it",
	"MarshalXML":    "encoding/xml does not call it",
	"UnmarshalXML":  "encoding/xml does not call it",
	"Is":            "errors.Is does not call it",
	"As":            "errors.As does not call it",
	"Unwrap":        "errors.Is, errors.As and errors.Unwrap do not call it",
	"LogValue":      "log/slog does not call it",
}

// methodNote explains, once per method, where the compiled standard library will not see a
// method declared in a cell, so that a different output never comes without a word.
func methodNote(d cell.Decl) string {
	if d.Kind != cell.DeclMethod {
		return ""
	}
	typ, m, ok := strings.Cut(d.Name, ".")
	if !ok {
		return ""
	}
	why, ok := compiledLooksFor[m]
	if !ok {
		return ""
	}
	return fmt.Sprintf("quire: %s.%s is a method of a type interpreted by yaegi, which compiled packages see only in part: %s. Run code that relies on it with %%%%go.",
		typ, m, fmt.Sprintf(why, typ))
}
