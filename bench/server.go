package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver/admin"
)

// listeningPrefix starts the line `ackscale serve` prints once it listens.
const listeningPrefix = "ackscale listening on http://"

// server is one `ackscale serve` process the bench started.
type server struct {
	url, dataDir   string
	key, secret    string
	adminToken     string
	cmd            *exec.Cmd
	done           chan struct{}
	started, ready time.Time // exec, and the listening line

	mu     sync.Mutex
	lines  map[string]int                  // how often each watched message was logged
	stages map[string]map[string]time.Time // task id → stage (and "end") → when it was logged
	log    *os.File                        // everything it wrote
}

// serverOptions starts a server.
type serverOptions struct {
	dataDir string   // reused when set
	kube    bool     // --kube=on (else off)
	args    []string // more flags
	debug   bool     // --log-level debug: counts the IP-allocation retries
	key     string   // the default account's key pair (random when empty)
	secret  string
	admin   string
}

// watched are the log messages the bench counts.
var watched = []string{"create instance: retrying"}

// startServer runs `ackscale serve` on 127.0.0.1:0 and waits for its
// listening line.
func (b *bench) startServer(ctx context.Context, o serverOptions) (*server, error) {
	if o.dataDir == "" {
		var err error
		if o.dataDir, err = os.MkdirTemp(b.tmp, "data-"); err != nil {
			return nil, err
		}
	}
	if o.key == "" {
		o.key, o.secret, o.admin = "LTAIbench"+randomHex(8), randomHex(16), randomHex(16)
	}
	kube := "off"
	if o.kube {
		kube = "on"
	}
	level := "info"
	if o.debug {
		level = "debug"
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", o.dataDir, "--kube", kube, "--kube-bin", b.kubeBin,
		"--rate-limit", "0", "--log-format", "json", "--log-level", level}, o.args...)
	cmd := exec.Command(b.ackscaleBin, args...)
	cmd.Env = append(os.Environ(), "ACKSCALE_ACCESS_KEY_ID="+o.key, "ACKSCALE_ACCESS_KEY_SECRET="+o.secret,
		"ACKSCALE_ADMIN_TOKEN="+o.admin)
	logFile, err := os.OpenFile(filepath.Join(o.dataDir, "bench-serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	s := &server{dataDir: o.dataDir, key: o.key, secret: o.secret, adminToken: o.admin, cmd: cmd,
		done: make(chan struct{}), lines: map[string]int{}, stages: map[string]map[string]time.Time{}, log: logFile}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ackscale: %w", err)
	}
	addr := make(chan string, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.scan(stdout, addr) }()
	go func() { defer wg.Done(); s.scan(stderr, nil) }()
	go func() {
		wg.Wait()
		_ = cmd.Wait()
		logFile.Close()
		close(s.done)
	}()
	select {
	case a := <-addr:
		s.ready = time.Now()
		s.url = "http://" + a
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("ackscale serve exited before listening; its output is in %s", logFile.Name())
	case <-time.After(2 * time.Minute):
		s.kill()
		return nil, errors.New("ackscale serve did not print its listening line within 2 minutes")
	case <-ctx.Done():
		s.kill()
		return nil, ctx.Err()
	}
}

// scan copies the server's output to its log, counts the watched messages
// and sends the listening address on addr.
func (s *server) scan(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		s.mu.Lock()
		_, _ = s.log.Write(append(line, '\n'))
		for _, w := range watched {
			if bytes.Contains(line, []byte(w)) {
				s.lines[w]++
			}
		}
		if bytes.Contains(line, []byte(`"msg":"task `)) {
			s.taskLine(line)
		}
		s.mu.Unlock()
		if a, ok := strings.CutPrefix(string(line), listeningPrefix); ok && addr != nil {
			select {
			case addr <- strings.TrimSpace(a):
			default:
			}
		}
	}
}

// taskLine records when a task entered a stage or ended, from its log
// line (JSON, nanoseconds).
func (s *server) taskLine(line []byte) {
	var l struct {
		Time   time.Time `json:"time"`
		Msg    string    `json:"msg"`
		TaskID string    `json:"task_id"`
		Stage  string    `json:"stage"`
	}
	if json.Unmarshal(line, &l) != nil || l.TaskID == "" {
		return
	}
	stage := l.Stage
	switch l.Msg {
	case "task stage":
	case "task succeeded", "task failed":
		stage = "end"
	default:
		return
	}
	if s.stages[l.TaskID] == nil {
		s.stages[l.TaskID] = map[string]time.Time{}
	}
	if _, ok := s.stages[l.TaskID][stage]; !ok {
		s.stages[l.TaskID][stage] = l.Time
	}
}

// timeline returns when the task entered each stage and ended, as logged.
func (s *server) timeline(taskID string) map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Time{}
	for k, v := range s.stages[taskID] {
		out[k] = v
	}
	return out
}

// count returns how often msg was logged.
func (s *server) count(msg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lines[msg]
}

// stop ends the server with SIGTERM (its API servers and etcd with it) and
// waits; after a minute it kills it.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.kill()
	}
}

func (s *server) kill() {
	_ = s.cmd.Process.Kill()
	<-s.done
}

// client is a signing client of the default account; conns is how many
// requests it may have in flight over kept-alive connections.
func (s *server) client(conns int) *acsclient.Client {
	return &acsclient.Client{BaseURL: s.url, AccessKeyID: s.key, Secret: s.secret, HTTP: httpClient(conns)}
}

func httpClient(conns int) *http.Client {
	return &http.Client{Timeout: 2 * time.Minute,
		Transport: &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute}}
}

// admin calls the admin API.
func (s *server) admin(ctx context.Context, method, path string, in, out any) error {
	return admin.Client{URL: s.url, Token: s.adminToken}.Do(ctx, method, path, in, out)
}

// pids returns the server's process and its children by role: "ackscale",
// "etcd", and "apiserver" (one per cluster), from the pid files the kube
// Manager keeps.
func (s *server) pids() map[string][]int {
	out := kubePids(filepath.Join(s.dataDir, "kube"))
	out["ackscale"] = []int{s.cmd.Process.Pid}
	return out
}

func readPid(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid, err == nil && syscall.Kill(pid, 0) == nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
