package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// taskFinishPools are TaskFinish's subtests about node pools.
func (s suite) taskFinishPools(t *testing.T) {
	s.run(t, "moves the task's pools by the table, saving the task with them or not at all", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		for _, from := range busyPoolStates() {
			for _, to := range append(ackscale.NodePoolStates(), "") {
				t.Run(fmt.Sprintf("%s→%q", from, to), func(t *testing.T) { taskFinishPoolMove(t, b, c, from, to) })
			}
		}
	})
	s.run(t, "a scale-out that made 3 workers leaves its pool desiring 3", taskFinishScaleOutResyncs)
	s.run(t, "a rolled back scale-out leaves its pool desiring its worker count", taskFinishRollbackResyncs)
	s.run(t, "DeleteWorkers forgets the task's workers before the pools count theirs", taskFinishDeletesWorkers)
	s.run(t, "DeleteWorkers of a refused finish forgets nothing", taskFinishRefusedKeepsWorkers)
	s.run(t, "a pool moved to deleted keeps its spec", taskFinishDeleteKeepsSpec)
	s.run(t, "a deleted pool is left as it is", taskFinishDeletedPool)
	s.run(t, "an unknown or other cluster's pool is CodeNodePoolNotFound and writes nothing", taskFinishPoolNotFound)
	s.run(t, "a cluster's task moves its cluster and its pools together, or neither", taskFinishClusterAndPools)
}

func taskFinishPoolMove(t *testing.T, b *testBundle, c ackscale.Cluster, from, to ackscale.NodePoolState) {
	np, task := b.poolIn(t, c, from)
	before := b.getTask(t, task.ID)
	task.State, task.CurrentStage = ackscale.TaskSuccess, ackscale.StageDone
	err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, PoolState: to})
	if to != "" && !from.CanMoveTo(to) {
		requireTransition(t, err, "node pool", "TaskFinish pool %s→%s", from, to)
		require.Equal(t, normPool(np), normPool(b.getPool(t, c.ID, np.ID)), "pool")
		require.Equal(t, normTask(before), normTask(b.getTask(t, task.ID)), "the task must not be saved")
		return
	}
	require.NoError(t, err, "TaskFinish pool %s→%q", from, to)
	require.Equal(t, normTask(task), normTask(b.getTask(t, task.ID)), "task")
	require.Equal(t, cmp.Or(to, from), b.getPool(t, c.ID, np.ID).State, "pool state")
	require.Equal(t, ackscale.ClusterRunning, b.getCluster(t, c.ID).State, "cluster state")
}

// startPoolTask starts a pool task of type typ on active pool np, giving
// it spec (when not nil), and returns the task.
func (b *testBundle) startPoolTask(t *testing.T, c ackscale.Cluster, np ackscale.NodePool, typ ackscale.TaskType,
	spec *ackscale.NodePoolSpec) ackscale.Task {
	t.Helper()
	task := b.newPoolTask(c, typ, np.ID)
	err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task,
		Pools: []ackscale.PoolMove{{ID: np.ID, From: ackscale.NodePoolActive, To: typ.PoolStateWhile(), Spec: spec}}})
	require.NoError(t, err, "TaskStart %s", typ)
	return task
}

// scaledPool stores an active pool of c that a finished scale-out gave n
// workers, and returns it and the workers.
func (b *testBundle) scaledPool(t *testing.T, c ackscale.Cluster, n int) (ackscale.NodePool, []ackscale.Worker) {
	t.Helper()
	np, _ := b.poolIn(t, c, ackscale.NodePoolActive)
	scale := b.startPoolTask(t, c, np, ackscale.TaskNodePoolScaleOut, nil)
	ws := b.newWorkers(scale, n)
	b.insertWorkers(t, ws...)
	b.finishPoolTask(t, scale, true)
	return np, ws
}

// finishPoolTask ends a pool task, well (ok) or not, moving its pools to
// its type's state after.
func (b *testBundle) finishPoolTask(t *testing.T, task ackscale.Task, ok bool) {
	t.Helper()
	task.State = ackscale.TaskSuccess
	if !ok {
		task.State = ackscale.TaskFailed
	}
	err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, PoolState: task.Type.PoolStateAfter(ok)})
	require.NoError(t, err, "TaskFinish %s", task.Type)
}

// taskFinishScaleOutResyncs scales a pool out to 3 while another pool of
// the cluster, and another cluster, have workers too.
func taskFinishScaleOutResyncs(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	np, _ := b.poolIn(t, c, ackscale.NodePoolActive)
	other, _ := b.poolIn(t, c, ackscale.NodePoolActive)
	b.insertWorkers(t, b.newWorkers(b.newPoolTask(c, ackscale.TaskNodePoolScaleOut, other.ID), 2)...)
	spec := np.Spec
	spec.DesiredSize = 3
	task := b.startPoolTask(t, c, np, ackscale.TaskNodePoolScaleOut, &spec)
	ws := b.newWorkers(task, 3)
	for i, state := range []ackscale.NodeState{ackscale.NodeRunning, ackscale.NodeFailed, ackscale.NodeStarting} {
		b.workerIn(t, ws[i], state) // any state counts
	}
	b.finishPoolTask(t, task, true)
	got := b.getPool(t, c.ID, np.ID)
	require.Equal(t, ackscale.NodePoolActive, got.State)
	require.Equal(t, spec, got.Spec, "desired 3, the rest as the task set it")
	require.Zero(t, b.getPool(t, c.ID, other.ID).Spec.DesiredSize, "a pool the task did not work on keeps its spec")
}

// taskFinishRollbackResyncs scales a pool of 2 out to 5, and rolls the 3
// new workers back.
func taskFinishRollbackResyncs(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	np, _ := b.poolIn(t, c, ackscale.NodePoolActive)
	first := b.startPoolTask(t, c, np, ackscale.TaskNodePoolScaleOut, nil)
	b.insertWorkers(t, b.newWorkers(first, 2)...)
	b.finishPoolTask(t, first, true)
	require.Equal(t, 2, b.getPool(t, c.ID, np.ID).Spec.DesiredSize, "after the first scale-out")

	spec := b.getPool(t, c.ID, np.ID).Spec
	spec.DesiredSize = 5
	task := b.startPoolTask(t, c, np, ackscale.TaskNodePoolScaleOut, &spec)
	require.Equal(t, 5, b.getPool(t, c.ID, np.ID).Spec.DesiredSize, "while the task runs, its target")
	ws := b.newWorkers(task, 3)
	b.insertWorkers(t, ws...)
	for _, w := range ws {
		require.NoError(t, b.Workers.WorkerDelete(b.ctx, w.ClientToken), "rollback")
	}
	b.finishPoolTask(t, task, false)
	got := b.getPool(t, c.ID, np.ID)
	require.Equal(t, ackscale.NodePoolActive, got.State)
	require.Equal(t, 2, got.Spec.DesiredSize)
}

// taskFinishDeletesWorkers rolls a pool's scale-out back with
// DeleteWorkers: its 3 workers go, the pool's first 2 and another
// cluster's workers stay, and the pool desires the 2.
func taskFinishDeletesWorkers(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	np, kept := b.scaledPool(t, c, 2)
	other, _ := b.clusterIn(t, ackscale.ClusterRunning)
	otherPool, _ := b.poolIn(t, other, ackscale.NodePoolActive)
	b.insertWorkers(t, b.newWorkers(b.newPoolTask(other, ackscale.TaskNodePoolScaleOut, otherPool.ID), 1)...)

	task := b.startPoolTask(t, c, np, ackscale.TaskNodePoolScaleOut, nil)
	b.insertWorkers(t, b.newWorkers(task, 3)...)
	require.Len(t, b.clusterWorkers(t, c.ID), 5, "before the finish")
	task.State = ackscale.TaskFailed
	err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, PoolState: task.Type.PoolStateAfter(false), DeleteWorkers: true})
	require.NoError(t, err)
	want := map[string]ackscale.NodeState{}
	for _, w := range kept {
		want[w.ClientToken] = w.State
	}
	require.Equal(t, want, b.clusterWorkers(t, c.ID), "the first task's workers, only")
	require.Len(t, b.clusterWorkers(t, other.ID), 1, "the other cluster's worker")
	require.Equal(t, 2, b.getPool(t, c.ID, np.ID).Spec.DesiredSize)
	n, err := b.Workers.WorkerCount(b.ctx, c.ID)
	require.NoError(t, err)
	require.Equal(t, 2, n, "WorkerCount")
}

// taskFinishRefusedKeepsWorkers finishes a task that has ended already,
// with DeleteWorkers: refused, its workers stay.
func taskFinishRefusedKeepsWorkers(t *testing.T, b *testBundle) {
	c, task := b.clusterIn(t, ackscale.ClusterScaling)
	ws := b.newWorkers(task, 2)
	b.insertWorkers(t, ws...)
	task.State = ackscale.TaskSuccess
	require.NoError(t, b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: ackscale.ClusterRunning}))
	task.State = ackscale.TaskFailed
	err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, DeleteWorkers: true})
	requireTransition(t, err, "task")
	require.Len(t, b.clusterWorkers(t, c.ID), 2, "the workers must stay")
}

// taskFinishDeleteKeepsSpec deletes a pool of 2 workers, one of which is
// still there when the task ends.
func taskFinishDeleteKeepsSpec(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	np, ws := b.scaledPool(t, c, 2)
	before := b.getPool(t, c.ID, np.ID)
	del := b.startPoolTask(t, c, np, ackscale.TaskNodePoolDelete, nil)
	require.NoError(t, b.Workers.WorkerDelete(b.ctx, ws[0].ClientToken))
	b.finishPoolTask(t, del, true)
	got := b.getPool(t, c.ID, np.ID)
	require.Equal(t, ackscale.NodePoolDeleted, got.State)
	require.Equal(t, before.Spec, got.Spec)
}

// taskFinishDeletedPool finishes a task whose pools include a deleted one.
func taskFinishDeletedPool(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	np, task := b.poolIn(t, c, ackscale.NodePoolScaling)
	gone, _ := b.poolIn(t, c, ackscale.NodePoolDeleted)
	task.Params.NodePoolIDs = append(task.Params.NodePoolIDs, gone.ID)
	b.finishPoolTask(t, task, true)
	require.Equal(t, ackscale.NodePoolActive, b.getPool(t, c.ID, np.ID).State)
	require.Equal(t, normPool(gone), normPool(b.getPool(t, c.ID, gone.ID)), "the deleted pool")
}

func taskFinishPoolNotFound(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	other, _ := b.clusterIn(t, ackscale.ClusterRunning)
	for name, id := range map[string]string{"unknown": ackscale.NewNodePoolID(), "other cluster's": b.defaultPoolOf(t, other.ID).ID} {
		np, task := b.poolIn(t, c, ackscale.NodePoolScaling)
		before := b.getTask(t, task.ID)
		task.Params.NodePoolIDs = append(task.Params.NodePoolIDs, id)
		task.State = ackscale.TaskSuccess
		err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, PoolState: ackscale.NodePoolActive})
		require.Equal(t, ackscale.CodeNodePoolNotFound, ackscale.ErrorCode(err), name)
		require.Equal(t, normPool(np), normPool(b.getPool(t, c.ID, np.ID)), "%s: the task's other pool", name)
		require.Equal(t, normTask(before), normTask(b.getTask(t, task.ID)), "%s: the task must not be saved", name)
	}
	require.Equal(t, ackscale.NodePoolActive, b.defaultPoolOf(t, other.ID).State, "the other cluster's pool")
}

// taskFinishClusterAndPools finishes a cluster's scale-out that holds its
// default pool: a cluster move the table forbids, a pool move it forbids,
// then both allowed.
func taskFinishClusterAndPools(t *testing.T, b *testBundle) {
	c, task := b.clusterIn(t, ackscale.ClusterScaling)
	def := b.defaultPoolOf(t, c.ID)
	require.Equal(t, ackscale.NodePoolScaling, def.State, "the scale-out holds the default pool")
	require.Equal(t, []string{def.ID}, task.Params.NodePoolIDs)
	task.State = ackscale.TaskSuccess
	for _, p := range []ackscale.TaskFinishParams{
		{Task: task, ClusterState: ackscale.ClusterDeleted, PoolState: ackscale.NodePoolActive},
		{Task: task, ClusterState: ackscale.ClusterRunning, PoolState: ackscale.NodePoolDeleted},
	} {
		err := b.Clusters.TaskFinish(b.ctx, p)
		var te *ackscale.TransitionError
		require.ErrorAs(t, err, &te, "cluster → %s, pools → %s", p.ClusterState, p.PoolState)
		require.Equal(t, ackscale.ClusterScaling, b.getCluster(t, c.ID).State, "cluster state")
		require.Equal(t, normPool(def), normPool(b.getPool(t, c.ID, def.ID)), "default pool")
		require.Equal(t, ackscale.TaskRunning, b.getTask(t, task.ID).State, "task state")
	}
	b.insertWorkers(t, b.newWorkers(task, 2)...)
	err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: ackscale.ClusterRunning, PoolState: ackscale.NodePoolActive})
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterRunning, b.getCluster(t, c.ID).State, "cluster state")
	got := b.getPool(t, c.ID, def.ID)
	require.Equal(t, ackscale.NodePoolActive, got.State, "default pool state")
	require.Equal(t, 2, got.Spec.DesiredSize, "default pool desired size")
}

func (s suite) workerCounts(t *testing.T) {
	s.run(t, "counts a cluster's workers by pool, state and Node status, in that order", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		def := b.defaultPoolOf(t, c.ID)
		np, _ := b.poolIn(t, c, ackscale.NodePoolActive)
		type worker struct {
			pool   string
			state  ackscale.NodeState
			status ackscale.NodeStatus
		}
		var want []ackscale.WorkerCount
		add := func(w worker, n int) {
			ws := b.newWorkers(b.newPoolTask(c, ackscale.TaskNodePoolScaleOut, w.pool), n)
			for _, x := range ws {
				x.NodeStatus = w.status
				b.workerIn(t, x, w.state)
			}
			want = append(want, ackscale.WorkerCount{NodePoolID: w.pool, State: w.state, NodeStatus: w.status, Count: n})
		}
		add(worker{np.ID, ackscale.NodeRunning, ackscale.NodeReady}, 3)
		add(worker{np.ID, ackscale.NodeRunning, ackscale.NodeNotReady}, 1)
		add(worker{np.ID, ackscale.NodeFailed, ackscale.NodeUnknown}, 2)
		add(worker{def.ID, ackscale.NodeStarting, ackscale.NodeNotReady}, 1)
		add(worker{def.ID, ackscale.NodeRemoving, ackscale.NodeReady}, 1)
		add(worker{"", ackscale.NodeInitial, ackscale.NodeUnknown}, 1) // a worker of no pool
		other, _ := b.clusterIn(t, ackscale.ClusterRunning)
		b.insertWorkers(t, b.newWorkers(b.newPoolTask(other, ackscale.TaskScaleOut, b.defaultPoolOf(t, other.ID).ID), 2)...)
		slices.SortFunc(want, func(x, y ackscale.WorkerCount) int {
			return cmp.Or(cmp.Compare(x.NodePoolID, y.NodePoolID), cmp.Compare(x.State, y.State), cmp.Compare(x.NodeStatus, y.NodeStatus))
		})
		got, err := b.Workers.WorkerCounts(b.ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
	s.run(t, "a cluster without workers has no counts", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		got, err := b.Workers.WorkerCounts(b.ctx, c.ID)
		require.NoError(t, err)
		require.Empty(t, got)
	})
}
