package task

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/internal/memstore"
	"github.com/ackscale/ackscale/internal/mock"
	"github.com/ackscale/ackscale/sqlite"
)

// testAccount owns the tests' clusters.
const testAccount = "5000000000000001"

// stores is one implementation of the store contracts a test runs on.
type stores interface {
	ackscale.ClusterStore
	ackscale.WorkerStore
}

// backend opens the stores a test bundle runs on.
type backend struct {
	name string
	open func(t *testing.T) (stores, ackscale.CloudStore)
}

// backends are the in-memory fake (fast, no SQLite) and the real SQLite
// store; every scenario runs on both: go test -run '/memstore' runs the
// fakes alone.
var backends = []backend{
	{"memstore", func(*testing.T) (stores, ackscale.CloudStore) {
		s := memstore.New()
		return s, s
	}},
	{"sqlite", func(t *testing.T) (stores, ackscale.CloudStore) {
		db, err := sqlite.Open(context.Background(), sqlite.Config{Dir: t.TempDir()})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, db.Close()) })
		inserter, err := river.NewClient(riversqlite.New(db.SQL()), &river.Config{}) // insert-only
		require.NoError(t, err)
		st := db.Stores(inserter)
		_, err = st.Accounts.AccountEnsure(context.Background(), ackscale.AccountCreateParams{
			Account: ackscale.Account{ID: testAccount, AccessKeyID: "AK"}, Secret: "SK"}) // clusters belong to an account
		require.NoError(t, err)
		return sqliteStores{st.Clusters, st.Workers}, st.Cloud
	}},
}

type sqliteStores struct {
	*sqlite.ClusterStore
	*sqlite.WorkerStore
}

// eachBackend runs fn as a subtest on every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, be backend)) {
	t.Helper()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			fn(t, be)
		})
	}
}

type testBundle struct {
	ctx    context.Context
	store  stores
	cloud  *cloud.Cloud
	kube   *mock.Kube // nil: Kubernetes off
	worker *Worker
	now    time.Time
}

// options of a bundle.
type options struct {
	boot time.Duration // every instance's boot time
	kube *mock.Kube    // Kubernetes on, mocked
}

// setup builds a task worker over be's stores and the emulated cloud with
// the default catalog.
func setup(t *testing.T, be backend, o options) *testBundle {
	t.Helper()
	st, cs := be.open(t)
	cl, err := cloud.New(cloud.Config{Store: cs, Catalog: catalog.Default(), BootLatency: &o.boot})
	require.NoError(t, err)
	cfg := Config{Store: st, Cloud: cl, Logger: discard(), Now: ackscale.NowUTC, MaxWait: time.Second}
	if o.kube != nil {
		cfg.Kube = o.kube
	}
	return &testBundle{ctx: context.Background(), store: st, cloud: cl, kube: o.kube, now: ackscale.NowUTC(),
		worker: &Worker{cfg: cfg}}
}

// cluster creates a running standard cluster in cn-hangzhou's default VPC.
func (b *testBundle) cluster(t *testing.T) ackscale.Cluster {
	t.Helper()
	vpc, vsws := b.cloud.DefaultVSwitches("cn-hangzhou")
	require.GreaterOrEqual(t, len(vsws), 3)
	c := ackscale.Cluster{ID: ackscale.NewClusterID(), AccountID: testAccount, State: ackscale.ClusterInitial,
		Profile: ackscale.ProfileStandard, Created: b.now, Updated: b.now,
		Spec: ackscale.ClusterSpec{Name: "c-" + ackscale.NewTaskID(), RegionID: "cn-hangzhou", ClusterType: "ManagedKubernetes",
			VPCID: vpc, VSwitchIDs: vsws, KubernetesVersion: "1.34.4", Runtime: ackscale.Runtime{Name: "containerd", Version: "1.6.28"}}}
	b.createCluster(t, c, nil)
	c.State = ackscale.ClusterRunning
	return b.clusterNow(t, c.ID)
}

// createCluster inserts c with its default pool and a create task (adding
// so's workers when set) and runs the task to its end.
func (b *testBundle) createCluster(t *testing.T, c ackscale.Cluster, so *ackscale.ScaleOut) ackscale.Task {
	t.Helper()
	pool := ackscale.NodePool{ID: ackscale.NewNodePoolID(), IsDefault: true, Created: b.now, Updated: b.now,
		Spec: ackscale.NodePoolSpec{Name: ackscale.DefaultNodePoolName, Type: ackscale.NodePoolTypeESS}}
	ct := b.task(c, ackscale.TaskCreateCluster, so)
	ct.Params.NodePoolIDs = []string{pool.ID}
	require.NoError(t, b.store.ClusterCreate(b.ctx, ackscale.ClusterCreateParams{Cluster: c, Task: ct, DefaultPool: pool}))
	return b.workUntilDone(t, ct.ID)
}

func (b *testBundle) clusterNow(t *testing.T, id string) ackscale.Cluster {
	t.Helper()
	c, err := b.store.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: id, WithDeleted: true})
	require.NoError(t, err)
	return c
}

func (b *testBundle) task(c ackscale.Cluster, typ ackscale.TaskType, so *ackscale.ScaleOut) ackscale.Task {
	return ackscale.Task{ID: ackscale.NewTaskID(), AccountID: c.AccountID, ClusterID: c.ID, Type: typ, State: ackscale.TaskRunning,
		CurrentStage: ackscale.StageValidate, Created: b.now, Updated: b.now,
		Stages: []ackscale.TaskStage{{Name: ackscale.StageValidate, State: ackscale.StageSuccess, Start: b.now, End: b.now}},
		Params: ackscale.TaskParams{ScaleOut: so, Deadline: b.now.Add(time.Hour)}}
}

// start accepts a task of typ on a running cluster.
func (b *testBundle) start(t *testing.T, tk ackscale.Task, removing ...string) ackscale.Task {
	t.Helper()
	require.NoError(t, b.store.TaskStart(b.ctx, ackscale.TaskStartParams{Task: tk, From: ackscale.ClusterRunning,
		To: tk.Type.ClusterStateWhile(), Removing: removing}))
	return tk
}

func (b *testBundle) startScaleOut(t *testing.T, c ackscale.Cluster, so ackscale.ScaleOut, deadline time.Time) ackscale.Task {
	t.Helper()
	tk := b.task(c, ackscale.TaskScaleOut, &so)
	tk.Params.Deadline = deadline
	return b.start(t, tk)
}

// startRemoval accepts the removal of workers ws.
func (b *testBundle) startRemoval(t *testing.T, c ackscale.Cluster, ws []ackscale.Worker, release, drain bool) ackscale.Task {
	t.Helper()
	rm := ackscale.Removal{ReleaseNode: release, DrainNode: drain}
	for _, w := range ws {
		rm.Nodes, rm.Workers = append(rm.Nodes, w.NodeName), append(rm.Workers, w.ClientToken)
	}
	tk := b.task(c, ackscale.TaskRemoveNodes, nil)
	tk.Params.Removal = &rm
	return b.start(t, tk, rm.Workers...)
}

func (b *testBundle) workAttempt(taskID string, attempt, maxAttempts int) error {
	return b.worker.Work(b.ctx, &river.Job[ackscale.TaskJob]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: maxAttempts},
		Args: ackscale.TaskJob{TaskID: taskID}})
}

func (b *testBundle) work(taskID string) error { return b.workAttempt(taskID, 1, 25) }

// workUntilDone runs the job like River would, honouring snoozes.
func (b *testBundle) workUntilDone(t *testing.T, taskID string) ackscale.Task {
	t.Helper()
	for range 200 {
		err := b.work(taskID)
		var snooze *river.JobSnoozeError
		if errors.As(err, &snooze) {
			time.Sleep(min(snooze.Duration, 20*time.Millisecond))
			continue
		}
		require.NoError(t, err)
		tk := b.taskNow(t, taskID)
		if tk.State.Ended() {
			return tk
		}
	}
	t.Fatalf("task %s did not end", taskID)
	return ackscale.Task{}
}

func (b *testBundle) taskNow(t *testing.T, id string) ackscale.Task {
	t.Helper()
	tk, err := b.store.TaskGet(b.ctx, ackscale.TaskGetParams{ID: id})
	require.NoError(t, err)
	return tk
}

func (b *testBundle) workers(t *testing.T, p ackscale.WorkerListParams) []ackscale.Worker {
	t.Helper()
	ws, _, err := b.store.WorkerList(b.ctx, p)
	require.NoError(t, err)
	return ws
}

func (b *testBundle) liveInstances(t *testing.T) []ackscale.Instance {
	t.Helper()
	all, err := b.cloud.Instances(b.ctx)
	require.NoError(t, err)
	var live []ackscale.Instance
	for _, in := range all {
		if in.Status != ackscale.InstanceReleased {
			live = append(live, in)
		}
	}
	return live
}

func standardScaleOut(count int, vsws []string) ackscale.ScaleOut {
	return ackscale.ScaleOut{Count: count, InstanceTypes: []string{"ecs.c5.xlarge"}, VSwitchIDs: vsws,
		SystemDiskSizeGiB: 120, DisableRollback: true, TimeoutMins: 60,
		Tags: []ackscale.Tag{{Key: "tier", Value: "frontend"}}, Taints: []ackscale.Taint{{Key: "node_type", Value: "prod", Effect: "NoSchedule"}}}
}

func stageNames(tk ackscale.Task) []ackscale.Stage {
	var names []ackscale.Stage
	for _, s := range tk.Stages {
		names = append(names, s.Name)
	}
	return names
}

func eventReasons(tk ackscale.Task) []ackscale.EventReason {
	var out []ackscale.EventReason
	for _, e := range tk.Events {
		out = append(out, e.Reason)
	}
	return out
}
