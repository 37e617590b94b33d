package ops

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/seeds"
)

// scaleOutBody is a standard scale-out without vSwitches.
const scaleOutBody = `{"count":2,"worker_instance_types":["ecs.g6.large"],"key_pair":"secrity-key"}`

// invalidScaleOut fails validation on any cluster.
const invalidScaleOut = `{"count":"two","nope":1}`

func TestScaleOutRefusedUnlessRunningBeforeValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	initial := b.create(b.alice, fmt.Sprintf(createStandard, "initial")).ClusterID
	scaling := b.running(b.alice, fmt.Sprintf(createStandard, "scaling"))
	_, err := b.svc.ScaleOut(b.ctx, b.alice, scaling, []byte(scaleOutBody))
	require.NoError(t, err)
	failed := b.create(b.alice, fmt.Sprintf(createStandard, "failed"))
	b.finish(failed.TaskID, false)

	jobs := len(b.jobs())
	for id, state := range map[string]ackscale.ClusterState{initial: ackscale.ClusterInitial, scaling: ackscale.ClusterScaling,
		failed.ClusterID: ackscale.ClusterFailed} {
		_, err := b.svc.ScaleOut(b.ctx, b.alice, id, []byte(invalidScaleOut))
		requireError(t, err, ackscale.CodeClusterState, "", id, "is "+string(state), "running")
		require.Equal(t, state, b.cluster(id).State)
	}
	require.Len(t, b.jobs(), jobs)

	// On a running cluster the same body is refused by validation.
	running := b.running(b.alice, fmt.Sprintf(createStandard, "running"))
	jobs = len(b.jobs())
	_, err = b.svc.ScaleOut(b.ctx, b.alice, running, []byte(invalidScaleOut))
	requireError(t, err, ackscale.CodeUnknownField, "nope")
	require.Equal(t, ackscale.ClusterRunning, b.cluster(running).State)
	require.Len(t, b.jobs(), jobs)

	_, err = b.svc.ScaleOut(b.ctx, b.bob, running, []byte(scaleOutBody))
	requireError(t, err, ackscale.CodeClusterNotFound, "")
}

func TestScaleOutAccepted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	b.addWorkers(id, "w", 2)
	b.clock.Add(time.Minute)
	now := b.clock.Now()

	a, err := b.svc.ScaleOut(b.ctx, b.alice, id, []byte(scaleOutBody))
	require.NoError(t, err)
	require.Equal(t, id, a.ClusterID)
	require.Equal(t, ackscale.ClusterScaling, b.cluster(id).State)
	tk := b.task(a.TaskID)
	require.Equal(t, ackscale.TaskScaleOut, tk.Type)
	require.Equal(t, b.alice.AccountID, tk.AccountID)
	require.Equal(t, now, tk.Created)
	require.Contains(t, tk.Events[0].Message, b.alice.RequestID)
	require.Equal(t, 2, tk.Params.PriorWorkers, "the workers before the scale-out")
	so := tk.Params.ScaleOut
	require.Equal(t, 2, so.Count)
	require.Equal(t, []string{"ecs.g6.large"}, so.InstanceTypes)
	require.Equal(t, cnBeijingVSwitches, so.VSwitchIDs, "the cluster's vSwitches")
	require.Empty(t, so.ENSRegionID)
	require.Equal(t, now.Add(6*time.Minute), tk.Params.Deadline, "timeout_mins default 60, TimeScale 10")
	require.Nil(t, tk.Params.Removal)
	require.Equal(t, a.TaskID, b.jobs()[len(b.jobs())-1])
}

func TestScaleOutKeepsBodyVSwitches(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	a, err := b.svc.ScaleOut(b.ctx, b.alice, id, []byte(seeds.Body002))
	require.NoError(t, err)
	so := b.task(a.TaskID).Params.ScaleOut
	require.Equal(t, []string{"vsw-2ze4jvvvade1yk899****"}, so.VSwitchIDs)
	require.Equal(t, 3, so.Count)
	require.Equal(t, "PrePaid", so.ChargeType)
}

func TestScaleOutTimeoutSetsDeadline(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	a, err := b.svc.ScaleOut(b.ctx, b.alice, id, []byte(`{"count":1,"worker_instance_types":["ecs.g6.large"],`+
		`"key_pair":"secrity-key","timeout_mins":30}`))
	require.NoError(t, err)
	tk := b.task(a.TaskID)
	require.Equal(t, 30, tk.Params.ScaleOut.TimeoutMins)
	require.Equal(t, tk.Created.Add(3*time.Minute), tk.Params.Deadline)
}

func TestScaleOutEdgeKeepsENSRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, createEdge)
	require.Equal(t, ackscale.ProfileEdge, b.cluster(id).Profile)
	for _, body := range []string{seeds.Body001, seeds.Body003} {
		a, err := b.svc.ScaleOut(b.ctx, b.alice, id, []byte(body))
		require.NoError(t, err)
		so := b.task(a.TaskID).Params.ScaleOut
		require.Equal(t, "cn-beijing-telecom", so.ENSRegionID)
		require.Empty(t, so.VSwitchIDs, "edge workers are placed in the ENS region, not the cluster's vSwitches")
		require.Equal(t, []string{"ens.sn1.tiny"}, so.InstanceTypes)
		require.True(t, so.EdgeWorker)
		require.True(t, so.HasPassword)
		b.finish(a.TaskID, true)
	}
}

func TestScaleOutQuotaExceeded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{AccountID: b.alice.AccountID, Name: ackscale.QuotaECSInstancesPerRegion, Value: 2})
	require.NoError(t, err)
	jobs := len(b.jobs())

	body := `{"count":3,"worker_instance_types":["ecs.g6.large"],"key_pair":"secrity-key"}`
	_, err = b.svc.ScaleOut(b.ctx, b.alice, id, []byte(body))
	e := requireError(t, err, ackscale.CodeQuotaExceeded, "count", ackscale.QuotaECSInstancesPerRegion, "cn-beijing")
	require.Equal(t, ackscale.KindQuota, e.Kind)
	require.Len(t, b.jobs(), jobs, "no task")
	require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)

	// A vCPU quota is checked on the first instance type.
	_, err = b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{AccountID: b.alice.AccountID, Name: ackscale.QuotaECSVCPUsPerRegion, Value: 3})
	require.NoError(t, err)
	_, err = b.svc.ScaleOut(b.ctx, b.alice, id, []byte(`{"count":2,"worker_instance_types":["ecs.g6.large"],"key_pair":"secrity-key"}`))
	requireError(t, err, ackscale.CodeQuotaExceeded, "count", ackscale.QuotaECSVCPUsPerRegion)

	// The quota is alice's: bob is not limited.
	other := b.running(b.bob, fmt.Sprintf(createStandard, "std"))
	_, err = b.svc.ScaleOut(b.ctx, b.bob, other, []byte(body))
	require.NoError(t, err)

	// workers_per_cluster is a validation rule (ruling 9), with the count of
	// the cluster's workers.
	_, err = b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: ackscale.QuotaWorkersPerCluster, Value: 3})
	require.NoError(t, err)
	full := b.running(b.alice, fmt.Sprintf(createStandard, "full"))
	b.addWorkers(full, "f", 2)
	_, err = b.svc.ScaleOut(b.ctx, b.alice, full, []byte(`{"count":2,"worker_instance_types":["ecs.g6.large"],"key_pair":"secrity-key"}`))
	requireError(t, err, ackscale.CodeQuotaExceeded, "count", "3 workers per cluster")
}

func TestScaleOutEdgeQuotaOnENSInstances(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, createEdge)
	_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: ackscale.QuotaENSInstances, Value: 0})
	require.NoError(t, err)
	_, err = b.svc.ScaleOut(b.ctx, b.alice, id, []byte(seeds.Body001))
	requireError(t, err, ackscale.CodeQuotaExceeded, "count", ackscale.QuotaENSInstances)
}

func TestScaleOutTargetReadFails(t *testing.T) {
	t.Parallel()
	t.Run("worker count", func(t *testing.T) {
		t.Parallel()
		fw := &fakeWorkers{}
		b := setup(t, func(c *Config) { fw.Workers = c.Workers; c.Workers = fw })
		id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
		fw.WorkerCountFunc = func(context.Context, string) (int, error) { return 0, errStore }
		_, err := b.svc.ScaleOut(b.ctx, b.alice, id, []byte(scaleOutBody))
		require.ErrorIs(t, err, errStore)
		require.Contains(t, err.Error(), "count workers")
	})
	t.Run("quotas", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *Config) {
			c.Cloud = &fakeCloud{Cloud: c.Cloud, QuotasFunc: func(context.Context, string) (map[string]int, error) { return nil, errStore }}
		})
		id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
		_, err := b.svc.ScaleOut(b.ctx, b.alice, id, []byte(scaleOutBody))
		require.ErrorIs(t, err, errStore)
		require.Contains(t, err.Error(), "read quotas")
	})
}

// legacyScale is the legacy PUT body with seed 000's password.
func legacyScale(n int) []byte {
	return fmt.Appendf(nil, `{"num_of_nodes":%d,"login_password":%q,"timeout_mins":30}`, n, seeds.Password000)
}

func TestScaleRefusedOnNonLegacyCluster(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, body := range []string{fmt.Sprintf(createStandard, "std"), createEdge} {
		id := b.running(b.alice, body)
		_, err := b.svc.Scale(b.ctx, b.alice, id, legacyScale(3))
		requireError(t, err, ackscale.CodeInvalidOperation, "", id, "ManagedKubernetes", "POST /api/v2/clusters/{id}")
		require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)
	}
	// Not running: the profile is decided first, then the state.
	id := b.create(b.alice, fmt.Sprintf(createStandard, "initial")).ClusterID
	_, err := b.svc.Scale(b.ctx, b.alice, id, legacyScale(3))
	requireError(t, err, ackscale.CodeInvalidOperation, "")

	legacy := b.create(b.alice, createDedicated).ClusterID
	require.Equal(t, ackscale.ProfileLegacy, b.cluster(legacy).Profile)
	_, err = b.svc.Scale(b.ctx, b.alice, legacy, []byte(invalidScaleOut))
	requireError(t, err, ackscale.CodeClusterState, "", "is initial")

	_, err = b.svc.Scale(b.ctx, b.bob, legacy, legacyScale(3))
	requireError(t, err, ackscale.CodeClusterNotFound, "")
}

func TestScaleOutByLegacyPut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, createDedicated)
	cl := b.cluster(id)
	b.addWorkers(id, "w", 2)

	a, err := b.svc.Scale(b.ctx, b.alice, id, legacyScale(5))
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterScaling, b.cluster(id).State)
	tk := b.task(a.TaskID)
	require.Equal(t, ackscale.TaskScaleOut, tk.Type)
	require.Equal(t, 2, tk.Params.PriorWorkers)
	so := tk.Params.ScaleOut
	require.Equal(t, 3, so.Count, "num_of_nodes minus the workers")
	require.Equal(t, []string{"ecs.sn1ne.large"}, so.InstanceTypes, "the cluster's")
	require.Equal(t, cl.Spec.VSwitchIDs, so.VSwitchIDs)
	require.Equal(t, "PostPaid", so.ChargeType)
	require.Equal(t, tk.Created.Add(3*time.Minute), tk.Params.Deadline)
}

func TestScaleInByLegacyPut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, createDedicated)
	ws := b.addWorkers(id, "w", 4)

	a, err := b.svc.Scale(b.ctx, b.alice, id, legacyScale(1))
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterRemoving, b.cluster(id).State)
	tk := b.task(a.TaskID)
	require.Equal(t, ackscale.TaskScaleIn, tk.Type)
	require.Nil(t, tk.Params.ScaleOut)
	require.Equal(t, &ackscale.Removal{
		Nodes:   []string{ws[3].NodeName, ws[2].NodeName, ws[1].NodeName},
		Workers: []string{ws[3].ClientToken, ws[2].ClientToken, ws[1].ClientToken},
		// A scale-in releases and drains what it removes.
		ReleaseNode: true, DrainNode: true,
	}, tk.Params.Removal, "the newest workers")
	require.Equal(t, tk.Created.Add(3*time.Minute), tk.Params.Deadline)
	require.Contains(t, b.jobs(), a.TaskID)

	states := map[string]ackscale.NodeState{}
	for _, w := range b.workers(id) {
		states[w.ClientToken] = w.State
	}
	require.Equal(t, map[string]ackscale.NodeState{"w-0": ackscale.NodeRunning, "w-1": ackscale.NodeRemoving,
		"w-2": ackscale.NodeRemoving, "w-3": ackscale.NodeRemoving}, states)

	// The cluster is busy now.
	_, err = b.svc.Scale(b.ctx, b.alice, id, legacyScale(0))
	requireError(t, err, ackscale.CodeClusterState, "", "is removing")
}

func TestScaleLegacyNoChange(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, createDedicated)
	b.addWorkers(id, "w", 2)
	jobs := len(b.jobs())
	_, err := b.svc.Scale(b.ctx, b.alice, id, legacyScale(2))
	requireError(t, err, ackscale.CodeNoChange, "num_of_nodes", "2")
	require.Len(t, b.jobs(), jobs)
	require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)

	_, err = b.svc.Scale(b.ctx, b.alice, id, []byte(`{"num_of_nodes":1,"login_password":"Wrong1234"}`))
	requireError(t, err, ackscale.CodePasswordMismatch, "login_password")
}

func TestScaleInTooManyAsked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, createDedicated)
	b.addWorkers(id, "w", 2)
	// A planned worker has no node name yet: it counts, but cannot be removed.
	require.NoError(t, b.store.WorkerInsert(b.ctx, []ackscale.Worker{{ClusterID: id, AccountID: b.alice.AccountID,
		ClientToken: "planned", State: ackscale.NodeFailed, Created: b.clock.Now().Add(time.Hour)}}))
	jobs := len(b.jobs())

	_, err := b.svc.Scale(b.ctx, b.alice, id, legacyScale(0))
	requireError(t, err, ackscale.CodeClusterState, "", "only 2 workers can be removed, 3 asked")
	require.Len(t, b.jobs(), jobs)
	require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)

	a, err := b.svc.Scale(b.ctx, b.alice, id, legacyScale(1))
	require.NoError(t, err)
	require.Equal(t, []string{"w-1", "w-0"}, b.task(a.TaskID).Params.Removal.Workers, "the planned worker skipped")
}

func TestScaleInWorkerListFails(t *testing.T) {
	t.Parallel()
	fw := &fakeWorkers{}
	b := setup(t, func(c *Config) { fw.Workers = c.Workers; c.Workers = fw })
	id := b.running(b.alice, createDedicated)
	b.addWorkers(id, "w", 2)
	fw.WorkerListFunc = func(context.Context, ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
		return nil, 0, errStore
	}
	_, err := b.svc.Scale(b.ctx, b.alice, id, legacyScale(1))
	require.ErrorIs(t, err, errStore)
	_, err = b.svc.RemoveNodes(b.ctx, b.alice, id, []byte(`{"nodes":["cn-beijing.w-0"]}`))
	require.ErrorIs(t, err, errStore)
}

// pw is a worker for pickScaleIn: its client token, node name and labels.
func pw(token, node string, labels ...string) ackscale.Worker {
	w := ackscale.Worker{ClientToken: token, NodeName: node}
	for i := 0; i+1 < len(labels); i += 2 {
		if w.Labels == nil {
			w.Labels = map[string]string{}
		}
		w.Labels[labels[i]] = labels[i+1]
	}
	return w
}

func TestPickScaleIn(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		workers []ackscale.Worker // oldest first
		n       int
		want    []string // client tokens picked, in order
		err     string
	}{
		{name: "newest first", workers: []ackscale.Worker{pw("a", "n-a"), pw("b", "n-b"), pw("c", "n-c")}, n: 2,
			want: []string{"c", "b"}},
		{name: "all", workers: []ackscale.Worker{pw("a", "n-a"), pw("b", "n-b")}, n: 2, want: []string{"b", "a"}},
		{name: "none", workers: []ackscale.Worker{pw("a", "n-a")}, n: 0, want: nil},
		{name: "last of its label set taken after the others",
			workers: []ackscale.Worker{pw("a", "n-a", "pool", "x"), pw("b", "n-b", "pool", "x"), pw("gpu", "n-gpu", "pool", "gpu")},
			n:       1, want: []string{"b"}},
		{name: "last of its label set taken last",
			workers: []ackscale.Worker{pw("a", "n-a", "pool", "x"), pw("b", "n-b", "pool", "x"), pw("gpu", "n-gpu", "pool", "gpu")},
			n:       3, want: []string{"b", "gpu", "a"}},
		{name: "label sets compared whole, whatever the order of keys",
			workers: []ackscale.Worker{pw("a", "n-a", "k1", "v", "k2", "v"), pw("b", "n-b", "k2", "v", "k1", "v"), pw("c", "n-c", "k1", "v")},
			n:       2, want: []string{"b", "c"}},
		{name: "no labels is a label set too",
			workers: []ackscale.Worker{pw("a", "n-a"), pw("l", "n-l", "pool", "x"), pw("b", "n-b")},
			n:       2, want: []string{"b", "l"}},
		{name: "workers without a node name skipped",
			workers: []ackscale.Worker{pw("a", "n-a"), pw("b", "n-b"), pw("planned", "")}, n: 2, want: []string{"b", "a"}},
		{name: "more than can be removed",
			workers: []ackscale.Worker{pw("a", "n-a"), pw("p1", ""), pw("p2", "")}, n: 2, err: "only 1 workers can be removed, 2 asked"},
		{name: "empty cluster", workers: nil, n: 1, err: "only 0 workers can be removed, 1 asked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := append([]ackscale.Worker(nil), tc.workers...)
			got, err := pickScaleIn(tc.workers, tc.n)
			require.Equal(t, in, tc.workers, "the caller's slice is left as it was")
			if tc.err != "" {
				requireError(t, err, ackscale.CodeClusterState, "", tc.err)
				require.Nil(t, got)
				return
			}
			require.NoError(t, err)
			var tokens []string
			for _, w := range got {
				tokens = append(tokens, w.ClientToken)
			}
			require.Equal(t, tc.want, tokens)
		})
	}
}

func TestRemoveNodesUnknownNodes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	b.addWorkers(id, "w", 2)
	other := b.running(b.alice, fmt.Sprintf(createStandard, "other"))
	b.addWorkers(other, "o", 1)
	jobs := len(b.jobs())

	_, err := b.svc.RemoveNodes(b.ctx, b.alice, id, []byte(`{"nodes":["cn-beijing.w-0","cn-beijing.nope","cn-beijing.o-0"]}`))
	e := requireError(t, err, ackscale.CodeNodeNotFound, "nodes", `"cn-beijing.nope", "cn-beijing.o-0"`, id)
	require.NotContains(t, e.Message, "w-0")
	require.Equal(t, ackscale.KindNotFound, e.Kind)
	require.Equal(t, 404, ackscale.HTTPStatus(err))
	require.Len(t, b.jobs(), jobs)
	require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)
	for _, w := range b.workers(id) {
		require.Equal(t, ackscale.NodeRunning, w.State)
	}
}

func TestRemoveNodesAccepted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	ws := b.addWorkers(id, "w", 3)

	body := fmt.Sprintf(`{"nodes":[%q,%q],"release_node":true}`, ws[2].NodeName, ws[0].NodeName)
	a, err := b.svc.RemoveNodes(b.ctx, b.alice, id, []byte(body))
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterRemoving, b.cluster(id).State)
	tk := b.task(a.TaskID)
	require.Equal(t, ackscale.TaskRemoveNodes, tk.Type)
	rm := tk.Params.Removal
	require.Equal(t, []string{ws[2].NodeName, ws[0].NodeName}, rm.Nodes, "as asked")
	require.ElementsMatch(t, []string{ws[0].ClientToken, ws[2].ClientToken}, rm.Workers)
	require.True(t, rm.ReleaseNode)
	require.False(t, rm.DrainNode)
	require.Equal(t, tk.Created.Add(6*time.Minute), tk.Params.Deadline)
	require.Contains(t, b.jobs(), a.TaskID)

	states := map[string]ackscale.NodeState{}
	for _, w := range b.workers(id) {
		states[w.ClientToken] = w.State
	}
	require.Equal(t, map[string]ackscale.NodeState{"w-0": ackscale.NodeRemoving, "w-1": ackscale.NodeRunning,
		"w-2": ackscale.NodeRemoving}, states)

	// A second removal while the first runs.
	jobs := len(b.jobs())
	_, err = b.svc.RemoveNodes(b.ctx, b.alice, id, fmt.Appendf(nil, `{"nodes":[%q]}`, ws[1].NodeName))
	requireError(t, err, ackscale.CodeClusterState, "", "is removing")
	require.Len(t, b.jobs(), jobs)
	require.Equal(t, ackscale.NodeRunning, b.workers(id)[1].State)
}

func TestRemoveNodesValidatedAfterState(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	_, err := b.svc.RemoveNodes(b.ctx, b.alice, id, []byte(`{"nodes":[]}`))
	requireError(t, err, ackscale.CodeMissingParameter, "nodes")
	_, err = b.svc.RemoveNodes(b.ctx, b.alice, id, []byte(`{"nodes":["Not A Name"]}`))
	requireError(t, err, ackscale.CodeInvalidFormat, "nodes[0]")

	initial := b.create(b.alice, fmt.Sprintf(createStandard, "initial")).ClusterID
	_, err = b.svc.RemoveNodes(b.ctx, b.alice, initial, []byte(`{"nodes":[]}`))
	requireError(t, err, ackscale.CodeClusterState, "", "is initial")

	_, err = b.svc.RemoveNodes(b.ctx, b.bob, id, []byte(`{"nodes":["cn-beijing.w-0"]}`))
	requireError(t, err, ackscale.CodeClusterNotFound, "")
}

func TestScaleOutWorkersPerClusterQuotaZeroRefuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: ackscale.QuotaWorkersPerCluster, Value: 0})
	require.NoError(t, err)
	r, err := b.svc.Quotas(b.ctx, b.alice.AccountID)
	require.NoError(t, err)
	require.Equal(t, 0, r.Effective[ackscale.QuotaWorkersPerCluster], "an override of 0 is in force")

	_, err = b.svc.ScaleOut(b.ctx, b.alice, id, []byte(`{"count":1,"worker_instance_types":["ecs.g6.large"],"key_pair":"secrity-key"}`))
	requireError(t, err, ackscale.CodeQuotaExceeded, "count", "0 workers per cluster")
}
