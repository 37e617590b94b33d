package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// The builders make rows through the contracts themselves: a cluster in
// some state is created and then walked there along the transition
// table, as the operations layer would, never written directly.

// instanceStatuses lists every instance status (the root has no list).
var instanceStatuses = []ackscale.InstanceStatus{ackscale.InstancePending, ackscale.InstanceRunning, ackscale.InstanceReleased}

// taskStates lists every task state (the root has no list).
var taskStates = []ackscale.TaskState{ackscale.TaskRunning, ackscale.TaskSuccess, ackscale.TaskFailed}

// next returns a number no other call of this bundle returns.
func (b *testBundle) next() int64 { return b.n.Add(1) }

// secretOf is the secret addAccount gives an account.
func secretOf(a ackscale.Account) string { return "secret-" + a.ID }

// newAccount returns an account that is not stored.
func (b *testBundle) newAccount() ackscale.Account {
	key, _ := ackscale.NewAccessKey()
	return ackscale.Account{ID: ackscale.NewAccountID(), AccessKeyID: key, Created: b.now}
}

// addAccount stores a new account, with secretOf as its secret.
func (b *testBundle) addAccount(t *testing.T) ackscale.Account {
	t.Helper()
	a := b.newAccount()
	err := b.Accounts.AccountCreate(b.ctx, ackscale.AccountCreateParams{Account: a, Secret: secretOf(a)})
	require.NoError(t, err, "AccountCreate (setup)")
	return a
}

// newCluster returns a cluster of the account and its create task, not
// stored.
func (b *testBundle) newCluster(accountID string) (ackscale.Cluster, ackscale.Task) {
	c := ackscale.Cluster{
		ID: ackscale.NewClusterID(), AccountID: accountID, Profile: ackscale.ProfileStandard,
		State: ackscale.ClusterInitial, PasswordHash: "$2a$10$hash", Created: b.now, Updated: b.now,
		Spec: ackscale.ClusterSpec{
			Name: fmt.Sprintf("cluster-%d", b.next()), RegionID: "cn-hangzhou", ClusterType: ackscale.ClusterTypeManaged,
			ClusterSpec: "ack.pro.small", KubernetesVersion: "1.31.1-aliyun.1", VPCID: "vpc-1",
			VSwitchIDs: []string{"vsw-1", "vsw-2"}, ContainerCIDR: "172.20.0.0/16", ServiceCIDR: "172.21.0.0/20",
			Runtime: ackscale.Runtime{Name: "containerd", Version: "1.6.28"}, TimeoutMins: 60,
		},
	}
	create := b.newTask(c, ackscale.TaskCreateCluster)
	create.Params.NodePoolIDs = []string{ackscale.NewNodePoolID()} // its default pool
	return c, create
}

// createParams are the params that create cluster c with its create task:
// its default pool is defaultPool's.
func createParams(c ackscale.Cluster, create ackscale.Task) ackscale.ClusterCreateParams {
	return ackscale.ClusterCreateParams{Cluster: c, DefaultPool: defaultPool(c, create), Task: create}
}

// defaultPool is the default pool that cluster c is created with: the
// first pool of its create task (a new one when it has none), not yet in
// a state.
func defaultPool(c ackscale.Cluster, create ackscale.Task) ackscale.NodePool {
	id := create.Params.NodePoolID()
	if id == "" {
		id = ackscale.NewNodePoolID()
	}
	return ackscale.NodePool{ID: id, ClusterID: c.ID, AccountID: c.AccountID, IsDefault: true, Created: c.Created, Updated: c.Created,
		Spec: ackscale.NodePoolSpec{Name: ackscale.DefaultNodePoolName, Type: ackscale.NodePoolTypeESS,
			Workers: ackscale.ScaleOut{InstanceTypes: []string{"ecs.c6.large"}, VSwitchIDs: c.Spec.VSwitchIDs, SystemDiskSizeGiB: 40,
				Runtime: &c.Spec.Runtime, TimeoutMins: 60},
			Config: json.RawMessage(`{"nodepool_info":{"name":"default-nodepool","type":"ess"}}`)}}
}

// newTask returns a running task of the cluster, not stored.
func (b *testBundle) newTask(c ackscale.Cluster, typ ackscale.TaskType) ackscale.Task {
	return ackscale.Task{
		ID: ackscale.NewTaskID(), AccountID: c.AccountID, ClusterID: c.ID, Type: typ, State: ackscale.TaskRunning,
		CurrentStage: ackscale.StageValidate, Params: ackscale.TaskParams{PriorWorkers: 1, Deadline: b.now.Add(time.Hour)},
		Stages: []ackscale.TaskStage{{Name: ackscale.StageValidate, State: ackscale.StageSuccess, Start: b.now, End: b.now}},
		Events: []ackscale.TaskEvent{{Action: ackscale.StageValidate, Level: ackscale.EventNormal, Reason: ackscale.ReasonAccepted,
			Message: "accepted", Source: "ackscale", Timestamp: b.now}},
		Created: b.now, Updated: b.now,
	}
}

// insertCluster stores a cluster and its create task.
func (b *testBundle) insertCluster(t *testing.T, c ackscale.Cluster, task ackscale.Task) {
	t.Helper()
	err := b.Clusters.ClusterCreate(b.ctx, createParams(c, task))
	require.NoError(t, err, "ClusterCreate (builder)")
}

// clusterIn stores a cluster of the caller's account and walks it to
// state. It returns the cluster as stored and the task that holds it in
// that state (the zero Task when none runs).
func (b *testBundle) clusterIn(t *testing.T, state ackscale.ClusterState) (ackscale.Cluster, ackscale.Task) {
	t.Helper()
	c, task := b.newCluster(b.account.ID)
	b.insertCluster(t, c, task)
	for _, to := range pathTo(t, ackscale.ClusterStates(), ackscale.ClusterInitial, state) {
		task = b.moveCluster(t, c, task, to)
		c.State = to
	}
	return b.getCluster(t, c.ID), task
}

// moveCluster moves c to state to as the task runner and the operations
// layer would: by finishing the task that holds it (and its pools), or by
// starting one (that holds the default pool, when its type holds pools).
// It returns the task that runs after the move, if any.
func (b *testBundle) moveCluster(t *testing.T, c ackscale.Cluster, running ackscale.Task, to ackscale.ClusterState) ackscale.Task {
	t.Helper()
	if running.ID != "" {
		ok := to != ackscale.ClusterFailed && to != ackscale.ClusterDeleteFailed
		running.State = ackscale.TaskSuccess
		if !ok {
			running.State = ackscale.TaskFailed
		}
		err := b.Clusters.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: running, ClusterState: to,
			PoolState: running.Type.PoolStateAfter(ok)})
		require.NoError(t, err, "TaskFinish %s → %s (builder)", c.State, to)
		return ackscale.Task{}
	}
	task := b.newTask(c, typeWhile(to))
	p := ackscale.TaskStartParams{Task: task, From: c.State, To: to}
	if while := task.Type.PoolStateWhile(); while != "" {
		pool := b.defaultPoolOf(t, c.ID)
		p.Task.Params.NodePoolIDs = []string{pool.ID}
		p.Pools = []ackscale.PoolMove{{ID: pool.ID, From: pool.State, To: while}}
	}
	err := b.Clusters.TaskStart(b.ctx, p)
	require.NoError(t, err, "TaskStart %s → %s (builder)", c.State, to)
	return p.Task
}

// defaultPoolOf returns the default pool of a cluster, as stored.
func (b *testBundle) defaultPoolOf(t *testing.T, clusterID string) ackscale.NodePool {
	t.Helper()
	pools, err := b.Clusters.NodePoolList(b.ctx, ackscale.NodePoolListParams{ClusterID: clusterID})
	require.NoError(t, err, "NodePoolList %s", clusterID)
	require.NotEmpty(t, pools, "NodePoolList %s", clusterID)
	require.True(t, pools[0].IsDefault, "NodePoolList %s: the default pool comes first", clusterID)
	return pools[0]
}

// typeWhile returns a task type that holds its cluster in state s while
// it runs (a scale-out when none does).
func typeWhile(s ackscale.ClusterState) ackscale.TaskType {
	for _, typ := range ackscale.TaskTypes() {
		if typ.ClusterStateWhile() == s {
			return typ
		}
	}
	return ackscale.TaskScaleOut
}

// holding reports whether a task runs while a cluster is in state s.
func holding(s ackscale.ClusterState) bool {
	return slices.ContainsFunc(ackscale.TaskTypes(), func(typ ackscale.TaskType) bool { return typ.ClusterStateWhile() == s })
}

// getCluster returns a cluster as stored, deleted or not.
func (b *testBundle) getCluster(t *testing.T, id string) ackscale.Cluster {
	t.Helper()
	c, err := b.Clusters.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: id, WithDeleted: true})
	require.NoError(t, err, "ClusterGet %s", id)
	return c
}

// getTask returns a task as stored.
func (b *testBundle) getTask(t *testing.T, id string) ackscale.Task {
	t.Helper()
	task, err := b.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: id})
	require.NoError(t, err, "TaskGet %s", id)
	return task
}

// requireNoTask fails unless the task was never stored.
func (b *testBundle) requireNoTask(t *testing.T, id string) {
	t.Helper()
	_, err := b.Clusters.TaskGet(b.ctx, ackscale.TaskGetParams{ID: id})
	require.Equal(t, ackscale.CodeTaskNotFound, ackscale.ErrorCode(err), "TaskGet %s: the task must not exist", id)
}

// newWorkers returns n planned workers of a task, not stored.
func (b *testBundle) newWorkers(task ackscale.Task, n int) []ackscale.Worker {
	ws := make([]ackscale.Worker, n)
	for i := range ws {
		ws[i] = ackscale.Worker{
			ClusterID: task.ClusterID, NodePoolID: task.Params.NodePoolID(), AccountID: task.AccountID, TaskID: task.ID,
			ClientToken: fmt.Sprintf("%s-%d", task.ID, i), Hostname: fmt.Sprintf("worker-%d", b.next()),
			RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-h", VSwitchID: "vsw-1", InstanceType: "ecs.c6.large",
			ImageID: "aliyun_3_x64", ChargeType: "PostPaid", State: ackscale.NodeInitial, NodeStatus: ackscale.NodeUnknown,
			Labels: map[string]string{"pool": "default"}, Taints: []ackscale.Taint{{Key: "k", Value: "v", Effect: "NoSchedule"}},
			Runtime: ackscale.Runtime{Name: "containerd", Version: "1.6.28"}, SystemDiskGiB: 40,
			Created: b.now, Updated: b.now,
		}
	}
	return ws
}

// insertWorkers stores workers.
func (b *testBundle) insertWorkers(t *testing.T, ws ...ackscale.Worker) {
	t.Helper()
	require.NoError(t, b.Workers.WorkerInsert(b.ctx, ws), "WorkerInsert (builder)")
}

// workerIn stores w and walks it to state with WorkerUpdate; it returns
// the worker as stored.
func (b *testBundle) workerIn(t *testing.T, w ackscale.Worker, state ackscale.NodeState) ackscale.Worker {
	t.Helper()
	w.State = ackscale.NodeInitial
	b.insertWorkers(t, w)
	for _, to := range pathTo(t, ackscale.NodeStates(), ackscale.NodeInitial, state) {
		w.State = to
		require.NoError(t, b.Workers.WorkerUpdate(b.ctx, w), "WorkerUpdate → %s (builder)", to)
	}
	return b.getWorker(t, w)
}

// getWorker returns worker w (its cluster and client token) as stored.
func (b *testBundle) getWorker(t *testing.T, w ackscale.Worker) ackscale.Worker {
	t.Helper()
	p := ackscale.WorkerListParams{ClusterID: w.ClusterID, ClientTokens: []string{w.ClientToken}}
	ws, _, err := b.Workers.WorkerList(b.ctx, p)
	require.NoError(t, err, "WorkerList %s", w.ClientToken)
	require.Len(t, ws, 1, "WorkerList %s", w.ClientToken)
	return ws[0]
}

// clusterWorkers returns the states of a cluster's workers by client
// token.
func (b *testBundle) clusterWorkers(t *testing.T, clusterID string) map[string]ackscale.NodeState {
	t.Helper()
	ws, _, err := b.Workers.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: clusterID})
	require.NoError(t, err, "WorkerList %s", clusterID)
	out := map[string]ackscale.NodeState{}
	for _, w := range ws {
		out[w.ClientToken] = w.State
	}
	return out
}

// newInstance returns a pending instance of the caller's account in pool,
// with an IP no other instance of the bundle has, not stored.
func (b *testBundle) newInstance(pool string) ackscale.Instance {
	n := b.next()
	return ackscale.Instance{
		ID: ackscale.NewInstanceID(), ClientToken: fmt.Sprintf("token-%d", n), AccountID: b.account.ID,
		RegionID: "cn-hangzhou", ZoneID: "cn-hangzhou-h", IPPool: pool, IP: fmt.Sprintf("192.168.%d.%d", n/250, n%250+2),
		InstanceType: "ecs.c6.large", Kind: ackscale.KindECS, VCPUs: 2, ImageID: "aliyun_3_x64", Status: ackscale.InstancePending,
		ReadyAt: b.now.Add(30 * time.Second), Created: b.now,
	}
}

// createInstance stores an instance, which must be new.
func (b *testBundle) createInstance(t *testing.T, in ackscale.Instance) ackscale.Instance {
	t.Helper()
	out, created, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
	require.NoError(t, err, "InstanceCreate (builder)")
	require.True(t, created, "InstanceCreate (builder): created")
	return out
}

// instanceIn stores in and walks it to status with InstanceUpdate.
func (b *testBundle) instanceIn(t *testing.T, in ackscale.Instance, status ackscale.InstanceStatus) ackscale.Instance {
	t.Helper()
	in.Status = ackscale.InstancePending
	b.createInstance(t, in)
	for _, to := range pathTo(t, instanceStatuses, ackscale.InstancePending, status) {
		err := b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: in.ID, Status: to})
		require.NoError(t, err, "InstanceUpdate → %s (builder)", to)
	}
	return b.getInstance(t, in.ID)
}

// getInstance returns an instance as stored.
func (b *testBundle) getInstance(t *testing.T, id string) ackscale.Instance {
	t.Helper()
	in, err := b.Cloud.InstanceGet(b.ctx, ackscale.InstanceGetParams{ID: id})
	require.NoError(t, err, "InstanceGet %s", id)
	return in
}

// movable is a state with a transition table.
type movable[S any] interface {
	~string
	CanMoveTo(to S) bool
}

// pathTo returns the states, after from and ending with to, of a
// shortest walk along the transition table (nothing when from is to).
func pathTo[S movable[S]](t *testing.T, all []S, from, to S) []S {
	t.Helper()
	prev := map[S]S{}
	seen := map[S]bool{from: true}
	for queue := []S{from}; len(queue) > 0; queue = queue[1:] {
		for _, n := range all {
			if !seen[n] && queue[0].CanMoveTo(n) {
				seen[n], prev[n] = true, queue[0]
				queue = append(queue, n)
			}
		}
	}
	require.True(t, seen[to], "no path from %s to %s in the transition table", from, to)
	var path []S
	for s := to; s != from; s = prev[s] {
		path = append([]S{s}, path...)
	}
	return path
}

// The norm functions drop what a store may decide itself (Updated) and
// what a round trip may change without meaning (nil or empty), so that
// rows compare equal.

func normCluster(c ackscale.Cluster) ackscale.Cluster {
	c.Updated = time.Time{}
	return c
}

func normTask(t ackscale.Task) ackscale.Task {
	t.Updated = time.Time{}
	t.Stages = nilIfEmpty(t.Stages)
	t.Events = nilIfEmpty(t.Events)
	return t
}

func normPool(np ackscale.NodePool) ackscale.NodePool {
	np.Updated = time.Time{}
	return np
}

func normWorker(w ackscale.Worker) ackscale.Worker {
	w.Updated = time.Time{}
	w.Taints = nilIfEmpty(w.Taints)
	if len(w.Labels) == 0 {
		w.Labels = nil
	}
	return w
}

func normWorkers(ws []ackscale.Worker) []ackscale.Worker {
	out := make([]ackscale.Worker, len(ws))
	for i, w := range ws {
		out[i] = normWorker(w)
	}
	return out
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// clusterIDs returns the ids of clusters, in order.
func clusterIDs(cs []ackscale.Cluster) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// poolIDs returns the ids of pools, in order.
func poolIDs(pools []ackscale.NodePool) []string {
	out := []string{}
	for _, np := range pools {
		out = append(out, np.ID)
	}
	return out
}

// tokens returns the client tokens of workers, in order.
func tokens(ws []ackscale.Worker) []string {
	out := []string{}
	for _, w := range ws {
		out = append(out, w.ClientToken)
	}
	return out
}

// instanceIDs returns the ids of instances, in order.
func instanceIDs(ins []ackscale.Instance) []string {
	out := []string{}
	for _, in := range ins {
		out = append(out, in.ID)
	}
	return out
}

// requireTransition fails unless err is a *TransitionError about what.
func requireTransition(t *testing.T, err error, what string, msgAndArgs ...any) {
	t.Helper()
	var te *ackscale.TransitionError
	require.ErrorAs(t, err, &te, msgAndArgs...)
	require.Equal(t, what, te.What, msgAndArgs...)
}
