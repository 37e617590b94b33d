package clitest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNodepool: every nodepool command, each waiting for its task.
func TestNodepool(t *testing.T) {
	t.Parallel()
	c := newCLI(t, start(t))
	id := c.createCluster("pools")

	r := c.run("nodepool", "create", id, "-q", "--name", "web", "--desired-size", "2", "--label", "team=web",
		"--taint", "dedicated=web:NoSchedule")
	require.Zero(t, r.code, r.stderr)
	require.Empty(t, r.stderr, "-q shows no progress")
	np := strings.TrimSpace(r.stdout)
	require.Regexp(t, `^np[0-9a-f]+$`, np)

	out := c.ok("nodepool", "list", id)
	require.Regexp(t, `(?m)^ID\s+NAME\s+DEFAULT\s+STATE\s+DESIRED\s+TOTAL\s+HEALTHY\s+TYPES$`, out)
	require.Regexp(t, `(?m)^np[0-9a-f]+\s+default-nodepool\s+true\s+active\s`, out)
	require.Regexp(t, `(?m)^`+np+`\s+web\s+false\s+active\s+2\s+2\s+2\s+ecs\.g6\.large$`, out)
	var pools []map[string]any
	c.okJSON(&pools, "nodepool", "list", id)
	require.Len(t, pools, 2)

	out = c.ok("nodepool", "describe", id, np)
	require.Regexp(t, `(?m)^healthy_nodes:\s+2$`, out)
	var pool struct {
		KubernetesConfig struct {
			Labels []map[string]string `json:"labels"`
			Taints []map[string]string `json:"taints"`
		} `json:"kubernetes_config"`
	}
	c.okJSON(&pool, "nodepool", "describe", id, np)
	require.Equal(t, []map[string]string{{"key": "team", "value": "web"}}, pool.KubernetesConfig.Labels)
	require.Equal(t, "NoSchedule", pool.KubernetesConfig.Taints[0]["effect"])

	r = c.run("nodepool", "scale", id, np, "--count", "1")
	require.Zero(t, r.code, r.stderr)
	_, summary := plainLines(t, r.stderr)
	require.Contains(t, summary, "(nodepool_scaleout) succeeded")
	require.Contains(t, summary, "1 requested, 1 created, 1 running, 1 Ready")

	r = c.run("nodepool", "modify", id, np, "--desired-size", "4", "--label", "team=api", "--update-nodes")
	require.Zero(t, r.code, r.stderr)
	require.Regexp(t, `(?m)^nodepool_id:\s+`+np+`$`, r.stdout)
	require.Len(t, poolNodes(t, c, id, np), 4)
	require.Contains(t, c.fails("nodepool", "modify", id, np), "nothing to change")

	nodes := poolNodes(t, c, id, np)
	r = c.run("nodepool", "remove-nodes", id, np, nodes[0]["instance_id"].(string), nodes[1]["node_name"].(string),
		"--release-node")
	require.Zero(t, r.code, r.stderr)
	_, summary = plainLines(t, r.stderr)
	require.Contains(t, summary, "(nodepool_remove_nodes) succeeded")
	require.Len(t, poolNodes(t, c, id, np), 2)

	require.Contains(t, c.fails("nodepool", "delete", id, np), "ErrorNodePoolState")
	r = c.run("nodepool", "delete", id, np, "--force")
	require.Zero(t, r.code, r.stderr)
	require.Contains(t, r.stderr, "(nodepool_delete) succeeded")
	require.Contains(t, c.fails("nodepool", "describe", id, np), "ErrorNodePoolNotFound")
	require.Contains(t, c.fails("nodepool", "create", id), "--name")
	require.Contains(t, c.fails("nodepool", "scale", id, np), "--count")
	require.Contains(t, c.fails("nodepool", "create", id, "--name", "x", "--label", "novalue"), "KEY=VALUE")
	require.Contains(t, c.fails("nodepool", "create", id, "--name", "x", "--taint", "k=v"), "EFFECT")
}

func poolNodes(t *testing.T, c *cli, id, np string) []map[string]any {
	t.Helper()
	var nodes []map[string]any
	c.okJSON(&nodes, "nodes", id, "--nodepool", np)
	return nodes
}
