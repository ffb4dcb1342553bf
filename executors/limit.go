package executors

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Processes starts one child process per job, and a child costs real memory (a quire task
// child is a Go interpreter replaying the session: about 18 MB). Without a bound, 500 jobs
// started 117 interpreters (2.1 GB) in half a second. So Processes runs at most a limited
// number of children at a time and queues the other jobs, each started in a fresh child as
// soon as an earlier one has exited; the report says how many were queued. A queued task's
// start time is when it really started in its child, so the timeline shows the queueing.

// ProcessLimitEnv is the environment variable that sets the default process limit of
// Processes: a number of child processes at a time, or 0 for no limit.
const ProcessLimitEnv = "QUIRE_MAX_PROCESSES"

// childMemory is the memory budgeted per child when deriving the default limit from the
// available memory: a task child measured 18 MB; the rest is headroom for the job's own data.
const childMemory = 64 << 20

// ProcessLimit sets how many child processes Processes runs at a time (the default is
// DefaultProcessLimit); the other jobs wait in order and each starts in a fresh child when an
// earlier child has exited. n <= 0 removes the limit (one child per job, all at once).
func ProcessLimit(n int) Option {
	return Option{func(c *config) { c.procLimit, c.procLimitSet = n, true }}
}

// DefaultProcessLimit is the number of child processes Processes runs at a time without a
// ProcessLimit option: the value of QUIRE_MAX_PROCESSES when it is set (0: no limit),
// otherwise 8 per CPU (at least 16: children that sleep or wait need no CPU), lowered so that
// the children (budgeted at 64 MiB each) fit in half of the available memory, and at least 2.
func DefaultProcessLimit() int {
	if v := strings.TrimSpace(os.Getenv(ProcessLimitEnv)); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return max(n, 0)
		}
	}
	n := max(16, 8*runtime.NumCPU())
	if avail := availableMemory(); avail > 0 {
		n = min(n, max(int(avail/2/childMemory), 2))
	}
	return n
}

// processLimit is the limit in force for a run: the option's, else the default; 0 means none.
func (c config) processLimit() int {
	if c.procLimitSet {
		return max(c.procLimit, 0)
	}
	return DefaultProcessLimit()
}

// availableMemory returns the memory available to new processes in bytes (MemAvailable,
// lowered to what the cgroup v2 limit leaves), or 0 if unknown.
func availableMemory() uint64 {
	avail := memInfo("MemAvailable")
	if limit, ok := cgroupFile("memory.max"); ok {
		used, _ := cgroupFile("memory.current")
		left := uint64(0)
		if limit > used {
			left = limit - used
		}
		if avail == 0 || left < avail {
			avail = left
		}
	}
	return avail
}

// memInfo returns a /proc/meminfo field in bytes, 0 if unknown.
func memInfo(field string) uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) == 0 {
			return 0
		}
		kb, err := strconv.ParseUint(fs[0], 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// cgroupFile reads a number from this process's cgroup v2 directory ("max" is not a number).
func cgroupFile(name string) (uint64, bool) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	// cgroup v2: a single line "0::/path".
	_, path, ok := strings.Cut(strings.TrimSpace(string(b)), "0::")
	if !ok || strings.Contains(path, "\n") {
		return 0, false
	}
	v, err := os.ReadFile("/sys/fs/cgroup" + path + "/" + name)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
	return n, err == nil
}
