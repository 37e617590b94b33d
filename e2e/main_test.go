// Package e2e runs the official ACK clients against a real ackscale process
// on loopback: the old Go SDK (alibaba-cloud-sdk-go/services/cs, ROA
// HMAC-SHA1), aliyungo (legacy PUT) and the npm @alicloud/cs20151215
// (ACS3-HMAC-SHA256). TestMain builds the binary once; every test starts its
// own server with startServer.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// binary is the ackscale binary TestMain builds.
var binary string

// logTailLines is how much of a server's output a failed test shows.
const logTailLines = 60

// pollTimeout bounds every wait for the server: start-up and tasks.
const pollTimeout = 30 * time.Second

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "ackscale-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "ackscale")
	args := []string{"build", "-o", binary}
	// ACKSCALE_E2E_RACE=1 builds the server with the race detector too.
	if os.Getenv("ACKSCALE_E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./cmd/ackscale")...)
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/ackscale: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// serverOptions configures startServer. The zero value is a fresh server
// on a free port with a new data dir and key pair.
type serverOptions struct {
	// DataDir is reused when set (to restart a server on its state).
	DataDir string
	// Addr is the listen address; default 127.0.0.1:0 (the server reports
	// the port it got).
	Addr string
	// AccessKeyID and AccessKeySecret are the default account's key; a
	// random pair when empty.
	AccessKeyID, AccessKeySecret string
	// Args are extra flags for `ackscale serve`.
	Args []string
	// Env is extra environment (KEY=value).
	Env []string
}

// server is one running ackscale process.
type server struct {
	t    testing.TB
	opts serverOptions
	cmd  *exec.Cmd
	// Addr is host:port, URL is http://host:port, Port the port alone.
	Addr, URL, Port string
	// AccessKeyID and AccessKeySecret are the default account's key.
	AccessKeyID, AccessKeySecret string
	DataDir                      string

	log  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's error, valid after done
}

// account is a key pair as `ackscale account create` prints it.
type account struct {
	AccountID       string `json:"account_id"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
}

// startServer starts ackscale serve with opts, waits for its "listening"
// line and stops it (SIGKILL) when the test ends. The server's output is
// logged if the test failed.
func startServer(t testing.TB, opts serverOptions) *server {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.AccessKeyID == "" {
		opts.AccessKeyID, opts.AccessKeySecret = newKeyPair(t)
	}
	args := append([]string{"serve", "--addr", opts.Addr, "--data", opts.DataDir, "--kube=off", "--boot-latency", "0"},
		opts.Args...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "ACKSCALE_ACCESS_KEY_ID="+opts.AccessKeyID,
		"ACKSCALE_ACCESS_KEY_SECRET="+opts.AccessKeySecret)
	cmd.Env = append(cmd.Env, opts.Env...)
	s := &server{t: t, opts: opts, cmd: cmd, AccessKeyID: opts.AccessKeyID, AccessKeySecret: opts.AccessKeySecret,
		DataDir: opts.DataDir, log: &syncBuffer{}, done: make(chan struct{})}
	addrc := make(chan string, 1)
	cmd.Stdout = &lineWriter{out: s.log, line: func(line string) {
		if rest, ok := strings.CutPrefix(line, "ackscale listening on http://"); ok {
			select {
			case addrc <- strings.TrimSpace(rest):
			default:
			}
		}
	}}
	cmd.Stderr = s.log
	require.NoError(t, cmd.Start(), "start %s", binary)
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("ackscale serve (data %s), last lines of its output:\n%s", s.DataDir, s.log.Tail(logTailLines))
		}
	})

	select {
	case addr := <-addrc:
		s.Addr, s.URL = addr, "http://"+addr
		s.Port = addr[strings.LastIndex(addr, ":")+1:]
	case <-s.done:
		t.Fatalf("ackscale serve exited before listening: %v\n%s", s.err, s.log.Tail(logTailLines))
	case <-time.After(pollTimeout):
		t.Fatalf("ackscale serve did not print its listening line within %s\n%s", pollTimeout, s.log.Tail(logTailLines))
	}
	return s
}

// Stop sends SIGTERM and waits for a graceful exit.
func (s *server) Stop() {
	s.t.Helper()
	if s.exited() {
		return
	}
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-s.done:
	case <-time.After(pollTimeout):
		s.Kill()
		s.t.Fatalf("ackscale serve did not stop within %s of SIGTERM", pollTimeout)
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (s *server) Kill() {
	if s.exited() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// ExitErr waits for the process to exit and returns Wait's error (nil for
// a clean exit).
func (s *server) ExitErr() error {
	<-s.done
	return s.err
}

func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Restart stops s (SIGKILL if kill, else SIGTERM) and starts a new server
// on the same data dir, key pair and address.
func (s *server) Restart(t testing.TB, kill bool) *server {
	t.Helper()
	if kill {
		s.Kill()
	} else {
		s.Stop()
	}
	opts := s.opts
	opts.Addr = s.Addr
	return startServer(t, opts)
}

// CreateAccount runs `ackscale account create` on the server's data dir.
func (s *server) CreateAccount(t testing.TB) account {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "account", "create", "--data", s.DataDir).Output()
	var stderr []byte
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	require.NoError(t, err, "ackscale account create: %s", stderr)
	var a account
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(out), &a), "account create printed %q", out)
	require.NotEmpty(t, a.AccessKeyID)
	require.NotEmpty(t, a.AccessKeySecret)
	require.NotEqual(t, s.AccessKeyID, a.AccessKeyID)
	return a
}

// newKeyPair returns a random access key id and secret.
func newKeyPair(t testing.TB) (string, string) {
	t.Helper()
	b := make([]byte, 27)
	_, err := rand.Read(b)
	require.NoError(t, err)
	h := hex.EncodeToString(b)
	return "LTAIe2e" + h[:17], h[17:]
}

// poll calls fn until it reports done, failing the test after pollTimeout.
// fn's last error (or the last value it described) is in the failure.
func poll(t testing.TB, what string, fn func() (done bool, status string, err error)) {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	var status string
	var err error
	for time.Now().Before(deadline) {
		var done bool
		done, status, err = fn()
		if done && err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not done within %s; last status %q, last error: %v", what, pollTimeout, status, err)
}

// lineWriter copies what is written to out and calls line for each
// complete line.
type lineWriter struct {
	out     io.Writer
	line    func(string)
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	return w.out.Write(p)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail returns the last n lines.
func (b *syncBuffer) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[%d earlier lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
