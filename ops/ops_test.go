package ops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/internal/memstore"
)

// The tests run the Service over the in-memory store and the real emulated
// cloud (pure logic over that store): no SQLite, no River, no kube binaries.

// Create bodies of each cluster kind, valid against the default catalog.
const (
	// createStandard is a managed cluster on cn-beijing's default vSwitches.
	createStandard = `{"name":%q,"region_id":"cn-beijing","cluster_type":"ManagedKubernetes"}`
	// createWithWorkers asks for two workers on one vSwitch at creation.
	createWithWorkers = `{"name":"with-workers","region_id":"cn-beijing","cluster_type":"ManagedKubernetes",` +
		`"vswitch_ids":["vsw-2ze4jvvvade1yk899****"],"login_password":"` + testPassword + `",` +
		`"worker_instance_types":["ecs.g6.large"],"num_of_nodes":2,"timeout_mins":60}`
	// createEdge is an edge cluster (ENS workers).
	createEdge = `{"name":"edge","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes","profile":"Edge"}`
	// createDedicated is a dedicated (legacy) cluster with seed 000's
	// password and worker settings, as e2e creates it.
	createDedicated = `{"name":"legacy","region_id":"cn-hangzhou","cluster_type":"Kubernetes",` +
		`"kubernetes_version":"1.34.4","login_password":"Hello1234","worker_instance_types":["ecs.sn1ne.large"],` +
		`"worker_system_disk_category":"cloud_efficiency","worker_system_disk_size":40}`
)

// testPassword is the login password of createWithWorkers.
const testPassword = "Secret#Pw42"

// cnBeijingVSwitches are the default vSwitches of cn-beijing in the default
// catalog: what createStandard's cluster gets.
var cnBeijingVSwitches = []string{"vsw-2zes3rfz7bmk0nxxxxxxx", "vsw-2ze4jvvvade1yk899****", "vsw-2ze48rkq464rsdts1****",
	"vsw-2zeackscaledefaultj01", "vsw-2zeackscaledefaultk01", "vsw-2zeackscaledefaultl01"}

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// clock is the injected time; tests move it by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type testBundle struct {
	t        *testing.T
	ctx      context.Context
	store    *memstore.Store
	cloud    *cloud.Cloud
	svc      *Service
	clock    *clock
	logs     *bytes.Buffer
	enqueued *[]string
	alice    Caller
	bob      Caller
}

// setup builds a Service over a new memstore and emulated cloud, with time
// ten times faster than real (TimeScale 10) and a clock at t0. configure
// may change the Config (wrap a dependency) before New.
func setup(t *testing.T, configure ...func(*Config)) *testBundle {
	t.Helper()
	clk := &clock{now: t0}
	var mu sync.Mutex
	enqueued := []string{}
	st := memstore.New(memstore.WithNow(clk.Now), memstore.WithOnEnqueue(func(id string) {
		mu.Lock()
		defer mu.Unlock()
		enqueued = append(enqueued, id)
	}))
	zero := time.Duration(0)
	cl, err := cloud.New(cloud.Config{Store: st, Catalog: catalog.Default(), BootLatency: &zero, Now: clk.Now})
	require.NoError(t, err)
	logs := &bytes.Buffer{}
	cfg := Config{Clusters: st, Workers: st, Cloud: cl, Now: clk.Now, TimeScale: 10, BcryptCost: 4,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, fn := range configure {
		fn(&cfg)
	}
	svc, err := New(cfg)
	require.NoError(t, err)
	return &testBundle{t: t, ctx: context.Background(), store: st, cloud: cl, svc: svc, clock: clk, logs: logs,
		enqueued: &enqueued, alice: Caller{AccountID: "5000000000000001", RequestID: "REQ-ALICE"},
		bob: Caller{AccountID: "5000000000000002", RequestID: "REQ-BOB"}}
}

// create accepts a cluster of c's, and returns the answer.
func (b *testBundle) create(c Caller, body string) Accepted {
	b.t.Helper()
	a, err := b.svc.CreateCluster(b.ctx, c, []byte(body))
	require.NoError(b.t, err)
	return a
}

// running creates a cluster of c's and finishes its create task well: the
// cluster is running.
func (b *testBundle) running(c Caller, body string) string {
	b.t.Helper()
	a := b.create(c, body)
	b.finish(a.TaskID, true)
	require.Equal(b.t, ackscale.ClusterRunning, b.cluster(a.ClusterID).State)
	return a.ClusterID
}

// finish ends a running task, well (ok) or not, and moves its cluster to
// the state its type leads to.
func (b *testBundle) finish(taskID string, ok bool) {
	b.t.Helper()
	tk := b.task(taskID)
	tk.State = ackscale.TaskFailed
	if ok {
		tk.State = ackscale.TaskSuccess
	}
	require.NoError(b.t, b.store.TaskFinish(b.ctx, ackscale.TaskFinishParams{Task: tk, ClusterState: tk.Type.ClusterStateAfter(ok),
		PoolState: tk.Type.PoolStateAfter(ok)}))
}

// cluster reads a cluster as the store has it (any account, deleted too).
func (b *testBundle) cluster(id string) ackscale.Cluster {
	b.t.Helper()
	cl, err := b.store.ClusterGet(b.ctx, ackscale.ClusterGetParams{ID: id, WithDeleted: true})
	require.NoError(b.t, err)
	return cl
}

// task reads a task as the store has it.
func (b *testBundle) task(id string) ackscale.Task {
	b.t.Helper()
	tk, err := b.store.TaskGet(b.ctx, ackscale.TaskGetParams{ID: id})
	require.NoError(b.t, err)
	return tk
}

// workers lists a cluster's workers, oldest first.
func (b *testBundle) workers(clusterID string) []ackscale.Worker {
	b.t.Helper()
	ws, _, err := b.store.WorkerList(b.ctx, ackscale.WorkerListParams{ClusterID: clusterID})
	require.NoError(b.t, err)
	return ws
}

// addWorkers records n running workers of a cluster, each a second newer
// than the one before: worker i has client token "<prefix>-i", node
// name cn-beijing.<prefix>-i and instance id i-<prefix>-i.
func (b *testBundle) addWorkers(clusterID, prefix string, n int) []ackscale.Worker {
	b.t.Helper()
	cl := b.cluster(clusterID)
	var ws []ackscale.Worker
	for i := range n {
		b.clock.Add(time.Second)
		w := ackscale.Worker{ClusterID: clusterID, AccountID: cl.AccountID, TaskID: "T-" + prefix,
			ClientToken: fmt.Sprintf("%s-%d", prefix, i), InstanceID: fmt.Sprintf("i-%s-%d", prefix, i),
			NodeName: fmt.Sprintf("cn-beijing.%s-%d", prefix, i), State: ackscale.NodeRunning,
			NodeStatus: ackscale.NodeReady, Created: b.clock.Now()}
		require.NoError(b.t, b.store.WorkerInsert(b.ctx, []ackscale.Worker{w}))
		ws = append(ws, w)
	}
	return ws
}

// jobs returns the task ids whose jobs the store enqueued, after checking
// the OnEnqueue function saw the same.
func (b *testBundle) jobs() []string {
	b.t.Helper()
	jobs := append([]string{}, b.store.Jobs()...)
	require.Equal(b.t, jobs, *b.enqueued, "in order")
	return jobs
}

// requireError checks err is an *ackscale.Error with code, about field
// ("" for none), whose message holds every one of contains.
func requireError(t *testing.T, err error, code, field string, contains ...string) *ackscale.Error {
	t.Helper()
	var e *ackscale.Error
	require.True(t, errors.As(err, &e), "want %s, got %v", code, err)
	require.Equal(t, code, e.Code, e.Message)
	require.Equal(t, field, e.Field, e.Message)
	for _, s := range contains {
		require.Contains(t, e.Message, s)
	}
	return e
}

// fakeClusters wraps Clusters; a Func field that is set replaces the
// method, and every ClusterCreate and TaskStart is recorded.
type fakeClusters struct {
	Clusters
	ClusterListFunc func(ctx context.Context, p ackscale.ClusterListParams) ([]ackscale.Cluster, int, error)
	// TaskStartFunc runs before the store's TaskStart (a concurrent request).
	TaskStartFunc func(ctx context.Context, p ackscale.TaskStartParams)

	mu      sync.Mutex
	created []ackscale.ClusterCreateParams
	started []ackscale.TaskStartParams
}

func (f *fakeClusters) ClusterCreate(ctx context.Context, p ackscale.ClusterCreateParams) error {
	f.mu.Lock()
	f.created = append(f.created, p)
	f.mu.Unlock()
	return f.Clusters.ClusterCreate(ctx, p)
}

func (f *fakeClusters) TaskStart(ctx context.Context, p ackscale.TaskStartParams) error {
	f.mu.Lock()
	f.started = append(f.started, p)
	f.mu.Unlock()
	if f.TaskStartFunc != nil {
		f.TaskStartFunc(ctx, p)
	}
	return f.Clusters.TaskStart(ctx, p)
}

func (f *fakeClusters) ClusterList(ctx context.Context, p ackscale.ClusterListParams) ([]ackscale.Cluster, int, error) {
	if f.ClusterListFunc != nil {
		return f.ClusterListFunc(ctx, p)
	}
	return f.Clusters.ClusterList(ctx, p)
}

// fakeWorkers wraps Workers; a Func field that is set replaces the method.
type fakeWorkers struct {
	Workers
	WorkerListFunc  func(ctx context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error)
	WorkerCountFunc func(ctx context.Context, clusterID string) (int, error)
}

func (f *fakeWorkers) WorkerList(ctx context.Context, p ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
	if f.WorkerListFunc != nil {
		return f.WorkerListFunc(ctx, p)
	}
	return f.Workers.WorkerList(ctx, p)
}

func (f *fakeWorkers) WorkerCount(ctx context.Context, clusterID string) (int, error) {
	if f.WorkerCountFunc != nil {
		return f.WorkerCountFunc(ctx, clusterID)
	}
	return f.Workers.WorkerCount(ctx, clusterID)
}

// fakeCloud wraps Cloud; a Func field that is set replaces the method.
type fakeCloud struct {
	Cloud
	QuotasFunc         func(ctx context.Context, accountID string) (map[string]int, error)
	QuotaOverridesFunc func(ctx context.Context) ([]ackscale.QuotaOverride, error)
	SetStockFunc       func(ctx context.Context, o ackscale.StockOverride) error
	SetQuotaFunc       func(ctx context.Context, q ackscale.QuotaOverride) error
}

func (f *fakeCloud) Quotas(ctx context.Context, accountID string) (map[string]int, error) {
	if f.QuotasFunc != nil {
		return f.QuotasFunc(ctx, accountID)
	}
	return f.Cloud.Quotas(ctx, accountID)
}

func (f *fakeCloud) QuotaOverrides(ctx context.Context) ([]ackscale.QuotaOverride, error) {
	if f.QuotaOverridesFunc != nil {
		return f.QuotaOverridesFunc(ctx)
	}
	return f.Cloud.QuotaOverrides(ctx)
}

func (f *fakeCloud) SetStock(ctx context.Context, o ackscale.StockOverride) error {
	if f.SetStockFunc != nil {
		return f.SetStockFunc(ctx, o)
	}
	return f.Cloud.SetStock(ctx, o)
}

func (f *fakeCloud) SetQuota(ctx context.Context, q ackscale.QuotaOverride) error {
	if f.SetQuotaFunc != nil {
		return f.SetQuotaFunc(ctx, q)
	}
	return f.Cloud.SetQuota(ctx, q)
}

// fakeKube is a Kubeconfigs.
type fakeKube struct {
	KubeconfigFunc func(clusterID string) ([]byte, error)
	CAFunc         func(clusterID string) ([]byte, error)
}

func (f fakeKube) Kubeconfig(clusterID string) ([]byte, error) { return f.KubeconfigFunc(clusterID) }

func (f fakeKube) CA(clusterID string) ([]byte, error) {
	if f.CAFunc == nil {
		return nil, nil
	}
	return f.CAFunc(clusterID)
}

// errStore is a failing store or cloud.
var errStore = errors.New("database is locked")

func TestNew(t *testing.T) {
	t.Parallel()
	st := memstore.New()
	cl, err := cloud.New(cloud.Config{Store: st, Catalog: catalog.Default()})
	require.NoError(t, err)

	for name, cfg := range map[string]Config{
		"no Clusters": {Workers: st, Cloud: cl},
		"no Workers":  {Clusters: st, Cloud: cl},
		"no Cloud":    {Clusters: st, Workers: st},
		"nothing":     {},
	} {
		_, err := New(cfg)
		require.Error(t, err, name)
		require.Contains(t, err.Error(), "Clusters, Workers and Cloud are required", name)
	}

	t.Run("defaults", func(t *testing.T) {
		t.Parallel()
		svc, err := New(Config{Clusters: st, Workers: st, Cloud: cl, TimeScale: -3})
		require.NoError(t, err)
		require.NotNil(t, svc.log)
		require.NotNil(t, svc.cfg.Now)
		require.Equal(t, time.UTC, svc.now().Location())
		require.Equal(t, 1.0, svc.cfg.TimeScale)
		require.Equal(t, bcrypt.DefaultCost, svc.cfg.BcryptCost)
		require.Nil(t, svc.cfg.Kube)
		require.Nil(t, svc.cfg.Accounts)
		require.Nil(t, svc.cfg.Checker)
	})
}

func TestOrList(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   []ackscale.ClusterState
		want string
	}{
		{nil, ""},
		{[]ackscale.ClusterState{"a"}, "a"},
		{[]ackscale.ClusterState{"a", "b"}, "a or b"},
		{[]ackscale.ClusterState{"a", "b", "c"}, "a, b or c"},
		{ackscale.ClusterDeleting.Before(), "delete_failed, failed or running"},
	} {
		require.Equal(t, tc.want, orList(tc.in), "%v", tc.in)
	}
}
