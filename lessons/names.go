package lessons

import "github.com/quire-go/quire/eval/cell"

// cellNames returns what a cell declares at top level and its free names (cell.Names): a check
// cell's free names are what it takes from the rest of the notebook.
func cellNames(src string) (declares []cell.Decl, free map[string]bool, err error) {
	return cell.Names(src)
}
