// Command quire is a Jupyter kernel for Go with guided lessons on concurrency.
//
// Usage:
//
//	quire kernel CONNECTION_FILE          run the kernel (Jupyter starts this)
//	quire install [--user|--sys-prefix|--prefix DIR] [--name NAME]
//	quire uninstall [--user|--sys-prefix|--prefix DIR] [--name NAME]
//	quire run NOTEBOOK.ipynb [--out FILE] [--inplace] [--allow-errors] [--timeout D]
//	quire lessons list | export DIR | run [NAME...]
//	quire grade NOTEBOOK... [--json]
//	quire version
//
// Every subcommand answers -h with its own help.
package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/quire-go/quire/internal/cli"
	"io"
	"os"
	"runtime/debug"
)

const usage = `quire: a Jupyter kernel for Go, with lessons on concurrency

Usage:
  quire kernel CONNECTION_FILE    run the kernel (Jupyter starts this for you)
  quire install [flags]           install the kernelspec so Jupyter finds quire
  quire uninstall [flags]         remove the kernelspec
  quire run NOTEBOOK.ipynb        execute a notebook through the kernel, printing outputs
  quire lessons list              list the built-in lessons
  quire lessons export DIR        write the lesson notebooks to DIR
  quire lessons run [NAME...]     run lessons through the kernel, printing timing output
  quire grade NOTEBOOK...         execute assignments and score their check cells
  quire version                   print the version

Run 'quire COMMAND -h' for a command's flags.
`

// version is set at build time with -ldflags "-X main.version=..."; otherwise it comes from the
// module build info.
var version = ""

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks an error already explained by the command's usage text.
var errUsage = cli.ErrUsage

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "kernel":
		err = cmdKernel(rest, stderr)
	case "worker":
		return workerMain(rest)
	case "install":
		err = cmdInstall(rest, stdout, stderr, false)
	case "uninstall":
		err = cmdInstall(rest, stdout, stderr, true)
	case "run":
		err = cmdRun(rest, stdout, stderr)
	case "lessons":
		err = cmdLessons(rest, stdout, stderr)
	case "grade":
		err = cmdGrade(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "quire", quireVersion())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "quire: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "quire %s: %v\n", cmd, err)
		return 1
	}
}

func quireVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// newFlags returns a FlagSet whose -h prints "usage: quire " + synopsis, a description and the
// flags.
func newFlags(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	return cli.NewFlags(name, "quire "+synopsis, about, stderr)
}

// parse parses args and maps a bad command line to errUsage (the flag package has printed why).
func parse(fs *flag.FlagSet, args []string) error { return cli.Parse(fs, args) }
