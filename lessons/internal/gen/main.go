// Command gen converts the lesson sources (src/NN-name.md) into the notebooks that ship in the
// binary (notebooks/NN-name.ipynb) and keeps the executed copies (executed/NN-name.ipynb: the
// solved lessons with their outputs, for GitHub, nbviewer and teachers) in step with them. Run
// it from the lessons folder with `go generate ./lessons`.
//
// An executed copy is stale when its cells' sources differ from the solved lesson's; gen runs
// stale copies (all of them with -execute all) through a real kernel, built from this module's
// cmd/quire, at full scale: QUIRE_LESSON_SCALE is removed from the kernel's environment so the
// copies show the real timings. -execute none skips them. The environment variable
// QUIRE_LESSONS_EXECUTE sets -execute's default (for `QUIRE_LESSONS_EXECUTE=all go generate
// ./lessons`). With -check gen changes nothing and fails when a notebook or an executed copy is
// stale.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quire-go/quire/lessons/internal/author"
	"github.com/quire-go/quire/notebook"
	"github.com/quire-go/quire/notebook/jupyter"
)

func main() {
	check := flag.Bool("check", false, "only report stale notebooks and executed copies")
	def := os.Getenv("QUIRE_LESSONS_EXECUTE")
	if def == "" {
		def = "stale"
	}
	execute := flag.String("execute", def, "which executed copies to regenerate: `stale`, all or none")
	timeout := flag.Duration("timeout", 5*time.Minute, "interrupt a lesson cell running longer than this")
	flag.Parse()
	if err := run(*check, *execute, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "lessons gen:", err)
		os.Exit(1)
	}
}

type lesson struct {
	name     string
	released []byte             // notebooks/NAME.ipynb
	solved   *notebook.Notebook // what executed/NAME.ipynb runs
}

func run(check bool, execute string, timeout time.Duration) error {
	switch execute {
	case "stale", "all", "none":
	default:
		return fmt.Errorf("-execute %q: want stale, all or none", execute)
	}
	srcs, err := filepath.Glob("src/*.md")
	if err != nil {
		return err
	}
	sort.Strings(srcs)
	var ls []lesson
	for _, src := range srcs {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		name := author.NameOf(src)
		nb, _, err := author.Convert(name, b, author.Release)
		if err != nil {
			return err
		}
		out, err := notebook.Marshal(nb)
		if err != nil {
			return err
		}
		sol, _, err := author.Convert(name, b, author.Solution)
		if err != nil {
			return err
		}
		ls = append(ls, lesson{name: name, released: out, solved: sol})
	}
	stale, err := syncNotebooks(ls, check)
	if err != nil {
		return err
	}
	var toRun []lesson
	for _, l := range ls {
		p := executedPath(l.name)
		old, err := notebook.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		why := ""
		if err != nil {
			why = "missing"
		} else if d := author.SameCells(old, l.solved); d != "" {
			why = d
		}
		if why != "" {
			stale = append(stale, p+" ("+why+")")
		}
		if execute == "all" || (execute == "stale" && why != "") {
			toRun = append(toRun, l)
		}
	}
	if err := removeOrphans("executed/*.ipynb", ls, check); err != nil {
		return err
	}
	if check {
		if len(stale) > 0 {
			return fmt.Errorf("stale (run go generate ./lessons): %v", stale)
		}
		return nil
	}
	if len(toRun) == 0 || execute == "none" {
		return nil
	}
	return executeAll(toRun, timeout)
}

func executedPath(name string) string { return filepath.Join("executed", name+".ipynb") }

// syncNotebooks writes the released notebooks (unless check) and returns the stale ones.
func syncNotebooks(ls []lesson, check bool) ([]string, error) {
	var stale []string
	if err := removeOrphans("notebooks/*.ipynb", ls, check); err != nil {
		return nil, err
	}
	existing, _ := filepath.Glob("notebooks/*.ipynb")
	known := map[string]bool{}
	for _, l := range ls {
		known[filepath.Join("notebooks", l.name+".ipynb")] = true
	}
	for _, p := range existing {
		if !known[p] {
			stale = append(stale, p+" (no source)")
		}
	}
	for _, l := range ls {
		p := filepath.Join("notebooks", l.name+".ipynb")
		old, err := os.ReadFile(p)
		if err == nil && bytes.Equal(old, l.released) {
			continue
		}
		stale = append(stale, p)
		if !check {
			if err := os.WriteFile(p, l.released, 0o644); err != nil {
				return nil, err
			}
			fmt.Println("wrote", p)
		}
	}
	return stale, nil
}

// removeOrphans deletes (unless check) the files matching pattern that belong to no lesson.
func removeOrphans(pattern string, ls []lesson, check bool) error {
	if check {
		return nil
	}
	names := map[string]bool{}
	for _, l := range ls {
		names[l.name] = true
	}
	existing, err := filepath.Glob(pattern)
	if err != nil {
		return err
	}
	for _, p := range existing {
		if !names[strings.TrimSuffix(filepath.Base(p), ".ipynb")] {
			if err := os.Remove(p); err != nil {
				return err
			}
			fmt.Println("removed", p, "(no source)")
		}
	}
	return nil
}

// executeAll builds the kernel from this module and runs each lesson's solved notebook through
// it, writing executed/NAME.ipynb. A lesson with a failing cell is not written.
func executeAll(ls []lesson, timeout time.Duration) error {
	dir, err := os.MkdirTemp("", "quire-lessons-gen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "quire")
	build := exec.Command("go", "build", "-o", bin, "github.com/quire-go/quire/cmd/quire")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("building the kernel: %w", err)
	}
	// Full scale: the copies show what a learner measures.
	if err := os.Unsetenv("QUIRE_LESSON_SCALE"); err != nil {
		return err
	}
	if err := os.MkdirAll("executed", 0o755); err != nil {
		return err
	}
	factory := jupyter.Command(bin, "kernel", "--log-level", "warn", "{connection_file}")
	var errs []error
	for _, l := range ls {
		start := time.Now()
		load := loadNote()
		if load != "" {
			fmt.Fprintf(os.Stderr, "lessons gen: warning: %s: %s's timings will show a busy machine (regenerate when it is quiet)\n", load, l.name)
		}
		fmt.Printf("executing %s ...", l.name)
		if err := executeOne(l, factory, timeout, load); err != nil {
			fmt.Println(" failed")
			errs = append(errs, fmt.Errorf("%s: %w", l.name, err))
			continue
		}
		fmt.Printf(" wrote %s in %.1f s\n", executedPath(l.name), time.Since(start).Seconds())
	}
	return errors.Join(errs...)
}

// loadNote describes the machine's load when other programs keep more than half of its cores
// busy, else "". It samples /proc/stat (Linux) for a second between two lessons, when nothing of
// ours runs: the 1-minute load average would count the previous lesson's own work.
func loadNote() string {
	idle0, total0, ok := cpuTimes()
	if !ok {
		return ""
	}
	time.Sleep(time.Second)
	idle1, total1, ok := cpuTimes()
	if !ok || total1 <= total0 {
		return ""
	}
	busy := float64(runtime.NumCPU()) * (1 - float64(idle1-idle0)/float64(total1-total0))
	if busy <= float64(runtime.NumCPU())/2 {
		return ""
	}
	return fmt.Sprintf("other programs kept %.1f of %d cores busy", busy, runtime.NumCPU())
}

// cpuTimes returns the idle (idle + iowait) and total jiffies of all CPUs from /proc/stat.
func cpuTimes() (idle, total uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	return idle, total, true
}

func executeOne(l lesson, factory notebook.KernelFactory, timeout time.Duration, load string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	k, err := factory(ctx)
	if err != nil {
		return fmt.Errorf("starting the kernel: %w", err)
	}
	if c, ok := k.(interface{ Close() error }); ok {
		defer c.Close()
	}
	nb := l.solved
	if err := notebook.Execute(ctx, nb, k, notebook.ExecOptions{Timeout: timeout}); err != nil {
		return err
	}
	q, _ := nb.Metadata["quire"].(map[string]any)
	if q != nil {
		q["executed"] = "solved lesson, full scale, by go generate ./lessons"
		if load != "" {
			q["executed"] = q["executed"].(string) + "; " + load + " when it started"
		}
	}
	return notebook.WriteFile(executedPath(l.name), nb)
}
