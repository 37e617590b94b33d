package k8s

import (
	"math"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// ACK's default resource reservation policy ("Node resource reservation
// policy", ACK user guide; docs/kubernetes.md has the link and the numbers
// checked in reserve_test.go): allocatable = capacity − reserved − the
// kubelet's hard eviction threshold. The policy changed in Kubernetes 1.28.

// tier reserves rate of the part of a resource up to upTo (math.Inf for the
// rest).
type tier struct{ upTo, rate float64 }

var inf = math.Inf(1)

var (
	// Kubernetes 1.28 and later: 6% of the first core, 1% of the second,
	// 0.5% of the third and fourth, 0.25% of every core above 4.
	cpuTiers128 = []tier{{1000, 0.06}, {2000, 0.01}, {4000, 0.005}, {inf, 0.0025}}
	// Kubernetes 1.20 to 1.27: 100 millicores up to 4 cores, then 2.5% of
	// cores 4–64, 1.25% of cores 64–128, 0.5% above 128.
	cpuTiers120 = []tier{{64000, 0.025}, {128000, 0.0125}, {inf, 0.005}}
	// Kubernetes 1.20 to 1.27, memory in MiB: 25% of the first 4 GiB, 20%
	// of the next 4, 10% of the next 8, 6% up to 128 GiB, 2% above.
	memTiers120 = []tier{{4 << 10, 0.25}, {8 << 10, 0.20}, {16 << 10, 0.10}, {128 << 10, 0.06}, {inf, 0.02}}
)

// ACK's default kubelet evictionHard (customize the kubelet configurations
// of a node pool): memory.available<300Mi, nodefs.available<10%.
const (
	evictionMemoryMiB = 300
	evictionNodefs    = float32(0.10) // the kubelet parses percentages as float32
)

// tiered sums each tier's rate times the part of total that falls in it.
func tiered(total float64, tiers []tier) float64 {
	var sum, low float64
	for _, t := range tiers {
		if total <= low {
			break
		}
		sum += (min(total, t.upTo) - low) * t.rate
		low = t.upTo
	}
	return sum
}

// reserved returns the CPU (millicores) and memory (MiB) ACK reserves on a
// node (kubeReserved and systemReserved, half each) by its default policy
// for the cluster's Kubernetes version. memMiB is the node's memory;
// maxPods is $max_num_pods of the 1.28 memory formula. Fractions are
// dropped, as ACK's own example (7,925,980 KiB → 5,824,732 KiB allocatable)
// shows for memory.
func reserved(version string, vcpu int, memMiB float64, maxPods int) (cpuMilli, mem int64) {
	cores := float64(vcpu) * 1000
	if policy128(version) {
		return int64(tiered(cores, cpuTiers128)), int64(min(11*float64(maxPods)+255, memMiB*0.25))
	}
	return int64(max(100, tiered(cores, cpuTiers120))), int64(tiered(memMiB, memTiers120))
}

// policy128 reports whether ACK's 1.28 reservation policy applies to a
// cluster of this version ("1.34.4", "v1.26.15-aliyun.1"); an unreadable
// version gets the current policy.
func policy128(version string) bool {
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) < 2 {
		return true
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return true
	}
	return major > 1 || minor >= 28
}

// allocatable is what the kubelet reports allocatable on an ACK node of
// this capacity: CPU less the reservation; memory less the reservation and
// the 300 MiB eviction threshold; ephemeral storage less the 10% nodefs
// eviction threshold; pods as they are.
func allocatable(version string, capacity corev1.ResourceList) corev1.ResourceList {
	capCPU, capMem := capacity[corev1.ResourceCPU], capacity[corev1.ResourceMemory]
	capDisk := capacity[corev1.ResourceEphemeralStorage]
	cpu, mem := reserved(version, int(capCPU.Value()), float64(capMem.Value())/(1<<20), int(capacity.Pods().Value()))
	out := capacity.DeepCopy()
	out[corev1.ResourceCPU] = *resource.NewMilliQuantity(max(capCPU.MilliValue()-cpu, 0), resource.DecimalSI)
	out[corev1.ResourceMemory] = *resource.NewQuantity(max(capMem.Value()-(mem+evictionMemoryMiB)<<20, 0), resource.BinarySI)
	disk := capDisk.Value()
	out[corev1.ResourceEphemeralStorage] = *resource.NewQuantity(disk-int64(float64(disk)*float64(evictionNodefs)), resource.DecimalSI)
	return out
}
