package sqlite

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// requireTransition asserts err is the *TransitionError of this change.
func requireTransition(t *testing.T, err error, what, id string, from, to string) {
	t.Helper()
	var te *ackscale.TransitionError
	require.ErrorAs(t, err, &te)
	require.Equal(t, ackscale.TransitionError{What: what, ID: id, From: from, To: to}, *te)
}

func TestClusterTransitions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	setState := func(id string, s ackscale.ClusterState) {
		_, err := b.db.SQL().Exec(`UPDATE clusters SET state = ? WHERE id = ?`, string(s), id)
		require.NoError(t, err)
		// Its default pool is idle: only the cluster's table decides.
		_, err = b.db.SQL().Exec(`UPDATE node_pools SET state = ? WHERE cluster_id = ?`, string(ackscale.NodePoolActive), id)
		require.NoError(t, err)
	}
	for _, from := range ackscale.ClusterStates() {
		for _, to := range ackscale.ClusterStates() {
			t.Run(fmt.Sprintf("finish %s to %s", from, to), func(t *testing.T) {
				c, task := b.createCluster(t, fmt.Sprintf("f-%s-%s", from, to))
				setState(c.ID, from)
				task.State = ackscale.TaskSuccess
				err := b.s.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: task, ClusterState: to})
				got, gerr := b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID})
				require.NoError(t, gerr)
				if from.CanMoveTo(to) {
					require.NoError(t, err)
					require.Equal(t, to, b.clusterState(t, c.ID))
					require.Equal(t, ackscale.TaskSuccess, got.State)
					return
				}
				requireTransition(t, err, "cluster", c.ID, string(from), string(to))
				require.Equal(t, from, b.clusterState(t, c.ID))
				require.Equal(t, ackscale.TaskRunning, got.State) // the task's save rolled back
			})
			t.Run(fmt.Sprintf("start %s to %s", from, to), func(t *testing.T) {
				c, _ := b.createCluster(t, fmt.Sprintf("s-%s-%s", from, to))
				setState(c.ID, from)
				jobs := len(b.jobs.taskIDs())
				task := newTask(c, ackscale.TaskScaleOut)
				err := b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: from, To: to})
				_, gerr := b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID})
				if from.CanMoveTo(to) {
					require.NoError(t, err)
					require.NoError(t, gerr)
					require.Equal(t, to, b.clusterState(t, c.ID))
					require.Len(t, b.jobs.taskIDs(), jobs+1)
					return
				}
				requireTransition(t, err, "cluster", c.ID, string(from), string(to))
				require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(gerr))
				require.Equal(t, from, b.clusterState(t, c.ID))
				require.Len(t, b.jobs.taskIDs(), jobs)
			})
		}
	}
}

func TestClusterCreateIsBornInitial(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, s := range ackscale.ClusterStates() {
		if s == ackscale.ClusterInitial {
			continue
		}
		c := newCluster(b.account.ID, "c-"+string(s))
		c.State = s
		err := b.s.Clusters.ClusterCreate(b.ctx, createParams(c, newTask(c, ackscale.TaskCreateCluster)))
		requireTransition(t, err, "cluster", c.ID, "", string(s))
	}
	c := newCluster(b.account.ID, "task-done")
	done := newTask(c, ackscale.TaskCreateCluster)
	done.State = ackscale.TaskSuccess
	err := b.s.Clusters.ClusterCreate(b.ctx, createParams(c, done))
	requireTransition(t, err, "task", done.ID, "", string(ackscale.TaskSuccess))
	require.Zero(t, count(t, b.db, `SELECT count(*) FROM clusters`))
	require.Empty(t, b.jobs.taskIDs())
}

// TestTaskStartWrongState: a cluster in another state than From is the
// user's error, and no task nor job is written.
func TestTaskStartWrongState(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		state    ackscale.ClusterState
		from, to ackscale.ClusterState
	}{
		{"scale out while scaling", ackscale.ClusterScaling, ackscale.ClusterRunning, ackscale.ClusterScaling},
		{"scale out while initial", ackscale.ClusterInitial, ackscale.ClusterRunning, ackscale.ClusterScaling},
		{"remove while removing", ackscale.ClusterRemoving, ackscale.ClusterRunning, ackscale.ClusterRemoving},
		{"delete a failed cluster that is running", ackscale.ClusterRunning, ackscale.ClusterFailed, ackscale.ClusterDeleting},
		{"delete while deleting", ackscale.ClusterDeleting, ackscale.ClusterRunning, ackscale.ClusterDeleting},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			c, _ := b.createCluster(t, "c")
			_, err := b.db.SQL().Exec(`UPDATE clusters SET state = ?`, string(tt.state))
			require.NoError(t, err)
			task := newTask(c, ackscale.TaskScaleOut)
			err = b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: tt.from, To: tt.to})
			require.Equal(t, ackscale.CodeClusterState, ackscale.ErrorCode(err))
			require.False(t, ackscale.IsTransition(err))
			require.Contains(t, err.Error(), fmt.Sprintf("cluster %s is %s; this operation needs it %s", c.ID, tt.state, tt.from))
			require.Equal(t, tt.state, b.clusterState(t, c.ID))
			require.Equal(t, 1, count(t, b.db, `SELECT count(*) FROM tasks`))
			require.Len(t, b.jobs.taskIDs(), 1)
		})
	}
}

func TestTaskTransitions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c, _ := b.createCluster(t, "c")
	states := []ackscale.TaskState{ackscale.TaskRunning, ackscale.TaskSuccess, ackscale.TaskFailed, "bogus"}
	for _, from := range states[:3] {
		for _, to := range states {
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				task := newTask(c, ackscale.TaskScaleOut)
				_, err := b.db.SQL().Exec(`INSERT INTO tasks (id, account_id, cluster_id, type, state, params, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, '{}', 0, 0)`, task.ID, task.AccountID, task.ClusterID, string(task.Type), string(from))
				require.NoError(t, err)
				task.State, task.CurrentStage = to, ackscale.StagePlan
				err = b.s.Clusters.TaskSave(b.ctx, task)
				got, gerr := b.s.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: task.ID})
				require.NoError(t, gerr)
				if from.CanMoveTo(to) {
					require.NoError(t, err)
					require.Equal(t, to, got.State)
					require.Equal(t, ackscale.StagePlan, got.CurrentStage)
					return
				}
				requireTransition(t, err, "task", task.ID, string(from), string(to))
				require.Equal(t, from, got.State)
				require.Empty(t, got.CurrentStage)
			})
		}
	}
	err := b.s.Clusters.TaskSave(b.ctx, ackscale.Task{ID: "T-nope", State: ackscale.TaskRunning})
	require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(err))
}

func TestWorkerTransitions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, from := range ackscale.NodeStates() {
		for _, to := range ackscale.NodeStates() {
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				w := ackscale.Worker{ClientToken: fmt.Sprintf("%s-%s", from, to), ClusterID: "c1", AccountID: b.account.ID, TaskID: "T",
					RegionID: "r", InstanceType: "t", State: from}
				require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, []ackscale.Worker{w}))
				changed := w
				changed.State, changed.InstanceID = to, "i-1"
				err := b.s.Workers.WorkerUpdate(b.ctx, changed)
				ws, _, lerr := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClientTokens: []string{w.ClientToken}})
				require.NoError(t, lerr)
				require.Len(t, ws, 1)
				if from.CanMoveTo(to) {
					require.NoError(t, err)
					require.Equal(t, to, ws[0].State)
					require.Equal(t, "i-1", ws[0].InstanceID)
					return
				}
				requireTransition(t, err, "worker", w.ClientToken, string(from), string(to))
				require.Equal(t, from, ws[0].State)
				require.Empty(t, ws[0].InstanceID)
			})
		}
	}
}

// TestTaskStartRemovingTransition: a worker that may not be removed
// refuses the whole task.
func TestTaskStartRemovingTransition(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.runningCluster(t, "c")
	require.NoError(t, b.s.Workers.WorkerInsert(b.ctx, []ackscale.Worker{
		{ClientToken: "run", ClusterID: c.ID, AccountID: b.account.ID, TaskID: "T", RegionID: "r", InstanceType: "t", State: ackscale.NodeRunning},
		{ClientToken: "boot", ClusterID: c.ID, AccountID: b.account.ID, TaskID: "T", RegionID: "r", InstanceType: "t", State: ackscale.NodeStarting},
	}))
	jobs := len(b.jobs.taskIDs())
	task := newTask(c, ackscale.TaskRemoveNodes)
	err := b.s.Clusters.TaskStart(b.ctx, ackscale.TaskStartParams{Task: task, From: ackscale.ClusterRunning, To: ackscale.ClusterRemoving,
		Removing: []string{"run", "boot"}})
	requireTransition(t, err, "worker", "boot", string(ackscale.NodeStarting), string(ackscale.NodeRemoving))
	require.Equal(t, ackscale.ClusterRunning, b.clusterState(t, c.ID))
	require.Len(t, b.jobs.taskIDs(), jobs)
	ws, _, err := b.s.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: c.ID, States: []ackscale.NodeState{ackscale.NodeRemoving}})
	require.NoError(t, err)
	require.Empty(t, ws)
}

func TestInstanceTransitions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	statuses := []ackscale.InstanceStatus{ackscale.InstancePending, ackscale.InstanceRunning, ackscale.InstanceReleased}
	n := 0
	for _, from := range statuses {
		for _, to := range statuses {
			t.Run(fmt.Sprintf("%s to %s", from, to), func(t *testing.T) {
				n++
				in := ackscale.Instance{ID: fmt.Sprintf("i-%d", n), ClientToken: fmt.Sprintf("tok-%d", n), AccountID: "a",
					IPPool: "p", IP: fmt.Sprintf("10.0.0.%d", n), Status: from}
				_, _, err := b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
				require.NoError(t, err)
				err = b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: in.ID, Status: to, Detach: true})
				got, gerr := b.s.Cloud.InstanceGet(b.ctx, ackscale.InstanceGetParams{ID: in.ID})
				require.NoError(t, gerr)
				var detached int
				require.NoError(t, b.db.SQL().QueryRow(`SELECT detached FROM cloud_instances WHERE id = ?`, in.ID).Scan(&detached))
				if from.CanMoveTo(to) {
					require.NoError(t, err)
					require.Equal(t, to, got.Status)
					require.Equal(t, 1, detached)
					return
				}
				requireTransition(t, err, "instance", in.ID, string(from), string(to))
				require.Equal(t, from, got.Status)
				require.Zero(t, detached) // nothing of the update was written
			})
		}
	}
	err := b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: "i-nope", Status: ackscale.InstanceRunning})
	require.Equal(t, ackscale.CodeInstanceNotFound, ackscale.ErrorCode(err))
}

func TestInstanceCreateCheckFunc(t *testing.T) {
	t.Parallel()
	b := setup(t)
	create := func(id, zone, typ string, check func(ackscale.StockUsage) error) error {
		in := ackscale.Instance{ID: id, ClientToken: "tok-" + id, AccountID: "a", ZoneID: zone, InstanceType: typ, IPPool: "p", IP: id}
		_, _, err := b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in, CheckFunc: check})
		return err
	}
	var seen []ackscale.StockUsage
	record := func(u ackscale.StockUsage) error { seen = append(seen, u); return nil }

	require.NoError(t, create("i-1", "z1", "t1", record))
	require.NoError(t, create("i-2", "z1", "t1", record))
	require.NoError(t, create("i-3", "z1", "t2", record)) // another type
	require.NoError(t, create("i-4", "z2", "t1", record)) // another zone
	require.NoError(t, b.s.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: "i-1", Status: ackscale.InstanceReleased}))
	require.NoError(t, create("i-5", "z1", "t1", record)) // i-2 is live, i-1 released
	require.NoError(t, b.s.Cloud.StockSet(b.ctx, ackscale.StockOverride{ZoneID: "z1", InstanceType: "t1", Capacity: 0}))
	require.NoError(t, create("i-6", "z1", "t1", record))
	require.NoError(t, b.s.Cloud.StockSet(b.ctx, ackscale.StockOverride{ZoneID: "z1", InstanceType: "t1", Capacity: 7}))
	require.NoError(t, create("i-7", "z1", "t1", record))
	require.Equal(t, []ackscale.StockUsage{
		{ZoneID: "z1", InstanceType: "t1", Live: 0},
		{ZoneID: "z1", InstanceType: "t1", Live: 1},
		{ZoneID: "z1", InstanceType: "t2", Live: 0},
		{ZoneID: "z2", InstanceType: "t1", Live: 0},
		{ZoneID: "z1", InstanceType: "t1", Live: 1},
		{ZoneID: "z1", InstanceType: "t1", Live: 2, Override: 0, HasOverride: true},
		{ZoneID: "z1", InstanceType: "t1", Live: 3, Override: 7, HasOverride: true},
	}, seen)

	// The check's error comes back as it is, and nothing is written.
	noStock := ackscale.CloudErrorf(ackscale.CodeNoStock, "sold out")
	before, err := b.db.Check(b.ctx)
	require.NoError(t, err)
	err = create("i-8", "z1", "t1", func(ackscale.StockUsage) error { return noStock })
	require.Same(t, noStock, err)
	require.True(t, ackscale.IsNoStock(err))
	plain := errors.New("plain")
	require.Same(t, plain, create("i-9", "z1", "t1", func(ackscale.StockUsage) error { return plain }))
	_, err = b.s.Cloud.InstanceGet(b.ctx, ackscale.InstanceGetParams{ID: "i-8"})
	require.Equal(t, ackscale.CodeInstanceNotFound, ackscale.ErrorCode(err))
	after, err := b.db.Check(b.ctx)
	require.NoError(t, err)
	require.Equal(t, before, after)
	require.Equal(t, 7, before.Instances)
}

// TestUniqueKeyConflicts: every INSERT that can hit a taken unique key
// answers a retryable conflict; other constraint failures are internal.
func TestUniqueKeyConflicts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c, task := b.createCluster(t, "c")
	in := ackscale.Instance{ID: "i-1", ClientToken: "tok", AccountID: "a", IPPool: "p", IP: "10.0.0.1"}
	_, _, err := b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
	require.NoError(t, err)
	require.NoError(t, b.s.Cloud.FaultAdd(b.ctx, ackscale.Fault{ID: "f", Operation: ackscale.FaultCreate}))

	sameID := newCluster(b.account.ID, "other-name")
	sameID.ID = c.ID
	otherCluster := newCluster(b.account.ID, "third")
	sameTask := newTask(otherCluster, ackscale.TaskCreateCluster)
	sameTask.ID = task.ID
	samePool := newCluster(b.account.ID, "fourth")
	samePoolTask := newTask(samePool, ackscale.TaskCreateCluster)
	samePoolTask.Params.NodePoolIDs = task.Params.NodePoolIDs
	unknownAccount := newCluster("5999999999999999", "x")
	for _, tt := range []struct {
		name     string
		err      error
		conflict bool
	}{
		{"account id", b.s.Accounts.AccountCreate(b.ctx, ackscale.AccountCreateParams{
			Account: ackscale.Account{ID: b.account.ID, AccessKeyID: "LTAINEW"}}), true},
		{"access key", b.s.Accounts.AccountCreate(b.ctx, ackscale.AccountCreateParams{
			Account: ackscale.Account{ID: "5000000000000009", AccessKeyID: "LTAIKEY"}}), true},
		{"cluster id", b.s.Clusters.ClusterCreate(b.ctx, createParams(sameID, newTask(sameID, ackscale.TaskCreateCluster))), true},
		{"task id", b.s.Clusters.ClusterCreate(b.ctx, createParams(otherCluster, sameTask)), true},
		{"node pool id", b.s.Clusters.ClusterCreate(b.ctx, createParams(samePool, samePoolTask)), true},
		{"instance ip", create(b, ackscale.Instance{ID: "i-2", ClientToken: "tok2", AccountID: "a", IPPool: "p", IP: "10.0.0.1"}), true},
		{"instance id", create(b, ackscale.Instance{ID: "i-1", ClientToken: "tok3", IPPool: "p", IP: "10.0.0.3"}), true},
		{"fault id", b.s.Cloud.FaultAdd(b.ctx, ackscale.Fault{ID: "f", Operation: ackscale.FaultCreate}), true},
		{"cluster of no account", b.s.Clusters.ClusterCreate(b.ctx, createParams(unknownAccount, newTask(unknownAccount, ackscale.TaskCreateCluster))), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.Error(t, tt.err)
			require.Equal(t, tt.conflict, ackscale.IsConflict(tt.err), "%v", tt.err)
			require.Equal(t, tt.conflict, ackscale.IsRetryable(tt.err) && tt.conflict)
			if tt.conflict {
				require.Equal(t, ackscale.CodeConflictInternal, ackscale.ErrorCode(tt.err))
			} else {
				require.Equal(t, ackscale.CodeInternal, ackscale.ErrorCode(tt.err))
			}
		})
	}
	require.Equal(t, 1, count(t, b.db, `SELECT count(*) FROM clusters`))
	require.Equal(t, 1, count(t, b.db, `SELECT count(*) FROM tasks`))
	require.Equal(t, 1, count(t, b.db, `SELECT count(*) FROM node_pools`))
	require.Equal(t, 1, count(t, b.db, `SELECT count(*) FROM cloud_instances`))
	require.Len(t, b.jobs.taskIDs(), 1)
}

func create(b *testBundle, in ackscale.Instance) error {
	_, _, err := b.s.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
	return err
}
