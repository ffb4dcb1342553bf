package kernel

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestEncodeEntryCapsTheLine(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("<", 400_000),                     // 400 KB: kept whole (no HTML escaping)
		strings.Repeat("x := 1\n", 300_000),              // 2.1 MB: cut at a line
		strings.Repeat("\x01", 1<<20),                    // 6 bytes each once escaped
		strings.Repeat("é", 700_000) + "\n" + "tail",     // multi-byte runes
		strings.Repeat("a", maxHistoryLine) + "\u2028\"", // just over
	} {
		b := encodeEntry(HistoryEntry{Session: 3, Line: 7, Source: src})
		if len(b) > maxHistoryLine {
			t.Errorf("%d-byte source: line of %d bytes, cap %d", len(src), len(b), maxHistoryLine)
		}
		var e HistoryEntry
		if err := json.Unmarshal(b, &e); err != nil || e.Session != 3 || e.Line != 7 {
			t.Fatalf("%d-byte source: line does not decode: %v %+v", len(src), err, e)
		}
		switch {
		case e.Source == src:
			if len(src) > maxHistoryLine/2 {
				t.Logf("%d-byte source kept whole", len(src))
			}
		case !strings.HasSuffix(e.Source, "// quire: cell truncated in the history file ("+strconv.Itoa(len(src))+" bytes)"):
			t.Errorf("%d-byte source: truncated without the marker: ...%q", len(src), e.Source[max(0, len(e.Source)-80):])
		case len(e.Source) < maxHistoryLine/8:
			t.Errorf("%d-byte source: only %d bytes kept", len(src), len(e.Source))
		}
	}
	if b := encodeEntry(HistoryEntry{Session: 1, Line: 1, Source: "a < b"}); !strings.Contains(string(b), `"a < b"`) {
		t.Errorf("HTML escaped: %s", b)
	}
}

func TestHistoryLoadSkipsBadLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history.jsonl")
	good := func(s, l int, src string) string {
		return string(encodeEntry(HistoryEntry{Session: s, Line: l, Source: src})) + "\n"
	}
	data := good(1, 1, "a") + "{torn\n" + strings.Repeat("y", 5<<20) + "\n\n" + good(4, 1, "b") + `{"session":0}` + "\n" + good(2, 1, "c")
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	h := NewHistory(path, 0)
	if s := h.Session(); s != 5 {
		t.Errorf("session %d, want 5 (one above the highest in the file)", s)
	}
	es, err := h.Query(context.Background(), HistoryQuery{HistAccessType: "tail"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Source)
	}
	if strings.Join(got, ",") != "a,b,c" {
		t.Errorf("loaded %v, want a,b,c", got)
	}
}

// TestHistoryRequestOffTheOrderedLane: history_request runs on a goroutine of its own, never on
// the ordered lane that answers kernel_info (a long search must not delay it).
func TestHistoryRequestOffTheOrderedLane(t *testing.T) {
	if h := handlers["history_request"]; h.lane != laneConcurrent {
		t.Errorf("history_request on lane %d, want laneConcurrent", h.lane)
	}
	if h := handlers["kernel_info_request"]; h.lane != laneOrdered {
		t.Errorf("kernel_info_request on lane %d, want laneOrdered", h.lane)
	}
}
