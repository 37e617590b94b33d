// Package clitest runs the ackscale command-line client, the real binary,
// against a real server (internal/testserver), one test per command. It
// lives apart from package main so its tests build and run on their own.
package clitest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// TestMain removes the binary testserver built once the tests end.
func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// fastArgs are the serve flags of the tests that need no timing: no
// Kubernetes, instant boots.
var fastArgs = []string{"--kube=off", "--boot-latency", "0"}

// cli runs the client binary against one server, with a fresh HOME, config
// file and working directory, and the server's endpoint and keys in the
// environment (as a user who exported them).
type cli struct {
	t   *testing.T
	srv *testserver.Server
	env []string
	dir string
}

func newCLI(t *testing.T, srv *testserver.Server) *cli {
	t.Helper()
	home := t.TempDir()
	env := []string{"HOME=" + home, "ACKSCALE_CONFIG=" + filepath.Join(home, "config.json")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACKSCALE_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	if srv != nil {
		env = append(env, "ACKSCALE_ENDPOINT="+srv.URL, "ACKSCALE_ACCESS_KEY_ID="+srv.AccessKeyID,
			"ACKSCALE_ACCESS_KEY_SECRET="+srv.AccessKeySecret, "ACKSCALE_ADMIN_TOKEN="+srv.AdminToken)
	}
	return &cli{t: t, srv: srv, env: env, dir: t.TempDir()}
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// run runs the binary with args and stdin.
func (c *cli) runIn(stdin string, args ...string) result {
	c.t.Helper()
	cmd := exec.Command(testserver.Binary(c.t), args...)
	cmd.Env, cmd.Dir = c.env, c.dir
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else {
		require.NoError(c.t, err, "run ackscale %v", args)
	}
	return r
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	return c.runIn("", args...)
}

// ok runs args, requires exit status 0 and returns stdout.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	require.Zero(c.t, r.code, "ackscale %v:\nstdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
	return r.stdout
}

// fails runs args, requires a non-zero exit status and returns stderr.
func (c *cli) fails(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	require.NotZero(c.t, r.code, "ackscale %v should fail:\nstdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
	return r.stderr
}

// okJSON runs args with -o json and decodes stdout into v.
func (c *cli) okJSON(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append(args, "-o", "json")...)
	require.NoError(c.t, json.Unmarshal([]byte(out), v), out)
}

// accepted is the answer of an operation that starts a task.
type accepted struct {
	ClusterID  string `json:"cluster_id"`
	NodepoolID string `json:"nodepool_id"`
	TaskID     string `json:"task_id"`
	RequestID  string `json:"request_id"`
}

// createCluster creates a managed cluster and returns its id.
func (c *cli) createCluster(name string, args ...string) string {
	c.t.Helper()
	id := strings.TrimSpace(c.ok(append([]string{"cluster", "create", "-q", "--name", name}, args...)...))
	require.Regexp(c.t, `^c[0-9a-f]+$`, id)
	return id
}

// start starts a server with args (fastArgs when nil).
func start(t *testing.T, args ...string) *testserver.Server {
	t.Helper()
	if args == nil {
		args = fastArgs
	}
	return testserver.Start(t, testserver.Options{Args: args})
}

// progressLine is a plain progress line: the line, then the time.
var progressLine = regexp.MustCompile(`^(task T-[0-9a-f]+ [a-z_]+: .*) \[[0-9.]+(ms|s|m[0-9.]*s)\]$`)

// plainLines returns the progress lines of stderr, without their times,
// and the summary line; it requires every line to be one or the other.
func plainLines(t *testing.T, stderr string) (lines []string, summary string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimRight(stderr, "\n"), "\n") {
		if m := progressLine.FindStringSubmatch(l); m != nil {
			lines = append(lines, m[1])
			continue
		}
		require.Empty(t, summary, "one summary line, then nothing:\n%s", stderr)
		summary = l
	}
	require.NotEmpty(t, lines, stderr)
	for i := 1; i < len(lines); i++ {
		require.NotEqual(t, lines[i-1], lines[i], "a plain line is printed only when something changed:\n%s", stderr)
	}
	return lines, summary
}
