package e2e

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// Create bodies of each cluster kind the Go SDK creates.
const (
	createStandardBeijing = `{"name":"e2e-standard","region_id":"cn-beijing","cluster_type":"ManagedKubernetes",` +
		`"kubernetes_version":"1.34.4"}`
	createStandardHangzhou = `{"name":"%s","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes",` +
		`"kubernetes_version":"1.34.4"}`
	createEdge = `{"name":"%s","region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes","profile":"Edge",` +
		`"kubernetes_version":"1.34.4"}`
	// The sandbox cluster lives in cn-beijing, whose default VPC holds the
	// vSwitch seed 004's example names.
	createSandbox = `{"name":"e2e-sandbox","region_id":"cn-beijing","cluster_type":"ManagedKubernetes",` +
		`"kubernetes_version":"1.34.4","runtime":{"name":"Sandboxed-Container.runv","version":"2.2.3"}}`
	// The dedicated cluster is in cn-beijing too: seed 002's vSwitch is there.
	createDedicatedBeijing = `{"name":"e2e-dedicated","region_id":"cn-beijing","cluster_type":"Kubernetes",` +
		`"kubernetes_version":"1.34.4","login_password":"Hello1234","worker_instance_types":["ecs.sn1ne.large"],` +
		`"worker_system_disk_category":"cloud_efficiency","worker_system_disk_size":40}`
)

// scaleCase is one cluster kind scaled out with a seed's example body.
type scaleCase struct {
	name         string
	create       string // CreateCluster body
	scale        string // ScaleOutCluster body, a seed's example verbatim
	count        int    // workers the scale-out adds
	instanceType string // of every new worker
	nodePrefix   string // node_name is nodePrefix + "." + the worker's IP
}

var scaleCases = []scaleCase{
	{name: "standard/seed002", create: createStandardBeijing, scale: seed002Body, count: 3,
		instanceType: "ecs.c5.xlarge", nodePrefix: "cn-beijing"},
	{name: "edge/seed001", create: fmt.Sprintf(createEdge, "e2e-edge-001"), scale: seed001Body, count: 1,
		instanceType: "ens.sn1.tiny", nodePrefix: "cn-beijing-telecom"},
	{name: "edge/seed003", create: fmt.Sprintf(createEdge, "e2e-edge-003"), scale: seed003Body, count: 1,
		instanceType: "ens.sn1.tiny", nodePrefix: "cn-beijing-telecom"},
	{name: "sandbox/seed004", create: createSandbox, scale: seed004Body, count: 1,
		instanceType: "ecs.ebmg5s.24xlarge", nodePrefix: "cn-beijing"},
	{name: "dedicated/seed002", create: createDedicatedBeijing, scale: seed002Body, count: 3,
		instanceType: "ecs.c5.xlarge", nodePrefix: "cn-beijing"},
}

// TestGoSDKScaleOut creates a cluster of each kind with the old Go SDK,
// scales it out with its seed's example body and checks the task and the
// nodes through the SDK's response structs.
func TestGoSDKScaleOut(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	for _, tc := range scaleCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := sdkClientOf(t, srv)
			id := c.createCluster(t, tc.create)

			resp, err := c.ScaleOut(id, tc.scale)
			require.NoError(t, err, "ScaleOutCluster")
			require.Equal(t, http.StatusAccepted, resp.GetHttpStatus())
			require.Equal(t, id, resp.ClusterId)
			require.NotEmpty(t, resp.RequestId)
			require.Regexp(t, `^T-[0-9a-f]+$`, resp.TaskId)

			task := c.waitTask(t, resp.TaskId)
			require.Equal(t, id, task.ClusterId)
			require.Equal(t, "cluster_scaleout", task.TaskType)
			require.Len(t, task.TaskResult.Task, tc.count, "task_result: %s", task.GetHttpContentString())
			var fromTask []string
			for _, r := range task.TaskResult.Task {
				require.Regexp(t, `^i-[0-9a-z]+$`, r.Data)
				require.Equal(t, "success", r.Status)
				fromTask = append(fromTask, r.Data)
			}

			nodes := requireNodes(t, c, id, tc.count, tc.instanceType, tc.nodePrefix)
			require.ElementsMatch(t, fromTask, instanceIDs(nodes), "the nodes are the instances the task made")

			d, err := c.Detail(id)
			require.NoError(t, err)
			require.Equal(t, "running", d.State)
			require.Equal(t, tc.count, d.Size)
		})
	}
}

// requireNodes lists the cluster's nodes through the SDK and checks there
// are exactly want, all running and Ready, each with its own IP, and the
// fields filled (image_id has its own test, TestGoSDKNodeImage).
func requireNodes(t testing.TB, c *sdkClient, clusterID string, want int, instanceType, nodePrefix string) []cs.Node {
	t.Helper()
	resp, err := c.Nodes(clusterID, "")
	require.NoError(t, err, "DescribeClusterNodes")
	require.Equal(t, want, resp.Page.TotalCount, "page.total_count: %s", resp.GetHttpContentString())
	require.Equal(t, 1, resp.Page.PageNumber)
	require.Equal(t, 100, resp.Page.PageSize)
	require.Len(t, resp.Nodes, want)
	body := resp.GetHttpContentString()
	seen := map[string]bool{}
	for _, n := range resp.Nodes {
		require.Regexp(t, `^i-[0-9a-z]+$`, n.InstanceId)
		require.Len(t, n.IpAddress, 1, "node %s", n.InstanceId)
		ip := net.ParseIP(n.IpAddress[0])
		require.NotNil(t, ip, "ip_address %q", n.IpAddress[0])
		require.NotNil(t, ip.To4(), "ip_address %q is IPv4", n.IpAddress[0])
		require.Equal(t, nodePrefix+"."+n.IpAddress[0], n.NodeName)
		require.False(t, seen[n.NodeName], "two nodes named %s: %s", n.NodeName, body)
		seen[n.NodeName] = true
		require.Equal(t, instanceType, n.InstanceType)
		require.Equal(t, "running", n.State)
		require.Equal(t, "Ready", n.NodeStatus)
		require.Equal(t, "Running", n.InstanceStatus)
		require.Equal(t, "Worker", n.InstanceRole)
		require.Equal(t, instanceType[:strings.LastIndex(instanceType, ".")], n.InstanceTypeFamily)
		require.NotEmpty(t, n.CreationTime)
		require.NotEmpty(t, n.HostName, "host_name of %s: %s", n.InstanceId, body)
	}
	running, err := c.Nodes(clusterID, "running")
	require.NoError(t, err, "DescribeClusterNodes state=running")
	require.Equal(t, want, running.Page.TotalCount)
	return resp.Nodes
}

func instanceIDs(nodes []cs.Node) []string {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = n.InstanceId
	}
	return ids
}

// TestGoSDKErrors checks the error envelope through the old Go SDK's
// *errors.ServerError: validation, not found, signature, other account.
func TestGoSDKErrors(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	c := sdkClientOf(t, srv)
	id := c.createCluster(t, fmt.Sprintf(createStandardHangzhou, "e2e-errors"))

	t.Run("count 0", func(t *testing.T) {
		_, err := c.ScaleOut(id, `{"count":0,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}`)
		se := serverError(t, err)
		require.Equal(t, http.StatusBadRequest, se.HttpStatus())
		require.NotEmpty(t, se.ErrorCode())
		require.NotEmpty(t, se.RequestId())
		require.Contains(t, se.Message(), "count")
		require.NotContains(t, se.Message(), "requestId", "Message is the message, not the whole body")
	})

	t.Run("unknown cluster", func(t *testing.T) {
		const unknown = "c00000000000000000000000000000000"
		_, err := c.Detail(unknown)
		se := serverError(t, err)
		require.Equal(t, http.StatusNotFound, se.HttpStatus())
		require.Equal(t, "ErrorClusterNotFound", se.ErrorCode())
		require.NotEmpty(t, se.RequestId())
		require.Contains(t, se.Message(), unknown)

		_, err = c.ScaleOut(unknown, `{"count":1,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}`)
		se = serverError(t, err)
		require.Equal(t, http.StatusNotFound, se.HttpStatus())
		require.Equal(t, "ErrorClusterNotFound", se.ErrorCode())
	})

	t.Run("wrong secret", func(t *testing.T) {
		bad := newSDKClient(t, srv, srv.AccessKeyID, srv.AccessKeySecret+"x")
		_, err := bad.Detail(id)
		se := serverError(t, err)
		require.Equal(t, http.StatusBadRequest, se.HttpStatus())
		require.Equal(t, "SignatureDoesNotMatch", se.ErrorCode())
		require.NotEmpty(t, se.RequestId())
		require.Contains(t, se.Message(), "server string to sign is:")
		// The SDK compared the server's string to sign with its own and
		// found them equal: the secret is wrong, not the signing.
		require.Contains(t, se.Recommend(), "InvalidAccessKeySecret", "Recommend %q; Message %q", se.Recommend(), se.Message())
	})

	t.Run("unknown access key", func(t *testing.T) {
		bad := newSDKClient(t, srv, "LTAIdoesnotexist0000", srv.AccessKeySecret)
		_, err := bad.Detail(id)
		se := serverError(t, err)
		require.Equal(t, "InvalidAccessKeyId.NotFound", se.ErrorCode())
		require.NotEmpty(t, se.RequestId())
	})

	t.Run("another account", func(t *testing.T) {
		acct := srv.CreateAccount(t)
		other := newSDKClient(t, srv, acct.AccessKeyID, acct.AccessKeySecret)
		_, err := other.Detail(id)
		se := serverError(t, err)
		require.Equal(t, http.StatusNotFound, se.HttpStatus())
		require.Equal(t, "ErrorClusterNotFound", se.ErrorCode())

		_, err = other.ScaleOut(id, `{"count":1,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}`)
		se = serverError(t, err)
		require.Equal(t, http.StatusNotFound, se.HttpStatus())
		require.Equal(t, "ErrorClusterNotFound", se.ErrorCode())

		_, err = other.Nodes(id, "")
		se = serverError(t, err)
		require.Equal(t, "ErrorClusterNotFound", se.ErrorCode())

		list, err := other.ClustersV1("")
		require.NoError(t, err)
		require.Empty(t, list.Clusters, "another account sees none of the default account's clusters")

		// The owner still sees it.
		d, err := c.Detail(id)
		require.NoError(t, err)
		require.Equal(t, id, d.ClusterID)
	})

	t.Run("kubeconfig without API server", func(t *testing.T) {
		_, err := c.Kubeconfig(id)
		se := serverError(t, err)
		require.Equal(t, http.StatusBadRequest, se.HttpStatus())
		require.Equal(t, "ErrorClusterState", se.ErrorCode())
		require.Contains(t, se.Message(), "API server")
	})
}

// TestGoSDKClusterLifecycle scales a standard cluster out, removes one
// node with DeleteClusterNodes, lists it with DescribeClustersV1 and
// deletes it, all through the old Go SDK.
func TestGoSDKClusterLifecycle(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	c := sdkClientOf(t, srv)
	id := c.createCluster(t, fmt.Sprintf(createStandardHangzhou, "e2e-lifecycle"))

	c.scaleOut(t, id, 2)
	nodes := requireNodes(t, c, id, 2, "ecs.g6.large", "cn-hangzhou")

	victim, keep := nodes[0], nodes[1]
	rm, err := c.DeleteNodes(id, fmt.Sprintf(`{"nodes":[%q],"release_node":true,"drain_node":true}`, victim.NodeName))
	require.NoError(t, err, "DeleteClusterNodes")
	require.Equal(t, id, rm.ClusterID)
	require.NotEmpty(t, rm.RequestID)
	task := c.waitTask(t, rm.TaskID)
	require.Equal(t, id, task.ClusterId)
	left := requireNodes(t, c, id, 1, "ecs.g6.large", "cn-hangzhou")
	require.Equal(t, keep.InstanceId, left[0].InstanceId)

	list, err := c.ClustersV1("e2e-lifecycle")
	require.NoError(t, err)
	require.Len(t, list.Clusters, 1)
	require.Equal(t, id, list.Clusters[0].ClusterID)
	require.Equal(t, 1, list.Clusters[0].Size)
	require.Equal(t, "running", list.Clusters[0].State)
	require.Equal(t, 1, list.PageInfo.TotalCount)

	del, err := c.DeleteCluster(id)
	require.NoError(t, err, "DeleteCluster")
	require.Equal(t, id, del.ClusterID)
	c.waitTask(t, del.TaskID)
	// A deleted cluster is gone: not found, not listed.
	_, err = c.Detail(id)
	se := serverError(t, err)
	require.Equal(t, http.StatusNotFound, se.HttpStatus())
	require.Equal(t, "ErrorClusterNotFound", se.ErrorCode())
	_, err = c.Nodes(id, "")
	require.Equal(t, "ErrorClusterNotFound", serverError(t, err).ErrorCode())
	all, err := c.ClustersV1("")
	require.NoError(t, err)
	require.False(t, slices.ContainsFunc(all.Clusters, func(d clusterDetail) bool { return d.ClusterID == id }),
		"a deleted cluster is not listed")
}

// TestGoSDKNodeImage checks the image_id DescribeClusterNodes reports: the
// image named in the scale-out, or the default image the worker booted from
// when the request named none.
func TestGoSDKNodeImage(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	for _, tc := range []struct {
		name, image string
	}{
		{"named", "ubuntu_22_04_x64_20G_alibase_20240710.vhd"},
		{"default", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := sdkClientOf(t, srv) // an sdk.Client is not safe for concurrent use
			id := c.createCluster(t, fmt.Sprintf(createStandardHangzhou, "e2e-image-"+tc.name))
			body := `{"count":1,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}`
			if tc.image != "" {
				body = fmt.Sprintf(`{"count":1,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"],"image_id":%q}`,
					tc.image)
			}
			so, err := c.ScaleOut(id, body)
			require.NoError(t, err)
			c.waitTask(t, so.TaskId)
			nodes := requireNodes(t, c, id, 1, "ecs.g6.large", "cn-hangzhou")
			if tc.image != "" {
				require.Equal(t, tc.image, nodes[0].ImageId)
			} else {
				require.NotEmpty(t, nodes[0].ImageId, "a worker created without image_id reports the default image it booted from")
			}
		})
	}
}
