package display

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

type score struct {
	Name   string
	Score  float64
	N      int
	hidden string // unexported fields are not shown
}

func TestTableOfStructs(t *testing.T) {
	b := Render([]score{{"<b>al</b>", 1.5, 3, "x"}, {"bo\nb", 10, 42, "y"}})
	wantHTML := `<table style="border-collapse:collapse">
<thead><tr><th style="text-align:left">Name</th><th style="text-align:right">Score</th><th style="text-align:right">N</th></tr></thead>
<tbody>
<tr><td style="text-align:left">&lt;b&gt;al&lt;/b&gt;</td><td style="text-align:right">1.5</td><td style="text-align:right">3</td></tr>
<tr><td style="text-align:left">bo
b</td><td style="text-align:right">10</td><td style="text-align:right">42</td></tr>
</tbody>
</table>`
	wantText := "" +
		"Name       Score   N\n" +
		"---------  -----  --\n" +
		"<b>al</b>    1.5   3\n" +
		`bo\nb         10  42`
	checkBundle(t, "[]score", b, Bundle{"text/html": wantHTML, "text/plain": wantText})
}

func TestTableOfMaps(t *testing.T) {
	checkBundle(t, "map", Render(map[string]int{"b": 2, "a": 10, "10": 1, "9": 3}), Bundle{
		"text/plain": "key  value\n---  -----\n9        3\n10       1\na       10\nb        2",
		"text/html": `<table style="border-collapse:collapse">` + "\n" +
			`<thead><tr><th style="text-align:left">key</th><th style="text-align:right">value</th></tr></thead>` + "\n<tbody>\n" +
			`<tr><td style="text-align:left">9</td><td style="text-align:right">3</td></tr>` + "\n" +
			`<tr><td style="text-align:left">10</td><td style="text-align:right">1</td></tr>` + "\n" +
			`<tr><td style="text-align:left">a</td><td style="text-align:right">10</td></tr>` + "\n" +
			`<tr><td style="text-align:left">b</td><td style="text-align:right">2</td></tr>` + "\n</tbody>\n</table>",
	})
	b := Render([]map[string]any{{"x": 1, "y": "a"}, {"y": "b", "z": true}})
	if got, want := b["text/plain"], "x  y  z\n-  -  ----\n1  a\n   b  true"; got != want {
		t.Errorf("slice of maps text:\n%s\nwant\n%s", got, want)
	}
	// A map of structs: a key column, then the fields.
	b = Render(map[int]score{2: {Name: "two"}, 1: {Name: "one", N: 1}})
	if got, want := b["text/plain"], "key  Name  Score  N\n---  ----  -----  -\n  1  one       0  1\n  2  two       0  0"; got != want {
		t.Errorf("map of structs text:\n%s\nwant\n%s", got, want)
	}
	// Decoded JSON: []any holding map[string]any.
	var rows any
	if err := json.Unmarshal([]byte(`[{"id":1,"tag":"<x>"},{"id":2}]`), &rows); err != nil {
		t.Fatal(err)
	}
	b = Render(rows)
	if got, want := b["text/plain"], "id  tag\n--  ---\n 1  <x>\n 2"; got != want {
		t.Errorf("json rows text:\n%s\nwant\n%s", got, want)
	}
	if h := b["text/html"].(string); !strings.Contains(h, "&lt;x&gt;") || strings.Contains(h, "<x>") {
		t.Errorf("json rows html not escaped: %s", h)
	}
}

func TestTableNilAndPointers(t *testing.T) {
	b := Render([]*score{{Name: "p"}, nil})
	if got, want := b["text/plain"], "Name   Score  N\n-----  -----  -\np          0  0\n<nil>"; got != want {
		t.Errorf("text:\n%q\nwant\n%q", got, want)
	}
	checkBundle(t, "empty", Render([]score{}), Bundle{
		"text/plain": "Name  Score  N\n----  -----  -\n(no rows)",
		"text/html": `<table style="border-collapse:collapse">` + "\n" +
			`<thead><tr><th style="text-align:left">Name</th><th style="text-align:left">Score</th><th style="text-align:left">N</th></tr></thead>` +
			"\n<tbody>\n</tbody>\n</table>\n" + `<p style="font-style:italic">(no rows)</p>`,
	})
	// A struct type without exported fields and a slice of scalars are not tables.
	type opaque struct{ a int }
	checkBundle(t, "opaque", Render([]opaque{{1}}), Bundle{"text/plain": "[{1}]"})
}

func TestTableRowCapAndEscaping(t *testing.T) {
	rows := make([]score, 120)
	for i := range rows {
		rows[i] = score{Name: fmt.Sprintf("<script>alert(%d)</script>&", i), N: i}
	}
	b := Render(rows)
	h := b["text/html"].(string)
	if strings.Contains(h, "<script") || strings.Contains(h, "</script") {
		t.Fatalf("unescaped HTML in table")
	}
	if n := strings.Count(h, "<tr>"); n != MaxRows+1 { // header + MaxRows
		t.Errorf("html has %d rows, want %d", n, MaxRows+1)
	}
	if !strings.Contains(h, "&lt;script&gt;alert(49)&lt;/script&gt;&amp;") || strings.Contains(h, "alert(50)") {
		t.Errorf("html rows are not the first %d", MaxRows)
	}
	if !strings.HasSuffix(h, `<p style="font-style:italic">... 70 more rows (120 rows × 3 columns)</p>`) {
		t.Errorf("html footer: %s", h[len(h)-120:])
	}
	text := b["text/plain"].(string)
	lines := strings.Split(text, "\n")
	if len(lines) != 2+MaxRows+1 || lines[len(lines)-1] != "... 70 more rows (120 rows × 3 columns)" {
		t.Errorf("text has %d lines, last %q", len(lines), lines[len(lines)-1])
	}
	// Table with an explicit cap.
	all := Table(rows, 0)
	if n := strings.Count(all["text/html"].(string), "<tr>"); n != 121 {
		t.Errorf("Table(rows, 0) shows %d rows, want 121", n)
	}
	if got := Table(rows[:3], 2)["text/plain"].(string); !strings.HasSuffix(got, "... 1 more rows (3 rows × 3 columns)") {
		t.Errorf("Table(rows, 2) = %q", got)
	}
	// Long cells are cut.
	long := Render([]score{{Name: strings.Repeat("é", 500)}})["text/plain"].(string)
	if !strings.Contains(long, strings.Repeat("é", maxCell-1)+"…") || strings.Contains(long, strings.Repeat("é", maxCell)) {
		t.Errorf("long cell not clipped to %d characters", maxCell)
	}
}

// A type with its own String keeps it as text/plain, and still gets the HTML table.
type scores []score

func (s scores) String() string { return fmt.Sprintf("%d scores", len(s)) }

func TestTableKeepsString(t *testing.T) {
	b := Render(scores{{Name: "a"}})
	if b["text/plain"] != "1 scores" || !strings.Contains(b["text/html"].(string), "<td style=\"text-align:left\">a</td>") {
		t.Errorf("bundle = %v", b)
	}
}

func BenchmarkRenderTable(b *testing.B) {
	for _, n := range []int{50, 1000} {
		rows := make([]score, n)
		for i := range rows {
			rows[i] = score{Name: fmt.Sprintf("row <%d>", i), Score: float64(i) / 3, N: i}
		}
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Render(rows)
			}
		})
	}
	m := map[string]float64{}
	for i := range 1000 {
		m[fmt.Sprint("k", i)] = float64(i)
	}
	b.Run("map=1000", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Render(m)
		}
	})
}

func TestTableHidesInterpreterRenamedFields(t *testing.T) {
	// yaegi hands a cell's `struct{ Name string; secret int }` over as this unnamed type.
	cell := []struct {
		Name    string
		Xsecret int
	}{{"a", 1}}
	if got := Render(cell)["text/plain"]; got != "Name\n----\na" {
		t.Errorf("unnamed struct: %q", got)
	}
	type named struct{ Xsecret int } // a compiled, named type keeps its exported fields
	if got := Render([]named{{1}})["text/plain"]; got != "Xsecret\n-------\n      1" {
		t.Errorf("named struct: %q", got)
	}
}

func TestTableValuesThatPrintThemselves(t *testing.T) {
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	// A map of values with a String method: key and value columns, not their fields.
	got := Render(map[string]time.Time{"start": day})["text/plain"]
	if want := "key    value\n-----  -----------------------------\nstart  2024-05-01 00:00:00 +0000 UTC"; got != want {
		t.Errorf("map of times:\n%s\nwant\n%s", got, want)
	}
	// A slice of them is a plain list.
	checkBundle(t, "[]time.Time", Render([]time.Time{day}), Bundle{"text/plain": "[2024-05-01 00:00:00 +0000 UTC]"})
	checkBundle(t, "[]error", Render([]error{errors.New("x")}), Bundle{"text/plain": "[x]"})
}
