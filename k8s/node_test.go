package k8s

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
)

// nodeBundle is a Manager whose API server is a fake clientset.
type nodeBundle struct {
	ctx context.Context
	m   *Manager
	cs  *fake.Clientset
	c   ackscale.Cluster
}

func setupNodes(t *testing.T) *nodeBundle {
	t.Helper()
	return &nodeBundle{ctx: context.Background(), m: &Manager{cfg: Config{Catalog: catalog.Default()}},
		cs: fake.NewClientset(), c: cluster("cfake", "containerd")}
}

func (b *nodeBundle) node(t *testing.T, name string) *corev1.Node {
	t.Helper()
	n, err := b.cs.CoreV1().Nodes().Get(b.ctx, name, metav1.GetOptions{})
	require.NoError(t, err)
	return n
}

func (b *nodeBundle) lease(t *testing.T, name string) *coordinationv1.Lease {
	t.Helper()
	l, err := b.cs.CoordinationV1().Leases(nodeLeaseNamespace).Get(b.ctx, name, metav1.GetOptions{})
	require.NoError(t, err)
	return l
}

func hasNotReadyTaints(n *corev1.Node) bool {
	var found int
	for _, t := range n.Spec.Taints {
		if t.Key == corev1.TaintNodeNotReady {
			found++
		}
	}
	return found == 2
}

func TestRegisterNodePool(t *testing.T) {
	t.Parallel()
	b := setupNodes(t)
	w := poolWorker("np1", map[string]string{"tier": "web"},
		[]ackscale.Taint{{Key: "dedicated", Value: "web", Effect: "NoSchedule"}}, true)
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, w))
	n := b.node(t, w.NodeName)
	require.Equal(t, "np1", n.Labels[LabelNodePool])
	require.Equal(t, "web", n.Labels["tier"])
	require.Equal(t, []corev1.Taint{{Key: "dedicated", Value: "web", Effect: corev1.TaintEffectNoSchedule}}, n.Spec.Taints)
	require.True(t, n.Spec.Unschedulable)
	require.Equal(t, "3920m", n.Status.Allocatable.Cpu().String(), "4 cores less ACK's 80m (1.28+)")
	require.Equal(t, fmt.Sprint(8192-1465-300)+"Mi", n.Status.Allocatable.Memory().String(),
		"8 GiB less min(11×110+255, 25%) and the 300Mi eviction threshold")

	// A user labels, taints and touches the Node; then the pool changes.
	n.Labels["user"] = "keep"
	n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: "user", Value: "keep", Effect: corev1.TaintEffectNoExecute})
	_, err := b.cs.CoreV1().Nodes().Update(b.ctx, n, metav1.UpdateOptions{})
	require.NoError(t, err)
	conflicts := 0
	b.cs.PrependReactor("update", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() == "" && conflicts < 2 {
			conflicts++
			return true, nil, apierrors.NewConflict(corev1.Resource("nodes"), w.NodeName, fmt.Errorf("modified"))
		}
		return false, nil, nil
	})
	w.Labels = map[string]string{"tier": "api"}
	w.Taints = []ackscale.Taint{{Key: "dedicated", Value: "api", Effect: "NoExecute"}}
	w.Unschedulable = false
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, w))
	require.Equal(t, 2, conflicts, "retried on conflict")
	n = b.node(t, w.NodeName)
	require.Equal(t, "api", n.Labels["tier"])
	require.Equal(t, "keep", n.Labels["user"])
	require.Equal(t, "np1", n.Labels[LabelNodePool])
	require.ElementsMatch(t, []corev1.Taint{{Key: "user", Value: "keep", Effect: corev1.TaintEffectNoExecute},
		{Key: "dedicated", Value: "api", Effect: corev1.TaintEffectNoExecute}}, n.Spec.Taints)
	require.False(t, n.Spec.Unschedulable)
}

// TestRegisterNotReady: a NotReady Node has the not-ready taints and a
// paused Lease the renewer skips; Ready again (by RegisterNode or
// SetNodeReady) lifts both.
func TestRegisterNotReady(t *testing.T) {
	t.Parallel()
	b := setupNodes(t)
	up := poolWorker("np1", nil, nil, false)
	down := worker("cn-hangzhou.192.168.16.10", "192.168.16.10", "ecs.c5.xlarge")
	down.State, down.NodeStatus = ackscale.NodeStarting, ackscale.NodeNotReady
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, up))
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, down))
	n := b.node(t, down.NodeName)
	require.True(t, hasNotReadyTaints(n))
	require.False(t, ready(*n))
	require.Contains(t, n.Spec.Taints, corev1.Taint{Key: "node_type", Value: "prod", Effect: corev1.TaintEffectNoSchedule})
	require.Contains(t, b.lease(t, down.NodeName).Labels, LabelLeasePaused)
	renewedBefore := b.lease(t, down.NodeName).Spec.RenewTime

	renewed, err := renewAll(b.ctx, b.cs)
	require.NoError(t, err)
	require.Equal(t, 1, renewed, "only the Ready Node's Lease")
	require.Equal(t, renewedBefore, b.lease(t, down.NodeName).Spec.RenewTime)

	down.State, down.NodeStatus = ackscale.NodeRunning, ackscale.NodeReady
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, down))
	n = b.node(t, down.NodeName)
	require.False(t, hasNotReadyTaints(n))
	require.True(t, ready(*n))
	require.NotContains(t, b.lease(t, down.NodeName).Labels, LabelLeasePaused)
	renewed, err = renewAll(b.ctx, b.cs)
	require.NoError(t, err)
	require.Equal(t, 2, renewed)

	// SetNodeReady does the same both ways.
	require.NoError(t, setNodeReady(b.ctx, b.cs, up.NodeName, false))
	n = b.node(t, up.NodeName)
	require.True(t, hasNotReadyTaints(n))
	require.False(t, ready(*n))
	require.Contains(t, b.lease(t, up.NodeName).Labels, LabelLeasePaused)
	renewed, err = renewAll(b.ctx, b.cs)
	require.NoError(t, err)
	require.Equal(t, 1, renewed)
	require.NoError(t, setNodeReady(b.ctx, b.cs, up.NodeName, true))
	n = b.node(t, up.NodeName)
	require.Empty(t, n.Spec.Taints)
	require.True(t, ready(*n))
	require.NotContains(t, b.lease(t, up.NodeName).Labels, LabelLeasePaused)
}

// TestReadyTransitionTime: re-registering a Ready Node keeps the time it
// became Ready.
func TestReadyTransitionTime(t *testing.T) {
	t.Parallel()
	b := setupNodes(t)
	w := poolWorker("np1", nil, nil, false)
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, w))
	first := readyOf(b.node(t, w.NodeName)).LastTransitionTime
	time.Sleep(1100 * time.Millisecond) // metav1.Time has seconds
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, w))
	require.Equal(t, first, readyOf(b.node(t, w.NodeName)).LastTransitionTime)
}

func readyOf(n *corev1.Node) corev1.NodeCondition {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c
		}
	}
	return corev1.NodeCondition{}
}

// TestNodeLabels: which ACK labels each kind of worker gets.
func TestNodeLabels(t *testing.T) {
	t.Parallel()
	std, edge := cluster("cstd", "containerd"), cluster("cedge", "containerd")
	edge.Profile = ackscale.ProfileEdge
	ens := worker("cn-beijing-telecom.10.64.0.3", "10.64.0.3", "ens.sn1.tiny")
	ens.EdgeWorker, ens.RegionID, ens.ZoneID, ens.InstanceID = true, "cn-beijing-telecom", "cn-beijing-telecom", "i-ens0001"
	ecs := worker("cn-hangzhou.192.168.16.3", "192.168.16.3", "ecs.c5.xlarge")
	sandbox := ecs
	sandbox.Runtime = ackscale.Runtime{Name: ackscale.RuntimeSandboxed, Version: "2.2.3"}
	for _, tt := range []struct {
		name string
		c    ackscale.Cluster
		w    ackscale.Worker
		want map[string]string
		none []string
	}{
		{"standard", std, ecs, map[string]string{LabelCluster: "cstd", LabelRuntime: "containerd",
			LabelRuntimeVersion: "1.6.28", corev1.LabelTopologyZone: "cn-hangzhou-h", corev1.LabelInstanceTypeStable: "ecs.c5.xlarge",
			corev1.LabelArchStable: "amd64", corev1.LabelOSStable: "linux", "tier": "frontend"},
			[]string{LabelEdgeWorker, LabelENSInstance, LabelSandboxed, LabelNodePool}},
		{"edge cluster, cloud node", edge, ecs, map[string]string{LabelEdgeWorker: "false"}, []string{LabelENSInstance}},
		{"edge cluster, ENS node", edge, ens, map[string]string{LabelEdgeWorker: "true", LabelENSInstance: "i-ens0001",
			corev1.LabelTopologyRegion: "cn-beijing-telecom"}, nil},
		{"sandbox", std, sandbox, map[string]string{LabelSandboxed: ackscale.RuntimeSandboxed, LabelRuntime: ackscale.RuntimeSandboxed}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := nodeLabels(tt.c, tt.w, "amd64")
			for k, v := range tt.want {
				require.Equal(t, v, got[k], k)
			}
			for _, k := range tt.none {
				require.NotContains(t, got, k)
			}
			require.NotContains(t, got, "openyurt.io/is-edge-worker", "no ACK source sets it")
		})
	}
	// The system labels win over a pool label of the same key.
	w := poolWorker("np1", map[string]string{LabelNodePool: "forged", "kubernetes.io/hostname": "x"}, nil, false)
	got := nodeLabels(std, w, "amd64")
	require.Equal(t, "np1", got[LabelNodePool])
	require.Equal(t, w.NodeName, got["kubernetes.io/hostname"])
}

// TestUpdateNode: the pool's new labels, taints and cordon reach the Node in
// place; its Ready state, not-ready taints, status and Lease stay as they
// are; a Node not registered yet is left to its registration.
func TestUpdateNode(t *testing.T) {
	t.Parallel()
	b := setupNodes(t)
	w := poolWorker("np1", map[string]string{"tier": "web"}, []ackscale.Taint{{Key: "dedicated", Value: "web", Effect: "NoSchedule"}}, false)
	w.NodeStatus = ackscale.NodeNotReady
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, w))
	before := b.node(t, w.NodeName)

	conflicts := 0
	b.cs.PrependReactor("update", "nodes", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts == 0 {
			conflicts++
			return true, nil, apierrors.NewConflict(corev1.Resource("nodes"), w.NodeName, fmt.Errorf("modified"))
		}
		return false, nil, nil
	})
	w.NodeStatus = ackscale.NodeReady // a stale record must not change readiness
	w.Labels, w.Taints, w.Unschedulable = map[string]string{"team": "a"}, nil, true
	require.NoError(t, b.m.update(b.ctx, b.cs, b.c, w))
	require.Equal(t, 1, conflicts)
	n := b.node(t, w.NodeName)
	require.Equal(t, "a", n.Labels["team"])
	require.NotContains(t, n.Labels, "tier")
	require.Equal(t, "np1", n.Labels[LabelNodePool])
	require.True(t, n.Spec.Unschedulable)
	require.Equal(t, []string{"node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"}, ids(n.Spec.Taints))
	require.Equal(t, before.Spec.Taints[2], n.Spec.Taints[1], "the NoExecute taint, with when it was added")
	require.Equal(t, before.Status, n.Status)
	require.Contains(t, b.lease(t, w.NodeName).Labels, LabelLeasePaused)

	missing := poolWorker("np1", nil, nil, false)
	missing.NodeName = "cn-hangzhou.192.168.16.99"
	require.NoError(t, b.m.update(b.ctx, b.cs, b.c, missing))
	_, err := b.cs.CoreV1().Nodes().Get(b.ctx, missing.NodeName, metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err), "not created")
}

// actions lists the calls made to the fake API server as "verb resource[/subresource]".
func actions(cs *fake.Clientset) []string {
	var out []string
	for _, a := range cs.Actions() {
		r := a.GetResource().Resource
		if a.GetSubresource() != "" {
			r += "/" + a.GetSubresource()
		}
		out = append(out, a.GetVerb()+" "+r)
	}
	return out
}

// TestRegisterCalls: a new Node takes two calls, the Node created with its
// status and its Lease; a second registration reads before it writes, and
// writes only what changed; a missing lease namespace is made on the way.
func TestRegisterCalls(t *testing.T) {
	t.Parallel()
	b := setupNodes(t)
	w := poolWorker("np1", map[string]string{"tier": "web"}, nil, false)
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, w))
	require.Equal(t, []string{"create nodes", "create leases"}, actions(b.cs))
	n := b.node(t, w.NodeName)
	require.True(t, ready(*n), "created with its status")
	require.Equal(t, "8Gi", n.Status.Capacity.Memory().String())

	b.cs.ClearActions()
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, w))
	require.Equal(t, []string{"create nodes", "get nodes", "update nodes/status", "create leases", "get leases"}, actions(b.cs),
		"nothing to change in the metadata nor the Lease")

	b.cs.ClearActions()
	w.Labels["tier"] = "api"
	w.NodeStatus = ackscale.NodeNotReady
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, w))
	require.Equal(t, []string{"create nodes", "get nodes", "update nodes", "update nodes/status", "create leases", "get leases",
		"update leases"}, actions(b.cs))

	// No kube-node-lease namespace (the API server makes it at start).
	b = setupNodes(t)
	missing := true
	b.cs.PrependReactor("create", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
		if missing {
			return true, nil, apierrors.NewNotFound(corev1.Resource("namespaces"), nodeLeaseNamespace)
		}
		return false, nil, nil
	})
	b.cs.PrependReactor("create", "namespaces", func(k8stesting.Action) (bool, runtime.Object, error) {
		missing = false
		return false, nil, nil
	})
	require.NoError(t, b.m.register(b.ctx, b.cs, b.c, w))
	require.Equal(t, []string{"create nodes", "create leases", "create namespaces", "create leases"}, actions(b.cs))
	require.Contains(t, b.lease(t, w.NodeName).Labels, LabelLeasePaused)
}
