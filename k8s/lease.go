package k8s

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
)

const (
	nodeLeaseNamespace = "kube-node-lease"
	// leaseSeconds is every Node Lease's duration, the kubelet's default
	// (nodeLeaseDurationSeconds).
	leaseSeconds = 40
	// defaultRenewInterval is how often a Lease is renewed: a quarter of
	// its duration, as the kubelet does (and kwok), so three renewals in a
	// row can be late or fail before the Lease expires.
	defaultRenewInterval = leaseSeconds * time.Second / 4
	// LabelLeasePaused marks the Lease of a NotReady Node: the renewer
	// skips it, so it expires as a dead kubelet's would. Kept on the Lease,
	// it survives a restart of ackscale.
	LabelLeasePaused = "ackscale.io/not-ready"
	// renewInFlight bounds the Lease updates a cluster's renewer has in
	// flight when several fall due at once.
	renewInFlight = 16
)

// ensureLease creates the Node's Lease, or pauses or resumes the renewal of
// an existing one: a NotReady Node's Lease carries LabelLeasePaused; one
// turning Ready loses it and is renewed at once. The kube-node-lease
// namespace is made by the API server itself at start; it is created here
// only if the Lease's creation says it is missing.
func ensureLease(ctx context.Context, cs kubernetes.Interface, name string, ready bool) error {
	now := metav1.NewMicroTime(time.Now())
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: nodeLeaseNamespace},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(name), LeaseDurationSeconds: ptr.To(int32(leaseSeconds)),
			RenewTime: &now},
	}
	if !ready {
		lease.Labels = map[string]string{LabelLeasePaused: "true"}
	}
	leases := cs.CoordinationV1().Leases(nodeLeaseNamespace)
	_, err := leases.Create(ctx, lease, metav1.CreateOptions{})
	if apierrors.IsNotFound(err) { // the namespace is missing
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: nodeLeaseNamespace}},
			metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("lease namespace: %w", err)
		}
		_, err = leases.Create(ctx, lease, metav1.CreateOptions{})
	}
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := leases.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		_, paused := cur.Labels[LabelLeasePaused]
		switch {
		case paused == !ready:
			return nil
		case ready:
			delete(cur.Labels, LabelLeasePaused)
			cur.Spec.RenewTime = &now
		default:
			if cur.Labels == nil {
				cur.Labels = map[string]string{}
			}
			cur.Labels[LabelLeasePaused] = "true"
		}
		_, err = leases.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

// renewer renews the Node Leases of one cluster, as each Node's kubelet
// would: every Lease once per interval, at its own phase in the interval
// (from a hash of its name), so the renewals are spread evenly over the
// interval instead of coming in one burst. It lists the Leases once per
// interval. A Lease whose phase comes more than 1.5 intervals after its
// last renewal (one created just after a list, or one left behind while
// the API server could not keep up) is renewed then instead, and the next
// passes bring it back to its phase: so no Lease waits much more than 1.5
// intervals, and when renewals fall behind the stalest go first. A Lease
// renewed less than half an interval before its phase waits for the next
// pass (fresh). The Leases of NotReady Nodes (LabelLeasePaused) are not
// renewed.
type renewer struct {
	cs       kubernetes.Interface
	clock    clock.Clock
	interval time.Duration
	log      *slog.Logger
	cluster  string
}

// run renews until ctx ends. Pass k starts at start + k×interval; a pass
// that overruns its interval (an API server too slow to keep up) makes the
// next one start at once.
func (r *renewer) run(ctx context.Context) {
	next := r.clock.Now()
	for ctx.Err() == nil {
		start := next
		n, err := r.pass(ctx, start)
		if err != nil && ctx.Err() == nil {
			r.log.Warn("renew leases", "cluster_id", r.cluster, "renewed", n, "err", err)
		}
		next = start.Add(r.interval)
		if now := r.clock.Now(); now.After(next) {
			next = now
		}
		if !r.sleepUntil(ctx, next) {
			return
		}
	}
}

// pass renews every Lease that is not paused when it is due (due), and
// returns how many it renewed and the first error other than a
// conflict (someone else updated the Lease, for instance to pause it: it
// is left alone) or a Lease gone with its Node. A failure does not stop
// the other renewals.
func (r *renewer) pass(ctx context.Context, start time.Time) (int, error) {
	list, err := r.cs.CoordinationV1().Leases(nodeLeaseNamespace).List(ctx,
		metav1.ListOptions{LabelSelector: "!" + LabelLeasePaused})
	if err != nil {
		return 0, err
	}
	leases := list.Items
	due := make(map[string]time.Time, len(leases))
	for i := range leases {
		due[leases[i].Name] = r.due(&leases[i], start)
	}
	leases = slices.DeleteFunc(leases, func(l coordinationv1.Lease) bool { return r.fresh(&l, due[l.Name]) })
	slices.SortFunc(leases, func(a, b coordinationv1.Lease) int { return due[a.Name].Compare(due[b.Name]) })
	// Wake up at most about 100 times per interval: each wake-up renews
	// the Leases due before the next one.
	slack := r.interval / 100
	var (
		mu    sync.Mutex
		n     int
		first error
	)
	for i := 0; i < len(leases); {
		if !r.sleepUntil(ctx, due[leases[i].Name]) {
			return n, ctx.Err()
		}
		horizon := r.clock.Now().Add(slack)
		j := i
		for j < len(leases) && !due[leases[j].Name].After(horizon) {
			j++
		}
		var g errgroup.Group // not WithContext: one failure must not cancel the others
		g.SetLimit(renewInFlight)
		for k := i; k < j; k++ {
			l := &leases[k]
			g.Go(func() error {
				err := r.renew(ctx, l)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					n++
				case errors.Is(err, errSkipped):
				case first == nil:
					first = fmt.Errorf("lease %s: %w", l.Name, err)
				}
				return nil
			})
		}
		_ = g.Wait()
		i = j
	}
	return n, first
}

// renew sets the Lease's RenewTime to now. The update carries the
// resourceVersion the pass listed, so a Lease paused since (or otherwise
// changed) is a conflict and stays as it is; a deleted one is not found.
// Both are skipped (errSkipped).
func (r *renewer) renew(ctx context.Context, l *coordinationv1.Lease) error {
	l.Spec.RenewTime = ptr.To(metav1.NewMicroTime(r.clock.Now()))
	_, err := r.cs.CoordinationV1().Leases(nodeLeaseNamespace).Update(ctx, l, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return errSkipped
	}
	return err
}

// fresh reports whether the Lease was renewed (or created) less than half
// an interval before the time it falls due: that pass leaves it, and the
// next renews it at its phase, at most 1.5 intervals after its last
// renewal, as due allows anyway. In the steady state every Lease is
// renewed at its phase and is never fresh; a Node registered less than
// half an interval before its phase skips that renewal, so while a
// cluster's Nodes are being registered (10,000 of them take tens of
// seconds on two cores) half of the new Leases are renewed once fewer.
func (r *renewer) fresh(l *coordinationv1.Lease, due time.Time) bool {
	return l.Spec.RenewTime != nil && due.Sub(l.Spec.RenewTime.Time) < r.interval/2
}

// errSkipped is a Lease a pass did not renew on purpose.
var errSkipped = errors.New("lease changed or gone since the pass listed it")

// due is when the pass that started at start renews the Lease: at its
// phase, or 1.5 intervals after its last renewal if that comes first.
func (r *renewer) due(l *coordinationv1.Lease, start time.Time) time.Time {
	at := start.Add(r.phase(l.Name))
	if l.Spec.RenewTime != nil {
		if late := l.Spec.RenewTime.Add(r.interval * 3 / 2); late.Before(at) {
			return late
		}
	}
	return at
}

// phase is the Lease's offset in the interval: the same in every pass, so
// a Lease is renewed every interval; spread uniformly over the Nodes.
func (r *renewer) phase(name string) time.Duration {
	if r.interval <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return time.Duration(h.Sum64() % uint64(r.interval))
}

// sleepUntil waits until t on the renewer's clock; false if ctx ended.
func (r *renewer) sleepUntil(ctx context.Context, t time.Time) bool {
	d := t.Sub(r.clock.Now())
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-r.clock.After(d):
		return true
	}
}
