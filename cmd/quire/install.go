package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/quire-go/quire/install"
	"github.com/quire-go/quire/internal/cli"
)

func cmdInstall(args []string, stdout, stderr io.Writer, remove bool) error {
	verb, about := "install", `Writes the kernelspec (kernel.json and logos) where Jupyter finds it. kernel.json points at
this binary by absolute path. Default: the user's Jupyter data directory ($JUPYTER_DATA_DIR,
else ~/.local/share/jupyter). No Python is needed.
When the small kernel binary quire-kernel is next to this one (go install ./cmd/... builds
both), it is the kernel process and this binary runs the cells: the kernel starts about twice
as fast and holds half the memory.`
	if remove {
		verb, about = "uninstall", "Removes the kernelspec written by 'quire install' with the same flags."
	}
	fs := newFlags(verb, verb+" [--user | --sys-prefix | --prefix DIR] [--name NAME]", about, stderr)
	user := fs.Bool("user", false, "the user's Jupyter data directory (the default)")
	sysPrefix := fs.Bool("sys-prefix", false, "the Python environment Jupyter runs in (virtualenv, conda, or python3's sys.prefix)")
	prefix := fs.String("prefix", "", "install under `DIR`/share/jupyter/kernels")
	name := fs.String("name", install.DefaultName, "kernelspec `name` (what 'jupyter console --kernel NAME' uses)")
	stopWindow := fs.String("stop-on-error-timeout", "", "write the kernel's stop-on-error window into kernel.json (`DURATION`, e.g. 0.5s; 0: off; default: the kernel's, 0.2s): after a failing cell, the cells arriving within it are aborted too, as a notebook's Run All expects")
	kernelBin := fs.String("kernel", "", "the small kernel binary to use (`PATH`; default: quire-kernel next to quire if there; \"-\": none, run 'quire kernel')")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	o := install.Options{Scope: install.User, Name: *name, Kernel: *kernelBin}
	if *stopWindow != "" && !remove {
		if _, err := cli.ParseStopOnErrorTimeout(*stopWindow); err != nil {
			return err
		}
		o.Env = map[string]string{cli.StopOnErrorTimeoutEnv: *stopWindow}
	}
	chosen := 0
	if *user {
		chosen++
	}
	if *sysPrefix {
		o.Scope = install.SysPrefix
		chosen++
	}
	if *prefix != "" {
		o.Scope, o.Prefix = install.Prefix, *prefix
		chosen++
	}
	if chosen > 1 {
		return fmt.Errorf("choose one of --user, --sys-prefix and --prefix")
	}
	if remove {
		dir, err := install.Uninstall(o)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed kernelspec %s\n", dir)
		return nil
	}
	dir, err := install.Install(o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "installed kernelspec %q in %s\n", o.Name, dir)
	if spec, err := install.ReadSpec(dir); err == nil {
		fmt.Fprintf(stdout, "kernel command: %s\n", strings.Join(spec.Argv, " "))
		if len(spec.Argv) > 1 && spec.Argv[1] == "kernel" && *kernelBin != "-" {
			fmt.Fprintf(stdout, "(for a faster, smaller kernel process put %s next to quire: go install github.com/quire-go/quire/cmd/...)\n", install.KernelBinaryName)
		}
	}
	fmt.Fprintf(stdout, "start it with: jupyter notebook (choose %q) or jupyter console --kernel %s\n", install.DisplayName, o.Name)
	return nil
}
