package k8s

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
)

func poolWorker(pool string, labels map[string]string, taints []ackscale.Taint, cordon bool) ackscale.Worker {
	w := worker("cn-hangzhou.192.168.16.9", "192.168.16.9", "ecs.c5.xlarge")
	w.NodePoolID, w.Labels, w.Taints, w.Unschedulable = pool, labels, taints, cordon
	return w
}

func wantNode(w ackscale.Worker, ready bool) *corev1.Node {
	it, _ := catalog.Default().InstanceType(w.InstanceType)
	return newNode(cluster("cmeta", "containerd"), w, it, ready, time.Now())
}

// TestReconcileMeta: a second registration sets exactly the pool's labels,
// taints and cordon, and leaves what others set.
func TestReconcileMeta(t *testing.T) {
	t.Parallel()
	noSched := func(k, v string) ackscale.Taint { return ackscale.Taint{Key: k, Value: v, Effect: "NoSchedule"} }
	userTaint := corev1.Taint{Key: "user", Value: "keep", Effect: corev1.TaintEffectNoSchedule}
	for _, tt := range []struct {
		name          string
		first, second ackscale.Worker
		userCordon    bool // cordoned by a user between the two registrations
		same          bool // the second registration changes nothing
		wantLabels    map[string]string
		noLabels      []string
		wantTaints    []string // KEY=VALUE:EFFECT besides the user's
		unschedulable bool
	}{{
		name:       "labels replaced",
		first:      poolWorker("np1", map[string]string{"tier": "web", "old": "x"}, nil, false),
		second:     poolWorker("np1", map[string]string{"tier": "api", "team": "a"}, nil, false),
		wantLabels: map[string]string{"tier": "api", "team": "a", "user": "keep", LabelNodePool: "np1"},
		noLabels:   []string{"old"},
	}, {
		name:       "taints replaced",
		first:      poolWorker("np1", nil, []ackscale.Taint{noSched("a", "1"), noSched("b", "1")}, false),
		second:     poolWorker("np1", nil, []ackscale.Taint{noSched("a", "2")}, false),
		wantTaints: []string{"a=2:NoSchedule"},
	}, {
		name:          "cordon from the pool, then lifted",
		first:         poolWorker("np1", nil, nil, true),
		second:        poolWorker("np1", nil, nil, false),
		unschedulable: false,
	}, {
		name:          "a user's cordon stays",
		first:         poolWorker("np1", nil, nil, false),
		second:        poolWorker("np1", nil, nil, false),
		userCordon:    true,
		same:          true,
		unschedulable: true,
	}, {
		name:          "pool cordons a node the user cordoned: still the user's",
		first:         poolWorker("np1", nil, nil, false),
		second:        poolWorker("np1", nil, nil, true),
		userCordon:    true,
		same:          true,
		unschedulable: true,
	}, {
		name:       "moved to another pool",
		first:      poolWorker("np1", nil, nil, false),
		second:     poolWorker("np2", nil, nil, false),
		wantLabels: map[string]string{LabelNodePool: "np2"},
	}, {
		name:     "out of every pool",
		first:    poolWorker("np1", nil, nil, false),
		second:   poolWorker("", nil, nil, false),
		noLabels: []string{LabelNodePool},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cur := wantNode(tt.first, true)
			cur.Labels["user"] = "keep"
			cur.Spec.Taints = append(cur.Spec.Taints, userTaint)
			if tt.userCordon {
				cur.Spec.Unschedulable = true
			}
			require.Equal(t, !tt.same, reconcileMeta(cur, wantNode(tt.second, true)))
			require.NotContains(t, cur.Annotations, AnnotationCordoned, "a user's cordon is never recorded as ackscale's")
			for k, v := range tt.wantLabels {
				require.Equal(t, v, cur.Labels[k], k)
			}
			require.Equal(t, "keep", cur.Labels["user"])
			for _, k := range tt.noLabels {
				require.NotContains(t, cur.Labels, k)
			}
			var got []string
			for _, ta := range cur.Spec.Taints {
				if ta.Key != "user" && ta.Key != "node_type" {
					got = append(got, ta.Key+"="+ta.Value+":"+string(ta.Effect))
				}
			}
			require.Equal(t, tt.wantTaints, got)
			require.Contains(t, cur.Spec.Taints, userTaint)
			require.Equal(t, tt.unschedulable, cur.Spec.Unschedulable)
			require.False(t, reconcileMeta(cur, wantNode(tt.second, true)), "a third registration changes nothing")
		})
	}
}

// TestReconcileMetaNotReady: NotReady adds the not-ready taints, a second
// NotReady registration keeps when they were added, Ready removes them.
func TestReconcileMetaNotReady(t *testing.T) {
	t.Parallel()
	w := poolWorker("np1", nil, nil, false)
	cur := wantNode(w, true)
	require.Empty(t, cur.Spec.Taints)
	require.True(t, reconcileMeta(cur, wantNode(w, false)))
	require.Equal(t, []string{"node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"},
		ids(cur.Spec.Taints))
	added := cur.Spec.Taints[1].TimeAdded
	require.NotNil(t, added)
	later := newNode(cluster("cmeta", "containerd"), w, catalog.InstanceType{}, false, time.Now().Add(time.Hour))
	require.False(t, reconcileMeta(cur, later), "still NotReady: nothing changes, not even TimeAdded")
	require.Equal(t, added, cur.Spec.Taints[1].TimeAdded)
	require.True(t, reconcileMeta(cur, wantNode(w, true)))
	require.Empty(t, cur.Spec.Taints)
}

func ids(ts []corev1.Taint) []string {
	var out []string
	for _, t := range ts {
		out = append(out, taintID(t))
	}
	return out
}

func TestReconcileTaintsKeepsTimeAdded(t *testing.T) {
	t.Parallel()
	old := &metav1.Time{Time: time.Unix(1000, 0)}
	cur := []corev1.Taint{{Key: "x", Effect: corev1.TaintEffectNoExecute, TimeAdded: old}}
	got := reconcileTaints(cur, []string{"x:NoExecute"}, []corev1.Taint{{Key: "x", Effect: corev1.TaintEffectNoExecute,
		TimeAdded: &metav1.Time{Time: time.Now()}}})
	require.Equal(t, old, got[0].TimeAdded)
}
