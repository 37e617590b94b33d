package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// testBundle is a database of its own, its stores with a real
// (insert-only) River client, and an account.
type testBundle struct {
	db      *testDB
	s       Stores
	account ackscale.Account
	ctx     context.Context
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	db := openTestDB(t)
	b := &testBundle{db: db, s: storesOf(t, db.DB), ctx: ctx}
	b.account = b.addAccount(t)
	return b
}

// storesOf returns db's stores with an insert-only River client on its
// pool.
func storesOf(t *testing.T, db *DB) Stores {
	t.Helper()
	client, err := river.NewClient(riverpgxv5.New(db.Pool()), &river.Config{})
	require.NoError(t, err)
	return db.Stores(client)
}

// addAccount stores a new account.
func (b *testBundle) addAccount(t *testing.T) ackscale.Account {
	t.Helper()
	key, secret := ackscale.NewAccessKey()
	a := ackscale.Account{ID: ackscale.NewAccountID(), AccessKeyID: key}
	a, err := b.s.Accounts.AccountEnsure(b.ctx, ackscale.AccountCreateParams{Account: a, Secret: secret})
	require.NoError(t, err)
	return a
}

func newCluster(accountID, name string) ackscale.Cluster {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return ackscale.Cluster{ID: ackscale.NewClusterID(), AccountID: accountID, State: ackscale.ClusterInitial,
		Profile: ackscale.ProfileStandard, Created: now, Updated: now,
		Spec: ackscale.ClusterSpec{Name: name, RegionID: "cn-hangzhou", ClusterType: "ManagedKubernetes", VSwitchIDs: []string{"vsw-1"}}}
}

// newTask returns a running task of the cluster; a create task works on
// a new default pool.
func newTask(c ackscale.Cluster, typ ackscale.TaskType) ackscale.Task {
	now := time.Now().UTC().Truncate(time.Millisecond)
	t := ackscale.Task{ID: ackscale.NewTaskID(), AccountID: c.AccountID, ClusterID: c.ID, Type: typ,
		State: ackscale.TaskRunning, Created: now, Updated: now}
	if typ == ackscale.TaskCreateCluster {
		t.Params.NodePoolIDs = []string{ackscale.NewNodePoolID()}
	}
	return t
}

// createParams create cluster c with its create task and its default
// pool, the create task's first.
func createParams(c ackscale.Cluster, create ackscale.Task) ackscale.ClusterCreateParams {
	pool := ackscale.NodePool{ID: create.Params.NodePoolID(),
		Spec: ackscale.NodePoolSpec{Name: ackscale.DefaultNodePoolName, Type: ackscale.NodePoolTypeESS}}
	return ackscale.ClusterCreateParams{Cluster: c, DefaultPool: pool, Task: create}
}

// runningCluster creates a cluster of account and finishes its create
// task, which leaves it running.
func (b *testBundle) runningCluster(t *testing.T, accountID, name string) ackscale.Cluster {
	t.Helper()
	c := newCluster(accountID, name)
	create := newTask(c, ackscale.TaskCreateCluster)
	require.NoError(t, b.s.Clusters.ClusterCreate(b.ctx, createParams(c, create)))
	b.succeed(t, create, ackscale.ClusterRunning)
	c.State = ackscale.ClusterRunning
	return c
}

// succeed finishes a task as succeeded, moving its cluster to state to
// and its pools to the state after its type.
func (b *testBundle) succeed(t *testing.T, task ackscale.Task, to ackscale.ClusterState) {
	t.Helper()
	task.State = ackscale.TaskSuccess
	require.NoError(t, b.s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: to,
		PoolState: task.Type.PoolStateAfter(true)}))
}

func count(t *testing.T, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.Pool().QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}

// TestRiverClient inserts jobs with a real, insert-only River client on
// the pool: a task accepted has its job, in the same transaction; a task
// refused has none.
func TestRiverClient(t *testing.T) {
	t.Parallel()
	b := setup(t)
	jobsOf := func(taskID string) int {
		t.Helper()
		return count(t, b.db.DB, `SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'task_id' = $2`,
			ackscale.TaskJob{}.Kind(), taskID)
	}

	c := newCluster(b.account.ID, "c")
	create := newTask(c, ackscale.TaskCreateCluster)
	require.NoError(t, b.s.Clusters.ClusterCreate(b.ctx, createParams(c, create)))
	require.Equal(t, 1, jobsOf(create.ID))

	// The cluster is initial: a scale-out is refused, with no job.
	refused := newTask(c, ackscale.TaskScaleOut)
	err := b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: refused, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling})
	require.Equal(t, ackscale.CodeClusterState, ackscale.ErrorCode(err))
	require.Zero(t, jobsOf(refused.ID))

	// A quota refusal, after the cluster moved in the transaction: no job.
	b.succeed(t, create, ackscale.ClusterRunning)
	quota := newTask(c, ackscale.TaskScaleOut)
	refusal := ackscale.FieldErrorf(ackscale.CodeQuotaExceeded, "count", "quota exceeded")
	err = b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: quota, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling,
		Reserve: &ackscale.Reservation{Scope: "cn-hangzhou", Instances: 1, CheckFunc: func(ackscale.QuotaUsage) error { return refusal }}})
	require.Same(t, refusal, err)
	require.Zero(t, jobsOf(quota.ID))

	accepted := newTask(c, ackscale.TaskScaleOut)
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: accepted, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling}))
	require.Equal(t, 1, jobsOf(accepted.ID))

	counts, err := b.db.JobCounts(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []JobCount{{State: "available", Count: 2}}, counts)
}

// TestReopen opens a database twice, and then with another secret key.
func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cfg := Config{URL: testURL(t), Schema: newSchema(t), SecretKey: testKey}
	db, err := Open(ctx, cfg)
	require.NoError(t, err)
	_, err = NewAccountStore(db).AccountEnsure(ctx, ackscale.AccountCreateParams{
		Account: ackscale.Account{ID: "5000000000000001", AccessKeyID: "LTAIKEY"}, Secret: "secret"})
	require.NoError(t, err)
	var sealed string
	require.NoError(t, db.Pool().QueryRow(ctx, `SELECT access_key_secret FROM accounts`).Scan(&sealed))
	require.NotContains(t, sealed, "secret", "the secret is sealed at rest")
	require.NoError(t, db.Close())

	// Migrations run once; the same key opens the secret.
	db, err = Open(ctx, cfg)
	require.NoError(t, err)
	defer func() { require.NoError(t, db.Close()) }()
	names, err := migrationNames()
	require.NoError(t, err)
	require.Equal(t, len(names), count(t, db, `SELECT count(*) FROM schema_migrations`))
	_, secret, err := NewAccountStore(db).AccountGetByKey(ctx, "LTAIKEY")
	require.NoError(t, err)
	require.Equal(t, "secret", secret)

	// Another key does not.
	cfg.SecretKey = []byte("fedcba9876543210fedcba9876543210")
	other, err := Open(ctx, cfg)
	require.NoError(t, err)
	defer func() { require.NoError(t, other.Close()) }()
	_, _, err = NewAccountStore(other).AccountGetByKey(ctx, "LTAIKEY")
	require.ErrorContains(t, err, "secret key")
}

// TestOpenTogether opens one new schema from several processes' worth of
// DBs at once, as replicas starting together do: each migrates or waits
// for the one that does.
func TestOpenTogether(t *testing.T) {
	t.Parallel()
	cfg := Config{URL: testURL(t), Schema: newSchema(t), SecretKey: testKey, MaxConns: 2}
	const replicas = 3
	dbs := make([]*DB, replicas)
	errs := make([]error, replicas)
	race(replicas, func(i int) { dbs[i], errs[i] = Open(context.Background(), cfg) })
	for i := range replicas {
		require.NoError(t, errs[i], "replica %d", i)
		defer dbs[i].Close()
	}
	names, err := migrationNames()
	require.NoError(t, err)
	require.Equal(t, len(names), count(t, dbs[0], `SELECT count(*) FROM schema_migrations`))
	require.Positive(t, count(t, dbs[0], `SELECT count(*) FROM river_migration`))
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no URL", Config{SecretKey: testKey}, "no URL"},
		{"schema with capitals", Config{URL: "postgres://x", Schema: "Ackscale", SecretKey: testKey}, "schema"},
		{"schema with a quote", Config{URL: "postgres://x", Schema: `a"b`, SecretKey: testKey}, "schema"},
		{"no secret key", Config{URL: "postgres://x"}, "secret key has 0 bytes"},
		{"short secret key", Config{URL: "postgres://x", SecretKey: []byte("short")}, "secret key has 5 bytes"},
		{"negative MaxConns", Config{URL: "postgres://x", SecretKey: testKey, MaxConns: -1}, "MaxConns"},
		{"bad URL", Config{URL: "postgres://x:badport", SecretKey: testKey}, "open database"},
	} {
		_, err := Open(context.Background(), tc.cfg)
		require.ErrorContains(t, err, tc.want, tc.name)
	}
}

// TestClusterUpdate replaces a cluster's spec and records its ended task,
// which TaskList lists with the others; the conformance suite has no case
// of ClusterUpdate or TaskList yet.
func TestClusterUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.runningCluster(t, b.account.ID, "old-name")
	taken := b.runningCluster(t, b.account.ID, "taken")
	jobs := count(t, b.db.DB, `SELECT count(*) FROM river_job`)
	update := func(id, accountID, name string) (ackscale.Task, error) {
		spec := c.Spec
		spec.Name = name
		task := newTask(c, ackscale.TaskModifyCluster)
		task.ID, task.State, task.Created = ackscale.NewTaskID(), ackscale.TaskSuccess, task.Created.Add(time.Second)
		return task, b.s.Clusters.ClusterUpdate(b.ctx, ackscale.ClusterUpdateParams{ID: id, AccountID: accountID, Spec: spec, Task: task})
	}

	task, err := update(c.ID, b.account.ID, "new-name")
	require.NoError(t, err)
	got, err := b.s.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c.ID})
	require.NoError(t, err)
	require.Equal(t, "new-name", got.Spec.Name)
	require.Equal(t, ackscale.ClusterRunning, got.State, "the state stays")
	list, total, err := b.s.Clusters.ClusterList(b.ctx, ackscale.ClusterListParams{AccountID: b.account.ID, Name: "new-name"})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, c.ID, list[0].ID)
	stored, err := b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID})
	require.NoError(t, err)
	require.Equal(t, ackscale.TaskSuccess, stored.State)
	require.Equal(t, jobs, count(t, b.db.DB, `SELECT count(*) FROM river_job`), "an ended task has no job")

	// Its own name again is free; another cluster's is not.
	_, err = update(c.ID, b.account.ID, "new-name")
	require.NoError(t, err)
	_, err = update(c.ID, b.account.ID, taken.Spec.Name)
	require.Equal(t, ackscale.CodeClusterNameExists, ackscale.ErrorCode(err))
	_, err = update(c.ID, b.addAccount(t).ID, "other")
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err), "another account's")
	_, err = update(ackscale.NewClusterID(), b.account.ID, "other")
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
	running := newTask(c, ackscale.TaskModifyCluster)
	err = b.s.Clusters.ClusterUpdate(b.ctx, ackscale.ClusterUpdateParams{ID: c.ID, AccountID: b.account.ID, Spec: c.Spec, Task: running})
	require.ErrorContains(t, err, "not ended")

	// TaskList: newest first; the create task and two updates.
	tasks, total, err := b.s.Clusters.TaskList(b.ctx, ackscale.TaskListParams{ClusterID: c.ID, AccountID: b.account.ID})
	require.NoError(t, err)
	require.Equal(t, 3, total)
	require.Len(t, tasks, 3)
	require.Equal(t, ackscale.TaskCreateCluster, tasks[2].Type)
	page, total, err := b.s.Clusters.TaskList(b.ctx, ackscale.TaskListParams{ClusterID: c.ID, Offset: 1, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, 3, total)
	require.Equal(t, []ackscale.Task{tasks[1]}, page)
	none, total, err := b.s.Clusters.TaskList(b.ctx, ackscale.TaskListParams{ClusterID: c.ID, AccountID: b.addAccount(t).ID})
	require.NoError(t, err)
	require.Zero(t, total)
	require.Empty(t, none)
}
