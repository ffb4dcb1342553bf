package lessons

import (
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Terminal rendering of a lesson's prose, for `quire lessons run`: paragraphs and list items
// wrapped to the width, headings bold, fenced code (the Python reference code, Go shown but not
// run) indented under its language's name, tables as written.

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiBlue  = "\x1b[34m"
	ansiCyan  = "\x1b[36m"
)

// TextWidth is the width `quire lessons run` wraps prose to: $COLUMNS when set (40 to 120),
// else 100.
func TextWidth() int {
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return min(max(n, 40), 120)
	}
	return 100
}

var (
	listItem   = regexp.MustCompile(`^(\s*)([-*+]|[0-9]+[.)])\s+`)
	mdLink     = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	mdComment  = regexp.MustCompile(`(?s)<!--.*?-->`)
	mdStrong   = regexp.MustCompile(`\*\*([^*]+)\*\*|__([^_]+)__`)
	fenceStart = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([A-Za-z0-9_+-]*)")
)

// RenderMarkdown returns src (one markdown cell) as terminal text wrapped to width, with ANSI
// bold, dim and colour when color is set. The result ends with a blank line.
func RenderMarkdown(src string, width int, color bool) string {
	paint := func(code, s string) string {
		if !color || s == "" {
			return s
		}
		return code + s + ansiReset
	}
	src = mdComment.ReplaceAllString(strings.ReplaceAll(src, "\r\n", "\n"), "")
	var b strings.Builder
	var para []string // the lines of the paragraph or list item being collected
	prefix, hang := "", ""
	flush := func() {
		if len(para) == 0 {
			return
		}
		text := inline(strings.Join(para, " "), color)
		for i, l := range wrap(text, width-len(prefix)) {
			if i == 0 {
				b.WriteString(prefix + l + "\n")
			} else {
				b.WriteString(hang + l + "\n")
			}
		}
		para, prefix, hang = nil, "", ""
	}
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimRight(lines[i], " \t")
		t := strings.TrimSpace(l)
		switch {
		case fenceStart.MatchString(l):
			flush()
			m := fenceStart.FindStringSubmatch(l)
			fence := m[1]
			lang := m[2]
			if lang == "" {
				lang = "code"
			}
			b.WriteString(paint(ansiCyan, "  "+lang+":") + "\n")
			for i++; i < len(lines); i++ {
				c := strings.TrimRight(lines[i], " \t")
				if ct := strings.TrimSpace(c); strings.HasPrefix(ct, fence[:3]) && strings.Trim(ct, fence[:1]) == "" {
					break
				}
				b.WriteString(paint(ansiDim, strings.TrimRight("    "+c, " ")) + "\n")
			}
			b.WriteString("\n")
		case t == "":
			flush()
			if s := b.String(); s != "" && !strings.HasSuffix(s, "\n\n") {
				b.WriteString("\n")
			}
		case strings.HasPrefix(t, "#"):
			flush()
			b.WriteString(paint(ansiBold+ansiBlue, inline(t, false)) + "\n\n")
		case strings.HasPrefix(t, "|"):
			flush()
			b.WriteString(inline(l, color) + "\n")
		case listItem.MatchString(l):
			flush()
			m := listItem.FindStringSubmatch(l)
			prefix = strings.Repeat(" ", len(m[1])) + m[2] + " "
			hang = strings.Repeat(" ", len(prefix))
			para = append(para, strings.TrimSpace(l[len(m[0]):]))
		case strings.HasPrefix(l, "    ") && len(para) == 0:
			b.WriteString(paint(ansiDim, l) + "\n") // an indented code block
		default:
			para = append(para, t)
		}
	}
	flush()
	out := strings.TrimRight(b.String(), "\n")
	if out == "" {
		return ""
	}
	return out + "\n\n"
}

// inline removes the Markdown markup a terminal cannot show: **strong** becomes bold (or
// plain), [text](url) becomes "text (url)", a trailing backslash is dropped.
func inline(s string, color bool) string {
	s = mdLink.ReplaceAllString(s, "$1 ($2)")
	s = mdStrong.ReplaceAllStringFunc(s, func(m string) string {
		inner := strings.Trim(m, "*_")
		if color {
			return ansiBold + inner + ansiReset
		}
		return inner
	})
	return strings.TrimSuffix(s, "\\")
}

// wrap splits text into lines of at most width visible characters, breaking at spaces (a word
// longer than width gets a line of its own).
func wrap(text string, width int) []string {
	width = max(width, 20)
	var out []string
	line, n := "", 0
	for _, w := range strings.Fields(text) {
		wn := visible(w)
		switch {
		case n == 0:
			line, n = w, wn
		case n+1+wn <= width:
			line, n = line+" "+w, n+1+wn
		default:
			out = append(out, line)
			line, n = w, wn
		}
	}
	if n > 0 {
		out = append(out, line)
	}
	return out
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)

func visible(s string) int { return len([]rune(ansi.ReplaceAllString(s, ""))) }
