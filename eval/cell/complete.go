package cell

import (
	"errors"
	"go/scanner"
	"go/token"
	"strings"
)

// Statuses returned by IsComplete (the values of Jupyter's is_complete_reply).
const (
	StatusComplete   = "complete"
	StatusIncomplete = "incomplete"
	StatusInvalid    = "invalid"
)

// IsComplete answers Jupyter's is_complete_request for src: "incomplete" when the code could go
// on (an unclosed bracket, string or comment, or a trailing operator), with the indent for the
// next line (a tab per open bracket); "invalid" when it has a syntax error more input cannot fix;
// else "complete".
func IsComplete(src string) (status string, indent string) {
	fset := token.NewFileSet()
	f := fset.AddFile("cell.go", -1, len(src))
	var s scanner.Scanner
	var errs scanner.ErrorList
	s.Init(f, []byte(src), func(pos token.Position, msg string) { errs.Add(pos, msg) }, scanner.ScanComments)
	depth := 0
	var open []token.Token // the brackets still open
	last := token.ILLEGAL
	for {
		_, t, lit := s.Scan()
		if t == token.EOF {
			break
		}
		switch t {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			depth++
			open = append(open, t)
		case token.RPAREN, token.RBRACK, token.RBRACE:
			depth--
			if depth < 0 {
				return StatusInvalid, ""
			}
			open = open[:len(open)-1]
		case token.COMMENT:
			continue
		case token.SEMICOLON:
			if lit == "\n" {
				continue // automatic: keep the token before it as the last one
			}
		}
		last = t
	}
	for _, e := range errs {
		if strings.Contains(e.Msg, "not terminated") {
			return StatusIncomplete, strings.Repeat("\t", depth)
		}
	}
	if depth > 0 {
		if closedIsBroken(src, open) {
			return StatusInvalid, ""
		}
		return StatusIncomplete, strings.Repeat("\t", depth)
	}
	if continues(last) {
		return StatusIncomplete, "\t"
	}
	if len(errs) > 0 {
		return StatusInvalid, ""
	}
	if _, err := Build("cell", src, Known{}); err != nil {
		var e *Error
		if errors.As(err, &e) && strings.HasPrefix(e.Msg, "syntax error") {
			return StatusInvalid, ""
		}
	}
	return StatusComplete, ""
}

// continues reports tokens after which a Go line cannot end a statement.
func continues(t token.Token) bool {
	if t.IsOperator() {
		switch t {
		case token.RPAREN, token.RBRACK, token.RBRACE, token.SEMICOLON, token.INC, token.DEC:
			return false
		}
		return true
	}
	return false
}

// closedIsBroken reports whether src, with its open brackets closed, has a syntax error
// inside the text typed so far (as in `func f( {`): more lines cannot fix that.
func closedIsBroken(src string, open []token.Token) bool {
	var closers strings.Builder
	closers.WriteString("\n")
	for i := len(open) - 1; i >= 0; i-- {
		switch open[i] {
		case token.LPAREN:
			closers.WriteString(")")
		case token.LBRACK:
			closers.WriteString("]")
		default:
			closers.WriteString("}")
		}
	}
	_, err := Build("cell", src+closers.String(), Known{})
	var e *Error
	if !errors.As(err, &e) || !strings.HasPrefix(e.Msg, "syntax error") || e.Line == 0 {
		return false
	}
	endLine, endCol := lineCol([]byte(src), len(strings.TrimRight(src, " \t\r\n")))
	return e.Line < endLine || e.Line == endLine && e.Col < endCol
}
