package k8s

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// TestReservedACKTable checks reserved() against the table "Example default
// resource reservations for ACK nodes" of ACK's "Node resource reservation
// policy" page (ECS c7 types, max pods of Terway's inclusive ENI mode).
func TestReservedACKTable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		vcpu, memGiB, maxPods int
		cpu128, mem128        int64 // Kubernetes 1.28 and later
		cpu120, mem120        int64 // Kubernetes 1.20 to 1.27
		tol120                int64 // MiB the table is off the page's own formula
	}{
		{2, 4, 15, 70, 420, 100, 1024, 0},
		{4, 8, 48, 80, 783, 100, 1843, 0},
		{8, 16, 48, 90, 783, 200, 2662, 0},
		{16, 32, 213, 110, 2598, 400, 3645, 0},
		{32, 64, 213, 150, 2598, 800, 5611, 0},
		{64, 128, 213, 230, 2598, 1600, 9543, 0},
		// The table says 12164 and 17407; the page's worked example for
		// 256 GiB gives 11.88 GiB = 12165.12 MiB, which the formula yields.
		// The table seems to use the node's usable memory, a little under
		// the nominal size.
		{128, 256, 423, 390, 4908, 2400, 12164, 1},
		{256, 512, 453, 710, 5238, 3040, 17407, 1},
	} {
		t.Run(fmt.Sprintf("%dc%dg", tt.vcpu, tt.memGiB), func(t *testing.T) {
			mem := float64(tt.memGiB) * 1024
			cpu, m := reserved("1.34.4", tt.vcpu, mem, tt.maxPods)
			require.Equal(t, tt.cpu128, cpu, "cpu, 1.28+")
			require.Equal(t, tt.mem128, m, "memory, 1.28+")
			cpu, m = reserved("1.26.15-aliyun.1", tt.vcpu, mem, tt.maxPods)
			require.Equal(t, tt.cpu120, cpu, "cpu, 1.20-1.27")
			require.InDelta(t, tt.mem120, m, float64(tt.tol120), "memory, 1.20-1.27")
		})
	}
}

// TestReservedWorkedExamples: the page's worked examples.
func TestReservedWorkedExamples(t *testing.T) {
	t.Parallel()
	cpu, _ := reserved("1.28.3-aliyun.1", 32, 64<<10, 213)
	require.EqualValues(t, 150, cpu, "1000×6% + 1000×1% + 1000×2×0.5% + (32000−4000)×0.25%")
	cpu, _ = reserved("1.22.15-aliyun.1", 32, 64<<10, 213)
	require.EqualValues(t, 800, cpu, "100 + (32000−4000)×2.5%")
	_, mem := reserved("v1.30.1-aliyun.1", 64, 256<<10, 213)
	require.EqualValues(t, 2598, mem, "ecs.g7.16xlarge: min(11×(210+3)+255, 256×1024×25%)")
	_, mem = reserved("1.24.6-aliyun.1", 64, 256<<10, 213)
	require.EqualValues(t, 12165, mem, "4×25% + 4×20% + 8×10% + 112×6% + 128×2% = 11.88 GiB")
}

// TestAllocatableACKSample: the kubectl describe node sample on the same
// page (4 cores, a 1.20-1.27 node): 3900m CPU, 5824732Ki memory and
// 114022843818 bytes of ephemeral storage allocatable, once ACK's default
// eviction thresholds (memory.available<300Mi, nodefs.available<10%) are
// taken too.
func TestAllocatableACKSample(t *testing.T) {
	t.Parallel()
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("4"),
		corev1.ResourceMemory:           resource.MustParse("7925980Ki"),
		corev1.ResourceEphemeralStorage: resource.MustParse("123722704Ki"),
		corev1.ResourcePods:             resource.MustParse("64"),
	}
	got := allocatable("1.26.15-aliyun.1", capacity)
	require.Equal(t, "3900m", ptrTo(got[corev1.ResourceCPU]).String())
	require.Equal(t, int64(5824732*1024), ptrTo(got[corev1.ResourceMemory]).Value())
	require.Equal(t, int64(114022843818), ptrTo(got[corev1.ResourceEphemeralStorage]).Value())
	require.Equal(t, "64", ptrTo(got[corev1.ResourcePods]).String())
}

func TestAllocatableNeverNegative(t *testing.T) {
	t.Parallel()
	capacity := corev1.ResourceList{ // ecs.t5-lc2m1.nano: 1 vCPU, 0.5 GiB
		corev1.ResourceCPU:    resource.MustParse("1"),
		corev1.ResourceMemory: resource.MustParse("512Mi"),
		corev1.ResourcePods:   resource.MustParse("110"),
	}
	got := allocatable("1.34.4", capacity)
	require.Equal(t, "940m", ptrTo(got[corev1.ResourceCPU]).String())
	require.Equal(t, "84Mi", ptrTo(got[corev1.ResourceMemory]).String(), "512 − min(1465, 128) − 300")
	capacity[corev1.ResourceMemory] = resource.MustParse("256Mi")
	got = allocatable("1.34.4", capacity)
	require.True(t, ptrTo(got[corev1.ResourceMemory]).IsZero(), "256 − 64 − 300 < 0: 0 at least")
}

func TestPolicy128(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]bool{
		"1.34.4": true, "v1.28.3-aliyun.1": true, "1.27.9-aliyun.1": false, "1.20.11": false, "2.0.0": true, "": true, "x.y": true,
	} {
		require.Equal(t, want, policy128(v), v)
	}
}

func ptrTo(q resource.Quantity) *resource.Quantity { return &q }
