package integration

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMagicsThroughKernel runs each magic through the real kernel over ZeroMQ and checks what
// the notebook receives: streams, errors and payloads. A magic must start its cell.
func TestMagicsThroughKernel(t *testing.T) {
	c := startKernel(t)
	dir := t.TempDir()
	cases := []struct {
		name, code string
		status     string // "ok" or "error"
		ename      string
		stdout     *regexp.Regexp
	}{
		{"timeit", "%timeit 1+1", "ok", "", regexp.MustCompile(`^[\d.]+ (ns|µs) ± [\d.]+ (ns|µs) per loop \(mean ± std\. dev\. of 7 runs, [\d,]+ loops each\)\n$`)},
		{"declarations", "import \"time\"\nvar answer = 42\nfunc helper() {}", "ok", "", regexp.MustCompile(`^$`)},
		{"time", "%time time.Sleep(100*time.Millisecond)", "ok", "", regexp.MustCompile(`(?s)CPU times: user .*\nWall time: (\d+(\.\d+)?) ms\n$`)},
		{"shell", "!echo hi from the shell", "ok", "", regexp.MustCompile(`^hi from the shell\n$`)},
		{"bash failing", "%%bash\necho before\nexit 3", "error", "CalledProcessError", regexp.MustCompile(`^before\n$`)},
		{"env set", "%env QUIRE_MAGIC_TEST=42", "ok", "", regexp.MustCompile(`QUIRE_MAGIC_TEST=42`)},
		{"env seen by Go", "import \"os\"\nos.Getenv(\"QUIRE_MAGIC_TEST\")", "ok", "", regexp.MustCompile(`^$`)},
		{"who", "%who", "ok", "", regexp.MustCompile(`answer`)},
		{"writefile", "%%writefile " + filepath.Join(dir, "note.txt") + "\nwritten by a cell\n", "ok", "", regexp.MustCompile(`^Writing .*note\.txt\n$`)},
		{"cd", "%cd " + dir, "ok", "", regexp.MustCompile(regexp.QuoteMeta(dir))},
		{"unknown", "%nosuchmagic", "error", "UsageError", regexp.MustCompile(`^$`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := execute(t, c, tc.code)
			if r.Status() != tc.status {
				t.Fatalf("status %s, want %s: %v", r.Status(), tc.status, r.Content)
			}
			if tc.ename != "" && r.Content["ename"] != tc.ename {
				t.Errorf("ename %v, want %s", r.Content["ename"], tc.ename)
			}
			out := r.Stream("stdout")
			if !tc.stdout.MatchString(out) {
				t.Errorf("stdout %q does not match %s", out, tc.stdout)
			}
			if tc.name == "time" {
				ms, _ := strconv.ParseFloat(tc.stdout.FindStringSubmatch(out)[1], 64)
				if ms < 90 || ms > 1000 {
					t.Errorf("%%time of a 100 ms sleep says %v ms", ms)
				}
			}
			if tc.name == "env seen by Go" && resultText(r) != `"42"` {
				t.Errorf("os.Getenv after %%env: %q", resultText(r))
			}
			if tc.name == "unknown" && !strings.Contains(r.Content["evalue"].(string), "%timeit") {
				t.Errorf("the error does not list the known magics: %v", r.Content["evalue"])
			}
		})
	}
	if b, err := os.ReadFile(filepath.Join(dir, "note.txt")); err != nil || string(b) != "written by a cell\n" {
		t.Errorf("%%%%writefile wrote %q, %v", b, err)
	}
	// %lesson NAME puts the lesson's next code cell into the frontend.
	r := execute(t, c, "%lesson 02")
	payload, _ := r.Content["payload"].([]any)
	if r.Status() != "ok" || len(payload) != 1 {
		t.Fatalf("%%lesson: %v", r.Content)
	}
	p := payload[0].(map[string]any)
	if p["source"] != "set_next_input" || !strings.Contains(p["text"].(string), "executors") {
		t.Errorf("%%lesson payload %v", p)
	}
}
