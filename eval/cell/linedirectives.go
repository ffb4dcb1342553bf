package cell

import "strings"

// StripLineDirectives returns src (a segment's or a declaration's source from a Plan) without
// the //line and /*line*/ directives that map it back to its cell: the code as the user wrote it.
// A //line directive is a whole line starting with "//line " (removed with its newline; one
// without a newline at the end of src stays); a /*line*/ one is "/*line " up to the next "*/"
// with no '*' in between.
func StripLineDirectives(src string) string {
	if !strings.Contains(src, "line ") {
		return src
	}
	var b strings.Builder
	b.Grow(len(src))
	for i := 0; i < len(src); {
		if (i == 0 || src[i-1] == '\n') && strings.HasPrefix(src[i:], "//line ") {
			if nl := strings.IndexByte(src[i:], '\n'); nl >= 0 {
				i += nl + 1
				continue
			}
		}
		if rest, ok := strings.CutPrefix(src[i:], "/*line "); ok {
			if end := strings.IndexByte(rest, '*'); end >= 0 && strings.HasPrefix(rest[end:], "*/") {
				i += len("/*line ") + end + len("*/")
				continue
			}
		}
		b.WriteByte(src[i])
		i++
	}
	return b.String()
}
