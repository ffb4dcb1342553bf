package main

import (
	"fmt"
	"io"

	"github.com/quire-go/quire/install"
)

func cmdInstall(args []string, stdout, stderr io.Writer, remove bool) error {
	verb, about := "install", `Writes the kernelspec (kernel.json and logos) where Jupyter finds it. kernel.json points at
this binary by absolute path. Default: the user's Jupyter data directory ($JUPYTER_DATA_DIR,
else ~/.local/share/jupyter). No Python is needed.`
	if remove {
		verb, about = "uninstall", "Removes the kernelspec written by 'quire install' with the same flags."
	}
	fs := newFlags(verb, verb+" [--user | --sys-prefix | --prefix DIR] [--name NAME]", about, stderr)
	user := fs.Bool("user", false, "the user's Jupyter data directory (the default)")
	sysPrefix := fs.Bool("sys-prefix", false, "the Python environment Jupyter runs in (virtualenv, conda, or python3's sys.prefix)")
	prefix := fs.String("prefix", "", "install under `DIR`/share/jupyter/kernels")
	name := fs.String("name", install.DefaultName, "kernelspec `name` (what 'jupyter console --kernel NAME' uses)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	o := install.Options{Scope: install.User, Name: *name}
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
	fmt.Fprintf(stdout, "start it with: jupyter notebook (choose %q) or jupyter console --kernel %s\n", install.DisplayName, o.Name)
	return nil
}
