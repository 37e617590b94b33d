package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// Node pools are made through the contracts too: a pool is created by its
// create task (TaskStart with NewPool) and walked along the pool table by
// starting and finishing pool tasks.

// newPool returns a pool of cluster c named name, not stored (a pool
// task's NewPool).
func (b *testBundle) newPool(c ackscale.Cluster, name string) ackscale.NodePool {
	return ackscale.NodePool{
		ID: ackscale.NewNodePoolID(), ClusterID: c.ID, AccountID: c.AccountID, Created: b.now, Updated: b.now,
		Spec: ackscale.NodePoolSpec{
			Name: name, Type: ackscale.NodePoolTypeESS,
			Workers:       ackscale.ScaleOut{InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-2"}, SystemDiskSizeGiB: 40},
			Unschedulable: true, AutoScaling: ackscale.AutoScaling{Enable: true, MaxInstances: 10, Type: "cpu"},
			Config: json.RawMessage(fmt.Sprintf(`{"nodepool_info":{"name":%q},"scaling_group":{"desired_size":0}}`, name)),
		},
	}
}

// newPoolTask returns a running task of type typ that works on pool
// poolID of cluster c, not stored.
func (b *testBundle) newPoolTask(c ackscale.Cluster, typ ackscale.TaskType, poolID string) ackscale.Task {
	task := b.newTask(c, typ)
	task.Params.NodePoolIDs = []string{poolID}
	return task
}

// addPool creates a pool of running cluster c with its create task, and
// returns the pool as stored and the task, which runs.
func (b *testBundle) addPool(t *testing.T, c ackscale.Cluster, name string) (ackscale.NodePool, ackscale.Task) {
	t.Helper()
	np := b.newPool(c, name)
	task := b.newPoolTask(c, ackscale.TaskNodePoolCreate, np.ID)
	require.NoError(t, b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, NewPool: &np}), "TaskStart NewPool (builder)")
	return b.getPool(t, c.ID, np.ID), task
}

// poolIn adds a pool to running cluster c and walks it to state. It
// returns the pool as stored and the task that holds it in that state
// (the zero Task when none runs).
func (b *testBundle) poolIn(t *testing.T, c ackscale.Cluster, state ackscale.NodePoolState) (ackscale.NodePool, ackscale.Task) {
	t.Helper()
	return b.namedPoolIn(t, c, fmt.Sprintf("pool-%d", b.next()), state)
}

// namedPoolIn is poolIn with the pool's name.
func (b *testBundle) namedPoolIn(t *testing.T, c ackscale.Cluster, name string,
	state ackscale.NodePoolState) (ackscale.NodePool, ackscale.Task) {
	t.Helper()
	np, task := b.addPool(t, c, name)
	for _, to := range pathTo(t, ackscale.NodePoolStates(), np.State, state) {
		task = b.movePool(t, c, np, task, to)
		np.State = to
	}
	return b.getPool(t, c.ID, np.ID), task
}

// movePool moves pool np to state to as the task runner and the
// operations layer would: by finishing the task that holds it, or by
// starting a pool task. It returns the task that runs after the move, if
// any.
func (b *testBundle) movePool(t *testing.T, c ackscale.Cluster, np ackscale.NodePool, running ackscale.Task, to ackscale.NodePoolState) ackscale.Task {
	t.Helper()
	if running.ID != "" {
		running.State = ackscale.TaskSuccess
		if running.Type.PoolStateAfter(true) != to {
			running.State = ackscale.TaskFailed
		}
		err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: running, PoolState: to})
		require.NoError(t, err, "TaskFinish pool %s → %s (builder)", np.State, to)
		return ackscale.Task{}
	}
	task := b.newPoolTask(c, poolTypeWhile(t, to), np.ID)
	err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, Pools: []ackscale.PoolMove{{ID: np.ID, From: np.State, To: to}}})
	require.NoError(t, err, "TaskStart pool %s → %s (builder)", np.State, to)
	return task
}

// poolTypeWhile returns a pool task type, other than a pool's create,
// that holds its pool in state s while it runs.
func poolTypeWhile(t *testing.T, s ackscale.NodePoolState) ackscale.TaskType {
	t.Helper()
	for _, typ := range ackscale.TaskTypes() {
		if typ.IsNodePool() && typ != ackscale.TaskNodePoolCreate && typ.PoolStateWhile() == s {
			return typ
		}
	}
	require.Failf(t, "no pool task type", "none holds its pool %s", s)
	return ""
}

// getPool returns a pool of a cluster as stored, deleted or not.
func (b *testBundle) getPool(t *testing.T, clusterID, id string) ackscale.NodePool {
	t.Helper()
	np, err := b.Clusters.NodePoolGet(b.ctx, ackscale.NodePoolGetParams{ClusterID: clusterID, ID: id, WithDeleted: true})
	require.NoError(t, err, "NodePoolGet %s", id)
	return np
}

// requireNoPool fails unless the cluster has no pool with that id.
func (b *testBundle) requireNoPool(t *testing.T, clusterID, id string) {
	t.Helper()
	_, err := b.Clusters.NodePoolGet(b.ctx, ackscale.NodePoolGetParams{ClusterID: clusterID, ID: id, WithDeleted: true})
	require.Equal(t, ackscale.CodeNodePoolNotFound, ackscale.ErrorCode(err), "NodePoolGet %s: the pool must not exist", id)
}

// poolMoves returns every pair of pool states the table allows (legal) or
// forbids (!legal).
func poolMoves(legal bool) func(yield func(from, to ackscale.NodePoolState) bool) {
	return func(yield func(from, to ackscale.NodePoolState) bool) {
		for _, from := range ackscale.NodePoolStates() {
			for _, to := range ackscale.NodePoolStates() {
				if from.CanMoveTo(to) == legal && !yield(from, to) {
					return
				}
			}
		}
	}
}

func (s suite) nodePoolGet(t *testing.T) {
	s.run(t, "returns the cluster's pool", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		np := b.newPool(c, "mine")
		task := b.newPoolTask(c, ackscale.TaskNodePoolCreate, np.ID)
		require.NoError(t, b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, NewPool: &np}))
		got, err := b.Clusters.NodePoolGet(b.ctx, ackscale.NodePoolGetParams{ClusterID: c.ID, ID: np.ID})
		require.NoError(t, err)
		np.State = ackscale.TaskNodePoolCreate.PoolStateWhile()
		require.Equal(t, normPool(np), normPool(got))
	})
	s.run(t, "another cluster's pool is CodeNodePoolNotFound", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		other, _ := b.clusterIn(t, ackscale.ClusterRunning)
		np, _ := b.poolIn(t, c, ackscale.NodePoolActive)
		for _, id := range []string{np.ID, b.defaultPoolOf(t, c.ID).ID} {
			_, err := b.Clusters.NodePoolGet(b.ctx, ackscale.NodePoolGetParams{ClusterID: other.ID, ID: id, WithDeleted: true})
			require.Equal(t, ackscale.CodeNodePoolNotFound, ackscale.ErrorCode(err), id)
			require.True(t, ackscale.IsNotFound(err), id)
		}
	})
	s.run(t, "an unknown id is CodeNodePoolNotFound", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		_, err := b.Clusters.NodePoolGet(b.ctx, ackscale.NodePoolGetParams{ClusterID: c.ID, ID: ackscale.NewNodePoolID()})
		require.Equal(t, ackscale.CodeNodePoolNotFound, ackscale.ErrorCode(err))
	})
	s.run(t, "a deleted one only WithDeleted", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		np, _ := b.poolIn(t, c, ackscale.NodePoolDeleted)
		_, err := b.Clusters.NodePoolGet(b.ctx, ackscale.NodePoolGetParams{ClusterID: c.ID, ID: np.ID})
		require.Equal(t, ackscale.CodeNodePoolNotFound, ackscale.ErrorCode(err))
		got, err := b.Clusters.NodePoolGet(b.ctx, ackscale.NodePoolGetParams{ClusterID: c.ID, ID: np.ID, WithDeleted: true})
		require.NoError(t, err)
		require.Equal(t, ackscale.NodePoolDeleted, got.State)
	})
}

func (s suite) nodePoolList(t *testing.T) {
	s.run(t, "default first, then oldest first, then by id", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		byTime := map[time.Duration][]string{}
		for _, d := range []time.Duration{3 * time.Second, -time.Second, 2 * time.Second, 3 * time.Second, time.Second} {
			np := b.newPool(c, fmt.Sprintf("pool-%d", b.next()))
			np.Created = b.now.Add(d) // some older than the default pool: it comes first all the same
			err := b.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: b.newPoolTask(c, ackscale.TaskNodePoolCreate, np.ID), NewPool: &np})
			require.NoError(t, err)
			byTime[d] = append(byTime[d], np.ID)
		}
		tied := byTime[3*time.Second]
		if tied[1] < tied[0] {
			tied[0], tied[1] = tied[1], tied[0]
		}
		want := []string{b.defaultPoolOf(t, c.ID).ID, byTime[-time.Second][0], byTime[time.Second][0], byTime[2*time.Second][0], tied[0], tied[1]}
		got, err := b.Clusters.NodePoolList(b.ctx, ackscale.NodePoolListParams{ClusterID: c.ID})
		require.NoError(t, err)
		require.Equal(t, want, poolIDs(got))
	})
	s.run(t, "filters by exact name; deleted pools and other clusters' never", nodePoolListFilters)
}

func nodePoolListFilters(t *testing.T, b *testBundle) {
	c, _ := b.clusterIn(t, ackscale.ClusterRunning)
	def := b.defaultPoolOf(t, c.ID)
	add := func(name string, state ackscale.NodePoolState) ackscale.NodePool {
		np, _ := b.namedPoolIn(t, c, name, state)
		return np
	}
	gpu := add("gpu", ackscale.NodePoolActive)
	gpu2 := add("gpu", ackscale.NodePoolScaling) // names need not be unique
	cpu := add("cpu", ackscale.NodePoolUpdating)
	add("gone", ackscale.NodePoolDeleted)
	add("gpu", ackscale.NodePoolDeleted)
	other, _ := b.clusterIn(t, ackscale.ClusterRunning)
	b.poolIn(t, other, ackscale.NodePoolActive)

	for _, tc := range []struct {
		name string
		p    ackscale.NodePoolListParams
		want []ackscale.NodePool
	}{
		{"every name", ackscale.NodePoolListParams{ClusterID: c.ID}, []ackscale.NodePool{def, gpu, gpu2, cpu}},
		{"name", ackscale.NodePoolListParams{ClusterID: c.ID, Name: "gpu"}, []ackscale.NodePool{gpu, gpu2}},
		{"default name", ackscale.NodePoolListParams{ClusterID: c.ID, Name: ackscale.DefaultNodePoolName}, []ackscale.NodePool{def}},
		{"exact, not a prefix", ackscale.NodePoolListParams{ClusterID: c.ID, Name: "gp"}, nil},
		{"a deleted pool's name", ackscale.NodePoolListParams{ClusterID: c.ID, Name: "gone"}, nil},
		{"unknown cluster", ackscale.NodePoolListParams{ClusterID: ackscale.NewClusterID()}, nil},
	} {
		got, err := b.Clusters.NodePoolList(b.ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.ElementsMatch(t, poolIDs(tc.want), poolIDs(got), tc.name)
	}
}

// clusterCreateOwnsPool creates a cluster whose default pool names
// another cluster, account and state "": the store makes it the cluster's
// default pool, in the create task's pool state.
func clusterCreateOwnsPool(t *testing.T, b *testBundle) {
	c, task := b.newCluster(b.account.ID)
	p := createParams(c, task)
	p.DefaultPool.ClusterID, p.DefaultPool.AccountID, p.DefaultPool.IsDefault = ackscale.NewClusterID(), b.other.ID, false
	require.NoError(t, b.Clusters.ClusterCreate(b.ctx, p))
	got := b.getPool(t, c.ID, p.DefaultPool.ID)
	require.Equal(t, c.ID, got.ClusterID)
	require.Equal(t, c.AccountID, got.AccountID)
	require.True(t, got.IsDefault, "is default")
	require.Equal(t, ackscale.NodePoolScaling, got.State)
	require.Equal(t, []string{got.ID}, poolIDs(b.listPools(t, c.ID)))
}

// clusterCreatePoolBorn creates clusters whose default pool is in each
// state but the create task's.
func clusterCreatePoolBorn(t *testing.T, b *testBundle) {
	for _, state := range ackscale.NodePoolStates() {
		if state == ackscale.TaskCreateCluster.PoolStateWhile() {
			continue
		}
		c, task := b.newCluster(b.account.ID)
		p := createParams(c, task)
		p.DefaultPool.State = state
		err := b.Clusters.ClusterCreate(b.ctx, p)
		requireTransition(t, err, "node pool", state)
		requireNoCluster(t, b, c.ID)
		b.requireNoPool(t, c.ID, p.DefaultPool.ID)
		b.requireNoTask(t, task.ID)
	}
	require.Empty(t, b.Jobs(), "jobs")
}

// clusterCreatePoolTaken creates a cluster whose default pool has the id
// of another cluster's.
func clusterCreatePoolTaken(t *testing.T, b *testBundle) {
	first, _ := b.clusterIn(t, ackscale.ClusterRunning)
	taken := b.defaultPoolOf(t, first.ID)
	jobs := b.Jobs()
	c, task := b.newCluster(b.account.ID)
	task.Params.NodePoolIDs = []string{taken.ID}
	err := b.Clusters.ClusterCreate(b.ctx, createParams(c, task))
	require.True(t, ackscale.IsConflict(err), "%v", err)
	requireNoCluster(t, b, c.ID)
	b.requireNoTask(t, task.ID)
	require.Equal(t, jobs, b.Jobs(), "jobs")
	require.Equal(t, normPool(taken), normPool(b.getPool(t, first.ID, taken.ID)), "the other cluster's pool")
}

// listPools returns a cluster's pools.
func (b *testBundle) listPools(t *testing.T, clusterID string) []ackscale.NodePool {
	t.Helper()
	pools, err := b.Clusters.NodePoolList(b.ctx, ackscale.NodePoolListParams{ClusterID: clusterID})
	require.NoError(t, err, "NodePoolList %s", clusterID)
	return pools
}
