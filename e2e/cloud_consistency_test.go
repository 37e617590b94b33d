package e2e

// The emulated cloud through its own APIs agrees with CS (issue 12): ECS
// DescribeInstances, filtered by the tag ACK puts on a cluster's
// instances, lists exactly the instances DescribeClusterNodes lists, with
// the same private IPs, and VPC DescribeVSwitches' AvailableIpAddressCount
// moves by exactly the addresses the workers take, through scale-outs
// and scale-ins. All through the Go SDK's typed clients.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// The tags ACK puts on a cluster's ECS instances (rpcapi.TagCluster and
// TagNodePool, spelled out: the test states what a client filters on).
const (
	tagCluster  = "ack.aliyun.com"
	tagNodePool = "ack.alibabacloud.com/nodepool-id"
)

// The default VPC of cn-hangzhou and two of its vSwitches, in two zones.
const (
	consistencyVPC = "vpc-bp1ackscaledefault001"
	vswG           = "vsw-bp1ackscaledefaultg01"
	vswH           = "vsw-bp1ackscaledefaulth01"
)

// cloudAPI is the ECS and VPC clients of the Go SDK pointed at a server.
type cloudAPI struct {
	ecs        *ecs.Client
	vpc        *vpc.Client
	host, port string
}

func newCloudAPI(t testing.TB, srv *testserver.Server) *cloudAPI {
	t.Helper()
	host, port, err := net.SplitHostPort(srv.Addr)
	require.NoError(t, err)
	// The SDK fills package-level endpoint maps without a lock when a
	// client is made (see newClientMu).
	newClientMu.Lock()
	defer newClientMu.Unlock()
	e, err := ecs.NewClientWithAccessKey(fixtureRegion, srv.AccessKeyID, srv.AccessKeySecret)
	require.NoError(t, err)
	v, err := vpc.NewClientWithAccessKey(fixtureRegion, srv.AccessKeyID, srv.AccessKeySecret)
	require.NoError(t, err)
	return &cloudAPI{ecs: e, vpc: v, host: host, port: port}
}

func (c *cloudAPI) point(r *requests.RpcRequest) { r.Scheme, r.Domain, r.Port = "http", c.host, c.port }

// instances lists every page of DescribeInstances in the region with
// filter applied to each page's request.
func (c *cloudAPI) instances(t testing.TB, filter func(*ecs.DescribeInstancesRequest)) []ecs.Instance {
	t.Helper()
	var out []ecs.Instance
	for page := 1; ; page++ {
		req := ecs.CreateDescribeInstancesRequest()
		c.point(req.RpcRequest)
		req.PageSize, req.PageNumber = requests.NewInteger(2), requests.NewInteger(page) // small pages: paging is exercised
		if filter != nil {
			filter(req)
		}
		resp, err := c.ecs.DescribeInstances(req)
		require.NoError(t, err, "DescribeInstances page %d", page)
		require.Equal(t, page, resp.PageNumber)
		out = append(out, resp.Instances.Instance...)
		if len(resp.Instances.Instance) == 0 || len(out) >= resp.TotalCount {
			require.Len(t, out, resp.TotalCount, "the pages hold TotalCount instances")
			return out
		}
	}
}

// clusterInstances are the instances tagged as the cluster's.
func (c *cloudAPI) clusterInstances(t testing.TB, clusterID string) []ecs.Instance {
	t.Helper()
	return c.instances(t, func(r *ecs.DescribeInstancesRequest) {
		r.Tag = &[]ecs.DescribeInstancesTag{{Key: tagCluster, Value: clusterID}}
	})
}

// vswitches returns the default VPC's vSwitches by id.
func (c *cloudAPI) vswitches(t testing.TB) map[string]vpc.VSwitch {
	t.Helper()
	req := vpc.CreateDescribeVSwitchesRequest()
	c.point(req.RpcRequest)
	req.VpcId, req.PageSize = consistencyVPC, requests.NewInteger(50)
	resp, err := c.vpc.DescribeVSwitches(req)
	require.NoError(t, err, "DescribeVSwitches")
	require.Len(t, resp.VSwitches.VSwitch, resp.TotalCount)
	out := map[string]vpc.VSwitch{}
	for _, v := range resp.VSwitches.VSwitch {
		require.Equal(t, consistencyVPC, v.VpcId)
		out[v.VSwitchId] = v
	}
	require.Contains(t, out, vswG)
	require.Contains(t, out, vswH)
	return out
}

// tagValue is the value of an instance's tag, "" when it has none.
func tagValue(in ecs.Instance, key string) string {
	for _, tg := range in.Tags.Tag {
		switch key {
		case tg.Key:
			return tg.Value
		case tg.TagKey:
			return tg.TagValue
		}
	}
	return ""
}

// nodeVSwitches reads the vswitch_id ackscale adds to each node of
// DescribeClusterNodes (the SDK's Node has no such field).
func nodeVSwitches(t testing.TB, resp *cs.DescribeClusterNodesResponse) map[string]string {
	t.Helper()
	var raw struct {
		Nodes []struct {
			InstanceID string `json:"instance_id"`
			VSwitchID  string `json:"vswitch_id"`
		} `json:"nodes"`
	}
	require.NoError(t, json.Unmarshal(resp.GetHttpContentBytes(), &raw))
	out := map[string]string{}
	for _, n := range raw.Nodes {
		out[n.InstanceID] = n.VSwitchID
	}
	return out
}

// consistency is what the test expects of the cloud: its clusters, the
// vSwitch of each instance it made, the instances that left their cluster
// but live on, and the free addresses of each vSwitch before anything was
// made.
type consistency struct {
	clusters  []string
	vswitchOf map[string]string // instance id → vSwitch
	kept      []string          // removed from the cluster, not released
	free0     map[string]int64
}

// check compares ECS, VPC and CS: each cluster's nodes are the instances
// tagged with its id, and every vSwitch has lost exactly the addresses
// of the live instances in it.
func (x *consistency) check(t *testing.T, sdk *sdkClient, cloud *cloudAPI) {
	t.Helper()
	vsws := cloud.vswitches(t)
	used := map[string]int64{}
	live := 0
	for _, id := range x.clusters {
		for _, n := range x.checkCluster(t, sdk, cloud, vsws, id) {
			used[x.vswitchOf[n.InstanceId]]++
			live++
		}
	}

	// Instances removed without release live on, outside the cluster.
	if len(x.kept) > 0 {
		ids, err := json.Marshal(x.kept)
		require.NoError(t, err)
		kept := cloud.instances(t, func(r *ecs.DescribeInstancesRequest) { r.InstanceIds = string(ids) })
		require.Len(t, kept, len(x.kept), "instances removed without release_node are still ECS instances")
		for _, in := range kept {
			require.Equal(t, "Running", in.Status, in.InstanceId)
			require.Empty(t, tagValue(in, tagCluster), "%s left its cluster: no %s tag", in.InstanceId, tagCluster)
			require.Equal(t, x.vswitchOf[in.InstanceId], in.VpcAttributes.VSwitchId)
			used[x.vswitchOf[in.InstanceId]]++
			live++
		}
	}

	// Each live instance takes one address of its vSwitch.
	for vid, v := range vsws {
		require.Equal(t, x.free0[vid]-used[vid], v.AvailableIpAddressCount,
			"AvailableIpAddressCount of %s, which %d live instances use", vid, used[vid])
	}
	all := cloud.instances(t, func(r *ecs.DescribeInstancesRequest) { r.VpcId = consistencyVPC })
	require.Len(t, all, live, "the VPC's instances are the clusters' nodes and the kept ones")
}

// checkCluster compares DescribeClusterNodes of cluster id with the
// instances tagged as its own, and returns the nodes.
func (x *consistency) checkCluster(t *testing.T, sdk *sdkClient, cloud *cloudAPI, vsws map[string]vpc.VSwitch, id string) []cs.Node {
	t.Helper()
	nodesResp, err := sdk.Nodes(id, "")
	require.NoError(t, err, "DescribeClusterNodes")
	nodes := nodesResp.Nodes
	require.Len(t, nodes, nodesResp.Page.TotalCount)
	nodeVSw := nodeVSwitches(t, nodesResp)

	byID := map[string]ecs.Instance{}
	for _, in := range cloud.clusterInstances(t, id) {
		require.NotContains(t, byID, in.InstanceId, "DescribeInstances lists %s twice", in.InstanceId)
		require.Equal(t, id, tagValue(in, tagCluster))
		byID[in.InstanceId] = in
	}
	require.ElementsMatch(t, instanceIDs(nodes), keys(byID), "ECS instances tagged %s=%s are the cluster's nodes", tagCluster, id)
	for _, n := range nodes {
		in := byID[n.InstanceId]
		require.Len(t, n.IpAddress, 1, "node %s", n.NodeName)
		require.Equal(t, n.IpAddress, in.VpcAttributes.PrivateIpAddress.IpAddress, "private IP of %s", n.InstanceId)
		require.Equal(t, n.InstanceStatus, in.Status, "status of %s", n.InstanceId)
		require.Equal(t, "Running", in.Status)
		require.Equal(t, n.InstanceType, in.InstanceType, n.InstanceId)
		require.Equal(t, n.ImageId, in.ImageId, n.InstanceId)
		require.Equal(t, n.HostName, in.HostName, n.InstanceId)
		require.Equal(t, n.NodepoolId, tagValue(in, tagNodePool), "node pool tag of %s", n.InstanceId)
		require.Equal(t, consistencyVPC, in.VpcAttributes.VpcId)
		want := x.vswitchOf[n.InstanceId]
		require.Equal(t, want, in.VpcAttributes.VSwitchId, "vSwitch of %s: the scale-out's", n.InstanceId)
		if got := nodeVSw[n.InstanceId]; got != "" {
			require.Equal(t, want, got, "CS's vswitch_id of %s", n.InstanceId)
		}
		vsw := vsws[want]
		require.Equal(t, vsw.ZoneId, in.ZoneId, n.InstanceId)
		prefix := netip.MustParsePrefix(vsw.CidrBlock)
		require.True(t, prefix.Contains(netip.MustParseAddr(n.IpAddress[0])), "%s lies in %s's %s", n.IpAddress[0], want, vsw.CidrBlock)
	}
	return nodes
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestCloudConsistency scales a cluster out into two vSwitches and in
// through each removal route, checking after every step that ECS, VPC and
// CS agree.
func TestCloudConsistency(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	sdk := sdkClientOf(t, srv)
	cloud := newCloudAPI(t, srv)
	acs := srv.Client()
	x := &consistency{vswitchOf: map[string]string{}, free0: map[string]int64{}}
	for vid, v := range cloud.vswitches(t) {
		require.Equal(t, cidrSize(t, v.CidrBlock)-4, v.AvailableIpAddressCount, "%s is unused", vid)
		x.free0[vid] = v.AvailableIpAddressCount
	}
	id := sdk.createCluster(t, fmt.Sprintf(createStandardHangzhou, "e2e-consistency"))
	// Another cluster's worker shares zone g: the tag filter must leave it out.
	other := sdk.createCluster(t, fmt.Sprintf(createStandardHangzhou, "e2e-consistency-other"))
	x.clusters = []string{id, other}
	x.check(t, sdk, cloud)

	scaleOut := func(clusterID string, count int, vswitch string) func(t *testing.T) {
		return func(t *testing.T) {
			resp, err := sdk.ScaleOut(clusterID, fmt.Sprintf(`{"count":%d,"key_pair":"secrity-key",`+
				`"worker_instance_types":["ecs.g6.large"],"vswitch_ids":[%q]}`, count, vswitch))
			require.NoError(t, err, "ScaleOutCluster")
			task := sdk.waitTask(t, resp.TaskId)
			require.Len(t, task.TaskResult.Task, count)
			for _, r := range task.TaskResult.Task {
				x.vswitchOf[r.Data] = vswitch
			}
		}
	}
	// pick names n nodes of the cluster in vswitch.
	pick := func(t *testing.T, n int, vswitch string) (names, ids []string) {
		nodes, err := sdk.Nodes(id, "")
		require.NoError(t, err)
		for _, node := range nodes.Nodes {
			if x.vswitchOf[node.InstanceId] == vswitch && len(names) < n {
				names, ids = append(names, node.NodeName), append(ids, node.InstanceId)
			}
		}
		require.Len(t, names, n, "nodes in %s", vswitch)
		return names, ids
	}
	body := func(t *testing.T, names []string, release bool) string {
		b, err := json.Marshal(map[string]any{"nodes": names, "release_node": release, "drain_node": false})
		require.NoError(t, err)
		return string(b)
	}
	ctx := context.Background()

	for _, step := range []struct {
		name string
		run  func(t *testing.T)
	}{
		{"another cluster: scale out 1 into zone g", scaleOut(other, 1, vswG)},
		{"scale out 3 into zone g", scaleOut(id, 3, vswG)},
		{"scale out 2 into zone h", scaleOut(id, 2, vswH)},
		{"remove 1 of g and 1 of h, released (POST /clusters/{id}/nodes)", func(t *testing.T) {
			g, _ := pick(t, 1, vswG)
			h, _ := pick(t, 1, vswH)
			ans, err := sdk.DeleteNodes(id, body(t, append(g, h...), true))
			require.NoError(t, err, "DeleteClusterNodes")
			sdk.waitTask(t, ans.TaskID)
		}},
		{"remove 1 of g, kept (POST /api/v2/clusters/{id}/nodes/remove)", func(t *testing.T) {
			names, ids := pick(t, 1, vswG)
			var ans asyncAnswer
			require.NoError(t, acs.Do(ctx, http.MethodPost, "/api/v2/clusters/"+id+"/nodes/remove",
				[]byte(body(t, names, false)), &ans), "RemoveClusterNodes")
			sdk.waitTask(t, ans.TaskID)
			x.kept = append(x.kept, ids...)
		}},
		{"remove the last of h by instance id, released (DELETE /clusters/{id}/nodes)", func(t *testing.T) {
			_, ids := pick(t, 1, vswH)
			q := url.Values{"nodes": {strings.Join(ids, ",")}, "release_node": {"true"}}
			var ans asyncAnswer
			require.NoError(t, acs.Do(ctx, http.MethodDelete, "/clusters/"+id+"/nodes?"+q.Encode(), nil, &ans), "DeleteClusterNodes (DELETE)")
			sdk.waitTask(t, ans.TaskID)
		}},
		{"scale out 1 into zone h again", scaleOut(id, 1, vswH)},
	} {
		t.Run(step.name, func(t *testing.T) {
			step.run(t)
			x.check(t, sdk, cloud)
		})
		if t.Failed() {
			return
		}
	}
	nodes, err := sdk.Nodes(id, "")
	require.NoError(t, err)
	require.Len(t, nodes.Nodes, 2, "6 out, 4 removed")
}
