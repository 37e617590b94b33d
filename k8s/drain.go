package k8s

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// Backoff between evictions a PodDisruptionBudget refused: doubling from
// evictBackoffMin up to evictBackoffMax, until the drain timeout.
const (
	evictBackoffMin = 100 * time.Millisecond
	evictBackoffMax = 5 * time.Second
)

// RemoveNode cordons the Node, drains it when drain is set, and deletes the
// Node, its Lease and the pods still bound to it (as the pod garbage
// collector does for a Node that is gone). A Node already gone is fine.
//
// Draining evicts every pod but DaemonSet and mirror (static) pods through
// the Eviction API, all at once, retrying those a PodDisruptionBudget
// refuses (429) with backoff for Config.DrainTimeout; then it fails with an
// error naming each pod still blocked and its budget, and leaves the Node
// cordoned.
func (m *Manager) RemoveNode(ctx context.Context, clusterID, nodeName string, drain bool) error {
	cs, err := m.client(ctx, clusterID)
	if err != nil {
		return err
	}
	return removeNode(ctx, cs, nodeName, drain, m.cfg.DrainTimeout)
}

func removeNode(ctx context.Context, cs kubernetes.Interface, nodeName string, drain bool, timeout time.Duration) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := cs.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil || cur.Spec.Unschedulable {
			return err
		}
		cur.Spec.Unschedulable = true
		_, err = cs.CoreV1().Nodes().Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	switch {
	case apierrors.IsNotFound(err): // gone already; still clear what is left of it
	case err != nil:
		return fmt.Errorf("cordon %s: %w", nodeName, err)
	case drain:
		if err := drainNode(ctx, cs, nodeName, timeout); err != nil {
			return err
		}
	}
	if err := cs.CoreV1().Nodes().Delete(ctx, nodeName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete node %s: %w", nodeName, err)
	}
	err = cs.CoordinationV1().Leases(nodeLeaseNamespace).Delete(ctx, nodeName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete lease %s: %w", nodeName, err)
	}
	return deletePods(ctx, cs, nodeName)
}

// podsOn lists the pods bound to the node. The field selector does the work
// on a real API server; the check by name keeps a fake clientset honest.
func podsOn(ctx context.Context, cs kubernetes.Interface, nodeName string) ([]corev1.Pod, error) {
	list, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", nodeName).String()})
	if err != nil {
		return nil, fmt.Errorf("list pods on %s: %w", nodeName, err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.Spec.NodeName == nodeName {
			out = append(out, p)
		}
	}
	return out, nil
}

// drainNode evicts the node's pods that a drain evicts, in parallel.
func drainNode(ctx context.Context, cs kubernetes.Interface, nodeName string, timeout time.Duration) error {
	pods, err := podsOn(ctx, cs, nodeName)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	var (
		g    errgroup.Group
		mu   sync.Mutex
		errs []error
	)
	g.SetLimit(16)
	for i := range pods {
		p := &pods[i]
		if skipDrain(p) {
			continue
		}
		g.Go(func() error {
			if err := evictPod(ctx, cs, p, deadline); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return nil
		})
	}
	_ = g.Wait() // the tasks report through errs
	if len(errs) > 0 {
		return fmt.Errorf("drain %s: %w", nodeName, errors.Join(errs...))
	}
	return nil
}

// skipDrain reports whether a drain leaves the pod alone, as kubectl drain
// --ignore-daemonsets does: DaemonSet pods would come straight back, and a
// mirror pod is the API's view of a static pod the kubelet runs.
func skipDrain(p *corev1.Pod) bool {
	if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return true
	}
	owner := metav1.GetControllerOf(p)
	return owner != nil && owner.Kind == "DaemonSet"
}

// evictPod evicts the pod, retrying while a PodDisruptionBudget refuses
// (429) until deadline. With no kubelet to finish a graceful shutdown, the
// grace period is 0.
func evictPod(ctx context.Context, cs kubernetes.Interface, p *corev1.Pod, deadline time.Time) error {
	ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
		DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}}
	for wait := evictBackoffMin; ; wait = min(2*wait, evictBackoffMax) {
		err := evict(ctx, cs, ev)
		switch {
		case err == nil, apierrors.IsNotFound(err):
			return nil
		case !apierrors.IsTooManyRequests(err):
			return fmt.Errorf("evict %s/%s: %w", p.Namespace, p.Name, err)
		case time.Now().Add(wait).After(deadline):
			return fmt.Errorf("evict %s/%s: blocked by PodDisruptionBudget %s: %w",
				p.Namespace, p.Name, budgetOf(ctx, cs, p, err), err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("evict %s/%s: %w", p.Namespace, p.Name, ctx.Err())
		case <-time.After(wait):
		}
	}
}

// evict posts the eviction once. client-go's own Evict retries a 429 that
// carries Retry-After by itself, up to 10 times: the API server answers
// Retry-After: 10 while a budget's status is not computed yet, which with
// no disruption controller running is forever, so a single Evict would
// hang for minutes. evictPod's loop does the retrying instead. A fake
// clientset has no REST client: its Evict does not retry anyway.
func evict(ctx context.Context, cs kubernetes.Interface, ev *policyv1.Eviction) error {
	rc, ok := cs.PolicyV1().RESTClient().(*rest.RESTClient)
	if !ok || rc == nil {
		return cs.PolicyV1().Evictions(ev.Namespace).Evict(ctx, ev)
	}
	return rc.Post().AbsPath("/api/v1").Namespace(ev.Namespace).Resource("pods").Name(ev.Name).
		SubResource("eviction").Body(ev).MaxRetries(0).Do(ctx).Error()
}

// budgetOf names the PodDisruptionBudgets that select the pod, or, failing
// that, quotes the budget cause of the refusal.
func budgetOf(ctx context.Context, cs kubernetes.Interface, p *corev1.Pod, refusal error) string {
	var names []string
	if pdbs, err := cs.PolicyV1().PodDisruptionBudgets(p.Namespace).List(ctx, metav1.ListOptions{}); err == nil {
		for _, b := range pdbs.Items {
			sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector)
			if err == nil && sel.Matches(labels.Set(p.Labels)) {
				names = append(names, p.Namespace+"/"+b.Name)
			}
		}
	}
	if len(names) > 0 {
		return strings.Join(names, ", ")
	}
	var st apierrors.APIStatus
	if errors.As(refusal, &st) && st.Status().Details != nil {
		for _, c := range st.Status().Details.Causes {
			if c.Type == policyv1.DisruptionBudgetCause {
				return fmt.Sprintf("(%s)", c.Message)
			}
		}
	}
	return "(unknown)"
}

// deletePods deletes, at once, every pod still bound to the node.
func deletePods(ctx context.Context, cs kubernetes.Interface, nodeName string) error {
	pods, err := podsOn(ctx, cs, nodeName)
	if err != nil {
		return err
	}
	for _, p := range pods {
		err := cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete pod %s/%s: %w", p.Namespace, p.Name, err)
		}
	}
	return nil
}
