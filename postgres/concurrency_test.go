package postgres

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// The races below need more than one connection, and so are not in the
// conformance suite's Concurrency cases (which SQLite, with one writer,
// settles by construction): several replicas (DBs) on one schema, and
// operations that contend through different rows.

// race runs fn(i) for i in [0, n) in n goroutines released at once.
func race(n int, fn func(i int)) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

const racers = 16

// replicas returns the bundle's stores and those of two more replicas on
// its schema, each with its own pool.
func (b *testBundle) replicas(t *testing.T) []Stores {
	return []Stores{b.s, storesOf(t, b.db.replica(t)), storesOf(t, b.db.replica(t))}
}

// TestRaceReservationsAcrossReplicas starts a reserving scale-out of 3
// on each of racers clusters of one account, through three replicas, under
// a quota of 10: exactly 3 are accepted.
func TestRaceReservationsAcrossReplicas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reps := b.replicas(t)
	const each, limit = 3, 10
	refusal := errors.New("quota exceeded")
	reserve := &ackscale.Reservation{Scope: "cn-hangzhou", Instances: each, VCPUs: 2, CheckFunc: func(u ackscale.QuotaUsage) error {
		if u.Instances+u.ReservedInstances+each > limit {
			return refusal
		}
		return nil
	}}
	tasks := make([]ackscale.Task, racers)
	for i := range tasks {
		tasks[i] = newTask(b.runningCluster(t, b.account.ID, fmt.Sprintf("c%d", i)), ackscale.TaskScaleOut)
	}
	errs := make([]error, racers)
	race(racers, func(i int) {
		errs[i] = reps[i%len(reps)].Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: tasks[i],
			From: ackscale.ClusterRunning, To: ackscale.ClusterScaling, Reserve: reserve})
	})
	won := 0
	for i, err := range errs {
		if err == nil {
			won++
			continue
		}
		require.ErrorIs(t, err, refusal, "TaskStart %d", i)
	}
	require.Equal(t, limit/each, won, "accepted")
	u, err := b.s.Cloud.QuotaUsageGet(b.ctx, ackscale.QuotaUsageParams{AccountID: b.account.ID, Scope: "cn-hangzhou"})
	require.NoError(t, err)
	require.Equal(t, won*each, u.ReservedInstances)
}

// TestRaceClusterAndPoolTasks starts, on one running cluster at once, a
// cluster-level scale-out and a task of a second pool: a cluster-level
// task is refused while a pool is busy, and a pool's task while the
// cluster is not running, so exactly one is accepted, whichever.
func TestRaceClusterAndPoolTasks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reps := b.replicas(t)
	for round := range 8 {
		c := b.runningCluster(t, b.account.ID, fmt.Sprintf("c%d", round))
		pool := b.activePool(t, c)
		cluster := newTask(c, ackscale.TaskScaleOut)
		poolTask := newTask(c, ackscale.TaskNodePoolUpdate)
		poolTask.Params.NodePoolIDs = []string{pool.ID}
		errs := make([]error, 2)
		race(2, func(i int) {
			p := ackscale.TaskStartParams{Task: cluster, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling}
			if i == 1 {
				p = ackscale.TaskStartParams{Task: poolTask,
					Pools: []ackscale.PoolMove{{ID: pool.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolUpdating}}}
			}
			errs[i] = reps[(round+i)%len(reps)].Clusters.TaskStart(b.ctx, p)
		})
		require.True(t, (errs[0] == nil) != (errs[1] == nil), "round %d: exactly one start: %v", round, errs)
		for _, err := range errs {
			if err != nil {
				require.Equal(t, ackscale.CodeClusterState, ackscale.ErrorCode(err), "round %d", round)
			}
		}
	}
}

// activePool creates a second pool of c through a node pool create task,
// and finishes it.
func (b *testBundle) activePool(t *testing.T, c ackscale.Cluster) ackscale.NodePool {
	t.Helper()
	np := ackscale.NodePool{ID: ackscale.NewNodePoolID(), Spec: ackscale.NodePoolSpec{Name: "extra", Type: ackscale.NodePoolTypeESS}}
	create := newTask(c, ackscale.TaskNodePoolCreate)
	create.Params.NodePoolIDs = []string{np.ID}
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: create, NewPool: &np}))
	b.succeed(t, create, "")
	return np
}

// TestRaceStock creates racers instances of one zone × type at once, each
// with a CheckFunc that refuses past a capacity of 5: exactly 5 are made.
func TestRaceStock(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reps := b.replicas(t)
	const capacity = 5
	noStock := ackscale.CloudErrorf(ackscale.CodeNoStock, "sold out")
	check := func(u ackscale.StockUsage) error {
		if u.Live >= capacity {
			return noStock
		}
		return nil
	}
	created := make([]bool, racers)
	errs := make([]error, racers)
	race(racers, func(i int) {
		_, created[i], errs[i] = reps[i%len(reps)].Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{
			Instance: b.newInstance(i), CheckFunc: check})
	})
	n := 0
	for i, err := range errs {
		if err != nil {
			require.ErrorIs(t, err, noStock, "InstanceCreate %d", i)
		} else if created[i] {
			n++
		}
	}
	require.Equal(t, capacity, n, "created")
	require.Equal(t, capacity, count(t, b.db.DB, `SELECT count(*) FROM cloud_instances`))
}

// TestRaceStockSameToken creates one instance (one client token) from
// racers callers, with a stock of one left: every caller gets the one
// instance, none is refused for the stock its own instance took.
func TestRaceStockSameToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reps := b.replicas(t)
	check := func(u ackscale.StockUsage) error {
		if u.Live >= 1 {
			return ackscale.CloudErrorf(ackscale.CodeNoStock, "sold out")
		}
		return nil
	}
	outs := make([]ackscale.Instance, racers)
	created := make([]bool, racers)
	errs := make([]error, racers)
	race(racers, func(i int) {
		in := b.newInstance(i)
		in.ClientToken = "the-token"
		outs[i], created[i], errs[i] = reps[i%len(reps)].Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in, CheckFunc: check})
	})
	n := 0
	for i := range racers {
		require.NoError(t, errs[i], "InstanceCreate %d", i)
		require.Equal(t, outs[0].ID, outs[i].ID, "InstanceCreate %d", i)
		if created[i] {
			n++
		}
	}
	require.Equal(t, 1, n, "created")
}

// TestRaceSameIP creates racers instances with one IP of one pool and
// different client tokens: one is made, the others are conflicts.
func TestRaceSameIP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reps := b.replicas(t)
	errs := make([]error, racers)
	race(racers, func(i int) {
		in := b.newInstance(i)
		in.IP = "192.168.0.10"
		_, _, errs[i] = reps[i%len(reps)].Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
	})
	n := 0
	for i, err := range errs {
		if err == nil {
			n++
			continue
		}
		require.True(t, ackscale.IsConflict(err), "InstanceCreate %d: want a conflict, got %v", i, err)
	}
	require.Equal(t, 1, n, "created")
	u, err := b.s.Cloud.QuotaUsageGet(b.ctx, ackscale.QuotaUsageParams{AccountID: b.account.ID, Scope: "cn-hangzhou"})
	require.NoError(t, err)
	require.Equal(t, 1, u.Instances)
}

// TestRaceRelease releases one instance from racers callers: it leaves the
// quota usage once.
func TestRaceRelease(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reps := b.replicas(t)
	keep, _, err := b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: b.newInstance(1)})
	require.NoError(t, err)
	gone, _, err := b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: b.newInstance(2)})
	require.NoError(t, err)
	errs := make([]error, racers)
	race(racers, func(i int) {
		errs[i] = reps[i%len(reps)].Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: gone.ID, Status: ackscale.InstanceReleased})
	})
	for i, err := range errs {
		require.NoError(t, err, "InstanceUpdate %d", i)
	}
	u, err := b.s.Cloud.QuotaUsageGet(b.ctx, ackscale.QuotaUsageParams{AccountID: b.account.ID, Scope: "cn-hangzhou"})
	require.NoError(t, err)
	require.Equal(t, 1, u.Instances)
	require.Equal(t, keep.VCPUs, u.VCPUs)
	check, err := b.db.Check(b.ctx)
	require.NoError(t, err)
	require.Zero(t, check.QuotaDrift)
}

// hostRange is the range of addresses the IP races allocate from.
var hostRange = ackscale.IPRange{First: netip.MustParseAddr("10.0.0.3"), Last: netip.MustParseAddr("10.0.3.254")}

// allocate creates an instance without an IP through s, the store
// picking it from hostRange.
func (b *testBundle) allocate(s Stores, in ackscale.Instance) (ackscale.Instance, bool, error) {
	in.IP = ""
	return s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in, IPs: hostRange})
}

// TestRaceIPsAcrossReplicas creates racers instances of one pool at once
// through three replicas, the stores picking the IPs, while a few others
// are released: no address is handed out twice, each create takes the
// lowest free one (so the addresses in use are the lowest ones but for
// those released last), and two creates of one client token take one
// address.
func TestRaceIPsAcrossReplicas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reps := b.replicas(t)
	var gone []ackscale.Instance
	for i := range 4 {
		in, _, err := b.allocate(b.s, b.newInstance(100+i))
		require.NoError(t, err)
		gone = append(gone, in)
	}
	ins := make([]ackscale.Instance, racers)
	for i := range ins {
		ins[i] = b.newInstance(i)
		if i%4 == 3 {
			ins[i].ClientToken = ins[i-1].ClientToken
		}
	}
	errs := make([]error, racers+len(gone))
	race(racers+len(gone), func(i int) {
		s := reps[i%len(reps)]
		if i >= racers {
			errs[i] = s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: gone[i-racers].ID, Status: ackscale.InstanceReleased})
			return
		}
		_, _, errs[i] = b.allocate(s, ins[i])
	})
	for i, err := range errs {
		require.NoError(t, err, "call %d", i)
	}
	live, err := b.s.Cloud.InstanceList(b.ctx, ackscale.InstanceListParams{AccountID: b.account.ID, LiveOnly: true})
	require.NoError(t, err)
	require.Len(t, live, racers*3/4, "live instances: one per client token")
	// Every released address is handed out again before the pool grows,
	// unless it was released after the last create: the addresses in use
	// and the free ones are exactly the lowest ones.
	used := map[string]bool{}
	for _, in := range live {
		require.False(t, used[in.IP], "IP %s handed out twice", in.IP)
		used[in.IP] = true
	}
	more := make([]ackscale.Instance, len(gone))
	for i := range more {
		in, _, err := b.allocate(b.s, b.newInstance(200+i))
		require.NoError(t, err)
		require.False(t, used[in.IP], "IP %s handed out twice", in.IP)
		used[in.IP] = true
		more[i] = in
	}
	a := hostRange.First
	for range len(used) {
		require.True(t, used[a.String()], "%s: the lowest addresses are in use, none lost", a)
		a = a.Next()
	}
	check, err := b.db.Check(b.ctx)
	require.NoError(t, err)
	require.Zero(t, check.QuotaDrift, "counters")
}

// TestRaceClusterName creates racers clusters of one name in one account
// at once: one is made, the others are CodeClusterNameExists.
func TestRaceClusterName(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reps := b.replicas(t)
	errs := make([]error, racers)
	race(racers, func(i int) {
		c := newCluster(b.account.ID, "same-name")
		errs[i] = reps[i%len(reps)].Clusters.ClusterCreate(b.ctx, createParams(c, newTask(c, ackscale.TaskCreateCluster)))
	})
	n := 0
	for i, err := range errs {
		if err == nil {
			n++
			continue
		}
		require.Equal(t, ackscale.CodeClusterNameExists, ackscale.ErrorCode(err), "ClusterCreate %d: %v", i, err)
	}
	require.Equal(t, 1, n, "created")
}

// TestRaceFinishAndCreate ends reserving tasks while instances are created
// against their reservations, and starts new reserving tasks, all at once
// on three replicas: nothing deadlocks for good (a deadlock PostgreSQL
// breaks is retried), and the counters and reservations agree after.
func TestRaceFinishAndCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reps := b.replicas(t)
	reserve := &ackscale.Reservation{Scope: "cn-hangzhou", Instances: 4, VCPUs: 2, CheckFunc: func(ackscale.QuotaUsage) error { return nil }}
	const n = 6
	var running, fresh []ackscale.Task
	for i := range n {
		c := b.runningCluster(t, b.account.ID, fmt.Sprintf("c%d", i))
		task := newTask(c, ackscale.TaskScaleOut)
		require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning,
			To: ackscale.ClusterScaling, Reserve: reserve}))
		running = append(running, task)
		other := b.runningCluster(t, b.account.ID, fmt.Sprintf("d%d", i))
		fresh = append(fresh, newTask(other, ackscale.TaskScaleOut))
	}
	errs := make([]error, 3*n)
	race(3*n, func(i int) {
		s, task := reps[i%len(reps)], running[i%n]
		switch i / n {
		case 0:
			task.State = ackscale.TaskSuccess
			errs[i] = s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: ackscale.ClusterRunning})
		case 1:
			_, _, errs[i] = s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: b.newInstance(i), Reservation: task.ID})
		default:
			errs[i] = s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: fresh[i%n], From: ackscale.ClusterRunning,
				To: ackscale.ClusterScaling, Reserve: reserve})
		}
	})
	for i, err := range errs {
		require.NoError(t, err, "call %d", i)
	}
	check, err := b.db.Check(b.ctx)
	require.NoError(t, err)
	require.Zero(t, check.QuotaDrift, "quota drift")
	require.Zero(t, check.StaleReservations, "stale reservations")
	u, err := b.s.Cloud.QuotaUsageGet(b.ctx, ackscale.QuotaUsageParams{AccountID: b.account.ID, Scope: "cn-hangzhou"})
	require.NoError(t, err)
	require.Equal(t, ackscale.QuotaUsage{AccountID: b.account.ID, Scope: "cn-hangzhou", Instances: n, VCPUs: 2 * n,
		ReservedInstances: n * 4, ReservedVCPUs: n * 4 * 2}, u)
}

// newInstance returns a pending instance of the bundle's account, the
// i-th of a test, not stored.
func (b *testBundle) newInstance(i int) ackscale.Instance {
	return ackscale.Instance{
		ID: ackscale.NewInstanceID(), ClientToken: fmt.Sprintf("token-%d-%s", i, ackscale.NewInstanceID()), AccountID: b.account.ID,
		RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-h", IPPool: "vsw-1", IP: fmt.Sprintf("192.168.1.%d", i%250+2),
		InstanceType: "ecs.c6.large", Kind: ackscale.KindECS, VCPUs: 2, Status: ackscale.InstancePending,
		ReadyAt: time.Now().Add(time.Minute).UTC().Truncate(time.Millisecond),
	}
}
