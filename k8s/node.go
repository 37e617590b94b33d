package k8s

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
)

// Label keys ackscale puts on Nodes (docs/kubernetes.md says where each
// comes from).
const (
	LabelCluster         = "ack.aliyun.com"
	LabelRuntime         = "alibabacloud.com/container-runtime"
	LabelRuntimeVersion  = "alibabacloud.com/container-runtime-version"
	LabelEdgeWorker      = "alibabacloud.com/is-edge-worker"
	LabelOpenYurtEdge    = "openyurt.io/is-edge-worker"
	LabelENSRegion       = "alibabacloud.com/ens-region-id"
	LabelSandboxed       = "alibabacloud.com/sandboxed-container"
	LabelInstanceChargeT = "alibabacloud.com/instance-charge-type"
	nodeLeaseNamespace   = "kube-node-lease"
	leaseSeconds         = 40
)

// RegisterNode creates (or updates) the worker's Node with its labels,
// taints, capacity, addresses and node info, and its Lease. The Node is
// Ready when the worker is running.
func (m *Manager) RegisterNode(ctx context.Context, c ackscale.Cluster, w ackscale.Worker) error {
	cs, err := m.client(ctx, c.ID)
	if err != nil {
		return err
	}
	it, _ := m.cfg.Catalog.InstanceType(w.InstanceType)
	node := newNode(c, w, it, m.osImage(w.ImageID))
	if err := createOrUpdateNode(ctx, cs, node); err != nil {
		return fmt.Errorf("node %s: %w", w.NodeName, err)
	}
	if err := setStatus(ctx, cs, w.NodeName, nodeStatus(c, w, it, m.osImage(w.ImageID), w.State == ackscale.NodeRunning)); err != nil {
		return fmt.Errorf("node %s status: %w", w.NodeName, err)
	}
	return ensureLease(ctx, cs, node)
}

func (m *Manager) osImage(imageID string) string {
	if im, ok := m.cfg.Catalog.Image(imageID); ok && im.OSName != "" {
		return im.OSName
	}
	return "Alibaba Cloud Linux 3"
}

func newNode(c ackscale.Cluster, w ackscale.Worker, it catalog.InstanceType, _ string) *corev1.Node {
	arch := archOf(it.Arch)
	labels := map[string]string{
		"kubernetes.io/hostname": w.NodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": arch,
		"beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": arch,
		"node.kubernetes.io/instance-type": w.InstanceType, "beta.kubernetes.io/instance-type": w.InstanceType,
		"topology.kubernetes.io/region": w.RegionID, "topology.kubernetes.io/zone": w.ZoneID,
		"failure-domain.beta.kubernetes.io/region": w.RegionID, "failure-domain.beta.kubernetes.io/zone": w.ZoneID,
		LabelCluster: c.ID, LabelRuntime: w.Runtime.Name, LabelRuntimeVersion: w.Runtime.Version,
	}
	if w.EdgeWorker {
		labels[LabelEdgeWorker], labels[LabelOpenYurtEdge], labels[LabelENSRegion] = "true", "true", w.RegionID
	}
	if w.Runtime.Name == ackscale.RuntimeSandboxed {
		labels[LabelSandboxed] = w.Runtime.Name
	}
	maps.Copy(labels, w.Labels) // the request's tags
	var taints []corev1.Taint
	for _, t := range w.Taints {
		taints = append(taints, corev1.Taint{Key: t.Key, Value: t.Value, Effect: corev1.TaintEffect(t.Effect)})
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: w.NodeName, Labels: labels,
			Annotations: map[string]string{"node.alpha.kubernetes.io/ttl": "0", "ackscale.io/instance-id": w.InstanceID}},
		Spec: corev1.NodeSpec{ProviderID: w.RegionID + "." + w.InstanceID, Taints: taints},
	}
}

func archOf(a string) string {
	if a == catalog.ArchARM {
		return "arm64"
	}
	return "amd64"
}

// nodeStatus is what a kubelet would report for the worker.
func nodeStatus(c ackscale.Cluster, w ackscale.Worker, it catalog.InstanceType, osImage string, ready bool) corev1.NodeStatus {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              *resource.NewQuantity(int64(max(it.VCPU, 1)), resource.DecimalSI),
		corev1.ResourceMemory:           *resource.NewQuantity(int64(it.MemoryGiB*(1<<30)), resource.BinarySI),
		corev1.ResourcePods:             *resource.NewQuantity(110, resource.DecimalSI),
		corev1.ResourceEphemeralStorage: *resource.NewQuantity(int64(max(w.SystemDiskGiB, 20))<<30, resource.BinarySI),
	}
	allocatable := capacity.DeepCopy()
	cpu := allocatable[corev1.ResourceCPU]
	cpu.Sub(resource.MustParse("100m")) // kube-reserved, as ACK reserves some
	allocatable[corev1.ResourceCPU] = cpu
	mem := allocatable[corev1.ResourceMemory]
	mem.Sub(resource.MustParse("300Mi"))
	allocatable[corev1.ResourceMemory] = mem
	now := metav1.Now()
	return corev1.NodeStatus{
		Capacity: capacity, Allocatable: allocatable, Phase: corev1.NodeRunning,
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

func createOrUpdateNode(ctx context.Context, cs kubernetes.Interface, node *corev1.Node) error {
	_, err := cs.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := cs.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Labels, cur.Spec.Taints, cur.Spec.ProviderID = node.Labels, node.Spec.Taints, node.Spec.ProviderID
		_, err = cs.CoreV1().Nodes().Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

func setStatus(ctx context.Context, cs kubernetes.Interface, name string, st corev1.NodeStatus) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status = st
		_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

func ensureLease(ctx context.Context, cs kubernetes.Interface, node *corev1.Node) error {
	now := metav1.NewMicroTime(time.Now())
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: node.Name, Namespace: nodeLeaseNamespace},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(node.Name), LeaseDurationSeconds: ptr.To(int32(leaseSeconds)),
			RenewTime: &now},
	}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nodeLeaseNamespace}},
		metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("lease namespace: %w", err)
	}
	_, err := cs.CoordinationV1().Leases(nodeLeaseNamespace).Create(ctx, lease, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// SetNodeReady turns a Node's Ready condition on or off.
func (m *Manager) SetNodeReady(ctx context.Context, clusterID, nodeName string, ready bool) error {
	cs, err := m.client(ctx, clusterID)
	if err != nil {
		return err
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := cs.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.Now()
		for i, c := range cur.Status.Conditions {
			if c.Type == corev1.NodeReady {
				cur.Status.Conditions[i] = readyCondition(ready, now)
			}
		}
		_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

// RemoveNode cordons the Node, evicts its pods when drain is set, and
// deletes the Node and its Lease. A Node already gone is fine.
func (m *Manager) RemoveNode(ctx context.Context, clusterID, nodeName string, drain bool) error {
	cs, err := m.client(ctx, clusterID)
	if err != nil {
		return err
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := cs.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Spec.Unschedulable = true
		_, err = cs.CoreV1().Nodes().Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cordon %s: %w", nodeName, err)
	}
	if drain {
		if err := evictPods(ctx, cs, nodeName); err != nil {
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
	return nil
}

// evictPods evicts every pod bound to the node through the Eviction API.
// With no kubelet to finish a graceful shutdown, the grace period is 0.
func evictPods(ctx context.Context, cs kubernetes.Interface, nodeName string) error {
	pods, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", nodeName).String()})
	if err != nil {
		return fmt.Errorf("list pods on %s: %w", nodeName, err)
	}
	for _, p := range pods.Items {
		ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
			DeleteOptions: &metav1.DeleteOptions{GracePeriodSeconds: ptr.To(int64(0))}}
		if err := cs.PolicyV1().Evictions(p.Namespace).Evict(ctx, ev); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("evict %s/%s: %w", p.Namespace, p.Name, err)
		}
	}
	return nil
}

// renewLeases renews every Node Lease of a cluster in one pass per
// interval: one goroutine per cluster, not one per node.
func (m *Manager) renewLeases(a *apiserver) {
	t := time.NewTicker(m.cfg.LeaseInterval)
	defer t.Stop()
	for {
		select {
		case <-m.done:
			return
		case <-t.C:
		}
		if n, err := renewAll(context.Background(), a.client); err != nil {
			m.log.Warn("renew leases", "cluster_id", a.id, "renewed", n, "err", err)
		}
	}
}

// renewAll sets RenewTime of every lease in kube-node-lease to now, with
// 16 updates in flight at once. A conflict (someone else updated the lease)
// is skipped; any other failure does not stop the remaining renewals. It
// returns how many leases it renewed and the first error other than a
// conflict.
func renewAll(ctx context.Context, cs kubernetes.Interface) (int, error) {
	leases, err := cs.CoordinationV1().Leases(nodeLeaseNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	// A plain Group, not WithContext: one failed update must not cancel
	// the others. Wait returns the first non-nil error a task returned.
	var g errgroup.Group
	g.SetLimit(16)
	var n atomic.Int64
	for i := range leases.Items {
		l := &leases.Items[i]
		g.Go(func() error {
			now := metav1.NewMicroTime(time.Now())
			l.Spec.RenewTime = &now
			_, err := cs.CoordinationV1().Leases(nodeLeaseNamespace).Update(ctx, l, metav1.UpdateOptions{})
			if apierrors.IsConflict(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("lease %s: %w", l.Name, err)
			}
			n.Add(1)
			return nil
		})
	}
	err = g.Wait()
	return int(n.Load()), err
}
