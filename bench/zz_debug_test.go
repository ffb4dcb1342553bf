package main

import (
	"context"
	"os"
	"testing"
)

func TestZZDebug(t *testing.T) {
	ctx := context.Background()
	res := newResults()
	for _, bf := range []string{"0", "1", "0", "1"} {
		spec := kernelSpec{Name: "inproc" + bf, Argv: []string{"/tmp/benchq/inproc", "/tmp/benchq/quire", "{connection_file}"}, InterruptMode: "message",
			Env: []string{"QUIRE_BENCH_BIND_FIRST=" + bf}}
		if err := benchStarts(ctx, spec, 10, res, t.Logf); err != nil {
			t.Fatal(err)
		}
	}
	_ = os.Getenv
}
