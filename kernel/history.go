package kernel

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unicode/utf8"
)

// maxHistorySource is the longest source persisted in the history file.
const maxHistorySource = 1 << 20

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
// the highest in the file. A History with an empty path keeps the current session in memory
// only.
type History struct {
	path string
	max  int

	mu        sync.Mutex
	loaded    bool
	entries   []HistoryEntry
	session   int
	fileLines int
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
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(make([]byte, 64<<10), 2*maxHistorySource+1024)
			for sc.Scan() {
				var e HistoryEntry
				if json.Unmarshal(sc.Bytes(), &e) != nil || e.Session <= 0 {
					continue
				}
				h.fileLines++
				h.entries = append(h.entries, e)
				maxSession = max(maxSession, e.Session)
			}
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

// jsonLines encodes entries one JSON object per line, leaving out sources too long to keep.
func jsonLines(entries []HistoryEntry) []byte {
	var buf bytes.Buffer
	for _, e := range entries {
		if len(e.Source) > maxHistorySource {
			continue
		}
		b, _ := json.Marshal(e) // strings and ints only: cannot fail
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
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
	if h.path != "" && len(source) <= maxHistorySource {
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

// Query answers a history_request.
func (h *History) Query(q HistoryQuery) ([]HistoryEntry, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.load()
	switch q.HistAccessType {
	case "tail", "":
		n := q.N
		if n <= 0 || n > len(h.entries) {
			n = len(h.entries)
		}
		return append([]HistoryEntry(nil), h.entries[len(h.entries)-n:]...), nil
	case "range":
		session := q.Session
		if session <= 0 {
			session += h.session
		}
		var out []HistoryEntry
		for _, e := range h.entries {
			if e.Session != session || e.Line < q.Start {
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
		var out []HistoryEntry
		for i := len(h.entries) - 1; i >= 0; i-- {
			e := h.entries[i]
			if !globMatch(pattern, e.Source) {
				continue
			}
			if q.Unique && containsSource(out, e.Source) {
				continue
			}
			out = append(out, e)
			if q.N > 0 && len(out) == q.N {
				break
			}
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out, nil
	default:
		return nil, errors.New("unknown hist_access_type " + q.HistAccessType)
	}
}

func containsSource(es []HistoryEntry, s string) bool {
	for _, e := range es {
		if e.Source == s {
			return true
		}
	}
	return false
}

// globMatch matches s against a glob pattern as SQLite's GLOB does (which IPython uses): the
// whole string, case-sensitive, with * (any run), ? (one character) and [...] classes
// ([^...] negates, a-z ranges).
func globMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 0 && pattern[0] == '*' {
				pattern = pattern[1:]
			}
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(s); {
				if globMatch(pattern, s[i:]) {
					return true
				}
				if i == len(s) {
					break
				}
				_, w := utf8.DecodeRuneInString(s[i:])
				i += w
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			_, w := utf8.DecodeRuneInString(s)
			s, pattern = s[w:], pattern[1:]
		case '[':
			if s == "" {
				return false
			}
			r, w := utf8.DecodeRuneInString(s)
			ok, rest, valid := matchClass(pattern[1:], r)
			if !valid {
				// A lone '[' matches itself.
				if s[0] != '[' {
					return false
				}
				s, pattern = s[1:], pattern[1:]
				continue
			}
			if !ok {
				return false
			}
			s, pattern = s[w:], rest
		default:
			pr, pw := utf8.DecodeRuneInString(pattern)
			r, w := utf8.DecodeRuneInString(s)
			if s == "" || pr != r {
				return false
			}
			s, pattern = s[w:], pattern[pw:]
		}
	}
	return s == ""
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
