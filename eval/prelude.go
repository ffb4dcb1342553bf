package eval

import (
	"go/scanner"
	"go/token"
	"strings"
	"sync"

	"github.com/quire-go/quire/eval/cell"
)

// cellPrelude returns the declarations of the helpers plans may call (cell.Prelude), with
// every identifier T renamed: in yaegi v0.16.1 a generic func's type parameter named T leaks
// into the global scope, and a later `type T int` then fails ("T(3)": too many arguments).
var cellPrelude = sync.OnceValue(func() string { return renameIdent(cell.Prelude(), "T", "__quire_T") })

// renameIdent replaces the identifier from with to in Go source, token by token.
func renameIdent(src, from, to string) string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	s.Init(file, []byte(src), nil, scanner.ScanComments)
	var b strings.Builder
	last := 0
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.IDENT && lit == from {
			off := file.Offset(pos)
			b.WriteString(src[last:off])
			b.WriteString(to)
			last = off + len(from)
		}
	}
	b.WriteString(src[last:])
	return b.String()
}
