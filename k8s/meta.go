package k8s

import (
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// reconcileMeta gives cur (the Node in the API server) the labels, taints,
// cordon and provider ID of want (newNode), as a re-registering kubelet and
// ACK's node pool sync would: it removes the labels and taints ackscale set
// before (the managed lists in cur's annotations) that want no longer has,
// and leaves alone every label, taint and cordon set by someone else. It
// reports whether cur changed.
func reconcileMeta(cur, want *corev1.Node) bool {
	before := cur.DeepCopy()
	if cur.Labels == nil {
		cur.Labels = map[string]string{}
	}
	if cur.Annotations == nil {
		cur.Annotations = map[string]string{}
	}
	for _, k := range splitList(cur.Annotations[AnnotationManagedLabels]) {
		if _, keep := want.Labels[k]; !keep {
			delete(cur.Labels, k)
		}
	}
	maps.Copy(cur.Labels, want.Labels)
	cur.Spec.Taints = reconcileTaints(cur.Spec.Taints, splitList(cur.Annotations[AnnotationManagedTaints]), want.Spec.Taints)
	// The cordon is ackscale's to lift only if ackscale set it.
	cordoned := cur.Annotations[AnnotationCordoned] == "true"
	switch {
	case want.Spec.Unschedulable && !cur.Spec.Unschedulable:
		cur.Spec.Unschedulable, cordoned = true, true
	case !want.Spec.Unschedulable && cordoned:
		cur.Spec.Unschedulable, cordoned = false, false
	}
	maps.Copy(cur.Annotations, want.Annotations)
	delete(cur.Annotations, AnnotationCordoned)
	if cordoned {
		cur.Annotations[AnnotationCordoned] = "true"
	}
	cur.Spec.ProviderID = want.Spec.ProviderID
	return !maps.Equal(before.Labels, cur.Labels) || !maps.Equal(before.Annotations, cur.Annotations) ||
		!taintsEqual(before.Spec.Taints, cur.Spec.Taints) || before.Spec.Unschedulable != cur.Spec.Unschedulable ||
		before.Spec.ProviderID != cur.Spec.ProviderID
}

// reconcileTaints returns cur without the taints ackscale manages (those
// listed in managed as KEY:EFFECT, those want has, and the not-ready ones),
// followed by want. A taint kept unchanged keeps the time it was added.
func reconcileTaints(cur []corev1.Taint, managed []string, want []corev1.Taint) []corev1.Taint {
	drop := map[string]bool{
		taintID(corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule}): true,
		taintID(corev1.Taint{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute}):  true,
	}
	for _, id := range managed {
		drop[id] = true
	}
	for _, t := range want {
		drop[taintID(t)] = true
	}
	var out []corev1.Taint
	prev := map[string]corev1.Taint{}
	for _, t := range cur {
		if drop[taintID(t)] {
			prev[taintID(t)] = t
			continue
		}
		out = append(out, t)
	}
	for _, t := range want {
		if p, ok := prev[taintID(t)]; ok && p.Value == t.Value && p.TimeAdded != nil {
			t.TimeAdded = p.TimeAdded
		}
		out = append(out, t)
	}
	return out
}

func taintsEqual(a, b []corev1.Taint) bool {
	return slices.EqualFunc(a, b, func(x, y corev1.Taint) bool {
		return x.Key == y.Key && x.Value == y.Value && x.Effect == y.Effect && x.TimeAdded.Equal(y.TimeAdded)
	})
}

// taintID is how kubectl names a taint: KEY:EFFECT (a Node has at most one
// taint of each).
func taintID(t corev1.Taint) string { return t.Key + ":" + string(t.Effect) }

func taintIDs(ts []corev1.Taint) string {
	ids := make([]string, 0, len(ts))
	for _, t := range ts {
		ids = append(ids, taintID(t))
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// joinKeys lists the map's keys, sorted and comma-separated (label keys
// have no commas).
func joinKeys(m map[string]string) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), ",")
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
