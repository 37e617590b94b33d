package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// fakeJobs is a JobInserter that records the task ids of the jobs it was
// given, or fails with err.
type fakeJobs struct {
	mu    sync.Mutex
	tasks []string
	err   error
}

func (f *fakeJobs) InsertManyFastTx(_ context.Context, _ *sql.Tx, params []river.InsertManyParams) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	for _, p := range params {
		job, ok := p.Args.(ackscale.TaskJob)
		if !ok {
			return 0, fmt.Errorf("unexpected job args %T", p.Args)
		}
		f.tasks = append(f.tasks, job.TaskID)
	}
	return len(params), nil
}

func (f *fakeJobs) taskIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.tasks...)
}

type testBundle struct {
	db      *DB
	s       Stores
	jobs    *fakeJobs
	account ackscale.Account
	ctx     context.Context
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	db := openTestDB(t)
	jobs := &fakeJobs{}
	s := db.Stores(jobs)
	a, err := s.Accounts.AccountEnsure(ctx, ackscale.AccountCreateParams{
		Account: ackscale.Account{ID: "5000000000000001", AccessKeyID: "LTAIKEY"}, Secret: "secret"})
	require.NoError(t, err)
	return &testBundle{db: db, s: s, jobs: jobs, account: a, ctx: ctx}
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

// newWorker returns a planned worker of task (in its cluster and
// account), not stored.
func newWorker(task ackscale.Task, token string) ackscale.Worker {
	return ackscale.Worker{ClientToken: token, ClusterID: task.ClusterID, AccountID: task.AccountID, TaskID: task.ID,
		State: ackscale.NodeInitial}
}

// createParams create cluster c with its create task and its default
// pool, the create task's first.
func createParams(c ackscale.Cluster, create ackscale.Task) ackscale.ClusterCreateParams {
	pool := ackscale.NodePool{ID: create.Params.NodePoolID(),
		Spec: ackscale.NodePoolSpec{Name: ackscale.DefaultNodePoolName, Type: ackscale.NodePoolTypeESS}}
	return ackscale.ClusterCreateParams{Cluster: c, DefaultPool: pool, Task: create}
}

// createCluster creates a cluster of the bundle's account and its create
// task.
func (b *testBundle) createCluster(t *testing.T, name string) (ackscale.Cluster, ackscale.Task) {
	t.Helper()
	c := newCluster(b.account.ID, name)
	create := newTask(c, ackscale.TaskCreateCluster)
	require.NoError(t, b.s.Clusters.ClusterCreate(b.ctx, createParams(c, create)))
	return c, create
}

// runningCluster creates a cluster and finishes its create task, which
// leaves it running.
func (b *testBundle) runningCluster(t *testing.T, name string) ackscale.Cluster {
	t.Helper()
	c, create := b.createCluster(t, name)
	b.succeed(t, create, ackscale.ClusterRunning)
	c.State = ackscale.ClusterRunning
	return c
}

// startTask starts a task of type typ on running cluster c, moving c to
// state to.
func (b *testBundle) startTask(t *testing.T, c ackscale.Cluster, typ ackscale.TaskType, to ackscale.ClusterState) ackscale.Task {
	t.Helper()
	task := newTask(c, typ)
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: to}))
	return task
}

// succeed finishes a task as succeeded, moving its cluster to state to
// and its pools to the state after its type.
func (b *testBundle) succeed(t *testing.T, task ackscale.Task, to ackscale.ClusterState) {
	t.Helper()
	task.State = ackscale.TaskSuccess
	require.NoError(t, b.s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: to,
		PoolState: task.Type.PoolStateAfter(true)}))
}

func (b *testBundle) clusterState(t *testing.T, id string) ackscale.ClusterState {
	t.Helper()
	c, err := b.s.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: id, WithDeleted: true})
	require.NoError(t, err)
	return c.State
}

// lister returns a function that lists with list and returns the key of
// each item, in order, and the total before paging; an error fails t.
func lister[P, T any](t *testing.T, ctx context.Context, list func(context.Context, P) ([]T, int, error),
	key func(T) string) func(P) ([]string, int) {
	return func(p P) ([]string, int) {
		t.Helper()
		items, total, err := list(ctx, p)
		require.NoError(t, err)
		var keys []string
		for _, it := range items {
			keys = append(keys, key(it))
		}
		return keys, total
	}
}

func count(t *testing.T, db *DB, query string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL().QueryRow(query, args...).Scan(&n))
	return n
}

func TestAccounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, secret, err := b.s.Accounts.AccountGetByKey(b.ctx, "LTAIKEY")
	require.NoError(t, err)
	require.Equal(t, b.account.ID, a.ID)
	require.Equal(t, b.account.Created, a.Created)
	require.Equal(t, "secret", secret)

	var stored string
	require.NoError(t, b.db.SQL().QueryRow(`SELECT access_key_secret FROM accounts`).Scan(&stored))
	require.NotContains(t, stored, "secret") // sealed at rest

	_, _, err = b.s.Accounts.AccountGetByKey(b.ctx, "nope")
	require.Equal(t, ackscale.CodeAccessKeyNotFound, ackscale.ErrorCode(err))

	// Ensuring again with a new secret replaces it (the environment changed)
	// and keeps the account as it was created.
	again, err := b.s.Accounts.AccountEnsure(b.ctx, ackscale.AccountCreateParams{
		Account: ackscale.Account{ID: b.account.ID, AccessKeyID: "LTAIKEY", Created: time.Now().Add(time.Hour)}, Secret: "secret2"})
	require.NoError(t, err)
	require.Equal(t, b.account.Created, again.Created)
	_, secret, err = b.s.Accounts.AccountGetByKey(b.ctx, "LTAIKEY")
	require.NoError(t, err)
	require.Equal(t, "secret2", secret)

	// A second account with its own key; a taken id or key is a conflict.
	require.NoError(t, b.s.Accounts.AccountCreate(b.ctx, ackscale.AccountCreateParams{
		Account: ackscale.Account{ID: "5000000000000002", AccessKeyID: "LTAIOTHER"}, Secret: "s2"}))
	a, secret, err = b.s.Accounts.AccountGetByKey(b.ctx, "LTAIOTHER")
	require.NoError(t, err)
	require.Equal(t, "5000000000000002", a.ID)
	require.Equal(t, "s2", secret)
	for _, taken := range []ackscale.Account{
		{ID: "5000000000000002", AccessKeyID: "LTAIFRESH"},
		{ID: "5000000000000003", AccessKeyID: "LTAIOTHER"},
	} {
		err := b.s.Accounts.AccountCreate(b.ctx, ackscale.AccountCreateParams{Account: taken, Secret: "x"})
		require.True(t, ackscale.IsConflict(err), "%+v: %v", taken, err)
	}
	_, err = b.s.Accounts.AccountEnsure(b.ctx, ackscale.AccountCreateParams{
		Account: ackscale.Account{ID: "5000000000000003", AccessKeyID: "LTAIOTHER"}, Secret: "x"})
	require.True(t, ackscale.IsConflict(err), "%v", err)
	require.Equal(t, 2, count(t, b.db, `SELECT count(*) FROM accounts`))

	// A new key for the account: the old one, read (and cached) before,
	// is gone.
	_, err = b.s.Accounts.AccountEnsure(b.ctx, ackscale.AccountCreateParams{
		Account: ackscale.Account{ID: b.account.ID, AccessKeyID: "LTAIROTATED"}, Secret: "secret3"})
	require.NoError(t, err)
	_, _, err = b.s.Accounts.AccountGetByKey(b.ctx, "LTAIKEY")
	require.Equal(t, ackscale.CodeAccessKeyNotFound, ackscale.ErrorCode(err))
	a, secret, err = b.s.Accounts.AccountGetByKey(b.ctx, "LTAIROTATED")
	require.NoError(t, err)
	require.Equal(t, b.account.ID, a.ID)
	require.Equal(t, "secret3", secret)
}

func TestNonceUse(t *testing.T) {
	t.Parallel()
	b := setup(t)
	use := func(key, nonce string, exp time.Time) bool {
		t.Helper()
		fresh, err := b.s.Accounts.NonceUse(b.ctx, ackscale.NonceUseParams{AccessKeyID: key, Nonce: nonce, Expires: exp})
		require.NoError(t, err)
		return fresh
	}
	exp := time.Now().Add(15 * time.Minute)
	require.True(t, use("k", "n1", exp))
	require.False(t, use("k", "n1", exp))
	require.True(t, use("other", "n1", exp))
	// An expired nonce may be used again.
	require.True(t, use("k", "old", time.Now().Add(-time.Minute)))
	require.True(t, use("k", "old", exp))

	require.True(t, use("k", "stale1", time.Now().Add(-2*time.Minute)))
	require.True(t, use("k", "stale2", time.Now().Add(-2*time.Minute)))
	n, err := b.s.Accounts.NoncePrune(b.ctx, time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.Equal(t, 2, n)
	n, err = b.s.Accounts.NoncePrune(b.ctx, time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.Zero(t, n)
	require.False(t, use("k", "n1", exp)) // pruning kept the live ones
}

func TestClusterCreateInsertsTaskAndJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c, task := b.createCluster(t, "one")
	require.Equal(t, []string{task.ID}, b.jobs.taskIDs())

	got, err := b.s.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c.ID, AccountID: b.account.ID})
	require.NoError(t, err)
	require.Equal(t, c.Spec, got.Spec)
	require.Equal(t, c.Created, got.Created)
	require.Equal(t, ackscale.ClusterInitial, got.State)
	gotTask, err := b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID, AccountID: b.account.ID})
	require.NoError(t, err)
	require.Equal(t, ackscale.TaskCreateCluster, gotTask.Type)
	require.Equal(t, ackscale.TaskRunning, gotTask.State)

	// Same name again: refused, and nothing more is written.
	c2 := newCluster(b.account.ID, "one")
	err = b.s.Clusters.ClusterCreate(b.ctx, createParams(c2, newTask(c2, ackscale.TaskCreateCluster)))
	require.Equal(t, ackscale.CodeClusterNameExists, ackscale.ErrorCode(err))
	require.Len(t, b.jobs.taskIDs(), 1)
	_, err = b.s.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c2.ID, AccountID: b.account.ID})
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
	require.Equal(t, 1, count(t, b.db, `SELECT count(*) FROM tasks`))

	// Another account does not see it; no account at all finds it.
	_, err = b.s.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c.ID, AccountID: "5000000000000002"})
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
	_, err = b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID, AccountID: "5000000000000002"})
	require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(err))
	_, err = b.s.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c.ID})
	require.NoError(t, err)
	_, err = b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID})
	require.NoError(t, err)
}

func TestClusterCreateJobFailureWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.jobs.err = fmt.Errorf("queue down")
	c := newCluster(b.account.ID, "one")
	err := b.s.Clusters.ClusterCreate(b.ctx, createParams(c, newTask(c, ackscale.TaskCreateCluster)))
	require.ErrorContains(t, err, "queue down")
	require.Zero(t, count(t, b.db, `SELECT count(*) FROM clusters`))
	require.Zero(t, count(t, b.db, `SELECT count(*) FROM tasks`))
}

func TestClusterCreateDeletedNameIsFree(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.runningCluster(t, "one")
	del := b.startTask(t, c, ackscale.TaskDeleteCluster, ackscale.ClusterDeleting)
	b.succeed(t, del, ackscale.ClusterDeleted)

	_, err := b.s.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c.ID, AccountID: b.account.ID})
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
	got, err := b.s.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: c.ID, AccountID: b.account.ID, WithDeleted: true})
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterDeleted, got.State)

	c2 := newCluster(b.account.ID, "one")
	require.NoError(t, b.s.Clusters.ClusterCreate(b.ctx, createParams(c2, newTask(c2, ackscale.TaskCreateCluster))))

	// A deleted cluster starts nothing: it is not found.
	err = b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: newTask(c, ackscale.TaskScaleOut), From: ackscale.ClusterRunning, To: ackscale.ClusterScaling})
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
}

func TestClusterList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.s.Accounts.AccountCreate(b.ctx, ackscale.AccountCreateParams{
		Account: ackscale.Account{ID: "5000000000000002", AccessKeyID: "LTAIOTHER"}, Secret: "s"}))
	base := time.Now().UTC().Truncate(time.Millisecond)
	var ids []string
	for i, acct := range []string{b.account.ID, b.account.ID, b.account.ID, "5000000000000002"} {
		c := newCluster(acct, fmt.Sprintf("c%d", i))
		c.Created = base.Add(time.Duration(i) * time.Second)
		if i == 1 {
			c.Spec.Profile = "Edge"
			c.Spec.RegionID = "cn-beijing"
		}
		require.NoError(t, b.s.Clusters.ClusterCreate(b.ctx, createParams(c, newTask(c, ackscale.TaskCreateCluster))))
		ids = append(ids, c.ID)
	}
	require.NoError(t, b.s.Clusters.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: ids[2], Endpoint: "https://127.0.0.1:6443"}))
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(
		b.s.Clusters.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: "cnope", Endpoint: "x"})))

	list := lister(t, b.ctx, b.s.Clusters.ClusterList, func(c ackscale.Cluster) string { return c.ID })
	got, total := list(ackscale.ClusterListParams{AccountID: b.account.ID})
	require.Equal(t, []string{ids[2], ids[1], ids[0]}, got) // newest first
	require.Equal(t, 3, total)
	got, total = list(ackscale.ClusterListParams{})
	require.Equal(t, []string{ids[3], ids[2], ids[1], ids[0]}, got)
	require.Equal(t, 4, total)
	got, total = list(ackscale.ClusterListParams{AccountID: b.account.ID, Offset: 1, Limit: 1})
	require.Equal(t, []string{ids[1]}, got)
	require.Equal(t, 3, total)
	got, _ = list(ackscale.ClusterListParams{WithAPIServer: true})
	require.Equal(t, []string{ids[2]}, got)
	got, _ = list(ackscale.ClusterListParams{Profile: "Edge"})
	require.Equal(t, []string{ids[1]}, got)
	got, _ = list(ackscale.ClusterListParams{RegionID: "cn-beijing", AccountID: b.account.ID})
	require.Equal(t, []string{ids[1]}, got)
	got, _ = list(ackscale.ClusterListParams{Name: "c0"})
	require.Equal(t, []string{ids[0]}, got)
	got, _ = list(ackscale.ClusterListParams{ClusterID: ids[3], AccountID: b.account.ID})
	require.Empty(t, got)

	c, err := b.s.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: ids[2]})
	require.NoError(t, err)
	require.Equal(t, "https://127.0.0.1:6443", c.APIServer)
}

func TestTaskStartMovesStateOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.runningCluster(t, "c")

	first := b.startTask(t, c, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	second := newTask(c, ackscale.TaskScaleOut)
	err := b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: second, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling})
	require.Equal(t, ackscale.CodeClusterState, ackscale.ErrorCode(err))
	require.True(t, ackscale.IsConflict(err))
	require.False(t, ackscale.IsTransition(err))
	require.Contains(t, err.Error(), "scaling")
	require.Len(t, b.jobs.taskIDs(), 2) // create + first scale-out only
	require.Equal(t, first.ID, b.jobs.taskIDs()[1])
	_, err = b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: second.ID, AccountID: b.account.ID})
	require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(err))

	first.State = ackscale.TaskSuccess
	first.CurrentStage = ackscale.StageDone
	first.Stages = []ackscale.TaskStage{{Name: ackscale.StagePlan, State: ackscale.StageSuccess}}
	first.Events = []ackscale.TaskEvent{{Action: ackscale.StagePlan, Level: ackscale.EventNormal, Reason: ackscale.ReasonPlanned, Message: "m"}}
	require.NoError(t, b.s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: first, ClusterState: ackscale.ClusterRunning}))
	got, err := b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: first.ID, AccountID: b.account.ID})
	require.NoError(t, err)
	require.Equal(t, ackscale.TaskSuccess, got.State)
	require.Equal(t, ackscale.StageDone, got.CurrentStage)
	require.Equal(t, ackscale.StagePlan, got.Stages[0].Name)
	require.Equal(t, ackscale.StageSuccess, got.Stages[0].State)
	require.Equal(t, ackscale.ReasonPlanned, got.Events[0].Reason)
	require.Equal(t, ackscale.ClusterRunning, b.clusterState(t, c.ID))

	// Another account's task does not find the cluster.
	other := newTask(c, ackscale.TaskScaleOut)
	other.AccountID = "5000000000000002"
	err = b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: other, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling})
	require.Equal(t, ackscale.CodeClusterNotFound, ackscale.ErrorCode(err))
	require.Equal(t, ackscale.ClusterRunning, b.clusterState(t, c.ID))
}

func TestTaskSaveAndCount(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.runningCluster(t, "c")
	task := b.startTask(t, c, ackscale.TaskScaleOut, ackscale.ClusterScaling)

	task.CurrentStage = ackscale.StagePlan
	task.Params.PriorWorkers = 3
	task.Params.ScaleOut = &ackscale.ScaleOut{Count: 2, InstanceTypes: []string{"ecs.c5.xlarge"}}
	require.NoError(t, b.s.Clusters.TaskSave(b.ctx, task))
	got, err := b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID})
	require.NoError(t, err)
	require.Equal(t, ackscale.StagePlan, got.CurrentStage)
	require.Equal(t, 3, got.Params.PriorWorkers)
	require.Equal(t, 2, got.Params.ScaleOut.Count)

	countTasks := func(s ackscale.TaskState) int {
		t.Helper()
		n, err := b.s.Clusters.TaskCount(b.ctx, ackscale.TaskCountParams{State: s})
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 2, countTasks(""))
	require.Equal(t, 1, countTasks(ackscale.TaskRunning))
	require.Equal(t, 1, countTasks(ackscale.TaskSuccess))
	require.Zero(t, countTasks(ackscale.TaskFailed))

	// A task that has not ended is not finished.
	err = b.s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: ackscale.ClusterRunning})
	require.Error(t, err)
	require.Equal(t, ackscale.ClusterScaling, b.clusterState(t, c.ID))

	task.State, task.ErrorCode, task.ErrorMessage = ackscale.TaskFailed, ackscale.CodeNoStock, "sold out"
	require.NoError(t, b.s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task}))
	require.Equal(t, ackscale.ClusterScaling, b.clusterState(t, c.ID)) // "" left it
	require.Equal(t, 1, countTasks(ackscale.TaskFailed))
	got, err = b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID})
	require.NoError(t, err)
	require.Equal(t, ackscale.CodeNoStock, got.ErrorCode)
	require.Equal(t, "sold out", got.ErrorMessage)
}

func TestTaskStartMarksRemovingByClientToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.runningCluster(t, "c")
	ws := []ackscale.Worker{
		{ClientToken: "w0", ClusterID: c.ID, AccountID: b.account.ID, TaskID: "T-1", RegionID: "cn-hangzhou", InstanceType: "t", State: ackscale.NodeRunning},
		{ClientToken: "w1", ClusterID: c.ID, AccountID: b.account.ID, TaskID: "T-1", RegionID: "cn-hangzhou", InstanceType: "t", State: ackscale.NodeRunning},
		{ClientToken: "w2", ClusterID: c.ID, AccountID: b.account.ID, TaskID: "T-1", RegionID: "cn-hangzhou", InstanceType: "t", State: ackscale.NodeFailed},
		{ClientToken: "x0", ClusterID: "cother", AccountID: b.account.ID, TaskID: "T-2", RegionID: "cn-hangzhou", InstanceType: "t", State: ackscale.NodeRunning},
	}
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, ws))

	// A worker of another cluster is not found, and nothing is written.
	bad := newTask(c, ackscale.TaskRemoveNodes)
	err := b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: bad, From: ackscale.ClusterRunning, To: ackscale.ClusterRemoving,
		Removing: []string{"w0", "x0"}})
	require.Equal(t, ackscale.CodeNodeNotFound, ackscale.ErrorCode(err))
	require.Equal(t, ackscale.ClusterRunning, b.clusterState(t, c.ID))
	removing, _, err := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{States: []ackscale.NodeState{ackscale.NodeRemoving}})
	require.NoError(t, err)
	require.Empty(t, removing)

	task := newTask(c, ackscale.TaskRemoveNodes)
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: ackscale.ClusterRemoving,
		Removing: []string{"w0", "w2"}}))
	removing, total, err := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: c.ID, States: []ackscale.NodeState{ackscale.NodeRemoving}})
	require.NoError(t, err)
	require.Equal(t, 2, total)
	require.Equal(t, "w0", removing[0].ClientToken)
	require.Equal(t, "w2", removing[1].ClientToken)
	require.Equal(t, ackscale.ClusterRemoving, b.clusterState(t, c.ID))
}

func TestWorkerInsertIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ws := []ackscale.Worker{
		{ClientToken: "T-1-0", ClusterID: "c1", AccountID: b.account.ID, TaskID: "T-1", RegionID: "cn-hangzhou", InstanceType: "ecs.c5.xlarge", State: ackscale.NodeInitial, Labels: map[string]string{"a": "b"},
			Taints: []ackscale.Taint{{Key: "k", Value: "v", Effect: "NoSchedule"}}, Runtime: ackscale.Runtime{Name: "containerd", Version: "1.6"}},
		{ClientToken: "T-1-1", ClusterID: "c1", AccountID: b.account.ID, TaskID: "T-1", RegionID: "cn-hangzhou", InstanceType: "ecs.c5.xlarge", State: ackscale.NodeInitial},
	}
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, ws))
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, ws))
	got, total, err := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{TaskID: "T-1"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, 2, total)
	require.Equal(t, "b", got[0].Labels["a"])
	require.Equal(t, "b", got[1].Labels["a"]) // the task's, from its first worker
	require.Equal(t, ws[0].Taints, got[1].Taints)
	require.Equal(t, ws[0].Runtime, got[1].Runtime)
	require.Equal(t, 1, count(t, b.db, `SELECT count(*) FROM worker_specs WHERE task_id = 'T-1'`))
	require.False(t, got[0].Created.IsZero()) // stamped when the planner left it zero

	got[1].State = ackscale.NodeStarting
	require.NoError(t, b.s.Workers.WorkerUpdate(b.ctx, got[1]))
	got[1].InstanceID, got[1].NodeName, got[1].State, got[1].NodeStatus = "i-1", "cn-hangzhou.192.168.0.3", ackscale.NodeRunning, ackscale.NodeReady
	got[1].IP, got[1].ZoneID = "192.168.0.3", "cn-hangzhou-k"
	require.NoError(t, b.s.Workers.WorkerUpdate(b.ctx, got[1]))
	running, total, err := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: "c1", States: []ackscale.NodeState{ackscale.NodeRunning}})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, "i-1", running[0].InstanceID)
	require.Equal(t, ackscale.NodeReady, running[0].NodeStatus)
	require.Equal(t, "cn-hangzhou-k", running[0].ZoneID)

	byName, _, err := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: "c1", NodeNames: []string{"cn-hangzhou.192.168.0.3"}})
	require.NoError(t, err)
	require.Len(t, byName, 1)
	byInstance, _, err := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{InstanceIDs: []string{"i-1", "i-none"}})
	require.NoError(t, err)
	require.Len(t, byInstance, 1)

	err = b.s.Workers.WorkerUpdate(b.ctx, ackscale.Worker{ClientToken: "nope", State: ackscale.NodeRunning})
	require.Equal(t, ackscale.CodeNodeNotFound, ackscale.ErrorCode(err))

	require.NoError(t, b.s.Workers.WorkerDelete(b.ctx, "T-1-1"))
	require.NoError(t, b.s.Workers.WorkerDelete(b.ctx, "T-1-1")) // gone already
	n, err := b.s.Workers.WorkerCount(b.ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func TestWorkerListOrderAndPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	at := time.Now().UTC().Truncate(time.Millisecond)
	plan := func(task string, created time.Time, n int) []ackscale.Worker {
		var ws []ackscale.Worker
		for i := range n {
			ws = append(ws, ackscale.Worker{ClientToken: fmt.Sprintf("%s-%d", task, i), ClusterID: "c1", AccountID: b.account.ID,
				TaskID: task, RegionID: "r", InstanceType: "t", State: ackscale.NodeInitial, Created: created})
		}
		return ws
	}
	// Inserted out of order: T-b first, then T-a at the same time, then an
	// older T-c; tokens that sort against plan order.
	tb := plan("T-b", at, 2)
	tb[0].ClientToken, tb[1].ClientToken = "z", "a"
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, tb))
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, plan("T-a", at, 2)))
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, plan("T-c", at.Add(-time.Second), 1)))
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, []ackscale.Worker{{ClientToken: "other", ClusterID: "c2", TaskID: "T-d",
		AccountID: b.account.ID, RegionID: "r", InstanceType: "t", State: ackscale.NodeInitial, Created: at}}))

	tokens := lister(t, b.ctx, b.s.Workers.WorkerList, func(w ackscale.Worker) string { return w.ClientToken })
	got, total := tokens(ackscale.WorkerListParams{ClusterID: "c1"})
	require.Equal(t, []string{"T-c-0", "T-a-0", "T-a-1", "z", "a"}, got)
	require.Equal(t, 5, total)
	got, total = tokens(ackscale.WorkerListParams{ClusterID: "c1", Offset: 1, Limit: 2})
	require.Equal(t, []string{"T-a-0", "T-a-1"}, got)
	require.Equal(t, 5, total)
	got, total = tokens(ackscale.WorkerListParams{ClusterID: "c1", ClientTokens: []string{"a", "z", "other"}})
	require.Equal(t, []string{"z", "a"}, got)
	require.Equal(t, 2, total)
	got, _ = tokens(ackscale.WorkerListParams{})
	require.Len(t, got, 6)
	got, _ = tokens(ackscale.WorkerListParams{ClusterID: "c1", States: []ackscale.NodeState{ackscale.NodeRunning}})
	require.Empty(t, got)
}

func TestInstanceCreateIdempotentByToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := ackscale.Instance{ID: "i-a", ClientToken: "tok", AccountID: b.account.ID, RegionID: "cn-hangzhou", IPPool: "vsw-1",
		IP: "192.168.0.3", InstanceType: "ecs.c5.xlarge", Status: ackscale.InstancePending}
	out, created, err := b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "i-a", out.ID)

	again := in
	again.ID, again.IP = "i-b", "192.168.0.4"
	checked := false
	out, created, err = b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: again,
		CheckFunc: func(ackscale.StockUsage) error { checked = true; return nil }})
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, "i-a", out.ID)
	require.False(t, checked) // an existing instance needs no stock

	byToken, err := b.s.Cloud.InstanceGet(b.ctx, ackscale.InstanceGetParams{ClientToken: "tok"})
	require.NoError(t, err)
	require.Equal(t, "i-a", byToken.ID)
	_, err = b.s.Cloud.InstanceGet(b.ctx, ackscale.InstanceGetParams{ClientToken: "nope"})
	require.Equal(t, ackscale.CodeInstanceNotFound, ackscale.ErrorCode(err))
	_, err = b.s.Cloud.InstanceGet(b.ctx, ackscale.InstanceGetParams{ID: "i-nope"})
	require.Equal(t, ackscale.CodeInstanceNotFound, ackscale.ErrorCode(err))

	// The same IP in the same pool is refused while the first holds it (a
	// conflict the caller retries with another IP)...
	clash := ackscale.Instance{ID: "i-c", ClientToken: "tok2", AccountID: b.account.ID, IPPool: "vsw-1", IP: "192.168.0.3",
		Status: ackscale.InstancePending}
	_, _, err = b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: clash})
	require.True(t, ackscale.IsConflict(err), "%v", err)
	require.True(t, ackscale.IsRetryable(err))
	require.Contains(t, err.Error(), "IP 192.168.0.3 of vsw-1 is taken")
	// ...and free once it is released.
	require.NoError(t, b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: "i-a", Status: ackscale.InstanceReleased}))
	used, err := b.s.Cloud.InstanceUsedIPs(b.ctx, ackscale.InstanceUsedIPsParams{AccountID: b.account.ID, Pool: "vsw-1"})
	require.NoError(t, err)
	require.Empty(t, used)
	_, created, err = b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: clash})
	require.NoError(t, err)
	require.True(t, created)
	used, err = b.s.Cloud.InstanceUsedIPs(b.ctx, ackscale.InstanceUsedIPsParams{AccountID: b.account.ID, Pool: "vsw-1"})
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"192.168.0.3": true}, used)
}

func TestInstanceUpdateAndList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mk := func(id, account, typ string) {
		in := ackscale.Instance{ID: id, ClientToken: "tok-" + id, AccountID: account, RegionID: "cn-hangzhou", IPPool: "vsw-1",
			IP: "10.0.0." + id[2:], InstanceType: typ}
		_, _, err := b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
		require.NoError(t, err)
	}
	mk("i-1", "a1", "t1")
	mk("i-2", "a1", "t1")
	mk("i-3", "a1", "t2")
	mk("i-4", "a2", "t1")

	in, err := b.s.Cloud.InstanceGet(b.ctx, ackscale.InstanceGetParams{ID: "i-1"})
	require.NoError(t, err)
	require.Equal(t, ackscale.InstancePending, in.Status) // "" is pending
	ready := time.Now().UTC().Truncate(time.Millisecond).Add(time.Minute)
	require.NoError(t, b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: "i-1", ReadyAt: ready}))
	require.NoError(t, b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: "i-1", Status: ackscale.InstanceRunning}))
	require.NoError(t, b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: "i-2", Status: ackscale.InstanceReleased}))
	require.NoError(t, b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: "i-3", Detach: true}))
	in, err = b.s.Cloud.InstanceGet(b.ctx, ackscale.InstanceGetParams{ID: "i-1"})
	require.NoError(t, err)
	require.Equal(t, ackscale.InstanceRunning, in.Status)
	require.Equal(t, ready, in.ReadyAt)
	in, err = b.s.Cloud.InstanceGet(b.ctx, ackscale.InstanceGetParams{ID: "i-2"})
	require.NoError(t, err)
	require.Equal(t, ackscale.InstanceReleased, in.Status)
	require.False(t, in.Released.IsZero())
	released := in.Released
	require.NoError(t, b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: "i-2", Status: ackscale.InstanceReleased}))
	in, err = b.s.Cloud.InstanceGet(b.ctx, ackscale.InstanceGetParams{ID: "i-2"})
	require.NoError(t, err)
	require.Equal(t, released, in.Released) // a second release keeps the first's time

	err = b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: "i-nope", Detach: true})
	require.Equal(t, ackscale.CodeInstanceNotFound, ackscale.ErrorCode(err))
	err = b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: "i-nope"})
	require.Equal(t, ackscale.CodeInstanceNotFound, ackscale.ErrorCode(err))

	ids := func(p ackscale.InstanceListParams) []string {
		t.Helper()
		list, err := b.s.Cloud.InstanceList(b.ctx, p)
		require.NoError(t, err)
		var out []string
		for _, in := range list {
			out = append(out, in.ID)
		}
		return out
	}
	require.Equal(t, []string{"i-1", "i-2", "i-3", "i-4"}, ids(ackscale.InstanceListParams{}))
	require.Equal(t, []string{"i-1", "i-3"}, ids(ackscale.InstanceListParams{AccountID: "a1", LiveOnly: true}))
	require.Equal(t, []string{"i-1", "i-3", "i-4"}, ids(ackscale.InstanceListParams{LiveOnly: true}))

	usage, err := b.s.Cloud.QuotaUsageGet(b.ctx, ackscale.QuotaUsageParams{AccountID: "a1", Scope: "cn-hangzhou"})
	require.NoError(t, err)
	require.Equal(t, ackscale.QuotaUsage{AccountID: "a1", Scope: "cn-hangzhou", Instances: 2}, usage) // i-1, and i-3 detached

	c, err := b.db.Check(b.ctx)
	require.NoError(t, err)
	require.Equal(t, ackscale.Check{Instances: 4, Live: 3, Released: 1, Detached: 1, Leaked: 2}, c)
}

func TestCheck(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.runningCluster(t, "c")
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, []ackscale.Worker{
		{ClientToken: "held", ClusterID: c.ID, AccountID: b.account.ID, TaskID: "T", RegionID: "r", InstanceType: "t", State: ackscale.NodeStarting, InstanceID: "i-held"},
		{ClientToken: "lost", ClusterID: c.ID, AccountID: b.account.ID, TaskID: "T", RegionID: "r", InstanceType: "t", State: ackscale.NodeStarting, InstanceID: "i-gone"},
		{ClientToken: "planned", ClusterID: c.ID, AccountID: b.account.ID, TaskID: "T", RegionID: "r", InstanceType: "t", State: ackscale.NodeInitial},
	}))
	for _, in := range []ackscale.Instance{
		{ID: "i-held", ClientToken: "held", IPPool: "p", IP: "1"},
		{ID: "i-gone", ClientToken: "lost", IPPool: "p", IP: "2", Status: ackscale.InstanceReleased},
		{ID: "i-leak", ClientToken: "leak", IPPool: "p", IP: "3"},
	} {
		_, _, err := b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
		require.NoError(t, err)
	}
	got, err := b.db.Check(b.ctx)
	require.NoError(t, err)
	require.Equal(t, ackscale.Check{Instances: 3, Live: 2, Released: 1, Workers: 3, Leaked: 1, Lost: 1, TasksSucceeded: 1}, got)
}

func TestCloudControl(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cs := b.s.Cloud
	require.NoError(t, cs.StockSet(b.ctx, ackscale.StockOverride{ZoneID: "z", InstanceType: "t", Capacity: 2}))
	require.NoError(t, cs.StockSet(b.ctx, ackscale.StockOverride{ZoneID: "z", InstanceType: "t", Capacity: 0}))
	require.NoError(t, cs.StockSet(b.ctx, ackscale.StockOverride{ZoneID: "a", InstanceType: "t", Capacity: 1}))
	stock, err := cs.StockList(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []ackscale.StockOverride{{ZoneID: "a", InstanceType: "t", Capacity: 1}, {ZoneID: "z", InstanceType: "t", Capacity: 0}}, stock)
	require.NoError(t, cs.StockSet(b.ctx, ackscale.StockOverride{ZoneID: "a", InstanceType: "t", Capacity: -1}))
	stock, err = cs.StockList(b.ctx)
	require.NoError(t, err)
	require.Len(t, stock, 1)

	require.NoError(t, cs.QuotaSet(b.ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaENSInstances, Value: 5}))
	require.NoError(t, cs.QuotaSet(b.ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaENSInstances, Value: 6}))
	quotas, err := cs.QuotaList(b.ctx)
	require.NoError(t, err)
	require.Equal(t, []ackscale.QuotaOverride{{AccountID: "*", Name: ackscale.QuotaENSInstances, Value: 6}}, quotas)
	require.NoError(t, cs.QuotaSet(b.ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaENSInstances, Value: -1}))
	quotas, err = cs.QuotaList(b.ctx)
	require.NoError(t, err)
	require.Empty(t, quotas)

	now := time.Now().UTC().Truncate(time.Millisecond)
	require.NoError(t, cs.FaultAdd(b.ctx, ackscale.Fault{ID: "f1", Operation: ackscale.FaultCreate, Code: ackscale.CodeNoStock, Count: 1, Created: now}))
	require.NoError(t, cs.FaultAdd(b.ctx, ackscale.Fault{ID: "f2", Operation: ackscale.FaultRelease, Created: now.Add(time.Second)}))
	require.True(t, ackscale.IsConflict(cs.FaultAdd(b.ctx, ackscale.Fault{ID: "f1", Operation: ackscale.FaultCreate})))
	faults, err := cs.FaultList(b.ctx)
	require.NoError(t, err)
	require.Len(t, faults, 2)
	require.Equal(t, ackscale.FaultCreate, faults[0].Operation)
	require.Equal(t, ackscale.FaultRelease, faults[1].Operation)
	fired, err := cs.FaultFire(b.ctx, "f1")
	require.NoError(t, err)
	require.True(t, fired)
	fired, err = cs.FaultFire(b.ctx, "f1")
	require.NoError(t, err)
	require.False(t, fired) // its one firing is spent
	for range 3 {
		fired, err = cs.FaultFire(b.ctx, "f2")
		require.NoError(t, err)
		require.True(t, fired) // without end
	}
	faults, err = cs.FaultList(b.ctx)
	require.NoError(t, err)
	require.Len(t, faults, 1)
	require.Equal(t, "f2", faults[0].ID)
	require.Equal(t, 3, faults[0].Fired)
	require.NoError(t, cs.FaultDelete(b.ctx, "f2"))
	require.NoError(t, cs.FaultDelete(b.ctx, "f2"))
	require.NoError(t, cs.FaultAdd(b.ctx, ackscale.Fault{ID: "f3", Operation: ackscale.FaultCreate}))
	require.NoError(t, cs.FaultDelete(b.ctx, ""))
	faults, err = cs.FaultList(b.ctx)
	require.NoError(t, err)
	require.Empty(t, faults)
}

// TestRiverClient inserts jobs with a real, insert-only River client: a
// task accepted has its job; a task refused has none.
func TestRiverClient(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := Open(ctx, Config{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	client, err := river.NewClient(riversqlite.New(db.SQL()), &river.Config{})
	require.NoError(t, err)
	b := &testBundle{db: db, s: db.Stores(client), ctx: ctx}
	b.account, err = b.s.Accounts.AccountEnsure(ctx, ackscale.AccountCreateParams{
		Account: ackscale.Account{ID: "5000000000000001", AccessKeyID: "LTAIKEY"}, Secret: "secret"})
	require.NoError(t, err)
	jobsOf := func(taskID string) int {
		t.Helper()
		return count(t, db, `SELECT count(*) FROM river_job WHERE kind = ? AND json_extract(args, '$.task_id') = ?`,
			ackscale.TaskJob{}.Kind(), taskID)
	}

	c := newCluster(b.account.ID, "c")
	create := newTask(c, ackscale.TaskCreateCluster)
	require.NoError(t, b.s.Clusters.ClusterCreate(ctx, createParams(c, create)))
	require.Equal(t, 1, jobsOf(create.ID))

	// The cluster is initial: a scale-out is refused, with no job.
	refused := newTask(c, ackscale.TaskScaleOut)
	err = b.s.Clusters.TaskStart(ctx, ackscale.TaskStartParams{Task: refused, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling})
	require.Equal(t, ackscale.CodeClusterState, ackscale.ErrorCode(err))
	require.Zero(t, jobsOf(refused.ID))

	b.succeed(t, create, ackscale.ClusterRunning)
	accepted := newTask(c, ackscale.TaskScaleOut)
	require.NoError(t, b.s.Clusters.TaskStart(ctx, ackscale.TaskStartParams{Task: accepted, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling}))
	require.Equal(t, 1, jobsOf(accepted.ID))
	require.Equal(t, 2, count(t, db, `SELECT count(*) FROM river_job`))

	// A job left running by a killed process is made available again.
	_, err = db.SQL().Exec(`UPDATE river_job SET state = 'running'`)
	require.NoError(t, err)
	require.NoError(t, db.RequeueRunningJobs(ctx))
	require.Equal(t, 2, count(t, db, `SELECT count(*) FROM river_job WHERE state = 'available'`))
}

func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, Config{Dir: dir})
	require.NoError(t, err)
	_, err = NewAccountStore(db).AccountEnsure(ctx, ackscale.AccountCreateParams{
		Account: ackscale.Account{ID: "5000000000000001", AccessKeyID: "LTAIKEY"}, Secret: "secret"})
	require.NoError(t, err)
	require.NoError(t, db.Close())

	// Migrations run once; the secret key beside the file still opens it.
	db, err = Open(ctx, Config{Dir: dir})
	require.NoError(t, err)
	defer func() { require.NoError(t, db.Close()) }()
	_, secret, err := NewAccountStore(db).AccountGetByKey(ctx, "LTAIKEY")
	require.NoError(t, err)
	require.Equal(t, "secret", secret)

	_, err = Open(ctx, Config{})
	require.Error(t, err)
}

// TestWorkerListCache lists a cluster's workers, changes them through each
// write, and lists them again: each list is current, and changing a list
// returned changes no other.
func TestWorkerListCache(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.runningCluster(t, "c")
	task := b.startTask(t, c, ackscale.TaskScaleOut, ackscale.ClusterScaling)
	ws := []ackscale.Worker{
		{ClusterID: c.ID, AccountID: b.account.ID, TaskID: task.ID, ClientToken: task.ID + "-0", RegionID: "cn-hangzhou",
			InstanceType: "ecs.g6.large", State: ackscale.NodeInitial, Labels: map[string]string{"a": "1"}},
		{ClusterID: c.ID, AccountID: b.account.ID, TaskID: task.ID, ClientToken: task.ID + "-1", RegionID: "cn-hangzhou",
			InstanceType: "ecs.g6.large", State: ackscale.NodeInitial},
	}
	list := func() []ackscale.Worker {
		t.Helper()
		got, total, err := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: c.ID})
		require.NoError(t, err)
		require.Len(t, got, total)
		return got
	}
	require.Empty(t, list())
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, ws[:1]))
	require.Len(t, list(), 1)
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, ws[1:]))
	got := list()
	require.Len(t, got, 2)
	got[0].Labels["a"], got[0].State = "changed", ackscale.NodeFailed // the caller's copy
	require.Equal(t, map[string]string{"a": "1"}, list()[0].Labels)
	require.Equal(t, ackscale.NodeInitial, list()[0].State)

	w := ws[0]
	w.State, w.InstanceID = ackscale.NodeStarting, "i-1"
	require.NoError(t, b.s.Workers.WorkerUpdate(b.ctx, w))
	require.Equal(t, "i-1", list()[0].InstanceID)
	w.State = ackscale.NodeRunning
	require.NoError(t, b.s.Workers.WorkerUpdate(b.ctx, w))
	require.Equal(t, ackscale.NodeRunning, list()[0].State)

	b.succeed(t, task, ackscale.ClusterRunning)
	removal := newTask(c, ackscale.TaskScaleIn)
	require.NoError(t, b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: removal, From: ackscale.ClusterRunning,
		To: ackscale.ClusterRemoving, Removing: []string{w.ClientToken}}))
	require.Equal(t, ackscale.NodeRemoving, list()[0].State, "marked removing by TaskStart")

	require.NoError(t, b.s.Workers.WorkerDelete(b.ctx, w.ClientToken))
	require.Len(t, list(), 1)
}

// TestCloseTwice: a second Close neither panics nor fails (the flusher, the
// writer and the checkpointer stop once).
func TestCloseTwice(t *testing.T) {
	db, err := Open(context.Background(), Config{Dir: t.TempDir()})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	require.NotPanics(t, func() { require.NoError(t, db.Close()) })
}
