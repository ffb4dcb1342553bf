package compiled

import (
	"errors"

	"github.com/quire-go/quire/eval/cell"
)

// WidgetPath is the widgets package, which compiled cells cannot use.
const WidgetPath = Module + "/display/widget"

// ErrWidgets is returned by Build for a program that imports WidgetPath.
var ErrWidgets = errors.New("widgets work only in interpreted cells: a %%go cell runs as a program of its own, " +
	"with no comm to the notebook, so it cannot import " + WidgetPath + ". Create the widgets in an ordinary cell; " +
	"their callbacks can call compiled code such as the executors")

// refuseWidgets returns ErrWidgets when a file imports the widgets package.
func refuseWidgets(files map[string]string) error {
	for name, src := range files {
		paths, err := cell.Imports(name, src)
		if err != nil {
			continue // the build reports it
		}
		for _, p := range paths {
			if p == WidgetPath {
				return ErrWidgets
			}
		}
	}
	return nil
}
