package compiled

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire"
	"github.com/quire-go/quire/eval/compiled/frame"
)

// The embedded packages must build offline: they may import the standard library and each
// other only, and every quire package they import must be embedded.
func TestEmbeddedSourceIsSelfContained(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	args := []string{"list", "-deps"}
	for _, p := range quire.SourcePackages {
		args = append(args, Module+"/"+p)
	}
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	embedded := map[string]bool{}
	for _, p := range quire.SourcePackages {
		embedded[Module+"/"+p] = true
	}
	for _, dep := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(dep, "/")
		switch {
		case strings.HasPrefix(dep, Module+"/") || dep == Module:
			if !embedded[dep] {
				t.Errorf("%s is imported by compiled cells' packages but not embedded (source.go)", dep)
			}
		case strings.Contains(first, ".") && !strings.HasPrefix(dep, "vendor/"):
			t.Errorf("compiled cells' packages import %s, which is not in the standard library", dep)
		}
	}
}

type chunked struct {
	parts []string
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.parts[0])
	c.parts[0] = c.parts[0][n:]
	if c.parts[0] == "" {
		c.parts = c.parts[1:]
	}
	return n, nil
}

// Frames are found wherever reads split them; text keeps its order around them, NUL bytes
// of the program's own output pass through.
func TestFrameReader(t *testing.T) {
	f1 := frame.Prefix + `{"kind":"display","data":{"text/plain":"one"}}` + "\x00"
	f2 := frame.Prefix + `{"kind":"result","data":{"text/plain":"two"}}` + "\x00"
	all := "a\nb" + f1 + "c\x00d\n" + f2 + "tail"
	for cut := 1; cut < len(all); cut++ {
		var got []string
		fr := frameReader{
			text:  func(s string) { got = append(got, "t:"+s) },
			frame: func(f frame.Frame) { got = append(got, "f:"+f.Kind+":"+f.Data["text/plain"].(string)) },
		}
		fr.copy(&chunked{parts: []string{all[:cut], all[cut:]}})
		joined := strings.Join(got, "|")
		// Text may come in more pieces; merge consecutive text events.
		var merged []string
		for _, g := range got {
			if n := len(merged); n > 0 && strings.HasPrefix(g, "t:") && strings.HasPrefix(merged[n-1], "t:") {
				merged[n-1] += g[2:]
				continue
			}
			merged = append(merged, g)
		}
		want := "t:a\nb|f:display:one|t:c\x00d\n|f:result:two|t:tail"
		if strings.Join(merged, "|") != want {
			t.Fatalf("cut %d: got %q (%q)", cut, strings.Join(merged, "|"), joined)
		}
	}
}

func TestDirectImports(t *testing.T) {
	src := func(imports ...string) map[string]string {
		s := "package main\n"
		for _, im := range imports {
			s += "import " + strconv.Quote(im) + "\n"
		}
		return map[string]string{"main.go": s}
	}
	cases := []struct {
		files map[string]string
		flags Flags
		ok    bool
	}{
		{src("fmt", "maps", RuntimePath, ExecutorsPath), Flags{}, true},
		{src("fmt", "golang.org/x/sync/errgroup"), Flags{}, false},
		{src("C"), Flags{}, false},
		{src("fmt"), Flags{Race: true}, false},
		{src("fmt"), Flags{Tags: "x"}, false},
		{map[string]string{"main.go": "package main\nimport (\n"}, Flags{}, false},
	}
	for i, tc := range cases {
		if _, ok := directImports(tc.files, tc.flags); ok != tc.ok {
			t.Errorf("case %d: direct %v, want %v", i, ok, tc.ok)
		}
	}
}

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	b := New(Options{KeepBinaries: 3, KeepBytes: 250})
	for i := 0; i < 6; i++ {
		p := filepath.Join(dir, fmt.Sprintf("bin%d", i))
		if err := os.WriteFile(p, make([]byte, 100), 0o755); err != nil {
			t.Fatal(err)
		}
		tm := time.Now().Add(time.Duration(i) * time.Second)
		os.Chtimes(p, tm, tm)
	}
	b.prune(dir)
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "bin4,bin5" { // 3 would fit by count, 2 by bytes
		t.Errorf("kept %v", names)
	}
}

// An old toolchain, or none, is refused with a message that says what to do.
func TestToolchainChecks(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "go")
	script := "#!/bin/sh\necho '{\"GOVERSION\": \"go1.21.5\", \"CC\": \"gcc\", \"GOTOOLDIR\": \"/nowhere\"}'\n"
	if err := os.WriteFile(old, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := New(Options{Go: old}).Toolchain(t.Context())
	if err == nil || !strings.Contains(err.Error(), "need Go "+MinGo+" or newer") {
		t.Errorf("old toolchain: %v", err)
	}
	_, err = New(Options{Go: filepath.Join(dir, "missing-go")}).Toolchain(t.Context())
	if !errors.Is(err, ErrNoToolchain) || !strings.Contains(err.Error(), EnvGo) {
		t.Errorf("missing toolchain: %v", err)
	}
}
