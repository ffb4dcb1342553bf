package integration

import (
	"encoding/json"
	"reflect"
	"regexp"
	"testing"
)

// output is one iopub message of a cell, as the notebook receives it.
type output struct {
	Type      string
	Data      map[string]any
	DisplayID string
	Wait      bool
}

// outputs returns the display-related iopub messages among contents (of message types), in order.
func outputs(msgs []map[string]any, types []string) []output {
	var out []output
	for i, c := range msgs {
		switch types[i] {
		case "display_data", "update_display_data", "execute_result", "clear_output":
		default:
			continue
		}
		o := output{Type: types[i]}
		if d, ok := c["data"].(map[string]any); ok {
			o.Data = d
		}
		if tr, ok := c["transient"].(map[string]any); ok {
			o.DisplayID, _ = tr["display_id"].(string)
		}
		o.Wait, _ = c["wait"].(bool)
		out = append(out, o)
	}
	return out
}

// TestDisplayBundlesOnIOPub runs each display type through the real kernel and checks the exact
// MIME bundles published on iopub, including update_display_data and clear_output.
func TestDisplayBundlesOnIOPub(t *testing.T) {
	c := startKernel(t)
	if r := execute(t, c, `import "github.com/quire-go/quire/display"`); r.Status() != "ok" {
		t.Fatal(r.Content)
	}
	b := func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name, code string
		want       []output
	}{
		{"html, markdown, svg, latex, text",
			`display.Show(display.HTML("<b>hi</b>"), display.Markdown("*md*"), display.SVG("<svg/>"), display.LaTeX("$x^2$"), display.Text("plain"))`,
			[]output{
				{Type: "display_data", Data: b("text/html", "<b>hi</b>", "text/plain", "<b>hi</b>")},
				{Type: "display_data", Data: b("text/markdown", "*md*", "text/plain", "*md*")},
				{Type: "display_data", Data: b("image/svg+xml", "<svg/>", "text/plain", "<svg image>")},
				{Type: "display_data", Data: b("text/latex", "$x^2$", "text/plain", "$x^2$")},
				{Type: "display_data", Data: b("text/plain", "plain")},
			}},
		{"png, jpeg, json, any MIME type",
			`display.Show(display.PNG([]byte{1, 2, 3}), display.JPEG([]byte{4, 5}), display.JSON(map[string]int{"a": 1}), display.MIME{"text/csv": "a,b\n1,2\n"})`,
			[]output{
				{Type: "display_data", Data: b("image/png", "AQID", "text/plain", "<PNG image, 3 bytes>")},
				{Type: "display_data", Data: b("image/jpeg", "BAU=", "text/plain", "<JPEG image, 2 bytes>")},
				{Type: "display_data", Data: b("application/json", map[string]any{"a": 1.0}, "text/plain", "{\n  \"a\": 1\n}")},
				{Type: "display_data", Data: b("text/csv", "a,b\n1,2\n", "text/plain", "<text/csv>")},
			}},
		{"a cell's own type renders itself as the cell's value",
			"type Temp float64\nfunc (t Temp) HTML() string { return \"<i>hot</i>\" }\nfunc (t Temp) String() string { return \"21.5C\" }\nTemp(21.5)",
			[]output{{Type: "execute_result", Data: b("text/html", "<i>hot</i>", "text/plain", "21.5C")}}},
		{"handle: show, update in place, clear with wait",
			"h := display.New()\nh.Show(display.Text(\"first\"))\nh.Update(display.Text(\"second\"))\ndisplay.Clear(true)",
			[]output{
				{Type: "display_data", Data: b("text/plain", "first"), DisplayID: "ID"},
				{Type: "update_display_data", Data: b("text/plain", "second"), DisplayID: "ID"},
				{Type: "clear_output", Wait: true},
			}},
		{"slice of structs as a table",
			"type Row struct { Name string; N int }\n[]Row{{\"a\", 1}, {\"b<\", 2}}",
			[]output{{Type: "execute_result", Data: b(
				"text/html", "<table style=\"border-collapse:collapse\">\n<thead><tr><th style=\"text-align:left\">Name</th><th style=\"text-align:right\">N</th></tr></thead>\n<tbody>\n<tr><td style=\"text-align:left\">a</td><td style=\"text-align:right\">1</td></tr>\n<tr><td style=\"text-align:left\">b&lt;</td><td style=\"text-align:right\">2</td></tr>\n</tbody>\n</table>",
				"text/plain", "Name  N\n----  -\na     1\nb<    2")}}},
	}
	t.Run("plot package in a cell", func(t *testing.T) {
		r := execute(t, c, "import \"github.com/quire-go/quire/display/plot\"\nplot.Bar(\"speedup\", []string{\"threads\", \"processes\"}, []float64{1.9, 1.8})")
		if r.Status() != "ok" {
			t.Fatalf("status %s: %v", r.Status(), r.Content)
		}
		for _, m := range r.IOPub {
			if m.Type() == "execute_result" {
				if d, _ := m.ContentMap()["data"].(map[string]any); d["image/svg+xml"] != nil {
					return
				}
			}
		}
		t.Error("plot.Bar did not render as image/svg+xml")
	})
	uuid := regexp.MustCompile(`^[0-9a-f-]{36}$`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := execute(t, c, tc.code)
			if r.Status() != "ok" {
				t.Fatalf("status %s: %v", r.Status(), r.Content)
			}
			var contents []map[string]any
			var types []string
			for _, m := range r.IOPub {
				var v map[string]any
				if err := json.Unmarshal(m.Content, &v); err != nil {
					t.Fatal(err)
				}
				contents = append(contents, v)
				types = append(types, m.Type())
			}
			got := outputs(contents, types)
			// Display ids are random: check their shape, and that update targets the shown id.
			var id string
			for i := range got {
				if got[i].DisplayID == "" {
					continue
				}
				if !uuid.MatchString(got[i].DisplayID) || (id != "" && got[i].DisplayID != id) {
					t.Errorf("display id %q (first %q)", got[i].DisplayID, id)
				}
				id = got[i].DisplayID
				got[i].DisplayID = "ID"
			}
			if !reflect.DeepEqual(got, tc.want) {
				gj, _ := json.MarshalIndent(got, "", "  ")
				wj, _ := json.MarshalIndent(tc.want, "", "  ")
				t.Errorf("iopub outputs:\n%s\nwant:\n%s", gj, wj)
			}
		})
	}
}
