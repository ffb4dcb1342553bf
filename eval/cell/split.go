package cell

import (
	"go/scanner"
	"go/token"
	"strings"
)

// itemKind classifies a top-level item of a cell.
type itemKind int

const (
	itemImport itemKind = iota
	itemFunc
	itemStmts
	itemPackage
	itemTypes // a type or const declaration (Build only; split says itemStmts)
)

// item is one top-level item: the cell text from the end of the previous item up to (not
// including) the semicolon that ends it, so leading comments stay attached.
type item struct {
	kind       itemKind
	start, end int       // byte offsets in the cell
	first      token.Pos // first token
}

// split tokenizes src and cuts it into top-level items at semicolons of bracket depth 0.
func split(file *token.File, src []byte) ([]item, error) {
	var s scanner.Scanner
	var errs scanner.ErrorList
	s.Init(file, src, func(pos token.Position, msg string) { errs.Add(pos, msg) }, 0)

	var items []item
	var toks []token.Token // tokens of the current item
	var first token.Pos
	depth := 0
	start := 0
	flush := func(end int) {
		if len(toks) > 0 {
			items = append(items, item{kind: classify(toks), start: start, end: end, first: first})
		}
		toks = toks[:0]
		start = end
	}
	for {
		pos, t, _ := s.Scan()
		if t == token.EOF {
			break
		}
		switch t {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if depth > 0 {
				depth--
			}
		case token.SEMICOLON:
			if depth == 0 {
				off := file.Offset(pos)
				flush(off)
				// The item after an explicit ";" starts after it; an automatic one is the
				// newline itself, which the next item keeps.
				if off < len(src) && src[off] == ';' {
					start = off + 1
				}
				continue
			}
		}
		if len(toks) == 0 {
			first = pos
		}
		toks = append(toks, t)
	}
	flush(len(src))
	if len(errs) > 0 {
		errs.Sort()
		return nil, errs.Err()
	}
	return items, nil
}

// classify tells an item's kind from its leading tokens.
func classify(ts []token.Token) itemKind {
	switch ts[0] {
	case token.IMPORT:
		return itemImport
	case token.PACKAGE:
		return itemPackage
	case token.FUNC:
		if len(ts) > 1 && ts[1] == token.IDENT {
			return itemFunc
		}
		if len(ts) > 1 && ts[1] == token.LPAREN {
			// func (recv) Name( or Name[ is a method; anything else is a func literal.
			d := 0
			for i := 1; i < len(ts); i++ {
				switch ts[i] {
				case token.LPAREN, token.LBRACK, token.LBRACE:
					d++
				case token.RPAREN, token.RBRACK, token.RBRACE:
					d--
				}
				if d == 0 {
					if i+2 < len(ts) && ts[i+1] == token.IDENT && (ts[i+2] == token.LPAREN || ts[i+2] == token.LBRACK) {
						return itemFunc
					}
					return itemStmts
				}
			}
		}
	}
	return itemStmts
}

// lineCol returns the 1-based line and column of byte offset off in src.
func lineCol(src []byte, off int) (int, int) {
	line, col := 1, 1
	for i := 0; i < off && i < len(src); i++ {
		if src[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// trimLeadingSpace returns the offset of the first non-space byte of src[start:end], skipping
// blank lines so an item's position is its first line of text or comment.
func firstText(src []byte, start, end int) int {
	i := start
	for i < end && strings.ContainsRune(" \t\r\n", rune(src[i])) {
		i++
	}
	return i
}
