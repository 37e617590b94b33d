// Package testserver builds the ackscale binary and runs it as a real
// process on loopback for harnesses that kill and restart it.
package testserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
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
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Binary builds cmd/ackscale once per test process and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			buildErr = fmt.Errorf("find module root: %w", err)
			return
		}
		dir, err := os.MkdirTemp("", "ackscale-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "ackscale")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/ackscale")
		cmd.Dir = strings.TrimSpace(string(root))
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build ackscale: %w\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Server is a running ackscale process.
type Server struct {
	t      testing.TB
	Dir    string
	Addr   string
	Args   []string // extra flags of serve
	Key    string
	Secret string
	Token  string
	cmd    *exec.Cmd
	logs   *os.File
	done   chan struct{}
}

// Start runs ackscale serve with its own data dir and key pair.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	s := &Server{t: t, Dir: t.TempDir(), Args: args, Key: "LTAItestserver", Secret: "testserver-secret", Token: "admin-token-for-tests"}
	s.Addr = freeAddr(t)
	s.start()
	t.Cleanup(s.Kill)
	return s
}

func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (s *Server) start() {
	s.t.Helper()
	args := append([]string{"serve", "--addr", s.Addr, "--data", s.Dir}, s.Args...)
	cmd := exec.Command(Binary(s.t), args...)
	cmd.Env = append(os.Environ(), "ACKSCALE_ACCESS_KEY_ID="+s.Key, "ACKSCALE_ACCESS_KEY_SECRET="+s.Secret,
		"ACKSCALE_ADMIN_TOKEN="+s.Token)
	logs, err := os.OpenFile(filepath.Join(s.Dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stderr = logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd, s.logs, s.done = cmd, logs, make(chan struct{})
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on") {
				close(ready)
			}
		}
		_ = cmd.Wait()
		close(s.done)
	}()
	select {
	case <-ready:
	case <-s.done:
		s.t.Fatalf("ackscale exited at start:\n%s", s.Logs())
	case <-time.After(60 * time.Second):
		s.t.Fatalf("ackscale did not start in 60 s:\n%s", s.Logs())
	}
}

// Kill sends SIGKILL and waits for the process to end.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.logs.Close()
	s.cmd = nil
}

// Stop sends SIGTERM and waits for a graceful exit.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.t.Errorf("ackscale did not stop in 30 s after SIGTERM")
		s.Kill()
		return
	}
	s.logs.Close()
	s.cmd = nil
}

// Restart starts the server again on the same address and data dir.
func (s *Server) Restart() { s.t.Helper(); s.start() }

// Logs returns what the server wrote to stderr so far.
func (s *Server) Logs() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "server.log"))
	return string(b)
}

// Client returns a signing client of the default account.
func (s *Server) Client() *acsclient.Client {
	return &acsclient.Client{BaseURL: "http://" + s.Addr, AccessKeyID: s.Key, Secret: s.Secret,
		HTTP: &http.Client{Timeout: 30 * time.Second}}
}

// Admin calls the admin interface.
func (s *Server) Admin(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.Addr+"/admin/v1/"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("admin %s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
