package eval

import (
	"context"
	"strings"
	"testing"
)

func TestGoGet(t *testing.T) {
	opts := testOptions()
	opts.GoPath = t.TempDir()
	s, err := NewSupervisor(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background(), false)
	added, err := s.goGet(context.Background(), "golang.org/x/sync@v0.7.0")
	if err != nil {
		t.Skipf("go get unavailable here: %v", err)
	}
	if strings.Join(added, ",") != "golang.org/x/sync@v0.7.0" {
		t.Fatalf("added %v", added)
	}
	got, _ := mustOK(t, s, `import ("errors"; "golang.org/x/sync/errgroup")
var g errgroup.Group
g.Go(func() error { return nil })
g.Go(func() error { return errors.New("task 2 failed") })
g.Wait()`)
	if got != "task 2 failed" {
		t.Fatalf("errgroup: %q", got)
	}
	if e, _ := mustErr(t, s, `import "example.com/not/there"`); !strings.Contains(e.Value, "example.com/not/there") {
		t.Fatalf("missing import: %q", e.Value)
	}
}
