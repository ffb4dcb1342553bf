// Command bench measures quire against its peers, in a way anyone can rerun:
//
//	go run ./bench [--quire PATH] [--quick] [--only kernel|executors|python] [--out FILE]
//
// It starts the quire kernel (built from ./cmd/quire unless --quire is given) as a Jupyter
// client does, through the Go client of package kernel/client, and measures start to
// kernel_info_reply, the `1+1` round trip, 100,000 printed lines, a 3 x 2 s sleep cell,
// interrupting an endless loop, restart (as jupyter_client does it: shutdown_request with
// restart=true, wait for the process to exit, start a new one; and in-process, through a small
// companion kernel built from ./bench/inproc with kernel.Config.RestartInProcess), and the RSS of
// the kernel and all its children, idle and after the loaded cells. Where Debian's ipykernel is
// installed (/usr/bin/python3 -m ipykernel), the same figures are measured for it in the same
// run, through the same client.
//
// It then runs the lessons' examples E1-E8 (../shared/curriculum.md) in compiled Go through
// package executors, with process start+join, goroutine and pool round trips, and many waiting
// tasks (time and peak RSS), and the same shapes in CPython with the scripts in bench/python
// (embedded, run with /usr/bin/python3).
//
// Progress goes to stderr; the Markdown table (measure, quire / Go, ipykernel, CPython, ratio,
// goal, met?) goes to stdout and, with --out, to a file. --quick uses fewer repetitions and
// shorter sleeps (for CI smoke runs; its figures are not comparable with the goals).
//
// The program is its own executors child (executors.ChildMain) and its own benchmark child
// (childMain, for the runs whose peak RSS or GOMAXPROCS must be their own).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/quire-go/quire/install"
)

func main() {
	if err := registerFuncs(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	executorsChildMain()
	childMain()
	os.Exit(run(os.Args[1:]))
}

// options are the command line.
type options struct {
	Quire string
	Quick bool
	Only  string
	Out   string
}

func run(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.Quire, "quire", "", "quire binary to benchmark (default: go build ./cmd/quire into a temporary directory)")
	fs.BoolVar(&o.Quick, "quick", false, "fewer repetitions and shorter sleeps (a smoke run, not comparable with the goals)")
	fs.StringVar(&o.Only, "only", "", "run only one part: kernel, executors or python")
	fs.StringVar(&o.Out, "out", "", "also write the Markdown results to `FILE`")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./bench [flags]\n\nMeasures the quire kernel and the executors against ipykernel and CPython.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch o.Only {
	case "", "kernel", "executors", "python":
	default:
		fmt.Fprintf(os.Stderr, "bench: --only %q: use kernel, executors or python\n", o.Only)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	md, err := runBench(ctx, o, logf)
	if md != "" {
		fmt.Print(md)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
	if o.Out != "" && md != "" {
		if werr := os.WriteFile(o.Out, []byte(md), 0o644); werr != nil {
			fmt.Fprintln(os.Stderr, "bench:", werr)
			return 1
		}
	}
	if err != nil {
		return 1
	}
	return 0
}

var start = time.Now()

// logf prints a progress line on stderr.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

// runBench runs the selected parts and returns the Markdown report.
func runBench(ctx context.Context, o options, logf func(string, ...any)) (string, error) {
	res := newResults()
	res.note("load average at start: %s", loadAvg())
	part := func(p string) bool { return o.Only == "" || o.Only == p }
	var errs []error
	var tmp string
	if part("kernel") {
		var err error
		tmp, err = os.MkdirTemp("", "quire-bench-bin-")
		if err != nil {
			return "", err
		}
		defer os.RemoveAll(tmp)
		quire := o.Quire
		if quire == "" {
			quire = filepath.Join(tmp, "quire")
			if err := goBuild(ctx, "./cmd/quire", quire, logf); err != nil {
				return "", err
			}
			if err := goBuild(ctx, "./cmd/quire-kernel", filepath.Join(tmp, install.KernelBinaryName), logf); err != nil {
				return "", err
			}
		}
		inproc := filepath.Join(tmp, "inproc")
		if err := goBuild(ctx, "./bench/inproc", inproc, logf); err != nil {
			res.note("in-process restart not measured: %v", err)
			inproc = ""
		}
		if err := benchKernels(ctx, quire, inproc, o.Quick, res, logf); err != nil {
			errs = append(errs, err)
		}
	}
	if part("executors") {
		self, err := os.Executable()
		if err != nil {
			return "", err
		}
		// Tasks print (as the lessons' examples do): keep stdout for the table.
		saved := os.Stdout
		os.Stdout = os.Stderr
		benchExecutors(ctx, execConfigFor(o.Quick), self, res, logf)
		os.Stdout = saved
	}
	if part("python") {
		if v, err := pythonVersion(); err != nil {
			res.note("CPython not measured: %v", err)
		} else {
			res.note("CPython %s (%s)", v, python)
			if err := benchPython(ctx, execConfigFor(o.Quick), res, logf); err != nil {
				errs = append(errs, err)
			}
		}
	}
	res.note("load average at end: %s", loadAvg())
	return report(res, o), errors.Join(errs...)
}

// benchKernels measures quire, its in-process restart, and ipykernel when installed.
func benchKernels(ctx context.Context, quire, inproc string, quick bool, res *results, logf func(string, ...any)) error {
	cfg := kernelConfigFor(quick)
	env := []string{"QUIRE_LOG_LEVEL=warn"}
	os.Setenv("QUIRE_LOG_LEVEL", "warn") // for client.Start, which passes the environment on
	var errs []error
	q := kernelSpec{Name: "quire", Argv: quireArgv(quire), InterruptMode: "message", Env: env}
	logf("quire kernel command: %s", strings.Join(q.Argv, " "))
	if err := benchKernel(ctx, q, goProfile, cfg, res, logf); err != nil {
		errs = append(errs, fmt.Errorf("quire: %w", err))
	}
	if inproc != "" {
		ip := kernelSpec{Name: "inproc", Argv: []string{inproc, quire, "{connection_file}"}, InterruptMode: "message", Env: env}
		if err := benchInProcessRestart(ctx, ip, goProfile, cfg.Restarts, res, logf); err != nil {
			errs = append(errs, fmt.Errorf("in-process restart: %w", err))
		}
		// Experiment: the same kernel, with the worker started before (as `quire kernel` does)
		// and after binding the sockets.
		ip.Name = "inproc"
		if err := benchStarts(ctx, ip, cfg.Starts, res, logf); err != nil {
			errs = append(errs, err)
		}
		ip.Name, ip.Env = "bindfirst", append(ip.Env, "QUIRE_BENCH_BIND_FIRST=1")
		if err := benchStarts(ctx, ip, cfg.Starts, res, logf); err != nil {
			errs = append(errs, err)
		}
	}
	if v, ok := haveIPyKernel(); !ok {
		res.note("ipykernel not measured: `%s -c \"import ipykernel\"` failed (apt-get install -y python3-ipykernel)", python)
	} else {
		spec, dir, err := ipykernelSpec()
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		defer os.RemoveAll(dir)
		res.note("ipykernel %s, kernelspec %s", v, filepath.Join(dir, "kernels", "bench-ipykernel", "kernel.json"))
		if err := benchKernel(ctx, spec, pythonProfile, cfg, res, logf); err != nil {
			errs = append(errs, fmt.Errorf("ipykernel: %w", err))
		}
	}
	return errors.Join(errs...)
}

// ipykernelSpec writes a temporary kernelspec for Debian's ipykernel (JUPYTER_PATH=DIR finds
// it) and returns what it says.
func ipykernelSpec() (kernelSpec, string, error) {
	dir, err := os.MkdirTemp("", "quire-bench-spec-")
	if err != nil {
		return kernelSpec{}, "", err
	}
	argv := []string{python, "-m", "ipykernel_launcher", "-f", "{connection_file}"}
	kdir := filepath.Join(dir, "kernels", "bench-ipykernel")
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		return kernelSpec{}, dir, err
	}
	spec := fmt.Sprintf(`{"argv": %s, "display_name": "Python 3 (bench)", "language": "python", "interrupt_mode": "signal", "metadata": {"debugger": false}}`+"\n", mustJSON(argv))
	if err := os.WriteFile(filepath.Join(kdir, "kernel.json"), []byte(spec), 0o644); err != nil {
		return kernelSpec{}, dir, err
	}
	return kernelSpec{Name: "ipykernel", Argv: argv, InterruptMode: "signal"}, dir, nil
}

// goBuild builds pkg (relative to the module root) into out.
// quireArgv is the kernel command `quire install` would write for the quire binary at quire:
// quire-kernel with quire as its worker when quire-kernel is beside it.
func quireArgv(quire string) []string {
	return install.NewSpec(quire, install.SiblingKernel(quire), nil).Argv
}

// goBuild builds pkg statically (CGO_ENABLED=0, as the README installs quire).
func goBuild(ctx context.Context, pkg, out string, logf func(string, ...any)) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	logf("CGO_ENABLED=0 go build -o %s %s", out, pkg)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

// moduleRoot finds the quire module's root from the working directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the quire module (or pass --quire PATH)")
	}
	return filepath.Dir(mod), nil
}

// report renders the table, the machine and the notes.
func report(res *results, o options) string {
	var b strings.Builder
	goVer := runtime.Version()
	cmdline := "go run ./bench"
	if len(os.Args) > 1 {
		cmdline += " " + strings.Join(os.Args[1:], " ")
	}
	fmt.Fprintf(&b, "Command: `%s`  \n", cmdline)
	fmt.Fprintf(&b, "Machine: %d cores (%s), %s, %s/%s, %s  \n", runtime.NumCPU(), cpuModel(), osRelease(), runtime.GOOS, runtime.GOARCH, goVer)
	if o.Quick {
		b.WriteString("**--quick run: fewer repetitions and shorter sleeps; not comparable with the goals.**  \n")
	}
	b.WriteString("\n")
	b.WriteString(res.markdown(tableRows(o.Quick)))
	b.WriteString("\nNotes:\n")
	for _, n := range res.notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	return b.String()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if i := strings.IndexByte(l, ':'); i >= 0 {
				return strings.TrimSpace(l[i+1:])
			}
		}
	}
	return "?"
}

func osRelease() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return runtime.GOOS
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}
