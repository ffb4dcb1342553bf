package eval

import "github.com/quire-go/quire/eval/cell"

// cellPrelude returns the declarations of the helpers plans may call (cell.Prelude).
func cellPrelude() string { return cell.Prelude() }
