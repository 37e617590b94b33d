package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/testserver"
)

// kubectlNodes reads the cluster's kubeconfig through the Go SDK and lists
// its Nodes with the built kubectl.
func kubectlNodes(t *testing.T, c *sdkClient, bin, clusterID string) map[string]corev1.Node {
	t.Helper()
	path := kubeconfigFile(t, c, clusterID)
	// After a restart the API server may still be starting: the
	// kubeconfig is served at once, kubectl retries as a user would.
	var out []byte
	deadline := time.Now().Add(90 * time.Second)
	for {
		var err error
		out, err = exec.Command(filepath.Join(bin, "kubectl"), "--kubeconfig", path, "get", "nodes", "-o", "json").CombinedOutput()
		if err == nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "kubectl get nodes: %v\n%s", err, out)
		time.Sleep(500 * time.Millisecond)
	}
	return nodesByName(t, out)
}

// kubeconfigFile writes the cluster's kubeconfig, read through the Go SDK,
// to a file of the test's and returns its path.
func kubeconfigFile(t *testing.T, c *sdkClient, clusterID string) string {
	t.Helper()
	resp, err := c.Kubeconfig(clusterID)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(resp.Config), 0o600))
	return path
}

// nodesByName reads kubectl's NodeList (-o json) by Node name.
func nodesByName(t *testing.T, out []byte) map[string]corev1.Node {
	t.Helper()
	var list corev1.NodeList
	require.NoError(t, json.Unmarshal(out, &list))
	nodes := map[string]corev1.Node{}
	for _, n := range list.Items {
		nodes[n.Name] = n
	}
	return nodes
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// TestKubeNodes scales a cluster of each kind out with the Go SDK and
// checks with kubectl that exactly the new workers are Ready Nodes with
// their labels, taints and capacity; then scales each in by one Node,
// restarts ackscale and checks the Nodes are still there.
func TestKubeNodes(t *testing.T) {
	bin := testserver.KubeBin(t)
	srv := startServer(t, testserver.Options{Args: []string{"--kube=on", "--kube-bin", bin}})
	c := sdkClientOf(t, srv)
	type kind struct {
		scaleCase
		labels map[string]string
	}
	var kinds []kind
	for _, sc := range scaleCases {
		k := kind{scaleCase: sc, labels: map[string]string{"node.kubernetes.io/instance-type": sc.instanceType}}
		switch sc.name {
		case "edge/seed001":
			k.labels["alibabacloud.com/is-edge-worker"] = "true"
		case "sandbox/seed004":
			k.labels["alibabacloud.com/sandboxed-container"] = ackscale.RuntimeSandboxed
		case "standard/seed002":
			k.labels["tier"] = "frontend" // seed 002's tag
		case "edge/seed003":
			continue // one edge cluster is enough here
		}
		kinds = append(kinds, k)
	}
	ids := map[string]string{}
	for _, k := range kinds {
		start := time.Now()
		id := c.createCluster(t, k.create)
		t.Logf("%s: cluster with its API server ready in %s", k.name, time.Since(start).Round(time.Millisecond))
		ids[k.name] = id
		resp, err := c.ScaleOut(id, k.scale)
		require.NoError(t, err)
		c.waitTask(t, resp.TaskId)

		nodes := kubectlNodes(t, c, bin, id)
		require.Len(t, nodes, k.count, k.name)
		list, err := c.Nodes(id, "all")
		require.NoError(t, err)
		for _, w := range list.Nodes {
			n, ok := nodes[w.NodeName]
			require.True(t, ok, "worker %s has no Node", w.NodeName)
			require.True(t, nodeReady(n), w.NodeName)
			require.Contains(t, n.Spec.ProviderID, w.InstanceId)
			for key, v := range k.labels {
				require.Equal(t, v, n.Labels[key], "%s label %s", w.NodeName, key)
			}
			require.NotZero(t, n.Status.Capacity.Cpu().Value())
		}
		if k.name == "standard/seed002" {
			for _, n := range nodes {
				require.Contains(t, n.Spec.Taints, corev1.Taint{Key: "node_type", Value: "prod", Effect: corev1.TaintEffectNoSchedule})
			}
		}
	}

	// Scale in every kind: DeleteClusterNodes drains and deletes one Node.
	for _, k := range kinds {
		id := ids[k.name]
		list, err := c.Nodes(id, "all")
		require.NoError(t, err)
		gone := list.Nodes[0].NodeName
		ans, err := c.DeleteNodes(id, fmt.Sprintf(`{"nodes":[%q],"release_node":true,"drain_node":true}`, gone))
		require.NoError(t, err)
		c.waitTask(t, ans.TaskID)
		nodes := kubectlNodes(t, c, bin, id)
		require.Len(t, nodes, k.count-1, k.name)
		require.NotContains(t, nodes, gone)
	}
	std := ids["standard/seed002"]

	// Restart ackscale: every cluster's API server comes back with its Nodes.
	srv = srv.Restart(true)
	c = sdkClientOf(t, srv)
	for _, k := range kinds {
		require.Len(t, kubectlNodes(t, c, bin, ids[k.name]), k.count-1, k.name)
	}

	// DeleteCluster stops its API server.
	del, err := c.DeleteCluster(std)
	require.NoError(t, err)
	c.waitTask(t, del.TaskID)
	_, err = os.Stat(filepath.Join(srv.DataDir, "kube", "clusters", std))
	require.True(t, os.IsNotExist(err))
}

// TestKubeNodeFault: a node fault makes the new Node NotReady; with a
// latency it recovers and the task succeeds; without one the task times
// out and rollback removes the Node.
func TestKubeNodeFault(t *testing.T) {
	bin := testserver.KubeBin(t)
	srv := startServer(t, testserver.Options{Args: []string{"--kube=on", "--kube-bin", bin, "--time-scale", "60"},
		AdminToken: adminToken})
	c := sdkClientOf(t, srv)
	id := c.createCluster(t, fmt.Sprintf(createStandardHangzhou, "node-fault"))

	// Recovers: 60 s of emulated time is one second.
	admin(t, srv, "POST", "faults", ackscale.Fault{Operation: ackscale.FaultNode, Latency: time.Minute, Count: 1}, nil)
	resp, err := c.ScaleOut(id, `{"count":1,"key_pair":"secrity-key","worker_instance_types":["ecs.c5.xlarge"]}`)
	require.NoError(t, err)
	task := c.waitTask(t, resp.TaskId)
	require.Contains(t, task.GetHttpContentString(), "NodeNotReady")
	require.Contains(t, task.GetHttpContentString(), "NodeReady")
	nodes := kubectlNodes(t, c, bin, id)
	require.Len(t, nodes, 1)
	for _, n := range nodes {
		require.True(t, nodeReady(n))
	}

	// Never recovers: the task times out (timeout_mins 1 = 1 s) and rolls back.
	admin(t, srv, "POST", "faults", ackscale.Fault{Operation: ackscale.FaultNode, NeverRunning: true}, nil)
	resp, err = c.ScaleOut(id, `{"count":1,"key_pair":"secrity-key","worker_instance_types":["ecs.c5.xlarge"],"timeout_mins":1,"disable_rollback":false}`)
	require.NoError(t, err)
	state, code := taskEnd(t, c, resp.TaskId)
	require.Equal(t, "failed", state)
	require.Equal(t, ackscale.CodeTaskTimeout, code)
	require.Len(t, kubectlNodes(t, c, bin, id), 1, "the NotReady Node was removed by the rollback")
	require.Len(t, liveInstances(t, srv), 1)
}
