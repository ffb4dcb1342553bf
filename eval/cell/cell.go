// Package cell turns the Go source of one notebook cell into snippets that yaegi v0.16.1 can
// evaluate, one after the other, with Go 1.22+ semantics. It does source work only (go/scanner,
// go/parser, go/ast, go/printer) and does not import yaegi; the session that evaluates the
// snippets lives in package eval. The tests do evaluate every rewrite in yaegi.
//
// # Model
//
// A cell is a sequence of top-level items (imports, funcs, methods, types, consts, vars and
// statements) as if typed into one growing main package. yaegi's REPL Eval decides from the
// first token of a snippet whether it is a file (import/func/type/var/const) or statements, and
// cannot mix both, so Build splits the cell (go/scanner, cutting at semicolons of bracket depth
// 0) into Segments of one Kind each, to be evaluated in order:
//
//   - Import: all new imports of the cell, hoisted first; repeats are dropped, a name bound to
//     another path is an error. A package clause is ignored.
//   - Func: func and method declarations (file mode). Funcs that use nothing the cell's
//     statements declare are hoisted before the statements, so a cell may call a func declared
//     below the call, as in a Go file.
//   - Stmts: everything else, including var/const/type declarations, in source order
//     (statement mode, yaegi's global scope). They start with ";" so that a leading func
//     literal is never taken as a file (yaegi would then re-run it after every cell). When a
//     func of the cell uses a type or const the cell declares, the cell's type and const
//     declarations go first of all (they cannot refer to variables), so a func may use a type
//     declared below it.
//
// A trailing expression statement is not part of the segments: it is Plan.Trailing, to display
// (Plan.ShowSrc) or to run (Plan.StmtSrc).
//
// # Positions
//
// Snippets are printed with go/printer and carry //line directives (FileName: "cell3/_.go")
// that keep the user's line numbers, so yaegi's errors and panic traces name the cell's own
// lines; DisplayPositions turns "cell3/_.go:4:2" into "cell3.go:4:2". The base name must be
// "_.go" because yaegi v0.16.1 resolves package names used in types by the file name of the
// position.
//
// # Rewrites
//
// Each segment is rewritten at the AST level to work around yaegi v0.16.1:
//
//   - loop variables are per iteration (Go 1.22) when a func literal, an address (&v) or a
//     method value in a go/defer statement can capture them: v := v at the top of the body, or,
//     for a three-clause loop whose body also assigns the variable, a copy-in/copy-out loop in
//     which continue becomes a goto;
//   - for i := range n over an integer becomes a three-clause loop; n is known to be an integer
//     syntactically (literals, len/cap, conversions, arithmetic, int-typed declarations and
//     parameters in the cell, Known.Ints from earlier cells);
//   - min and max fold when all arguments are constants and otherwise call 2-argument generic
//     helpers from Prelude (a non-constant argument first, as yaegi cannot infer a type from an
//     untyped constant); clear calls a reflection-based helper;
//   - go statements recover panics in the goroutine and pass them to HostPkg.GoPanic, still
//     evaluating the func value and arguments at the go statement;
//   - at the top level, if/for/switch/select/blocks/labeled statements run inside
//     func(){...}() (they can still assign globals; their := variables stay local);
//     v, ok := m[k] and v, ok := x.(T) are split into forms yaegi's global scope accepts, and
//     min/max in a top-level := or var are computed into temporaries first;
//   - in loop bodies, a func literal passed to a call (other than of a builtin or a func of
//     the session) is parenthesised, so yaegi hands compiled code a closure that keeps its
//     iteration's variables (wg.Go, sync.OnceFunc, time.AfterFunc in a loop);
//   - range over an iterator func known syntactically (rangefunc.go) loops over a pull
//     iterator; y := G(x) and var y = G(x) with a generic G end their segment, so that what
//     follows is evaluated once yaegi has typed y;
//   - a variable, const or type named main is MainName in the interpreter (yaegi calls a
//     global main after every evaluation); Decl names and the session keep main.
//
// Undefined and UndefinedOf find names a cell uses that nothing declares, for errors yaegi
// words otherwise ("constant definition loop") and for names only a cell that failed to
// compile declared.
//
// # Not supported (Build returns an *Error saying what to write instead)
//
// func main, top-level defer and return, v, ok := <-ch at the top level, a generic func call
// whose type a top-level := or var takes without being that call (other than a call evaluated
// first, which gets its own variable), range over func(yield func() bool). Known yaegi bugs this package
// does not work around: deferred calls inside a loop see the last iteration's values (yaegi
// evaluates their arguments late), a generic func's type parameter name leaks into the
// global scope, and a top-level := or var cannot take its type from an element of a compiled
// package's slice, array or map (rec := e.Records[0] fails with "constant definition loop",
// e.Records[0].End - e.Records[0].Start with a nil pointer dereference; only the type
// checker knows the element type, so no rewrite can supply it): Plan.Hints tells the user to
// declare the variable with its type first (var rec T; rec = e.Records[0]), which works.
package cell

import (
	"fmt"
	"sort"
	"strings"
)

// Names shared with the session that evaluates the plan. The session must import a host package
// under the local name HostPkg (any import path) with
//
//	func GoPanic(v any)           // called (deferred) in every goroutine; v is recover()'s value
//	func Show(vs ...any)          // displays the value(s) of a trailing expression
//	func Defer(f func())          // runs f when the cell ends (a top-level defer), last first
const (
	HostPkg     = "__quire"
	GoPanicFunc = "GoPanic"
	ShowFunc    = "Show"
	DeferFunc   = "Defer"
)

// Kind is the kind of a Segment.
type Kind int

// Segment kinds.
const (
	// Import: import declarations, evaluated in file mode.
	Import Kind = iota
	// Func: func and method declarations, evaluated in file mode.
	Func
	// Stmts: statements and var/const/type declarations, evaluated in statement mode.
	Stmts
)

func (k Kind) String() string {
	switch k {
	case Import:
		return "import"
	case Func:
		return "func"
	case Stmts:
		return "stmts"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// DeclKind is what a Decl declares.
type DeclKind string

// Declaration kinds.
const (
	DeclImport DeclKind = "import"
	DeclFunc   DeclKind = "func"
	DeclMethod DeclKind = "method"
	DeclType   DeclKind = "type"
	DeclVar    DeclKind = "var" // var declarations and := definitions
	DeclConst  DeclKind = "const"
)

// Decl is one name a segment declares.
type Decl struct {
	// Name is the declared name; methods are "T.M" (T without pointer or type parameters);
	// imports are the local name, or "_ path" and ". path" for blank and dot imports.
	Name string
	Kind DeclKind
	// Src is the declaration's own rewritten source, ready for Eval on its own in a fresh
	// interpreter (with its //line directive): file mode for imports, funcs and methods,
	// statement mode (leading ";") for the others. For := definitions it is the whole
	// statement that defined the name. For imports it is the import declaration.
	Src string
	// Uses lists, sorted and without repeats, the identifiers (including selector names) the
	// declaration references, so callers of a redefined func can be found (see Callers).
	Uses []string
	// Path is the import path of an import.
	Path string
	// Generic reports a func or type with type parameters.
	Generic bool
	// Iter is the arity (1 or 2) of the iterator func a func returns or a var holds, as
	// declared or assigned syntactically (0: none known).
	Iter int
	// Yields is the arity of a func that is itself an iterator (func seq(yield func(V) bool)).
	Yields int
	// Int reports a var or const syntactically known to have an integer type (for example
	// n := 10 or var n int). Feed it back as Known.Ints so later cells can rewrite
	// for i := range n.
	Int bool
	// Redefines reports that Known already held this name (func, method, type, var or const):
	// the session must handle the redefinition (re-evaluate callers, or restart and replay).
	Redefines bool

	// The fields below describe the declaration for the session (replay, child processes,
	// inspection, %who), so that no other package has to parse Src again.

	// Line and EndLine are the cell lines where the declaration starts and ends as the user
	// wrote it (0 when unknown, as for imports); Pos is "cell3.go:4" (empty when unknown).
	Line, EndLine int
	Pos           string
	// Written is the declaration as the user wrote it (the cell's lines Line to EndLine), and
	// Doc the // comment lines right above it; Written falls back to Text when Line is unknown.
	Written, Doc string
	// Text is Src as Build made it, without quire's //line directives and leading separators:
	// the rewritten declaration as Go source, for comparing two versions of a declaration
	// (the session's later wrapping of executors and display arguments is not in it).
	Text string
	// Summary is one line: a func's or method's signature, a type's definition (other kinds:
	// empty).
	Summary string
	// Free lists, sorted, the identifiers a func or method refers to without declaring them
	// (globals, other funcs, predeclared names); selector names and locals are not included.
	Free []string
	// Define reports a var whose Src is a := statement rather than a var declaration.
	Define bool
	// Pure reports a var whose initial values call nothing but make, new, len, cap and
	// conversions to basic types and receive from no channel: re-running Src has no side
	// effects, so a restarted interpreter or a child process can rebuild the variable.
	Pure bool
	// Recv is a method's receiver type as written: "*T", "T", "*Stack[E]".
	Recv string
}

// Known is what the session already holds, so a plan can dedupe imports, spot redefinitions and
// resolve names it cannot type-check. Nil maps are empty.
type Known struct {
	Imports  map[string]string // local name (or "_ path", ". path") -> import path
	Funcs    map[string]bool   // top-level funcs, and methods as "T.M"
	Types    map[string]bool
	Vars     map[string]bool // vars and consts defined so far
	Consts   map[string]bool // consts defined so far (also in Vars)
	Generics map[string]bool // generic funcs
	Iters    map[string]int  // funcs that return iterators and vars that hold them: the arity
	Yields   map[string]int  // funcs that are iterators (func seq(yield func(V) bool)): the arity
	Ints     map[string]bool // vars/consts with an integer type (Decl.Int)
}

// Segment is one snippet for one Eval call.
type Segment struct {
	Kind Kind
	// Src is ready for Eval: it starts with ";\n" (Stmts) or "\n" (Import, Func), then a
	// //line directive naming the cell.
	Src string
	// Line and Col are the position in the cell where the segment starts (1-based).
	Line, Col int
	// Defines lists what the segment declares, in source order.
	Defines []Decl
	// alone: the statements after this segment's go in another Eval (it defines a global
	// from a generic call, which yaegi v0.16.1 types only when it runs the segment).
	alone bool
}

// Plan is the result of Build.
type Plan struct {
	// File is the name used in //line directives (FileName), e.g. "cell3/_.go".
	File     string
	Segments []Segment
	// Trailing is the source of the cell's trailing expression statement, rewritten, without
	// //line directive at its start; empty if the cell does not end in an expression. It is
	// NOT part of Segments: run it with ShowSrc (display) or StmtSrc (Suppress).
	Trailing                  string
	TrailingLine, TrailingCol int
	// Suppress reports a trailing expression whose value is not worth showing (a call of
	// fmt.Print*, log.*, println, a Write method...): run it as a statement, show nothing.
	Suppress bool
	// NeedsHelpers reports that the plan calls helpers declared by Prelude.
	NeedsHelpers bool
	// Hints are advice to add to an error of this cell, for rewrites Build could not decide
	// without types. Today: each "for k := range x" whose x is not known to be an integer, left
	// as is; if x is an integer, yaegi v0.16.1 fails with a host panic "nil type" on it. And
	// each top-level := or var whose value indexes something (x := e.Records[0]): if that is a
	// slice, array or map of a compiled package, yaegi v0.16.1 cannot type the global and fails
	// with "constant definition loop" or a nil pointer dereference.
	Hints []Hint
}

// Hint is advice tied to a cell position, for when evaluating the cell fails.
type Hint struct {
	Line, Col int
	Msg       string
	// When lists substrings of the error message for which the hint applies (any of them);
	// empty means any error. See Applies.
	When []string
}

// Applies reports whether the hint is relevant to an error message of its cell.
func (h Hint) Applies(errMsg string) bool {
	if len(h.When) == 0 {
		return true
	}
	for _, w := range h.When {
		if strings.Contains(errMsg, w) {
			return true
		}
	}
	return false
}

// ShowSrc returns statement-mode source that passes the trailing expression to show (for
// example HostPkg+"."+ShowFunc), keeping the expression's cell position. It returns "" when there
// is no trailing expression.
func (p *Plan) ShowSrc(show string) string {
	if p.Trailing == "" {
		return ""
	}
	return fmt.Sprintf(";\n%s(/*line %s:%d:%d*/%s)", show, p.File, p.TrailingLine, p.TrailingCol, p.Trailing)
}

// StmtSrc returns statement-mode source that runs the trailing expression as a statement, or ""
// when there is none.
func (p *Plan) StmtSrc() string {
	if p.Trailing == "" {
		return ""
	}
	return fmt.Sprintf(";\n//line %s:%d:%d\n%s", p.File, p.TrailingLine, p.TrailingCol, p.Trailing)
}

// Defines returns the declarations of all segments, in segment order.
func (p *Plan) Defines() []Decl {
	var ds []Decl
	for _, s := range p.Segments {
		ds = append(ds, s.Defines...)
	}
	return ds
}

// Error is a problem in the cell that Build reports instead of a plan.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Callers returns the names of the funcs and methods in decls that reference name, directly or
// through other funcs in decls, in the order of decls and without repeats. For a method name
// "T.M" a reference to the selector M counts. name itself is not included.
func Callers(decls []Decl, name string) []string {
	want := map[string]bool{name: true}
	if i := lastDot(name); i >= 0 {
		want[name[i+1:]] = true
	}
	found := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, d := range decls {
			if (d.Kind != DeclFunc && d.Kind != DeclMethod) || found[d.Name] || d.Name == name {
				continue
			}
			for _, u := range d.Uses {
				if want[u] {
					found[d.Name] = true
					want[d.Name] = true
					if i := lastDot(d.Name); i >= 0 {
						want[d.Name[i+1:]] = true
					}
					changed = true
					break
				}
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, d := range decls {
		if found[d.Name] && !seen[d.Name] {
			seen[d.Name] = true
			out = append(out, d.Name)
		}
	}
	return out
}

func lastDot(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return -1
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Replay returns the snippets that re-create, in a fresh interpreter, the declarations of a
// session whose plans declared decls (all Decls so far, in evaluation order), for example after
// a type or method redefinition. Only the latest declaration of each name counts. The order is:
// imports; type and const declarations; var declarations (and := statements) that use none of
// the funcs; all funcs and methods in one file-mode snippet (so they may refer to each other in
// any order); then the remaining var declarations. Statements that declared nothing are not
// replayed, so their effects are lost; := statements run again.
func Replay(decls []Decl) []string {
	key := func(d Decl) string {
		switch d.Kind {
		case DeclImport:
			return "import " + d.Name
		case DeclFunc, DeclMethod:
			return "func " + d.Name
		case DeclType:
			return "type " + d.Name
		}
		return "value " + d.Name
	}
	latest := map[string]int{}
	funcs := map[string]bool{}
	for i, d := range decls {
		latest[key(d)] = i
		if d.Kind == DeclFunc {
			funcs[d.Name] = true
		}
	}
	var imports, types, early, fns, late []string
	seen := map[string]bool{}
	for i, d := range decls {
		if latest[key(d)] != i || seen[d.Src] {
			continue
		}
		seen[d.Src] = true
		switch d.Kind {
		case DeclImport:
			imports = append(imports, d.Src)
		case DeclType, DeclConst:
			types = append(types, d.Src)
		case DeclFunc, DeclMethod:
			fns = append(fns, d.Src)
		default:
			usesFunc := false
			for _, u := range d.Uses {
				usesFunc = usesFunc || funcs[u]
			}
			if usesFunc {
				late = append(late, d.Src)
			} else {
				early = append(early, d.Src)
			}
		}
	}
	var out []string
	if len(imports) > 0 {
		out = append(out, strings.Join(imports, "\n"))
	}
	out = append(out, types...)
	out = append(out, early...)
	if len(fns) > 0 {
		out = append(out, strings.Join(fns, "\n"))
	}
	return append(out, late...)
}
