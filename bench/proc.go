package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// treeRSS returns the resident set size, in MiB, of pid and all its descendants. Children are
// found through /proc/PID/task/*/children (every thread's direct children), recursively.
func treeRSS(pid int) (float64, error) {
	seen := map[int]bool{}
	todo := []int{pid}
	var kb int64
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if seen[p] {
			continue
		}
		seen[p] = true
		v, err := statusField(p, "VmRSS:")
		if err != nil {
			if p == pid {
				return 0, err
			}
			continue // a child that exited meanwhile
		}
		kb += v
		todo = append(todo, childrenOf(p)...)
	}
	return float64(kb) / 1024, nil
}

// childrenOf lists the direct children of pid (all its threads').
func childrenOf(pid int) []int {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var kids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				kids = append(kids, n)
			}
		}
	}
	return kids
}

// statusField reads a "Name:  123 kB" line of /proc/PID/status and returns the number (kB).
func statusField(pid int, name string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading status of pid %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, name) {
			fs := strings.Fields(line[len(name):])
			if len(fs) == 0 {
				break
			}
			return strconv.ParseInt(fs[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("pid %d: no %s in /proc status", pid, name)
}

// listening reports which of ports have a TCP socket in LISTEN state (from /proc/net/tcp and
// tcp6). It lets the benchmark see the moment a kernel has bound its sockets without
// connecting to them.
func listening(ports []int) (map[int]bool, error) {
	want := map[string]int{}
	for _, p := range ports {
		want[fmt.Sprintf("%04X", p)] = p
	}
	got := map[int]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			if file == "/proc/net/tcp" {
				return nil, fmt.Errorf("reading %s: %w", file, err)
			}
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 4 || fs[3] != "0A" { // 0A = LISTEN
				continue
			}
			i := strings.LastIndexByte(fs[1], ':')
			if p, ok := want[fs[1][i+1:]]; ok {
				got[p] = true
			}
		}
	}
	return got, nil
}

// waitListening polls until every port listens, dead is closed, or timeout passes.
func waitListening(ports []int, dead <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		got, err := listening(ports)
		if err != nil {
			return err
		}
		if len(got) == len(ports) {
			return nil
		}
		select {
		case <-dead:
			return errKernelExited
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kernel ports not listening after %v (%d of %d)", timeout, len(got), len(ports))
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// loadAvg returns /proc/loadavg's first three fields.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	fs := strings.Fields(string(b))
	if len(fs) < 3 {
		return "?"
	}
	return strings.Join(fs[:3], " ")
}
