package k8s

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a supervised child: started, restarted with backoff when it
// exits on its own, stopped with SIGTERM. Its pid is kept in a file so that
// a child orphaned by a killed ackscale is found and ended at the next start.
type process struct {
	name    string
	bin     string
	args    []string
	env     []string // added to ackscale's environment
	pidFile string
	logFile string
	log     *slog.Logger

	mu       sync.Mutex
	cmd      *exec.Cmd
	exited   chan struct{}
	stopped  bool
	restarts int
}

func (p *process) start() error {
	killStale(p.pidFile, p.bin)
	logs, err := os.OpenFile(p.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if len(p.env) > 0 {
		cmd.Env = append(os.Environ(), p.env...)
	}
	// Its own process group, and killed when ackscale dies (even by SIGKILL).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := startLocked(cmd); err != nil {
		logs.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	_ = os.WriteFile(p.pidFile, []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logs.Close()
		close(exited)
		p.onExit(err)
	}()
	return nil
}

// onExit restarts the process unless it was stopped.
func (p *process) onExit(err error) {
	p.mu.Lock()
	stopped := p.stopped
	p.restarts++
	n := p.restarts
	p.mu.Unlock()
	if stopped {
		return
	}
	p.log.Warn("process exited; restarting", "process", p.name, "err", err, "restarts", n)
	time.Sleep(min(time.Duration(n)*500*time.Millisecond, 10*time.Second))
	p.mu.Lock()
	stopped = p.stopped
	p.mu.Unlock()
	if stopped {
		return
	}
	if err := p.start(); err != nil {
		p.log.Error("restart failed", "process", p.name, "err", err)
	}
}

// stop ends the process (SIGTERM, then SIGKILL after grace) and waits.
func (p *process) stop(grace time.Duration) {
	p.mu.Lock()
	p.stopped = true
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	_ = os.Remove(p.pidFile)
}

// pid returns the running pid, or 0.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// killStale ends a process left by a previous ackscale, if its pid file
// names a live process running bin.
func killStale(pidFile, bin string) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
	if err != nil || filepath.Base(exe) != filepath.Base(bin) {
		return
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for range 50 {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// starter runs every fork on one locked OS thread: Pdeathsig fires when the
// forking thread exits, so that thread must live as long as ackscale.
var starter = make(chan func())

func init() {
	go func() {
		lockOSThread()
		for f := range starter {
			f()
		}
	}()
}

func startLocked(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	starter <- func() { done <- cmd.Start() }
	return <-done
}

// waitFor polls check until it succeeds or ctx ends.
func waitFor(ctx context.Context, what string, check func() error) error {
	var last error
	for {
		if last = check(); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w (last: %v)", what, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
