package k8s

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
)

// binDir is where make kube puts the binaries (ACKSCALE_KUBE_BIN overrides).
func binDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ACKSCALE_KUBE_BIN")
	if dir == "" {
		dir, _ = filepath.Abs("../bin")
	}
	if !BinariesPresent(dir) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("kube-apiserver and etcd missing in %s: CI must build them (make kube-cached)", dir)
		}
		t.Skipf("kube-apiserver and etcd missing in %s: run make kube", dir)
	}
	return dir
}

func newManager(t *testing.T, dataDir string) *Manager {
	t.Helper()
	m, err := NewManager(Config{BinDir: binDir(t), DataDir: dataDir, Catalog: catalog.Default(), LeaseInterval: time.Second})
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	return m
}

func cluster(id, runtime string) ackscale.Cluster {
	return ackscale.Cluster{ID: id, Spec: ackscale.ClusterSpec{KubernetesVersion: "1.34.4", RegionID: "cn-hangzhou",
		Runtime: ackscale.Runtime{Name: runtime, Version: "1.6.28"}}}
}

func worker(name, ip, typ string) ackscale.Worker {
	return ackscale.Worker{NodeName: name, IP: ip, InstanceID: "i-" + name[len(name)-4:] + "0000000000000000", RegionID: "cn-hangzhou",
		ZoneID: "cn-hangzhou-h", InstanceType: typ, State: ackscale.NodeRunning, SystemDiskGiB: 120, ClientToken: "tok-" + name,
		Runtime: ackscale.Runtime{Name: "containerd", Version: "1.6.28"}, Labels: map[string]string{"tier": "frontend"},
		Taints: []ackscale.Taint{{Key: "node_type", Value: "prod", Effect: "NoSchedule"}}}
}

// kubectl runs the built kubectl with the cluster's kubeconfig.
func kubectl(t *testing.T, m *Manager, clusterID string, args ...string) []byte {
	t.Helper()
	cfg, err := m.Kubeconfig(clusterID)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, cfg, 0o600))
	out, err := exec.Command(filepath.Join(binDir(t), "kubectl"), append([]string{"--kubeconfig", path}, args...)...).CombinedOutput()
	require.NoError(t, err, string(out))
	return out
}

func nodesByKubectl(t *testing.T, m *Manager, clusterID string) map[string]corev1.Node {
	var list corev1.NodeList
	require.NoError(t, json.Unmarshal(kubectl(t, m, clusterID, "get", "nodes", "-o", "json"), &list))
	out := map[string]corev1.Node{}
	for _, n := range list.Items {
		out[n.Name] = n
	}
	return out
}

func ready(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func TestNodesLifecycle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m := newManager(t, dir)
	c := cluster("ck8stest1", "containerd")
	start := time.Now()
	endpoint, err := m.EnsureCluster(ctx, c)
	require.NoError(t, err)
	t.Logf("api server ready in %s at %s", time.Since(start).Round(time.Millisecond), endpoint)

	std := worker("cn-hangzhou.192.168.16.3", "192.168.16.3", "ecs.c5.xlarge")
	edge := worker("cn-beijing-telecom.10.64.0.3", "10.64.0.3", "ens.sn1.tiny")
	edge.EdgeWorker, edge.RegionID, edge.ZoneID = true, "cn-beijing-telecom", "cn-beijing-telecom"
	sandbox := worker("cn-hangzhou.192.168.16.4", "192.168.16.4", "ecs.ebmg5s.24xlarge")
	sandbox.Runtime = ackscale.Runtime{Name: ackscale.RuntimeSandboxed, Version: "2.2.3"}
	for _, w := range []ackscale.Worker{std, edge, sandbox} {
		require.NoError(t, m.RegisterNode(ctx, c, w))
	}

	nodes := nodesByKubectl(t, m, c.ID)
	require.Len(t, nodes, 3)
	n := nodes[std.NodeName]
	require.True(t, ready(n))
	require.Equal(t, "cn-hangzhou."+std.InstanceID, n.Spec.ProviderID)
	require.Equal(t, "ecs.c5.xlarge", n.Labels["node.kubernetes.io/instance-type"])
	require.Equal(t, "cn-hangzhou-h", n.Labels["topology.kubernetes.io/zone"])
	require.Equal(t, "frontend", n.Labels["tier"])
	require.Equal(t, c.ID, n.Labels[LabelCluster])
	require.Equal(t, []corev1.Taint{{Key: "node_type", Value: "prod", Effect: corev1.TaintEffectNoSchedule}}, n.Spec.Taints)
	capacity := n.Status.Capacity
	require.Equal(t, "4", capacity.Cpu().String())
	require.Equal(t, "8Gi", capacity.Memory().String())
	require.Equal(t, "120Gi", capacity.StorageEphemeral().String())
	require.Equal(t, "110", capacity.Pods().String())
	require.Equal(t, "v1.34.4", n.Status.NodeInfo.KubeletVersion)
	require.Equal(t, "containerd://1.6.28", n.Status.NodeInfo.ContainerRuntimeVersion)
	require.Contains(t, n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "192.168.16.3"})
	require.Equal(t, "true", nodes[edge.NodeName].Labels[LabelEdgeWorker])
	require.Equal(t, ackscale.RuntimeSandboxed, nodes[sandbox.NodeName].Labels[LabelSandboxed])
	sbCapacity := nodes[sandbox.NodeName].Status.Capacity
	require.Equal(t, "96", sbCapacity.Cpu().String())

	// NotReady and back.
	require.NoError(t, m.SetNodeReady(ctx, c.ID, std.NodeName, false))
	require.False(t, ready(nodesByKubectl(t, m, c.ID)[std.NodeName]))
	require.NoError(t, m.SetNodeReady(ctx, c.ID, std.NodeName, true))
	require.True(t, ready(nodesByKubectl(t, m, c.ID)[std.NodeName]))

	// Drain evicts a pod bound to the node, then the Node goes.
	cs, err := m.client(ctx, c.ID)
	require.NoError(t, err)
	_, err = cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{NodeName: std.NodeName, Containers: []corev1.Container{{Name: "c", Image: "nginx"}}}}, metav1.CreateOptions{})
	require.NoError(t, err)
	require.NoError(t, m.RemoveNode(ctx, c.ID, std.NodeName, true))
	_, err = cs.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
	require.Error(t, err, "the pod was evicted")
	require.NotContains(t, nodesByKubectl(t, m, c.ID), std.NodeName)
	require.NoError(t, m.RemoveNode(ctx, c.ID, std.NodeName, true)) // gone already: fine

	// Leases are renewed in one pass per cluster.
	renewed, err := renewAll(ctx, cs)
	require.NoError(t, err)
	require.Equal(t, 2, renewed)

	// The supervisor restarts an API server that dies.
	pid := m.clusters[c.ID].proc.pid()
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	require.Eventually(t, func() bool {
		p := m.clusters[c.ID].proc.pid()
		return p != 0 && p != pid
	}, 30*time.Second, 100*time.Millisecond)
	require.Eventually(t, func() bool {
		_, err := cs.CoreV1().Nodes().Get(ctx, edge.NodeName, metav1.GetOptions{})
		return err == nil
	}, 60*time.Second, 200*time.Millisecond)

	// A second manager on the same data dir is refused while the first runs.
	other, err := NewManager(Config{BinDir: binDir(t), DataDir: dir, Catalog: catalog.Default()})
	require.NoError(t, err)
	require.ErrorContains(t, other.Start(ctx), "in use by another ackscale")

	// A new manager on the same data dir: the Nodes are still there.
	require.NoError(t, m.Close())
	m2 := newManager(t, dir)
	defer m2.Close()
	nodes = nodesByKubectl(t, m2, c.ID)
	require.Len(t, nodes, 2)
	require.True(t, ready(nodes[edge.NodeName]))

	// Deleting the cluster stops it and removes its data.
	require.NoError(t, m2.DeleteCluster(ctx, c.ID))
	_, err = os.Stat(filepath.Join(dir, "kube", "clusters", c.ID))
	require.True(t, os.IsNotExist(err))
}
