// Package kerneltest helps tests that drive a kernel through kernel/client wait for a sign
// instead of sleeping "long enough": StreamSeen tells when a cell has printed a marker, so an
// interrupt, signal or shutdown reaches the cell while it runs, however loaded the machine.
package kerneltest

import (
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/kernel"
	"github.com/quire-go/quire/kernel/client"
)

// StreamSeen returns ExecuteOptions whose OnIOPub closes the channel once a stream message of
// the request contains text.
func StreamSeen(text string) (*client.ExecuteOptions, <-chan struct{}) {
	onIOPub, seen := Seen(func(m *kernel.Message) bool {
		s, _ := m.ContentMap()["text"].(string)
		return m.Type() == "stream" && strings.Contains(s, text)
	})
	return &client.ExecuteOptions{OnIOPub: onIOPub}, seen
}

// Seen returns an iopub callback (for ExecuteOptions.OnIOPub or Client.RequestAsync) that
// closes the channel at the first message match accepts. (The client calls it on its one
// iopub goroutine: closed needs no lock.)
func Seen(match func(*kernel.Message) bool) (func(*kernel.Message), <-chan struct{}) {
	seen := make(chan struct{})
	closed := false
	return func(m *kernel.Message) {
		if !closed && match(m) {
			closed = true
			close(seen)
		}
	}, seen
}

// Wait returns once ch is closed, and fails the test if that takes longer than d.
func Wait(t testing.TB, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("%s: not within %v", what, d)
	}
}
