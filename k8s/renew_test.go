package k8s

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
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

// renewAll renews every Lease that is not paused, all at once: one pass of
// a renewer with no interval to spread them over.
func renewAll(ctx context.Context, cs kubernetes.Interface) (int, error) {
	r := &renewer{cs: cs, clock: clock.RealClock{}, log: slog.New(slog.DiscardHandler), cluster: "test"}
	return r.pass(ctx, time.Now())
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

// plainClientset is a fake clientset over a plain object tracker: without
// the field management of fake.NewClientset, which costs milliseconds per
// update, too slow for the thousands of renewals TestLeasesNeverExpire
// makes. Only the typed clients work (no discovery, no Tracker).
func plainClientset() *fake.Clientset {
	o := k8stesting.NewObjectTracker(scheme.Scheme, scheme.Codecs.UniversalDecoder())
	cs := &fake.Clientset{}
	cs.AddReactor("*", "*", k8stesting.ObjectReaction(o))
	return cs
}

// TestLeasesNeverExpire: 1,000 Nodes' Leases on the emulated clock, sampled
// every 200 ms for more than two Lease durations: none is ever older than
// its duration (nor than one renewal interval and a little), the renewals
// are spread over the interval rather than bunched, and a paused Lease is
// never renewed.
func TestLeasesNeverExpire(t *testing.T) {
	t.Parallel()
	const (
		nodes  = 1000
		paused = 10
		step   = 200 * time.Millisecond
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	cs := plainClientset()
	for i := range nodes + paused {
		name := fmt.Sprintf("cn-hangzhou.192.168.%d.%d", 16+i/250, 3+i%250)
		l := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: nodeLeaseNamespace},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To(int32(leaseSeconds)),
				RenewTime: ptr.To(metav1.NewMicroTime(clk.Now()))}}
		if i >= nodes {
			l.Labels = map[string]string{LabelLeasePaused: "true"}
		}
		_, err := cs.CoordinationV1().Leases(nodeLeaseNamespace).Create(ctx, l, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	var updates []time.Time // the emulated time of each renewal
	cs.PrependReactor("update", "leases", func(a k8stesting.Action) (bool, runtime.Object, error) {
		updates = append(updates, a.(k8stesting.UpdateAction).GetObject().(*coordinationv1.Lease).Spec.RenewTime.Time)
		return false, nil, nil
	})
	r := &renewer{cs: cs, clock: clk, interval: defaultRenewInterval, log: slog.New(slog.DiscardHandler), cluster: "test"}
	done := make(chan struct{})
	go func() { defer close(done); r.run(ctx) }()

	start, duration := clk.Now(), leaseSeconds*time.Second
	var oldest, steady time.Duration // steady: once every Lease had its first renewal
	for clk.Since(start) < 2*duration+defaultRenewInterval {
		// The renewer is idle once it waits on the clock again.
		require.Eventually(t, clk.HasWaiters, 5*time.Second, 100*time.Microsecond)
		now := clk.Now()
		leases, err := cs.CoordinationV1().Leases(nodeLeaseNamespace).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		for _, l := range leases.Items {
			age := now.Sub(l.Spec.RenewTime.Time)
			if _, p := l.Labels[LabelLeasePaused]; p {
				require.Equal(t, start, l.Spec.RenewTime.Time, "paused Lease %s renewed", l.Name)
				continue
			}
			require.LessOrEqual(t, age, duration, "Lease %s at %s", l.Name, now.Sub(start))
			oldest = max(oldest, age)
			if now.Sub(start) > 2*defaultRenewInterval {
				steady = max(steady, age)
			}
		}
		clk.Step(step)
	}
	cancel()
	<-done
	t.Logf("oldest Lease seen: %s, %s once all were renewed (interval %s, duration %s); %d renewals",
		oldest, steady, defaultRenewInterval, duration, len(updates))
	require.LessOrEqual(t, oldest, defaultRenewInterval*3/2+2*step, "a fresh Lease waits at most half an interval more")
	require.LessOrEqual(t, steady, defaultRenewInterval+2*step, "then each Lease renewed every interval")

	// Spread: in every second after the first interval, about
	// nodes/interval renewals, never a burst.
	perSecond := map[int64]int{}
	for _, u := range updates {
		perSecond[u.Sub(start).Milliseconds()/1000]++
	}
	even := nodes / int(defaultRenewInterval/time.Second)
	for s, n := range perSecond {
		require.Less(t, n, 2*even, "second %d had %d renewals (even: %d)", s, n, even)
	}
	require.GreaterOrEqual(t, len(updates), nodes*int((2*duration)/defaultRenewInterval))
}

// TestRenewDue: a Lease is renewed at its phase of the pass, unless that
// comes more than 1.5 intervals after its last renewal: a Lease created
// just after the last list, or one left behind, goes earlier (the stalest
// first), and the passes after bring it back to its phase. One renewed
// less than half an interval before its phase waits for the next pass.
func TestRenewDue(t *testing.T) {
	t.Parallel()
	r := &renewer{interval: 10 * time.Second}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lease := func(name string, renewed time.Time) *coordinationv1.Lease {
		return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: coordinationv1.LeaseSpec{RenewTime: ptr.To(metav1.NewMicroTime(renewed))}}
	}
	// A name whose phase is late in the interval.
	name := ""
	for i := 0; r.phase(name) < 8*time.Second; i++ {
		name = fmt.Sprintf("cn-hangzhou.192.168.16.%d", i)
	}
	phase := r.phase(name)
	require.Equal(t, phase, r.phase(name), "the same in every pass")
	require.Equal(t, start.Add(phase), r.due(lease(name, start.Add(-5*time.Second)), start), "recent: at its phase")
	require.Equal(t, start.Add(3*time.Second), r.due(lease(name, start.Add(-12*time.Second)), start),
		"renewed 12 s before the pass: 15 s after that, before its phase")
	require.Equal(t, start.Add(-time.Minute).Add(15*time.Second), r.due(lease(name, start.Add(-time.Minute)), start),
		"left behind: at once, before any Lease renewed more recently")
	// Early renewals bring it back to its phase within two passes: the
	// gap never passes 1.5 intervals on the way.
	renewed := start.Add(3 * time.Second)
	for k := 1; ; k++ {
		pass := start.Add(time.Duration(k) * r.interval)
		next := r.due(lease(name, renewed), pass)
		require.LessOrEqual(t, next.Sub(renewed), r.interval*3/2)
		renewed = next
		if next.Equal(pass.Add(phase)) {
			require.LessOrEqual(t, k, 2)
			break
		}
	}
	// Fresh: renewed less than half an interval before its phase, a Lease
	// waits for the next pass, which renews it at its phase.
	require.True(t, r.fresh(lease(name, start.Add(phase-4*time.Second)), start.Add(phase)))
	require.False(t, r.fresh(lease(name, start.Add(phase-6*time.Second)), start.Add(phase)))
	created := start.Add(phase - time.Second)
	next := start.Add(r.interval)
	require.Equal(t, next.Add(phase), r.due(lease(name, created), next), "at its phase in the next pass")
	require.False(t, r.fresh(lease(name, created), next.Add(phase)))
	require.LessOrEqual(t, next.Add(phase).Sub(created), r.interval*3/2)

	spread := map[time.Duration]bool{}
	for i := range 100 {
		p := r.phase(fmt.Sprintf("cn-hangzhou.192.168.16.%d", i))
		require.Less(t, p, r.interval)
		spread[p/time.Second] = true
	}
	require.Len(t, spread, 10, "100 Nodes' phases cover every second of the interval")
}
