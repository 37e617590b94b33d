package ops

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/memstore"
)

// changeStore records the cluster updates ModifyCluster makes, on top of
// the in-memory store.
type changeStore struct {
	*memstore.Store

	mu      sync.Mutex
	updates []ackscale.ClusterUpdateParams
}

// withChanges makes a setup's Clusters a changeStore, returned through cs.
func withChanges(cs **changeStore) func(*Config) {
	return func(c *Config) {
		*cs = &changeStore{Store: c.Clusters.(*memstore.Store)}
		c.Clusters = *cs
	}
}

func (f *changeStore) ClusterUpdate(ctx context.Context, p ackscale.ClusterUpdateParams) error {
	if err := f.Store.ClusterUpdate(ctx, p); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, p)
	return nil
}

func (f *changeStore) lastUpdate() ackscale.ClusterUpdateParams {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.updates[len(f.updates)-1]
}

func TestClusterResources(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "res"))
	cl := b.cluster(id)

	rs, err := b.svc.ClusterResources(b.ctx, b.alice, id)
	require.NoError(t, err)
	var types []string
	for _, r := range rs {
		types = append(types, r.Type)
	}
	want := []string{ResourceVPC}
	for range cl.Spec.VSwitchIDs {
		want = append(want, ResourceVSwitch)
	}
	want = append(want, ResourceSecurityGroup)
	require.Equal(t, want, types, "no API server: no SLB; no worker: no instance")
	require.Equal(t, cl.Spec.VPCID, rs[0].ID)
	require.False(t, rs[0].AutoCreate, "the VPC is the user's")
	require.Equal(t, cl.Spec.VSwitchIDs[0], rs[1].ID)
	sg := rs[len(rs)-1]
	require.Equal(t, "sg-"+id[1:21], sg.ID)
	require.True(t, sg.AutoCreate)

	require.NoError(t, b.store.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: id, Endpoint: "https://127.0.0.1:6443"}))
	ws := []ackscale.Worker{
		{ClusterID: id, AccountID: cl.AccountID, TaskID: "T-1", ClientToken: "T-1-0", InstanceID: "i-run", NodeName: "cn-beijing.10.0.0.1",
			RegionID: "cn-beijing", VSwitchID: cl.Spec.VSwitchIDs[0], State: ackscale.NodeRunning},
		{ClusterID: id, AccountID: cl.AccountID, TaskID: "T-1", ClientToken: "T-1-1", InstanceID: "i-boot", RegionID: "cn-beijing",
			VSwitchID: cl.Spec.VSwitchIDs[0], State: ackscale.NodeStarting},
		{ClusterID: id, AccountID: cl.AccountID, TaskID: "T-1", ClientToken: "T-1-2", State: ackscale.NodeInitial}, // no instance yet
		{ClusterID: id, AccountID: cl.AccountID, TaskID: "T-2", ClientToken: "T-2-0", InstanceID: "i-ens", RegionID: "cn-hangzhou-telecom",
			EdgeWorker: true, State: ackscale.NodeFailed},
	}
	require.NoError(t, b.store.WorkerInsert(b.ctx, ws))
	rs, err = b.svc.ClusterResources(b.ctx, b.alice, id)
	require.NoError(t, err)
	byID := map[string]ClusterResource{}
	for _, r := range rs {
		byID[r.ID] = r
	}
	lb := byID["lb-"+id[1:21]]
	require.Equal(t, ResourceLoadBalancer, lb.Type, "an API server has its SLB")
	require.Equal(t, &[3]string{"Service", "default", "kubernetes"}, lb.Object)
	run := byID["i-run"]
	require.Equal(t, ResourceInstance, run.Type)
	require.Equal(t, "CREATE_COMPLETE", run.State)
	require.Equal(t, &[3]string{"Node", "", "cn-beijing.10.0.0.1"}, run.Object)
	require.Equal(t, []ResourceRef{{ResourceSecurityGroup, sg.ID}, {ResourceVSwitch, cl.Spec.VSwitchIDs[0]}}, run.Dependencies)
	require.Equal(t, "CREATE_IN_PROGRESS", byID["i-boot"].State)
	require.Nil(t, byID["i-boot"].Object, "no node name yet")
	require.Equal(t, ResourceENSInstance, byID["i-ens"].Type)
	require.Equal(t, "CREATE_FAILED", byID["i-ens"].State)
	require.Len(t, rs, 1+len(cl.Spec.VSwitchIDs)+1+1+3, "the worker without an instance is not listed")

	_, err = b.svc.ClusterResources(b.ctx, b.bob, id)
	requireError(t, err, ackscale.CodeClusterNotFound, "")
}

func TestControlPlaneLogAndClusterLogs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.running(b.alice, fmt.Sprintf(createStandard, "logs"))
	l, err := b.svc.ControlPlaneLog(b.ctx, b.alice, id)
	require.NoError(t, err)
	require.Equal(t, ControlPlaneLog{AccountID: b.alice.AccountID, Components: []string{}}, l)
	logs, err := b.svc.ClusterLogs(b.ctx, b.alice, id)
	require.NoError(t, err)
	require.Empty(t, logs)
	require.NotNil(t, logs)

	_, err = b.svc.ControlPlaneLog(b.ctx, b.bob, id)
	requireError(t, err, ackscale.CodeClusterNotFound, "")
	_, err = b.svc.ClusterLogs(b.ctx, b.bob, id)
	requireError(t, err, ackscale.CodeClusterNotFound, "")
}

func TestClusterCerts(t *testing.T) {
	t.Parallel()
	const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
	for _, tc := range []struct {
		name      string
		kube      Kubeconfigs
		apiServer bool
		want      ClusterCerts
		err       error
	}{
		{name: "kube off", apiServer: true},
		{name: "no API server", kube: fakeKube{CAFunc: func(string) ([]byte, error) { return []byte(pem), nil }}},
		{name: "the CA", kube: fakeKube{CAFunc: func(string) ([]byte, error) { return []byte(pem), nil }}, apiServer: true,
			want: ClusterCerts{CA: pem}},
		{name: "CA unreadable", kube: fakeKube{CAFunc: func(string) ([]byte, error) { return nil, errStore }}, apiServer: true, err: errStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(c *Config) { c.Kube = tc.kube })
			id := b.running(b.alice, fmt.Sprintf(createStandard, "certs"))
			if tc.apiServer {
				require.NoError(t, b.store.ClusterSetAPIServer(b.ctx, ackscale.ClusterSetAPIServerParams{ID: id, Endpoint: "https://127.0.0.1:6443"}))
			}
			got, err := b.svc.ClusterCerts(b.ctx, b.alice, id)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			_, err = b.svc.ClusterCerts(b.ctx, b.bob, id)
			requireError(t, err, ackscale.CodeClusterNotFound, "")
		})
	}
}

func taskPages(size string) PageParams {
	return PageParams{Size: size, NumberName: "page_number", SizeName: "page_size", DefaultSize: 10, MaxSize: 100}
}

func TestClusterTasks(t *testing.T) {
	t.Parallel()
	var cs *changeStore
	b := setup(t, withChanges(&cs))
	a := b.create(b.alice, fmt.Sprintf(createStandard, "tasks"))
	b.finish(a.TaskID, true)
	ids := []string{a.TaskID}
	for range 3 {
		b.clock.Add(time.Second)
		m, err := b.svc.ModifyCluster(b.ctx, b.alice, a.ClusterID, []byte(`{"deletion_protection":true}`))
		require.NoError(t, err)
		ids = append(ids, m.TaskID)
	}
	slices.Reverse(ids) // newest first
	other := b.running(b.alice, fmt.Sprintf(createStandard, "other"))

	p, err := b.svc.ClusterTasks(b.ctx, b.alice, TaskListQuery{ClusterID: a.ClusterID, Page: taskPages("")})
	require.NoError(t, err)
	require.Equal(t, 4, p.Total)
	require.Equal(t, Page{Number: 1, Size: 10}, p.Page)
	var got []string
	for _, tk := range p.Tasks {
		got = append(got, tk.ID)
	}
	require.Equal(t, ids, got, "newest first, only this cluster's")
	require.Equal(t, ackscale.TaskCreateCluster, p.Tasks[3].Type)
	require.Empty(t, p.NextToken, "paged by number: no token")

	pg := taskPages("3")
	pg.Number = "2"
	p, err = b.svc.ClusterTasks(b.ctx, b.alice, TaskListQuery{ClusterID: a.ClusterID, Page: pg})
	require.NoError(t, err)
	require.Len(t, p.Tasks, 1)
	require.Equal(t, ids[3], p.Tasks[0].ID)

	// By token.
	p, err = b.svc.ClusterTasks(b.ctx, b.alice, TaskListQuery{ClusterID: a.ClusterID, Page: taskPages(""), MaxResults: "3"})
	require.NoError(t, err)
	require.Len(t, p.Tasks, 3)
	require.Equal(t, "3", p.NextToken)
	p, err = b.svc.ClusterTasks(b.ctx, b.alice, TaskListQuery{ClusterID: a.ClusterID, Page: taskPages(""), MaxResults: "3", NextToken: p.NextToken})
	require.NoError(t, err)
	require.Len(t, p.Tasks, 1)
	require.Equal(t, ids[3], p.Tasks[0].ID)
	require.Empty(t, p.NextToken, "the last page")

	for _, tc := range []struct {
		name  string
		q     TaskListQuery
		code  string
		field string
	}{
		{"page size 0", TaskListQuery{Page: taskPages("0")}, ackscale.CodeOutOfRange, "page_size"},
		{"max_results 101", TaskListQuery{Page: taskPages(""), MaxResults: "101"}, ackscale.CodeOutOfRange, "max_results"},
		{"max_results and page_size differ", TaskListQuery{Page: taskPages("5"), MaxResults: "3"}, ackscale.CodeConflict, "max_results"},
		{"token not ours", TaskListQuery{Page: taskPages(""), NextToken: "abc"}, ackscale.CodeInvalidParameter, "next_token"},
		{"token and page number", TaskListQuery{Page: PageParams{Number: "2", NumberName: "page_number", DefaultSize: 10, MaxSize: 100},
			NextToken: "3"}, ackscale.CodeConflict, "next_token"},
	} {
		tc.q.ClusterID = a.ClusterID
		_, err := b.svc.ClusterTasks(b.ctx, b.alice, tc.q)
		requireError(t, err, tc.code, tc.field)
	}

	p, err = b.svc.ClusterTasks(b.ctx, b.alice, TaskListQuery{ClusterID: other, Page: taskPages("")})
	require.NoError(t, err)
	require.Equal(t, 1, p.Total)
	_, err = b.svc.ClusterTasks(b.ctx, b.bob, TaskListQuery{ClusterID: a.ClusterID, Page: taskPages("")})
	requireError(t, err, ackscale.CodeClusterNotFound, "")
}

func TestListClustersForRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	std := b.running(b.alice, fmt.Sprintf(createStandard, "bj-1"))
	b.clock.Add(time.Second)
	pro := b.running(b.alice, `{"name":"bj-pro","region_id":"cn-beijing","cluster_type":"ManagedKubernetes","cluster_spec":"ack.pro.small"}`)
	b.clock.Add(time.Second)
	edge := b.running(b.alice, createEdge) // cn-hangzhou
	b.clock.Add(time.Second)
	b.running(b.bob, fmt.Sprintf(createStandard, "bobs"))

	list := func(p RegionClusterListParams) []string {
		t.Helper()
		p.Page = PageParams{Number: p.Page.Number, Size: p.Page.Size, NumberName: "page_number", SizeName: "page_size", DefaultSize: 10, MaxSize: 100}
		l, err := b.svc.ListClustersForRegion(b.ctx, b.alice, p)
		require.NoError(t, err)
		var ids []string
		for _, c := range l.Clusters {
			ids = append(ids, c.ID)
		}
		require.LessOrEqual(t, len(ids), l.Total)
		return ids
	}
	require.Equal(t, []string{pro, std}, list(RegionClusterListParams{RegionID: "cn-beijing"}), "newest first, the caller's, the region's")
	require.Equal(t, []string{edge}, list(RegionClusterListParams{RegionID: "cn-hangzhou"}))
	require.Equal(t, []string{pro}, list(RegionClusterListParams{RegionID: "cn-beijing", ClusterSpec: "ack.pro.small"}))
	require.Equal(t, []string{std}, list(RegionClusterListParams{RegionID: "cn-beijing", ClusterSpec: "ack.standard"}))
	require.Equal(t, []string{pro, std}, list(RegionClusterListParams{RegionID: "cn-beijing", Profile: "Default"}), "Default: created without a profile")
	require.Empty(t, list(RegionClusterListParams{RegionID: "cn-beijing", Profile: "Edge"}))
	require.Equal(t, []string{edge}, list(RegionClusterListParams{RegionID: "cn-hangzhou", Profile: "Edge"}))
	require.Equal(t, []string{std}, list(RegionClusterListParams{RegionID: "cn-beijing", Name: "bj-1"}))
	require.Equal(t, []string{std}, list(RegionClusterListParams{RegionID: "cn-beijing", ClusterID: std}))
	require.Empty(t, list(RegionClusterListParams{RegionID: "cn-beijing", ClusterType: "Kubernetes"}))
	require.Equal(t, []string{std}, list(RegionClusterListParams{RegionID: "cn-beijing", Page: PageParams{Number: "2", Size: "1"}}))
	require.Equal(t, []string{std}, list(RegionClusterListParams{RegionID: "cn-beijing", Profile: "Default", Page: PageParams{Number: "2", Size: "1"}}),
		"a filter of ours pages too")

	l, err := b.svc.ListClustersForRegion(b.ctx, b.alice, RegionClusterListParams{RegionID: "cn-beijing", Profile: "Default",
		Page: PageParams{Size: "1", NumberName: "page_number", SizeName: "page_size", DefaultSize: 10, MaxSize: 100}})
	require.NoError(t, err)
	require.Equal(t, 2, l.Total)

	_, err = b.svc.ListClustersForRegion(b.ctx, b.alice, RegionClusterListParams{RegionID: "mars-1"})
	requireError(t, err, ackscale.CodeRegionNotFound, "region_id")
	_, err = b.svc.ListClustersForRegion(b.ctx, b.alice, RegionClusterListParams{RegionID: "cn-beijing",
		Page: PageParams{Size: "101", SizeName: "page_size", DefaultSize: 10, MaxSize: 100}})
	requireError(t, err, ackscale.CodeOutOfRange, "page_size")
}

func TestModifyCluster(t *testing.T) {
	t.Parallel()
	var cs *changeStore
	b := setup(t, withChanges(&cs))
	id := b.running(b.alice, fmt.Sprintf(createStandard, "before"))
	b.running(b.alice, fmt.Sprintf(createStandard, "taken"))
	bobs := b.running(b.bob, fmt.Sprintf(createStandard, "bobs"))

	b.clock.Add(time.Minute)
	a, err := b.svc.ModifyCluster(b.ctx, b.alice, id, []byte(`{"cluster_name":"after","deletion_protection":true,`+
		`"maintenance_window":{"enable":true,"maintenance_time":"2025-01-02T03:00:00+08:00","weekly_period":"Monday"}}`))
	require.NoError(t, err)
	require.Equal(t, id, a.ClusterID)
	got, err := b.svc.DescribeCluster(b.ctx, b.alice, id)
	require.NoError(t, err)
	require.Equal(t, "after", got.Spec.Name)
	require.True(t, got.Spec.DeletionProtection)
	u := cs.lastUpdate()
	require.Equal(t, &ackscale.MaintenanceWindow{Enable: true, MaintenanceTime: "2025-01-02T03:00:00+08:00", Duration: "3h", WeeklyPeriod: "Monday"},
		u.Spec.MaintenanceWindow)
	require.Equal(t, u.Spec.MaintenanceWindow, got.Spec.MaintenanceWindow, "kept")
	require.Equal(t, b.alice.AccountID, u.AccountID)

	// The task has ended as it was accepted.
	info, err := b.svc.DescribeTask(b.ctx, b.alice, a.TaskID)
	require.NoError(t, err)
	tk := info.Task
	require.Equal(t, ackscale.TaskModifyCluster, tk.Type)
	require.Equal(t, ackscale.TaskSuccess, tk.State)
	require.Equal(t, ackscale.StageDone, tk.CurrentStage)
	require.Equal(t, []ackscale.Stage{ackscale.StageValidate, ackscale.StageDone}, []ackscale.Stage{tk.Stages[0].Name, tk.Stages[1].Name})
	require.Equal(t, b.clock.Now(), tk.Created)
	require.NotContains(t, b.jobs(), a.TaskID, "nothing to run")

	// Deletion protection holds; turning it off lets the cluster go.
	_, err = b.svc.DeleteCluster(b.ctx, b.alice, id)
	requireError(t, err, ackscale.CodeClusterState, "", "deletion_protection")
	_, err = b.svc.ModifyCluster(b.ctx, b.alice, id, []byte(`{"deletion_protection":false}`))
	require.NoError(t, err)
	require.NotNil(t, cs.lastUpdate().Spec.MaintenanceWindow, "a body without a window leaves it")
	require.Equal(t, "after", cs.lastUpdate().Spec.Name, "a body without a name leaves it")

	// Names are unique per account.
	_, err = b.svc.ModifyCluster(b.ctx, b.alice, id, []byte(`{"cluster_name":"taken"}`))
	requireError(t, err, ackscale.CodeClusterNameExists, "cluster_name")
	_, err = b.svc.ModifyCluster(b.ctx, b.alice, id, []byte(`{"cluster_name":"bobs"}`))
	require.NoError(t, err, "another account's name is free")
	_, err = b.svc.ModifyCluster(b.ctx, b.alice, id, []byte(`{"cluster_name":"bobs"}`))
	require.NoError(t, err, "its own name")

	// aliyungo's ModifyClusterName.
	_, err = b.svc.ModifyClusterName(b.ctx, b.alice, id, "via-path")
	require.NoError(t, err)
	require.Equal(t, "via-path", cs.lastUpdate().Spec.Name)
	_, err = b.svc.ModifyClusterName(b.ctx, b.alice, id, "")
	requireError(t, err, ackscale.CodeMissingParameter, "name")
	_, err = b.svc.ModifyClusterName(b.ctx, b.alice, id, "bad name")
	requireError(t, err, ackscale.CodeInvalidFormat, "cluster_name")

	updates := len(cs.updates)
	for _, tc := range []struct {
		name, id, body string
		c              Caller
		code, field    string
		contains       string
	}{
		{"another account's cluster", bobs, `{"cluster_name":"x"}`, b.alice, ackscale.CodeClusterNotFound, "", ""},
		{"refused field", id, `{"vswitch_ids":["vsw-1"]}`, b.alice, ackscale.CodeInvalidParameter, "vswitch_ids",
			"ModifyCluster: vswitch_ids cannot be changed by ackscale"},
		{"bad window", id, `{"maintenance_window":{"enable":true}}`, b.alice, ackscale.CodeMissingParameter,
			"maintenance_window.maintenance_time", ""},
		{"malformed", id, `{`, b.alice, ackscale.CodeMalformedBody, "", ""},
	} {
		_, err := b.svc.ModifyCluster(b.ctx, tc.c, tc.id, []byte(tc.body))
		requireError(t, err, tc.code, tc.field, tc.contains)
	}
	require.Len(t, cs.updates, updates, "a refusal changes nothing")

	// Not while the cluster is being deleted.
	d, err := b.svc.DeleteCluster(b.ctx, b.alice, id)
	require.NoError(t, err)
	_, err = b.svc.ModifyCluster(b.ctx, b.alice, id, []byte(`{"cluster_name":"late"}`))
	requireError(t, err, ackscale.CodeClusterState, "", "deleting")
	require.NotEmpty(t, d.TaskID)
}

func TestUserQuota(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q, err := b.svc.UserQuota(b.ctx, b.alice)
	require.NoError(t, err)
	require.Equal(t, DefaultClusterQuota, q.Clusters)
	require.Equal(t, DefaultNodePoolQuota, q.NodePoolsPerCluster)
	require.Equal(t, DefaultManagedClusterQuota, q.ManagedClusters)
	require.Equal(t, DefaultServerlessClusterQuota, q.ServerlessClusters)
	require.Equal(t, 1000, q.WorkersPerCluster, "the catalog's default")
	require.Equal(t, []Quota{{ackscale.QuotaECSInstancesPerRegion, 10000, "instance"}, {ackscale.QuotaECSVCPUsPerRegion, 200000, "vCPU"},
		{ackscale.QuotaENSInstances, 2000, "instance"}, {ackscale.QuotaWorkersPerCluster, 1000, "node"}}, q.Quotas)

	// An override of the admin API is what the account sees.
	require.NoError(t, b.cloud.SetQuota(b.ctx, ackscale.QuotaOverride{AccountID: b.alice.AccountID, Name: ackscale.QuotaWorkersPerCluster, Value: 7}))
	q, err = b.svc.UserQuota(b.ctx, b.alice)
	require.NoError(t, err)
	require.Equal(t, 7, q.WorkersPerCluster)

	b = setup(t, func(c *Config) {
		c.Cloud = &fakeCloud{Cloud: c.Cloud, QuotasFunc: func(context.Context, string) (map[string]int, error) { return nil, errStore }}
	})
	_, err = b.svc.UserQuota(b.ctx, b.alice)
	require.ErrorIs(t, err, errStore)
}

func TestKubernetesVersionMetadata(t *testing.T) {
	t.Parallel()
	b := setup(t)
	get := func(p VersionMetadataParams) []VersionMetadata {
		t.Helper()
		vs, err := b.svc.KubernetesVersionMetadata(b.ctx, b.alice, p)
		require.NoError(t, err)
		return vs
	}
	versions := func(vs []VersionMetadata) []string {
		var out []string
		for _, v := range vs {
			out = append(out, v.Version)
		}
		return out
	}
	names := func(rts []ackscale.Runtime) []string {
		var out []string
		for _, r := range rts {
			if !slices.Contains(out, r.Name) {
				out = append(out, r.Name)
			}
		}
		return out
	}

	all := get(VersionMetadataParams{})
	require.Equal(t, []string{"1.34.4", "1.33.5", "1.32.9"}, versions(all), "the catalog's, newest first")
	require.True(t, all[0].Default)
	require.False(t, all[1].Default)
	require.True(t, all[0].Creatable)
	require.Empty(t, all[0].UpgradableVersions)
	require.NotNil(t, all[0].UpgradableVersions)
	require.Equal(t, []string{"containerd", "docker", ackscale.RuntimeSandboxed}, names(all[0].Runtimes))
	require.Contains(t, all[0].Runtimes, ackscale.Runtime{Name: "containerd", Version: "1.6.38"})

	require.Equal(t, []string{"1.33.5"}, versions(get(VersionMetadataParams{KubernetesVersion: "1.33"})), "a minor")
	require.Equal(t, []string{"1.33.5"}, versions(get(VersionMetadataParams{KubernetesVersion: "1.33.5"})))
	require.Empty(t, get(VersionMetadataParams{KubernetesVersion: "1.3"}))
	require.Empty(t, get(VersionMetadataParams{KubernetesVersion: "1.20.4"}))
	edge := get(VersionMetadataParams{Region: "cn-hangzhou", ClusterType: "ManagedKubernetes", Profile: "Edge"})
	require.Equal(t, []string{"containerd", "docker"}, names(edge[0].Runtimes), "no sandbox on edge (R17)")
	dedicated := get(VersionMetadataParams{ClusterType: "Kubernetes"})
	require.Equal(t, []string{"containerd", "docker"}, names(dedicated[0].Runtimes), "no sandbox on a dedicated cluster (R17)")
	require.Empty(t, get(VersionMetadataParams{ClusterType: "Kubernetes", Profile: "Edge"}), "edge clusters are managed")
	sandbox := get(VersionMetadataParams{Runtime: ackscale.RuntimeSandboxed})
	require.Equal(t, []string{ackscale.RuntimeSandboxed}, names(sandbox[0].Runtimes))
	require.Empty(t, get(VersionMetadataParams{Runtime: ackscale.RuntimeSandboxed, Profile: "Edge"}))
	require.Len(t, get(VersionMetadataParams{Mode: "supported", QueryUpgradableVersion: "true"}), 3)

	for _, tc := range []struct {
		p     VersionMetadataParams
		code  string
		field string
	}{
		{VersionMetadataParams{Region: "mars-1"}, ackscale.CodeRegionNotFound, "Region"},
		{VersionMetadataParams{ClusterType: "Ask"}, ackscale.CodeNotInEnum, "ClusterType"},
		{VersionMetadataParams{Profile: "Serverless"}, ackscale.CodeNotInEnum, "Profile"},
		{VersionMetadataParams{Runtime: "rkt"}, ackscale.CodeNotInEnum, "runtime"},
		{VersionMetadataParams{Mode: "any"}, ackscale.CodeNotInEnum, "Mode"},
		{VersionMetadataParams{QueryUpgradableVersion: "yes"}, ackscale.CodeNotInEnum, "QueryUpgradableVersion"},
	} {
		_, err := b.svc.KubernetesVersionMetadata(b.ctx, b.alice, tc.p)
		requireError(t, err, tc.code, tc.field)
	}
}
