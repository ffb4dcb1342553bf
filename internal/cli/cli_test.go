package cli

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseStopOnErrorTimeout(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"", 0, false}, // the kernel's default
		{"0.2", 200 * time.Millisecond, false},
		{"500ms", 500 * time.Millisecond, false},
		{"1s", time.Second, false},
		{"0", -1, false}, // no window
		{"0s", -1, false},
		{"-1s", 0, true},
		{"soon", 0, true},
		{"NaN", 0, true},
	} {
		got, err := ParseStopOnErrorTimeout(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseStopOnErrorTimeout(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		flag, in string
		want     int64
		err      bool
	}{
		{"--max-output", "", 0, false},
		{"--max-output", "1048576", 1 << 20, false},
		{"--max-output", "512MiB", 512 << 20, false},
		{"--max-output", "1.5 GiB", 3 << 29, false},
		{"--max-output", "100MB", 100e6, false},
		{"--max-output", "none", -1, false},
		{"--memory-limit", "none", math.MaxInt64, false},
		{"--memory-limit", "12XB", 0, true},
		{"--memory-limit", "-3GiB", 0, true},
	} {
		got, err := ParseSize(tc.flag, tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseSize(%q, %q) = %d, %v; want %d (error %v)", tc.flag, tc.in, got, err, tc.want, tc.err)
		}
	}
}

// WorkerBinary takes an explicit path, checks that it is an executable file, and otherwise
// finds quire on PATH.
func TestWorkerBinary(t *testing.T) {
	dir := t.TempDir()
	quire := filepath.Join(dir, "quire")
	if err := os.WriteFile(quire, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := WorkerBinary(quire); err != nil || got != quire {
		t.Errorf("WorkerBinary(%q) = %q, %v", quire, got, err)
	}
	if _, err := WorkerBinary(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing worker binary was accepted")
	}
	if _, err := WorkerBinary(dir); err == nil || !strings.Contains(err.Error(), "not an executable") {
		t.Errorf("a directory: %v", err)
	}
	t.Setenv("PATH", dir)
	if got, err := WorkerBinary(""); err != nil || got != quire {
		t.Errorf("from PATH: %q, %v", got, err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := WorkerBinary(""); err == nil || !strings.Contains(err.Error(), "--worker") {
		t.Errorf("nothing on PATH: %v", err)
	}
}
