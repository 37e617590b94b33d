package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// endedTask returns a task of the cluster that ended as it was accepted
// (ModifyCluster's), not stored.
func (b *testBundle) endedTask(c ackscale.Cluster) ackscale.Task {
	t := b.newTask(c, ackscale.TaskModifyCluster)
	t.State, t.CurrentStage = ackscale.TaskSuccess, ackscale.StageDone
	return t
}

func (s suite) clusterUpdate(t *testing.T) {
	s.run(t, "replaces the spec and inserts its ended task, with no job", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		jobs := len(b.Jobs())
		spec := c.Spec
		spec.Name, spec.DeletionProtection = "renamed", true
		spec.MaintenanceWindow = &ackscale.MaintenanceWindow{Enable: true, MaintenanceTime: "2025-01-02T03:00:00+08:00", Duration: "3h", WeeklyPeriod: "Monday"}
		task := b.endedTask(c)
		require.NoError(t, b.Clusters.ClusterUpdate(b.ctx, ackscale.ClusterUpdateParams{ID: c.ID, AccountID: c.AccountID, Spec: spec, Task: task}))
		got := b.getCluster(t, c.ID)
		require.Equal(t, spec, got.Spec)
		require.Equal(t, ackscale.ClusterRunning, got.State, "the state does not move")
		listed, _, err := b.Clusters.ClusterList(b.ctx, ackscale.ClusterListParams{AccountID: c.AccountID, Name: "renamed"})
		require.NoError(t, err)
		require.Len(t, listed, 1, "found by its new name")
		require.Equal(t, ackscale.TaskSuccess, b.getTask(t, task.ID).State)
		require.Len(t, b.Jobs(), jobs, "an ended task has no job")
	})
	s.run(t, "a name another cluster of the account has is taken; its own is not", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		other, _ := b.clusterIn(t, ackscale.ClusterRunning)
		spec := c.Spec
		spec.Name = other.Spec.Name
		task := b.endedTask(c)
		err := b.Clusters.ClusterUpdate(b.ctx, ackscale.ClusterUpdateParams{ID: c.ID, AccountID: c.AccountID, Spec: spec, Task: task})
		require.Equal(t, ackscale.CodeClusterNameExists, ackscale.ErrorCode(err))
		b.requireNoTask(t, task.ID)
		require.Equal(t, c.Spec, b.getCluster(t, c.ID).Spec, "nothing written")
		task = b.endedTask(c)
		require.NoError(t, b.Clusters.ClusterUpdate(b.ctx, ackscale.ClusterUpdateParams{ID: c.ID, AccountID: c.AccountID, Spec: c.Spec, Task: task}))
	})
	s.run(t, "another account's or a deleted cluster is not found", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		gone, _ := b.clusterIn(t, ackscale.ClusterDeleted)
		for _, p := range []ackscale.ClusterUpdateParams{
			{ID: c.ID, AccountID: ackscale.NewAccountID(), Spec: c.Spec, Task: b.endedTask(c)},
			{ID: gone.ID, AccountID: gone.AccountID, Spec: gone.Spec, Task: b.endedTask(gone)},
			{ID: ackscale.NewClusterID(), AccountID: c.AccountID, Spec: c.Spec, Task: b.endedTask(c)},
		} {
			err := b.Clusters.ClusterUpdate(b.ctx, p)
			require.True(t, ackscale.IsNotFound(err), "%s: %v", p.ID, err)
			require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
			b.requireNoTask(t, p.Task.ID)
		}
	})
	s.run(t, "a task that has not ended is refused", func(t *testing.T, b *testBundle) {
		c, _ := b.clusterIn(t, ackscale.ClusterRunning)
		task := b.newTask(c, ackscale.TaskModifyCluster)
		require.Error(t, b.Clusters.ClusterUpdate(b.ctx, ackscale.ClusterUpdateParams{ID: c.ID, AccountID: c.AccountID, Spec: c.Spec, Task: task}))
		b.requireNoTask(t, task.ID)
	})
}

func (s suite) taskList(t *testing.T) {
	s.run(t, "the account's cluster's tasks, newest first, paged", func(t *testing.T, b *testBundle) {
		c, create := b.clusterIn(t, ackscale.ClusterRunning)
		other, _ := b.clusterIn(t, ackscale.ClusterRunning)
		ids := []string{}
		for i := range 3 {
			task := b.endedTask(c)
			task.Created = b.now.Add(time.Duration(i+1) * time.Second)
			require.NoError(t, b.Clusters.ClusterUpdate(b.ctx, ackscale.ClusterUpdateParams{ID: c.ID, AccountID: c.AccountID, Spec: c.Spec, Task: task}))
			ids = append([]string{task.ID}, ids...)
		}
		_ = create
		got, total, err := b.Clusters.TaskList(b.ctx, ackscale.TaskListParams{ClusterID: c.ID, AccountID: c.AccountID})
		require.NoError(t, err)
		require.Equal(t, 4, total, "three modifications and the create task")
		var listed []string
		for _, tk := range got {
			listed = append(listed, tk.ID)
			require.Equal(t, c.ID, tk.ClusterID)
		}
		require.Equal(t, ids, listed[:3], "newest first")
		page, total, err := b.Clusters.TaskList(b.ctx, ackscale.TaskListParams{ClusterID: c.ID, AccountID: c.AccountID, Offset: 1, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, 4, total)
		require.Equal(t, []string{ids[1], ids[2]}, []string{page[0].ID, page[1].ID})
		past, total, err := b.Clusters.TaskList(b.ctx, ackscale.TaskListParams{ClusterID: c.ID, AccountID: c.AccountID, Offset: 10, Limit: 2})
		require.NoError(t, err)
		require.Empty(t, past)
		require.Equal(t, 4, total)
		none, total, err := b.Clusters.TaskList(b.ctx, ackscale.TaskListParams{ClusterID: c.ID, AccountID: ackscale.NewAccountID()})
		require.NoError(t, err)
		require.Empty(t, none, "another account's view")
		require.Zero(t, total)
		mine, _, err := b.Clusters.TaskList(b.ctx, ackscale.TaskListParams{ClusterID: other.ID, AccountID: other.AccountID})
		require.NoError(t, err)
		require.Len(t, mine, 1, "another cluster's tasks are its own")
	})
}
