package cell

import "regexp"

// lineDirectives matches the //line and /*line*/ directives Build puts in segment sources.
var lineDirectives = regexp.MustCompile(`(?m)^//line [^\n]*\n|/\*line [^*]*\*/`)

// StripLineDirectives returns src (a segment's or a declaration's source from a Plan) without
// the //line and /*line*/ directives that map it back to its cell: the code as the user wrote it.
func StripLineDirectives(src string) string { return lineDirectives.ReplaceAllString(src, "") }
