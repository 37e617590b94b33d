package ackscale

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClusterTransitions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from, to ClusterState
		ok       bool
	}{
		{ClusterInitial, ClusterRunning, true},
		{ClusterInitial, ClusterFailed, true},
		{ClusterInitial, ClusterDeleting, false}, // its create task runs
		{ClusterRunning, ClusterScaling, true},
		{ClusterRunning, ClusterRemoving, true},
		{ClusterRunning, ClusterDeleting, true},
		{ClusterRunning, ClusterDeleted, false}, // only through a delete task
		{ClusterScaling, ClusterRunning, true},
		{ClusterScaling, ClusterRemoving, false}, // one task per cluster
		{ClusterScaling, ClusterDeleting, false},
		{ClusterRemoving, ClusterRunning, true},
		{ClusterFailed, ClusterDeleting, true},
		{ClusterFailed, ClusterRunning, false},
		{ClusterDeleteFailed, ClusterDeleting, true},
		{ClusterDeleting, ClusterDeleted, true},
		{ClusterDeleting, ClusterDeleteFailed, true},
		{ClusterDeleted, ClusterRunning, false},
		{ClusterDeleted, ClusterDeleting, false},
	} {
		require.Equal(t, tc.ok, tc.from.CanMoveTo(tc.to), "%s → %s", tc.from, tc.to)
		require.Equal(t, tc.ok, slices.Contains(tc.to.Before(), tc.from), "%s in %s.Before()", tc.from, tc.to)
	}
	require.ElementsMatch(t, []ClusterState{ClusterRunning, ClusterFailed, ClusterDeleteFailed}, ClusterDeleting.Before())
	require.Len(t, ClusterStates(), 8)
}

func TestTaskTransitions(t *testing.T) {
	t.Parallel()
	require.True(t, TaskRunning.CanMoveTo(TaskRunning), "saving progress")
	require.True(t, TaskRunning.CanMoveTo(TaskSuccess))
	require.True(t, TaskRunning.CanMoveTo(TaskFailed))
	for _, ended := range []TaskState{TaskSuccess, TaskFailed} {
		require.True(t, ended.Ended())
		for _, to := range []TaskState{TaskRunning, TaskSuccess, TaskFailed} {
			require.False(t, ended.CanMoveTo(to), "%s → %s", ended, to)
		}
		require.Equal(t, []TaskState{TaskRunning}, ended.Before())
	}
	require.Equal(t, []TaskState{TaskRunning}, TaskRunning.Before())
}

func TestNodeTransitions(t *testing.T) {
	t.Parallel()
	legal := map[[2]NodeState]bool{
		{NodeInitial, NodeStarting}: true, {NodeInitial, NodeFailed}: true,
		{NodeStarting, NodeRunning}: true, {NodeStarting, NodeFailed}: true,
		{NodeRunning, NodeRemoving}: true, {NodeFailed, NodeRemoving}: true,
	}
	for _, from := range NodeStates() {
		for _, to := range NodeStates() {
			want := from == to || legal[[2]NodeState{from, to}]
			require.Equal(t, want, from.CanMoveTo(to), "%s → %s", from, to)
			require.Equal(t, want, slices.Contains(to.Before(), from), "%s in %s.Before()", from, to)
		}
	}
	require.Len(t, NodeStates(), 5)
}

func TestInstanceTransitions(t *testing.T) {
	t.Parallel()
	require.True(t, InstancePending.CanMoveTo(InstanceRunning))
	require.True(t, InstancePending.CanMoveTo(InstanceReleased))
	require.True(t, InstanceRunning.CanMoveTo(InstanceReleased))
	require.False(t, InstanceRunning.CanMoveTo(InstancePending))
	require.False(t, InstanceReleased.CanMoveTo(InstanceRunning))
	require.Equal(t, []InstanceStatus{InstanceReleased, InstancePending, InstanceRunning}, InstanceReleased.Before())
}

// Every task type holds its cluster (or, for a pool's task, its pools) in
// a state it can reach from idle, and leaves it in one it can reach from
// there.
func TestTaskTypesAgreeWithStateTables(t *testing.T) {
	t.Parallel()
	for _, typ := range TaskTypes() {
		while, poolWhile := typ.ClusterStateWhile(), typ.PoolStateWhile()
		if typ.IsNodePool() || typ.EndsAtOnce() {
			require.Empty(t, while, typ)
			require.Empty(t, typ.ClusterStateAfter(true), typ)
			require.Equal(t, typ.IsNodePool(), poolWhile != "", typ)
		} else {
			require.NotEmpty(t, while, typ)
			if typ != TaskCreateCluster {
				require.True(t, ClusterRunning.CanMoveTo(while), "%s: running → %s", typ, while)
			}
		}
		for _, ok := range []bool{true, false} {
			if while != "" {
				after := typ.ClusterStateAfter(ok)
				require.True(t, while.CanMoveTo(after), "%s ok=%t: %s → %s", typ, ok, while, after)
			}
			if poolWhile != "" {
				after := typ.PoolStateAfter(ok)
				require.True(t, NodePoolActive.CanMoveTo(poolWhile), "%s: active → %s", typ, poolWhile)
				require.True(t, poolWhile.CanMoveTo(after), "%s ok=%t: %s → %s", typ, ok, poolWhile, after)
			}
		}
		stages := typ.Stages()
		require.Equal(t, StageValidate, stages[0], typ)
		require.Equal(t, StageDone, stages[len(stages)-1], typ)
	}
}

func TestNodePoolTransitions(t *testing.T) {
	t.Parallel()
	for _, busy := range []NodePoolState{NodePoolScaling, NodePoolRemoving, NodePoolUpdating, NodePoolDeleting} {
		require.True(t, busy.Busy(), busy)
		require.True(t, NodePoolActive.CanMoveTo(busy), busy)
		require.True(t, busy.CanMoveTo(NodePoolActive), busy)
		require.False(t, busy.CanMoveTo(NodePoolScaling) && busy != NodePoolActive, "%s → scaling: one operation per pool", busy)
	}
	require.False(t, NodePoolActive.Busy())
	require.False(t, NodePoolDeleted.Busy())
	require.True(t, NodePoolDeleting.CanMoveTo(NodePoolDeleted))
	require.False(t, NodePoolActive.CanMoveTo(NodePoolDeleted), "only through a delete task")
	require.Empty(t, nodePoolMoves[NodePoolDeleted])
	require.Len(t, NodePoolStates(), 6)
}

func TestTransitionError(t *testing.T) {
	t.Parallel()
	err := error(&TransitionError{What: "worker", ID: "T-1-0", From: "running", To: "initial"})
	require.True(t, IsTransition(err))
	require.Equal(t, KindInternal, KindOf(err))
	require.Contains(t, err.Error(), "running → initial")
}
