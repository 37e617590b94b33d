package ops

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// poolVSwitch is the cn-beijing vSwitch the pools of these tests use.
const poolVSwitch = "vsw-2ze4jvvvade1yk899****"

// poolBodyWith is a CreateClusterNodePool body for createStandard's
// cluster: ecs.g6.large nodes on poolVSwitch with a key pair and the label
// team=blue. sizing is put in scaling_group ("" for none), extra at the top
// level ("" for none).
func poolBodyWith(name, sizing, extra string) string {
	sg := `"instance_types":["ecs.g6.large"],"vswitch_ids":["` + poolVSwitch + `"],"key_pair":"secrity-key"`
	if sizing != "" {
		sg = sizing + "," + sg
	}
	body := fmt.Sprintf(`{"nodepool_info":{"name":%q},"scaling_group":{%s},"kubernetes_config":{"labels":[{"key":"team","value":"blue"}]}`,
		name, sg)
	if extra != "" {
		body += "," + extra
	}
	return body + "}"
}

// poolBody is poolBodyWith a desired size.
func poolBody(name string, size int) string {
	return poolBodyWith(name, fmt.Sprintf(`"desired_size":%d`, size), "")
}

// spied is setup with every TaskStart recorded.
func spied(t *testing.T) (*testBundle, *fakeClusters) {
	t.Helper()
	spy := &fakeClusters{}
	b := setup(t, func(c *Config) { spy.Clusters = c.Clusters; c.Clusters = spy })
	return b, spy
}

// lastStart is the last TaskStart the spy saw.
func lastStart(t *testing.T, spy *fakeClusters) ackscale.TaskStartParams {
	t.Helper()
	spy.mu.Lock()
	defer spy.mu.Unlock()
	require.NotEmpty(t, spy.started)
	return spy.started[len(spy.started)-1]
}

// npCreate creates an empty pool of body on alice's cluster, a second
// after the one before, and finishes its task: the pool is active.
func (b *testBundle) npCreate(clusterID, body string) string {
	b.t.Helper()
	b.clock.Add(time.Second)
	a, err := b.svc.CreateNodePool(b.ctx, b.alice, clusterID, []byte(body))
	require.NoError(b.t, err)
	b.finish(a.TaskID, true)
	require.Equal(b.t, ackscale.NodePoolActive, b.npGet(clusterID, a.NodePoolID).State)
	return a.NodePoolID
}

// npWorkers records n running, Ready workers of a pool (those of failed
// failed), each a second newer than the one before: worker i has client
// token "<prefix>-i", node name cn-beijing.<prefix>-i and instance id
// i-<prefix>-i.
func (b *testBundle) npWorkers(clusterID, poolID, prefix string, n int, failed ...int) []ackscale.Worker {
	b.t.Helper()
	var ws []ackscale.Worker
	for i := range n {
		b.clock.Add(time.Second)
		w := ackscale.Worker{ClusterID: clusterID, AccountID: b.cluster(clusterID).AccountID, NodePoolID: poolID,
			TaskID: "T-" + prefix, ClientToken: fmt.Sprintf("%s-%d", prefix, i), InstanceID: fmt.Sprintf("i-%s-%d", prefix, i),
			NodeName: fmt.Sprintf("cn-beijing.%s-%d", prefix, i), State: ackscale.NodeRunning, NodeStatus: ackscale.NodeReady,
			Created: b.clock.Now()}
		if slices.Contains(failed, i) {
			w.State = ackscale.NodeFailed
		}
		require.NoError(b.t, b.store.WorkerInsert(b.ctx, []ackscale.Worker{w}))
		ws = append(ws, w)
	}
	return ws
}

// npManyInstances raises the instance and vCPU quotas to 10,000.
func (b *testBundle) npManyInstances() {
	b.t.Helper()
	for _, q := range []string{ackscale.QuotaECSInstancesPerRegion, ackscale.QuotaECSVCPUsPerRegion} {
		_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: q, Value: 10000})
		require.NoError(b.t, err)
	}
}

// npGet reads a pool as the store has it (deleted too).
func (b *testBundle) npGet(clusterID, id string) ackscale.NodePool {
	b.t.Helper()
	p, err := b.store.NodePoolGet(b.ctx, ackscale.NodePoolGetParams{ClusterID: clusterID, ID: id, WithDeleted: true})
	require.NoError(b.t, err)
	return p
}

// npDefault is the id of a cluster's default pool.
func (b *testBundle) npDefault(clusterID string) string {
	b.t.Helper()
	p, err := b.svc.defaultPool(b.ctx, clusterID)
	require.NoError(b.t, err)
	return p.ID
}

// npStates are a cluster's workers' states by client token.
func (b *testBundle) npStates(clusterID string) map[string]ackscale.NodeState {
	b.t.Helper()
	out := map[string]ackscale.NodeState{}
	for _, w := range b.workers(clusterID) {
		out[w.ClientToken] = w.State
	}
	return out
}

// configSize is the desired_size a pool's configuration holds.
func configSize(t *testing.T, p ackscale.NodePool) any {
	t.Helper()
	var cfg struct {
		ScalingGroup map[string]any `json:"scaling_group"`
	}
	require.NoError(t, json.Unmarshal(p.Spec.Config, &cfg))
	return cfg.ScalingGroup["desired_size"]
}

// poolClusters wraps Clusters; a Func field that is set replaces the method.
type poolClusters struct {
	Clusters
	NodePoolGetFunc  func(ctx context.Context, p ackscale.NodePoolGetParams) (ackscale.NodePool, error)
	NodePoolListFunc func(ctx context.Context, p ackscale.NodePoolListParams) ([]ackscale.NodePool, error)
}

func (f *poolClusters) NodePoolGet(ctx context.Context, p ackscale.NodePoolGetParams) (ackscale.NodePool, error) {
	if f.NodePoolGetFunc != nil {
		return f.NodePoolGetFunc(ctx, p)
	}
	return f.Clusters.NodePoolGet(ctx, p)
}

func (f *poolClusters) NodePoolList(ctx context.Context, p ackscale.NodePoolListParams) ([]ackscale.NodePool, error) {
	if f.NodePoolListFunc != nil {
		return f.NodePoolListFunc(ctx, p)
	}
	return f.Clusters.NodePoolList(ctx, p)
}

// countWorkers wraps Workers; WorkerCountsFunc, when set, replaces the method.
type countWorkers struct {
	Workers
	WorkerCountsFunc func(ctx context.Context, clusterID string) ([]ackscale.WorkerCount, error)
}

func (f *countWorkers) WorkerCounts(ctx context.Context, clusterID string) ([]ackscale.WorkerCount, error) {
	if f.WorkerCountsFunc != nil {
		return f.WorkerCountsFunc(ctx, clusterID)
	}
	return f.Workers.WorkerCounts(ctx, clusterID)
}

func TestCreateNodePoolAccepted(t *testing.T) {
	t.Parallel()
	b, spy := spied(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	b.addWorkers(id, "w", 1)
	b.clock.Add(time.Minute)
	now := b.clock.Now()

	a, err := b.svc.CreateNodePool(b.ctx, b.alice, id, []byte(poolBody("pool-a", 2)))
	require.NoError(t, err)
	require.Equal(t, id, a.ClusterID)
	require.Regexp(t, `^np[0-9a-f]{32}$`, a.NodePoolID)
	require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State, "a pool's task leaves the cluster running")

	p := b.npGet(id, a.NodePoolID)
	require.Equal(t, ackscale.NodePoolScaling, p.State)
	require.False(t, p.IsDefault)
	require.Equal(t, b.alice.AccountID, p.AccountID)
	require.Equal(t, "pool-a", p.Spec.Name)
	require.Equal(t, 2, p.Spec.DesiredSize)
	require.Equal(t, now, p.Created)

	tk := b.task(a.TaskID)
	require.Equal(t, ackscale.TaskNodePoolCreate, tk.Type)
	require.Equal(t, []string{a.NodePoolID}, tk.Params.NodePoolIDs)
	require.Equal(t, 1, tk.Params.PriorWorkers, "the cluster's workers before")
	require.Equal(t, now.Add(6*time.Minute), tk.Params.Deadline, "a pool's 60 minutes, TimeScale 10")
	require.Equal(t, []ackscale.TaskStage{{Name: ackscale.StageValidate, State: ackscale.StageSuccess, Start: now, End: now}}, tk.Stages)
	require.Contains(t, tk.Events[0].Message, b.alice.RequestID)
	require.Nil(t, tk.Params.Removal)
	so := tk.Params.ScaleOut
	require.Equal(t, 2, so.Count)
	require.Equal(t, []string{"ecs.g6.large"}, so.InstanceTypes)
	require.Equal(t, []string{poolVSwitch}, so.VSwitchIDs, "the pool's vSwitches, not the cluster's")
	require.Equal(t, "secrity-key", so.KeyPair)
	require.Equal(t, []ackscale.Tag{{Key: "team", Value: "blue"}}, so.Tags)
	require.Equal(t, &ackscale.Runtime{Name: "containerd", Version: "1.6.38"}, so.Runtime)
	require.True(t, so.DisableRollback)

	st := lastStart(t, spy)
	require.Empty(t, st.From, "a pool's task")
	require.Empty(t, st.To)
	require.Empty(t, st.Pools)
	require.Empty(t, st.Removing)
	require.Equal(t, a.NodePoolID, st.NewPool.ID)
	require.Equal(t, 2, st.Reserve.Instances)
	require.Equal(t, 2, st.Reserve.VCPUs, "ecs.g6.large")
	require.Equal(t, "cn-beijing", st.Reserve.Scope)
	u, err := b.store.QuotaUsageGet(b.ctx, ackscale.QuotaUsageParams{AccountID: b.alice.AccountID, Scope: "cn-beijing"})
	require.NoError(t, err)
	require.Equal(t, 2, u.ReservedInstances)
	require.Equal(t, a.TaskID, b.jobs()[len(b.jobs())-1])
}

func TestCreateNodePoolSizes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		body string
		want int
	}{
		{"desired_size", poolBody("p", 3), 3},
		{"no node: a task, nothing reserved", poolBody("p", 0), 0},
		{"nothing sent: none", poolBodyWith("p", "", ""), 0},
		{"deprecated count", poolBodyWith("p", "", `"count":4`), 4},
		{"auto scaling: min_instances", poolBodyWith("p", "", `"auto_scaling":{"enable":true,"min_instances":2,"max_instances":5}`), 2},
		{"at most 500 at once", poolBody("p", 500), 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, spy := spied(t)
			id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
			b.npManyInstances()
			a, err := b.svc.CreateNodePool(b.ctx, b.alice, id, []byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, tc.want, b.npGet(id, a.NodePoolID).Spec.DesiredSize)
			tk, st := b.task(a.TaskID), lastStart(t, spy)
			require.Equal(t, ackscale.TaskNodePoolCreate, tk.Type)
			if tc.want == 0 {
				require.Nil(t, tk.Params.ScaleOut)
				require.Nil(t, st.Reserve)
				return
			}
			require.Equal(t, tc.want, tk.Params.ScaleOut.Count)
			require.Equal(t, tc.want, st.Reserve.Instances)
		})
	}
}

func TestCreateNodePoolRefused(t *testing.T) {
	t.Parallel()
	running := func(b *testBundle) string { return b.running(b.alice, fmt.Sprintf(createStandard, "std")) }
	quota := func(name string, v int) func(*testBundle) string {
		return func(b *testBundle) string {
			_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: name, Value: v})
			require.NoError(b.t, err)
			return running(b)
		}
	}
	for _, tc := range []struct {
		name     string
		cluster  func(*testBundle) string
		bob      bool
		body     string
		code     string
		field    string
		contains []string
	}{
		{name: "another account's cluster", cluster: running, bob: true, body: poolBody("p", 1), code: ackscale.CodeClusterNotFound},
		{name: "cluster not running, before validation", body: `{"nope":1}`, code: ackscale.CodeClusterState, contains: []string{"is initial"},
			cluster: func(b *testBundle) string { return b.create(b.alice, fmt.Sprintf(createStandard, "init")).ClusterID }},
		{name: "unknown field", cluster: running, body: poolBodyWith("p", "", `"nope":1`), code: ackscale.CodeUnknownField, field: "nope"},
		{name: "no instance types", cluster: running, code: ackscale.CodeMissingParameter, field: "scaling_group.instance_types",
			body: `{"nodepool_info":{"name":"p"},"scaling_group":{"vswitch_ids":["` + poolVSwitch + `"],"key_pair":"secrity-key"}}`},
		{name: "more than 500 at once", cluster: running, body: poolBody("p", 501), code: ackscale.CodeOutOfRange,
			field: "scaling_group.desired_size", contains: []string{"501 nodes would add 501", "at most 500"}},
		{name: "instance quota", cluster: quota(ackscale.QuotaECSInstancesPerRegion, 1), body: poolBody("p", 2),
			code: ackscale.CodeQuotaExceeded, field: "count", contains: []string{ackscale.QuotaECSInstancesPerRegion}},
		{name: "workers per cluster", cluster: quota(ackscale.QuotaWorkersPerCluster, 1), body: poolBody("p", 2),
			code: ackscale.CodeQuotaExceeded, field: "scaling_group.desired_size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := tc.cluster(b)
			state, jobs := b.cluster(id).State, len(b.jobs())
			c := b.alice
			if tc.bob {
				c = b.bob
			}
			_, err := b.svc.CreateNodePool(b.ctx, c, id, []byte(tc.body))
			requireError(t, err, tc.code, tc.field, tc.contains...)
			require.Len(t, b.jobs(), jobs, "no task")
			require.Equal(t, state, b.cluster(id).State)
			pools, err := b.store.NodePoolList(b.ctx, ackscale.NodePoolListParams{ClusterID: id})
			require.NoError(t, err)
			require.Len(t, pools, 1, "the default pool only")
		})
	}
}

func TestPoolScaleOutFillsFromCluster(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cl := ackscale.Cluster{Spec: ackscale.ClusterSpec{VSwitchIDs: []string{"vsw-cluster"}, WorkerInstanceTypes: []string{"ecs.c6.large"},
		Runtime: ackscale.Runtime{Name: "containerd", Version: "1.6.38"}}}
	containerd := &ackscale.Runtime{Name: "containerd", Version: "1.6.38"}
	for _, tc := range []struct {
		name          string
		workers       ackscale.ScaleOut
		unschedulable bool
		want          ackscale.ScaleOut
	}{
		{name: "the pool's own",
			workers: ackscale.ScaleOut{InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-pool"},
				Runtime: &ackscale.Runtime{Name: "docker", Version: "19.03.5"}},
			want: ackscale.ScaleOut{Count: 3, InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-pool"},
				Runtime: &ackscale.Runtime{Name: "docker", Version: "19.03.5"}}},
		{name: "the cluster's when the pool has none",
			want: ackscale.ScaleOut{Count: 3, InstanceTypes: []string{"ecs.c6.large"}, VSwitchIDs: []string{"vsw-cluster"}, Runtime: containerd}},
		{name: "ENS workers take no vSwitch",
			workers: ackscale.ScaleOut{ENSRegionID: "cn-beijing-telecom", InstanceTypes: []string{"ens.sn1.tiny"}},
			want:    ackscale.ScaleOut{Count: 3, ENSRegionID: "cn-beijing-telecom", InstanceTypes: []string{"ens.sn1.tiny"}, Runtime: containerd}},
		{name: "a runtime without a name is the cluster's",
			workers: ackscale.ScaleOut{InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-pool"}, Runtime: &ackscale.Runtime{Version: "9"}},
			want:    ackscale.ScaleOut{Count: 3, InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-pool"}, Runtime: containerd}},
		{name: "a runtime without a version takes the catalog's",
			workers: ackscale.ScaleOut{InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-pool"}, Runtime: &ackscale.Runtime{Name: "docker"}},
			want: ackscale.ScaleOut{Count: 3, InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-pool"},
				Runtime: &ackscale.Runtime{Name: "docker", Version: "19.03.15"}}},
		{name: "the pool's unschedulable mark", unschedulable: true,
			workers: ackscale.ScaleOut{InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-pool"}, Runtime: containerd},
			want: ackscale.ScaleOut{Count: 3, InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-pool"}, Runtime: containerd,
				Unschedulable: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := b.svc.poolScaleOut(cl, ackscale.NodePoolSpec{Workers: tc.workers, Unschedulable: tc.unschedulable}, 3)
			require.Equal(t, tc.want, got)
			require.Equal(t, ackscale.Runtime{Name: "containerd", Version: "1.6.38"}, cl.Spec.Runtime, "the cluster's is copied")
		})
	}
}

func TestPoolSizeCheck(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		want, have int
		err        string
	}{
		{want: 500, have: 0},
		{want: 501, have: 0, err: "f: 501 nodes would add 501; at most 500"},
		{want: 600, have: 100},
		{want: 601, have: 100, err: "f: 601 nodes would add 501"},
		{want: 0, have: 900},
	} {
		err := poolSizeCheck("f", tc.want, tc.have)
		if tc.err == "" {
			require.NoError(t, err, "%d over %d", tc.want, tc.have)
			continue
		}
		requireError(t, err, ackscale.CodeOutOfRange, "f", tc.err)
	}
}

func TestAutoScalingCheck(t *testing.T) {
	t.Parallel()
	on := ackscale.AutoScaling{Enable: true, MinInstances: 1, MaxInstances: 3}
	for _, tc := range []struct {
		as   ackscale.AutoScaling
		size int
		ok   bool
	}{
		{on, 1, true}, {on, 3, true}, {on, 0, false}, {on, 4, false},
		{ackscale.AutoScaling{MinInstances: 1, MaxInstances: 3}, 10, true}, // off: no bounds
	} {
		err := autoScalingCheck(ackscale.NodePoolSpec{AutoScaling: tc.as}, tc.size)
		if tc.ok {
			require.NoError(t, err, "%+v %d", tc.as, tc.size)
			continue
		}
		requireError(t, err, ackscale.CodeOutOfRange, "count", fmt.Sprintf("would have %d nodes", tc.size), "between 1 and 3")
	}
}

func TestSendsDesiredSize(t *testing.T) {
	t.Parallel()
	for patch, want := range map[string]bool{
		`{"scaling_group":{"desired_size":3}}`:                      true,
		`{"scaling_group":{"desired_size":0,"key_pair":"k"},"a":1}`: true,
		`{"scaling_group":{"key_pair":"k"}}`:                        false,
		`{"scaling_group":{"desired_size":null}}`:                   false,
		`{"count":2}`:         false,
		`{}`:                  false,
		`{"scaling_group":1}`: false,
		`not json`:            false,
	} {
		require.Equal(t, want, sendsDesiredSize(json.RawMessage(patch)), patch)
	}
}

func TestMergePatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc, patch, want string
	}{
		{"objects merged key by key", `{"a":{"b":1,"c":2},"d":3}`, `{"a":{"c":4,"e":5}}`, `{"a":{"b":1,"c":4,"e":5},"d":3}`},
		{"arrays replaced", `{"l":[1,2,3]}`, `{"l":[4]}`, `{"l":[4]}`},
		{"null deletes (rules' own nulls only: a body's nulls never reach the patch)", `{"a":1,"b":{"c":1,"d":2}}`, `{"a":null,"b":{"c":null}}`, `{"b":{"d":2}}`},
		{"no document", ``, `{"a":{"b":1}}`, `{"a":{"b":1}}`},
		{"a value replaced by an object", `{"a":1}`, `{"a":{"b":2}}`, `{"a":{"b":2}}`},
		{"a non-object patch replaces", `{"a":1}`, `[1]`, `[1]`},
	} {
		got, err := mergePatch(json.RawMessage(tc.doc), json.RawMessage(tc.patch))
		require.NoError(t, err, tc.name)
		require.JSONEq(t, tc.want, string(got), tc.name)
	}
	_, err := mergePatch(json.RawMessage(`{"a":`), json.RawMessage(`{}`))
	require.Error(t, err, "a document that is not JSON")
	_, err = mergePatch(json.RawMessage(`{}`), json.RawMessage(`nope`))
	require.Error(t, err, "a patch that is not JSON")
}

// poolsCluster is a running cluster of alice's with pool-a (workers of
// every condition, tokens a-…), pool-b (one worker, b-0) and one worker
// of no pool (w-0).
func poolsCluster(b *testBundle) (id, poolA, poolB string) {
	b.t.Helper()
	id = b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	poolA, poolB = b.npCreate(id, poolBody("pool-a", 0)), b.npCreate(id, poolBody("pool-b", 0))
	var ws []ackscale.Worker
	for i, s := range []struct {
		state  ackscale.NodeState
		status ackscale.NodeStatus
	}{
		{ackscale.NodeRunning, ackscale.NodeReady}, {ackscale.NodeRunning, ackscale.NodeReady}, {ackscale.NodeRunning, ackscale.NodeNotReady},
		{ackscale.NodeInitial, ""}, {ackscale.NodeStarting, ackscale.NodeNotReady}, {ackscale.NodeFailed, ""}, {ackscale.NodeRemoving, ackscale.NodeReady},
	} {
		ws = append(ws, ackscale.Worker{ClusterID: id, AccountID: b.alice.AccountID, NodePoolID: poolA, TaskID: "T-a",
			ClientToken: fmt.Sprintf("a-%d", i), State: s.state, NodeStatus: s.status})
	}
	require.NoError(b.t, b.store.WorkerInsert(b.ctx, ws))
	b.npWorkers(id, poolB, "b", 1)
	b.addWorkers(id, "w", 1)
	return id, poolA, poolB
}

func TestListNodePools(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, poolA, poolB := poolsCluster(b)
	def := b.npDefault(id)

	got, err := b.svc.ListNodePools(b.ctx, b.alice, id, "")
	require.NoError(t, err)
	require.Len(t, got, 3)
	for i, want := range []struct {
		id     string
		counts NodePoolCounts
	}{
		{def, NodePoolCounts{}},
		{poolA, NodePoolCounts{Total: 7, Healthy: 2, Serving: 3, Initial: 2, Failed: 1, Offline: 1, Removing: 1}},
		{poolB, NodePoolCounts{Total: 1, Healthy: 1, Serving: 1}},
	} {
		require.Equal(t, want.id, got[i].Pool.ID, "the default pool first, then oldest first")
		require.Equal(t, want.counts, got[i].Counts, want.id)
		require.Equal(t, "cn-beijing", got[i].RegionID)
	}

	got, err = b.svc.ListNodePools(b.ctx, b.alice, id, "pool-b")
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, poolB, got[0].Pool.ID)
	got, err = b.svc.ListNodePools(b.ctx, b.alice, id, "pool")
	require.NoError(t, err)
	require.Empty(t, got, "a name is matched whole")

	_, err = b.svc.ListNodePools(b.ctx, b.bob, id, "")
	requireError(t, err, ackscale.CodeClusterNotFound, "")
}

func TestDescribeNodePool(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, poolA, _ := poolsCluster(b)
	other := b.running(b.alice, fmt.Sprintf(createStandard, "other"))

	info, err := b.svc.DescribeNodePool(b.ctx, b.alice, id, poolA)
	require.NoError(t, err)
	require.Equal(t, poolA, info.Pool.ID)
	require.Equal(t, "pool-a", info.Pool.Spec.Name)
	require.Equal(t, ackscale.NodePoolActive, info.Pool.State)
	require.Equal(t, NodePoolCounts{Total: 7, Healthy: 2, Serving: 3, Initial: 2, Failed: 1, Offline: 1, Removing: 1}, info.Counts)
	require.Equal(t, "cn-beijing", info.RegionID)

	_, err = b.svc.DescribeNodePool(b.ctx, b.alice, other, poolA)
	requireError(t, err, ackscale.CodeNodePoolNotFound, "", poolA)
	_, err = b.svc.DescribeNodePool(b.ctx, b.alice, id, "np00000000000000000000000000000000")
	requireError(t, err, ackscale.CodeNodePoolNotFound, "")
	_, err = b.svc.DescribeNodePool(b.ctx, b.bob, id, poolA)
	requireError(t, err, ackscale.CodeClusterNotFound, "")
}

func TestNodePoolReadsFail(t *testing.T) {
	t.Parallel()
	fc, fw := &poolClusters{}, &countWorkers{}
	b := setup(t, func(c *Config) { fc.Clusters, c.Clusters, fw.Workers, c.Workers = c.Clusters, fc, c.Workers, fw })
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	def := b.npDefault(id)
	ws := b.npWorkers(id, def, "d", 1)

	fw.WorkerCountsFunc = func(context.Context, string) ([]ackscale.WorkerCount, error) { return nil, errStore }
	for name, call := range map[string]func() error{
		"list":     func() error { _, err := b.svc.ListNodePools(b.ctx, b.alice, id, ""); return err },
		"describe": func() error { _, err := b.svc.DescribeNodePool(b.ctx, b.alice, id, def); return err },
		"remove": func() error {
			_, err := b.svc.RemoveNodePoolNodes(b.ctx, b.alice, id, def, fmt.Appendf(nil, `{"nodes":[%q]}`, ws[0].NodeName))
			return err
		},
		"shrink": func() error { _, err := b.svc.shrinkPools(b.ctx, id, []string{def}, nil); return err },
	} {
		err := call()
		require.ErrorIs(t, err, errStore, name)
		require.Contains(t, err.Error(), "count workers", name)
	}
	require.Equal(t, ackscale.NodeRunning, b.workers(id)[0].State)

	fc.NodePoolListFunc = func(context.Context, ackscale.NodePoolListParams) ([]ackscale.NodePool, error) { return nil, errStore }
	_, err := b.svc.ListNodePools(b.ctx, b.alice, id, "")
	require.ErrorIs(t, err, errStore)
	require.Contains(t, err.Error(), "list node pools")
	_, err = b.svc.ScaleOut(b.ctx, b.alice, id, []byte(scaleOutBody))
	require.ErrorIs(t, err, errStore, "the default pool is not found")
	require.Contains(t, err.Error(), "list node pools")
	require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)
}

func TestDefaultPoolMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.svc.defaultPool(b.ctx, "c-none")
	require.EqualError(t, err, "cluster c-none has no default node pool")
}

// poolOps are the operations on one pool, each with a body it would accept
// on an active pool of three workers p-0…p-2 (invalid: one no pool
// operation accepts).
var poolOps = map[string]func(b *testBundle, c Caller, id, np string, invalid bool) (PoolAccepted, error){
	"modify": func(b *testBundle, c Caller, id, np string, invalid bool) (PoolAccepted, error) {
		return b.svc.ModifyNodePool(b.ctx, c, id, np, pick(invalid, `{"scaling_group":{"desired_size":1}}`))
	},
	"scale": func(b *testBundle, c Caller, id, np string, invalid bool) (PoolAccepted, error) {
		return b.svc.ScaleNodePool(b.ctx, c, id, np, pick(invalid, `{"count":1}`))
	},
	"remove": func(b *testBundle, c Caller, id, np string, invalid bool) (PoolAccepted, error) {
		return b.svc.RemoveNodePoolNodes(b.ctx, c, id, np, pick(invalid, `{"nodes":["cn-beijing.p-0"]}`))
	},
	"delete": func(b *testBundle, c Caller, id, np string, _ bool) (PoolAccepted, error) {
		return b.svc.DeleteNodePool(b.ctx, c, id, np, true)
	},
}

// pick is an invalid body, or valid.
func pick(invalid bool, valid string) []byte {
	if invalid {
		return []byte(`{"nope":1}`)
	}
	return []byte(valid)
}

func TestNodePoolOperationsNeedAnActivePool(t *testing.T) {
	t.Parallel()
	for name, op := range poolOps {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
			np := b.npCreate(id, poolBody("pool-a", 0))
			b.npWorkers(id, np, "p", 3)
			busy, err := b.svc.CreateNodePool(b.ctx, b.alice, id, []byte(poolBody("busy", 1)))
			require.NoError(t, err)
			initial := b.create(b.alice, fmt.Sprintf(createStandard, "initial")).ClusterID
			jobs := len(b.jobs())

			// The state is decided before the body is validated.
			_, err = op(b, b.alice, id, busy.NodePoolID, true)
			requireError(t, err, ackscale.CodeNodePoolState, "", busy.NodePoolID, "is scaling", "one operation runs on a pool at a time")
			_, err = op(b, b.alice, initial, b.npDefault(initial), true)
			requireError(t, err, ackscale.CodeClusterState, "", "is initial")
			_, err = op(b, b.alice, id, "np00000000000000000000000000000000", true)
			requireError(t, err, ackscale.CodeNodePoolNotFound, "")
			_, err = op(b, b.alice, initial, np, true)
			requireError(t, err, ackscale.CodeClusterState, "", "is initial")
			_, err = op(b, b.bob, id, np, false)
			requireError(t, err, ackscale.CodeClusterNotFound, "")
			require.Len(t, b.jobs(), jobs, "no task")
			require.Equal(t, ackscale.NodePoolActive, b.npGet(id, np).State)
			require.Equal(t, ackscale.NodePoolScaling, b.npGet(id, busy.NodePoolID).State)

			// Another pool of the cluster, active, runs it while "busy" scales.
			a, err := op(b, b.alice, id, np, false)
			require.NoError(t, err)
			require.Equal(t, PoolAccepted{ClusterID: id, NodePoolID: np, TaskID: a.TaskID}, a)
			require.True(t, b.npGet(id, np).State.Busy())
			require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)
			_, err = op(b, b.alice, id, np, false)
			requireError(t, err, ackscale.CodeNodePoolState, "", np)

			// A cluster-level operation waits for both.
			_, err = b.svc.ScaleOut(b.ctx, b.alice, id, []byte(scaleOutBody))
			requireError(t, err, ackscale.CodeClusterState, "", "node pool")
		})
	}
}

// modifyPool is a running cluster of alice's with pool-a: three running
// workers p-0…p-2, oldest first, those of failed failed.
func modifyPool(b *testBundle, failed ...int) (id, np string) {
	b.t.Helper()
	id = b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	np = b.npCreate(id, poolBody("pool-a", 0))
	b.npWorkers(id, np, "p", 3, failed...)
	return id, np
}

func TestModifyNodePoolResizes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		failed      []int
		body        string
		typ         ackscale.TaskType
		state       ackscale.NodePoolState
		size        int
		add         int      // the scale-out's count, 0 for none
		removed     []string // client tokens, in order
		updateNodes bool
	}{
		{name: "larger desired_size adds", body: `{"scaling_group":{"desired_size":5}}`,
			typ: ackscale.TaskNodePoolScaleOut, state: ackscale.NodePoolScaling, size: 5, add: 2},
		{name: "deprecated count adds to the size", body: `{"count":2}`,
			typ: ackscale.TaskNodePoolScaleOut, state: ackscale.NodePoolScaling, size: 5, add: 2},
		{name: "smaller desired_size removes the newest", body: `{"scaling_group":{"desired_size":1}}`,
			typ: ackscale.TaskNodePoolScaleIn, state: ackscale.NodePoolRemoving, size: 1, removed: []string{"p-2", "p-1"}},
		{name: "failed workers are removed first", failed: []int{0}, body: `{"scaling_group":{"desired_size":1}}`,
			typ: ackscale.TaskNodePoolScaleIn, state: ackscale.NodePoolRemoving, size: 1, removed: []string{"p-0", "p-2"}},
		{name: "to none", body: `{"scaling_group":{"desired_size":0}}`,
			typ: ackscale.TaskNodePoolScaleIn, state: ackscale.NodePoolRemoving, size: 0, removed: []string{"p-2", "p-1", "p-0"}},
		{name: "same size: an update", body: `{"scaling_group":{"desired_size":3}}`,
			typ: ackscale.TaskNodePoolUpdate, state: ackscale.NodePoolUpdating, size: 3},
		{name: "no size: the size stays", body: `{"kubernetes_config":{"labels":[{"key":"team","value":"red"}]}}`,
			typ: ackscale.TaskNodePoolUpdate, state: ackscale.NodePoolUpdating, size: 3},
		{name: "a null size: the size stays (R3)", body: `{"scaling_group":{"desired_size":null}}`,
			typ: ackscale.TaskNodePoolUpdate, state: ackscale.NodePoolUpdating, size: 3},
		{name: "Terraform's empty objects", body: `{"kubernetes_config":{},"nodepool_info":{}}`,
			typ: ackscale.TaskNodePoolUpdate, state: ackscale.NodePoolUpdating, size: 3},
		{name: "update_nodes", body: `{"update_nodes":true,"kubernetes_config":{"unschedulable":true}}`,
			typ: ackscale.TaskNodePoolUpdate, state: ackscale.NodePoolUpdating, size: 3, updateNodes: true},
		{name: "update_nodes with a scale-out", body: `{"update_nodes":true,"scaling_group":{"desired_size":4}}`,
			typ: ackscale.TaskNodePoolScaleOut, state: ackscale.NodePoolScaling, size: 4, add: 1, updateNodes: true},
		{name: "update_nodes with a scale-in", body: `{"update_nodes":true,"scaling_group":{"desired_size":2}}`,
			typ: ackscale.TaskNodePoolScaleIn, state: ackscale.NodePoolRemoving, size: 2, removed: []string{"p-2"}, updateNodes: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, spy := spied(t)
			id, np := modifyPool(b, tc.failed...)
			a, err := b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, PoolAccepted{ClusterID: id, NodePoolID: np, TaskID: a.TaskID}, a)
			require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)

			tk := b.task(a.TaskID)
			require.Equal(t, tc.typ, tk.Type)
			require.Equal(t, []string{np}, tk.Params.NodePoolIDs)
			require.Equal(t, 3, tk.Params.PriorWorkers, "the pool's workers")
			require.Equal(t, tc.updateNodes, tk.Params.UpdateNodes)
			p := b.npGet(id, np)
			require.Equal(t, tc.state, p.State)
			require.Equal(t, tc.size, p.Spec.DesiredSize)
			require.EqualValues(t, tc.size, configSize(t, p))

			st := lastStart(t, spy)
			require.Len(t, st.Pools, 1)
			require.Equal(t, ackscale.PoolMove{ID: np, From: ackscale.NodePoolActive, To: tc.state, Spec: st.Pools[0].Spec}, st.Pools[0])
			require.Equal(t, tc.size, st.Pools[0].Spec.DesiredSize)
			require.Nil(t, st.NewPool)
			requireAdds(t, tk, st, tc.add)
			if tc.removed == nil {
				require.Nil(t, tk.Params.Removal)
				require.Empty(t, st.Removing)
				return
			}
			requireRemoval(t, b, id, tk, st, tc.removed, false) // released, not drained
		})
	}
}

// requireAdds checks a task adds n ecs.g6.large workers (none: 0) and
// reserves their quota.
func requireAdds(t *testing.T, tk ackscale.Task, st ackscale.TaskStartParams, n int) {
	t.Helper()
	if n == 0 {
		require.Nil(t, tk.Params.ScaleOut)
		require.Nil(t, st.Reserve)
		return
	}
	require.Equal(t, n, tk.Params.ScaleOut.Count)
	require.Equal(t, []string{"ecs.g6.large"}, tk.Params.ScaleOut.InstanceTypes)
	require.Equal(t, n, st.Reserve.Instances)
}

// requireRemoval checks a task removes the workers removed (client tokens,
// in order; node names cn-beijing.<token>), released, drained or not, and
// that they are removing.
func requireRemoval(t *testing.T, b *testBundle, id string, tk ackscale.Task, st ackscale.TaskStartParams, removed []string, drain bool) {
	t.Helper()
	var nodes []string
	for _, w := range removed {
		nodes = append(nodes, "cn-beijing."+w)
	}
	require.Equal(t, &ackscale.Removal{Nodes: nodes, Workers: removed, ReleaseNode: true, DrainNode: drain}, tk.Params.Removal)
	require.Equal(t, removed, st.Removing)
	states := b.npStates(id)
	for _, w := range removed {
		require.Equal(t, ackscale.NodeRemoving, states[w], w)
	}
}

func TestModifyNodePoolTakesTheNewConfiguration(t *testing.T) {
	t.Parallel()
	b, spy := spied(t)
	id, np := modifyPool(b)
	body := `{"nodepool_info":{"name":"renamed"},"scaling_group":{"desired_size":4,"instance_types":["ecs.g6.xlarge"]},` +
		`"kubernetes_config":{"labels":[{"key":"team","value":"red"}],"taints":[{"key":"k","value":"v","effect":"NoSchedule"}]}}`
	a, err := b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(body))
	require.NoError(t, err)

	so := b.task(a.TaskID).Params.ScaleOut
	require.Equal(t, 1, so.Count)
	require.Equal(t, []string{"ecs.g6.xlarge"}, so.InstanceTypes, "new workers are of the new configuration")
	require.Equal(t, []string{poolVSwitch}, so.VSwitchIDs, "kept")
	require.Equal(t, "secrity-key", so.KeyPair, "kept")
	require.Equal(t, []ackscale.Tag{{Key: "team", Value: "red"}}, so.Tags, "a list is replaced")
	require.Equal(t, []ackscale.Taint{{Key: "k", Value: "v", Effect: "NoSchedule"}}, so.Taints)
	require.Equal(t, 4, lastStart(t, spy).Reserve.VCPUs, "ecs.g6.xlarge")

	p := b.npGet(id, np)
	require.Equal(t, "renamed", p.Spec.Name)
	require.Equal(t, []string{"ecs.g6.xlarge"}, p.Spec.Workers.InstanceTypes)
	var cfg map[string]map[string]any
	require.NoError(t, json.Unmarshal(p.Spec.Config, &cfg))
	require.Equal(t, "renamed", cfg["nodepool_info"]["name"])
	require.Equal(t, "secrity-key", cfg["scaling_group"]["key_pair"])
	require.Equal(t, []any{map[string]any{"key": "team", "value": "red"}}, cfg["kubernetes_config"]["labels"])
}

func TestModifyNodePoolEmptyPoolHasNoNodesToUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	np := b.npCreate(id, poolBody("pool-a", 0))
	a, err := b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(`{"update_nodes":true,"kubernetes_config":{"unschedulable":true}}`))
	require.NoError(t, err)
	tk := b.task(a.TaskID)
	require.Equal(t, ackscale.TaskNodePoolUpdate, tk.Type)
	require.False(t, tk.Params.UpdateNodes, "the pool has no Node")
	require.Equal(t, 0, tk.Params.PriorWorkers)
	require.True(t, b.npGet(id, np).Spec.Unschedulable)
}

func TestModifyNodePoolRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		quota    string // set to 3 when not ""
		body     string
		code     string
		field    string
		contains []string
	}{
		{name: "unknown field", body: `{"nope":1}`, code: ackscale.CodeUnknownField, field: "nope"},
		{name: "a pool's type is not modified", body: `{"nodepool_info":{"type":"ess"}}`, code: ackscale.CodeUnknownField,
			field: "nodepool_info.type"},
		{name: "count with desired_size", body: `{"count":1,"scaling_group":{"desired_size":4}}`, code: ackscale.CodeConflict,
			field: "count"},
		{name: "count out of range", body: `{"count":501}`, code: ackscale.CodeOutOfRange, field: "count"},
		{name: "size outside the auto-scaling bounds", body: `{"auto_scaling":{"enable":true,"min_instances":4,"max_instances":6}}`,
			code: ackscale.CodeOutOfRange, field: "scaling_group.desired_size", contains: []string{"3 is not in [4, 6]"}},
		{name: "more than 500 at once", body: `{"scaling_group":{"desired_size":504}}`, code: ackscale.CodeOutOfRange,
			field: "scaling_group.desired_size", contains: []string{"504 nodes would add 501", "at most 500"}},
		{name: "instance quota", quota: ackscale.QuotaECSInstancesPerRegion, body: `{"scaling_group":{"desired_size":7}}`,
			code: ackscale.CodeQuotaExceeded, field: "count", contains: []string{ackscale.QuotaECSInstancesPerRegion}},
		{name: "workers per cluster, the pool's own counted once", quota: ackscale.QuotaWorkersPerCluster,
			body: `{"scaling_group":{"desired_size":4}}`, code: ackscale.CodeQuotaExceeded, field: "scaling_group.desired_size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id, np := modifyPool(b)
			if tc.quota != "" {
				_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: tc.quota, Value: 3})
				require.NoError(t, err)
			}
			before, jobs := b.npGet(id, np), len(b.jobs())
			_, err := b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(tc.body))
			requireError(t, err, tc.code, tc.field, tc.contains...)
			require.Len(t, b.jobs(), jobs, "no task")
			require.Equal(t, before, b.npGet(id, np), "the pool as it was")
			require.Equal(t, map[string]ackscale.NodeState{"p-0": ackscale.NodeRunning, "p-1": ackscale.NodeRunning,
				"p-2": ackscale.NodeRunning}, b.npStates(id))
		})
	}
}

// TestModifyNodePoolValidatesTheMergedConfiguration: a body valid alone
// is refused when the pool it makes is not (a password on a ContainerOS
// pool, R29), and the pool stays as it was.
func TestModifyNodePoolValidatesTheMergedConfiguration(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	np := b.npCreate(id, poolBodyWith("pool-a", `"desired_size":0,"image_type":"ContainerOS"`, ""))
	before := b.npGet(id, np)
	_, err := b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(`{"scaling_group":{"login_password":"`+testPassword+`"}}`))
	requireError(t, err, ackscale.CodeConflict, "scaling_group.login_password", "ContainerOS")
	require.Equal(t, before, b.npGet(id, np))
	_, err = b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(`{"scaling_group":{"key_pair":null}}`))
	require.NoError(t, err, "a null key pair is absent: the pool keeps its own (R3)")
}

func TestModifyNodePoolAddsAtMost500(t *testing.T) {
	t.Parallel()
	for workers, add := range map[int]int{0: 0, 1: 500} { // add 0: refused
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
			b.npManyInstances()
			np := b.npCreate(id, poolBody("pool-a", 0))
			b.npWorkers(id, np, "p", workers)
			a, err := b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(`{"scaling_group":{"desired_size":501}}`))
			if add == 0 {
				requireError(t, err, ackscale.CodeOutOfRange, "scaling_group.desired_size", "501 nodes would add 501")
				require.Equal(t, ackscale.NodePoolActive, b.npGet(id, np).State)
				return
			}
			require.NoError(t, err)
			require.Equal(t, add, b.task(a.TaskID).Params.ScaleOut.Count)
		})
	}
}

func TestModifyNodePoolStoredConfigurationUnreadable(t *testing.T) {
	t.Parallel()
	fc := &poolClusters{}
	b := setup(t, func(c *Config) { fc.Clusters, c.Clusters = c.Clusters, fc })
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	np := b.npCreate(id, poolBody("pool-a", 0))
	fc.NodePoolGetFunc = func(ctx context.Context, p ackscale.NodePoolGetParams) (ackscale.NodePool, error) {
		pool, err := fc.Clusters.NodePoolGet(ctx, p)
		pool.Spec.Config = json.RawMessage(`{"scaling_group":`)
		return pool, err
	}
	jobs := len(b.jobs())
	_, err := b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(`{"scaling_group":{"desired_size":1}}`))
	require.ErrorContains(t, err, "merge node pool configuration")
	require.Len(t, b.jobs(), jobs)
}

func TestNodePoolWorkerListFails(t *testing.T) {
	t.Parallel()
	for name, op := range poolOps {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fw := &fakeWorkers{}
			b := setup(t, func(c *Config) { fw.Workers, c.Workers = c.Workers, fw })
			id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
			np := b.npCreate(id, poolBody("pool-a", 0))
			b.npWorkers(id, np, "p", 3)
			jobs := len(b.jobs())
			fw.WorkerListFunc = func(context.Context, ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
				return nil, 0, errStore
			}
			_, err := op(b, b.alice, id, np, false)
			require.ErrorIs(t, err, errStore)
			require.ErrorContains(t, err, "list workers")
			require.Len(t, b.jobs(), jobs)
			require.Equal(t, ackscale.NodePoolActive, b.npGet(id, np).State)
		})
	}
}

func TestScaleNodePoolAccepted(t *testing.T) {
	t.Parallel()
	b, spy := spied(t)
	id, np := modifyPool(b)
	b.addWorkers(id, "w", 1) // another worker of the cluster
	a, err := b.svc.ScaleNodePool(b.ctx, b.alice, id, np, []byte(`{"count":2}`))
	require.NoError(t, err)
	require.Equal(t, PoolAccepted{ClusterID: id, NodePoolID: np, TaskID: a.TaskID}, a)
	require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)

	tk := b.task(a.TaskID)
	require.Equal(t, ackscale.TaskNodePoolScaleOut, tk.Type)
	require.Equal(t, []string{np}, tk.Params.NodePoolIDs)
	require.Equal(t, 3, tk.Params.PriorWorkers)
	require.False(t, tk.Params.UpdateNodes)
	require.Nil(t, tk.Params.Removal)
	require.Equal(t, 2, tk.Params.ScaleOut.Count)
	require.Equal(t, []string{poolVSwitch}, tk.Params.ScaleOut.VSwitchIDs)
	require.Equal(t, tk.Created.Add(6*time.Minute), tk.Params.Deadline)

	p := b.npGet(id, np)
	require.Equal(t, ackscale.NodePoolScaling, p.State)
	require.Equal(t, 5, p.Spec.DesiredSize, "the pool's workers and count")
	require.EqualValues(t, 5, configSize(t, p))
	st := lastStart(t, spy)
	require.Equal(t, ackscale.NodePoolActive, st.Pools[0].From)
	require.Equal(t, ackscale.NodePoolScaling, st.Pools[0].To)
	require.Equal(t, 2, st.Reserve.Instances)
	require.Equal(t, 2, st.Reserve.VCPUs)
}

func TestScaleNodePoolDefaultPool(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, createWithWorkers)
	def := b.npDefault(id)
	a, err := b.svc.ScaleNodePool(b.ctx, b.alice, id, def, []byte(`{"count":1}`))
	require.NoError(t, err)
	so := b.task(a.TaskID).Params.ScaleOut
	require.Equal(t, []string{"ecs.g6.large"}, so.InstanceTypes, "the cluster's worker settings")
	require.Equal(t, []string{poolVSwitch}, so.VSwitchIDs)
	require.True(t, so.HasPassword)
	require.Equal(t, ackscale.NodePoolScaling, b.npGet(id, def).State)

	// A cluster made without worker settings has none to add nodes of.
	std := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	jobs := len(b.jobs())
	_, err = b.svc.ScaleNodePool(b.ctx, b.alice, std, b.npDefault(std), []byte(`{"count":1}`))
	requireError(t, err, ackscale.CodeMissingParameter, "scaling_group.instance_types", "has no instance types to add nodes of")
	require.Len(t, b.jobs(), jobs)
	require.Equal(t, ackscale.NodePoolActive, b.npGet(std, b.npDefault(std)).State)
}

func TestScaleNodePoolRefused(t *testing.T) {
	t.Parallel()
	autoScaling := poolBodyWith("auto", `"desired_size":3`, `"auto_scaling":{"enable":true,"min_instances":1,"max_instances":4}`)
	for _, tc := range []struct {
		name     string
		pool     string // the pool's create body, poolBody's when ""
		quota    string // set to 4 when not ""
		body     string
		code     string
		field    string
		contains []string
	}{
		{name: "no count", body: `{}`, code: ackscale.CodeMissingParameter, field: "count"},
		{name: "count 0", body: `{"count":0}`, code: ackscale.CodeOutOfRange, field: "count"},
		{name: "count 501", body: `{"count":501}`, code: ackscale.CodeOutOfRange, field: "count"},
		{name: "count a string", body: `{"count":"1"}`, code: ackscale.CodeInvalidType, field: "count"},
		{name: "workers per cluster", quota: ackscale.QuotaWorkersPerCluster, body: `{"count":2}`, code: ackscale.CodeQuotaExceeded,
			field: "count", contains: []string{"the cluster has 3 workers, 2 more asked, limit 4"}},
		{name: "instance quota", quota: ackscale.QuotaECSInstancesPerRegion, body: `{"count":5}`, code: ackscale.CodeQuotaExceeded,
			field: "count", contains: []string{ackscale.QuotaECSInstancesPerRegion}},
		{name: "above max_instances", pool: autoScaling, body: `{"count":2}`, code: ackscale.CodeOutOfRange, field: "count",
			contains: []string{"would have 5 nodes", "between 1 and 4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
			a, err := b.svc.CreateNodePool(b.ctx, b.alice, id, []byte(cmp.Or(tc.pool, poolBody("pool-a", 3))))
			require.NoError(t, err)
			b.npWorkers(id, a.NodePoolID, "p", 3)
			b.finish(a.TaskID, true)
			if tc.quota != "" {
				_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: tc.quota, Value: 4})
				require.NoError(t, err)
			}
			before, jobs := b.npGet(id, a.NodePoolID), len(b.jobs())
			_, err = b.svc.ScaleNodePool(b.ctx, b.alice, id, a.NodePoolID, []byte(tc.body))
			requireError(t, err, tc.code, tc.field, tc.contains...)
			require.Len(t, b.jobs(), jobs, "no task")
			require.Equal(t, before, b.npGet(id, a.NodePoolID))
		})
	}
}

func TestRemoveNodePoolNodesAccepted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		body           string
		nodes, removed []string
		release, drain bool
		desired        int
		failed         []int
	}{
		{name: "by node name and instance id, as asked", body: `{"nodes":["cn-beijing.p-2"],"instance_ids":["i-p-0"]}`,
			nodes: []string{"cn-beijing.p-2", "i-p-0"}, removed: []string{"p-2", "p-0"}, desired: 1},
		{name: "release and drain as asked", body: `{"nodes":["cn-beijing.p-1"],"release_node":true,"drain_node":true}`,
			nodes: []string{"cn-beijing.p-1"}, removed: []string{"p-1"}, release: true, drain: true, desired: 2},
		{name: "a node named twice is removed once", body: `{"nodes":["cn-beijing.p-1"],"instance_ids":["i-p-1"]}`,
			nodes: []string{"cn-beijing.p-1", "i-p-1"}, removed: []string{"p-1"}, desired: 2},
		{name: "failed nodes count in the size", failed: []int{0}, body: `{"instance_ids":["i-p-2"],"release_node":true}`,
			nodes: []string{"i-p-2"}, removed: []string{"p-2"}, release: true, desired: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, spy := spied(t)
			id, np := modifyPool(b, tc.failed...)
			b.addWorkers(id, "w", 1)
			a, err := b.svc.RemoveNodePoolNodes(b.ctx, b.alice, id, np, []byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, PoolAccepted{ClusterID: id, NodePoolID: np, TaskID: a.TaskID}, a)
			require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)

			tk := b.task(a.TaskID)
			require.Equal(t, ackscale.TaskNodePoolRemoveNodes, tk.Type)
			require.Equal(t, []string{np}, tk.Params.NodePoolIDs)
			require.Equal(t, &ackscale.Removal{Nodes: tc.nodes, Workers: tc.removed, ReleaseNode: tc.release, DrainNode: tc.drain},
				tk.Params.Removal)
			require.Nil(t, tk.Params.ScaleOut)
			require.Equal(t, tk.Created.Add(6*time.Minute), tk.Params.Deadline)

			p := b.npGet(id, np)
			require.Equal(t, ackscale.NodePoolRemoving, p.State)
			require.Equal(t, tc.desired, p.Spec.DesiredSize, "the pool's workers it keeps")
			require.EqualValues(t, tc.desired, configSize(t, p))
			st := lastStart(t, spy)
			require.Equal(t, tc.removed, st.Removing)
			require.Nil(t, st.Reserve)
			require.Equal(t, ackscale.NodePoolActive, st.Pools[0].From)
			require.Equal(t, ackscale.NodePoolRemoving, st.Pools[0].To)
			states := b.npStates(id)
			for _, w := range tc.removed {
				require.Equal(t, ackscale.NodeRemoving, states[w])
			}
			require.Equal(t, ackscale.NodeRunning, states["w-0"])
		})
	}
}

func TestRemoveNodePoolNodesRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, code, field string
		contains                []string
	}{
		{name: "a node of another pool", body: `{"nodes":["cn-beijing.q-0"]}`, code: ackscale.CodeNodeNotFound, field: "nodes",
			contains: []string{"cn-beijing.q-0 is not a node of node pool"}},
		{name: "a node of no pool", body: `{"nodes":["cn-beijing.p-0","cn-beijing.w-0"]}`, code: ackscale.CodeNodeNotFound,
			field: "nodes", contains: []string{"cn-beijing.w-0 is not a node"}},
		{name: "a node the cluster lacks", body: `{"instance_ids":["i-nope"]}`, code: ackscale.CodeNodeNotFound, field: "nodes",
			contains: []string{`"i-nope" not found in cluster`}},
		{name: "no node named", body: `{"release_node":true}`, code: ackscale.CodeMissingParameter, field: "nodes,instance_ids"},
		{name: "unknown field", body: `{"nodes":["cn-beijing.p-0"],"nope":1}`, code: ackscale.CodeUnknownField, field: "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id, np := modifyPool(b)
			b.npWorkers(id, b.npCreate(id, poolBody("pool-b", 0)), "q", 1)
			b.addWorkers(id, "w", 1)
			before, jobs := b.npStates(id), len(b.jobs())
			_, err := b.svc.RemoveNodePoolNodes(b.ctx, b.alice, id, np, []byte(tc.body))
			requireError(t, err, tc.code, tc.field, tc.contains...)
			require.Len(t, b.jobs(), jobs)
			require.Equal(t, before, b.npStates(id))
			require.Equal(t, ackscale.NodePoolActive, b.npGet(id, np).State)
		})
	}
}

func TestDeleteNodePool(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		workers int
		force   bool
		removed []string
	}{
		{name: "an empty pool needs no force"},
		{name: "an empty pool with force", force: true},
		{name: "force removes every node", workers: 2, force: true, removed: []string{"p-0", "p-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, spy := spied(t)
			id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
			np := b.npCreate(id, poolBody("pool-a", 0))
			b.npWorkers(id, np, "p", tc.workers)
			a, err := b.svc.DeleteNodePool(b.ctx, b.alice, id, np, tc.force)
			require.NoError(t, err)
			require.Equal(t, PoolAccepted{ClusterID: id, NodePoolID: np, TaskID: a.TaskID}, a)
			require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)
			require.Equal(t, ackscale.NodePoolDeleting, b.npGet(id, np).State)

			tk := b.task(a.TaskID)
			require.Equal(t, ackscale.TaskNodePoolDelete, tk.Type)
			require.Equal(t, []string{np}, tk.Params.NodePoolIDs)
			require.Equal(t, tk.Created.Add(6*time.Minute), tk.Params.Deadline)
			st := lastStart(t, spy)
			require.Equal(t, []ackscale.PoolMove{{ID: np, From: ackscale.NodePoolActive, To: ackscale.NodePoolDeleting}}, st.Pools,
				"the spec stays")
			requireRemoval(t, b, id, tk, st, tc.removed, true) // drained and released

			// Once its task ends, the pool is gone.
			b.finish(a.TaskID, true)
			_, err = b.svc.DescribeNodePool(b.ctx, b.alice, id, np)
			requireError(t, err, ackscale.CodeNodePoolNotFound, "", np)
			pools, err := b.svc.ListNodePools(b.ctx, b.alice, id, "")
			require.NoError(t, err)
			require.Len(t, pools, 1)
			require.True(t, pools[0].Pool.IsDefault)
			_, err = b.svc.DeleteNodePool(b.ctx, b.alice, id, np, true)
			requireError(t, err, ackscale.CodeNodePoolNotFound, "")
		})
	}
}

func TestDeleteNodePoolRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, np := modifyPool(b, 2)
	def := b.npDefault(id)

	one := b.npCreate(id, poolBody("one", 0))
	b.npWorkers(id, one, "f", 1, 0)
	jobs := len(b.jobs())

	_, err := b.svc.DeleteNodePool(b.ctx, b.alice, id, np, false)
	requireError(t, err, ackscale.CodeNodePoolState, "", np, "has 3 nodes", "force=true")
	_, err = b.svc.DeleteNodePool(b.ctx, b.alice, id, one, false)
	requireError(t, err, ackscale.CodeNodePoolState, "", one, "has 1 nodes", "force=true")
	for _, force := range []bool{false, true} {
		_, err = b.svc.DeleteNodePool(b.ctx, b.alice, id, def, force)
		requireError(t, err, ackscale.CodeNodePoolState, "", def, "default pool", ackscale.DefaultNodePoolName, "cannot be deleted")
	}
	require.Len(t, b.jobs(), jobs)
	require.Equal(t, ackscale.NodePoolActive, b.npGet(id, np).State)
	require.Equal(t, ackscale.NodePoolActive, b.npGet(id, def).State)
	require.Equal(t, ackscale.NodePoolActive, b.npGet(id, one).State)
	require.Equal(t, map[string]ackscale.NodeState{"p-0": ackscale.NodeRunning, "p-1": ackscale.NodeRunning,
		"p-2": ackscale.NodeFailed, "f-0": ackscale.NodeFailed}, b.npStates(id))
}

func TestRemoveNodesShrinksEachPool(t *testing.T) {
	t.Parallel()
	b, spy := spied(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	poolA, poolB := b.npCreate(id, poolBody("pool-a", 0)), b.npCreate(id, poolBody("pool-b", 0))
	b.npWorkers(id, poolA, "a", 3)
	b.npWorkers(id, poolB, "b", 1)
	b.addWorkers(id, "w", 1)

	_, err := b.svc.RemoveNodes(b.ctx, b.alice, id,
		[]byte(`{"nodes":["cn-beijing.b-0","cn-beijing.w-0","cn-beijing.a-2","cn-beijing.a-0"]}`))
	require.NoError(t, err)
	st := lastStart(t, spy)
	require.Len(t, st.Pools, 2, "the pools of the workers, once each; no pool for w-0")
	for i, want := range []struct {
		id   string
		size int
	}{{poolB, 0}, {poolA, 1}} {
		require.Equal(t, want.id, st.Pools[i].ID)
		require.Equal(t, ackscale.NodePoolActive, st.Pools[i].From)
		require.Equal(t, ackscale.NodePoolRemoving, st.Pools[i].To)
		require.Equal(t, want.size, st.Pools[i].Spec.DesiredSize)
		p := b.npGet(id, want.id)
		require.Equal(t, ackscale.NodePoolRemoving, p.State)
		require.Equal(t, want.size, p.Spec.DesiredSize)
	}
	require.Equal(t, []string{poolB, poolA}, b.task(st.Task.ID).Params.NodePoolIDs)
}

func TestShrinkPoolsUnknownPool(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	_, err := b.svc.shrinkPools(b.ctx, id, []string{b.npDefault(id), "np-gone"}, map[string]int{"np-gone": 1})
	requireError(t, err, ackscale.CodeNodePoolNotFound, "", "np-gone")
}

func TestPoolsOf(t *testing.T) {
	t.Parallel()
	in := func(pools ...string) []ackscale.Worker {
		var ws []ackscale.Worker
		for _, p := range pools {
			ws = append(ws, ackscale.Worker{NodePoolID: p})
		}
		return ws
	}
	require.Nil(t, poolsOf(nil))
	require.Nil(t, poolsOf(in("", "")), "workers of no pool")
	require.Equal(t, []string{"np-b", "np-a"}, poolsOf(in("np-b", "", "np-a", "np-b", "np-a")), "in order, once each")
}

func TestNodePoolOperationLosesARace(t *testing.T) {
	t.Parallel()
	for name, op := range poolOps {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, spy := spied(t)
			id, np := modifyPool(b)
			var other PoolAccepted
			// Another request scales the pool between the checks and the store.
			spy.TaskStartFunc = func(context.Context, ackscale.TaskStartParams) {
				spy.TaskStartFunc = nil
				var err error
				other, err = b.svc.ScaleNodePool(b.ctx, b.alice, id, np, []byte(`{"count":1}`))
				require.NoError(t, err)
			}
			_, err := op(b, b.alice, id, np, false)
			requireError(t, err, ackscale.CodeNodePoolState, "", np, "is scaling")
			require.Equal(t, []string{other.TaskID}, b.jobs()[len(b.jobs())-1:], "the other request's task only")
			require.Equal(t, ackscale.NodePoolScaling, b.npGet(id, np).State)
			require.Equal(t, 4, b.npGet(id, np).Spec.DesiredSize, "the other request's size")
			for _, s := range b.npStates(id) {
				require.Equal(t, ackscale.NodeRunning, s)
			}
		})
	}
}

func TestModifyNodePoolPlannedWorkerIsNotRemoved(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, np := modifyPool(b)
	require.NoError(t, b.store.WorkerInsert(b.ctx, []ackscale.Worker{{ClusterID: id, AccountID: b.alice.AccountID, NodePoolID: np,
		ClientToken: "planned", State: ackscale.NodeInitial, Created: b.clock.Now().Add(time.Hour)}}))
	jobs := len(b.jobs())
	_, err := b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(`{"scaling_group":{"desired_size":0}}`))
	requireError(t, err, ackscale.CodeClusterState, "", "only 3 workers can be removed, 4 asked")
	require.Len(t, b.jobs(), jobs)
	require.Equal(t, ackscale.NodePoolActive, b.npGet(id, np).State)
}

func TestModifyNodePoolCountsItsWorkersOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id, np := modifyPool(b)
	b.addWorkers(id, "w", 1)
	_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: ackscale.QuotaWorkersPerCluster, Value: 5})
	require.NoError(t, err)
	_, err = b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(`{"scaling_group":{"desired_size":5}}`))
	requireError(t, err, ackscale.CodeQuotaExceeded, "scaling_group.desired_size")
	a, err := b.svc.ModifyNodePool(b.ctx, b.alice, id, np, []byte(`{"scaling_group":{"desired_size":4}}`))
	require.NoError(t, err, "the cluster's other worker and the pool's 4")
	require.Equal(t, 1, b.task(a.TaskID).Params.ScaleOut.Count)
}

// TestPoolScaleOutLeavesThePoolsRuntime: the default version a scale-out
// fills in is the scale-out's, not written into the pool's spec.
func TestPoolScaleOutLeavesThePoolsRuntime(t *testing.T) {
	t.Parallel()
	b := setup(t)
	spec := ackscale.NodePoolSpec{Workers: ackscale.ScaleOut{Runtime: &ackscale.Runtime{Name: "containerd"}}}
	so := b.svc.poolScaleOut(ackscale.Cluster{}, spec, 1)
	require.NotEmpty(t, so.Runtime.Version)
	require.Empty(t, spec.Workers.Runtime.Version, "the pool's runtime is unchanged")
}
