package author

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/quire-go/quire/notebook"
)

const sample = "---\n" +
	"title: Pools\n" +
	"summary: Futures and pools.\n" +
	"---\n" +
	"\n" +
	"# Pools and futures\n" +
	"\n" +
	"Intro text.\n" +
	"\n" +
	"~~~go\n" +
	"// shown, not run\n" +
	"```go\n" +
	"~~~\n" +
	"\n" +
	"```go id=setup tags=setup,fast\n" +
	"import \"fmt\"\n" +
	"```\n" +
	"\n" +
	"More prose.\n" +
	"<!-- cell -->\n" +
	"## Exercise\n" +
	"\n" +
	"```text\n" +
	"```go inside a text fence stays prose\n" +
	"```\n" +
	"\n" +
	"```go exercise id=pool\n" +
	"func pool() int {\n" +
	"\t// BEGIN SOLUTION\n" +
	"\treturn 5\n" +
	"\t// END SOLUTION\n" +
	"}\n" +
	"```\n" +
	"\n" +
	"```go check id=pool-check points=3\n" +
	"fmt.Printf(\"CHECK pool-check PASS 3/3: %d\\n\", pool())\n" +
	"```\n" +
	"\n" +
	"The end.\n"

func TestConvertRelease(t *testing.T) {
	nb, meta, err := Convert("05-pools", []byte(sample), Release)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Title != "Pools" || meta.Summary != "Futures and pools." {
		t.Errorf("meta %+v", meta)
	}
	type cell struct{ typ, id, src string }
	var got []cell
	for _, c := range nb.Cells {
		got = append(got, cell{c.CellType, c.ID, c.Source})
	}
	want := []cell{
		{"markdown", "pools-1", "# Pools and futures\n\nIntro text.\n\n~~~go\n// shown, not run\n```go\n~~~"},
		{"code", "setup", "import \"fmt\""},
		{"markdown", "pools-3", "More prose."},
		{"markdown", "pools-4", "## Exercise\n\n```text\n```go inside a text fence stays prose\n```"},
		{"code", "pool", "func pool() int {\n\t// YOUR CODE HERE\n}"},
		{"code", "pool-check", "fmt.Printf(\"CHECK pool-check PASS 3/3: %d\\n\", pool())"},
		{"markdown", "pools-7", "The end."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cells:\n%q\nwant\n%q", got, want)
	}
	if tags := nb.Cells[1].Metadata["tags"]; !reflect.DeepEqual(tags, []any{"setup", "fast"}) {
		t.Errorf("tags %v", tags)
	}
	ex := nb.Cells[4].Metadata["nbgrader"].(map[string]any)
	if ex["solution"] != true || ex["grade"] != false || ex["grade_id"] != "pool" || ex["locked"] != false {
		t.Errorf("exercise metadata %v", ex)
	}
	ck := nb.Cells[5].Metadata["nbgrader"].(map[string]any)
	if ck["grade"] != true || ck["points"] != 3 || ck["locked"] != true || ck["solution"] != false || ck["grade_id"] != "pool-check" {
		t.Errorf("check metadata %v", ck)
	}
	if nb.Cells[5].Metadata["editable"] != false {
		t.Errorf("check cell should not be editable")
	}
	ks := nb.Metadata["kernelspec"].(map[string]any)
	if ks["name"] != "quire" || ks["display_name"] != "Go (quire)" || ks["language"] != "go" {
		t.Errorf("kernelspec %v", ks)
	}
	if err := nb.Validate(); err != nil {
		t.Error(err)
	}
}

func TestConvertSolutionAndStub(t *testing.T) {
	src := "# T\n\nx\n\n```go exercise id=e\nfunc f() int {\n\t// BEGIN SOLUTION\n\treturn 1\n\t// END SOLUTION\n\t// BEGIN STUB\n\treturn 0\n\t// END STUB\n}\n```\n"
	rel, _, err := Convert("01-t", []byte(src), Release)
	if err != nil {
		t.Fatal(err)
	}
	sol, _, err := Convert("01-t", []byte(src), Solution)
	if err != nil {
		t.Fatal(err)
	}
	if got := rel.Cells[1].Source; got != "func f() int {\n\treturn 0\n}" {
		t.Errorf("release %q", got)
	}
	if got := sol.Cells[1].Source; got != "func f() int {\n\treturn 1\n}" {
		t.Errorf("solution %q", got)
	}
	if rel.Cells[1].ID != sol.Cells[1].ID || rel.Cells[0].ID != sol.Cells[0].ID {
		t.Errorf("release and solution should share cell ids")
	}
}

func TestConvertDeterministic(t *testing.T) {
	a, _, err := Convert("05-pools", []byte(sample), Release)
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := Convert("05-pools", []byte(sample), Release)
	x, _ := notebook.Marshal(a)
	y, _ := notebook.Marshal(b)
	if !bytes.Equal(x, y) {
		t.Error("two conversions differ")
	}
}

func TestConvertDefaultsTitleAndSummary(t *testing.T) {
	_, meta, err := Convert("02-x", []byte("# Concurrency vs parallelism\n\nTwo ideas,\noften confused.\n\nMore.\n"), Release)
	if err != nil {
		t.Fatal(err)
	}
	if meta.Title != "Concurrency vs parallelism" || meta.Summary != "Two ideas, often confused." {
		t.Errorf("meta %+v", meta)
	}
}

func TestConvertErrors(t *testing.T) {
	cases := map[string]string{
		"# T\n\n```go\nx\n":                                   "not closed",
		"# T\n\n```go check id=c\nx\n```\n":                   "points=N",
		"# T\n\n```go exercise\nx\n```\n":                     "needs id=",
		"# T\n\n```go frobnicate\nx\n```\n":                   "fence attribute",
		"# T\n\n```go id=a\nx\n```\n```go id=a\ny\n```\n":     "both have id",
		"# T\n\n```go id=bad!id\nx\n```\n":                    "id \"bad!id\"",
		"# T\n\n```go\n// BEGIN SOLUTION\nx\n```\n":           "not closed",
		"# T\n\n```go\n// END SOLUTION\n```\n":                "without",
		"no heading\n":                                        "no title",
		"---\ntitle: x\nauthor: me\n---\n# T\n":               "front matter",
		"# T\n\n```go points=2\nx\n```\n":                     "only for check cells",
		"# T\n\n```go exercise id=e points=1\nx\n```\n":       "belongs on the check cell",
		"# T\n\n```go check id=c points=zero\nx\n```\n":       "points=N",
		"# T\n\n```go check id=c points=1 id2=x\nx\n```\n":    "fence attribute",
		"# T\n\n```go check exercise id=c points=1\nx\n```\n": "fence attribute",
	}
	for src, want := range cases {
		_, _, err := Convert("01-t", []byte(src), Release)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want it to mention %q", src, err, want)
		}
	}
	if _, _, err := Convert("Welcome", []byte("# T\n"), Release); err == nil {
		t.Error("bad lesson name accepted")
	}
}
