package eval

import (
	"sync"

	"github.com/quire-go/quire/eval/cell"
)

// cellPrelude returns the declarations of the helpers plans may call (cell.Prelude), with
// every identifier T renamed: in yaegi v0.16.1 a generic func's type parameter named T leaks
// into the global scope, and a later `type T int` then fails ("T(3)": too many arguments).
var cellPrelude = sync.OnceValue(func() string { return cell.RenameIdent(cell.Prelude(), "T", "__quire_T") })
