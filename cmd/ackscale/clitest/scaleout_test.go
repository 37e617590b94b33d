package clitest

import (
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

// TestScaleOutPlain: off a terminal, the progress is plain lines, one per
// change (stage, counts), then one summary line; the nodes are listed.
func TestScaleOutPlain(t *testing.T) {
	t.Parallel()
	// Boots of 1.5 s: the task is polled several times in wait_running.
	c := newCLI(t, start(t, "--kube=off", "--boot-latency", "1500ms"))
	id := c.createCluster("plain")

	r := c.run("scale-out", id, "--count", "2")
	require.Zero(t, r.code, r.stderr)
	require.Regexp(t, `(?m)^cluster_id:\s+`+id+`$`, r.stdout)
	require.Regexp(t, `(?m)^task_id:\s+T-[0-9a-f]+$`, r.stdout)
	lines, summary := plainLines(t, r.stderr)
	require.Contains(t, strings.Join(lines, "\n"), "cluster_scaleout: wait_running, 2 requested, 2 created")
	require.Equal(t, "cluster_scaleout: success, 2 requested, 2 created, 2 running, 2 Ready",
		lines[len(lines)-1][strings.Index(lines[len(lines)-1], " cluster_scaleout")+1:])
	require.Regexp(t, `^task T-[0-9a-f]+ \(cluster_scaleout\) succeeded in [0-9.]+m?s; 2 requested, 2 created, 2 running, 2 Ready$`, summary)
	require.LessOrEqual(t, len(lines), 8, "a line per change, not per poll:\n%s", r.stderr)

	out := c.ok("nodes", id)
	require.Regexp(t, `(?m)^NAME\s+INSTANCE\s+TYPE\s+ZONE\s+IP\s+STATE\s+NODE\s+NODEPOOL$`, out)
	require.Len(t, regexp.MustCompile(`(?m)^cn-hangzhou\.\S+\s+i-[0-9a-f]+\s+ecs\.g6\.large\s.*running\s+Ready\s+np`).FindAllString(out, -1), 2, out)
	var nodes []map[string]any
	c.okJSON(&nodes, "nodes", id)
	require.Len(t, nodes, 2)

	// -q prints nothing but an id; --progress none and --no-wait print no progress.
	r = c.run("scale-out", id, "--count", "1", "--progress", "none", "--instance-type", "ecs.c5.xlarge")
	require.Zero(t, r.code, r.stderr)
	require.Empty(t, r.stderr)
	var acc accepted
	c.okJSON(&acc, "scale-out", id, "--count", "1", "--no-wait")
	require.Equal(t, id, acc.ClusterID)
	r = c.run("task", acc.TaskID, "--watch")
	require.Zero(t, r.code, r.stderr)
	_, summary = plainLines(t, r.stderr)
	require.Contains(t, summary, "(cluster_scaleout) succeeded")
	require.Len(t, nodesOf(t, c, id), 4)
}

func nodesOf(t *testing.T, c *cli, id string) []map[string]any {
	t.Helper()
	var nodes []map[string]any
	c.okJSON(&nodes, "nodes", id)
	return nodes
}

// TestScaleOutFailure: a failed task exits 1 after its summary, which
// names the stage and the error; nothing else is printed.
func TestScaleOutFailure(t *testing.T) {
	t.Parallel()
	srv := start(t)
	c := newCLI(t, srv)
	id := c.createCluster("failing")
	c.ok("admin", "fault", "add", "--op", "create", "--code", "OperationDenied.NoStock")

	r := c.run("scale-out", id, "--count", "2")
	require.Equal(t, 1, r.code, r.stderr)
	_, summary := plainLines(t, r.stderr)
	require.Regexp(t, `^task T-[0-9a-f]+ \(cluster_scaleout\) failed after [0-9.]+m?s in create_instances: OperationDenied\.NoStock: `, summary)
	require.NotContains(t, r.stderr, "ackscale:", "the summary says it all")

	// -q: no progress, no summary, the error once.
	r = c.run("nodepool", "create", id, "-q", "--name", "quiet", "--desired-size", "1")
	require.NotEqual(t, 0, r.code)
	require.Regexp(t, `^ackscale: task T-[0-9a-f]+ failed: OperationDenied\.NoStock: .*\n$`, r.stderr)

	// Errors of the request itself, and of the flags.
	require.Contains(t, c.fails("scale-out", id), "--count")
	require.Contains(t, c.fails("scale-out", "c0000", "--count", "1"), "ErrorClusterNotFound")
	require.Contains(t, c.fails("scale-out", id, "--count", "0"), "count")
	require.Contains(t, c.fails("scale-out", id, "--count", "1", "--progress", "loud"), "--progress")
	require.Contains(t, c.fails("task", "T-000000000000000000000000"), "ErrorTaskNotFound")
	require.Contains(t, c.fails("task", "T-000000000000000000000000", "--watch"), "ErrorTaskNotFound")
	require.Contains(t, c.fails("cluster", "list", "-o", "yaml"), "--output")
}

// TestScaleOutBody: --body FILE (and - for stdin) with flags on top.
func TestScaleOutBody(t *testing.T) {
	t.Parallel()
	c := newCLI(t, start(t))
	id := c.createCluster("body")
	body := filepath.Join(c.dir, "scale.json")
	require.NoError(t, os.WriteFile(body, []byte(`{"count":1,"login_password":"Body@Pass1234","worker_instance_types":["ecs.c5.xlarge"]}`), 0o600))
	c.ok("scale-out", id, "--body", body, "--count", "2")
	r := c.runIn(`{"count":1,"key_pair":"ackscale"}`, "scale-out", id, "--body", "-")
	require.Zero(t, r.code, r.stderr)
	types := map[string]int{}
	for _, n := range nodesOf(t, c, id) {
		types[n["instance_type"].(string)]++
	}
	require.Equal(t, map[string]int{"ecs.c5.xlarge": 2, "ecs.g6.large": 1}, types)
	require.Contains(t, c.fails("scale-out", id, "--body", filepath.Join(c.dir, "none.json")), "--body")
	require.NoError(t, os.WriteFile(body, []byte(`[1]`), 0o600))
	require.Contains(t, c.fails("scale-out", id, "--body", body), "JSON object")
}

// TestTask shows a finished task as a table and as the server's JSON.
func TestTask(t *testing.T) {
	t.Parallel()
	c := newCLI(t, start(t))
	id := c.createCluster("tasks")
	var acc accepted
	c.okJSON(&acc, "scale-out", id, "--count", "2")
	out := c.ok("task", acc.TaskID)
	require.Regexp(t, `(?m)^task_id:\s+`+acc.TaskID+`$`, out)
	require.Regexp(t, `(?m)^state:\s+success$`, out)
	require.Regexp(t, `(?m)^STAGE\s+STATE\s+START\s+END\s+MESSAGE$`, out)
	require.Regexp(t, `(?m)^create_instances\s+success\s`, out)
	require.Len(t, regexp.MustCompile(`(?m)^i-[0-9a-f]+\s+success$`).FindAllString(out, -1), 2, out)
	var task map[string]any
	c.okJSON(&task, "task", acc.TaskID)
	require.Equal(t, "cluster_scaleout", task["task_type"])
	// The Go SDK is answered task_result as an object (docs/api.md).
	require.Len(t, task["task_result"].(map[string]any)["task"], 2)
}

// TestCall: the raw signed call, --wait, and its help.
func TestCall(t *testing.T) {
	t.Parallel()
	c := newCLI(t, start(t))
	out := c.ok("call", "POST", "/clusters", `{"name":"called","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes"}`, "--wait")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	var acc accepted
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &acc))
	require.Equal(t, "task "+acc.TaskID+": success", lines[1])

	var list struct {
		Clusters []map[string]any `json:"clusters"`
	}
	require.NoError(t, json.Unmarshal([]byte(c.ok("call", "GET", "/api/v1/clusters?name=called")), &list))
	require.Len(t, list.Clusters, 1)
	require.Contains(t, c.fails("call", "GET", "/clusters/c0000"), "ErrorClusterNotFound")
	require.Contains(t, c.fails("call", "GET", "clusters"), "must start with /")

	help := c.ok("call", "--help")
	for _, op := range []string{"CreateCluster", "ScaleOutCluster", "RemoveNodePoolNodes", "DescribeTaskInfo", "Examples:"} {
		require.Contains(t, help, op)
	}
}

// TestKubeconfig: with --kube=off the server's error; restarted on the
// same data dir with the binaries of make kube, the cluster made while
// Kubernetes was off gets its API server and a Ready Node for each of its
// workers (the README's first scale-out, then `make kube` and a restart),
// and a new cluster gets its own, with a kubeconfig kubectl reads.
func TestKubeconfig(t *testing.T) {
	t.Parallel()
	off := start(t)
	c := newCLI(t, off)
	old := c.createCluster("nokube")
	c.ok("scale-out", old, "--count", "2")
	require.Contains(t, c.fails("kubeconfig", old), "ErrorClusterState")
	off.Stop()

	bin := testserver.KubeBin(t)
	on := testserver.Start(t, testserver.Options{DataDir: off.DataDir, AccessKeyID: off.AccessKeyID,
		AccessKeySecret: off.AccessKeySecret, AdminToken: off.AdminToken,
		Args: []string{"--kube=on", "--kube-bin", bin, "--boot-latency", "0"}})
	k := newCLI(t, on)
	var cfg string
	require.Eventually(t, func() bool {
		r := k.run("kubeconfig", old)
		cfg = r.stdout
		return r.code == 0
	}, 90*time.Second, 500*time.Millisecond, "the cluster made with --kube=off gets an API server")
	require.Len(t, readyNodes(t, k, bin, cfg), 2, "a Node for each worker made while Kubernetes was off")

	id := k.createCluster("kube")
	k.ok("scale-out", id, "--count", "1")
	require.Len(t, readyNodes(t, k, bin, k.ok("kubeconfig", id)), 1)
}

// readyNodes returns the names of the Ready Nodes kubectl lists with the
// kubeconfig cfg (retrying while the API server starts).
func readyNodes(t *testing.T, c *cli, bin, cfg string) []string {
	t.Helper()
	require.Contains(t, cfg, "apiVersion: v1")
	path := filepath.Join(c.dir, "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	var out []byte
	var err error
	for range 20 {
		out, err = exec.Command(filepath.Join(bin, "kubectl"), "--kubeconfig", path, "get", "nodes", "--no-headers").CombinedOutput()
		if err == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	require.NoError(t, err, string(out))
	return regexp.MustCompile(`(?m)^(cn-hangzhou\.\S+)\s+Ready\s`).FindAllString(string(out), -1)
}
