//go:build race

package executors

// raceEnabled: child processes of a -race test binary start slowly, so process timings are
// not asserted.
const raceEnabled = true
