package k8s

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

// drainBundle is a fake clientset holding Node "n1" with pods, whose
// eviction reactor deletes the pod unless refuse says to answer 429.
type drainBundle struct {
	ctx     context.Context
	cs      *fake.Clientset
	mu      sync.Mutex
	evicted []string // every eviction asked for, refused or not
	refuse  func(pod string, attempt int) error
}

func setupDrain(t *testing.T, pods ...*corev1.Pod) *drainBundle {
	t.Helper()
	b := &drainBundle{ctx: context.Background(), cs: fake.NewClientset()}
	_, err := b.cs.CoreV1().Nodes().Create(b.ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	for _, p := range pods {
		_, err := b.cs.CoreV1().Pods(p.Namespace).Create(b.ctx, p, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	attempts := map[string]int{}
	b.cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		ev := a.(k8stesting.CreateAction).GetObject().(*policyv1.Eviction)
		b.mu.Lock()
		b.evicted = append(b.evicted, ev.Name)
		attempts[ev.Name]++
		n := attempts[ev.Name]
		b.mu.Unlock()
		if b.refuse != nil {
			if err := b.refuse(ev.Name, n); err != nil {
				return true, nil, err
			}
		}
		return true, nil, b.cs.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), ev.Namespace, ev.Name)
	})
	return b
}

func pod(name, node string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{NodeName: node}}
	for _, f := range mutate {
		f(p)
	}
	return p
}

func ownedByDaemonSet(p *corev1.Pod) {
	p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "logtail-ds", UID: "u1",
		Controller: ptr.To(true)}}
}

func mirror(p *corev1.Pod) { p.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "hash"} }

// pdb429 is the refusal the API server gives while a budget forbids it.
func pdb429(budget string) error {
	err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
	err.ErrStatus.Details.Causes = []metav1.StatusCause{{Type: policyv1.DisruptionBudgetCause,
		Message: fmt.Sprintf("The disruption budget %s needs 1 healthy pods and has 1 currently", budget)}}
	return err
}

func (b *drainBundle) pods(t *testing.T) []string {
	t.Helper()
	list, err := b.cs.CoreV1().Pods("").List(b.ctx, metav1.ListOptions{})
	require.NoError(t, err)
	var out []string
	for _, p := range list.Items {
		out = append(out, p.Name)
	}
	return out
}

// TestDrainSkipsDaemonSetAndMirrorPods: those are not evicted, but go with
// the Node (the pod garbage collector's job), as do pods of other nodes not.
func TestDrainSkipsDaemonSetAndMirrorPods(t *testing.T) {
	t.Parallel()
	b := setupDrain(t, pod("web", "n1"), pod("ds", "n1", ownedByDaemonSet), pod("static", "n1", mirror), pod("other", "n2"))
	require.NoError(t, removeNode(b.ctx, b.cs, "n1", true, time.Second))
	require.Equal(t, []string{"web"}, b.evicted)
	require.Equal(t, []string{"other"}, b.pods(t))
	_, err := b.cs.CoreV1().Nodes().Get(b.ctx, "n1", metav1.GetOptions{})
	require.True(t, apierrors.IsNotFound(err))
}

func TestRemoveWithoutDrainEvictsNothing(t *testing.T) {
	t.Parallel()
	b := setupDrain(t, pod("web", "n1"))
	require.NoError(t, removeNode(b.ctx, b.cs, "n1", false, time.Second))
	require.Empty(t, b.evicted)
	require.Empty(t, b.pods(t), "the pods of a deleted Node are deleted")
	require.NoError(t, removeNode(b.ctx, b.cs, "n1", false, time.Second), "gone already: fine")
}

// TestDrainRetriesBudget: evictions a budget refuses are retried with
// backoff until they pass.
func TestDrainRetriesBudget(t *testing.T) {
	t.Parallel()
	b := setupDrain(t, pod("web", "n1"), pod("db", "n1"))
	b.refuse = func(name string, attempt int) error {
		if name == "web" && attempt <= 3 {
			return pdb429("web-pdb")
		}
		return nil
	}
	start := time.Now()
	require.NoError(t, removeNode(b.ctx, b.cs, "n1", true, 10*time.Second))
	require.ElementsMatch(t, []string{"web", "web", "web", "web", "db"}, b.evicted)
	require.GreaterOrEqual(t, time.Since(start), 700*time.Millisecond, "backoff 100+200+400 ms")
	require.Empty(t, b.pods(t))
}

// TestDrainBudgetTimeout: a budget that never allows the eviction fails the
// removal after the timeout, naming the pod and the budget; the Node stays,
// cordoned.
func TestDrainBudgetTimeout(t *testing.T) {
	t.Parallel()
	b := setupDrain(t, pod("web", "n1"), pod("db", "n1"))
	_, err := b.cs.PolicyV1().PodDisruptionBudgets("default").Create(b.ctx, &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: "web-pdb", Namespace: "default"},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	b.refuse = func(name string, _ int) error {
		if name == "web" {
			return pdb429("web-pdb")
		}
		return nil
	}
	start := time.Now()
	err = removeNode(b.ctx, b.cs, "n1", true, 1500*time.Millisecond)
	require.ErrorContains(t, err, "evict default/web: blocked by PodDisruptionBudget default/web-pdb")
	require.True(t, apierrors.IsTooManyRequests(err), "the API error stays visible: %v", err)
	require.Less(t, time.Since(start), 3*time.Second)
	require.Greater(t, len(b.evicted), 3, "retried")
	require.Equal(t, []string{"web"}, b.pods(t), "db was evicted meanwhile")
	n, err := b.cs.CoreV1().Nodes().Get(b.ctx, "n1", metav1.GetOptions{})
	require.NoError(t, err)
	require.True(t, n.Spec.Unschedulable)
}

// TestDrainBudgetNamedByCause: with no budget to list (the fake refuses on
// its own), the error quotes the refusal's cause.
func TestDrainBudgetNamedByCause(t *testing.T) {
	t.Parallel()
	b := setupDrain(t, pod("web", "n1"))
	b.refuse = func(string, int) error { return pdb429("web-pdb") }
	err := removeNode(b.ctx, b.cs, "n1", true, 300*time.Millisecond)
	require.ErrorContains(t, err, "evict default/web: blocked by PodDisruptionBudget (The disruption budget web-pdb needs")
}

// TestDrainOtherErrorsFailAtOnce: only 429 is retried.
func TestDrainOtherErrorsFailAtOnce(t *testing.T) {
	t.Parallel()
	b := setupDrain(t, pod("web", "n1"))
	b.refuse = func(string, int) error {
		return apierrors.NewForbidden(corev1.Resource("pods"), "web", fmt.Errorf("no"))
	}
	err := removeNode(b.ctx, b.cs, "n1", true, time.Minute)
	require.ErrorContains(t, err, "evict default/web")
	require.True(t, apierrors.IsForbidden(err))
	require.Len(t, b.evicted, 1)
}
