package storetest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// busyPoolStates lists the pool states an operation holds a pool in.
func busyPoolStates() []ackscale.NodePoolState {
	var out []ackscale.NodePoolState
	for _, s := range ackscale.NodePoolStates() {
		if s.Busy() {
			out = append(out, s)
		}
	}
	return out
}

// taskStartPools are TaskStart's subtests about node pools.
func (s suite) taskStartPools(t *testing.T) {
	s.run(t, "pool task: the cluster must be running, and does not move", taskStartPoolClusterRunning)
	s.run(t, "pool task: another account's cluster is CodeClusterNotFound", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		np := b.newPool(c, "new")
		task := b.newPoolTask(c, ackscale.TaskNodePoolCreate, np.ID)
		task.AccountID = b.other.ID
		requireStartRefused(t, b, ackscale.TaskStartParams{Task: task, NewPool: &np}, ackscale.CodeClusterNotFound)
		b.requireNoPool(t, c.ID, np.ID)
	})
	s.run(t, "Pools: legal moves", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		for from, to := range poolMoves(true) {
			t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) { taskStartPoolLegal(t, b, c, from, to) })
		}
	})
	s.run(t, "Pools: illegal moves are a TransitionError and write nothing", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		for from, to := range poolMoves(false) {
			t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) { taskStartPoolIllegal(t, b, c, from, to) })
		}
	})
	s.run(t, "Pools: a busy pool refuses another task with CodeNodePoolState", taskStartPoolBusy)
	s.run(t, "Pools: an unknown, deleted or other cluster's pool is CodeNodePoolNotFound", taskStartPoolNotFound)
	s.run(t, "Pools: two pools of one cluster each start a task", taskStartTwoPools)
	s.run(t, "Pools: a Spec replaces the pool's spec, and its name", taskStartPoolSpec)
	s.run(t, "a cluster's task is refused while a pool of it is busy", taskStartClusterPoolBusy)
	s.run(t, "a cluster's task is not refused by a busy pool that it moves itself", taskStartClusterMovesBusyPool)
	s.run(t, "NewPool is inserted, the cluster's, in its task type's pool state", taskStartNewPool)
	s.run(t, "NewPool: another state is a TransitionError; a taken id a conflict; neither writes", taskStartNewPoolRefused)
	s.run(t, "Pools, NewPool, Removing, Reserve: any failure writes nothing", taskStartPoolsAllOrNothing)
}

// taskStartPoolClusterRunning starts a pool's task on a cluster in each
// state.
func taskStartPoolClusterRunning(t *testing.T, b *testBundle) {
	for _, state := range ackscale.ClusterStates() {
		t.Run(string(state), func(t *testing.T) {
			c, _ := b.clusterIn(t, state)
			np := b.newPool(c, "new")
			p := ackscale.TaskStartParams{Task: b.newPoolTask(c, ackscale.TaskNodePoolCreate, np.ID), NewPool: &np}
			switch state {
			case ackscale.ClusterRunning:
				jobs := b.Jobs()
				require.NoError(t, b.Clusters.TaskStart(b.ctx, p))
				require.Equal(t, normCluster(c), normCluster(b.getCluster(t, c.ID)), "the cluster does not move")
				require.Equal(t, ackscale.TaskNodePoolCreate.PoolStateWhile(), b.getPool(t, c.ID, np.ID).State, "pool state")
				require.Equal(t, normTask(p.Task), normTask(b.getTask(t, p.Task.ID)), "task")
				require.Equal(t, append(jobs, p.Task.ID), b.Jobs(), "jobs")
			case ackscale.ClusterDeleted:
				requireStartRefused(t, b, p, ackscale.CodeClusterNotFound)
				b.requireNoPool(t, c.ID, np.ID)
			default:
				err := requireStartRefused(t, b, p, ackscale.CodeClusterState)
				require.True(t, ackscale.IsConflict(err))
				require.Contains(t, err.Error(), fmt.Sprintf("cluster %s is %s; it must be running", c.ID, state))
				b.requireNoPool(t, c.ID, np.ID)
			}
		})
	}
}

func taskStartPoolLegal(t *testing.T, b *testBundle, c ackscale.Cluster, from, to ackscale.NodePoolState) {
	np, _ := b.poolIn(t, c, from)
	jobs := b.Jobs()
	task := b.newPoolTask(c, ackscale.TaskNodePoolUpdate, np.ID)
	err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, Pools: []ackscale.PoolMove{{ID: np.ID, From: from, To: to}}})
	require.NoError(t, err, "TaskStart pool %s→%s", from, to)
	np.State = to
	require.Equal(t, normPool(np), normPool(b.getPool(t, c.ID, np.ID)), "pool")
	require.Equal(t, normTask(task), normTask(b.getTask(t, task.ID)), "task")
	require.Equal(t, append(jobs, task.ID), b.Jobs(), "jobs")
	require.Equal(t, ackscale.ClusterRunning, b.getCluster(t, c.ID).State, "cluster state")
}

func taskStartPoolIllegal(t *testing.T, b *testBundle, c ackscale.Cluster, from, to ackscale.NodePoolState) {
	np, _ := b.poolIn(t, c, from)
	jobs := b.Jobs()
	task := b.newPoolTask(c, ackscale.TaskNodePoolUpdate, np.ID)
	err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, Pools: []ackscale.PoolMove{{ID: np.ID, From: from, To: to}}})
	requireTransition(t, err, "node pool", "TaskStart pool %s→%s", from, to)
	requireStartWroteNothing(t, b, c, task, jobs)
	require.Equal(t, normPool(np), normPool(b.getPool(t, c.ID, np.ID)), "pool")
}

// taskStartPoolBusy starts a pool task on a pool another task holds, in
// each busy state.
func taskStartPoolBusy(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	for _, state := range busyPoolStates() {
		np, _ := b.poolIn(t, c, state)
		p := ackscale.TaskStartParams{Task: b.newPoolTask(c, ackscale.TaskNodePoolUpdate, np.ID),
			Pools: []ackscale.PoolMove{{ID: np.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolUpdating}}}
		err := requireStartRefused(t, b, p, ackscale.CodeNodePoolState)
		require.True(t, ackscale.IsConflict(err), "CodeNodePoolState is a conflict")
		require.Contains(t, err.Error(), fmt.Sprintf("node pool %s is %s", np.ID, state))
		require.Equal(t, normPool(np), normPool(b.getPool(t, c.ID, np.ID)), "pool")
	}
}

func taskStartPoolNotFound(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	other, _ := b.clusterIn(t, ackscale.ClusterRunning)
	deleted, _ := b.poolIn(t, c, ackscale.NodePoolDeleted)
	elsewhere, _ := b.poolIn(t, other, ackscale.NodePoolActive)
	for name, id := range map[string]string{"unknown": ackscale.NewNodePoolID(), "deleted": deleted.ID, "other cluster's": elsewhere.ID,
		"other cluster's default": b.defaultPoolOf(t, other.ID).ID} {
		p := ackscale.TaskStartParams{Task: b.newPoolTask(c, ackscale.TaskNodePoolUpdate, id),
			Pools: []ackscale.PoolMove{{ID: id, From: ackscale.NodePoolActive, To: ackscale.NodePoolUpdating}}}
		err := requireStartRefused(t, b, p, ackscale.CodeNodePoolNotFound)
		require.True(t, ackscale.IsNotFound(err), name)
	}
	require.Equal(t, normPool(elsewhere), normPool(b.getPool(t, other.ID, elsewhere.ID)), "the other cluster's pool")
}

func taskStartTwoPools(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	first, _ := b.poolIn(t, c, ackscale.NodePoolActive)
	second, _ := b.poolIn(t, c, ackscale.NodePoolActive)
	for _, m := range []struct {
		np  ackscale.NodePool
		typ ackscale.TaskType
	}{{first, ackscale.TaskNodePoolUpdate}, {second, ackscale.TaskNodePoolScaleIn}} {
		task := b.newPoolTask(c, m.typ, m.np.ID)
		err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task,
			Pools: []ackscale.PoolMove{{ID: m.np.ID, From: ackscale.NodePoolActive, To: m.typ.PoolStateWhile()}}})
		require.NoError(t, err, "TaskStart %s", m.typ)
	}
	require.Equal(t, ackscale.NodePoolUpdating, b.getPool(t, c.ID, first.ID).State)
	require.Equal(t, ackscale.NodePoolRemoving, b.getPool(t, c.ID, second.ID).State)
	require.Equal(t, ackscale.ClusterRunning, b.getCluster(t, c.ID).State)
}

// taskStartPoolSpec starts a task that replaces a pool's spec, and one
// that moves another pool without a Spec.
func taskStartPoolSpec(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	np, _ := b.poolIn(t, c, ackscale.NodePoolActive)
	kept, _ := b.poolIn(t, c, ackscale.NodePoolActive)
	spec := np.Spec
	spec.Name, spec.DesiredSize, spec.Unschedulable = "renamed", 5, false
	spec.Workers.InstanceTypes = []string{"ecs.g7.large", "ecs.g6.large"}
	spec.Config = json.RawMessage(`{"nodepool_info":{"name":"renamed"},"scaling_group":{"desired_size":5}}`)
	task := b.newPoolTask(c, ackscale.TaskNodePoolScaleOut, np.ID)
	err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task,
		Pools: []ackscale.PoolMove{{ID: np.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolScaling, Spec: &spec}}})
	require.NoError(t, err)
	require.Equal(t, spec, b.getPool(t, c.ID, np.ID).Spec, "spec")
	renamed, err := b.Clusters.NodePoolList(b.ctx, ackscale.NodePoolListParams{ClusterID: c.ID, Name: "renamed"})
	require.NoError(t, err)
	require.Equal(t, []string{np.ID}, poolIDs(renamed), "listed by its new name")
	old, err := b.Clusters.NodePoolList(b.ctx, ackscale.NodePoolListParams{ClusterID: c.ID, Name: np.Spec.Name})
	require.NoError(t, err)
	require.Empty(t, old, "not by its old one")

	task = b.newPoolTask(c, ackscale.TaskNodePoolUpdate, kept.ID)
	err = b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task,
		Pools: []ackscale.PoolMove{{ID: kept.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolUpdating}}})
	require.NoError(t, err)
	require.Equal(t, kept.Spec, b.getPool(t, c.ID, kept.ID).Spec, "no Spec: the spec stays")
}

// taskStartClusterPoolBusy starts a cluster's delete while a pool is in
// each busy state.
func taskStartClusterPoolBusy(t *testing.T, b *testBundle) {
	for _, state := range busyPoolStates() {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		np, _ := b.poolIn(t, c, state)
		p := ackscale.TaskStartParams{Task: b.newTask(c, ackscale.TaskDeleteCluster), From: ackscale.ClusterRunning, To: ackscale.ClusterDeleting}
		err := requireStartRefused(t, b, p, ackscale.CodeClusterState)
		require.Contains(t, err.Error(), np.ID, "the message names the pool")
		require.Contains(t, err.Error(), string(state), "and its state")
	}
}

// taskStartClusterMovesBusyPool starts a cluster's scale-out that moves
// the default pool while two other pools are busy: refused while it does
// not move both of them too.
func taskStartClusterMovesBusyPool(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	def := b.defaultPoolOf(t, c.ID)
	updating, _ := b.poolIn(t, c, ackscale.NodePoolUpdating)
	removing, _ := b.poolIn(t, c, ackscale.NodePoolRemoving)
	moves := []ackscale.PoolMove{{ID: def.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolScaling},
		{ID: updating.ID, From: ackscale.NodePoolUpdating, To: ackscale.NodePoolActive}}
	p := ackscale.TaskStartParams{Task: b.newPoolTask(c, ackscale.TaskScaleOut, def.ID), From: ackscale.ClusterRunning,
		To: ackscale.ClusterScaling, Pools: moves}
	err := requireStartRefused(t, b, p, ackscale.CodeClusterState)
	require.Contains(t, err.Error(), removing.ID, "the pool it does not move")
	for _, np := range []ackscale.NodePool{def, updating, removing} {
		require.Equal(t, normPool(np), normPool(b.getPool(t, c.ID, np.ID)), "pool %s", np.ID)
	}

	p.Pools = append(moves, ackscale.PoolMove{ID: removing.ID, From: ackscale.NodePoolRemoving, To: ackscale.NodePoolActive})
	require.NoError(t, b.Clusters.TaskStart(b.ctx, p))
	require.Equal(t, ackscale.ClusterScaling, b.getCluster(t, c.ID).State, "cluster state")
	for id, want := range map[string]ackscale.NodePoolState{def.ID: ackscale.NodePoolScaling,
		updating.ID: ackscale.NodePoolActive, removing.ID: ackscale.NodePoolActive} {
		require.Equal(t, want, b.getPool(t, c.ID, id).State, "pool %s", id)
	}
}

// taskStartNewPool starts a task of each type but the cluster's create
// with a NewPool that names no cluster nor account.
func taskStartNewPool(t *testing.T, b *testBundle) {
	for _, typ := range ackscale.TaskTypes() {
		if typ == ackscale.TaskCreateCluster || typ.EndsAtOnce() { // never started
			continue
		}
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		np := b.newPool(c, string(typ))
		np.ClusterID, np.AccountID = "", ""
		p := ackscale.TaskStartParams{Task: b.newPoolTask(c, typ, np.ID), NewPool: &np}
		if !typ.IsNodePool() {
			p.From, p.To = ackscale.ClusterRunning, typ.ClusterStateWhile()
		}
		require.NoError(t, b.Clusters.TaskStart(b.ctx, p), typ)
		want := np
		want.ClusterID, want.AccountID = c.ID, c.AccountID
		want.State = cmp.Or(typ.PoolStateWhile(), ackscale.NodePoolActive)
		require.Equal(t, normPool(want), normPool(b.getPool(t, c.ID, np.ID)), typ)
	}
}

func taskStartNewPoolRefused(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	start := func(np ackscale.NodePool) error {
		t.Helper()
		jobs := b.Jobs()
		task := b.newPoolTask(c, ackscale.TaskNodePoolCreate, np.ID)
		err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, NewPool: &np})
		requireStartWroteNothing(t, b, c, task, jobs)
		return err
	}
	for _, state := range ackscale.NodePoolStates() {
		if state == ackscale.TaskNodePoolCreate.PoolStateWhile() {
			continue
		}
		np := b.newPool(c, "born")
		np.State = state
		requireTransition(t, start(np), "node pool", state)
		b.requireNoPool(t, c.ID, np.ID)
	}
	def := b.defaultPoolOf(t, c.ID)
	taken := b.newPool(c, "taken")
	taken.ID = def.ID
	require.True(t, ackscale.IsConflict(start(taken)), "a taken id")
	require.Equal(t, normPool(def), normPool(b.getPool(t, c.ID, def.ID)), "the pool that has the id")
	second := b.newPool(c, "second default")
	second.IsDefault = true
	require.Error(t, start(second), "a second default pool")
	b.requireNoPool(t, c.ID, second.ID)
}

// taskStartPoolsAllOrNothing starts a pool task that moves a pool with a
// new spec, inserts a new pool, removes a worker and reserves quota, and
// makes one part of it fail in each case.
func taskStartPoolsAllOrNothing(t *testing.T, b *testBundle) {
	refusal := errors.New("refused by the test")
	for _, tc := range []struct {
		name  string
		spoil func(p *ackscale.TaskStartParams, f poolFixture)
		check func(t *testing.T, err error)
	}{
		{"a second pool not in its From", func(p *ackscale.TaskStartParams, f poolFixture) {
			p.Pools = append(p.Pools, ackscale.PoolMove{ID: f.busy.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolUpdating})
		}, requireCode(ackscale.CodeNodePoolState)},
		{"an unknown pool", func(p *ackscale.TaskStartParams, _ poolFixture) {
			p.Pools = append(p.Pools, ackscale.PoolMove{ID: ackscale.NewNodePoolID(), From: ackscale.NodePoolActive, To: ackscale.NodePoolUpdating})
		}, requireCode(ackscale.CodeNodePoolNotFound)},
		{"a pool move the table forbids", func(p *ackscale.TaskStartParams, f poolFixture) {
			p.Pools = append(p.Pools, ackscale.PoolMove{ID: f.idle.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolDeleted})
		}, func(t *testing.T, err error) { requireTransition(t, err, "node pool") }},
		{"NewPool's id is taken", func(p *ackscale.TaskStartParams, f poolFixture) { p.NewPool.ID = f.idle.ID },
			func(t *testing.T, err error) { require.True(t, ackscale.IsConflict(err), "%v", err) }},
		{"NewPool's Config is not JSON", func(p *ackscale.TaskStartParams, _ poolFixture) { p.NewPool.Spec.Config = json.RawMessage(`{`) },
			func(t *testing.T, err error) { require.Error(t, err) }},
		{"a Removing worker that may not be removed", func(p *ackscale.TaskStartParams, f poolFixture) {
			p.Removing = append(p.Removing, f.starting.ClientToken)
		}, func(t *testing.T, err error) { requireTransition(t, err, "worker") }},
		{"a Removing worker of another cluster", func(p *ackscale.TaskStartParams, f poolFixture) {
			p.Removing = append(p.Removing, f.elsewhere.ClientToken)
		}, requireCode(ackscale.CodeNodeNotFound)},
		{"the reservation is refused", func(p *ackscale.TaskStartParams, _ poolFixture) {
			p.Reserve.CheckFunc = func(ackscale.QuotaUsage) error { return refusal }
		}, func(t *testing.T, err error) { require.Same(t, refusal, err) }},
		{"the task's id is taken", func(p *ackscale.TaskStartParams, f poolFixture) { p.Task.ID = f.busyTask.ID },
			func(t *testing.T, err error) { require.True(t, ackscale.IsConflict(err), "%v", err) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := b.poolFixture(t)
			p := f.params(b)
			tc.spoil(&p, f)
			jobs := b.Jobs()
			busyTask := b.getTask(t, f.busyTask.ID)
			err := b.Clusters.TaskStart(b.ctx, p)
			tc.check(t, err)
			if p.Task.ID != f.busyTask.ID {
				b.requireNoTask(t, p.Task.ID)
			}
			require.Equal(t, normTask(busyTask), normTask(b.getTask(t, f.busyTask.ID)), "the other task")
			require.Equal(t, jobs, b.Jobs(), "jobs")
			require.Equal(t, ackscale.ClusterRunning, b.getCluster(t, f.c.ID).State, "cluster state")
			for _, np := range []ackscale.NodePool{f.moved, f.idle, f.busy} {
				require.Equal(t, normPool(np), normPool(b.getPool(t, f.c.ID, np.ID)), "pool %s", np.Spec.Name)
			}
			if p.NewPool.ID != f.idle.ID {
				b.requireNoPool(t, f.c.ID, p.NewPool.ID)
			}
			require.Equal(t, map[string]ackscale.NodeState{f.running.ClientToken: ackscale.NodeRunning,
				f.starting.ClientToken: ackscale.NodeStarting}, b.clusterWorkers(t, f.c.ID), "workers")
			b.requireUsage(t, b.usage(hangzhou, 0, 0, 0, 0))
		})
	}
}

// requireCode returns a check that err has the code.
func requireCode(code string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		require.Equal(t, code, ackscale.ErrorCode(err), "%v", err)
	}
}

// poolFixture is a running cluster with three pools (one to move, one
// idle, one busy) and two workers of the moved pool, and a worker of
// another cluster.
type poolFixture struct {
	c                 ackscale.Cluster
	moved, idle, busy ackscale.NodePool
	busyTask          ackscale.Task
	running, starting ackscale.Worker
	elsewhere         ackscale.Worker
}

func (b *testBundle) poolFixture(t *testing.T) poolFixture {
	t.Helper()
	var f poolFixture
	f.c, _ = b.clusterIn(t, ackscale.ClusterRunning)
	f.moved, _ = b.poolIn(t, f.c, ackscale.NodePoolActive)
	f.idle, _ = b.poolIn(t, f.c, ackscale.NodePoolActive)
	f.busy, f.busyTask = b.poolIn(t, f.c, ackscale.NodePoolScaling)
	ws := b.newWorkers(b.newPoolTask(f.c, ackscale.TaskNodePoolScaleOut, f.moved.ID), 2)
	f.running, f.starting = b.workerIn(t, ws[0], ackscale.NodeRunning), b.workerIn(t, ws[1], ackscale.NodeStarting)
	other, _ := b.clusterIn(t, ackscale.ClusterRunning)
	f.elsewhere = b.workerIn(t, b.newWorkers(b.newTask(other, ackscale.TaskScaleOut), 1)[0], ackscale.NodeRunning)
	return f
}

// params start a pool task that would succeed: it moves f.moved with a new
// spec, inserts a new pool, removes f.running and reserves quota.
func (f poolFixture) params(b *testBundle) ackscale.TaskStartParams {
	spec := f.moved.Spec
	spec.DesiredSize = 1
	np := b.newPool(f.c, "new")
	return ackscale.TaskStartParams{
		Task:     b.newPoolTask(f.c, ackscale.TaskNodePoolRemoveNodes, f.moved.ID),
		Pools:    []ackscale.PoolMove{{ID: f.moved.ID, From: ackscale.NodePoolActive, To: ackscale.NodePoolRemoving, Spec: &spec}},
		NewPool:  &np,
		Removing: []string{f.running.ClientToken},
		Reserve:  reserving(hangzhou, 2, 2),
	}
}
