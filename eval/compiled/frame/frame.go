// Package frame is the format of the display frames a compiled cell writes on its standard
// output (see package cellrt), shared by the program's runtime and the kernel that reads them.
// It imports nothing, so the kernel reads frames without linking display.
package frame

// Prefix starts every frame; a NUL byte ends it. Between them is the JSON of a Frame.
const Prefix = "\x00quire:"

// EnvFrames is set (to "1") by the kernel when it reads frames from the program's stdout.
const EnvFrames = "QUIRE_CELL_FRAMES"

// Frame kinds.
const (
	KindDisplay = "display" // display_data
	KindUpdate  = "update"  // update_display_data for Frame.ID
	KindClear   = "clear"   // clear_output (Frame.Wait)
	KindResult  = "result"  // the cell's Out
)

// Frame is one display action or the cell's result.
type Frame struct {
	Kind     string         `json:"kind"` // one of the Kind constants
	Data     map[string]any `json:"data,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
	ID       string         `json:"id,omitempty"`
	Wait     bool           `json:"wait,omitempty"`
}
