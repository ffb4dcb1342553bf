package cell

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLessonCellsBuild plans every code cell of the lesson notebooks (magics aside): each must
// build, and every snippet must parse.
func TestLessonCellsBuild(t *testing.T) {
	files, _ := filepath.Glob("../../lessons/notebooks/*.ipynb")
	if len(files) == 0 {
		t.Skip("no lesson notebooks")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var nb struct {
			Cells []struct {
				CellType string   `json:"cell_type"`
				Source   []string `json:"source"`
			} `json:"cells"`
		}
		if err := json.Unmarshal(data, &nb); err != nil {
			t.Fatal(err)
		}
		for i, c := range nb.Cells {
			if c.CellType != "code" {
				continue
			}
			src := strings.Join(c.Source, "")
			if strings.HasPrefix(strings.TrimSpace(src), "%") {
				continue
			}
			p, err := Build("cell1", src, Known{})
			if err != nil {
				t.Errorf("%s cell %d: %v\n%s", filepath.Base(f), i, err, src)
				continue
			}
			for _, seg := range p.Segments {
				checkParses(t, src, seg.Kind, seg.Src)
			}
		}
	}
}
