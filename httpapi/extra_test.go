package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	aliyungo "github.com/denverdino/aliyungo/cs"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/httpapi"
	"github.com/ackscale/ackscale/internal/memstore"
	"github.com/ackscale/ackscale/ops"
)

// The shapes below mirror the npm SDK models (@alicloud/cs20151215 7.2.0,
// names() and types()) of the operations the Go SDK leaves untyped; strict
// decodes check that an answer has only the model's fields, of its types.

type npmResource struct {
	ClusterID    string `json:"cluster_id"`
	Created      string `json:"created"`
	InstanceID   string `json:"instance_id"`
	ResourceInfo string `json:"resource_info"`
	ResourceType string `json:"resource_type"`
	State        string `json:"state"`
	AutoCreate   int64  `json:"auto_create"`
	Dependencies []struct {
		ClusterID    string `json:"cluster_id"`
		ResourceType string `json:"resource_type"`
		InstanceID   string `json:"instance_id"`
	} `json:"dependencies"`
	AssociatedObject *struct {
		Kind      string `json:"kind"`
		Namespace string `json:"namespace"`
		Name      string `json:"name"`
	} `json:"associated_object"`
	DeleteBehavior *struct {
		DeleteByDefault bool `json:"delete_by_default"`
		Changeable      bool `json:"changeable"`
	} `json:"delete_behavior"`
	CreatorType string         `json:"creator_type"`
	ExtraInfo   map[string]any `json:"extra_info"`
}

type npmControlPlaneLog struct {
	AliUID     string   `json:"aliuid"`
	Components []string `json:"components"`
	LogProject string   `json:"log_project"`
	LogTTL     string   `json:"log_ttl"`
}

type npmClusterLog struct {
	ID         int64  `json:"ID"`
	ClusterID  string `json:"cluster_id"`
	ClusterLog string `json:"cluster_log"`
	Created    string `json:"created"`
	Updated    string `json:"updated"`
}

type npmClusterTasks struct {
	NextToken string `json:"next_token"`
	PageInfo  struct {
		PageNumber int64 `json:"page_number"`
		PageSize   int64 `json:"page_size"`
		TotalCount int64 `json:"total_count"`
	} `json:"page_info"`
	RequestID string `json:"requestId"`
	Tasks     []struct {
		Created string `json:"created"`
		Error   *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
		State    string `json:"state"`
		TaskID   string `json:"task_id"`
		TaskType string `json:"task_type"`
		Updated  string `json:"updated"`
	} `json:"tasks"`
}

type npmVersion struct {
	Capabilities map[string]any `json:"capabilities"`
	Images       []struct {
		ImageID       string `json:"image_id"`
		ImageName     string `json:"image_name"`
		Platform      string `json:"platform"`
		OSVersion     string `json:"os_version"`
		ImageType     string `json:"image_type"`
		OSType        string `json:"os_type"`
		ImageCategory string `json:"image_category"`
		Architecture  string `json:"architecture"`
	} `json:"images"`
	MetaData map[string]any `json:"meta_data"`
	Runtimes []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"runtimes"`
	Version            string   `json:"version"`
	ReleaseDate        string   `json:"release_date"`
	ExpirationDate     string   `json:"expiration_date"`
	Creatable          bool     `json:"creatable"`
	UpgradableVersions []string `json:"upgradable_versions"`
}

// npmRegionClusterFields are the fields of
// DescribeClustersForRegionResponseBodyClusters.
var npmRegionClusterFields = []string{"cluster_domain", "cluster_id", "cluster_spec", "cluster_type", "container_cidr", "created",
	"current_version", "deletion_protection", "init_version", "ip_stack", "name", "next_version", "profile", "proxy_mode", "region_id",
	"resource_group_id", "security_group_id", "service_cidr", "size", "state", "tags", "timezone", "updated", "vpc_id", "vswitch_ids"}

func decodeStrict(t *testing.T, raw []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(v), string(raw))
}

// withWorkers creates a cluster of k's and scales it out by n workers.
func (b *testBundle) withWorkers(k key, name string, n int) string {
	b.t.Helper()
	id := b.createCluster(k, standardCluster(name))
	r := b.call(k, "POST", "/api/v2/clusters/"+id, map[string]any{"count": n, "worker_instance_types": []string{"ecs.c5.xlarge"},
		"key_pair": "secrity-key", "worker_system_disk_category": "cloud_efficiency", "worker_system_disk_size": 120})
	require.Equal(b.t, 202, r.status, string(r.raw))
	require.Equal(b.t, "success", b.waitTask(k, r.body["task_id"].(string))["state"])
	return id
}

// nodeNames lists a cluster's node names and instance ids.
func (b *testBundle) nodeNames(k key, id string) (names, instances []string) {
	b.t.Helper()
	r := b.call(k, "GET", "/clusters/"+id+"/nodes?pageSize=100", nil)
	require.Equal(b.t, 200, r.status, string(r.raw))
	for _, n := range r.body["nodes"].([]any) {
		names = append(names, n.(map[string]any)["node_name"].(string))
		instances = append(instances, n.(map[string]any)["instance_id"].(string))
	}
	return names, instances
}

func TestDescribeClusterResources(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.withWorkers(b.alice, "res", 2)
	_, instances := b.nodeNames(b.alice, id)
	detail := b.call(b.alice, "GET", "/clusters/"+id, nil)

	r := b.call(b.alice, "GET", "/clusters/"+id+"/resources", nil)
	require.Equal(t, 200, r.status, string(r.raw))
	var rs []npmResource
	decodeStrict(t, r.raw, &rs)
	byType := map[string][]npmResource{}
	for _, res := range rs {
		require.Equal(t, id, res.ClusterID)
		require.NotEmpty(t, res.Created)
		var info map[string]string
		require.NoError(t, json.Unmarshal([]byte(res.ResourceInfo), &info))
		require.Equal(t, res.ResourceType, info["Type"])
		byType[res.ResourceType] = append(byType[res.ResourceType], res)
	}
	require.Equal(t, detail.body["vpc_id"], byType["ALIYUN::ECS::VPC"][0].InstanceID)
	require.EqualValues(t, 0, byType["ALIYUN::ECS::VPC"][0].AutoCreate)
	require.Len(t, byType["ALIYUN::ECS::VSwitch"], len(detail.body["vswitch_ids"].([]any)))
	require.Equal(t, detail.body["security_group_id"], byType["ALIYUN::ECS::SecurityGroup"][0].InstanceID)
	require.EqualValues(t, 1, byType["ALIYUN::ECS::SecurityGroup"][0].AutoCreate)
	require.Empty(t, byType["ALIYUN::SLB::LoadBalancer"], "--kube=off: no API server, no SLB")
	var got []string
	for _, res := range byType["ALIYUN::ECS::Instance"] {
		got = append(got, res.InstanceID)
		require.Equal(t, "CREATE_COMPLETE", res.State)
		require.Equal(t, "Node", res.AssociatedObject.Kind)
	}
	require.ElementsMatch(t, instances, got, "the instances DescribeClusterNodes shows")

	r = b.call(b.alice, "GET", "/clusters/"+id+"/resources?with_addon_resources=true", nil)
	require.Equal(t, 200, r.status, string(r.raw))
	r = b.call(b.alice, "GET", "/clusters/"+id+"/resources?with_addon_resources=yes", nil)
	require.Equal(t, 400, r.status, string(r.raw))
	require.Equal(t, ackscale.CodeInvalidType, r.body["code"])
	r = b.call(b.bob, "GET", "/clusters/"+id+"/resources", nil)
	require.Equal(t, 404, r.status, string(r.raw))
	require.Equal(t, ackscale.CodeClusterNotFound, r.body["code"])
}

// TestTerraformReadsAManagedCluster: what the provider calls after a
// create, each answered in its model (clients.md).
func TestTerraformReadsAManagedCluster(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createCluster(b.alice, standardCluster("tf"))

	r := b.call(b.alice, "GET", "/clusters/"+id+"/controlplanelog", nil, "x-acs-action", "CheckControlPlaneLogEnable")
	require.Equal(t, 200, r.status, string(r.raw))
	var l npmControlPlaneLog
	decodeStrict(t, r.raw, &l)
	require.Equal(t, npmControlPlaneLog{AliUID: "5000000000000001", Components: []string{}}, l)

	r = b.call(b.alice, "GET", "/clusters/"+id+"/logs", nil)
	require.Equal(t, 200, r.status, string(r.raw))
	var logs []npmClusterLog
	decodeStrict(t, r.raw, &logs)
	require.Empty(t, logs)
	require.Equal(t, "[]", string(r.raw))

	r = b.call(b.alice, "GET", "/clusters/"+id+"/certs", nil)
	require.Equal(t, 200, r.status, string(r.raw))
	var certs aliyungo.ClusterCerts
	require.NoError(t, json.Unmarshal(r.raw, &certs))
	require.Equal(t, aliyungo.ClusterCerts{}, certs, "--kube=off: no CA")
	require.JSONEq(t, `{"ca":"","cert":"","key":""}`, string(r.raw))

	for _, path := range []string{"/controlplanelog", "/logs", "/certs", "/resources", "/tasks"} {
		r := b.call(b.bob, "GET", "/clusters/"+id+path, nil)
		require.Equal(t, 404, r.status, path)
		require.Equal(t, ackscale.CodeClusterNotFound, r.body["code"], path)
	}
}

func TestDescribeClustersForRegion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createCluster(b.alice, standardCluster("hz"))
	b.createCluster(b.bob, standardCluster("bobs"))

	r := b.call(b.alice, "GET", "/regions/cn-hangzhou/clusters?page_size=5&cluster_type=ManagedKubernetes&profile=Default", nil,
		"x-acs-action", "DescribeClustersForRegion")
	require.Equal(t, 200, r.status, string(r.raw))
	require.Equal(t, map[string]any{"page_number": 1.0, "page_size": 5.0, "total_count": 1.0}, r.body["page_info"])
	clusters := r.body["clusters"].([]any)
	require.Len(t, clusters, 1)
	c := clusters[0].(map[string]any)
	for _, f := range npmRegionClusterFields {
		require.Contains(t, c, f)
	}
	require.Equal(t, id, c["cluster_id"])
	require.Equal(t, "cluster.local", c["cluster_domain"])
	detail := b.call(b.alice, "GET", "/clusters/"+id, nil)
	for k, v := range detail.body {
		require.Equal(t, v, c[k], "the detail's view: %s", k)
	}

	r = b.call(b.alice, "GET", "/regions/cn-beijing/clusters", nil)
	require.Equal(t, 200, r.status, string(r.raw))
	require.Empty(t, r.body["clusters"])
	r = b.call(b.alice, "GET", "/regions/cn-hangzhou/clusters?profile=Edge", nil)
	require.Empty(t, r.body["clusters"])
	r = b.call(b.alice, "GET", "/regions/mars-1/clusters", nil)
	require.Equal(t, ackscale.CodeRegionNotFound, r.body["code"], string(r.raw))
	r = b.call(b.alice, "GET", "/regions/cn-hangzhou/clusters?page_number=0", nil)
	require.Equal(t, 400, r.status)
	require.Equal(t, ackscale.CodeOutOfRange, r.body["code"])
}

func TestDescribeUserQuota(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(b.alice, "GET", "/quota", nil, "x-acs-action", "DescribeUserQuota")
	require.Equal(t, 200, r.status, string(r.raw))
	resp := cs.CreateDescribeUserQuotaResponse()
	require.NoError(t, json.Unmarshal(r.raw, resp))
	require.Equal(t, cs.DescribeUserQuotaResponse{BaseResponse: resp.BaseResponse, ClusterNodepoolQuota: 20, AmkClusterQuota: 20,
		ClusterQuota: 50, NodeQuota: 1000, AskClusterQuota: 20}, *resp)
	var body struct {
		Quotas map[string]struct {
			Quota         string `json:"quota"`
			OperationCode string `json:"operation_code"`
			Adjustable    bool   `json:"adjustable"`
			Unit          string `json:"unit"`
		} `json:"quotas"`
		cs.DescribeUserQuotaResponse
	}
	body.BaseResponse = &responses.BaseResponse{}
	decodeStrict(t, r.raw, &body)
	require.Len(t, body.Quotas, 4)
	require.Equal(t, "1000", body.Quotas["workers_per_cluster"].Quota)
	require.Equal(t, "vCPU", body.Quotas["ecs_vcpus_per_region"].Unit)
}

func TestDescribeKubernetesVersionMetadata(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := url.Values{"Region": {"cn-hangzhou"}, "ClusterType": {"ManagedKubernetes"}, "Profile": {"Default"}, "runtime": {"containerd"}}
	r := b.call(b.alice, "GET", "/api/v1/metadata/versions?"+q.Encode(), nil)
	require.Equal(t, 200, r.status, string(r.raw))
	var vs []npmVersion
	decodeStrict(t, r.raw, &vs)
	require.Len(t, vs, 3)
	require.Equal(t, "1.34.4", vs[0].Version)
	require.True(t, vs[0].Creatable)
	require.Equal(t, true, vs[0].MetaData["default"])
	require.NotEmpty(t, vs[0].Runtimes)
	for _, rt := range vs[0].Runtimes {
		require.Equal(t, "containerd", rt.Name)
	}

	r = b.call(b.alice, "GET", "/api/v1/metadata/versions?KubernetesVersion=1.33", nil)
	decodeStrict(t, r.raw, &vs)
	require.Len(t, vs, 1)
	require.Equal(t, "1.33.5", vs[0].Version)

	r = b.call(b.alice, "GET", "/api/v1/metadata/versions?ClusterType=Ask", nil)
	require.Equal(t, 400, r.status)
	require.Equal(t, ackscale.CodeNotInEnum, r.body["code"])
	require.Contains(t, r.body["message"], "ClusterType")
}

func TestDeleteClusterNodesByDELETE(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.withWorkers(b.alice, "del", 3)
	names, _ := b.nodeNames(b.alice, id)

	for _, tc := range []struct {
		name, query string
		body        any
		code        string
	}{
		{"both body and query", "?release_node=true", map[string]any{"nodes": []string{names[0]}}, ackscale.CodeConflict},
		{"nothing", "", nil, ackscale.CodeMissingParameter},
		{"flag not a boolean", "?nodes=" + names[0] + "&release_node=yes", nil, ackscale.CodeInvalidType},
		{"unknown node", "?nodes=cn-hangzhou.10.9.9.9", nil, ackscale.CodeNodeNotFound},
	} {
		r := b.call(b.alice, "DELETE", "/clusters/"+id+"/nodes"+tc.query, tc.body)
		require.Equal(t, tc.code, r.body["code"], "%s: %s", tc.name, r.raw)
	}

	// In the query: a JSON array.
	nodes, _ := json.Marshal([]string{names[0]})
	r := b.call(b.alice, "DELETE", "/clusters/"+id+"/nodes?"+url.Values{"nodes": {string(nodes)}, "release_node": {"true"},
		"drain_node": {"false"}}.Encode(), nil, "x-acs-action", "DeleteClusterNodes")
	require.Equal(t, 202, r.status, string(r.raw))
	var answer struct {
		ClusterID string `json:"cluster_id"`
		RequestID string `json:"request_id"`
		TaskID    string `json:"task_id"`
	}
	decodeStrict(t, r.raw, &answer)
	require.Equal(t, id, answer.ClusterID)
	task := b.waitTask(b.alice, answer.TaskID)
	require.Equal(t, "success", task["state"], string(mustJSON(task)))
	require.Equal(t, []any{names[0]}, task["parameters"].(map[string]any)["nodes"])
	require.Equal(t, true, task["parameters"].(map[string]any)["release_node"])

	// In a JSON body, as the aliyun CLI's --body sends it.
	r = b.call(b.alice, "DELETE", "/clusters/"+id+"/nodes", map[string]any{"nodes": []string{names[1]}, "release_node": true})
	require.Equal(t, 202, r.status, string(r.raw))
	require.Equal(t, "success", b.waitTask(b.alice, r.body["task_id"].(string))["state"])

	// Repeated.
	left, _ := b.nodeNames(b.alice, id)
	require.Equal(t, []string{names[2]}, left)
	r = b.call(b.alice, "DELETE", "/clusters/"+id+"/nodes?nodes="+names[2]+"&nodes="+names[2], nil)
	require.Equal(t, 400, r.status, "named twice (R18)")
	require.Equal(t, ackscale.CodeInvalidParameter, r.body["code"])
}

// The operations below run over the in-memory store, with no River (tasks
// are finished by hand), to control when tasks end.

// setupChanges runs the API over the in-memory store, without River (the
// tests end tasks by hand).
func setupChanges(t *testing.T) (*testBundle, *memstore.Store) {
	t.Helper()
	return setupMem(t, func(*ops.Config) {})
}

// setupMem is setupChanges with the operations' Config as configure
// leaves it.
func setupMem(t *testing.T, configure func(*ops.Config)) (*testBundle, *memstore.Store) {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	zero := time.Duration(0)
	cl, err := cloud.New(cloud.Config{Store: st, Catalog: catalog.Default(), BootLatency: &zero})
	require.NoError(t, err)
	b := &testBundle{t: t, alice: key{"LTAIalice", "alice-secret"}, bob: key{"LTAIbob", "bob-secret"}}
	for id, k := range map[string]key{"5000000000000001": b.alice, "5000000000000002": b.bob} {
		_, err = st.AccountEnsure(ctx, ackscale.AccountCreateParams{Account: ackscale.Account{ID: id, AccessKeyID: k.id}, Secret: k.secret})
		require.NoError(t, err)
	}
	ocfg := ops.Config{Clusters: st, Workers: st, Cloud: cl, BcryptCost: 4}
	configure(&ocfg)
	svc, err := ops.New(ocfg)
	require.NoError(t, err)
	api, err := httpapi.New(httpapi.Config{Accounts: st, Ops: svc})
	require.NoError(t, err)
	b.srv = httptest.NewServer(api)
	t.Cleanup(b.srv.Close)
	return b, st
}

// createFinished creates a cluster of k's and ends its create task well,
// by hand (no River here).
func (b *testBundle) createFinished(st *memstore.Store, k key, name string) (clusterID, taskID string) {
	b.t.Helper()
	r := b.call(k, "POST", "/clusters", standardCluster(name))
	require.Equal(b.t, 202, r.status, string(r.raw))
	tk, err := st.TaskGet(context.Background(), ackscale.TaskGetParams{ID: r.body["task_id"].(string)})
	require.NoError(b.t, err)
	tk.State = ackscale.TaskSuccess
	require.NoError(b.t, st.TaskFinish(context.Background(), ackscale.TaskFinishParams{Task: tk, ClusterState: ackscale.ClusterRunning,
		PoolState: ackscale.NodePoolActive}))
	return r.body["cluster_id"].(string), tk.ID
}

func TestModifyClusterHTTP(t *testing.T) {
	t.Parallel()
	b, st := setupChanges(t)
	id, _ := b.createFinished(st, b.alice, "before")
	b.createFinished(st, b.alice, "taken")

	r := b.call(b.alice, "PUT", "/api/v2/clusters/"+id, map[string]any{"cluster_name": "after", "deletion_protection": true,
		"maintenance_window": map[string]any{"enable": true, "maintenance_time": "2025-01-02T03:00:00+08:00", "duration": "2h",
			"weekly_period": "Monday"}}, "x-acs-action", "ModifyCluster")
	require.Equal(t, 202, r.status, string(r.raw))
	resp := cs.CreateModifyClusterResponse()
	require.NoError(t, json.Unmarshal(r.raw, resp))
	require.Equal(t, id, resp.ClusterId)
	require.NotEmpty(t, resp.RequestId)
	require.Equal(t, r.header.Get("x-acs-request-id"), resp.RequestId)
	task := b.call(b.alice, "GET", "/tasks/"+resp.TaskId, nil)
	require.Equal(t, 200, task.status, string(task.raw))
	require.Equal(t, "success", task.body["state"], "ended as it was accepted")
	require.Equal(t, "cluster_modify", task.body["task_type"])

	detail := b.call(b.alice, "GET", "/clusters/"+id, nil)
	require.Equal(t, "after", detail.body["name"])
	require.Equal(t, true, detail.body["deletion_protection"])
	r = b.call(b.alice, "DELETE", "/clusters/"+id, nil)
	require.Equal(t, ackscale.CodeClusterState, r.body["code"], "deletion protection holds")

	// aliyungo (2022) sends every field of its ModifyClusterArgs.
	r = b.call(b.alice, "PUT", "/api/v2/clusters/"+id, `{"deletion_protection":false,"resource_group_id":"",`+
		`"maintenance_window":{"enable":false,"maintenance_time":"","duration":"","weekly_period":""}}`)
	require.Equal(t, 202, r.status, string(r.raw))
	require.Equal(t, false, b.call(b.alice, "GET", "/clusters/"+id, nil).body["deletion_protection"])

	// aliyungo (2019) renames by path.
	r = b.call(b.alice, "POST", "/clusters/"+id+"/name/"+url.PathEscape("by-path"), nil)
	require.Equal(t, 202, r.status, string(r.raw))
	require.Equal(t, "by-path", b.call(b.alice, "GET", "/clusters/"+id, nil).body["name"])

	for _, tc := range []struct {
		name string
		k    key
		body any
		code string
		msg  string
	}{
		{"name taken", b.alice, map[string]any{"cluster_name": "taken"}, ackscale.CodeClusterNameExists, ""},
		{"refused by name", b.alice, map[string]any{"timezone": "Asia/Shanghai"}, ackscale.CodeInvalidParameter,
			"ModifyCluster: timezone cannot be changed by ackscale"},
		{"another account", b.bob, map[string]any{"cluster_name": "x"}, ackscale.CodeClusterNotFound, ""},
	} {
		r := b.call(tc.k, "PUT", "/api/v2/clusters/"+id, tc.body)
		require.Equal(t, tc.code, r.body["code"], "%s: %s", tc.name, r.raw)
		require.Contains(t, r.body["message"], tc.msg, tc.name)
	}
}

func TestDescribeClusterTasks(t *testing.T) {
	t.Parallel()
	b, st := setupChanges(t)
	id, create := b.createFinished(st, b.alice, "tasks")
	want := []string{create}
	for i := range 3 {
		time.Sleep(2 * time.Millisecond) // distinct creation times
		r := b.call(b.alice, "PUT", "/api/v2/clusters/"+id, map[string]any{"cluster_name": fmt.Sprint("tasks-", i)})
		require.Equal(t, 202, r.status, string(r.raw))
		want = append(want, r.body["task_id"].(string))
	}
	slices.Reverse(want)

	r := b.call(b.alice, "GET", "/clusters/"+id+"/tasks?page_size=3", nil, "x-acs-action", "DescribeClusterTasks")
	require.Equal(t, 200, r.status, string(r.raw))
	var page npmClusterTasks
	decodeStrict(t, r.raw, &page)
	require.EqualValues(t, 4, page.PageInfo.TotalCount)
	require.EqualValues(t, 1, page.PageInfo.PageNumber)
	require.EqualValues(t, 3, page.PageInfo.PageSize)
	require.Equal(t, r.header.Get("x-acs-request-id"), page.RequestID)
	var got []string
	for _, tk := range page.Tasks {
		got = append(got, tk.TaskID)
		require.Equal(t, "success", tk.State)
		require.Nil(t, tk.Error)
		require.NotEmpty(t, tk.Created)
	}
	require.Equal(t, want[:3], got, "newest first")
	require.Equal(t, "cluster_modify", page.Tasks[0].TaskType)

	r = b.call(b.alice, "GET", "/clusters/"+id+"/tasks?page_size=3&page_number=2", nil)
	decodeStrict(t, r.raw, &page)
	require.Len(t, page.Tasks, 1)
	require.Equal(t, want[3], page.Tasks[0].TaskID)
	require.Equal(t, "cluster_create", page.Tasks[0].TaskType)

	r = b.call(b.alice, "GET", "/clusters/"+id+"/tasks?max_results=3", nil)
	decodeStrict(t, r.raw, &page)
	require.Equal(t, "3", page.NextToken)
	r = b.call(b.alice, "GET", "/clusters/"+id+"/tasks?max_results=3&next_token=3", nil)
	page = npmClusterTasks{}
	decodeStrict(t, r.raw, &page)
	require.Len(t, page.Tasks, 1)
	require.Empty(t, page.NextToken)

	r = b.call(b.alice, "GET", "/clusters/"+id+"/tasks?page_size=0", nil)
	require.Equal(t, 400, r.status)
	require.Equal(t, ackscale.CodeOutOfRange, r.body["code"])
	r = b.call(b.bob, "GET", "/clusters/"+id+"/tasks", nil)
	require.Equal(t, 404, r.status)
}
