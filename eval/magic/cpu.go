package magic

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MagicEnv does not report the worker's CPU time, so %time reads it from /proc: the worker is a
// child process of the kernel. Every direct child of the kernel process counts (the worker and
// a spare worker, which is idle), with its descendants (executors' child processes) and the
// children it has waited for. A process's own CPU time comes from its threads' schedstat
// (nanoseconds), split into user and sys in the proportion of its stat utime/stime (clock
// ticks), as the Linux kernel does for getrusage; descendants count in clock ticks.

const clockTick = 10 * time.Millisecond // USER_HZ is 100 on Linux

type procCPU struct {
	start      string // starttime: tells a reused pid apart
	run        time.Duration
	utime      uint64 // ticks
	stime      uint64
	descUser   uint64 // ticks: waited-for children and live descendants
	descSystem uint64
}

type cpuSample struct {
	ok    bool
	procs map[int]procCPU
}

type statLine struct {
	ppid                         int
	utime, stime, cutime, cstime uint64
	start                        string
}

func readStat(pid string) (statLine, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return statLine{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return statLine{}, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 20 {
		return statLine{}, false
	}
	u := func(k int) uint64 { n, _ := strconv.ParseUint(f[k-3], 10, 64); return n }
	ppid, _ := strconv.Atoi(f[1])
	return statLine{ppid: ppid, utime: u(14), stime: u(15), cutime: u(16), cstime: u(17), start: f[22-3]}, true
}

// runTime sums the CPU time of pid's threads (schedstat, in ns).
func runTime(pid int) time.Duration {
	dirs, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "schedstat"))
	var total time.Duration
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.ParseInt(f[0], 10, 64)
			total += time.Duration(n)
		}
	}
	return total
}

// sampleCPU reads the CPU times of the kernel's child processes.
func sampleCPU() cpuSample {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return cpuSample{}
	}
	self := os.Getpid()
	stats := map[int]statLine{}
	kids := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(e.Name()); ok {
			stats[pid] = st
			kids[st.ppid] = append(kids[st.ppid], pid)
		}
	}
	if _, ok := stats[self]; !ok {
		return cpuSample{}
	}
	s := cpuSample{ok: true, procs: map[int]procCPU{}}
	for _, pid := range kids[self] {
		st := stats[pid]
		p := procCPU{start: st.start, run: runTime(pid), utime: st.utime, stime: st.stime, descUser: st.cutime, descSystem: st.cstime}
		var walk func(int)
		walk = func(parent int) {
			for _, k := range kids[parent] {
				p.descUser += stats[k].utime
				p.descSystem += stats[k].stime
				walk(k)
			}
		}
		walk(pid)
		s.procs[pid] = p
	}
	return s
}

// cpuDelta returns the user and system CPU time the kernel's children used between two
// samples; ok is false when /proc could not be read.
func cpuDelta(before, after cpuSample) (user, sys time.Duration, ok bool) {
	if !before.ok || !after.ok {
		return 0, 0, false
	}
	for pid, a := range after.procs {
		b, seen := before.procs[pid]
		if !seen || b.start != a.start {
			b = procCPU{}
		}
		run := a.run - b.run
		du, ds := sub(a.utime, b.utime), sub(a.stime, b.stime)
		if run > 0 {
			if du+ds == 0 {
				user += run
			} else {
				u := time.Duration(float64(run) * float64(du) / float64(du+ds))
				user += u
				sys += run - u
			}
		}
		user += time.Duration(sub(a.descUser, b.descUser)) * clockTick
		sys += time.Duration(sub(a.descSystem, b.descSystem)) * clockTick
	}
	return user, sys, true
}

func sub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}
