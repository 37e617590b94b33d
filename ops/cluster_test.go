package ops

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/ackscale/ackscale"
)

func TestCreateClusterAcceptedWithItsCreateTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.create(b.alice, fmt.Sprintf(createStandard, "std"))
	require.Regexp(t, `^c[0-9a-f]{32}$`, a.ClusterID)
	require.Regexp(t, `^T-[0-9a-f]{24}$`, a.TaskID)

	cl := b.cluster(a.ClusterID)
	require.Equal(t, ackscale.ClusterInitial, cl.State)
	require.Equal(t, b.alice.AccountID, cl.AccountID)
	require.Equal(t, ackscale.ProfileStandard, cl.Profile)
	require.Equal(t, t0, cl.Created)
	require.Equal(t, cnBeijingVSwitches, cl.Spec.VSwitchIDs)
	require.Empty(t, cl.PasswordHash)

	tk := b.task(a.TaskID)
	require.Equal(t, ackscale.TaskCreateCluster, tk.Type)
	require.Equal(t, ackscale.TaskRunning, tk.State)
	require.Equal(t, a.ClusterID, tk.ClusterID)
	require.Equal(t, b.alice.AccountID, tk.AccountID)
	require.Equal(t, ackscale.StageValidate, tk.CurrentStage)
	require.Equal(t, []ackscale.TaskStage{{Name: ackscale.StageValidate, State: ackscale.StageSuccess, Start: t0, End: t0}}, tk.Stages)
	require.Len(t, tk.Events, 1)
	ev := tk.Events[0]
	require.Equal(t, ackscale.ReasonAccepted, ev.Reason)
	require.Equal(t, ackscale.EventNormal, ev.Level)
	require.Equal(t, ackscale.StageValidate, ev.Action)
	require.Equal(t, "ackscale", ev.Source)
	require.Equal(t, t0, ev.Timestamp)
	require.Contains(t, ev.Message, b.alice.RequestID)
	require.Nil(t, tk.Params.ScaleOut, "no num_of_nodes: no workers")
	require.Nil(t, tk.Params.Removal)

	require.Equal(t, []string{a.TaskID}, b.jobs())
}

func TestCreateClusterDeadlineIsTimeoutOnTheEmulatedClock(t *testing.T) {
	t.Parallel()
	b := setup(t) // TimeScale 10
	for i, tc := range []struct {
		timeout string
		want    time.Duration
	}{
		{`"timeout_mins":60`, 6 * time.Minute},
		{`"timeout_mins":15`, 90 * time.Second},
		{`"timeout_mins":1440`, 144 * time.Minute},
		{`"timeout_mins":null`, 6 * time.Minute}, // the default, 60
	} {
		body := fmt.Sprintf(`{"name":"n%d","region_id":"cn-beijing","cluster_type":"ManagedKubernetes",%s}`, i, tc.timeout)
		tk := b.task(b.create(b.alice, body).TaskID)
		require.Equal(t, t0.Add(tc.want), tk.Params.Deadline, tc.timeout)
	}

	one := setup(t, func(c *Config) { c.TimeScale = 1 })
	tk := one.task(one.create(one.alice, fmt.Sprintf(createStandard, "real-time")).TaskID)
	require.Equal(t, t0.Add(time.Hour), tk.Params.Deadline)
}

func TestCreateClusterDefaultsRuntimeVersionFromCatalog(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cl := b.cluster(b.create(b.alice, fmt.Sprintf(createStandard, "defaulted")).ClusterID)
	require.Equal(t, "containerd", cl.Spec.Runtime.Name)
	require.Equal(t, b.cloud.DefaultRuntimeVersion("containerd"), cl.Spec.Runtime.Version)
	require.Equal(t, "1.6.38", cl.Spec.Runtime.Version)

	cl = b.cluster(b.create(b.alice, `{"name":"docker","region_id":"cn-beijing","cluster_type":"ManagedKubernetes",`+
		`"runtime":{"name":"docker"}}`).ClusterID)
	require.Equal(t, ackscale.Runtime{Name: "docker", Version: "19.03.15"}, cl.Spec.Runtime)

	cl = b.cluster(b.create(b.alice, `{"name":"pinned","region_id":"cn-beijing","cluster_type":"ManagedKubernetes",`+
		`"runtime":{"name":"docker","version":"19.03.5"}}`).ClusterID)
	require.Equal(t, ackscale.Runtime{Name: "docker", Version: "19.03.5"}, cl.Spec.Runtime, "an asked version is kept")
}

func TestCreateClusterHashesLoginPasswordAndNeverKeepsIt(t *testing.T) {
	t.Parallel()
	spy := &fakeClusters{}
	b := setup(t, func(c *Config) { spy.Clusters = c.Clusters; c.Clusters = spy })
	a := b.create(b.alice, createWithWorkers)

	// What ops handed the store, before any store could drop a field.
	require.Len(t, spy.created, 1)
	given := spy.created[0]
	require.Empty(t, given.Cluster.Spec.LoginPassword)
	require.NotContains(t, fmt.Sprintf("%#v", given), testPassword)
	require.NoError(t, bcrypt.CompareHashAndPassword([]byte(given.Cluster.PasswordHash), []byte(testPassword)))
	cost, err := bcrypt.Cost([]byte(given.Cluster.PasswordHash))
	require.NoError(t, err)
	require.Equal(t, 4, cost, "Config.BcryptCost")

	cl := b.cluster(a.ClusterID)
	require.Empty(t, cl.Spec.LoginPassword)
	require.NoError(t, bcrypt.CompareHashAndPassword([]byte(cl.PasswordHash), []byte(testPassword)))
	require.Error(t, bcrypt.CompareHashAndPassword([]byte(cl.PasswordHash), []byte("Other#Pw42")))
	tk := b.task(a.TaskID)
	require.True(t, tk.Params.ScaleOut.HasPassword)
	require.NotContains(t, fmt.Sprintf("%#v", tk), testPassword)
	require.NotContains(t, b.logs.String(), testPassword)
	require.Contains(t, b.logs.String(), "cluster created")
}

func TestCreateClusterNumOfNodesPlansInitialWorkers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.create(b.alice, createWithWorkers)
	cl := b.cluster(a.ClusterID)
	so := b.task(a.TaskID).Params.ScaleOut
	require.NotNil(t, so)
	require.Equal(t, ackscale.ScaleOut{
		Count: 2, InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: cl.Spec.VSwitchIDs,
		SystemDiskCategory: cl.Spec.WorkerSystemDiskCategory, SystemDiskSizeGiB: cl.Spec.WorkerSystemDiskSizeGiB,
		HasPassword: true, TimeoutMins: 60, DisableRollback: true, ChargeType: "PostPaid",
	}, *so)
	require.Equal(t, []string{"vsw-2ze4jvvvade1yk899****"}, so.VSwitchIDs)

	// A key pair instead of a password is carried as it is.
	a = b.create(b.alice, `{"name":"kp","region_id":"cn-beijing","cluster_type":"ManagedKubernetes","key_pair":"secrity-key",`+
		`"worker_instance_types":["ecs.g6.large","ecs.c5.large"],"num_of_nodes":3,"worker_system_disk_size":80}`)
	so = b.task(a.TaskID).Params.ScaleOut
	require.Equal(t, 3, so.Count)
	require.Equal(t, "secrity-key", so.KeyPair)
	require.False(t, so.HasPassword)
	require.Equal(t, []string{"ecs.g6.large", "ecs.c5.large"}, so.InstanceTypes)
	require.Equal(t, cnBeijingVSwitches, so.VSwitchIDs)
	require.Equal(t, 80, so.SystemDiskSizeGiB)
	require.True(t, so.DisableRollback)
	require.Equal(t, "PostPaid", so.ChargeType)
}

func TestCreateClusterNameTaken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.create(b.alice, fmt.Sprintf(createStandard, "dup"))
	_, err := b.svc.CreateCluster(b.ctx, b.alice, []byte(fmt.Sprintf(createStandard, "dup")))
	requireError(t, err, ackscale.CodeClusterNameExists, "name", `"dup"`)
	require.Equal(t, ackscale.KindConflict, ackscale.KindOf(err))
	require.Equal(t, []string{first.TaskID}, b.jobs(), "no second job")
	_, total, err := b.store.ClusterList(b.ctx, ackscale.ClusterListParams{})
	require.NoError(t, err)
	require.Equal(t, 1, total)

	// The name is the account's: another account may take it.
	other := b.create(b.bob, fmt.Sprintf(createStandard, "dup"))
	require.Equal(t, []string{first.TaskID, other.TaskID}, b.jobs())
}

func TestCreateClusterValidationErrorPassesThroughAndWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		body, code, field string
	}{
		{`{"name":"-a","region_id":"cn-beijing","cluster_type":"ManagedKubernetes"}`, ackscale.CodeInvalidFormat, "name"},
		{`{"name":"a","region_id":"cn-nowhere","cluster_type":"ManagedKubernetes"}`, ackscale.CodeRegionNotFound, "region_id"},
		{`{"name":"a","region_id":"cn-beijing"}`, ackscale.CodeMissingParameter, "cluster_type"},
		{`{"name":"a","region_id":"cn-beijing","cluster_type":"ManagedKubernetes","foo":1}`, ackscale.CodeUnknownField, "foo"},
		{`{"name":"a","region_id":"cn-beijing","cluster_type":"ManagedKubernetes","timeout_mins":1441}`, ackscale.CodeOutOfRange, "timeout_mins"},
		{`not json`, ackscale.CodeMalformedBody, ""},
	} {
		_, err := b.svc.CreateCluster(b.ctx, b.alice, []byte(tc.body))
		require.Error(t, err, tc.body)
		e := requireError(t, err, tc.code, tc.field)
		require.Equal(t, ackscale.KindInvalid, e.Kind, tc.body)
	}
	require.Empty(t, b.jobs())
	_, total, err := b.store.ClusterList(b.ctx, ackscale.ClusterListParams{})
	require.NoError(t, err)
	require.Zero(t, total)
}

func TestDescribeClusterOfAnotherAccountNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(b.alice, fmt.Sprintf(createStandard, "mine")).ClusterID
	_, err := b.svc.DescribeCluster(b.ctx, b.bob, id)
	requireError(t, err, ackscale.CodeClusterNotFound, "")
	require.True(t, ackscale.IsNotFound(err))

	_, err = b.svc.DescribeCluster(b.ctx, b.alice, "c-none")
	requireError(t, err, ackscale.CodeClusterNotFound, "")

	info, err := b.svc.DescribeCluster(b.ctx, b.alice, id)
	require.NoError(t, err)
	require.Equal(t, id, info.ID)
}

func TestDescribeClusterSizeCountsWorkers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(b.alice, fmt.Sprintf(createStandard, "sized")).ClusterID
	info, err := b.svc.DescribeCluster(b.ctx, b.alice, id)
	require.NoError(t, err)
	require.Zero(t, info.Size)

	b.addWorkers(id, "w", 2)
	require.NoError(t, b.store.WorkerInsert(b.ctx, []ackscale.Worker{{ClusterID: id, AccountID: b.alice.AccountID,
		ClientToken: "planned", State: ackscale.NodeInitial}})) // workers in any state count
	other := b.create(b.alice, fmt.Sprintf(createStandard, "other")).ClusterID
	b.addWorkers(other, "x", 2)

	info, err = b.svc.DescribeCluster(b.ctx, b.alice, id)
	require.NoError(t, err)
	require.Equal(t, 3, info.Size)
	require.Equal(t, ackscale.ClusterInitial, info.State)

	list, err := b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{})
	require.NoError(t, err)
	sizes := map[string]int{}
	for _, c := range list.Clusters {
		sizes[c.ID] = c.Size
	}
	require.Equal(t, map[string]int{id: 3, other: 2}, sizes)
}

func TestDescribeClusterCountFails(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) {
		c.Workers = &fakeWorkers{Workers: c.Workers, WorkerCountFunc: func(context.Context, string) (int, error) { return 0, errStore }}
	})
	id := b.create(b.alice, fmt.Sprintf(createStandard, "a")).ClusterID
	_, err := b.svc.DescribeCluster(b.ctx, b.alice, id)
	require.ErrorIs(t, err, errStore)
	require.Equal(t, ackscale.CodeInternal, ackscale.ErrorCode(err))
	_, err = b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{})
	require.ErrorIs(t, err, errStore)
}

// listPage is DescribeClustersV1's paging.
func listPage(number, size string) PageParams {
	return PageParams{Number: number, Size: size, NumberName: "page_number", SizeName: "page_size", DefaultSize: 10, MaxSize: 100}
}

func TestListClustersOnlyTheCallersNewestFirst(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []string
	for i := range 3 {
		b.clock.Add(time.Minute)
		ids = append(ids, b.create(b.alice, fmt.Sprintf(createStandard, fmt.Sprint("a", i))).ClusterID)
	}
	b.create(b.bob, fmt.Sprintf(createStandard, "b0"))

	list, err := b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{Page: listPage("", "")})
	require.NoError(t, err)
	require.Equal(t, 3, list.Total)
	require.Equal(t, Page{Number: 1, Size: 10}, list.Page)
	var got []string
	for _, c := range list.Clusters {
		got = append(got, c.ID)
		require.Equal(t, b.alice.AccountID, c.AccountID)
	}
	require.Equal(t, []string{ids[2], ids[1], ids[0]}, got)

	list, err = b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{Name: "a1"})
	require.NoError(t, err)
	require.Len(t, list.Clusters, 1)
	require.Equal(t, ids[1], list.Clusters[0].ID)

	list, err = b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{ClusterID: ids[0], RegionID: "cn-beijing",
		ClusterType: "ManagedKubernetes"})
	require.NoError(t, err)
	require.Len(t, list.Clusters, 1)

	list, err = b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{RegionID: "cn-hangzhou"})
	require.NoError(t, err)
	require.Empty(t, list.Clusters)
	require.Zero(t, list.Total)
}

func TestListClustersPaging(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []string
	for i := range 3 {
		b.clock.Add(time.Minute)
		ids = append(ids, b.create(b.alice, fmt.Sprintf(createStandard, fmt.Sprint("p", i))).ClusterID)
	}

	t.Run("bad page_number", func(t *testing.T) {
		t.Parallel()
		for _, n := range []string{"0", "-1", "abc", "1.5", "1000001", "99999999999999999999"} {
			_, err := b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{Page: listPage(n, "2")})
			requireError(t, err, ackscale.CodeOutOfRange, "page_number", "page_number", fmt.Sprintf("%q", n), "1000000")
		}
	})
	t.Run("bad page_size", func(t *testing.T) {
		t.Parallel()
		for _, n := range []string{"0", "101", "x"} {
			_, err := b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{Page: listPage("1", n)})
			requireError(t, err, ackscale.CodeOutOfRange, "page_size", "page_size", "[1, 100]")
		}
	})
	t.Run("pages", func(t *testing.T) {
		t.Parallel()
		page := func(number, size string) []string {
			list, err := b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{Page: listPage(number, size)})
			require.NoError(t, err)
			require.Equal(t, 3, list.Total, "the count before paging")
			require.NotNil(t, list.Clusters)
			var got []string
			for _, c := range list.Clusters {
				got = append(got, c.ID)
			}
			return got
		}
		require.Equal(t, []string{ids[2], ids[1]}, page("1", "2"))
		require.Equal(t, []string{ids[0]}, page("2", "2"))
		require.Empty(t, page("3", "2"), "a page past the end is empty")
		require.Empty(t, page("1000000", "100"), "the last page number")
		require.Equal(t, []string{ids[2], ids[1], ids[0]}, page(" 1 ", "100"))
	})
	t.Run("zero PageParams returns everything", func(t *testing.T) {
		t.Parallel()
		list, err := b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{Page: PageParams{Number: "7", Size: "1"}})
		require.NoError(t, err)
		require.Len(t, list.Clusters, 3)
		require.Equal(t, Page{Number: 1}, list.Page)
	})
}

func TestListClustersStoreFails(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) {
		c.Clusters = &fakeClusters{Clusters: c.Clusters, ClusterListFunc: func(context.Context, ackscale.ClusterListParams) ([]ackscale.Cluster, int, error) {
			return nil, 0, errStore
		}}
	})
	_, err := b.svc.ListClusters(b.ctx, b.alice, ClusterListParams{})
	require.ErrorIs(t, err, errStore)
}

func TestPageParamsParse(t *testing.T) {
	t.Parallel()
	p := PageParams{NumberName: "pageNumber", SizeName: "pageSize", DefaultSize: 10, MaxSize: 100}
	for _, tc := range []struct {
		name         string
		params       PageParams
		want         Page
		offset       int
		errField     string
		errPageValue string
	}{
		{name: "unpaged", params: PageParams{}, want: Page{Number: 1}},
		{name: "unpaged ignores values", params: PageParams{Number: "x", Size: "-1"}, want: Page{Number: 1}},
		{name: "defaults", params: p, want: Page{Number: 1, Size: 10}},
		{name: "both", params: with(p, "3", "20"), want: Page{Number: 3, Size: 20}, offset: 40},
		{name: "spaces", params: with(p, " 2", "5 "), want: Page{Number: 2, Size: 5}, offset: 5},
		{name: "max", params: with(p, "1000000", "100"), want: Page{Number: 1_000_000, Size: 100}, offset: 99_999_900},
		{name: "number 0", params: with(p, "0", ""), errField: "pageNumber"},
		{name: "number -1", params: with(p, "-1", ""), errField: "pageNumber"},
		{name: "number abc", params: with(p, "abc", ""), errField: "pageNumber"},
		{name: "number above max", params: with(p, "1000001", ""), errField: "pageNumber"},
		{name: "size 0", params: with(p, "", "0"), errField: "pageSize"},
		{name: "size above max", params: with(p, "", "101"), errField: "pageSize"},
		{name: "size hex", params: with(p, "", "0x10"), errField: "pageSize"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.params.parse()
			if tc.errField != "" {
				requireError(t, err, ackscale.CodeOutOfRange, tc.errField, tc.errField)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.offset, got.Offset())
			require.Equal(t, tc.want.Size, got.Limit())
		})
	}
}

func with(p PageParams, number, size string) PageParams {
	p.Number, p.Size = number, size
	return p
}

func TestDeleteClusterRefusedWithDeletionProtection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, `{"name":"protected","region_id":"cn-beijing","cluster_type":"ManagedKubernetes","deletion_protection":true}`)
	_, err := b.svc.DeleteCluster(b.ctx, b.alice, id)
	requireError(t, err, ackscale.CodeClusterState, "", "deletion_protection")
	require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)
	require.Len(t, b.jobs(), 1, "the create task's only")
}

func TestDeleteClusterRefusedWhileBusy(t *testing.T) {
	t.Parallel()
	b := setup(t)
	initial := b.create(b.alice, fmt.Sprintf(createStandard, "initial")).ClusterID

	scaling := b.running(b.alice, fmt.Sprintf(createStandard, "scaling"))
	_, err := b.svc.ScaleOut(b.ctx, b.alice, scaling, []byte(`{"count":1,"worker_instance_types":["ecs.g6.large"],"key_pair":"secrity-key"}`))
	require.NoError(t, err)

	removing := b.running(b.alice, fmt.Sprintf(createStandard, "removing"))
	b.addWorkers(removing, "r", 1)
	_, err = b.svc.RemoveNodes(b.ctx, b.alice, removing, []byte(`{"nodes":["cn-beijing.r-0"]}`))
	require.NoError(t, err)

	deleting := b.running(b.alice, fmt.Sprintf(createStandard, "deleting"))
	_, err = b.svc.DeleteCluster(b.ctx, b.alice, deleting)
	require.NoError(t, err)

	jobs := len(b.jobs())
	for id, state := range map[string]ackscale.ClusterState{initial: ackscale.ClusterInitial, scaling: ackscale.ClusterScaling,
		removing: ackscale.ClusterRemoving, deleting: ackscale.ClusterDeleting} {
		require.Equal(t, state, b.cluster(id).State)
		_, err := b.svc.DeleteCluster(b.ctx, b.alice, id)
		requireError(t, err, ackscale.CodeClusterState, "", id, "is "+string(state), "delete_failed, failed or running")
		require.Equal(t, state, b.cluster(id).State)
	}
	require.Len(t, b.jobs(), jobs, "nothing queued")
}

func TestDeleteClusterAccepted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	running := b.running(b.alice, fmt.Sprintf(createStandard, "running"))

	failedTask := b.create(b.alice, fmt.Sprintf(createStandard, "failed"))
	b.finish(failedTask.TaskID, false)
	failed := failedTask.ClusterID

	deleteFailed := b.running(b.alice, fmt.Sprintf(createStandard, "delete-failed"))
	first, err := b.svc.DeleteCluster(b.ctx, b.alice, deleteFailed)
	require.NoError(t, err)
	b.finish(first.TaskID, false)

	for id, from := range map[string]ackscale.ClusterState{running: ackscale.ClusterRunning, failed: ackscale.ClusterFailed,
		deleteFailed: ackscale.ClusterDeleteFailed} {
		require.Equal(t, from, b.cluster(id).State)
		b.clock.Add(time.Second)
		a, err := b.svc.DeleteCluster(b.ctx, b.alice, id)
		require.NoError(t, err, from)
		require.Equal(t, id, a.ClusterID)
		require.Equal(t, ackscale.ClusterDeleting, b.cluster(id).State, from)
		tk := b.task(a.TaskID)
		require.Equal(t, ackscale.TaskDeleteCluster, tk.Type)
		require.Equal(t, ackscale.TaskRunning, tk.State)
		require.Equal(t, b.alice.AccountID, tk.AccountID)
		require.Equal(t, ackscale.ReasonAccepted, tk.Events[0].Reason)
		require.Equal(t, tk.Created.Add(6*time.Minute), tk.Params.Deadline, "the default timeout on the emulated clock")
		require.Nil(t, tk.Params.ScaleOut)
		require.Nil(t, tk.Params.Removal)
		require.Contains(t, b.jobs(), a.TaskID)
	}
}

func TestDeleteClusterOfAnotherAccountNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "mine"))
	_, err := b.svc.DeleteCluster(b.ctx, b.bob, id)
	requireError(t, err, ackscale.CodeClusterNotFound, "")
	require.Equal(t, ackscale.ClusterRunning, b.cluster(id).State)
}

func TestCreateClusterInitialWorkersCheckQuota(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{AccountID: b.alice.AccountID, Name: ackscale.QuotaECSInstancesPerRegion, Value: 1})
	require.NoError(t, err)
	_, err = b.svc.CreateCluster(b.ctx, b.alice, []byte(createWithWorkers)) // num_of_nodes 2
	require.Equal(t, ackscale.CodeQuotaExceeded, ackscale.ErrorCode(err), "%v", err)
	require.Contains(t, ackscale.ErrorMessage(err), ackscale.QuotaECSInstancesPerRegion)
	require.Empty(t, b.jobs())

	_, err = b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: ackscale.QuotaWorkersPerCluster, Value: 1})
	require.NoError(t, err)
	_, err = b.svc.CreateCluster(b.ctx, b.bob, []byte(createWithWorkers))
	require.Equal(t, ackscale.CodeQuotaExceeded, ackscale.ErrorCode(err), "%v", err)
	require.Empty(t, b.jobs())
}

func TestCreateClusterHashFails(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.BcryptCost = bcrypt.MaxCost + 1 })
	_, err := b.svc.CreateCluster(b.ctx, b.alice, []byte(createWithWorkers))
	require.ErrorContains(t, err, "hash password")
	require.Equal(t, ackscale.CodeInternal, ackscale.ErrorCode(err))
	require.Empty(t, b.jobs())
}

func TestDeleteClusterLosesRaceToAnotherTask(t *testing.T) {
	t.Parallel()
	spy := &fakeClusters{}
	b := setup(t, func(c *Config) { spy.Clusters = c.Clusters; c.Clusters = spy })
	id := b.running(b.alice, fmt.Sprintf(createStandard, "std"))
	winner := ackscale.NewTaskID()
	spy.TaskStartFunc = func(ctx context.Context, p ackscale.TaskStartParams) {
		// A scale-out accepted between DeleteCluster's read and its TaskStart.
		so := p.Task
		so.ID, so.Type = winner, ackscale.TaskScaleOut
		require.NoError(t, b.store.TaskStart(ctx, ackscale.TaskStartParams{Task: so, From: ackscale.ClusterRunning, To: ackscale.ClusterScaling}))
	}
	_, err := b.svc.DeleteCluster(b.ctx, b.alice, id)
	requireError(t, err, ackscale.CodeClusterState, "", "scaling")
	require.Equal(t, ackscale.ClusterScaling, b.cluster(id).State)
	require.Equal(t, winner, b.jobs()[1])
	require.Len(t, b.jobs(), 2, "the create task's and the winner's")
	require.Len(t, spy.started, 1)
	require.Equal(t, ackscale.TaskStartParams{Task: spy.started[0].Task, From: ackscale.ClusterRunning, To: ackscale.ClusterDeleting},
		spy.started[0], "DeleteCluster asks the store for running → deleting")
}
