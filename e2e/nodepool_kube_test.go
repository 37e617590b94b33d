package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"

	"github.com/ackscale/ackscale/internal/testserver"
)

// labelNodePool is the label ACK puts on every Node of a pool.
const labelNodePool = "alibabacloud.com/nodepool-id"

// kubectlPoolNodes lists the Nodes labelled with a pool's id, by name.
func kubectlPoolNodes(t *testing.T, bin, kubeconfig, poolID string) map[string]corev1.Node {
	t.Helper()
	out, err := exec.Command(filepath.Join(bin, "kubectl"), "--kubeconfig", kubeconfig, "get", "nodes",
		"-l", labelNodePool+"="+poolID, "-o", "json").CombinedOutput()
	require.NoError(t, err, string(out))
	return nodesByName(t, out)
}

// TestNodePoolsOnKubernetes creates two pools with different labels and
// taints (one unschedulable) and checks with kubectl that the pool label
// selects exactly each pool's Nodes, with its labels, taints and cordon;
// that a Modify with update_nodes brings new labels to the existing Nodes;
// and that deleting a pool deletes its Nodes.
func TestNodePoolsOnKubernetes(t *testing.T) {
	bin := testserver.KubeBin(t)
	srv := startServer(t, testserver.Options{Args: []string{"--kube=on", "--kube-bin", bin}, AdminToken: adminToken})
	c := sdkClientOf(t, srv)
	id := c.createCluster(t, fmt.Sprintf(createStandardHangzhou, "kube-pools"))
	vsws := c.clusterVSwitches(t, id)
	kubeconfig := kubeconfigFile(t, c, id)

	type pool struct {
		name          string
		size          int
		labels        []poolLabel
		taints        []poolTaint
		unschedulable bool
		id            string
	}
	pools := []*pool{
		{name: "web", size: 2, labels: []poolLabel{{"team", "web"}, {"tier", "frontend"}},
			taints: []poolTaint{{"pool", "web", "NoSchedule"}}},
		{name: "batch", size: 1, labels: []poolLabel{{"team", "batch"}},
			taints: []poolTaint{{"pool", "batch", "NoExecute"}, {"gpu", "", "PreferNoSchedule"}}, unschedulable: true},
	}
	var tasks []string
	for _, p := range pools {
		body, err := json.Marshal(map[string]any{
			"nodepool_info": map[string]any{"name": p.name},
			"scaling_group": map[string]any{"desired_size": p.size, "instance_types": []string{"ecs.g6.large"},
				"vswitch_ids": vsws, "key_pair": "secrity-key"},
			"kubernetes_config": map[string]any{"labels": p.labels, "taints": p.taints, "unschedulable": p.unschedulable},
		})
		require.NoError(t, err)
		resp, err := c.CreatePool(id, string(body))
		require.NoError(t, err, "CreateClusterNodePool %s", p.name)
		p.id = resp.NodepoolId
		tasks = append(tasks, answerOf(t, resp.GetHttpContentBytes()).TaskID)
	}
	for _, task := range tasks {
		c.waitTask(t, task)
	}

	// requirePool checks the Nodes the pool label selects: exactly the
	// pool's workers, Ready, with its labels, taints and cordon.
	requirePool := func(p *pool) map[string]corev1.Node {
		t.Helper()
		nodes := kubectlPoolNodes(t, bin, kubeconfig, p.id)
		var names []string
		for _, w := range c.poolNodes(t, id, p.id, p.size) {
			names = append(names, w.NodeName)
		}
		var got []string
		for name, n := range nodes {
			got = append(got, name)
			require.True(t, nodeReady(n), "%s Ready", name)
			require.Equal(t, p.id, n.Labels[labelNodePool])
			for _, l := range p.labels {
				require.Equal(t, l.Value, n.Labels[l.Key], "%s (pool %s) label %s", name, p.name, l.Key)
			}
			for _, tn := range p.taints {
				require.True(t, slices.ContainsFunc(n.Spec.Taints, func(x corev1.Taint) bool {
					return x.Key == tn.Key && x.Value == tn.Value && string(x.Effect) == tn.Effect
				}), "%s (pool %s) has taint %+v: %+v", name, p.name, tn, n.Spec.Taints)
			}
			require.Len(t, n.Spec.Taints, len(p.taints), "%s (pool %s) has its pool's taints only: %+v", name, p.name, n.Spec.Taints)
			require.Equal(t, p.unschedulable, n.Spec.Unschedulable, "%s (pool %s) unschedulable", name, p.name)
		}
		require.ElementsMatch(t, names, got, "the pool label selects exactly pool %s's Nodes", p.name)
		return nodes
	}
	web := requirePool(pools[0])
	requirePool(pools[1])
	for name, n := range web {
		_, has := n.Labels["tier"]
		require.True(t, has, name)
	}
	require.Len(t, kubectlNodes(t, c, bin, id), 3, "no Node outside the two pools")

	// Modify web's labels with update_nodes: its existing Nodes take them
	// (a label the pool no longer has is gone), batch's are untouched.
	md, err := c.ModifyPool(id, pools[0].id, `{"kubernetes_config":{"labels":[{"key":"team","value":"web2"},{"key":"env","value":"prod"}]},"update_nodes":true}`)
	require.NoError(t, err)
	c.waitTask(t, md.TaskId)
	pools[0].labels = []poolLabel{{"team", "web2"}, {"env", "prod"}}
	after := requirePool(pools[0])
	require.ElementsMatch(t, keysOf(web), keysOf(after), "the same Nodes, updated in place")
	for name, n := range after {
		_, has := n.Labels["tier"]
		require.False(t, has, "%s lost the label its pool dropped", name)
	}
	requirePool(pools[1])

	// A new taint value and the cordon reach the Nodes too, and the cordon
	// is lifted again.
	md, err = c.ModifyPool(id, pools[0].id, `{"kubernetes_config":{"taints":[{"key":"pool","value":"web2","effect":"NoSchedule"}],"unschedulable":true},"update_nodes":true}`)
	require.NoError(t, err)
	c.waitTask(t, md.TaskId)
	pools[0].taints, pools[0].unschedulable = []poolTaint{{"pool", "web2", "NoSchedule"}}, true
	requirePool(pools[0])
	md, err = c.ModifyPool(id, pools[0].id, `{"kubernetes_config":{"unschedulable":false},"update_nodes":true}`)
	require.NoError(t, err)
	c.waitTask(t, md.TaskId)
	pools[0].unschedulable = false
	after = requirePool(pools[0])

	// Without update_nodes the existing Nodes keep their labels; a Node
	// added afterwards has the new ones.
	md, err = c.ModifyPool(id, pools[0].id, `{"kubernetes_config":{"labels":[{"key":"team","value":"web3"}]}}`)
	require.NoError(t, err)
	c.waitTask(t, md.TaskId)
	sc, err := c.ScalePool(id, pools[0].id, 1)
	require.NoError(t, err)
	c.waitTask(t, sc.TaskId)
	pools[0].size++
	grown := kubectlPoolNodes(t, bin, kubeconfig, pools[0].id)
	require.Len(t, grown, 3)
	for name, n := range grown {
		want := map[string]string{"team": "web2", "env": "prod"}
		if _, old := after[name]; !old {
			want = map[string]string{"team": "web3"}
		}
		for k, v := range want {
			require.Equal(t, v, n.Labels[k], "%s label %s (existing Node: %v)", name, k, want["env"] != "")
		}
		if want["env"] == "" {
			_, has := n.Labels["env"]
			require.False(t, has, "the new Node %s has the pool's labels as they are now", name)
		}
	}
	after = grown

	// Deleting batch deletes its Node.
	del, err := c.DeletePool(id, pools[1].id, true)
	require.NoError(t, err)
	c.waitTask(t, del.TaskID)
	require.Empty(t, kubectlPoolNodes(t, bin, kubeconfig, pools[1].id))
	all := kubectlNodes(t, c, bin, id)
	require.ElementsMatch(t, keysOf(after), keysOf(all), "only web's Nodes are left")
}

func keysOf(m map[string]corev1.Node) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
