package clitest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCluster: create (-q, --body, --kind, --no-wait), list, describe and
// delete, in both output formats.
func TestCluster(t *testing.T) {
	t.Parallel()
	c := newCLI(t, start(t))

	id := c.createCluster("demo")
	out := c.ok("cluster", "list")
	require.Regexp(t, `(?m)^ID\s+NAME\s+TYPE\s+PROFILE\s+REGION\s+STATE\s+SIZE\s+VERSION$`, out)
	require.Regexp(t, `(?m)^`+id+`\s+demo\s+ManagedKubernetes\s+Default\s+cn-hangzhou\s+running\s+0\s`, out)

	var list []map[string]any
	c.okJSON(&list, "cluster", "list", "--name", "demo")
	require.Len(t, list, 1)
	require.Equal(t, id, list[0]["cluster_id"])

	out = c.ok("cluster", "describe", id)
	require.Regexp(t, `(?m)^cluster_id:\s+`+id+`$`, out)
	require.Regexp(t, `(?m)^state:\s+running$`, out)
	var detail map[string]any
	c.okJSON(&detail, "cluster", "describe", id)
	require.Equal(t, "demo", detail["name"])

	// A name taken: the server's code and message, exit status 1.
	stderr := c.fails("cluster", "create", "--name", "demo")
	require.Contains(t, stderr, "ErrorClusterNameAlreadyExist")
	require.Contains(t, c.fails("cluster", "create"), "--name")
	require.Contains(t, c.fails("cluster", "create", "--name", "x", "--kind", "nope"), "--kind")
	require.Contains(t, c.fails("cluster", "describe", "c0000"), "ErrorClusterNotFound")

	// --body with a flag on top, --kind edge, --no-wait -o json.
	body := filepath.Join(c.dir, "create.json")
	require.NoError(t, os.WriteFile(body, []byte(`{"name":"from-body","region_id":"cn-beijing"}`), 0o600))
	var acc accepted
	c.okJSON(&acc, "cluster", "create", "--body", body, "--kind", "edge", "--no-wait")
	require.NotEmpty(t, acc.TaskID)
	c.ok("task", acc.TaskID, "--watch")
	c.okJSON(&detail, "cluster", "describe", acc.ClusterID)
	require.Equal(t, "Edge", detail["profile"])
	require.Equal(t, "cn-beijing", detail["region_id"])

	// Delete waits for its task; the cluster is gone from the list.
	r := c.run("cluster", "delete", id)
	require.Zero(t, r.code, r.stderr)
	require.Regexp(t, `(?m)^task_id:\s+T-`, r.stdout)
	_, summary := plainLines(t, r.stderr)
	require.Regexp(t, `^task T-[0-9a-f]+ \(cluster_delete\) succeeded in `, summary)
	require.NotContains(t, c.ok("cluster", "list"), id)
}

// TestDedicatedAndLegacyScale: a dedicated cluster made with workers,
// scaled out and in with the legacy PUT (`scale`), the key pair looked up.
func TestDedicatedAndLegacyScale(t *testing.T) {
	t.Parallel()
	c := newCLI(t, start(t))
	id := c.createCluster("legacy", "--kind", "dedicated", "--key-pair", "ackscale", "--nodes", "1",
		"--instance-type", "ecs.g6.large")

	r := c.run("scale", id, "--nodes", "3")
	require.Zero(t, r.code, r.stderr)
	_, summary := plainLines(t, r.stderr)
	require.Contains(t, summary, "(cluster_scaleout) succeeded")
	require.Contains(t, summary, "2 requested, 2 created, 2 running, 2 Ready")

	r = c.run("scale", id, "--nodes", "1", "--key-pair", "ackscale")
	require.Zero(t, r.code, r.stderr)
	_, summary = plainLines(t, r.stderr)
	require.Contains(t, summary, "(cluster_scalein) succeeded")
	require.Contains(t, summary, "2 to remove, 2 removed")
	require.Len(t, strings.Split(strings.TrimSpace(c.ok("nodes", id)), "\n"), 2, "a header and one node")

	pw := c.createCluster("legacy-pw", "--kind", "dedicated", "--login-password", "Hello1234")
	require.Contains(t, c.fails("scale", pw, "--nodes", "1"), "--login-password")
	require.Contains(t, c.fails("scale", pw), "--nodes")
	require.Contains(t, c.fails("scale", pw, "--nodes", "1", "--login-password", "Wrong1234"), "PasswordMismatch")
}
