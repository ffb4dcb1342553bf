package cell

import (
	"go/ast"
	"go/token"
	"sort"
	"strings"
)

// Predeclared reports whether name is one of Go's predeclared identifiers (go/types.Universe,
// without importing go/types: the kernel binary links this package).
func Predeclared(name string) bool { return universe[name] }

var universe = map[string]bool{
	"any": true, "bool": true, "byte": true, "comparable": true, "complex64": true, "complex128": true,
	"error": true, "float32": true, "float64": true, "int": true, "int8": true, "int16": true,
	"int32": true, "int64": true, "rune": true, "string": true, "uint": true, "uint8": true,
	"uint16": true, "uint32": true, "uint64": true, "uintptr": true,
	"true": true, "false": true, "iota": true, "nil": true,
	"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true,
	"delete": true, "imag": true, "len": true, "make": true, "max": true, "min": true, "new": true,
	"panic": true, "print": true, "println": true, "real": true, "recover": true,
}

// Undefined returns, as an *Error "undefined: name" at its position, the first identifier of a
// cell that refers to nothing: declared neither by the cell, nor by the session (known), nor by
// an import, nor predeclared. yaegi v0.16.1 reports such a name in the value of a top-level :=
// or var as "constant definition loop"; the session uses Undefined to say what Go says. It
// returns nil when every name resolves, when the cell does not parse, and when a dot import
// could declare any name.
func Undefined(cellName, src string, known Known) *Error {
	return UndefinedOf(cellName, src, known, nil)
}

// UndefinedOf is Undefined reporting only the names in only (all names if only is nil): the
// session asks it about names the interpreter holds but Go would not (see Undefined's caller).
func UndefinedOf(cellName, src string, known Known, only map[string]bool) *Error {
	var found *Error
	func() {
		defer func() { _ = recover() }() // a bug here must not hide the interpreter's error
		found = undefined(cellName, src, known, only)
	}()
	return found
}

func undefined(cellName, src string, known Known, only map[string]bool) *Error {
	b := &builder{
		file:    FileName(cellName),
		src:     []byte(strings.TrimPrefix(src, "\uFEFF")),
		known:   known,
		plan:    &Plan{},
		names:   map[string]bool{},
		imports: map[string]string{},
		resolve: true,
	}
	b.plan.File = b.file
	tf := token.NewFileSet().AddFile(b.file, -1, len(b.src))
	items, err := split(tf, b.src)
	if err != nil {
		return nil
	}
	b.psrc = append([]byte(nil), b.src...)
	var rest []item
	for _, it := range items {
		if it.kind == itemPackage || it.kind == itemImport {
			if it.kind == itemImport && b.doImport(it) != nil {
				return nil
			}
			for k := it.start; k < it.end; k++ {
				if b.psrc[k] != '\n' {
					b.psrc[k] = ' '
				}
			}
			continue
		}
		rest = append(rest, it)
	}
	for name := range known.Imports {
		if strings.HasPrefix(name, ". ") {
			return nil
		}
	}
	for name := range b.imports {
		if strings.HasPrefix(name, ". ") {
			return nil
		}
	}
	// Parse each item on its own (with object resolution) and collect the cell's top-level
	// names.
	declared := map[string]bool{}
	var files []*parsed
	for _, it := range rest {
		var p *parsed
		if it.kind == itemFunc {
			p, err = b.parse(it, filePrefix, "")
		} else {
			p, err = b.parse(it, bodyPrefix, "\n}")
		}
		if err != nil {
			return nil
		}
		files = append(files, p)
		if it.kind == itemFunc {
			for _, d := range p.file.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
					declared[fd.Name.Name] = true
				}
			}
			continue
		}
		for _, s := range stmtsOf(p) {
			switch s := s.(type) {
			case *ast.DeclStmt:
				gd, ok := s.Decl.(*ast.GenDecl)
				if !ok {
					continue
				}
				for _, sp := range gd.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						declared[sp.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							declared[n.Name] = true
						}
					}
				}
			case *ast.AssignStmt:
				if s.Tok == token.DEFINE {
					for _, l := range s.Lhs {
						if id, ok := l.(*ast.Ident); ok {
							declared[id.Name] = true
						}
					}
				}
			}
		}
	}
	known1 := func(name string) bool {
		if declared[name] || universe[name] || name == "_" || strings.HasPrefix(name, HostPkg) ||
			known.Funcs[name] || known.Types[name] || known.Vars[name] || known.Consts[name] {
			return true
		}
		if _, ok := known.Imports[name]; ok {
			return true
		}
		_, ok := b.imports[name]
		return ok
	}
	type hit struct {
		line, col int
		name      string
	}
	var hits []hit
	for _, p := range files {
		for _, id := range p.file.Unresolved {
			if !known1(id.Name) && (only == nil || only[id.Name]) {
				l, c := p.pos(id.Pos())
				hits = append(hits, hit{l, c, id.Name})
			}
		}
	}
	if len(hits) == 0 {
		return nil
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].line != hits[j].line {
			return hits[i].line < hits[j].line
		}
		return hits[i].col < hits[j].col
	})
	return b.errorf(hits[0].line, hits[0].col, "undefined: %s", hits[0].name)
}
