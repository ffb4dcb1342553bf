// Package lines reads a child process's output for streaming: whole lines as they come, so a
// notebook never shows half a line, and what is left when the stream ends.
package lines

import (
	"bytes"
	"io"
)

// Copy calls emit with the complete lines read from r (each chunk ends with a newline; one call
// may carry several lines) and, at the end of r, with what is left after the last newline.
func Copy(r io.Reader, emit func(string)) {
	buf := make([]byte, 32<<10)
	var pending []byte
	for {
		n, err := r.Read(buf)
		if n > 0 {
			pending = append(pending, buf[:n]...)
			if i := bytes.LastIndexByte(pending, '\n'); i >= 0 {
				emit(string(pending[:i+1]))
				pending = append(pending[:0], pending[i+1:]...)
			}
		}
		if err != nil {
			if len(pending) > 0 {
				emit(string(pending))
			}
			return
		}
	}
}
