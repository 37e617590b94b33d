package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/denverdino/aliyungo/common"
	aliyungo "github.com/denverdino/aliyungo/cs"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// createDedicatedHangzhou is a dedicated (legacy) cluster with seed 000's
// password and worker settings, and no workers yet.
const createDedicatedHangzhou = `{"name":"e2e-legacy","region_id":"cn-hangzhou","cluster_type":"Kubernetes",` +
	`"kubernetes_version":"1.34.4","login_password":"` + seed000Password + `",` +
	`"worker_instance_types":["ecs.sn1ne.large"],"worker_system_disk_category":"cloud_efficiency",` +
	`"worker_system_disk_size":40}`

// newAliyungo is aliyungo's CS client (2019 snapshot, ROA HMAC-SHA1 with
// x-acs-signature-nonce and no x-acs-action) pointed at the server.
func newAliyungo(srv *testserver.Server, accessKeyID, secret string) *aliyungo.Client {
	c := aliyungo.NewClient(accessKeyID, secret)
	c.SetEndpoint(srv.URL)
	return c
}

// resizeArgs is aliyungo's legacy PUT body with seed 000's worker settings.
func resizeArgs(n int64, password string) *aliyungo.KubernetesClusterResizeArgs {
	return &aliyungo.KubernetesClusterResizeArgs{DisableRollback: true, TimeoutMins: 60, LoginPassword: password,
		WorkerInstanceType: "ecs.sn1ne.large", NumOfNodes: n}
}

// TestAliyungoLegacyScale drives the legacy PUT /clusters/{id} with
// aliyungo's ResizeKubernetesCluster: out to 3, in to 1, seed 000's values
// to 8, and seed 000's example body verbatim; then the errors.
func TestAliyungoLegacyScale(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	sdk := sdkClientOf(t, srv)
	id := sdk.createCluster(t, createDedicatedHangzhou)
	ag := newAliyungo(srv, srv.AccessKeyID, srv.AccessKeySecret)

	cl, err := ag.DescribeCluster(id)
	require.NoError(t, err, "aliyungo DescribeCluster")
	require.Equal(t, id, cl.ClusterID)
	require.Equal(t, aliyungo.ClusterTypeKubernetes, cl.ClusterType)
	require.Equal(t, aliyungo.Running, cl.State)
	require.Zero(t, cl.Size)

	// resize calls ResizeKubernetesCluster, which discards the answer, and
	// waits for the cluster to be running again with n workers.
	resize := func(t *testing.T, n int64) []aliyungo.KubernetesNodeType {
		require.NoError(t, ag.ResizeKubernetesCluster(id, resizeArgs(n, seed000Password)), "resize to %d", n)
		waitClusterRunning(t, ag, id)
		return requireAliyungoNodes(t, ag, id, int(n))
	}

	var three []aliyungo.KubernetesNodeType
	t.Run("scale out to 3", func(t *testing.T) {
		three = resize(t, 3)
	})
	t.Run("scale in to 1", func(t *testing.T) {
		one := resize(t, 1)
		require.Contains(t, instanceIDsOf(three), one[0].InstanceId, "scale-in keeps one of the existing workers")
	})
	t.Run("seed 000 values to 8", func(t *testing.T) {
		resize(t, 8)
	})
	t.Run("scale in to 2", func(t *testing.T) {
		resize(t, 2)
	})
	t.Run("seed 000 body verbatim", func(t *testing.T) {
		// Invoke is the call ResizeKubernetesCluster makes, here with the
		// seed's own body and the answer kept.
		var ans asyncAnswer
		err := ag.Invoke("", http.MethodPut, "/clusters/"+id, nil, json.RawMessage(seed000Body), &ans)
		require.NoError(t, err, "PUT seed 000 body")
		require.Equal(t, id, ans.ClusterID)
		require.NotEmpty(t, ans.RequestID)
		task := sdk.waitTask(t, ans.TaskID)
		require.Len(t, task.TaskResult.Task, 6, "8 - 2 new workers: %s", task.GetHttpContentString())
		for _, r := range task.TaskResult.Task {
			require.True(t, strings.HasPrefix(r.Data, "i-"), "task_result data %q", r.Data)
			require.Equal(t, "success", r.Status)
		}
		requireAliyungoNodes(t, ag, id, 8)
		requireNodes(t, sdk, id, 8, "ecs.sn1ne.large", "cn-hangzhou")
	})
	t.Run("same count", func(t *testing.T) {
		badRequest(t, ag.ResizeKubernetesCluster(id, resizeArgs(8, seed000Password)), "8")
		requireAliyungoNodes(t, ag, id, 8)
	})
	t.Run("wrong password", func(t *testing.T) {
		ae := badRequest(t, ag.ResizeKubernetesCluster(id, resizeArgs(9, "Wrong1234")), "login_password")
		require.NotEmpty(t, ae.RequestId)
		require.NotContains(t, ae.Message, "Wrong1234", "the password is never echoed")
		requireAliyungoNodes(t, ag, id, 8)
	})
	t.Run("num_of_nodes out of range", func(t *testing.T) {
		badRequest(t, ag.ResizeKubernetesCluster(id, resizeArgs(301, seed000Password)), "num_of_nodes")
	})
	t.Run("wrong secret", func(t *testing.T) {
		bad := newAliyungo(srv, srv.AccessKeyID, "not-the-secret")
		err := bad.ResizeKubernetesCluster(id, resizeArgs(9, seed000Password))
		ae := aliyungoError(t, err)
		require.Equal(t, "SignatureDoesNotMatch", ae.Code)
		require.Equal(t, http.StatusBadRequest, ae.StatusCode)
	})
}

// TestAliyungoManagedClusterRefused checks that the legacy PUT is refused on
// a managed cluster, with an error aliyungo reads.
func TestAliyungoManagedClusterRefused(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	sdk := sdkClientOf(t, srv)
	id := sdk.createCluster(t, fmt.Sprintf(createStandardHangzhou, "e2e-managed-put"))
	ag := newAliyungo(srv, srv.AccessKeyID, srv.AccessKeySecret)

	badRequest(t, ag.ResizeKubernetesCluster(id, resizeArgs(2, seed000Password)), "Kubernetes")
	requireAliyungoNodes(t, ag, id, 0)

	err := ag.ResizeKubernetesCluster("c00000000000000000000000000000000", resizeArgs(2, seed000Password))
	ae := aliyungoError(t, err)
	require.Equal(t, http.StatusNotFound, ae.StatusCode)
	require.Equal(t, "ErrorClusterNotFound", ae.Code)
}

// waitClusterRunning polls aliyungo's DescribeCluster until the cluster
// leaves scaling/removing.
func waitClusterRunning(t testing.TB, ag *aliyungo.Client, id string) {
	t.Helper()
	poll(t, "cluster "+id+" running", func() (bool, string, error) {
		cl, err := ag.DescribeCluster(id)
		if err != nil {
			return false, "", err
		}
		return cl.State == aliyungo.Running, string(cl.State), nil
	})
}

// requireAliyungoNodes lists the nodes with aliyungo and checks the count
// and the fields its struct has.
func requireAliyungoNodes(t testing.TB, ag *aliyungo.Client, id string, want int) []aliyungo.KubernetesNodeType {
	t.Helper()
	nodes, page, err := ag.GetKubernetesClusterNodes(id, common.Pagination{PageNumber: 1, PageSize: 100})
	require.NoError(t, err, "aliyungo GetKubernetesClusterNodes")
	require.Equal(t, want, page.TotalCount)
	require.Len(t, nodes, want)
	for _, n := range nodes {
		require.True(t, strings.HasPrefix(n.InstanceId, "i-"), "instance_id %q", n.InstanceId)
		require.Equal(t, "ecs.sn1ne.large", n.InstanceType)
		require.Len(t, n.IpAddress, 1)
		require.Equal(t, "Worker", n.InstanceRole)
	}
	return nodes
}

func instanceIDsOf(nodes []aliyungo.KubernetesNodeType) []string {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = n.InstanceId
	}
	return ids
}

// aliyungoError requires err to be aliyungo's *common.Error.
func aliyungoError(t testing.TB, err error) *common.Error {
	t.Helper()
	require.Error(t, err)
	var ae *common.Error
	require.True(t, errors.As(err, &ae), "want *common.Error, got %T: %v", err, err)
	return ae
}

// badRequest requires err to be aliyungo's error of a 400 with a code and
// a message that names want.
func badRequest(t testing.TB, err error, want string) *common.Error {
	t.Helper()
	ae := aliyungoError(t, err)
	require.Equal(t, http.StatusBadRequest, ae.StatusCode)
	require.NotEmpty(t, ae.Code)
	require.Contains(t, ae.Message, want)
	return ae
}

// TestAliyungoDescribeKubernetesCluster reads a dedicated cluster with
// aliyungo's DescribeKubernetesCluster (what older Terraform providers
// call), which parses parameters.WorkerDataDisk and
// parameters.WorkerAutoRenew (and, for a dedicated cluster, PublicSLB and
// MasterAutoRenew) as "true"/"false" strings.
func TestAliyungoDescribeKubernetesCluster(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{})
	id := sdkClientOf(t, srv).createCluster(t, createDedicatedHangzhou)
	ag := newAliyungo(srv, srv.AccessKeyID, srv.AccessKeySecret)

	cl, err := ag.DescribeKubernetesCluster(id)
	require.NoError(t, err, "aliyungo DescribeKubernetesCluster")
	require.Equal(t, id, cl.ClusterID)
	require.Equal(t, aliyungo.Running, cl.State)
	require.Equal(t, aliyungo.ClusterTypeKubernetes, cl.ClusterType.ClusterType)
}
