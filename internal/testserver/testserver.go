// Package testserver builds the ackscale binary and runs `ackscale serve` as
// a real process on loopback: the one harness of the tests that drive,
// kill and restart the server (e2e, crash, soak, leak, hostile, badinput).
//
// A server listens on 127.0.0.1:0 unless told otherwise and reports the
// port it got on stdout; Start reads it from there, so no port is ever
// picked before the server binds it.
package testserver

import (
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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver/admin"
)

const (
	// startTimeout bounds the wait for the listening line.
	startTimeout = 60 * time.Second
	// stopTimeout bounds the wait for a graceful exit after SIGTERM.
	stopTimeout = 30 * time.Second
	// waitDelay bounds how long Wait copies output after the process has
	// exited (a child holding the pipes must not hang the test).
	waitDelay = 10 * time.Second
	// failureTailLines is how much output a failed test shows.
	failureTailLines = 60
	// listeningPrefix starts the line serve prints once it listens.
	listeningPrefix = "ackscale listening on http://"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// Binary builds cmd/ackscale once per test process (with -race when
// ACKSCALE_E2E_RACE=1) and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		if binDir, err = os.MkdirTemp("", "ackscale-bin-"); err != nil {
			buildErr = err
			return
		}
		path := filepath.Join(binDir, "ackscale")
		args := []string{"build", "-o", path}
		if os.Getenv("ACKSCALE_E2E_RACE") == "1" {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/ackscale")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/ackscale: %w\n%s", err, out)
			return
		}
		binPath = path
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Main runs a package's tests and then removes the binary Binary built.
// Use it as the package's TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	buildOnce.Do(func() {}) // orders the read of binDir after any build
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	return code
}

// Options configures Start. The zero value is a fresh server on
// 127.0.0.1:0 with a new data dir, a random key pair and a random admin
// token.
type Options struct {
	// DataDir is reused when set (to start a server on existing state).
	DataDir string
	// Addr is the listen address; default 127.0.0.1:0 (the server reports
	// the port it got).
	Addr string
	// AccessKeyID and AccessKeySecret are the default account's key; a
	// random pair when AccessKeyID is empty.
	AccessKeyID, AccessKeySecret string
	// AdminToken is the admin interface's bearer token; random when empty.
	AdminToken string
	// Args are extra flags for `ackscale serve`.
	Args []string
	// Env is extra environment (KEY=value).
	Env []string
}

// Server is one running (or ended) ackscale serve process.
type Server struct {
	// Addr is host:port, URL is http://host:port and Port the port alone,
	// as the server reported them.
	Addr, URL, Port string
	// DataDir is the server's data directory.
	DataDir string
	// AccessKeyID and AccessKeySecret are the default account's key.
	AccessKeyID, AccessKeySecret string
	// AdminToken is the admin interface's bearer token.
	AdminToken string

	t    testing.TB
	opts Options
	cmd  *exec.Cmd
	out  *Output       // shared with the servers Restart starts
	done chan struct{} // closed when the process has exited
	err  error         // Wait's error, valid after done
}

// Account is a key pair as `ackscale account create` prints it.
type Account struct {
	AccountID       string `json:"account_id"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
}

// Start runs `ackscale serve` with opts, waits for its listening line and
// kills it (SIGKILL) when the test ends. If the test failed, the last lines
// of the server's output are logged.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.AccessKeyID == "" {
		id := randomHex(t, 27)
		opts.AccessKeyID, opts.AccessKeySecret = "LTAItest"+id[:16], id[16:]
	}
	if opts.AdminToken == "" {
		opts.AdminToken = randomHex(t, 16)
	}
	opts = withPostgres(t, opts)
	out := &Output{}
	t.Cleanup(func() {
		if t.Failed() && out.String() != "" {
			t.Logf("ackscale serve (data %s), last lines of its output:\n%s", opts.DataDir, out.Tail(failureTailLines))
		}
	})
	return start(t, opts, out)
}

// start runs one process; its output goes to out.
func start(t testing.TB, opts Options, out *Output) *Server {
	t.Helper()
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	args := append([]string{"serve", "--addr", opts.Addr, "--data", opts.DataDir}, opts.Args...)
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = append(os.Environ(), "ACKSCALE_ACCESS_KEY_ID="+opts.AccessKeyID,
		"ACKSCALE_ACCESS_KEY_SECRET="+opts.AccessKeySecret, "ACKSCALE_ADMIN_TOKEN="+opts.AdminToken)
	cmd.Env = append(cmd.Env, opts.Env...)
	cmd.WaitDelay = waitDelay
	s := &Server{DataDir: opts.DataDir, AccessKeyID: opts.AccessKeyID, AccessKeySecret: opts.AccessKeySecret,
		AdminToken: opts.AdminToken, t: t, opts: opts, cmd: cmd, out: out, done: make(chan struct{})}
	addrc := make(chan string, 1)
	cmd.Stdout = &lineWriter{out: out, line: func(line string) {
		if rest, ok := strings.CutPrefix(line, listeningPrefix); ok {
			select {
			case addrc <- strings.TrimSpace(rest):
			default:
			}
		}
	}}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(s.Kill)

	select {
	case addr := <-addrc:
		s.Addr, s.URL = addr, "http://"+addr
		s.Port = addr[strings.LastIndex(addr, ":")+1:]
	case <-s.done:
		t.Fatalf("ackscale serve exited before listening: %v\n%s", s.err, out.Tail(failureTailLines))
	case <-time.After(startTimeout):
		t.Fatalf("ackscale serve did not print its listening line within %s\n%s", startTimeout, out.Tail(failureTailLines))
	}
	return s
}

// Stop sends SIGTERM and waits for a graceful exit; after stopTimeout it
// kills the process and fails the test.
func (s *Server) Stop() {
	s.t.Helper()
	if s.exited() {
		return
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Fatalf("SIGTERM ackscale serve: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		s.Kill()
		s.t.Fatalf("ackscale serve did not stop within %s of SIGTERM", stopTimeout)
	}
}

// Kill sends SIGKILL and waits for the process to exit.
func (s *Server) Kill() {
	if s.exited() {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// ExitErr waits for the process to exit and returns Wait's error (nil for
// a clean exit).
func (s *Server) ExitErr() error {
	<-s.done
	return s.err
}

func (s *Server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Restart ends s (SIGKILL if kill, else SIGTERM) and returns a new server
// on the same address, data dir, key pair, admin token, flags and
// environment. The two share their output: Logs of either has both.
func (s *Server) Restart(kill bool) *Server {
	s.t.Helper()
	if kill {
		s.Kill()
	} else {
		s.Stop()
	}
	opts := s.opts
	opts.Addr = s.Addr
	return start(s.t, opts, s.out)
}

// Logs returns everything the server (and the servers it was restarted
// as, or from) wrote to stdout and stderr so far.
func (s *Server) Logs() string { return s.out.String() }

// Tail returns the last n lines of Logs.
func (s *Server) Tail(n int) string { return s.out.Tail(n) }

// Client returns a signing client of the default account.
func (s *Server) Client() *acsclient.Client {
	return &acsclient.Client{BaseURL: s.URL, AccessKeyID: s.AccessKeyID, Secret: s.AccessKeySecret,
		HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Admin calls the admin interface: method on /admin/v1/path with in as
// the JSON body (none when nil), decoding the answer into out (when not
// nil). A status of 300 or more is an error.
func (s *Server) Admin(ctx context.Context, method, path string, in, out any) error {
	return admin.Client{URL: s.URL, Token: s.AdminToken}.Do(ctx, method, path, in, out)
}

// CreateAccount runs `ackscale account create` on the server's data dir
// and returns the new account, failing t unless it has a key of its own.
func (s *Server) CreateAccount(t testing.TB) Account {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	args := append([]string{"account", "create", "--data", s.DataDir}, s.databaseArgs()...)
	cmd := exec.CommandContext(ctx, Binary(t), args...)
	cmd.Env = append(os.Environ(), s.opts.Env...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("ackscale account create: %v: %s", err, stderr)
	}
	var a Account
	if err := json.Unmarshal(bytes.TrimSpace(out), &a); err != nil {
		t.Fatalf("ackscale account create printed %q: %v", out, err)
	}
	if a.AccessKeyID == "" || a.AccessKeySecret == "" || a.AccessKeyID == s.AccessKeyID {
		t.Fatalf("ackscale account create printed %q: want a new key id and a secret", out)
	}
	return a
}

// randomHex returns n random bytes in hex.
func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
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

// Output is a log buffer safe for concurrent writes and reads: a server's
// combined output, or a logger's in an in-process test.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Tail returns the last n lines, after a count of the earlier ones.
func (o *Output) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(o.String(), "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("[%d earlier lines]", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
