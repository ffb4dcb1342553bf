package cell

import (
	"go/parser"
	"go/scanner"
	"go/token"
	"strconv"
	"strings"
)

// RenameIdent replaces the identifier from with to in Go source, token by token (comments and
// strings are left alone).
func RenameIdent(src, from, to string) string {
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

// Imports returns the import paths of a Go file, in order, reading no further than its import
// declarations. It fails when the file's package clause or imports do not parse.
func Imports(name, src string) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(f.Imports))
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
