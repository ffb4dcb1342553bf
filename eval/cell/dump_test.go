package cell

import (
	"fmt"
	"os"
	"testing"
)

// TestDump prints the plan of the cell in $CELL (for manual inspection).
func TestDump(t *testing.T) {
	src := os.Getenv("CELL")
	if src == "" {
		t.Skip("set CELL")
	}
	p, err := Build("cell1", src, Known{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Segments {
		fmt.Printf("--- %v @%d:%d defines=%v\n%s\n", s.Kind, s.Line, s.Col, s.Defines, s.Src)
	}
	fmt.Printf("--- trailing %q @%d:%d suppress=%v helpers=%v\n", p.Trailing, p.TrailingLine, p.TrailingCol, p.Suppress, p.NeedsHelpers)
}
