// Package examples holds runnable examples of ackscale's clients, each a
// program or script of its own folder; this test runs every one against a
// real server (internal/testserver), as a user would against
// `go run ./cmd/ackscale serve`.
package examples

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// TestMain removes the binary testserver built once the tests end.
func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// run runs name with args in dir, with the server's endpoint and key (and
// COUNT=2) in the environment, and returns its output; it fails the test
// unless the program exits 0.
func run(t *testing.T, srv *testserver.Server, dir string, extraEnv []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ACKSCALE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "ACKSCALE_ENDPOINT="+srv.URL, "ACKSCALE_ACCESS_KEY_ID="+srv.AccessKeyID,
		"ACKSCALE_ACCESS_KEY_SECRET="+srv.AccessKeySecret, "ACKSCALE_CONFIG="+filepath.Join(t.TempDir(), "config.json"),
		"COUNT=2")
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %v:\n%s", name, args, out)
	return string(out)
}

func TestExamples(t *testing.T) {
	t.Parallel()
	// Instances boot in a second: long enough that terraform-flow, which
	// polls as soon as its scale-out is accepted, sees the cluster scaling
	// (with instant boots the task may end before that first poll).
	srv := testserver.Start(t, testserver.Options{Args: []string{"--kube=off", "--boot-latency", "1s"}})

	t.Run("go-sdk", func(t *testing.T) {
		t.Parallel()
		out := run(t, srv, ".", nil, "go", "run", "./go-sdk")
		require.Contains(t, out, "task T-")
		require.Regexp(t, `(?m)^cn-hangzhou\.\S+ i-[0-9a-f]+ running Ready$`, out)
		require.Contains(t, out, "\n2 nodes\n")
	})
	t.Run("terraform-flow", func(t *testing.T) {
		t.Parallel()
		out := run(t, srv, ".", nil, "go", "run", "./terraform-flow")
		require.Regexp(t, `(?m): scaling, \d+ workers$`, out, "the cluster scales, then runs")
		require.Regexp(t, `(?m)^cluster c[0-9a-f]+ is running with 2 workers$`, out)
		require.NotContains(t, out, "task", "Terraform's flow reads no task")
	})
	t.Run("cli", func(t *testing.T) {
		t.Parallel()
		out := run(t, srv, ".", []string{"ACKSCALE=" + testserver.Binary(t)}, "bash", "cli/scale-out.sh")
		require.Regexp(t, `(?m)^node pool np[0-9a-f]+$`, out)
		require.Regexp(t, `\(cluster_scaleout\) succeeded in .*; 2 requested, 2 created, 2 running, 2 Ready`, out)
		require.Contains(t, out, "(nodepool_scaleout) succeeded")
		require.Contains(t, out, "(cluster_delete) succeeded")
	})
	t.Run("ts", func(t *testing.T) {
		t.Parallel()
		testserver.NodeModules(t, "ts")
		out := run(t, srv, "ts", nil, "npm", "start", "--silent")
		require.Regexp(t, `(?m)^task T-[0-9a-f]+: success`, out)
		require.Regexp(t, `(?m)^cn-hangzhou\.\S+ i-[0-9a-f]+ running Ready$`, out)
		require.Contains(t, out, "\n2 nodes\n")
	})
}
