package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/dirlock"
	"github.com/ackscale/ackscale/ops"
)

func names(cmds []*cobra.Command) []string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.Name())
	}
	slices.Sort(out)
	return out
}

func TestRootCommands(t *testing.T) {
	t.Parallel()
	root := newRoot()
	require.Subset(t, names(root.Commands()), []string{"account", "admin", "call", "kubeconfig", "serve"})
	for _, tt := range []struct {
		path []string
		want []string
	}{
		{path: []string{"account"}, want: []string{"create"}},
		{path: []string{"admin"}, want: []string{"check", "fault", "instances", "quota", "stock"}},
		{path: []string{"admin", "stock"}, want: []string{"list", "set"}},
		{path: []string{"admin", "quota"}, want: []string{"list", "set"}},
		{path: []string{"admin", "fault"}, want: []string{"add", "clear", "delete", "list"}},
	} {
		cmd, rest, err := root.Find(tt.path)
		require.NoError(t, err, tt.path)
		require.Empty(t, rest)
		require.Equal(t, tt.want, names(cmd.Commands()), tt.path)
	}

	serve, _, err := root.Find([]string{"serve"})
	require.NoError(t, err)
	for flag, def := range map[string]string{"addr": "127.0.0.1:9696", "data": "./ackscale-data", "kube": "auto",
		"boot-latency": "0s", "time-scale": "1", "log-level": "info", "log-format": "auto", "rate-limit": "200", "burst": "400", "catalog": ""} {
		f := serve.Flags().Lookup(flag)
		require.NotNil(t, f, flag)
		require.Equal(t, def, f.DefValue, flag)
	}
}

// execute runs the command line args in-process and returns what the
// command wrote through cobra's output.
func execute(ctx context.Context, args ...string) (string, error) {
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func TestArgs(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"nope"},
		{"call", "GET"},
		{"call", "GET", "/clusters", "{}", "extra"},
		{"kubeconfig"},
		{"account", "create", "extra"},
		{"admin", "fault", "delete"},
		{"admin", "check", "extra"},
		{"serve", "--boot-latency", "soon"},
	} {
		_, err := execute(context.Background(), args...)
		require.Error(t, err, args)
	}
}

func TestAccountCreate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new", "data") // created by the command
	ctx := context.Background()
	var keys []ops.AccountKey
	for range 2 {
		out, err := execute(ctx, "account", "create", "--data", dir)
		require.NoError(t, err)
		require.Equal(t, 1, strings.Count(out, "\n"), out)
		require.True(t, strings.HasSuffix(out, "\n"))
		var fields map[string]string
		require.NoError(t, json.Unmarshal([]byte(out), &fields))
		require.Len(t, fields, 3, out)
		var k ops.AccountKey
		require.NoError(t, json.Unmarshal([]byte(out), &k))
		require.NotEmpty(t, k.AccountID)
		require.NotEmpty(t, k.AccessKeyID)
		require.NotEmpty(t, k.AccessKeySecret)
		keys = append(keys, k)
	}
	require.NotEqual(t, keys[0], keys[1])
	fi, err := os.Stat(dir)
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	a, err := build(ctx, serveConfig{DataDir: dir, Kube: "off", TimeScale: 1}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer a.close()
	for _, k := range keys {
		acct, secret, err := a.stores.Accounts.AccountGetByKey(ctx, k.AccessKeyID)
		require.NoError(t, err)
		require.Equal(t, k.AccountID, acct.ID)
		require.Equal(t, k.AccessKeySecret, secret)
	}
}

func TestAccountCreateBadDir(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err := execute(context.Background(), "account", "create", "--data", filepath.Join(file, "sub"))
	require.ErrorContains(t, err, "data dir")
}

// stdoutCapture collects the lines written to os.Stdout: serve and the
// client commands print there rather than to cobra's output.
type stdoutCapture struct {
	mu    sync.Mutex
	lines []string
	read  int
}

// captureStdout redirects os.Stdout until the test ends. Only a test that
// is not parallel may call it: no other test runs meanwhile.
func captureStdout(t *testing.T) *stdoutCapture {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stdout
	os.Stdout = w
	c := &stdoutCapture{}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			c.mu.Lock()
			c.lines = append(c.lines, sc.Text())
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		os.Stdout = old
		_ = w.Close()
		<-drained
		_ = r.Close()
	})
	return c
}

// next waits for the next line not yet read; it fails the test if none
// comes in time or serve returns first (its error is put back in done for
// whoever waits on it next).
func (c *stdoutCapture) next(t *testing.T, done chan error) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		if c.read < len(c.lines) {
			l := c.lines[c.read]
			c.read++
			c.mu.Unlock()
			return l
		}
		c.mu.Unlock()
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve returned while a line was awaited: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatal("no line on stdout in time")
	return ""
}

// unread returns the lines not read yet, without waiting.
func (c *stdoutCapture) unread() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.lines[c.read:])
	c.read = len(c.lines)
	return out
}

// TestServe runs `serve` in-process on 127.0.0.1:0 and drives it with the
// client commands (call, kubeconfig, admin), which print on stdout. It
// sets the environment and redirects os.Stdout, so it is not parallel.
func TestServe(t *testing.T) {
	t.Setenv("ACKSCALE_ACCESS_KEY_ID", "")
	t.Setenv("ACKSCALE_ACCESS_KEY_SECRET", "")
	t.Setenv("ACKSCALE_ADMIN_TOKEN", "")
	// No endpoint, profile or config file of the machine's user.
	t.Setenv("ACKSCALE_ENDPOINT", "")
	t.Setenv("ACKSCALE_PROFILE", "")
	t.Setenv("ACKSCALE_CONFIG", filepath.Join(t.TempDir(), "config.json"))
	stdout := captureStdout(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, serveConfig{Addr: "127.0.0.1:0", DataDir: dir, Kube: "off", BootLatency: 0, TimeScale: 1,
			LogLevel: "error", RateLimit: 0})
	}()
	stopped := false
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			stopped = true
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not return within 30s of its context ending")
			return nil
		}
	}
	defer func() {
		if !stopped {
			_ = stop()
		}
	}()

	var addr string
	for addr == "" {
		line := stdout.next(t, done)
		addr, _ = strings.CutPrefix(line, "ackscale listening on http://")
		if addr == line {
			require.True(t, strings.HasPrefix(line, "default account "+defaultAccountID+": ACKSCALE_ACCESS_KEY_ID=") ||
				strings.HasPrefix(line, "HTTPS clients trust "+filepath.Join(dir, "tls", "ca.crt")) ||
				strings.HasPrefix(line, "ackscale serves HTTPS on the same port: https://"), line)
			addr = ""
		}
	}
	require.FileExists(t, filepath.Join(dir, "default-key.json"))
	require.FileExists(t, filepath.Join(dir, "admin-token"))

	resp, err := http.Get("http://" + addr + "/clusters")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// run runs a client command against the server; a command that
	// answers prints one line, which it returns.
	run := func(t *testing.T, want bool, args ...string) string {
		t.Helper()
		args = append(args, "--addr", addr, "--data", dir)
		_, err := execute(ctx, args...)
		require.NoError(t, err, args)
		if !want {
			return ""
		}
		return stdout.next(t, done)
	}
	decode := func(t *testing.T, line string, v any) {
		t.Helper()
		require.NoError(t, json.Unmarshal([]byte(line), v), line)
	}

	t.Run("Call", func(t *testing.T) {
		var list []any // DescribeClusters answers a bare array
		decode(t, run(t, true, "call", "GET", "/clusters"), &list)
		require.Empty(t, list)

		var acc acsclient.Accepted
		decode(t, run(t, true, "call", "--wait", "POST", "/clusters",
			`{"name":"cli","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes"}`), &acc)
		require.NotEmpty(t, acc.ClusterID)
		require.Equal(t, "task "+acc.TaskID+": success", stdout.next(t, done))

		decode(t, run(t, true, "call", "--wait", "POST", "/api/v2/clusters/"+acc.ClusterID,
			`{"count":2,"login_password":"Cli@Pass1234","worker_instance_types":["ecs.c5.xlarge"]}`), &acc)
		require.Regexp(t, `^task .*: success$`, stdout.next(t, done))

		_, err := execute(ctx, "kubeconfig", acc.ClusterID, "--addr", addr, "--data", dir)
		require.ErrorContains(t, err, "--kube=off")

		_, err = execute(ctx, "call", "GET", "/clusters", "--addr", addr, "--data", t.TempDir())
		require.ErrorContains(t, err, "no key")
		_, err = execute(ctx, "call", "GET", "/clusters/c-nope", "--addr", addr, "--data", dir)
		require.ErrorContains(t, err, ackscale.CodeClusterNotFound)
	})

	t.Run("Admin", func(t *testing.T) {
		var o ackscale.StockOverride
		decode(t, run(t, true, "admin", "stock", "set", "--zone", "cn-hangzhou-g", "--type", "ecs.c5.xlarge", "--capacity", "5"), &o)
		require.Equal(t, ackscale.StockOverride{ZoneID: "cn-hangzhou-g", InstanceType: "ecs.c5.xlarge", Capacity: 5}, o)
		var stock []ackscale.StockView
		decode(t, run(t, true, "admin", "stock", "list"), &stock)
		require.Contains(t, stock, ackscale.StockView{ZoneID: "cn-hangzhou-g", InstanceType: "ecs.c5.xlarge", Capacity: 5,
			InUse: countIn(t, run(t, true, "admin", "instances"), "cn-hangzhou-g", "ecs.c5.xlarge"), Source: "override"})

		_, err := execute(ctx, "admin", "stock", "set", "--zone", "cn-hangzhou-g", "--type", "ecs.nope", "--addr", addr, "--data", dir)
		require.ErrorContains(t, err, "400")
		require.ErrorContains(t, err, ackscale.CodeInstanceTypeNotFound)

		var q ackscale.QuotaOverride
		decode(t, run(t, true, "admin", "quota", "set", "--name", ackscale.QuotaWorkersPerCluster, "--value", "9"), &q)
		require.Equal(t, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: 9}, q)
		var report ops.QuotaReport
		decode(t, run(t, true, "admin", "quota", "list", "--account", defaultAccountID), &report)
		require.Equal(t, []ackscale.QuotaOverride{q}, report.Overrides)
		require.Equal(t, 9, report.Effective[ackscale.QuotaWorkersPerCluster])

		var f ackscale.Fault
		decode(t, run(t, true, "admin", "fault", "add", "--op", "create", "--code", ackscale.CodeNoStock, "--count", "1"), &f)
		require.NotEmpty(t, f.ID)
		var faults []ackscale.Fault
		decode(t, run(t, true, "admin", "fault", "list"), &faults)
		require.Len(t, faults, 1)
		run(t, false, "admin", "fault", "delete", f.ID)
		decode(t, run(t, true, "admin", "fault", "add", "--op", "start", "--never-running"), &f)
		run(t, false, "admin", "fault", "clear")
		decode(t, run(t, true, "admin", "fault", "list"), &faults)
		require.Empty(t, faults)
		_, err = execute(ctx, "admin", "fault", "add", "--op", "explode", "--code", "X", "--addr", addr, "--data", dir)
		require.ErrorContains(t, err, ackscale.CodeNotInEnum)

		var check ackscale.Check
		decode(t, run(t, true, "admin", "check"), &check)
		require.Equal(t, 2, check.Workers)
		require.Equal(t, 2, check.Live)
		require.Zero(t, check.Leaked)
		require.Zero(t, check.Lost)
		require.Zero(t, check.TasksRunning)
		require.Equal(t, 2, check.TasksSucceeded)

		_, err = execute(ctx, "admin", "check", "--addr", addr, "--data", t.TempDir())
		require.ErrorContains(t, err, "ACKSCALE_ADMIN_TOKEN")
	})

	// One serve per data dir.
	_, err = execute(ctx, "serve", "--addr", "127.0.0.1:0", "--data", dir, "--kube", "off", "--log-level", "error")
	require.ErrorContains(t, err, "in use by another ackscale")

	require.NoError(t, stop(), "a graceful stop")
	require.Empty(t, stdout.unread())
	unlock, err := dirlock.Lock(filepath.Join(dir, "serve.lock"), dir)
	require.NoError(t, err, "serve released the data dir")
	require.NoError(t, unlock())
	_, err = execute(context.Background(), "admin", "check", "--addr", addr, "--data", dir)
	require.ErrorContains(t, err, "admin GET check")
}

// countIn counts the live instances of a zone × type in `admin instances`
// output.
func countIn(t *testing.T, line, zone, instanceType string) int {
	t.Helper()
	var list []ackscale.Instance
	require.NoError(t, json.Unmarshal([]byte(line), &list), line)
	n := 0
	for _, in := range list {
		if in.ZoneID == zone && in.InstanceType == instanceType && in.Status != ackscale.InstanceReleased {
			n++
		}
	}
	return n
}
