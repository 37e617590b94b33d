package k8s

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

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
	// The kubeconfig comes before the API server answers (after a
	// restart it is starting): retry while the connection is refused.
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := exec.Command(filepath.Join(binDir(t), "kubectl"), append([]string{"--kubeconfig", path}, args...)...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "connection to the server") || time.Now().After(deadline) {
			require.NoError(t, err, string(out))
			return out
		}
		time.Sleep(200 * time.Millisecond)
	}
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
	requireGCEnv(t, clusterFiles{dir: m.clusterDir(c.ID)}.path("apiserver.pid"))

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

// TestNodePoolsOnAPIServer: a real API server shows the pool's labels,
// taints and cordon on exactly its Nodes, updates them in place, marks a
// NotReady Node as the node lifecycle controller would, and a drain waits
// for a PodDisruptionBudget, then fails naming it.
func TestNodePoolsOnAPIServer(t *testing.T) {
	ctx := context.Background()
	m, err := NewManager(Config{BinDir: binDir(t), DataDir: t.TempDir(), Catalog: catalog.Default(),
		LeaseInterval: time.Hour, DrainTimeout: 2 * time.Second})
	require.NoError(t, err)
	require.NoError(t, m.Start(ctx))
	defer m.Close()
	c := cluster("ck8spool", "containerd")
	_, err = m.EnsureCluster(ctx, c)
	require.NoError(t, err)
	cs, err := m.client(ctx, c.ID)
	require.NoError(t, err)

	a := poolWorker("np1", map[string]string{"tier": "web"}, []ackscale.Taint{{Key: "dedicated", Value: "web", Effect: "NoSchedule"}}, true)
	other := worker("cn-hangzhou.192.168.16.20", "192.168.16.20", "ecs.c5.xlarge")
	other.NodePoolID = "np2"
	for _, w := range []ackscale.Worker{a, other} {
		require.NoError(t, m.RegisterNode(ctx, c, w))
	}
	out := string(kubectl(t, m, c.ID, "get", "nodes", "-l", LabelNodePool+"=np1", "-o", "name"))
	require.Equal(t, "node/"+a.NodeName+"\n", out, "the pool label selects exactly the pool's Nodes")
	n := nodesByKubectl(t, m, c.ID)[a.NodeName]
	require.True(t, n.Spec.Unschedulable)
	require.Equal(t, "web", n.Labels["tier"])
	require.Equal(t, "3920m", n.Status.Allocatable.Cpu().String())
	uid := n.UID

	// A user's label and taint survive a pool change; the pool's own are replaced.
	kubectl(t, m, c.ID, "label", "node", a.NodeName, "user=keep")
	kubectl(t, m, c.ID, "taint", "node", a.NodeName, "user=keep:PreferNoSchedule")
	a.Labels, a.Taints, a.Unschedulable = map[string]string{"team": "a"}, []ackscale.Taint{{Key: "dedicated", Value: "api", Effect: "NoExecute"}}, false
	require.NoError(t, m.UpdateNode(ctx, c, a))
	n = nodesByKubectl(t, m, c.ID)[a.NodeName]
	require.Equal(t, uid, n.UID, "updated, not recreated")
	require.NotContains(t, n.Labels, "tier")
	require.Equal(t, "a", n.Labels["team"])
	require.Equal(t, "keep", n.Labels["user"])
	require.ElementsMatch(t, []corev1.Taint{{Key: "user", Value: "keep", Effect: corev1.TaintEffectPreferNoSchedule},
		{Key: "dedicated", Value: "api", Effect: corev1.TaintEffectNoExecute}}, n.Spec.Taints)
	require.False(t, n.Spec.Unschedulable)
	require.NotContains(t, nodesByKubectl(t, m, c.ID)[other.NodeName].Labels, "team")

	// NotReady: tainted, Lease not renewed; Ready again: untainted, renewed.
	require.NoError(t, m.SetNodeReady(ctx, c.ID, other.NodeName, false))
	n = nodesByKubectl(t, m, c.ID)[other.NodeName]
	require.True(t, hasNotReadyTaints(&n))
	renewed, err := renewAll(ctx, cs)
	require.NoError(t, err)
	require.Equal(t, 1, renewed)
	other.NodeStatus = ackscale.NodeReady
	require.NoError(t, m.RegisterNode(ctx, c, other))
	n = nodesByKubectl(t, m, c.ID)[other.NodeName]
	require.False(t, hasNotReadyTaints(&n))
	require.True(t, ready(n))
	renewed, err = renewAll(ctx, cs)
	require.NoError(t, err)
	require.Equal(t, 2, renewed)

	// Drain: the DaemonSet pod is left to the Node's deletion; the web pod
	// is guarded by a budget. No kubelet runs: the pods are bound by hand,
	// and web is marked Running (the API server lets a Pending pod go
	// whatever its budget says).
	web := pod("web", a.NodeName, func(p *corev1.Pod) { p.Spec.Containers = []corev1.Container{{Name: "c", Image: "nginx"}} })
	ds := pod("ds", a.NodeName, ownedByDaemonSet, func(p *corev1.Pod) { p.Spec.Containers = web.Spec.Containers })
	for _, p := range []*corev1.Pod{web, ds} {
		_, err := cs.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	cur, err := cs.CoreV1().Pods("default").Get(ctx, "web", metav1.GetOptions{})
	require.NoError(t, err)
	cur.Status.Phase = corev1.PodRunning
	_, err = cs.CoreV1().Pods("default").UpdateStatus(ctx, cur, metav1.UpdateOptions{})
	require.NoError(t, err)
	_, err = cs.PolicyV1().PodDisruptionBudgets("default").Create(ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "web-pdb"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	start := time.Now()
	err = m.RemoveNode(ctx, c.ID, a.NodeName, true)
	require.ErrorContains(t, err, "evict default/web: blocked by PodDisruptionBudget default/web-pdb")
	require.True(t, apierrors.IsTooManyRequests(err))
	require.Less(t, time.Since(start), 10*time.Second)
	n = nodesByKubectl(t, m, c.ID)[a.NodeName]
	require.True(t, n.Spec.Unschedulable, "left cordoned")
	_, err = cs.CoreV1().Pods("default").Get(ctx, "ds", metav1.GetOptions{})
	require.NoError(t, err, "the DaemonSet pod was not evicted")

	require.NoError(t, cs.PolicyV1().PodDisruptionBudgets("default").Delete(ctx, "web-pdb", metav1.DeleteOptions{}))
	require.NoError(t, m.RemoveNode(ctx, c.ID, a.NodeName, true))
	pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Empty(t, pods.Items, "web evicted, ds deleted with its Node")
	require.NotContains(t, nodesByKubectl(t, m, c.ID), a.NodeName)
}
