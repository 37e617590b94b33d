package k8s

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
)

// Label keys ackscale puts on Nodes besides the standard Kubernetes ones
// (docs/kubernetes.md gives the ACK source of each).
const (
	LabelCluster        = "ack.aliyun.com"
	LabelNodePool       = "alibabacloud.com/nodepool-id"
	LabelRuntime        = "alibabacloud.com/container-runtime"
	LabelRuntimeVersion = "alibabacloud.com/container-runtime-version"
	LabelEdgeWorker     = "alibabacloud.com/is-edge-worker"
	LabelENSInstance    = "alibabacloud.com/ens-instance-id"
	LabelSandboxed      = "alibabacloud.com/sandboxed-container"
)

// Annotations ackscale keeps on its Nodes. The managed lists let a later
// registration take away what ackscale set before and the pool no longer
// has, without touching labels, taints or a cordon set by anyone else.
const (
	AnnotationInstanceID = "ackscale.io/instance-id"
	// AnnotationManagedLabels lists, sorted and comma-separated, the label
	// keys ackscale set.
	AnnotationManagedLabels = "ackscale.io/managed-labels"
	// AnnotationManagedTaints lists the KEY:EFFECT of the taints ackscale
	// set from the worker's pool (the not-ready taints are always ackscale's).
	AnnotationManagedTaints = "ackscale.io/managed-taints"
	// AnnotationCordoned is "true" when ackscale set spec.unschedulable
	// because the pool asked for it.
	AnnotationCordoned = "ackscale.io/cordoned"
)

// maxPods is the pods capacity of every Node (the kubelet's default); it is
// also the $max_num_pods of ACK's memory reservation formula.
const maxPods = 110

// RegisterNode creates the worker's Node, or brings an existing one up to
// date without recreating it: labels, taints, cordon, capacity, addresses,
// node info, the Ready condition and the Lease. It sets exactly the labels
// and taints the worker (its pool) has now and removes those ackscale set
// before that it no longer has; labels and taints set by others stay. A
// NotReady worker's Node carries the node.kubernetes.io/not-ready taints and
// its Lease is not renewed until it is Ready again.
func (m *Manager) RegisterNode(ctx context.Context, c ackscale.Cluster, w ackscale.Worker) error {
	cs, err := m.client(ctx, c.ID)
	if err != nil {
		return err
	}
	return m.register(ctx, cs, c, w)
}

func (m *Manager) register(ctx context.Context, cs kubernetes.Interface, c ackscale.Cluster, w ackscale.Worker) error {
	it, _ := m.cfg.Catalog.InstanceType(w.InstanceType)
	ready, now := nodeReady(w), time.Now()
	node := newNode(c, w, it, ready, now)
	node.Status = nodeStatus(c, w, it, m.osImage(w.ImageID), ready)
	if err := createOrUpdateNode(ctx, cs, node); err != nil {
		return fmt.Errorf("node %s: %w", w.NodeName, err)
	}
	return ensureLease(ctx, cs, w.NodeName, ready)
}

// nodeReady reports whether the worker's Node is Ready: its NodeStatus
// decides (a node fault registers it NotReady); without one, a running
// worker is Ready.
func nodeReady(w ackscale.Worker) bool {
	switch w.NodeStatus {
	case ackscale.NodeReady:
		return true
	case ackscale.NodeNotReady, ackscale.NodeUnknown:
		return false
	}
	return w.State == ackscale.NodeRunning
}

func (m *Manager) osImage(imageID string) string {
	if im, ok := m.cfg.Catalog.Image(imageID); ok && im.OSName != "" {
		return im.OSName
	}
	return "Alibaba Cloud Linux 3"
}

// newNode is the worker's Node as ackscale wants it: labels, taints, cordon
// and the annotations that record which of them ackscale manages.
func newNode(c ackscale.Cluster, w ackscale.Worker, it catalog.InstanceType, ready bool, now time.Time) *corev1.Node {
	labels := nodeLabels(c, w, archOf(it.Arch))
	var taints []corev1.Taint
	for _, t := range w.Taints {
		taints = append(taints, corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
	}
	ann := map[string]string{
		"node.alpha.kubernetes.io/ttl": "0", AnnotationInstanceID: w.InstanceID,
		AnnotationManagedLabels: joinKeys(labels), AnnotationManagedTaints: taintIDs(taints),
	}
	if w.Unschedulable {
		ann[AnnotationCordoned] = "true"
	}
	if !ready {
		taints = append(taints, notReadyTaints(now)...)
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: w.NodeName, Labels: labels, Annotations: ann},
		Spec: corev1.NodeSpec{ProviderID: w.RegionID + "." + w.InstanceID, Taints: taints,
			Unschedulable: w.Unschedulable},
	}
}

// nodeLabels are the Node's labels: the worker's (its pool's) own, then the
// ones the kubelet, the cloud controller manager and ACK set, which win.
func nodeLabels(c ackscale.Cluster, w ackscale.Worker, arch string) map[string]string {
	labels := maps.Clone(w.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, map[string]string{
		corev1.LabelHostname: w.NodeName, corev1.LabelOSStable: "linux", corev1.LabelArchStable: arch,
		"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": arch,
		corev1.LabelInstanceTypeStable: w.InstanceType, corev1.LabelInstanceType: w.InstanceType,
		corev1.LabelTopologyRegion: w.RegionID, corev1.LabelTopologyZone: w.ZoneID,
		corev1.LabelFailureDomainBetaRegion: w.RegionID, corev1.LabelFailureDomainBetaZone: w.ZoneID,
		LabelCluster: c.ID,
	})
	if w.NodePoolID != "" {
		labels[LabelNodePool] = w.NodePoolID
	}
	if w.Runtime.Name != "" {
		labels[LabelRuntime], labels[LabelRuntimeVersion] = w.Runtime.Name, w.Runtime.Version
	}
	// ACK Edge marks every node of an edge cluster: true at the edge, false
	// in the cloud.
	if c.Profile == ackscale.ProfileEdge || w.EdgeWorker {
		labels[LabelEdgeWorker] = strconv.FormatBool(w.EdgeWorker)
	}
	if w.EdgeWorker && w.InstanceID != "" {
		labels[LabelENSInstance] = w.InstanceID
	}
	if w.Runtime.Name == ackscale.RuntimeSandboxed {
		labels[LabelSandboxed] = w.Runtime.Name
	}
	return labels
}

// archOf is the kubernetes.io/arch of an instance type's architecture.
func archOf(a string) string {
	if a == catalog.ArchARM {
		return "arm64"
	}
	return "amd64"
}

// notReadyTaints are the taints the node lifecycle controller (which
// ackscale stands in for) puts on a NotReady Node.
func notReadyTaints(now time.Time) []corev1.Taint {
	return []corev1.Taint{
		{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule},
		{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoExecute, TimeAdded: &metav1.Time{Time: now}},
	}
}

// nodeStatus is what a kubelet would report for the worker.
func nodeStatus(c ackscale.Cluster, w ackscale.Worker, it catalog.InstanceType, osImage string, ready bool) corev1.NodeStatus {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(int64(max(it.VCPU, 1)), resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(int64(it.MemoryGiB*(1<<30)), resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(maxPods, resource.DecimalSI),
		corev1.ResourceEphemeralStorage: *resource.NewQuantity(int64(max(w.SystemDiskGiB, 20))<<30, resource.BinarySI),
	}
	now := metav1.Now()
	return corev1.NodeStatus{
		Capacity: capacity, Allocatable: allocatable(c.Spec.KubernetesVersion, capacity), Phase: corev1.NodeRunning,
		Conditions: append(pressureConditions(now), readyCondition(ready, now)),
		Addresses:  []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: w.IP}, {Type: corev1.NodeHostName, Address: w.NodeName}},
		NodeInfo: corev1.NodeSystemInfo{
			MachineID: strings.TrimPrefix(w.InstanceID, "i-"), SystemUUID: w.InstanceID, BootID: w.ClientToken,
			KernelVersion: "5.10.134-16.al8.x86_64", OSImage: osImage, OperatingSystem: "linux", Architecture: archOf(it.Arch),
			ContainerRuntimeVersion: runtimeVersion(w.Runtime), KubeletVersion: "v" + strings.TrimPrefix(c.Spec.KubernetesVersion, "v"),
		},
	}
}

func runtimeVersion(r ackscale.Runtime) string {
	name := r.Name
	if name == ackscale.RuntimeSandboxed || name == "" {
		name = "containerd"
	}
	return name + "://" + r.Version
}

func pressureConditions(now metav1.Time) []corev1.NodeCondition {
	var out []corev1.NodeCondition
	for _, t := range []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		out = append(out, corev1.NodeCondition{Type: t, Status: corev1.ConditionFalse, LastHeartbeatTime: now,
			LastTransitionTime: now, Reason: "Kubelet Has Sufficient " + strings.TrimSuffix(string(t), "Pressure"), Message: "emulated by ackscale"})
	}
	return out
}

func readyCondition(ready bool, now metav1.Time) corev1.NodeCondition {
	c := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: now,
		LastTransitionTime: now, Reason: "KubeletReady", Message: "kubelet is posting ready status"}
	if !ready {
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, "KubeletNotReady", "the node's instance is not running"
	}
	return c
}

// createOrUpdateNode creates the Node with its status in one call (the API
// server keeps the status a Node is created with, as a kubelet's
// registration relies on), or, when it exists, gives it the metadata
// ackscale manages and then the status.
func createOrUpdateNode(ctx context.Context, cs kubernetes.Interface, node *corev1.Node) error {
	_, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	cur, err := updateMeta(ctx, cs, node, false)
	if err != nil {
		return err
	}
	return setStatus(ctx, cs, node.Name, cur, node.Status)
}

// updateMeta gives the existing Node the labels, taints and cordon of want
// (reconcileMeta), retrying on conflicts, and returns the Node as it is
// now. With keepReadiness the Node keeps the not-ready taints it has,
// whatever want says.
func updateMeta(ctx context.Context, cs kubernetes.Interface, want *corev1.Node, keepReadiness bool) (*corev1.Node, error) {
	var cur *corev1.Node
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var err error
		if cur, err = cs.CoreV1().Nodes().Get(ctx, want.Name, metav1.GetOptions{}); err != nil {
			return err
		}
		next := want
		if keepReadiness {
			next = want.DeepCopy()
			next.Spec.Taints = slices.DeleteFunc(next.Spec.Taints, isNotReadyTaint)
			for _, t := range cur.Spec.Taints {
				if isNotReadyTaint(t) {
					next.Spec.Taints = append(next.Spec.Taints, t)
				}
			}
		}
		if !reconcileMeta(cur, next) {
			return nil
		}
		cur, err = cs.CoreV1().Nodes().Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	return cur, err
}

func isNotReadyTaint(t corev1.Taint) bool { return t.Key == corev1.TaintNodeNotReady }

// UpdateNode gives the worker's existing Node, in place, the labels, taints
// and cordon the worker (its pool) has now, as RegisterNode does, but
// leaves its status, its Ready condition and not-ready taints, and its
// Lease alone. A Node not registered yet is fine: its registration will
// carry them.
func (m *Manager) UpdateNode(ctx context.Context, c ackscale.Cluster, w ackscale.Worker) error {
	cs, err := m.client(ctx, c.ID)
	if err != nil {
		return err
	}
	return m.update(ctx, cs, c, w)
}

func (m *Manager) update(ctx context.Context, cs kubernetes.Interface, c ackscale.Cluster, w ackscale.Worker) error {
	it, _ := m.cfg.Catalog.InstanceType(w.InstanceType)
	_, err := updateMeta(ctx, cs, newNode(c, w, it, true, time.Now()), true)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("node %s: %w", w.NodeName, err)
	}
	return nil
}

// setStatus replaces the status of Node name, starting from cur (the Node
// as last read, or nil), keeping the transition time of conditions whose
// status did not change; on a conflict it reads the Node again and retries.
func setStatus(ctx context.Context, cs kubernetes.Interface, name string, cur *corev1.Node, st corev1.NodeStatus) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if cur == nil {
			var err error
			if cur, err = cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); err != nil {
				return err
			}
		}
		next := st.DeepCopy()
		keepTransitions(cur.Status.Conditions, next.Conditions)
		cur.Status = *next
		_, err := cs.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			cur = nil
		}
		return err
	})
}

func keepTransitions(old, next []corev1.NodeCondition) {
	for i := range next {
		for _, o := range old {
			if o.Type == next[i].Type && o.Status == next[i].Status {
				next[i].LastTransitionTime = o.LastTransitionTime
			}
		}
	}
}

// SetNodeReady turns a Node's Ready condition on or off, with the
// not-ready taints and the Lease renewal to match.
func (m *Manager) SetNodeReady(ctx context.Context, clusterID, nodeName string, ready bool) error {
	cs, err := m.client(ctx, clusterID)
	if err != nil {
		return err
	}
	return setNodeReady(ctx, cs, nodeName, ready)
}

func setNodeReady(ctx context.Context, cs kubernetes.Interface, nodeName string, ready bool) error {
	now := time.Now()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := cs.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		next := slices.Clone(cur.Status.Conditions)
		for i, c := range next {
			if c.Type == corev1.NodeReady {
				next[i] = readyCondition(ready, metav1.Time{Time: now})
			}
		}
		keepTransitions(cur.Status.Conditions, next)
		cur.Status.Conditions = next
		_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("node %s status: %w", nodeName, err)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := cs.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		var want []corev1.Taint
		if !ready {
			want = notReadyTaints(now)
		}
		taints := reconcileTaints(cur.Spec.Taints, nil, want)
		if taintsEqual(taints, cur.Spec.Taints) {
			return nil
		}
		cur.Spec.Taints = taints
		_, err = cs.CoreV1().Nodes().Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("node %s taints: %w", nodeName, err)
	}
	return ensureLease(ctx, cs, nodeName, ready)
}
