package k8s

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"
)

// fakeLeases is a fake clientset holding n node Leases renewed an hour ago.
func fakeLeases(t *testing.T, n int) (*fake.Clientset, time.Time) {
	t.Helper()
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	cs := fake.NewClientset()
	for i := range n {
		name := fmt.Sprintf("node-%03d", i)
		_, err := cs.CoordinationV1().Leases(nodeLeaseNamespace).Create(context.Background(), &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: nodeLeaseNamespace},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To(int32(leaseSeconds)),
				RenewTime: ptr.To(metav1.NewMicroTime(old))},
		}, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	return cs, old
}

func renewTimes(t *testing.T, cs *fake.Clientset) map[string]time.Time {
	t.Helper()
	leases, err := cs.CoordinationV1().Leases(nodeLeaseNamespace).List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	out := map[string]time.Time{}
	for _, l := range leases.Items {
		out[l.Name] = l.Spec.RenewTime.Time
	}
	return out
}

func TestRenewAll(t *testing.T) {
	const n = 100 // several times the 16 in flight
	cs, old := fakeLeases(t, n)
	start := time.Now().Truncate(time.Microsecond)
	renewed, err := renewAll(context.Background(), cs)
	require.NoError(t, err)
	require.Equal(t, n, renewed)
	times := renewTimes(t, cs)
	require.Len(t, times, n)
	for name, rt := range times {
		require.True(t, rt.After(old), "%s not renewed", name)
		require.False(t, rt.Before(start), "%s: renew time %s before the pass began at %s", name, rt, start)
	}
}

func TestRenewAllEmpty(t *testing.T) {
	renewed, err := renewAll(context.Background(), fake.NewClientset())
	require.NoError(t, err)
	require.Zero(t, renewed)
}

// TestRenewAllErrors: a conflict is skipped, another failure is returned,
// and neither stops the other renewals.
func TestRenewAllErrors(t *testing.T) {
	const n = 40
	cs, old := fakeLeases(t, n)
	gr := schema.GroupResource{Group: coordinationv1.GroupName, Resource: "leases"}
	cs.PrependReactor("update", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
		switch name := a.(k8stesting.UpdateAction).GetObject().(*coordinationv1.Lease).Name; name {
		case "node-003":
			return true, nil, apierrors.NewConflict(gr, name, fmt.Errorf("the object has been modified"))
		case "node-017", "node-029":
			return true, nil, apierrors.NewServiceUnavailable("etcd is down")
		}
		return false, nil, nil
	})
	renewed, err := renewAll(context.Background(), cs)
	require.Equal(t, n-3, renewed)
	require.Error(t, err)
	require.True(t, apierrors.IsServiceUnavailable(err), "the cause stays visible: %v", err)
	require.False(t, apierrors.IsConflict(err))
	for name, rt := range renewTimes(t, cs) {
		switch name {
		case "node-003", "node-017", "node-029":
			require.True(t, rt.Equal(old), "%s failed, yet its renew time moved to %s", name, rt)
		default:
			require.True(t, rt.After(old), "%s not renewed", name)
		}
	}
}
