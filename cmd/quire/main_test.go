package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

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
		got, err := parseSize(tc.flag, tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("parseSize(%q, %q) = %d, %v; want %d (error %v)", tc.flag, tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestCommandLine(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "quire ") {
		t.Errorf("version: %d %q", code, out.String())
	}
	out.Reset()
	if code := run([]string{"nonsense"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), `unknown command "nonsense"`) {
		t.Errorf("unknown command: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"kernel"}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "usage: quire kernel") {
		t.Errorf("kernel without a connection file: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"kernel", "--max-output", "lots", "x.json"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), `"lots" is not a size`) {
		t.Errorf("bad size: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"install", "--user", "--prefix", "/tmp/x"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "choose one of") {
		t.Errorf("conflicting scopes: %d %q", code, errb.String())
	}
}
