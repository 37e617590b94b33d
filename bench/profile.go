package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// profile samples the CPU of process pid with Linux perf while a phase
// runs, when -profile DIR is set (and perf is installed): DIR/LABEL.data
// is perf's record, DIR/LABEL.txt the hottest functions and packages. The
// returned func stops it.
func (b *bench) profile(pid int, label string) (stop func()) {
	if b.profileDir == "" {
		return func() {}
	}
	perf, err := exec.LookPath("perf")
	if err != nil {
		b.log.Warn("-profile: perf not found", "err", err)
		return func() {}
	}
	data := filepath.Join(b.profileDir, label+".data")
	cmd := exec.Command(perf, "record", "-F", "499", "-g", "-p", strconv.Itoa(pid), "-o", data)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		b.log.Warn("-profile: perf record", "err", err)
		return func() {}
	}
	return func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		_ = cmd.Wait()
		report := func(args ...string) []byte {
			out, err := exec.Command(perf, append([]string{"report", "-i", data, "--stdio", "-g", "none", "--sort", "symbol"},
				args...)...).Output()
			if err != nil {
				b.log.Warn("-profile: perf report", "err", err)
			}
			return out
		}
		var txt bytes.Buffer
		txt.Write(byPackage(report("--no-children")))
		txt.WriteString("# inclusive: the functions whose calls took 3 % or more of the samples\n")
		txt.Write(trimReport(report("--children", "--percent-limit", "3")))
		txt.WriteString("\n# flat: the functions that took 0.5 % or more themselves\n")
		txt.Write(trimReport(report("--no-children", "--percent-limit", "0.5")))
		name := filepath.Join(b.profileDir, label+".txt")
		if err := os.WriteFile(name, txt.Bytes(), 0o644); err != nil {
			b.log.Warn("-profile", "err", err)
			return
		}
		b.log.Info("profile written", "file", name)
	}
}

// trimReport keeps perf report's sample lines, without its comments and
// the empty IPC columns.
func trimReport(report []byte) []byte {
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(report))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		out.WriteString(strings.TrimRight(strings.TrimRight(strings.TrimSpace(line), " -"), " ") + "\n")
	}
	return out.Bytes()
}

var perfLine = regexp.MustCompile(`^\s*([0-9.]+)%\s+\[([.k])\]\s+(\S+)`)

// byPackage sums perf's flat profile by Go package (the symbol up to its
// last '.' before any '(' or type), for a first look at what dominates.
func byPackage(report []byte) []byte {
	sums := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(report))
	for sc.Scan() {
		m := perfLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		pct, _ := strconv.ParseFloat(m[1], 64)
		if m[2] == "k" {
			sums["(kernel)"] += pct
			continue
		}
		sums[pkgOf(m[3])] += pct
	}
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		switch {
		case sums[a] > sums[b]:
			return -1
		case sums[a] < sums[b]:
			return 1
		}
		return strings.Compare(a, b)
	})
	var out bytes.Buffer
	out.WriteString("# by package: the samples of each package's own code\n")
	for _, k := range keys {
		fmt.Fprintf(&out, "%6.2f%%  %s\n", sums[k], k)
	}
	out.WriteString("\n")
	return out.Bytes()
}

// pkgOf is the package of a Go symbol such as
// "modernc.org/sqlite/lib.sqlite3VdbeExec" or "net/http.(*conn).serve".
func pkgOf(sym string) string {
	sym = strings.TrimSpace(sym)
	slash := strings.LastIndexByte(sym, '/')
	dot := strings.IndexByte(sym[slash+1:], '.')
	if dot < 0 {
		return "(runtime assembly, C)"
	}
	return sym[:slash+1+dot]
}
