package eval

import (
	"testing"
)

// TestOutputBeforeFatal: the lines a cell prints (through fmt or the os.Stdout file) just
// before the worker dies without flushing reach the cell's Output, in order.
func TestOutputBeforeFatal(t *testing.T) {
	s := newSup(t)
	mustOK(t, s, `import ("fmt"; "os"; "syscall")
func mapRace() {
	m := map[int]int{}
	for g := range 4 {
		go func() {
			for j := 0; ; j++ {
				m[j%64] = j + g
			}
		}()
	}
	select {}
}
var _, _ = os.Stdout, syscall.Exit`)
	const want = "line 1\nline 2\nline 3\nline 4\nline 5\n"
	for _, code := range []string{
		"for i := 1; i <= 5; i++ {\n\tfmt.Println(\"line\", i)\n}\nmapRace()",
		"for i := 1; i <= 5; i++ {\n\tfmt.Println(\"line\", i)\n}\nsyscall.Exit(3)",
		"for i := 1; i <= 5; i++ {\n\tos.Stdout.WriteString(fmt.Sprintf(\"line %d\\n\", i))\n}\nmapRace()",
	} {
		lost := 0
		for i := 0; i < 10; i++ {
			e, out := mustErr(t, s, code)
			if got := out.Stdout(); got != want {
				lost++
				t.Logf("%.40q run %d: stdout %q err %q stderr %q", code, i, got, e.Value, out.Stderr())
			}
		}
		if lost > 0 {
			t.Errorf("%.40q: %d of 10 runs lost output", code, lost)
		}
	}
}
