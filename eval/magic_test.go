package eval

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quire-go/quire/backend"
)

// timeMagic is a stand-in for eval/magic: "%time <code>" runs code and prints the duration;
// "%decls" lists declarations; "%restart" restarts the worker.
type timeMagic struct{}

func (timeMagic) Interrupt() {}

func (timeMagic) Run(ctx context.Context, cell string, env MagicEnv, out backend.Output) (bool, backend.ExecuteResult) {
	line := strings.TrimSpace(cell)
	switch {
	case strings.HasPrefix(line, "%time "):
		res, d := env.Exec(ctx, strings.TrimPrefix(line, "%time "))
		out.Stream("stdout", fmt.Sprintf("took %v\n", d > 0 && d < time.Minute))
		return true, res
	case line == "%decls":
		out.Stream("stdout", strings.Join(env.Declarations(), "; ")+"\n")
		return true, backend.ExecuteResult{Status: backend.StatusOK}
	case line == "%restart":
		lost, err := env.Restart(ctx)
		out.Stream("stdout", fmt.Sprintf("lost %v %v\n", lost, err))
		return true, backend.ExecuteResult{Status: backend.StatusOK}
	}
	return false, backend.ExecuteResult{}
}

func TestMagicsHook(t *testing.T) {
	opts := testOptions()
	opts.Magics = timeMagic{}
	s, err := NewSupervisor(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background(), false)
	got, out := mustOK(t, s, "%time 6*7")
	if got != "42" || out.Stdout() != "took true\n" {
		t.Fatalf("%%time: %q %q", got, out.Stdout())
	}
	mustOK(t, s, "import \"fmt\"\nfunc f() {}\ntype T int\nv := 1")
	if _, out := mustOK(t, s, "%decls"); out.Stdout() != "import fmt; func f; type T; var v\n" {
		t.Fatalf("%%decls: %q", out.Stdout())
	}
	if _, out := mustOK(t, s, "%restart"); out.Stdout() != "lost [v] <nil>\n" {
		t.Fatalf("%%restart: %q", out.Stdout())
	}
	if got, _ := mustOK(t, s, "T(3)"); got != "3" {
		t.Fatalf("after restart: %q", got)
	}
	// Not handled: the cell runs as Go (and fails to parse).
	if e, _ := mustErr(t, s, "%unknown"); e.Name != "CompileError" {
		t.Fatalf("unhandled magic: %s", e.Name)
	}
}
