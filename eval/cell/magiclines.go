package cell

import "strings"

// MagicLines reports, for each line of src (split at "\n"), whether it is a line magic: a line
// whose first character is % or ! where a statement could start at the top level of the cell.
// A line inside brackets, a raw string or a block comment, or one that continues an expression
// (the previous line ends in an operator, as in `ok := a &&` then `!b`), is Go.
func MagicLines(src string) []bool {
	lines := strings.Split(src, "\n")
	out := make([]bool, len(lines))
	depth := 0
	inRaw, inComment := false, false
	boundary := true // a statement may start here
	for n, line := range lines {
		if !inRaw && !inComment && depth == 0 && boundary && line != "" && (line[0] == '%' || line[0] == '!') {
			out[n] = true
			continue
		}
		last := "" // the line's last significant token, roughly
		for i := 0; i < len(line); i++ {
			ch := line[i]
			switch {
			case inComment:
				if ch == '*' && i+1 < len(line) && line[i+1] == '/' {
					inComment = false
					i++
				}
				continue
			case inRaw:
				if ch == '`' {
					inRaw = false
					last = "lit"
				}
				continue
			}
			switch ch {
			case ' ', '\t', '\r':
				continue
			case '/':
				if i+1 < len(line) && line[i+1] == '/' {
					i = len(line)
					continue
				}
				if i+1 < len(line) && line[i+1] == '*' {
					inComment = true
					i++
					continue
				}
				last = "op"
			case '`':
				inRaw = true
				last = "lit"
			case '"', '\'':
				for i++; i < len(line) && line[i] != ch; i++ {
					if line[i] == '\\' {
						i++
					}
				}
				last = "lit"
			case '(', '[', '{':
				depth++
				last = "open"
			case ')', ']', '}':
				if depth > 0 {
					depth--
				}
				last = "close"
			case '+', '-':
				if i+1 < len(line) && line[i+1] == ch {
					i++
					last = "incdec"
				} else {
					last = "op"
				}
			default:
				if ch == '_' || ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= 0x80 {
					last = "word"
				} else {
					last = "op"
				}
			}
		}
		if inRaw {
			boundary = false
			continue
		}
		switch last {
		case "": // blank or comment only: as before (a comment is white space)
		case "word", "lit", "close", "incdec":
			boundary = true
		default:
			boundary = false
		}
	}
	return out
}
