package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

type testBundle struct {
	store   *Store
	account ackscale.Account
	ctx     context.Context
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, Config{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close(context.Background())) })
	a, err := s.AccountEnsure(ctx, "5000000000000001", "LTAIKEY", "secret")
	require.NoError(t, err)
	return &testBundle{store: s, account: a, ctx: ctx}
}

func newCluster(accountID, name string) ackscale.Cluster {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return ackscale.Cluster{ID: ackscale.NewClusterID(), AccountID: accountID, State: ackscale.ClusterRunning,
		Profile: ackscale.ProfileStandard, Created: now, Updated: now,
		Spec: ackscale.ClusterSpec{Name: name, RegionID: "cn-hangzhou", ClusterType: "ManagedKubernetes", VSwitchIDs: []string{"vsw-1"}}}
}

func newTask(c ackscale.Cluster, typ string) ackscale.Task {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return ackscale.Task{ID: ackscale.NewTaskID(), AccountID: c.AccountID, ClusterID: c.ID, Type: typ,
		State: ackscale.TaskRunning, Created: now, Updated: now}
}

func riverJobs(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	require.NoError(t, s.DB().QueryRow(`SELECT count(*) FROM river_job`).Scan(&n))
	return n
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, secret, err := b.store.AccountByKey(b.ctx, "LTAIKEY")
	require.NoError(t, err)
	require.Equal(t, b.account.ID, a.ID)
	require.Equal(t, "secret", secret)

	var stored string
	require.NoError(t, b.store.DB().QueryRow(`SELECT access_key_secret FROM accounts`).Scan(&stored))
	require.NotContains(t, stored, "secret") // sealed at rest

	_, _, err = b.store.AccountByKey(b.ctx, "nope")
	require.Equal(t, ackscale.CodeAccessKeyNotFound, ackscale.ErrorCode(err))

	// Ensuring again with a new secret replaces it (the environment changed).
	_, err = b.store.AccountEnsure(b.ctx, b.account.ID, "LTAIKEY", "secret2")
	require.NoError(t, err)
	_, secret, err = b.store.AccountByKey(b.ctx, "LTAIKEY")
	require.NoError(t, err)
	require.Equal(t, "secret2", secret)
}

func TestClusterCreateInsertsTaskAndJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := newCluster(b.account.ID, "one")
	task := newTask(c, ackscale.TaskCreateCluster)
	require.NoError(t, b.store.ClusterCreate(b.ctx, c, task))
	require.Equal(t, 1, riverJobs(t, b.store))

	got, err := b.store.ClusterGet(b.ctx, b.account.ID, c.ID)
	require.NoError(t, err)
	require.Equal(t, c.Spec, got.Spec)
	require.Equal(t, c.Created, got.Created)

	// Same name again: refused, and nothing more is written.
	c2 := newCluster(b.account.ID, "one")
	err = b.store.ClusterCreate(b.ctx, c2, newTask(c2, ackscale.TaskCreateCluster))
	require.Equal(t, ackscale.CodeClusterNameExists, ackscale.ErrorCode(err))
	require.Equal(t, 1, riverJobs(t, b.store))
	_, err = b.store.ClusterGet(b.ctx, b.account.ID, c2.ID)
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))

	// Another account does not see it.
	_, err = b.store.ClusterGet(b.ctx, "5000000000000002", c.ID)
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
}

func TestTaskStartMovesStateOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := newCluster(b.account.ID, "c")
	require.NoError(t, b.store.ClusterCreate(b.ctx, c, newTask(c, ackscale.TaskCreateCluster)))

	first := newTask(c, ackscale.TaskScaleOut)
	require.NoError(t, b.store.TaskStart(b.ctx, ackscale.TaskStartParams{Task: first, FromState: ackscale.ClusterRunning, ToState: ackscale.ClusterScaling}))
	second := newTask(c, ackscale.TaskScaleOut)
	err := b.store.TaskStart(b.ctx, ackscale.TaskStartParams{Task: second, FromState: ackscale.ClusterRunning, ToState: ackscale.ClusterScaling})
	require.Equal(t, ackscale.CodeClusterState, ackscale.ErrorCode(err))
	require.Contains(t, err.Error(), "scaling")
	require.Equal(t, 2, riverJobs(t, b.store)) // create + first scale-out only
	_, err = b.store.TaskGet(b.ctx, b.account.ID, second.ID)
	require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(err))

	first.State = ackscale.TaskSuccess
	first.Stages = []ackscale.TaskStage{{Name: "plan", State: ackscale.TaskSuccess}}
	require.NoError(t, b.store.TaskFinish(b.ctx, first, ackscale.ClusterRunning))
	got, err := b.store.TaskGet(b.ctx, b.account.ID, first.ID)
	require.NoError(t, err)
	require.Equal(t, ackscale.TaskSuccess, got.State)
	require.Equal(t, "plan", got.Stages[0].Name)
	cl, err := b.store.ClusterGet(b.ctx, b.account.ID, c.ID)
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterRunning, cl.State)
}

func TestWorkersInsertIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ws := []ackscale.Worker{
		{ClientToken: "T-1-0", ClusterID: "c1", AccountID: b.account.ID, TaskID: "T-1", RegionID: "cn-hangzhou", InstanceType: "ecs.c5.xlarge", State: ackscale.NodeInitial, Labels: map[string]string{"a": "b"}},
		{ClientToken: "T-1-1", ClusterID: "c1", AccountID: b.account.ID, TaskID: "T-1", RegionID: "cn-hangzhou", InstanceType: "ecs.c5.xlarge", State: ackscale.NodeInitial},
	}
	require.NoError(t, b.store.WorkersInsert(b.ctx, ws))
	require.NoError(t, b.store.WorkersInsert(b.ctx, ws))
	got, err := b.store.WorkersByTask(b.ctx, "T-1")
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, "b", got[0].Labels["a"])

	got[1].InstanceID, got[1].NodeName, got[1].State = "i-1", "cn-hangzhou.192.168.0.3", ackscale.NodeRunning
	require.NoError(t, b.store.WorkerSave(b.ctx, got[1]))
	running, total, err := b.store.WorkersByCluster(b.ctx, ackscale.WorkerListParams{ClusterID: "c1", State: ackscale.NodeRunning})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, "i-1", running[0].InstanceID)

	byName, _, err := b.store.WorkersByCluster(b.ctx, ackscale.WorkerListParams{ClusterID: "c1", NodeNames: []string{"cn-hangzhou.192.168.0.3"}})
	require.NoError(t, err)
	require.Len(t, byName, 1)

	require.NoError(t, b.store.WorkerDelete(b.ctx, "T-1-1"))
	n, err := b.store.WorkersCount(b.ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func TestInstanceCreateIdempotentByToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := ackscale.Instance{ID: "i-a", ClientToken: "tok", AccountID: b.account.ID, RegionID: "cn-hangzhou", IPPool: "vsw-1",
		IP: "192.168.0.3", InstanceType: "ecs.c5.xlarge", Status: ackscale.InstancePending}
	out, created, err := b.store.InstanceCreate(b.ctx, in, -1)
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "i-a", out.ID)

	again := in
	again.ID, again.IP = "i-b", "192.168.0.4"
	out, created, err = b.store.InstanceCreate(b.ctx, again, -1)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, "i-a", out.ID)

	// The same IP in the same pool is refused while the first holds it...
	clash := ackscale.Instance{ID: "i-c", ClientToken: "tok2", IPPool: "vsw-1", IP: "192.168.0.3", Status: ackscale.InstancePending}
	_, _, err = b.store.InstanceCreate(b.ctx, clash, -1)
	require.Error(t, err)
	// ...and free once it is released.
	require.NoError(t, b.store.InstanceSetStatus(b.ctx, "i-a", ackscale.InstanceReleased))
	used, err := b.store.InstanceUsedIPs(b.ctx, "vsw-1")
	require.NoError(t, err)
	require.Empty(t, used)
	_, created, err = b.store.InstanceCreate(b.ctx, clash, -1)
	require.NoError(t, err)
	require.True(t, created)
}

func TestUseNonce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	exp := time.Now().Add(15 * time.Minute)
	fresh, err := b.store.UseNonce(b.ctx, "k", "n1", exp)
	require.NoError(t, err)
	require.True(t, fresh)
	fresh, err = b.store.UseNonce(b.ctx, "k", "n1", exp)
	require.NoError(t, err)
	require.False(t, fresh)
	fresh, err = b.store.UseNonce(b.ctx, "other", "n1", exp)
	require.NoError(t, err)
	require.True(t, fresh)
	// An expired nonce may be used again.
	fresh, err = b.store.UseNonce(b.ctx, "k", "old", time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.True(t, fresh)
	fresh, err = b.store.UseNonce(b.ctx, "k", "old", exp)
	require.NoError(t, err)
	require.True(t, fresh)
}
