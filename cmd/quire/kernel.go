package main

import (
	"io"

	"github.com/quire-go/quire/eval/worker"
	"github.com/quire-go/quire/internal/cli"
)

func cmdKernel(args []string, stderr io.Writer) error {
	return cli.Kernel("quire kernel", args, stderr, false)
}

func workerMain(args []string) int { return worker.Main(args) }
