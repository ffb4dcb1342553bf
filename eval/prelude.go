package eval

// cellPrelude returns the declarations of the helpers plans may call (cell.Prelude).
func cellPrelude() string { return "" }
