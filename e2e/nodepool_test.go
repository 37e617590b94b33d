package e2e

// Node pools (issue 11) through the official clients: the npm SDK's typed
// models (e2e/node/nodepools.mjs), the old Go SDK's node-pool requests, and
// two pools of one cluster scaling at once.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/testserver"
)

// poolView is a pool as DescribeClusterNodePoolDetail (or one item of
// DescribeClusterNodePools) answers it, decoded with typed fields as the
// typed clients (aliyungo, the provider's reads) do: a number sent as a
// string, or a time that is not RFC 3339, fails the decode.
type poolView struct {
	NodepoolInfo struct {
		NodepoolID      string    `json:"nodepool_id"`
		Name            *string   `json:"name"`
		Type            *string   `json:"type"`
		IsDefault       bool      `json:"is_default"`
		RegionID        string    `json:"region_id"`
		ResourceGroupID string    `json:"resource_group_id"`
		Created         time.Time `json:"created"`
		Updated         time.Time `json:"updated"`
	} `json:"nodepool_info"`
	ScalingGroup struct {
		DesiredSize        *int64   `json:"desired_size"`
		InstanceTypes      []string `json:"instance_types"`
		VSwitchIDs         []string `json:"vswitch_ids"`
		KeyPair            string   `json:"key_pair"`
		InstanceChargeType string   `json:"instance_charge_type"`
		ScalingGroupID     string   `json:"scaling_group_id"`
		SecurityGroupID    string   `json:"security_group_id"`
		SecurityGroupIDs   []string `json:"security_group_ids"`
		SystemDiskSize     int64    `json:"system_disk_size"`
	} `json:"scaling_group"`
	KubernetesConfig struct {
		Labels        []poolLabel `json:"labels"`
		Taints        []poolTaint `json:"taints"`
		Unschedulable bool        `json:"unschedulable"`
		CMSEnabled    *bool       `json:"cms_enabled"`
		Runtime       string      `json:"runtime"`
	} `json:"kubernetes_config"`
	AutoScaling struct {
		Enable       bool   `json:"enable"`
		MinInstances int64  `json:"min_instances"`
		MaxInstances int64  `json:"max_instances"`
		Type         string `json:"type"`
	} `json:"auto_scaling"`
	Status poolStatus `json:"status"`
}

type poolLabel struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type poolTaint struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Effect string `json:"effect"`
}

type poolStatus struct {
	State         string `json:"state"`
	TotalNodes    *int64 `json:"total_nodes"`
	HealthyNodes  int64  `json:"healthy_nodes"`
	ServingNodes  int64  `json:"serving_nodes"`
	InitialNodes  int64  `json:"initial_nodes"`
	FailedNodes   int64  `json:"failed_nodes"`
	OfflineNodes  int64  `json:"offline_nodes"`
	RemovingNodes int64  `json:"removing_nodes"`
}

// decodePool decodes one pool and requires the numbers the provider only
// reads as json.Number (desired_size, status.total_nodes) to be JSON
// numbers, and the fields every client dereferences to be there.
func decodePool(t testing.TB, raw []byte) poolView {
	t.Helper()
	var p poolView
	require.NoError(t, json.Unmarshal(raw, &p), "typed decode of the pool: %s", raw)
	var loose struct {
		ScalingGroup map[string]any `json:"scaling_group"`
		Status       map[string]any `json:"status"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	require.NoError(t, d.Decode(&loose))
	require.IsType(t, json.Number(""), loose.ScalingGroup["desired_size"], "scaling_group.desired_size is a JSON number: %s", raw)
	require.IsType(t, json.Number(""), loose.Status["total_nodes"], "status.total_nodes is a JSON number: %s", raw)
	require.NotNil(t, p.NodepoolInfo.Name, "nodepool_info.name: %s", raw)
	require.NotNil(t, p.NodepoolInfo.Type, "nodepool_info.type: %s", raw)
	require.NotNil(t, p.ScalingGroup.DesiredSize)
	require.NotNil(t, p.Status.TotalNodes)
	return p
}

func (p poolView) desired() int { return int(*p.ScalingGroup.DesiredSize) }
func (p poolView) total() int   { return int(*p.Status.TotalNodes) }

// requireCounts requires a pool at rest with n nodes, all healthy.
func requireCounts(t testing.TB, p poolView, n int) {
	t.Helper()
	require.Equal(t, "active", p.Status.State)
	require.Equal(t, n, p.desired(), "desired_size")
	require.Equal(t, poolStatus{State: "active", TotalNodes: p.Status.TotalNodes, HealthyNodes: int64(n), ServingNodes: int64(n)},
		p.Status, "status")
	require.Equal(t, n, p.total(), "status.total_nodes")
}

// ---- npm SDK ----

type npmPoolsResult struct {
	Kinds []npmPoolsKind `json:"kinds"`
}

type npmPoolsKind struct {
	Kind              string       `json:"kind"`
	Error             *npmError    `json:"error"`
	FailedAt          string       `json:"failed_at"`
	ClusterID         string       `json:"cluster_id"`
	ClusterTask       npmTask      `json:"cluster_task"`
	ClusterVSwitchIDs []string     `json:"cluster_vswitch_ids"`
	PoolsBefore       npmPoolList  `json:"pools_before"`
	Create            npmAccepted  `json:"create"`
	CreateTask        npmTask      `json:"create_task"`
	AfterCreate       npmPoolState `json:"after_create"`
	Pools             npmPoolList  `json:"pools"`
	PoolsByName       npmPoolList  `json:"pools_by_name"`
	Scale             npmAccepted  `json:"scale"`
	ScaleTask         npmTask      `json:"scale_task"`
	AfterScale        npmPoolState `json:"after_scale"`
	Shrink            npmAccepted  `json:"shrink"`
	ShrinkTask        npmTask      `json:"shrink_task"`
	AfterShrink       npmPoolState `json:"after_shrink"`
	Relabel           npmAccepted  `json:"relabel"`
	RelabelTask       npmTask      `json:"relabel_task"`
	AfterRelabel      npmPoolState `json:"after_relabel"`
	Grow              npmAccepted  `json:"grow"`
	GrowTask          npmTask      `json:"grow_task"`
	AfterGrow         npmPoolState `json:"after_grow"`
	Victim            string       `json:"victim"`
	Remove            npmAccepted  `json:"remove"`
	RemoveTask        npmTask      `json:"remove_task"`
	AfterRemove       npmPoolState `json:"after_remove"`
	Delete            npmAccepted  `json:"delete"`
	DeleteTask        npmTask      `json:"delete_task"`
	AfterDelete       struct {
		DetailError npmError `json:"detail_error"`
		Nodes       npmNodes `json:"nodes"`
	} `json:"after_delete"`
	PoolsAfter npmPoolList `json:"pools_after"`
}

type npmAccepted struct {
	StatusCode int    `json:"statusCode"`
	NodepoolID string `json:"nodepool_id"`
	TaskID     string `json:"task_id"`
	RequestID  string `json:"request_id"`
}

// npmPool is what the SDK's typed pool model held, with the JavaScript
// types of two of its numbers.
type npmPool struct {
	StatusCode         int         `json:"statusCode"`
	NodepoolID         string      `json:"nodepool_id"`
	Name               string      `json:"name"`
	Type               string      `json:"type"`
	IsDefault          bool        `json:"is_default"`
	RegionID           string      `json:"region_id"`
	Created            string      `json:"created"`
	DesiredSize        int         `json:"desired_size"`
	DesiredSizeType    string      `json:"desired_size_type"`
	InstanceTypes      []string    `json:"instance_types"`
	VSwitchIDs         []string    `json:"vswitch_ids"`
	KeyPair            string      `json:"key_pair"`
	InstanceChargeType string      `json:"instance_charge_type"`
	Labels             []poolLabel `json:"labels"`
	Taints             []poolTaint `json:"taints"`
	Unschedulable      bool        `json:"unschedulable"`
	Status             struct {
		State         string `json:"state"`
		TotalNodes    int    `json:"total_nodes"`
		HealthyNodes  int    `json:"healthy_nodes"`
		ServingNodes  int    `json:"serving_nodes"`
		InitialNodes  int    `json:"initial_nodes"`
		FailedNodes   int    `json:"failed_nodes"`
		OfflineNodes  int    `json:"offline_nodes"`
		RemovingNodes int    `json:"removing_nodes"`
	} `json:"status"`
	TotalNodesType string `json:"total_nodes_type"`
}

type npmPoolList struct {
	StatusCode int       `json:"statusCode"`
	Nodepools  []npmPool `json:"nodepools"`
}

type npmNodes struct {
	StatusCode int `json:"statusCode"`
	TotalCount int `json:"total_count"`
	Nodes      []struct {
		InstanceID string   `json:"instance_id"`
		NodeName   string   `json:"node_name"`
		NodepoolID string   `json:"nodepool_id"`
		State      string   `json:"state"`
		IPAddress  []string `json:"ip_address"`
	} `json:"nodes"`
}

func (n npmNodes) ids() []string {
	var ids []string
	for _, x := range n.Nodes {
		ids = append(ids, x.InstanceID)
	}
	return ids
}

type npmPoolState struct {
	Detail npmPool  `json:"detail"`
	Nodes  npmNodes `json:"nodes"`
}

// require checks the pool has n running nodes, all of it and only it.
func (s npmPoolState) require(t *testing.T, np string, n int) {
	t.Helper()
	d := s.Detail
	require.Equal(t, 200, d.StatusCode)
	require.Equal(t, np, d.NodepoolID)
	require.Equal(t, "number", d.DesiredSizeType, "desired_size parses into the model's number")
	require.Equal(t, "number", d.TotalNodesType, "status.total_nodes parses into the model's number")
	require.Equal(t, n, d.DesiredSize, "desired_size")
	require.Equal(t, "active", d.Status.State)
	require.Equal(t, n, d.Status.TotalNodes, "total_nodes")
	require.Equal(t, n, d.Status.HealthyNodes, "healthy_nodes")
	require.Equal(t, n, d.Status.ServingNodes, "serving_nodes")
	require.Zero(t, d.Status.InitialNodes+d.Status.FailedNodes+d.Status.OfflineNodes+d.Status.RemovingNodes)
	require.Equal(t, 200, s.Nodes.StatusCode)
	require.Equal(t, n, s.Nodes.TotalCount, "DescribeClusterNodes nodepool_id=%s page.total_count", np)
	require.Len(t, s.Nodes.Nodes, n)
	for _, node := range s.Nodes.Nodes {
		require.Equal(t, np, node.NodepoolID, "node %s", node.NodeName)
		require.Equal(t, "running", node.State)
		require.Regexp(t, `^i-[0-9a-z]+$`, node.InstanceID)
		require.Len(t, node.IPAddress, 1)
	}
}

func requireNPMTask(t *testing.T, task npmTask, taskID, clusterID string) {
	t.Helper()
	require.Equal(t, 200, task.StatusCode)
	require.Equal(t, taskID, task.TaskID)
	require.Equal(t, clusterID, task.ClusterID)
	require.Equal(t, "success", task.State, "task %s (%s) error: %+v", taskID, task.TaskType, task.Error)
}

// TestNPMNodePools runs e2e/node/nodepools.mjs: the npm SDK's typed
// node-pool requests on a standard and an edge cluster, every task polled
// with DescribeTaskInfo to success.
func TestNPMNodePools(t *testing.T) {
	t.Parallel()
	testserver.NodeModules(t, nodeDir)
	srv := startServer(t, testserver.Options{AdminToken: adminToken})
	var res npmPoolsResult
	runNode(t, srv, "nodepools.mjs", &res)
	require.Len(t, res.Kinds, 2)

	for _, k := range res.Kinds {
		t.Run(k.Kind, func(t *testing.T) {
			require.Nil(t, k.Error, "%s failed at %q", k.Kind, k.FailedAt)
			id := k.ClusterID
			require.Equal(t, "success", k.ClusterTask.State)
			require.NotEmpty(t, k.ClusterVSwitchIDs, "the cluster has default vSwitches (an edge cluster has a VPC too)")

			// The default pool is there from the start.
			require.Len(t, k.PoolsBefore.Nodepools, 1)
			def := k.PoolsBefore.Nodepools[0]
			require.Equal(t, ackscale.DefaultNodePoolName, def.Name)
			require.Equal(t, "ess", def.Type)
			require.True(t, def.IsDefault)

			// Create: 2 nodes with the pool's labels and taints.
			require.Equal(t, 202, k.Create.StatusCode)
			np := k.Create.NodepoolID
			require.Regexp(t, `^np[0-9a-f]{32}$`, np)
			require.NotEmpty(t, k.Create.RequestID)
			requireNPMTask(t, k.CreateTask, k.Create.TaskID, id)
			k.AfterCreate.require(t, np, 2)
			d := k.AfterCreate.Detail
			require.Equal(t, "npm-pool", d.Name)
			require.Equal(t, "ess", d.Type)
			require.False(t, d.IsDefault)
			require.Equal(t, "cn-hangzhou", d.RegionID)
			_, err := time.Parse(time.RFC3339, d.Created)
			require.NoError(t, err, "nodepool_info.created is RFC 3339")
			require.Equal(t, []string{"ecs.g6.large"}, d.InstanceTypes)
			require.Equal(t, k.ClusterVSwitchIDs, d.VSwitchIDs)
			require.Equal(t, "secrity-key", d.KeyPair)
			require.Equal(t, "PostPaid", d.InstanceChargeType)
			require.Equal(t, []poolLabel{{"team", "blue"}}, d.Labels)
			require.Equal(t, []poolTaint{{"dedicated", "npm", "NoSchedule"}}, d.Taints)
			require.False(t, d.Unschedulable)

			// The list has both pools; NodepoolName finds ours.
			require.Equal(t, 200, k.Pools.StatusCode)
			var names []string
			for _, p := range k.Pools.Nodepools {
				names = append(names, p.Name)
				if p.NodepoolID == np {
					require.Equal(t, 2, p.Status.TotalNodes)
					require.Equal(t, 2, p.DesiredSize)
				}
			}
			require.ElementsMatch(t, []string{ackscale.DefaultNodePoolName, "npm-pool"}, names)
			require.Len(t, k.PoolsByName.Nodepools, 1)
			require.Equal(t, np, k.PoolsByName.Nodepools[0].NodepoolID)

			// ScaleClusterNodePool count 2: 2 → 4, the first 2 kept.
			require.Equal(t, 202, k.Scale.StatusCode)
			requireNPMTask(t, k.ScaleTask, k.Scale.TaskID, id)
			k.AfterScale.require(t, np, 4)
			require.Subset(t, k.AfterScale.Nodes.ids(), k.AfterCreate.Nodes.ids())

			// Modify desired_size 1: the newest 3 go.
			require.Equal(t, 202, k.Shrink.StatusCode)
			require.Equal(t, np, k.Shrink.NodepoolID)
			requireNPMTask(t, k.ShrinkTask, k.Shrink.TaskID, id)
			k.AfterShrink.require(t, np, 1)
			require.Subset(t, k.AfterCreate.Nodes.ids(), k.AfterShrink.Nodes.ids(), "a scale-in removes the newest nodes")

			// Modify labels with update_nodes: the pool's labels change, the node stays.
			require.Equal(t, 202, k.Relabel.StatusCode)
			requireNPMTask(t, k.RelabelTask, k.Relabel.TaskID, id)
			k.AfterRelabel.require(t, np, 1)
			require.Equal(t, []poolLabel{{"team", "green"}, {"tier", "batch"}}, k.AfterRelabel.Detail.Labels)
			require.Equal(t, []poolTaint{{"dedicated", "npm", "NoSchedule"}}, k.AfterRelabel.Detail.Taints, "taints not sent are kept")
			require.Equal(t, k.AfterShrink.Nodes.ids(), k.AfterRelabel.Nodes.ids())

			// Scale +1, then RemoveNodePoolNodes of one instance: desired_size follows.
			requireNPMTask(t, k.GrowTask, k.Grow.TaskID, id)
			k.AfterGrow.require(t, np, 2)
			require.Equal(t, 202, k.Remove.StatusCode)
			requireNPMTask(t, k.RemoveTask, k.Remove.TaskID, id)
			k.AfterRemove.require(t, np, 1)
			require.NotContains(t, k.AfterRemove.Nodes.ids(), k.Victim)
			require.Subset(t, k.AfterGrow.Nodes.ids(), k.AfterRemove.Nodes.ids())

			// DeleteClusterNodepool force=true: the pool and its node are gone.
			require.Equal(t, 202, k.Delete.StatusCode)
			requireNPMTask(t, k.DeleteTask, k.Delete.TaskID, id)
			e := k.AfterDelete.DetailError
			require.Empty(t, e.Unexpected)
			require.Equal(t, 404, e.StatusCode)
			require.Equal(t, ackscale.CodeNodePoolNotFound, e.Code)
			require.NotEmpty(t, e.RequestID)
			require.Zero(t, k.AfterDelete.Nodes.TotalCount)
			require.Empty(t, k.AfterDelete.Nodes.Nodes)
			require.Len(t, k.PoolsAfter.Nodepools, 1)
			require.Equal(t, ackscale.DefaultNodePoolName, k.PoolsAfter.Nodepools[0].Name)
		})
	}
	// Every pool node was released with its pool; nothing else ran.
	require.Empty(t, liveInstances(t, srv))
}

// ---- Go SDK ----

func (c *sdkClient) CreatePool(clusterID, body string) (*cs.CreateClusterNodePoolResponse, error) {
	req := cs.CreateCreateClusterNodePoolRequest()
	c.point(req.RoaRequest)
	req.ClusterId = clusterID
	jsonBody(req.RoaRequest, body)
	return c.c.CreateClusterNodePool(req)
}

// Pools is DescribeClusterNodePools; the request struct has no
// NodepoolName, so a name goes in QueryParams.
func (c *sdkClient) Pools(clusterID, name string) (*cs.DescribeClusterNodePoolsResponse, error) {
	req := cs.CreateDescribeClusterNodePoolsRequest()
	c.point(req.RoaRequest)
	req.ClusterId = clusterID
	if name != "" {
		req.QueryParams["NodepoolName"] = name
	}
	return c.c.DescribeClusterNodePools(req)
}

func (c *sdkClient) PoolDetail(clusterID, poolID string) (*cs.DescribeClusterNodePoolDetailResponse, error) {
	req := cs.CreateDescribeClusterNodePoolDetailRequest()
	c.point(req.RoaRequest)
	req.ClusterId, req.NodepoolId = clusterID, poolID
	return c.c.DescribeClusterNodePoolDetail(req)
}

func (c *sdkClient) ModifyPool(clusterID, poolID, body string) (*cs.ModifyClusterNodePoolResponse, error) {
	req := cs.CreateModifyClusterNodePoolRequest()
	c.point(req.RoaRequest)
	req.ClusterId, req.NodepoolId = clusterID, poolID
	jsonBody(req.RoaRequest, body)
	return c.c.ModifyClusterNodePool(req)
}

func (c *sdkClient) ScalePool(clusterID, poolID string, count int) (*cs.ScaleClusterNodePoolResponse, error) {
	req := cs.CreateScaleClusterNodePoolRequest()
	c.point(req.RoaRequest)
	req.ClusterId, req.NodepoolId = clusterID, poolID
	jsonBody(req.RoaRequest, fmt.Sprintf(`{"count":%d}`, count))
	return c.c.ScaleClusterNodePool(req)
}

// DeletePool is DeleteClusterNodepool; v1.63.107's request has no force,
// so it goes in QueryParams. Its response struct has no fields.
func (c *sdkClient) DeletePool(clusterID, poolID string, force bool) (asyncAnswer, error) {
	req := cs.CreateDeleteClusterNodepoolRequest()
	c.point(req.RoaRequest)
	req.ClusterId, req.NodepoolId = clusterID, poolID
	req.QueryParams["force"] = fmt.Sprint(force)
	return decodeBody[asyncAnswer](c.c.DeleteClusterNodepool(req))
}

// RemovePoolNodes is RemoveNodePoolNodes, which v1.63.107 lacks: a ROA
// CommonRequest (as the aliyun CLI sends one), the list a JSON array in the
// query as the SDKs that have the operation encode it.
func (c *sdkClient) RemovePoolNodes(clusterID, poolID string, instanceIDs []string) (asyncAnswer, error) {
	req := requests.NewCommonRequest()
	req.Method = requests.DELETE
	req.Scheme, req.Domain, req.Port = "http", c.host, c.port
	req.Product, req.Version, req.ApiName = "CS", "2015-12-15", "RemoveNodePoolNodes"
	req.PathPattern = "/clusters/[ClusterId]/nodepools/[NodepoolId]/nodes"
	req.PathParams["ClusterId"], req.PathParams["NodepoolId"] = clusterID, poolID
	ids, err := json.Marshal(instanceIDs)
	if err != nil {
		return asyncAnswer{}, err
	}
	req.QueryParams["instance_ids"] = string(ids)
	req.QueryParams["release_node"] = "true"
	req.QueryParams["drain_node"] = "false"
	return decodeBody[asyncAnswer](c.c.ProcessCommonRequest(req))
}

// PoolNodes is DescribeClusterNodes with nodepool_id.
func (c *sdkClient) PoolNodes(clusterID, poolID string) (*cs.DescribeClusterNodesResponse, error) {
	req := cs.CreateDescribeClusterNodesRequest()
	c.point(req.RoaRequest)
	req.ClusterId, req.NodepoolId, req.PageSize, req.PageNumber = clusterID, poolID, "100", "1"
	return c.c.DescribeClusterNodes(req)
}

// poolAnswer is the body of every asynchronous pool operation.
type poolAnswer struct {
	ClusterID  string `json:"cluster_id"`
	NodepoolID string `json:"nodepool_id"`
	RequestID  string `json:"request_id"`
	TaskID     string `json:"task_id"`
}

func answerOf(t testing.TB, raw []byte) poolAnswer {
	t.Helper()
	var a poolAnswer
	require.NoError(t, json.Unmarshal(raw, &a), "%s", raw)
	require.Regexp(t, `^T-[0-9a-f]+$`, a.TaskID, "task_id: %s", raw)
	return a
}

// poolOf reads a pool with DescribeClusterNodePoolDetail.
func (c *sdkClient) poolOf(t testing.TB, clusterID, poolID string) poolView {
	t.Helper()
	resp, err := c.PoolDetail(clusterID, poolID)
	require.NoError(t, err, "DescribeClusterNodePoolDetail")
	require.Equal(t, http.StatusOK, resp.GetHttpStatus())
	p := decodePool(t, resp.GetHttpContentBytes())
	require.Equal(t, poolID, p.NodepoolInfo.NodepoolID)
	return p
}

// poolNodes lists a pool's nodes and requires exactly n, all of the pool.
func (c *sdkClient) poolNodes(t testing.TB, clusterID, poolID string, n int) []cs.Node {
	t.Helper()
	resp, err := c.PoolNodes(clusterID, poolID)
	require.NoError(t, err, "DescribeClusterNodes nodepool_id=%s", poolID)
	require.Equal(t, n, resp.Page.TotalCount, resp.GetHttpContentString())
	require.Len(t, resp.Nodes, n)
	for _, node := range resp.Nodes {
		require.Equal(t, poolID, node.NodepoolId, "node %s", node.NodeName)
		require.Equal(t, "running", node.State)
		require.Len(t, node.IpAddress, 1)
	}
	return resp.Nodes
}

// TestGoSDKNodePools takes a pool of a standard and of an edge cluster
// through create, scale, modify (size and labels), remove, delete with the
// old Go SDK's node-pool requests.
func TestGoSDKNodePools(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{AdminToken: adminToken})
	for _, kind := range []struct{ name, create string }{
		{"standard", fmt.Sprintf(createStandardHangzhou, "gosdk-pools-standard")},
		{"edge", fmt.Sprintf(createEdge, "gosdk-pools-edge")},
	} {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			c := sdkClientOf(t, srv)
			id := c.createCluster(t, kind.create)
			vsws := c.clusterVSwitches(t, id)

			body, err := json.Marshal(map[string]any{
				"nodepool_info": map[string]any{"name": "gosdk-pool"},
				"scaling_group": map[string]any{"desired_size": 2, "instance_types": []string{"ecs.g6.large"},
					"vswitch_ids": vsws, "key_pair": "secrity-key"},
				"kubernetes_config": map[string]any{"labels": []poolLabel{{"team", "blue"}},
					"taints": []poolTaint{{"dedicated", "gosdk", "NoSchedule"}}},
			})
			require.NoError(t, err)
			cr, err := c.CreatePool(id, string(body))
			require.NoError(t, err, "CreateClusterNodePool")
			require.Equal(t, http.StatusAccepted, cr.GetHttpStatus())
			np := cr.NodepoolId
			require.Regexp(t, `^np[0-9a-f]{32}$`, np)
			a := answerOf(t, cr.GetHttpContentBytes())
			require.Equal(t, np, a.NodepoolID)
			require.NotEmpty(t, a.RequestID)
			task := c.waitTask(t, a.TaskID)
			require.Equal(t, id, task.ClusterId)

			p := c.poolOf(t, id, np)
			requireCounts(t, p, 2)
			require.Equal(t, "gosdk-pool", *p.NodepoolInfo.Name)
			require.Equal(t, "ess", *p.NodepoolInfo.Type)
			require.False(t, p.NodepoolInfo.IsDefault)
			require.Equal(t, "cn-hangzhou", p.NodepoolInfo.RegionID)
			require.False(t, p.NodepoolInfo.Created.IsZero())
			require.Equal(t, []string{"ecs.g6.large"}, p.ScalingGroup.InstanceTypes)
			require.Equal(t, vsws, p.ScalingGroup.VSwitchIDs)
			require.Equal(t, "secrity-key", p.ScalingGroup.KeyPair)
			require.Equal(t, []poolLabel{{"team", "blue"}}, p.KubernetesConfig.Labels)
			require.Equal(t, []poolTaint{{"dedicated", "gosdk", "NoSchedule"}}, p.KubernetesConfig.Taints)
			first := instanceIDs(c.poolNodes(t, id, np, 2))

			// An unknown pool is ErrorNodePoolNotFound; another account's
			// cluster is not found at all.
			_, err = c.PoolDetail(id, "np00000000000000000000000000000000")
			se := serverError(t, err)
			require.Equal(t, http.StatusNotFound, se.HttpStatus())
			require.Equal(t, ackscale.CodeNodePoolNotFound, se.ErrorCode())
			if kind.name == "standard" {
				acct := srv.CreateAccount(t)
				other := newSDKClient(t, srv, acct.AccessKeyID, acct.AccessKeySecret)
				_, err = other.PoolDetail(id, np)
				require.Equal(t, "ErrorClusterNotFound", serverError(t, err).ErrorCode())
				_, err = other.ScalePool(id, np, 1)
				require.Equal(t, "ErrorClusterNotFound", serverError(t, err).ErrorCode())
				_, err = other.Pools(id, "")
				require.Equal(t, "ErrorClusterNotFound", serverError(t, err).ErrorCode())
			}

			// DescribeClusterNodePools: the default pool and ours; by name, ours.
			list, err := c.Pools(id, "")
			require.NoError(t, err, "DescribeClusterNodePools")
			pools := decodePools(t, list.GetHttpContentBytes())
			require.Len(t, pools, 2)
			require.Equal(t, ackscale.DefaultNodePoolName, *pools[0].NodepoolInfo.Name, "the default pool first")
			require.True(t, pools[0].NodepoolInfo.IsDefault)
			require.Equal(t, np, pools[1].NodepoolInfo.NodepoolID)
			require.Equal(t, 2, pools[1].total())
			byName, err := c.Pools(id, "gosdk-pool")
			require.NoError(t, err)
			named := decodePools(t, byName.GetHttpContentBytes())
			require.Len(t, named, 1)
			require.Equal(t, np, named[0].NodepoolInfo.NodepoolID)

			// ScaleClusterNodePool count 2: 2 → 4.
			sc, err := c.ScalePool(id, np, 2)
			require.NoError(t, err, "ScaleClusterNodePool")
			require.Equal(t, http.StatusAccepted, sc.GetHttpStatus())
			require.Regexp(t, `^T-[0-9a-f]+$`, sc.TaskId)
			c.waitTask(t, sc.TaskId)
			requireCounts(t, c.poolOf(t, id, np), 4)
			four := instanceIDs(c.poolNodes(t, id, np, 4))
			require.Subset(t, four, first)

			// ModifyClusterNodePool desired_size 1: the newest 3 go.
			md, err := c.ModifyPool(id, np, `{"scaling_group":{"desired_size":1}}`)
			require.NoError(t, err, "ModifyClusterNodePool")
			require.Equal(t, http.StatusAccepted, md.GetHttpStatus())
			require.Equal(t, np, md.NodepoolId)
			c.waitTask(t, md.TaskId)
			requireCounts(t, c.poolOf(t, id, np), 1)
			one := instanceIDs(c.poolNodes(t, id, np, 1))
			require.Subset(t, first, one, "a scale-in removes the newest nodes")

			// Modify labels with update_nodes.
			md, err = c.ModifyPool(id, np, `{"kubernetes_config":{"labels":[{"key":"team","value":"green"}]},"update_nodes":true}`)
			require.NoError(t, err)
			c.waitTask(t, md.TaskId)
			p = c.poolOf(t, id, np)
			requireCounts(t, p, 1)
			require.Equal(t, []poolLabel{{"team", "green"}}, p.KubernetesConfig.Labels)
			require.Equal(t, one, instanceIDs(c.poolNodes(t, id, np, 1)))

			// +1, then RemoveNodePoolNodes of the older one.
			sc, err = c.ScalePool(id, np, 1)
			require.NoError(t, err)
			c.waitTask(t, sc.TaskId)
			two := instanceIDs(c.poolNodes(t, id, np, 2))
			rm, err := c.RemovePoolNodes(id, np, one)
			require.NoError(t, err, "RemoveNodePoolNodes")
			require.NotEmpty(t, rm.TaskID)
			c.waitTask(t, rm.TaskID)
			requireCounts(t, c.poolOf(t, id, np), 1)
			left := instanceIDs(c.poolNodes(t, id, np, 1))
			require.NotContains(t, left, one[0])
			require.Subset(t, two, left)

			// A pool with nodes is not deleted without force.
			_, err = c.DeletePool(id, np, false)
			se = serverError(t, err)
			require.Equal(t, ackscale.CodeNodePoolState, se.ErrorCode())

			del, err := c.DeletePool(id, np, true)
			require.NoError(t, err, "DeleteClusterNodepool force=true")
			require.NotEmpty(t, del.RequestID)
			c.waitTask(t, del.TaskID)
			_, err = c.PoolDetail(id, np)
			se = serverError(t, err)
			require.Equal(t, http.StatusNotFound, se.HttpStatus())
			require.Equal(t, ackscale.CodeNodePoolNotFound, se.ErrorCode())
			c.poolNodes(t, id, np, 0)
			list, err = c.Pools(id, "")
			require.NoError(t, err)
			require.Len(t, decodePools(t, list.GetHttpContentBytes()), 1)

			// The default pool cannot be deleted.
			_, err = c.DeletePool(id, pools[0].NodepoolInfo.NodepoolID, true)
			require.Equal(t, ackscale.CodeNodePoolState, serverError(t, err).ErrorCode())
		})
	}
}

// clusterVSwitches is DescribeClusterDetail's vswitch_ids.
func (c *sdkClient) clusterVSwitches(t testing.TB, clusterID string) []string {
	t.Helper()
	req := cs.CreateDescribeClusterDetailRequest()
	c.point(req.RoaRequest)
	req.ClusterId = clusterID
	resp, err := c.c.DescribeClusterDetail(req)
	require.NoError(t, err)
	var d struct {
		VSwitchIDs []string `json:"vswitch_ids"`
	}
	require.NoError(t, json.Unmarshal(resp.GetHttpContentBytes(), &d))
	require.NotEmpty(t, d.VSwitchIDs, "cluster %s has vSwitches", clusterID)
	return d.VSwitchIDs
}

// decodePools decodes DescribeClusterNodePools' answer, each pool as decodePool.
func decodePools(t testing.TB, raw []byte) []poolView {
	t.Helper()
	var list struct {
		Nodepools []json.RawMessage `json:"nodepools"`
	}
	require.NoError(t, json.Unmarshal(raw, &list), "%s", raw)
	require.NotNil(t, list.Nodepools, "nodepools: %s", raw)
	pools := make([]poolView, 0, len(list.Nodepools))
	for _, p := range list.Nodepools {
		pools = append(pools, decodePool(t, p))
	}
	return pools
}

// ---- two pools at once ----

// TestPoolsOfOneClusterScaleInParallel scales two pools of one cluster at
// once (out, then in): both tasks succeed. Meanwhile a second operation on
// a busy pool is refused with ErrorNodePoolState and a ScaleOutCluster of
// the cluster with ErrorClusterState.
func TestPoolsOfOneClusterScaleInParallel(t *testing.T) {
	t.Parallel()
	// Every instance boots in 3 s: long enough to send the refused calls
	// while both pools scale.
	srv := startServer(t, testserver.Options{Args: []string{"--boot-latency", "3s"}, AdminToken: adminToken})
	c := sdkClientOf(t, srv)
	id := c.createCluster(t, fmt.Sprintf(createStandardHangzhou, "parallel-pools"))
	vsws := c.clusterVSwitches(t, id)

	var pools []string
	var creates []string
	for _, name := range []string{"pool-a", "pool-b"} {
		body, err := json.Marshal(map[string]any{"nodepool_info": map[string]any{"name": name},
			"scaling_group": map[string]any{"desired_size": 1, "instance_types": []string{"ecs.g6.large"},
				"vswitch_ids": vsws, "key_pair": "secrity-key"}})
		require.NoError(t, err)
		cr, err := c.CreatePool(id, string(body))
		require.NoError(t, err, "CreateClusterNodePool %s while the other pool is created", name)
		pools = append(pools, cr.NodepoolId)
		creates = append(creates, answerOf(t, cr.GetHttpContentBytes()).TaskID)
	}
	for _, task := range creates {
		c.waitTask(t, task)
	}

	// Scale both out at once.
	clients := []*sdkClient{sdkClientOf(t, srv), sdkClientOf(t, srv)}
	tasks := atOnce(t, clients, pools, "ScaleClusterNodePool of %s while the other pool scales",
		func(c *sdkClient, np string) (responses.AcsResponse, error) { return c.ScalePool(id, np, 2) })

	// Both are busy now: the pools scaling (their new workers counted as
	// initial once created, the counts adding up at every read), the
	// cluster still running.
	for _, np := range pools {
		poll(t, "pool "+np+" with its new workers booting", func() (bool, string, error) {
			p := c.poolOf(t, id, np)
			s := p.Status
			require.Equal(t, "scaling", s.State)
			require.Equal(t, 3, p.desired())
			require.Equal(t, int64(p.total()), s.HealthyNodes+s.InitialNodes+s.FailedNodes+s.OfflineNodes+s.RemovingNodes,
				"the counts add up: %+v", s)
			require.Equal(t, int64(1), s.HealthyNodes)
			return s.InitialNodes == 2, fmt.Sprintf("%+v", s), nil
		})
		require.Equal(t, 3, c.poolOf(t, id, np).total())
	}
	d, err := c.Detail(id)
	require.NoError(t, err)
	require.Equal(t, "running", d.State, "a pool's operation moves the pool, not the cluster")

	_, err = c.ScalePool(id, pools[0], 1)
	require.Equal(t, ackscale.CodeNodePoolState, serverError(t, err).ErrorCode(), "a second operation on a busy pool")
	_, err = c.ModifyPool(id, pools[1], `{"scaling_group":{"desired_size":1}}`)
	require.Equal(t, ackscale.CodeNodePoolState, serverError(t, err).ErrorCode())
	_, err = c.DeletePool(id, pools[1], true)
	require.Equal(t, ackscale.CodeNodePoolState, serverError(t, err).ErrorCode())
	_, err = c.ScaleOut(id, `{"count":1,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}`)
	se := serverError(t, err)
	require.Equal(t, ackscale.CodeClusterState, se.ErrorCode(), "ScaleOutCluster while a pool scales: %s", se.Message())

	for _, task := range tasks {
		c.waitTask(t, task)
	}
	for _, np := range pools {
		requireCounts(t, c.poolOf(t, id, np), 3)
		c.poolNodes(t, id, np, 3)
	}

	// Scale both in at once.
	tasks = atOnce(t, clients, pools, "ModifyClusterNodePool of %s while the other pool scales in",
		func(c *sdkClient, np string) (responses.AcsResponse, error) {
			return c.ModifyPool(id, np, `{"scaling_group":{"desired_size":1}}`)
		})
	for _, task := range tasks {
		c.waitTask(t, task)
	}
	for _, np := range pools {
		requireCounts(t, c.poolOf(t, id, np), 1)
		c.poolNodes(t, id, np, 1)
	}
	require.Len(t, liveInstances(t, srv), 2)
	// The cluster takes its own operations again.
	so, err := c.ScaleOut(id, `{"count":1,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}`)
	require.NoError(t, err, "ScaleOutCluster once no pool is busy")
	c.waitTask(t, so.TaskId)
	var check ackscale.Check
	admin(t, srv, "GET", "check", nil, &check)
	require.Zero(t, check.Leaked)
	require.Zero(t, check.Lost)
}

// atOnce runs op on each pool at the same time, each from its own client
// (an SDK client is not safe for concurrent use), requires that each
// succeeded (msg names the pool by %s) and returns the tasks they started.
func atOnce(t *testing.T, clients []*sdkClient, pools []string, msg string,
	op func(c *sdkClient, np string) (responses.AcsResponse, error)) []string {
	t.Helper()
	resps := make([]responses.AcsResponse, len(pools))
	errs := make([]error, len(pools))
	var wg sync.WaitGroup
	for i, np := range pools {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resps[i], errs[i] = op(clients[i], np)
		}()
	}
	wg.Wait()
	tasks := make([]string, len(pools))
	for i := range pools {
		require.NoError(t, errs[i], msg, pools[i])
		tasks[i] = answerOf(t, resps[i].GetHttpContentBytes()).TaskID
	}
	return tasks
}

// TestDefaultNodePoolModify modifies the default pool of a standard
// cluster created without worker settings, whose workers ScaleOutCluster
// added: a labels change with update_nodes, then a smaller desired_size,
// neither naming instance types or a key pair (the request changes neither).
func TestDefaultNodePoolModify(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{AdminToken: adminToken})
	c := sdkClientOf(t, srv)
	id := c.createCluster(t, fmt.Sprintf(createStandardHangzhou, "default-pool"))
	c.scaleOut(t, id, 2)

	list, err := c.Pools(id, "")
	require.NoError(t, err)
	def := decodePools(t, list.GetHttpContentBytes())[0]
	require.True(t, def.NodepoolInfo.IsDefault)
	np := def.NodepoolInfo.NodepoolID
	requireCounts(t, def, 2)
	c.poolNodes(t, id, np, 2)

	md, err := c.ModifyPool(id, np, `{"kubernetes_config":{"labels":[{"key":"team","value":"core"}]},"update_nodes":true}`)
	require.NoError(t, err, "a labels change of the default pool")
	c.waitTask(t, md.TaskId)
	p := c.poolOf(t, id, np)
	requireCounts(t, p, 2)
	require.Equal(t, []poolLabel{{"team", "core"}}, p.KubernetesConfig.Labels)

	md, err = c.ModifyPool(id, np, `{"kubernetes_config":{},"nodepool_info":{},"scaling_group":{"desired_size":1}}`)
	require.NoError(t, err, "a smaller desired_size of the default pool")
	c.waitTask(t, md.TaskId)
	requireCounts(t, c.poolOf(t, id, np), 1)
	c.poolNodes(t, id, np, 1)
}

// TestRemoveNodePoolNodesDesiredSize watches a pool while
// RemoveNodePoolNodes runs (the release slowed down): as for every pool
// task, desired_size is the size the task makes from the start (docs/api.md
// "Sizes"), and the counts show the node being removed.
func TestRemoveNodePoolNodesDesiredSize(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{AdminToken: adminToken})
	c := sdkClientOf(t, srv)
	id := c.createCluster(t, fmt.Sprintf(createStandardHangzhou, "remove-size"))
	body, err := json.Marshal(map[string]any{"nodepool_info": map[string]any{"name": "rm"},
		"scaling_group": map[string]any{"desired_size": 2, "instance_types": []string{"ecs.g6.large"},
			"vswitch_ids": c.clusterVSwitches(t, id), "key_pair": "secrity-key"}})
	require.NoError(t, err)
	cr, err := c.CreatePool(id, string(body))
	require.NoError(t, err)
	np := cr.NodepoolId
	c.waitTask(t, answerOf(t, cr.GetHttpContentBytes()).TaskID)
	victim := instanceIDs(c.poolNodes(t, id, np, 2))[:1]

	admin(t, srv, "POST", "faults", ackscale.Fault{Operation: ackscale.FaultRelease, Latency: 2 * time.Second, Count: 1}, nil)
	rm, err := c.RemovePoolNodes(id, np, victim)
	require.NoError(t, err)
	p := c.poolOf(t, id, np)
	task, err := c.TaskInfo(rm.TaskID)
	require.NoError(t, err)
	require.Equal(t, "running", task.State, "the release takes 2 s")
	require.Equal(t, "removing", p.Status.State)
	require.Equal(t, 2, p.total(), "the node being removed still counts")
	require.Equal(t, int64(1), p.Status.RemovingNodes)
	require.Equal(t, 1, p.desired(), "desired_size is the size the task makes while it runs")

	c.waitTask(t, rm.TaskID)
	requireCounts(t, c.poolOf(t, id, np), 1)
}
