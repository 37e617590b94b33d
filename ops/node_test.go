package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func TestDescribeTaskOfAnotherAccountNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.create(b.alice, fmt.Sprintf(createStandard, "std"))
	_, err := b.svc.DescribeTask(b.ctx, b.bob, a.TaskID)
	requireError(t, err, ackscale.CodeTaskNotFound, "")
	require.True(t, ackscale.IsNotFound(err))
	_, err = b.svc.DescribeTask(b.ctx, b.alice, "T-none")
	requireError(t, err, ackscale.CodeTaskNotFound, "")

	info, err := b.svc.DescribeTask(b.ctx, b.alice, a.TaskID)
	require.NoError(t, err)
	require.Equal(t, a.TaskID, info.Task.ID)
	require.Equal(t, ackscale.TaskCreateCluster, info.Task.Type)
	require.Empty(t, info.Workers)
}

func TestDescribeTaskWorkersInPlanOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.create(b.alice, createWithWorkers)
	// One plan, all at the same time, client tokens against their order; a
	// worker of another task of the cluster is not the task's.
	plan := []ackscale.Worker{
		{ClusterID: a.ClusterID, AccountID: b.alice.AccountID, TaskID: a.TaskID, ClientToken: "z", State: ackscale.NodeInitial, Created: t0},
		{ClusterID: a.ClusterID, AccountID: b.alice.AccountID, TaskID: a.TaskID, ClientToken: "m", State: ackscale.NodeInitial, Created: t0},
		{ClusterID: a.ClusterID, AccountID: b.alice.AccountID, TaskID: a.TaskID, ClientToken: "a", State: ackscale.NodeInitial, Created: t0},
		{ClusterID: a.ClusterID, AccountID: b.alice.AccountID, TaskID: "T-other", ClientToken: "other", State: ackscale.NodeInitial, Created: t0},
	}
	require.NoError(t, b.store.WorkerInsert(b.ctx, plan))

	info, err := b.svc.DescribeTask(b.ctx, b.alice, a.TaskID)
	require.NoError(t, err)
	var tokens []string
	for _, w := range info.Workers {
		tokens = append(tokens, w.ClientToken)
	}
	require.Equal(t, []string{"z", "m", "a"}, tokens)
	require.Equal(t, 2, info.Task.Params.ScaleOut.Count)
}

func TestDescribeTaskWorkerListFails(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) {
		c.Workers = &fakeWorkers{Workers: c.Workers, WorkerListFunc: func(context.Context, ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
			return nil, 0, errStore
		}}
	})
	a := b.create(b.alice, fmt.Sprintf(createStandard, "std"))
	_, err := b.svc.DescribeTask(b.ctx, b.alice, a.TaskID)
	require.ErrorIs(t, err, errStore)
	require.Contains(t, err.Error(), "list workers")
}

// nodesPage is DescribeClusterNodes's paging.
func nodesPage(number, size string) PageParams {
	return PageParams{Number: number, Size: size, NumberName: "pageNumber", SizeName: "pageSize", DefaultSize: 10, MaxSize: 100}
}

func TestListNodesStateFilter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	var ws []ackscale.Worker
	for i, st := range []ackscale.NodeState{ackscale.NodeInitial, ackscale.NodeStarting, ackscale.NodeRunning,
		ackscale.NodeRunning, ackscale.NodeFailed, ackscale.NodeRemoving, ackscale.NodeInitial} {
		ws = append(ws, ackscale.Worker{ClusterID: id, AccountID: b.alice.AccountID, ClientToken: fmt.Sprintf("w%d", i),
			InstanceID: fmt.Sprintf("i-%d", i), State: st, Created: t0.Add(time.Duration(i) * time.Second)})
	}
	require.NoError(t, b.store.WorkerInsert(b.ctx, ws))
	other := b.running(b.alice, fmt.Sprintf(createStandard, "other"))
	b.addWorkers(other, "o", 1)

	for _, tc := range []struct {
		state string
		want  []string
	}{
		{"", []string{"w0", "w1", "w2", "w3", "w4", "w5", "w6"}},
		{"all", []string{"w0", "w1", "w2", "w3", "w4", "w5", "w6"}},
		{"running", []string{"w2", "w3"}},
		{"initial", []string{"w0", "w6"}},
		{"pending", []string{"w0", "w6"}},
		{"starting", []string{"w1"}},
		{"failed", []string{"w4"}},
		{"removing", []string{"w5"}},
		{"stopping", []string{"w5"}},
		{"stopped", nil},
	} {
		list, err := b.svc.ListNodes(b.ctx, b.alice, NodeListParams{ClusterID: id, State: tc.state, Page: nodesPage("", "")})
		require.NoError(t, err, tc.state)
		require.NotNil(t, list.Nodes, tc.state)
		var got []string
		for _, w := range list.Nodes {
			got = append(got, w.ClientToken)
		}
		require.Equal(t, tc.want, got, tc.state)
		require.Equal(t, len(tc.want), list.Total, tc.state)
		require.Equal(t, Page{Number: 1, Size: 10}, list.Page, tc.state)
	}
}

func TestListNodesUnknownStateNotInEnum(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	for _, state := range []string{"bogus", "Running", "ALL", " all"} {
		_, err := b.svc.ListNodes(b.ctx, b.alice, NodeListParams{ClusterID: id, State: state})
		requireError(t, err, ackscale.CodeNotInEnum, "state", fmt.Sprintf("%q", state),
			"all, running, removing, initial, failed, starting, pending, stopping, stopped")
	}
}

func TestListNodesInstanceIDsAndPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	ws := b.addWorkers(id, "w", 5)

	list, err := b.svc.ListNodes(b.ctx, b.alice, NodeListParams{ClusterID: id, InstanceIDs: []string{ws[3].InstanceID, ws[1].InstanceID, "i-none"}})
	require.NoError(t, err)
	require.Len(t, list.Nodes, 2)
	require.Equal(t, ws[1].ClientToken, list.Nodes[0].ClientToken, "oldest first")
	require.Equal(t, ws[3].ClientToken, list.Nodes[1].ClientToken)
	require.Equal(t, 2, list.Total)

	list, err = b.svc.ListNodes(b.ctx, b.alice, NodeListParams{ClusterID: id, State: "running",
		InstanceIDs: []string{ws[0].InstanceID}, Page: nodesPage("", "")})
	require.NoError(t, err)
	require.Len(t, list.Nodes, 1)

	list, err = b.svc.ListNodes(b.ctx, b.alice, NodeListParams{ClusterID: id, Page: nodesPage("2", "2")})
	require.NoError(t, err)
	require.Equal(t, 5, list.Total)
	require.Equal(t, Page{Number: 2, Size: 2}, list.Page)
	require.Equal(t, []string{ws[2].ClientToken, ws[3].ClientToken}, []string{list.Nodes[0].ClientToken, list.Nodes[1].ClientToken})

	list, err = b.svc.ListNodes(b.ctx, b.alice, NodeListParams{ClusterID: id, Page: nodesPage("4", "2")})
	require.NoError(t, err)
	require.Empty(t, list.Nodes)
	require.Equal(t, 5, list.Total)

	_, err = b.svc.ListNodes(b.ctx, b.alice, NodeListParams{ClusterID: id, Page: nodesPage("1", "101")})
	requireError(t, err, ackscale.CodeOutOfRange, "pageSize", "pageSize")
	_, err = b.svc.ListNodes(b.ctx, b.alice, NodeListParams{ClusterID: id, Page: nodesPage("0", "")})
	requireError(t, err, ackscale.CodeOutOfRange, "pageNumber", "pageNumber")

	_, err = b.svc.ListNodes(b.ctx, b.bob, NodeListParams{ClusterID: id})
	requireError(t, err, ackscale.CodeClusterNotFound, "")
}

func TestListNodesWorkerListFails(t *testing.T) {
	t.Parallel()
	fw := &fakeWorkers{}
	b := setup(t, func(c *Config) { fw.Workers = c.Workers; c.Workers = fw })
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	fw.WorkerListFunc = func(context.Context, ackscale.WorkerListParams) ([]ackscale.Worker, int, error) {
		return nil, 0, errStore
	}
	_, err := b.svc.ListNodes(b.ctx, b.alice, NodeListParams{ClusterID: id})
	require.ErrorIs(t, err, errStore)
}

// withKube gives the Service a Kubeconfigs that answers for every cluster.
func withKube(c *Config) {
	c.Kube = fakeKube{KubeconfigFunc: func(id string) ([]byte, error) {
		if strings.HasPrefix(id, "c") {
			return []byte("apiVersion: v1\n# " + id), nil
		}
		return nil, errors.New("no such cluster")
	}}
}

func TestKubeconfigNeedsKubeAndAPIServer(t *testing.T) {
	t.Parallel()
	t.Run("no Kubeconfigs", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
		require.NoError(t, b.store.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: id, Endpoint: "https://127.0.0.1:6443"}))
		_, err := b.svc.Kubeconfig(b.ctx, b.alice, KubeconfigParams{ClusterID: id})
		requireError(t, err, ackscale.CodeClusterState, "", id, "no API server", "--kube")
	})
	t.Run("cluster without API server", func(t *testing.T) {
		t.Parallel()
		b := setup(t, withKube)
		id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
		_, err := b.svc.Kubeconfig(b.ctx, b.alice, KubeconfigParams{ClusterID: id})
		requireError(t, err, ackscale.CodeClusterState, "", id, "no API server yet", "made while ackscale ran with --kube=off")
	})
}

func TestKubeconfigParams(t *testing.T) {
	t.Parallel()
	b := setup(t, withKube)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	require.NoError(t, b.store.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: id, Endpoint: "https://127.0.0.1:6443"}))
	for _, v := range []string{"14", "4321", "x", "0", "-15", "15.5", " 60"} {
		_, err := b.svc.Kubeconfig(b.ctx, b.alice, KubeconfigParams{ClusterID: id, TemporaryDurationMinutes: v})
		requireError(t, err, ackscale.CodeOutOfRange, "TemporaryDurationMinutes", "TemporaryDurationMinutes", "[15, 4320]")
	}
	for _, v := range []string{"yes", "1", "True", "TRUE"} {
		_, err := b.svc.Kubeconfig(b.ctx, b.alice, KubeconfigParams{ClusterID: id, PrivateIPAddress: v})
		requireError(t, err, ackscale.CodeInvalidType, "PrivateIpAddress", "PrivateIpAddress", fmt.Sprintf("%q", v))
	}
	_, err := b.svc.Kubeconfig(b.ctx, b.bob, KubeconfigParams{ClusterID: id})
	requireError(t, err, ackscale.CodeClusterNotFound, "")
}

func TestKubeconfigAccepted(t *testing.T) {
	t.Parallel()
	b := setup(t, withKube)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	require.NoError(t, b.store.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: id, Endpoint: "https://127.0.0.1:6443"}))
	b.clock.Add(time.Hour)
	now := b.clock.Now()
	for _, tc := range []struct {
		minutes, private string
		want             time.Duration
	}{
		{"", "", 3 * 365 * 24 * time.Hour},
		{"15", "true", 15 * time.Minute},
		{"4320", "false", 4320 * time.Minute},
		{"60", "", time.Hour},
	} {
		kc, err := b.svc.Kubeconfig(b.ctx, b.alice, KubeconfigParams{ClusterID: id, TemporaryDurationMinutes: tc.minutes, PrivateIPAddress: tc.private})
		require.NoError(t, err, tc.minutes)
		require.Equal(t, "apiVersion: v1\n# "+id, string(kc.Config))
		require.Equal(t, now.Add(tc.want), kc.Expiration, tc.minutes)
	}
}

func TestKubeconfigFails(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) {
		c.Kube = fakeKube{KubeconfigFunc: func(string) ([]byte, error) { return nil, errStore }}
	})
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	require.NoError(t, b.store.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: id, Endpoint: "https://127.0.0.1:6443"}))
	_, err := b.svc.Kubeconfig(b.ctx, b.alice, KubeconfigParams{ClusterID: id})
	require.ErrorIs(t, err, errStore)
	require.Contains(t, err.Error(), id)
	require.Equal(t, ackscale.CodeInternal, ackscale.ErrorCode(err))
}
