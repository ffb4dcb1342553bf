// Command quire-kernel is quire's kernel process on its own: the Jupyter protocol, the
// supervisor of the Go worker, magics and completion, without the Go interpreter, the lessons
// and the rest of the quire command. It is a third of quire's size, so it starts faster and
// holds less memory; the cells still run in `quire worker` processes of the quire binary.
// 'quire install' uses it when it sits next to quire (go install ./cmd/...).
//
// Usage:
//
//	quire-kernel [--worker QUIRE] [kernel flags] CONNECTION_FILE
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/quire-go/quire/internal/cli"
)

func main() {
	err := cli.Kernel("quire-kernel", os.Args[1:], os.Stderr, true)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, cli.ErrUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "quire-kernel:", err)
		os.Exit(1)
	}
}
