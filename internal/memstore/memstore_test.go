package memstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/memstore"
	"github.com/ackscale/ackscale/internal/storetest"
)

func stores(s *memstore.Store) storetest.Stores {
	return storetest.Stores{Accounts: s, Clusters: s, Workers: s, Cloud: s, Checker: s, Jobs: s.Jobs}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, func(*testing.T) storetest.Stores { return stores(memstore.New()) })
}

// newCluster returns a new cluster and its create task.
func newCluster() (ackscale.Cluster, ackscale.Task) {
	c := ackscale.Cluster{ID: ackscale.NewClusterID(), AccountID: "5000000000000001",
		Spec: ackscale.ClusterSpec{Name: "c", VSwitchIDs: []string{"vsw-1"}}}
	t := ackscale.Task{ID: ackscale.NewTaskID(), AccountID: c.AccountID, ClusterID: c.ID, Type: ackscale.TaskCreateCluster,
		Stages: []ackscale.TaskStage{{Name: ackscale.StageValidate}}}
	return c, t
}

func TestOnEnqueueRunsAfterTheTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var seen []ackscale.Task
	var s *memstore.Store
	s = memstore.New(memstore.WithOnEnqueue(func(taskID string) {
		task, err := s.TaskGet(ctx, ackscale.TaskGetParams{ID: taskID}) // the store is not locked
		require.NoError(t, err)
		seen = append(seen, task)
	}))
	c, task := newCluster()
	require.NoError(t, s.ClusterCreate(ctx, ackscale.ClusterCreateParams{Cluster: c, Task: task}))
	require.Len(t, seen, 1)
	require.Equal(t, task.ID, seen[0].ID)

	err := s.ClusterCreate(ctx, ackscale.ClusterCreateParams{Cluster: c, Task: task}) // refused: no job, no call
	require.Error(t, err)
	require.Len(t, seen, 1)
	require.Equal(t, []string{task.ID}, s.Jobs())
}

func TestCopiesInAndOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memstore.New()
	c, task := newCluster()
	require.NoError(t, s.ClusterCreate(ctx, ackscale.ClusterCreateParams{Cluster: c, Task: task}))
	c.Spec.VSwitchIDs[0], task.Stages[0].Name = "changed", "changed" // the caller's copies

	got, err := s.ClusterGet(ctx, ackscale.ClusterGetParams{ID: c.ID})
	require.NoError(t, err)
	require.Equal(t, "vsw-1", got.Spec.VSwitchIDs[0])
	got.Spec.VSwitchIDs[0] = "changed" // a returned copy
	again, err := s.ClusterGet(ctx, ackscale.ClusterGetParams{ID: c.ID})
	require.NoError(t, err)
	require.Equal(t, "vsw-1", again.Spec.VSwitchIDs[0])

	gotTask, err := s.TaskGet(ctx, ackscale.TaskGetParams{ID: task.ID})
	require.NoError(t, err)
	require.Equal(t, ackscale.StageValidate, gotTask.Stages[0].Name)

	w := ackscale.Worker{ClusterID: c.ID, ClientToken: "tok", State: ackscale.NodeInitial, Labels: map[string]string{"a": "b"}}
	ws := []ackscale.Worker{w}
	require.NoError(t, s.WorkerInsert(ctx, ws))
	ws[0].Labels["a"] = "changed"
	listed, _, err := s.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: c.ID})
	require.NoError(t, err)
	require.Equal(t, "b", listed[0].Labels["a"])
}

func TestNowDecidesNonceExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := memstore.New(memstore.WithNow(func() time.Time { return now }))
	p := ackscale.NonceUseParams{AccessKeyID: "k", Nonce: "n", Expires: now.Add(time.Minute)}
	fresh, err := s.NonceUse(ctx, p)
	require.NoError(t, err)
	require.True(t, fresh)
	now = now.Add(2 * time.Minute)
	fresh, err = s.NonceUse(ctx, p)
	require.NoError(t, err)
	require.True(t, fresh, "expired by the store's clock")
}
