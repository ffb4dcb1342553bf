package main

import (
	"bytes"
	"strings"
	"testing"
)

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
