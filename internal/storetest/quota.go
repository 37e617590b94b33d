package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// The quota usage of an account: counters of its live instances per scope
// (kept by InstanceCreate and the release), and the reservations of its
// running tasks (made by TaskStart and ClusterCreate, used up by
// InstanceCreate, dropped when the task ends).

// hangzhou is the quota scope of newInstance's instances (ECS, cn-hangzhou).
const hangzhou = "cn-hangzhou"

// quotaUsage returns an account's usage of a scope.
func (b *testBundle) quotaUsage(t *testing.T, accountID, scope string) ackscale.QuotaUsage {
	t.Helper()
	u, err := b.Cloud.QuotaUsageGet(b.ctx, ackscale.QuotaUsageParams{AccountID: accountID, Scope: scope})
	require.NoError(t, err, "QuotaUsageGet %s %s", accountID, scope)
	return u
}

// usage is a QuotaUsage of the caller's account: live instances and
// vCPUs, reserved instances and vCPUs.
func (b *testBundle) usage(scope string, instances, vcpus, reservedInstances, reservedVCPUs int) ackscale.QuotaUsage {
	return ackscale.QuotaUsage{AccountID: b.account.ID, Scope: scope, Instances: instances, VCPUs: vcpus,
		ReservedInstances: reservedInstances, ReservedVCPUs: reservedVCPUs}
}

// requireUsage fails unless the usage of want's account and scope is want.
func (b *testBundle) requireUsage(t *testing.T, want ackscale.QuotaUsage, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, want, b.quotaUsage(t, want.AccountID, want.Scope), msgAndArgs...)
}

// checker returns a CheckFunc that records each usage it sees in seen and
// returns err.
func checker(seen *[]ackscale.QuotaUsage, err error) func(ackscale.QuotaUsage) error {
	return func(u ackscale.QuotaUsage) error {
		*seen = append(*seen, u)
		return err
	}
}

// reserving returns a reservation of n instances of vcpus each in scope
// whose CheckFunc accepts it.
func reserving(scope string, n, vcpus int) *ackscale.Reservation {
	return &ackscale.Reservation{Scope: scope, Instances: n, VCPUs: vcpus, CheckFunc: func(ackscale.QuotaUsage) error { return nil }}
}

// startReserving starts a scale-out on a new running cluster of the
// caller's account that reserves r, and returns the task.
func (b *testBundle) startReserving(t *testing.T, r *ackscale.Reservation) ackscale.Task {
	t.Helper()
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	task := b.newTask(c, ackscale.TaskScaleOut)
	err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling,
		Reserve: r})
	require.NoError(t, err, "TaskStart reserving %d×%d in %s", r.Instances, r.VCPUs, r.Scope)
	return task
}

// createReserved creates in, using up the reservation of task reservation
// ("" = none), and reports whether it was created.
func (b *testBundle) createReserved(t *testing.T, in ackscale.Instance, reservation string) bool {
	t.Helper()
	_, created, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in, Reservation: reservation})
	require.NoError(t, err, "InstanceCreate reserved by %q", reservation)
	return created
}

// finish ends a running task (well) and moves its cluster back to running.
func (b *testBundle) finish(t *testing.T, task ackscale.Task) {
	t.Helper()
	task.State = ackscale.TaskSuccess
	to := task.Type.ClusterStateAfter(true)
	require.NoError(t, b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: to}), "TaskFinish")
}

func (s suite) quotaUsageGet(t *testing.T) {
	s.run(t, "zero for an unknown account or scope", func(t *testing.T, b *testBundle) {
		b.createInstance(t, b.newInstance("vsw-1"))
		unknown := ackscale.NewAccountID()
		require.Equal(t, ackscale.QuotaUsage{AccountID: unknown, Scope: hangzhou}, b.quotaUsage(t, unknown, hangzhou))
		b.requireUsage(t, b.usage("cn-nowhere", 0, 0, 0, 0))
	})
	s.run(t, "counts live instances and their vCPUs by account and scope", quotaUsageCounts)
	s.run(t, "adds what the account's running tasks reserved and have not created", quotaUsageReserved)
}

// quotaUsageCounts creates instances of several kinds, regions, accounts
// and statuses.
func quotaUsageCounts(t *testing.T, b *testBundle) {
	add := func(accountID, regionID string, kind ackscale.InstanceKind, vcpus int, status ackscale.InstanceStatus) {
		in := b.newInstance("pool-" + regionID)
		in.AccountID, in.RegionID, in.Kind, in.VCPUs = accountID, regionID, kind, vcpus
		b.instanceIn(t, in, status)
	}
	add(b.account.ID, hangzhou, ackscale.KindECS, 2, ackscale.InstancePending)
	add(b.account.ID, hangzhou, ackscale.KindECS, 8, ackscale.InstanceRunning)
	add(b.account.ID, hangzhou, ackscale.KindEBM, 96, ackscale.InstanceRunning) // bare metal counts in its region
	add(b.account.ID, hangzhou, ackscale.KindECS, 4, ackscale.InstanceReleased)
	add(b.account.ID, "cn-beijing", ackscale.KindECS, 4, ackscale.InstanceRunning)
	add(b.account.ID, "cn-xian-telecom", ackscale.KindENS, 2, ackscale.InstanceRunning) // ENS counts in one scope
	add(b.account.ID, "cn-hefei-cmcc", ackscale.KindENS, 4, ackscale.InstancePending)
	add(b.other.ID, hangzhou, ackscale.KindECS, 16, ackscale.InstanceRunning)

	b.requireUsage(t, b.usage(hangzhou, 3, 106, 0, 0))
	b.requireUsage(t, b.usage("cn-beijing", 1, 4, 0, 0))
	b.requireUsage(t, b.usage(ackscale.QuotaScopeENS, 2, 6, 0, 0))
	b.requireUsage(t, b.usage("cn-xian-telecom", 0, 0, 0, 0))
	require.Equal(t, ackscale.QuotaUsage{AccountID: b.other.ID, Scope: hangzhou, Instances: 1, VCPUs: 16}, b.quotaUsage(t, b.other.ID, hangzhou))
}

// quotaUsageReserved reserves through TaskStart and ClusterCreate, in two
// scopes and two accounts.
func quotaUsageReserved(t *testing.T, b *testBundle) {
	b.createInstance(t, b.newInstance("vsw-1"))
	first := b.startReserving(t, reserving(hangzhou, 3, 4))
	b.startReserving(t, reserving(hangzhou, 2, 2))
	b.startReserving(t, reserving("cn-beijing", 1, 8))
	mine := createParams(b.newCluster(b.account.ID))
	mine.Reserve = reserving(hangzhou, 4, 1)
	require.NoError(t, b.Clusters.ClusterCreate(b.ctx, mine))
	theirs := createParams(b.newCluster(b.other.ID))
	theirs.Reserve = reserving(hangzhou, 5, 1)
	require.NoError(t, b.Clusters.ClusterCreate(b.ctx, theirs))

	b.requireUsage(t, b.usage(hangzhou, 1, 2, 9, 3*4+2*2+4*1))
	b.requireUsage(t, b.usage("cn-beijing", 0, 0, 1, 8))
	require.Equal(t, ackscale.QuotaUsage{AccountID: b.other.ID, Scope: hangzhou, ReservedInstances: 5, ReservedVCPUs: 5},
		b.quotaUsage(t, b.other.ID, hangzhou))
	b.finish(t, first)
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 6, 2*2+4*1), "a finished task reserves nothing")
}

// taskStartReserves starts a task whose CheckFunc sees the live instances
// and another task's reservation.
func taskStartReserves(t *testing.T, b *testBundle) {
	b.createInstance(t, b.newInstance("vsw-1"))
	b.startReserving(t, reserving(hangzhou, 2, 4))
	b.startReserving(t, reserving("cn-beijing", 7, 4)) // another scope
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	jobs := b.Jobs()
	var seen []ackscale.QuotaUsage
	task := b.newTask(c, ackscale.TaskScaleOut)
	err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling,
		Reserve: &ackscale.Reservation{Scope: hangzhou, Instances: 3, VCPUs: 8, CheckFunc: checker(&seen, nil)}})
	require.NoError(t, err)
	require.Equal(t, []ackscale.QuotaUsage{b.usage(hangzhou, 1, 2, 2, 8)}, seen, "CheckFunc calls")
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 5, 2*4+3*8))
	require.Equal(t, ackscale.ClusterScaling, b.getCluster(t, c.ID).State, "cluster state")
	require.Equal(t, append(jobs, task.ID), b.Jobs(), "jobs")
}

// taskStartReserveRefused starts a task whose CheckFunc refuses it.
func taskStartReserveRefused(t *testing.T, b *testBundle) {
	b.startReserving(t, reserving(hangzhou, 2, 4))
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	w := b.workerIn(t, b.newWorkers(b.newTask(c, ackscale.TaskScaleOut), 1)[0], ackscale.NodeRunning)
	jobs := b.Jobs()
	refusal := ackscale.FieldErrorf(ackscale.CodeQuotaExceeded, "count", "quota exceeded")
	var seen []ackscale.QuotaUsage
	task := b.newTask(c, ackscale.TaskScaleOut)
	err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling,
		Removing: []string{w.ClientToken}, Reserve: &ackscale.Reservation{Scope: hangzhou, Instances: 3, VCPUs: 8, CheckFunc: checker(&seen, refusal)}})
	require.Same(t, refusal, err, "the CheckFunc's error, as it is")
	require.Len(t, seen, 1, "CheckFunc calls")
	requireStartWroteNothing(t, b, c, task, jobs)
	require.Equal(t, ackscale.NodeRunning, b.getWorker(t, w).State, "worker")
	b.requireUsage(t, b.usage(hangzhou, 0, 0, 2, 8))
}

// taskStartRefusedReservesNothing starts a reserving task on a cluster in
// the wrong state.
func taskStartRefusedReservesNothing(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterScaling)
	p := ackscale.TaskStartParams{Task: b.newTask(c, ackscale.TaskScaleOut), From: ackscale.ClusterRunning, To: ackscale.ClusterScaling,
		Reserve: reserving(hangzhou, 3, 2)}
	requireStartRefused(t, b, p, ackscale.CodeClusterState)
	b.requireUsage(t, b.usage(hangzhou, 0, 0, 0, 0))
}

// clusterCreateReserves creates a cluster whose create task reserves.
func clusterCreateReserves(t *testing.T, b *testBundle) {
	b.createInstance(t, b.newInstance("vsw-1"))
	b.startReserving(t, reserving(hangzhou, 1, 4))
	var seen []ackscale.QuotaUsage
	c, task := b.newCluster(b.account.ID)
	p := createParams(c, task)
	p.Reserve = &ackscale.Reservation{Scope: hangzhou, Instances: 3, VCPUs: 2, CheckFunc: checker(&seen, nil)}
	require.NoError(t, b.Clusters.ClusterCreate(b.ctx, p))
	require.Equal(t, []ackscale.QuotaUsage{b.usage(hangzhou, 1, 2, 1, 4)}, seen, "CheckFunc calls")
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 4, 4+3*2))
	b.finish(t, task)
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 1, 4), "the create task's reservation ends with it")
}

// clusterCreateReserveRefused creates a cluster whose CheckFunc refuses it.
func clusterCreateReserveRefused(t *testing.T, b *testBundle) {
	refusal := errors.New("refused by the test")
	c, task := b.newCluster(b.account.ID)
	p := createParams(c, task)
	p.Reserve = &ackscale.Reservation{Scope: hangzhou, Instances: 3, VCPUs: 2, CheckFunc: func(ackscale.QuotaUsage) error { return refusal }}
	err := b.Clusters.ClusterCreate(b.ctx, p)
	require.Same(t, refusal, err, "the CheckFunc's error, as it is")
	requireNoCluster(t, b, c.ID)
	b.requireNoPool(t, c.ID, p.DefaultPool.ID)
	b.requireNoTask(t, task.ID)
	require.Empty(t, b.Jobs(), "jobs")
	b.requireUsage(t, b.usage(hangzhou, 0, 0, 0, 0))
}

// taskFinishDropsReservation finishes a task that created one of its three
// instances, well or not.
func taskFinishDropsReservation(t *testing.T, b *testBundle) {
	for _, state := range []ackscale.TaskState{ackscale.TaskSuccess, ackscale.TaskFailed} {
		task := b.startReserving(t, reserving(hangzhou, 3, 2))
		b.createReserved(t, b.newInstance("vsw-1"), task.ID)
		b.requireUsage(t, b.usage(hangzhou, 1, 2, 2, 4), "%s: before", state)
		task.State = state
		require.NoError(t, b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: ackscale.ClusterRunning}))
		b.requireUsage(t, b.usage(hangzhou, 1, 2, 0, 0), "%s: after", state)
		require.NoError(t, b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: b.onlyLive(t).ID, Status: ackscale.InstanceReleased}))
	}
	require.Zero(t, b.runCheck(t).StaleReservations, "stale reservations")
}

// onlyLive returns the one live instance of the caller's account.
func (b *testBundle) onlyLive(t *testing.T) ackscale.Instance {
	t.Helper()
	live, err := b.Cloud.InstanceList(b.ctx, ackscale.InstanceListParams{AccountID: b.account.ID, LiveOnly: true})
	require.NoError(t, err)
	require.Len(t, live, 1, "live instances")
	return live[0]
}

// taskSaveEndedDropsReservation saves a reserving task running, then
// ended.
func taskSaveEndedDropsReservation(t *testing.T, b *testBundle) {
	endedDropsReservation(t, b, func(task ackscale.Task) error { return b.Clusters.TaskSave(b.ctx, task) })
}

// taskPlanEndedDropsReservation: TaskPlan saves as TaskSave does.
func taskPlanEndedDropsReservation(t *testing.T, b *testBundle) {
	endedDropsReservation(t, b, func(task ackscale.Task) error {
		return b.Clusters.TaskPlan(b.ctx, ackscale.TaskPlanParams{Task: task})
	})
}

// endedDropsReservation saves a reserving task running, then ended, with
// save: the reservation stays, then goes.
func endedDropsReservation(t *testing.T, b *testBundle, save func(ackscale.Task) error) {
	task := b.startReserving(t, reserving(hangzhou, 3, 2))
	task.CurrentStage = ackscale.StagePlan
	require.NoError(t, save(task))
	b.requireUsage(t, b.usage(hangzhou, 0, 0, 3, 6), "saved running")
	task.State = ackscale.TaskFailed
	require.NoError(t, save(task))
	b.requireUsage(t, b.usage(hangzhou, 0, 0, 0, 0), "saved failed")
	require.Zero(t, b.runCheck(t).StaleReservations, "stale reservations")
}

// instanceCreateCounts creates instances of two scopes, and one created
// released.
func instanceCreateCounts(t *testing.T, b *testBundle) {
	b.createInstance(t, b.newInstance("vsw-1"))
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 0, 0))
	ens := b.newInstance("cn-xian-telecom")
	ens.RegionID, ens.Kind, ens.VCPUs, ens.InstanceType = "cn-xian-telecom", ackscale.KindENS, 4, "ens.sn1.medium"
	b.createInstance(t, ens)
	b.requireUsage(t, b.usage(ackscale.QuotaScopeENS, 1, 4, 0, 0))
	released := b.newInstance("vsw-1")
	released.Status = ackscale.InstanceReleased
	b.createInstance(t, released)
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 0, 0), "an instance created released is not live")
}

// instanceCreateUsesReservation creates instances with and without a
// task's reservation of two, until it is used up and past.
func instanceCreateUsesReservation(t *testing.T, b *testBundle) {
	task := b.startReserving(t, reserving(hangzhou, 2, 4))
	other := b.startReserving(t, reserving(hangzhou, 1, 4))
	b.createReserved(t, b.newInstance("vsw-1"), "")
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 3, 12), "without Reservation")
	b.createReserved(t, b.newInstance("vsw-1"), task.ID)
	b.requireUsage(t, b.usage(hangzhou, 2, 4, 2, 8), "one of two")
	b.createReserved(t, b.newInstance("vsw-1"), task.ID)
	b.requireUsage(t, b.usage(hangzhou, 3, 6, 1, 4), "two of two")
	b.createReserved(t, b.newInstance("vsw-1"), task.ID)
	b.requireUsage(t, b.usage(hangzhou, 4, 8, 1, 4), "past its reservation: the other task's stays")
	b.createReserved(t, b.newInstance("vsw-1"), ackscale.NewTaskID())
	b.requireUsage(t, b.usage(hangzhou, 5, 10, 1, 4), "a task without a reservation")
	b.createReserved(t, b.newInstance("vsw-1"), other.ID)
	b.requireUsage(t, b.usage(hangzhou, 6, 12, 0, 0))
}

// instanceCreateAgainCountsOnce creates an instance twice with its client
// token, reserved by a task.
func instanceCreateAgainCountsOnce(t *testing.T, b *testBundle) {
	task := b.startReserving(t, reserving(hangzhou, 3, 2))
	first := b.newInstance("vsw-1")
	require.True(t, b.createReserved(t, first, task.ID), "created")
	again := b.newInstance("vsw-1")
	again.ClientToken = first.ClientToken
	require.False(t, b.createReserved(t, again, task.ID), "created again")
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 2, 4))
}

// instanceCreateRefusedCountsNothing creates reserved instances that are
// refused: by CheckFunc, and for a taken IP.
func instanceCreateRefusedCountsNothing(t *testing.T, b *testBundle) {
	task := b.startReserving(t, reserving(hangzhou, 3, 2))
	holder := b.createInstance(t, b.newInstance("vsw-1"))
	refusal := ackscale.CloudErrorf(ackscale.CodeNoStock, "sold out")
	_, _, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: b.newInstance("vsw-1"), Reservation: task.ID,
		CheckFunc: func(ackscale.StockUsage) error { return refusal }})
	require.ErrorIs(t, err, refusal)
	clash := b.newInstance("vsw-1")
	clash.IP = holder.IP
	_, _, err = b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: clash, Reservation: task.ID})
	require.True(t, ackscale.IsConflict(err), "want a conflict, got %v", err)
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 3, 6))
}

// instanceUpdateReleaseUsage releases instances once, twice, and one
// created released, and updates others without releasing them.
func instanceUpdateReleaseUsage(t *testing.T, b *testBundle) {
	update := func(p ackscale.InstanceUpdateParams) {
		t.Helper()
		require.NoError(t, b.Cloud.InstanceUpdate(b.ctx, p), "InstanceUpdate %+v", p)
	}
	pending := b.createInstance(t, b.newInstance("vsw-1"))
	running := b.instanceIn(t, b.newInstance("vsw-1"), ackscale.InstanceRunning)
	released := b.newInstance("vsw-1")
	released.Status = ackscale.InstanceReleased
	b.createInstance(t, released)
	b.requireUsage(t, b.usage(hangzhou, 2, 4, 0, 0))

	update(ackscale.InstanceUpdateParams{ID: pending.ID, ReadyAt: b.now.Add(time.Minute), Detach: true})
	update(ackscale.InstanceUpdateParams{ID: pending.ID, Status: ackscale.InstanceRunning})
	update(ackscale.InstanceUpdateParams{ID: released.ID, Status: ackscale.InstanceReleased})
	b.requireUsage(t, b.usage(hangzhou, 2, 4, 0, 0), "nothing released")
	update(ackscale.InstanceUpdateParams{ID: running.ID, Status: ackscale.InstanceReleased})
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 0, 0), "released once")
	update(ackscale.InstanceUpdateParams{ID: running.ID, Status: ackscale.InstanceReleased})
	b.requireUsage(t, b.usage(hangzhou, 1, 2, 0, 0), "released twice")
	err := b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: running.ID, Status: ackscale.InstanceRunning})
	requireTransition(t, err, "instance")
	update(ackscale.InstanceUpdateParams{ID: pending.ID, Status: ackscale.InstanceReleased})
	b.requireUsage(t, b.usage(hangzhou, 0, 0, 0, 0), "all released")
}

// checkQuotaInvariants mixes reservations, creates, releases and task
// ends, and checks after each that the counters agree with the live
// instances and that no ended task holds a reservation. The contracts
// give no way to make them disagree.
func checkQuotaInvariants(t *testing.T, b *testBundle) {
	requireAgree := func(step string) {
		t.Helper()
		got := b.runCheck(t)
		require.Zero(t, got.QuotaDrift, "%s: quota drift", step)
		require.Zero(t, got.StaleReservations, "%s: stale reservations", step)
	}
	scaling := b.startReserving(t, reserving(hangzhou, 3, 2))
	c, create := b.newCluster(b.other.ID)
	p := createParams(c, create)
	p.Reserve = reserving(hangzhou, 2, 2)
	require.NoError(t, b.Clusters.ClusterCreate(b.ctx, p))
	requireAgree("reserved")
	var ins []ackscale.Instance
	for i := range 4 {
		in := b.newInstance(fmt.Sprintf("vsw-%d", i%2))
		b.createReserved(t, in, scaling.ID)
		b.createReserved(t, in, scaling.ID) // again: created once
		ins = append(ins, in)
	}
	theirs := b.newInstance("vsw-1")
	theirs.AccountID = b.other.ID
	b.createReserved(t, theirs, create.ID)
	requireAgree("created")
	for _, in := range ins[:2] {
		for range 2 {
			require.NoError(t, b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: in.ID, Status: ackscale.InstanceReleased}))
		}
	}
	requireAgree("released")
	b.finish(t, scaling)
	create.State = ackscale.TaskFailed
	require.NoError(t, b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: create, ClusterState: ackscale.ClusterFailed}))
	requireAgree("finished")
	b.requireUsage(t, b.usage(hangzhou, 2, 4, 0, 0))
}

// raceReservations starts a reserving scale-out of three instances on
// each of racers clusters of one account at once, under a quota of limit
// instances: exactly limit/3 are accepted, which only a store that
// serializes the acceptances (each reading the reservations of those
// before it) achieves.
func raceReservations(limit int) func(t *testing.T, b *testBundle) {
	return func(t *testing.T, b *testBundle) {
		const each = 3
		refusal := errors.New("quota exceeded")
		reserve := &ackscale.Reservation{Scope: hangzhou, Instances: each, VCPUs: 2, CheckFunc: func(u ackscale.QuotaUsage) error {
			if u.Instances+u.ReservedInstances+each > limit {
				return refusal
			}
			return nil
		}}
		tasks := make([]ackscale.Task, racers)
		for i := range tasks {
			c, _ := b.clusterIn(t, ackscale.ClusterRunning)
			tasks[i] = b.newTask(c, ackscale.TaskScaleOut)
		}
		jobs := b.Jobs()
		errs := race(func(i int) error {
			return b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: tasks[i], From: ackscale.ClusterRunning,
				To: ackscale.ClusterScaling, Reserve: reserve})
		})
		var won []string
		for i, err := range errs {
			if err == nil {
				won = append(won, tasks[i].ID)
				continue
			}
			require.ErrorIs(t, err, refusal, "TaskStart %d", i)
			b.requireNoTask(t, tasks[i].ID)
		}
		accepted := limit / each
		require.Len(t, won, accepted, "accepted starts")
		require.ElementsMatch(t, append(jobs, won...), b.Jobs(), "jobs")
		b.requireUsage(t, b.usage(hangzhou, 0, 0, accepted*each, accepted*each*2))
	}
}

// raceInstanceCreate creates racers instances at once, two by two with
// the same client token, all using up one task's reservation.
func raceInstanceCreate(t *testing.T, b *testBundle) {
	task := b.startReserving(t, reserving(hangzhou, racers/2+1, 2))
	ins := make([]ackscale.Instance, racers)
	for i := range ins {
		ins[i] = b.newInstance("vsw-1")
		if i%2 == 1 {
			ins[i].ClientToken = ins[i-1].ClientToken
		}
	}
	errs := make([]error, racers)
	created := race(func(i int) bool {
		_, ok, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: ins[i], Reservation: task.ID})
		errs[i] = err
		return ok
	})
	require.Empty(t, nonNilErrors(errs), "InstanceCreate errors")
	require.Equal(t, racers/2, count(created), "created")
	b.requireUsage(t, b.usage(hangzhou, racers/2, racers, 1, 2))
	require.Zero(t, b.runCheck(t).QuotaDrift, "quota drift")
}
