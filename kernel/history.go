package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// maxHistoryLine bounds one line of the history file (the JSON object, without its newline).
// An entry whose line would be longer is stored with its source cut to fit and a marker
// comment at the end saying how long the cell was (see encodeEntry), so the line numbers of a
// session stay complete; the loader skips, and does not stop at, a line it cannot decode,
// whatever its length.
const maxHistoryLine = 1 << 20

// DefaultHistoryPath returns quire/history.jsonl under the Jupyter data directory:
// $JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter.
func DefaultHistoryPath() (string, error) {
	if d := os.Getenv("JUPYTER_DATA_DIR"); d != "" {
		return filepath.Join(d, "quire", "history.jsonl"), nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "jupyter", "quire", "history.jsonl"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("history path: %w", err)
	}
	return filepath.Join(home, ".local", "share", "jupyter", "quire", "history.jsonl"), nil
}

// HistoryEntry is one stored input.
type HistoryEntry struct {
	Session int    `json:"session"`
	Line    int    `json:"line"`
	Source  string `json:"source"`
	Time    string `json:"time,omitempty"`
}

// HistoryQuery is the content of a history_request.
type HistoryQuery struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"` // "tail", "range" or "search"
	Session        int    `json:"session"`          // range: 0 = current, <0 = previous sessions
	Start          int    `json:"start"`            // range: first line
	Stop           *int   `json:"stop"`             // range: end line, excluded; nil or 0 = to the end
	N              int    `json:"n"`                // tail, search: how many (0 = all for search)
	Pattern        string `json:"pattern"`          // search: glob (* ? [...])
	Unique         bool   `json:"unique"`           // search: drop repeated sources
}

// History is the input history: the entries of previous sessions, loaded lazily from a
// JSON-lines file (mode 0600, at most max entries; older ones are dropped when the file is
// rewritten), and the current session's. Each kernel run is a new session, numbered one above
// the highest in the file. A line of the file is at most 1 MiB: a longer cell is stored cut
// to fit, ending with a "// quire: cell truncated in the history file (N bytes)" line (this
// session's own history keeps it whole); a line that does not decode is skipped. A History with an empty path keeps the current session in memory
// only.
type History struct {
	path string
	max  int

	mu        sync.Mutex
	loaded    bool
	entries   []HistoryEntry
	session   int
	fileLines int
	skipped   int            // lines of the file that did not decode (dropped at the next rewrite)
	pending   []HistoryEntry // appended in memory, not yet in the file (see Persist)
}

// NewHistory returns a history stored at path (empty: memory only) holding at most max entries.
func NewHistory(path string, max int) *History {
	if max <= 0 {
		max = DefaultHistoryEntries
	}
	return &History{path: path, max: max}
}

func (h *History) load() {
	if h.loaded {
		return
	}
	h.loaded = true
	maxSession := 0
	if h.path != "" {
		data, err := os.ReadFile(h.path)
		if err == nil {
			for len(data) > 0 {
				line := data
				if i := bytes.IndexByte(data, '\n'); i >= 0 {
					line, data = data[:i], data[i+1:]
				} else {
					data = nil
				}
				if len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				var e HistoryEntry
				if json.Unmarshal(line, &e) != nil || e.Session <= 0 {
					// A torn write, a line from elsewhere: skip it, keep reading.
					h.skipped++
					continue
				}
				h.fileLines++
				h.entries = append(h.entries, e)
				maxSession = max(maxSession, e.Session)
			}
			// Skipped lines count towards the file's size (the next rewrite drops them) but
			// do not force a rewrite: a line this version cannot read may be a newer one's.
			h.fileLines += h.skipped
			if len(h.entries) > h.max {
				h.entries = append([]HistoryEntry(nil), h.entries[len(h.entries)-h.max:]...)
				h.rewrite()
			}
		}
	}
	h.session = maxSession + 1
}

// rewrite replaces the file with the entries in memory (called with mu held).
func (h *History) rewrite() {
	if h.path == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return
	}
	tmp := h.path + ".tmp"
	if err := os.WriteFile(tmp, jsonLines(h.entries), 0o600); err != nil {
		return
	}
	if os.Rename(tmp, h.path) == nil {
		h.fileLines = len(h.entries)
	}
}

// jsonLines encodes entries one JSON object per line (see encodeEntry).
func jsonLines(entries []HistoryEntry) []byte {
	var buf bytes.Buffer
	for _, e := range entries {
		buf.Write(encodeEntry(e))
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// encodeEntry encodes e as one history line of at most maxHistoryLine bytes. HTML characters
// are not escaped (a cell of 400,000 '<' stays 400 KB, not 2.4 MB). An entry still too long
// keeps the longest prefix of its source that fits, cut at a line (or else a UTF-8) boundary,
// followed by the line "// quire: cell truncated in the history file (N bytes)".
func encodeEntry(e HistoryEntry) []byte {
	b := marshalEntry(e)
	if len(b) <= maxHistoryLine {
		return b
	}
	src := e.Source
	marker := fmt.Sprintf("\n// quire: cell truncated in the history file (%d bytes)", len(src))
	// Each source byte encodes to at most 6 bytes: scale the prefix to the encoded size and
	// shrink it until the line fits (one or two rounds).
	n := len(src)
	for len(b) > maxHistoryLine && n > 0 {
		n = int(float64(n) * float64(maxHistoryLine-len(marker)*6-256) / float64(len(b)))
		n = max(0, min(n, len(src)))
		for n > 0 && !utf8.RuneStart(src[n]) {
			n--
		}
		prefix := src[:n]
		if i := strings.LastIndexByte(prefix, '\n'); i > len(prefix)/2 {
			prefix = prefix[:i]
		}
		e.Source = prefix + marker
		b = marshalEntry(e)
	}
	return b
}

func marshalEntry(e HistoryEntry) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(e) // strings and ints only: cannot fail
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
}

// Session returns the current session number.
func (h *History) Session() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.load()
	return h.session
}

// NewSession starts a new session (after an in-process restart).
func (h *History) NewSession() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.load()
	h.session++
}

// Append stores the source of execution line in the current session, in memory at once (a
// history_request sees it) and in the file at the next Persist.
func (h *History) Append(line int, source string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.load()
	e := HistoryEntry{Session: h.session, Line: line, Source: source, Time: time.Now().UTC().Format(time.RFC3339)}
	h.entries = append(h.entries, e)
	if len(h.entries) > h.max {
		h.entries = append([]HistoryEntry(nil), h.entries[len(h.entries)-h.max:]...)
	}
	if h.path != "" {
		h.pending = append(h.pending, e)
	}
}

// Persist appends the entries added since the last call to the file. The kernel calls it after
// a cell's reply has gone out, so the file's open, write and close are not in the reply's path.
func (h *History) Persist() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.pending) == 0 {
		return nil
	}
	pending := h.pending
	h.pending = nil
	if h.fileLines+len(pending) >= 2*h.max {
		h.rewrite()
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(h.path), 0o700); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	_, err = f.Write(jsonLines(pending))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	h.fileLines += len(pending)
	return nil
}

// Close writes what Persist has not written yet (nothing is held open between writes).
func (h *History) Close() error { return h.Persist() }

// Query answers a history_request. A search runs on a snapshot of the entries, without holding
// the history's lock (cells keep appending meanwhile), and ends early with ctx's error.
func (h *History) Query(ctx context.Context, q HistoryQuery) ([]HistoryEntry, error) {
	h.mu.Lock()
	h.load()
	// Entries are never modified in place (only appended to, or copied when trimmed), so this
	// full slice expression is a stable snapshot.
	entries := h.entries[:len(h.entries):len(h.entries)]
	session := h.session
	h.mu.Unlock()
	switch q.HistAccessType {
	case "tail", "":
		n := q.N
		if n <= 0 || n > len(entries) {
			n = len(entries)
		}
		if !q.Unique {
			return append([]HistoryEntry(nil), entries[len(entries)-n:]...), nil
		}
		// unique (ipykernel takes it for searches only): the last n distinct sources, each
		// at its latest run, across sessions.
		var out []HistoryEntry
		seen := map[string]bool{}
		for i := len(entries) - 1; i >= 0 && len(out) < n; i-- {
			if !seen[entries[i].Source] {
				seen[entries[i].Source] = true
				out = append(out, entries[i])
			}
		}
		slices.Reverse(out)
		return out, nil
	case "range":
		want := q.Session
		if want <= 0 {
			want += session
		}
		var out []HistoryEntry
		for _, e := range entries {
			if e.Session != want || e.Line < q.Start {
				continue
			}
			if q.Stop != nil && *q.Stop > 0 && e.Line >= *q.Stop {
				continue
			}
			out = append(out, e)
		}
		return out, nil
	case "search":
		pattern := q.Pattern
		if pattern == "" {
			pattern = "*"
		}
		g := compileGlob(pattern)
		var out []HistoryEntry
		seen := map[string]bool{} // for Unique: each source once, its latest entry, across sessions
		for i := len(entries) - 1; i >= 0; i-- {
			if i%64 == 0 && ctx.Err() != nil {
				return nil, fmt.Errorf("history search: %w", ctx.Err())
			}
			e := entries[i]
			if !g.match(e.Source) {
				continue
			}
			if q.Unique {
				if seen[e.Source] {
					continue
				}
				seen[e.Source] = true
			}
			out = append(out, e)
			if q.N > 0 && len(out) == q.N {
				break
			}
		}
		slices.Reverse(out)
		return out, nil
	default:
		return nil, errors.New("unknown hist_access_type " + q.HistAccessType)
	}
}

// globMatch matches s against a glob pattern as SQLite's GLOB does (which IPython uses): the
// whole string, case-sensitive, with * (any run), ? (one character) and [...] classes
// ([^...] negates, a-z ranges; a '[' without its ']' matches itself).
func globMatch(pattern, s string) bool { return compileGlob(pattern).match(s) }

// globToken is one element of a compiled glob: a literal rune, '?', a class or a '*'.
type globToken struct {
	kind  byte   // 'l' literal, '?' any one character, '[' class, '*' any run
	r     rune   // literal
	class string // class body after '[' (through its ']')
}

type glob []globToken

func compileGlob(pattern string) glob {
	var g glob
	for pattern != "" {
		switch pattern[0] {
		case '*':
			if len(g) == 0 || g[len(g)-1].kind != '*' {
				g = append(g, globToken{kind: '*'})
			}
			pattern = pattern[1:]
		case '?':
			g = append(g, globToken{kind: '?'})
			pattern = pattern[1:]
		case '[':
			if _, rest, valid := matchClass(pattern[1:], 0); valid {
				g = append(g, globToken{kind: '[', class: pattern[1 : len(pattern)-len(rest)]})
				pattern = rest
				continue
			}
			g = append(g, globToken{kind: 'l', r: '['})
			pattern = pattern[1:]
		default:
			r, w := utf8.DecodeRuneInString(pattern)
			g = append(g, globToken{kind: 'l', r: r})
			pattern = pattern[w:]
		}
	}
	return g
}

func (t globToken) matches(r rune) bool {
	switch t.kind {
	case '?':
		return true
	case '[':
		ok, _, _ := matchClass(t.class, r)
		return ok
	}
	return t.r == r
}

// match reports whether the glob matches all of s. Every token but '*' matches exactly one
// character, so when a match fails only the most recent '*' needs to take one more character
// (an earlier '*' taking more could only lead to a position the latest one reaches too): the
// matcher keeps one restart point and runs in O(len(s) * len(g)), never backtracking
// exponentially.
func (g glob) match(s string) bool {
	pi, si := 0, 0
	star, starSi := -1, 0 // last '*' token seen and where its run currently ends
	for si < len(s) {
		if pi < len(g) && g[pi].kind == '*' {
			star, starSi = pi, si
			pi++
			continue
		}
		if pi < len(g) {
			r, w := utf8.DecodeRuneInString(s[si:])
			if g[pi].matches(r) {
				pi, si = pi+1, si+w
				continue
			}
		}
		if star < 0 {
			return false
		}
		// Let the last '*' take one more character and retry the tokens after it.
		_, w := utf8.DecodeRuneInString(s[starSi:])
		starSi += w
		pi, si = star+1, starSi
	}
	for pi < len(g) && g[pi].kind == '*' {
		pi++
	}
	return pi == len(g)
}

// matchClass matches r against the class body p (after '['); it returns whether r matched, the
// pattern after ']', and whether the class was well formed.
func matchClass(p string, r rune) (matched bool, rest string, valid bool) {
	negate := false
	if p != "" && p[0] == '^' {
		negate, p = true, p[1:]
	}
	first := true
	for p != "" {
		c, w := utf8.DecodeRuneInString(p)
		if c == ']' && !first {
			return matched != negate, p[w:], true
		}
		first = false
		p = p[w:]
		if len(p) >= 2 && p[0] == '-' && p[1] != ']' {
			hi, hw := utf8.DecodeRuneInString(p[1:])
			if c <= r && r <= hi {
				matched = true
			}
			p = p[1+hw:]
			continue
		}
		if c == r {
			matched = true
		}
	}
	return false, "", false
}
