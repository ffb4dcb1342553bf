package main

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

//go:embed python/*.py
var pyScripts embed.FS

// python is the interpreter of the CPython side: Debian's, where ipykernel lives.
const python = "/usr/bin/python3"

// pythonVersion returns the interpreter's version, or an error if it cannot run.
func pythonVersion() (string, error) {
	out, err := exec.Command(python, "-c", "import sys; print(sys.version.split()[0])").Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", python, err)
	}
	return string(trimNL(out)), nil
}

// haveIPyKernel reports whether Debian's python3 can import ipykernel, and its version.
func haveIPyKernel() (string, bool) {
	out, err := exec.Command(python, "-c", "import ipykernel; print(ipykernel.__version__)").Output()
	if err != nil {
		return "", false
	}
	return string(trimNL(out)), true
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// writeScripts copies the embedded scripts into a new temporary directory.
func writeScripts() (string, error) {
	dir, err := os.MkdirTemp("", "quire-bench-py-")
	if err != nil {
		return "", err
	}
	ents, err := pyScripts.ReadDir("python")
	if err != nil {
		return "", err
	}
	for _, e := range ents {
		b, err := pyScripts.ReadFile("python/" + e.Name())
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// runPy runs one script and decodes its JSON result; the script's task output goes to stderr.
func runPy(ctx context.Context, dir string, args ...string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("python3 %v: %w", args, err)
	}
	var m map[string]float64
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("python3 %v: bad output %q: %w", args, out, err)
	}
	return m, nil
}

// benchPython runs the CPython scripts, storing values under "py.".
func benchPython(ctx context.Context, cfg execConfig, res *results, logf func(string, ...any)) error {
	dir, err := writeScripts()
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	f := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
	i := strconv.Itoa
	type step struct {
		what   string
		args   []string
		keys   map[string]string // script key -> result key
		failOn []string
	}
	steps := []step{
		{"threads (E1, E2, start+join)", []string{"threads.py", "basic", f(cfg.Sleep), i(min(cfg.Spawns, 5000))},
			map[string]string{"e1": "py.e1", "e2": "py.e2", "thread_sj": "py.thread_sj"}, []string{"py.e1", "py.e2", "py.thread_sj"}},
		{"multiprocessing (E3, E4, start+join)", []string{"procs.py", f(cfg.Sleep), i(cfg.ProcStarts)},
			map[string]string{"e3_fork": "py.e3_fork", "e3_spawn": "py.e3_spawn", "e4_fork": "py.e4_fork", "e4_spawn": "py.e4_spawn",
				"proc_sj_fork": "py.proc_sj_fork", "proc_sj_spawn": "py.proc_sj_spawn"},
			[]string{"py.e3_fork", "py.e3_spawn", "py.e4_fork", "py.e4_spawn", "py.proc_sj_fork", "py.proc_sj_spawn"}},
		{"asyncio.gather (E5, E6)", []string{"gather.py", "basic", f(cfg.Sleep)},
			map[string]string{"e5": "py.e5", "e6": "py.e6"}, []string{"py.e5", "py.e6"}},
		{"ThreadPoolExecutor (E7, round trip)", []string{"pool.py", f(cfg.PoolSleep), i(min(cfg.PoolRTs, 20000))},
			map[string]string{"e7": "py.e7", "pool_rt": "py.pool_rt"}, []string{"py.e7", "py.pool_rt"}},
		{"CPU-bound prime counts (E8)", []string{"cpu.py", f(cfg.CPUJob), i(cfg.CPURuns)},
			map[string]string{"e8_seq": "py.e8_seq", "e8_threads": "py.e8_threads", "e8_procs": "py.e8_procs", "e8_gather": "py.e8_gather"},
			[]string{"py.e8_seq", "py.e8_threads", "py.e8_procs", "py.e8_gather"}},
		{"gathered sleeps", []string{"gather.py", "many", i(cfg.Many), f(cfg.ManySleep)},
			map[string]string{"wall": "py.gather_many", "maxrss": "py.gather_many_rss"}, []string{"py.gather_many", "py.gather_many_rss"}},
		{"threads sleeping", []string{"threads.py", "many", i(cfg.Threads), f(cfg.ManySleep)},
			map[string]string{"wall": "py.threads_many", "maxrss": "py.threads_many_rss"}, []string{"py.threads_many", "py.threads_many_rss"}},
	}
	var first error
	for _, s := range steps {
		logf("python: %s", s.what)
		m, err := runPy(ctx, dir, s.args...)
		if err != nil {
			for _, k := range s.failOn {
				res.fail(k, err)
			}
			logf("python: %v", err)
			if first == nil {
				first = err
			}
			continue
		}
		for sk, rk := range s.keys {
			if v, ok := m[sk]; ok {
				res.set(rk, v)
			} else {
				res.fail(rk, fmt.Errorf("%s: no %q in the output", s.args[0], sk))
			}
		}
		logf("python: %s: %v", s.what, m)
	}
	return first
}
