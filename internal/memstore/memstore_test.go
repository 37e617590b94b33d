package memstore_test

import (
	"context"
	"encoding/json"
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

// newCluster returns the params that create a new cluster, its default
// pool and its create task.
func newCluster() ackscale.ClusterCreateParams {
	c := ackscale.Cluster{ID: ackscale.NewClusterID(), AccountID: "5000000000000001",
		Spec: ackscale.ClusterSpec{Name: "c", VSwitchIDs: []string{"vsw-1"}}}
	t := ackscale.Task{ID: ackscale.NewTaskID(), AccountID: c.AccountID, ClusterID: c.ID, Type: ackscale.TaskCreateCluster,
		Stages: []ackscale.TaskStage{{Name: ackscale.StageValidate}}}
	pool := ackscale.NodePool{ID: ackscale.NewNodePoolID(), Spec: ackscale.NodePoolSpec{Name: ackscale.DefaultNodePoolName,
		Workers: ackscale.ScaleOut{InstanceTypes: []string{"ecs.c6.large"}}, Config: json.RawMessage(`{"a":1}`)}}
	t.Params.NodePoolIDs = []string{pool.ID}
	return ackscale.ClusterCreateParams{Cluster: c, DefaultPool: pool, Task: t}
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
	p := newCluster()
	require.NoError(t, s.ClusterCreate(ctx, p))
	require.Len(t, seen, 1)
	require.Equal(t, p.Task.ID, seen[0].ID)

	err := s.ClusterCreate(ctx, p) // refused: no job, no call
	require.Error(t, err)
	require.Len(t, seen, 1)
	require.Equal(t, []string{p.Task.ID}, s.Jobs())
}

func TestCopiesInAndOut(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memstore.New()
	p := newCluster()
	require.NoError(t, s.ClusterCreate(ctx, p))
	c, task := p.Cluster, p.Task
	c.Spec.VSwitchIDs[0], task.Stages[0].Name = "changed", "changed" // the caller's copies
	p.DefaultPool.Spec.Workers.InstanceTypes[0], p.DefaultPool.Spec.Config[1] = "changed", 'x'

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

	poolParams := ackscale.NodePoolGetParams{ClusterID: c.ID, ID: p.DefaultPool.ID}
	pool, err := s.NodePoolGet(ctx, poolParams)
	require.NoError(t, err)
	require.Equal(t, "ecs.c6.large", pool.Spec.Workers.InstanceTypes[0])
	require.JSONEq(t, `{"a":1}`, string(pool.Spec.Config))
	pool.Spec.Workers.InstanceTypes[0], pool.Spec.Config[1] = "changed", 'x' // a returned copy
	listed, err := s.NodePoolList(ctx, ackscale.NodePoolListParams{ClusterID: c.ID})
	require.NoError(t, err)
	require.Equal(t, "ecs.c6.large", listed[0].Spec.Workers.InstanceTypes[0])
	require.JSONEq(t, `{"a":1}`, string(listed[0].Spec.Config))

	w := ackscale.Worker{ClusterID: c.ID, ClientToken: "tok", State: ackscale.NodeInitial, Labels: map[string]string{"a": "b"}}
	ws := []ackscale.Worker{w}
	require.NoError(t, s.WorkerInsert(ctx, ws))
	ws[0].Labels["a"] = "changed"
	workers, _, err := s.WorkerList(ctx, ackscale.WorkerListParams{ClusterID: c.ID})
	require.NoError(t, err)
	require.Equal(t, "b", workers[0].Labels["a"])
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
