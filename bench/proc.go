package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times
// (100 on every Linux the bench runs on).
const clockTicks = 100

// cpuTime is the CPU time (user + system) a process has used.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command may hold spaces: the fields start after its ')'.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// rss is a process's resident memory in bytes.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// usage is the CPU time and memory of groups of processes.
type usage map[string]struct {
	cpu time.Duration
	rss int64
}

// measure reads every process of groups (role → pids).
func measure(groups map[string][]int) usage {
	u := usage{}
	for role, pids := range groups {
		v := u[role]
		for _, pid := range pids {
			v.cpu += cpuTime(pid)
			v.rss += rss(pid)
		}
		u[role] = v
	}
	return u
}

// cores is how many cores role used on average between a and b, wall apart.
func cores(a, b usage, role string, wall time.Duration) float64 {
	return (b[role].cpu - a[role].cpu).Seconds() / wall.Seconds()
}

// kubePids returns the etcd and API server processes a kube data dir
// (DATA_DIR/kube) records.
func kubePids(kubeDir string) map[string][]int {
	out := map[string][]int{}
	if pid, ok := readPid(filepath.Join(kubeDir, "etcd.pid")); ok {
		out["etcd"] = []int{pid}
	}
	files, _ := filepath.Glob(filepath.Join(kubeDir, "clusters", "*", "apiserver.pid"))
	for _, f := range files {
		if pid, ok := readPid(f); ok {
			out["apiserver"] = append(out["apiserver"], pid)
		}
	}
	return out
}

func mib(b int64) string { return fmt.Sprintf("%d MiB", b>>20) }
