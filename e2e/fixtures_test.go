package e2e

// Terraform's alicloud_cs_edge_kubernetes (provider 1.289.0) as
// ../shared/spec/clients.md records it: aliyungo's 2022 CreateCluster body
// and, for a worker_number change, its ScaleOutKubernetesCluster body, sent
// verbatim to the real binary (R36); the scale-out adds an ECS cloud
// worker to the edge cluster (R37).

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/denverdino/aliyungo/common"
	aliyungo "github.com/denverdino/aliyungo/cs"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/testserver"
)

// The fixtures, byte for byte (rules/testdata/clients holds
// ../shared/spec/fixtures/tf-edge-create.json and
// aliyungo2022-scale-out.json). No id is changed: their region
// (cn-hangzhou), VPC (vpc-bp1ackscaledefault001), vSwitch
// (vsw-bp1ackscaledefaultg01) and key pair (secrity-key) are the default
// catalog's.
const (
	tfEdgeCreatePath     = "../rules/testdata/clients/tf-edge-create.json"
	aliyungoScaleOutPath = "../rules/testdata/clients/aliyungo2022-scale-out.json"
	fixtureRegion        = "cn-hangzhou"
	fixtureVSwitch       = "vsw-bp1ackscaledefaultg01"
	fixtureType          = "ecs.g6.large"
)

// edgePollEvery is how often the test polls GET /clusters/{id}: aliyungo's
// provider code waits 10 s between polls; the server here runs 25 times
// faster (tfTimeScale), and the test polls more often still.
const edgePollEvery = 100 * time.Millisecond

// aliyungoDetail is the part of aliyungo's KubernetesClusterDetail
// (DescribeKubernetesClusterDetail, GET /clusters/{id}) the provider reads
// while it waits.
type aliyungoDetail struct {
	ClusterID string `json:"cluster_id"`
	State     string `json:"state"`
	Profile   string `json:"profile"`
	RegionID  string `json:"region_id"`
	VPCID     string `json:"vpc_id"`
	VSwitchID string `json:"vswitch_id"`
}

// waitEdgeRunning polls GET /clusters/{id} as aliyungo's provider code
// does until the cluster is running (failed ends it), and returns how
// many polls found it in another state.
func waitEdgeRunning(t *testing.T, ag *aliyungo.Client, id string) (aliyungoDetail, int) {
	t.Helper()
	deadline := time.Now().Add(pollTimeout)
	other := 0
	for {
		var d aliyungoDetail
		require.NoError(t, ag.Invoke("", http.MethodGet, "/clusters/"+id, nil, nil, &d), "GET /clusters/%s", id)
		switch d.State {
		case string(ackscale.ClusterRunning):
			return d, other
		case "failed":
			t.Fatalf("cluster %s failed", id)
		}
		other++
		require.True(t, time.Now().Before(deadline), "cluster %s still %s after %s", id, d.State, pollTimeout)
		time.Sleep(edgePollEvery)
	}
}

// waitAliyungoTask polls GET /tasks/{id} until the task succeeds.
func waitAliyungoTask(t *testing.T, ag *aliyungo.Client, taskID string) {
	t.Helper()
	require.NotEmpty(t, taskID)
	deadline := time.Now().Add(pollTimeout)
	for {
		var task struct {
			State string          `json:"state"`
			Error json.RawMessage `json:"error"`
		}
		require.NoError(t, ag.Invoke("", http.MethodGet, "/tasks/"+taskID, nil, nil, &task))
		switch task.State {
		case "success":
			return
		case "fail", "failed":
			t.Fatalf("task %s %s: %s", taskID, task.State, task.Error)
		}
		require.True(t, time.Now().Before(deadline), "task %s still %s after %s", taskID, task.State, pollTimeout)
		time.Sleep(edgePollEvery)
	}
}

// TestFixtureTerraformEdgeCluster: the edge cluster's create body and its
// scale-out body, verbatim and signed as aliyungo signs (ROA HMAC-SHA1
// with x-acs-signature-nonce and Content-MD5), are accepted; the cluster
// runs with one ECS worker, the scale-out adds a second ECS cloud worker in
// the fixture's vSwitch (priced by the region's ECS quota, not the ENS
// one), and the cluster is deleted with its instances.
func TestFixtureTerraformEdgeCluster(t *testing.T) {
	t.Parallel()
	srv := startServer(t, testserver.Options{
		Args: []string{"--time-scale", fmt.Sprint(tfTimeScale), "--boot-latency", tfBootLatency.String()}})
	ag := newAliyungo(srv, srv.AccessKeyID, srv.AccessKeySecret)
	createBody, err := os.ReadFile(tfEdgeCreatePath)
	require.NoError(t, err)
	scaleBody, err := os.ReadFile(aliyungoScaleOutPath)
	require.NoError(t, err)

	// Create: aliyungo's CreateManagedKubernetesCluster sends its request
	// struct marshalled, with the region in x-acs-region-id.
	var created asyncAnswer
	require.NoError(t, ag.Invoke(common.Region(fixtureRegion), http.MethodPost, "/clusters", nil, json.RawMessage(createBody), &created),
		"POST /clusters with tf-edge-create.json")
	require.Regexp(t, `^c[0-9a-z]+$`, created.ClusterID)
	require.NotEmpty(t, created.TaskID)
	d, polls := waitEdgeRunning(t, ag, created.ClusterID)
	t.Logf("create: %d polls of GET /clusters/{id} before running", polls)
	require.Equal(t, "Edge", d.Profile)
	require.Equal(t, fixtureRegion, d.RegionID)
	require.Equal(t, "vpc-bp1ackscaledefault001", d.VPCID)
	requireEdgeWorkers(t, srv, ag, created.ClusterID, 1)

	// Cloud workers are ECS instances: the region's ECS quota prices them,
	// the ENS quota does not (R37).
	setQuota := func(name string, value int) {
		admin(t, srv, "PUT", "quotas", ackscale.QuotaOverride{AccountID: "*", Name: name, Value: value}, nil)
	}
	setQuota(ackscale.QuotaENSInstances, 0)
	setQuota(ackscale.QuotaECSInstancesPerRegion, 1)
	err = ag.Invoke("", http.MethodPost, "/api/v2/clusters/"+created.ClusterID, nil, json.RawMessage(scaleBody), nil)
	ae := aliyungoError(t, err)
	require.Equal(t, ackscale.CodeQuotaExceeded, ae.Code, ae.Message)
	require.Contains(t, ae.Message, ackscale.QuotaECSInstancesPerRegion)
	require.Contains(t, ae.Message, fixtureRegion)
	setQuota(ackscale.QuotaECSInstancesPerRegion, 10)

	// worker_number 1 → 2: ScaleOutKubernetesCluster with a count delta of
	// one, no region header; ECS cloud workers, not ENS.
	var scaled asyncAnswer
	require.NoError(t, ag.Invoke("", http.MethodPost, "/api/v2/clusters/"+created.ClusterID, nil, json.RawMessage(scaleBody), &scaled),
		"POST /api/v2/clusters/{id} with aliyungo2022-scale-out.json")
	require.Equal(t, created.ClusterID, scaled.ClusterID)
	waitAliyungoTask(t, ag, scaled.TaskID)
	waitEdgeRunning(t, ag, created.ClusterID)
	requireEdgeWorkers(t, srv, ag, created.ClusterID, 2)

	// Destroy: DELETE, then GET until the cluster is gone.
	require.NoError(t, ag.Invoke("", http.MethodDelete, "/clusters/"+created.ClusterID, nil, nil, nil))
	deadline := time.Now().Add(pollTimeout)
	for {
		var d aliyungoDetail
		err := ag.Invoke("", http.MethodGet, "/clusters/"+created.ClusterID, nil, nil, &d)
		var ae *common.Error
		if errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound {
			require.Equal(t, "ErrorClusterNotFound", ae.Code)
			break
		}
		require.NoError(t, err)
		require.True(t, time.Now().Before(deadline), "cluster %s still %s after DELETE", created.ClusterID, d.State)
		time.Sleep(edgePollEvery)
	}
	require.Empty(t, liveInstances(t, srv), "the cluster's instances are released")
}

// requireEdgeWorkers: the cluster has n workers, all ECS cloud workers of
// the fixtures' type in their vSwitch, in the cluster's region.
func requireEdgeWorkers(t *testing.T, srv *testserver.Server, ag *aliyungo.Client, id string, n int) {
	t.Helper()
	nodes, page, err := ag.GetKubernetesClusterNodes(id, common.Pagination{PageNumber: 1, PageSize: 100})
	require.NoError(t, err, "aliyungo GetKubernetesClusterNodes")
	require.Equal(t, n, page.TotalCount)
	ids := make([]string, 0, len(nodes))
	for _, node := range nodes {
		require.Equal(t, fixtureType, node.InstanceType)
		require.Equal(t, "Worker", node.InstanceRole)
		ids = append(ids, node.InstanceId)
	}
	var mine []ackscale.Instance
	for _, in := range liveInstances(t, srv) {
		if slices.Contains(ids, in.ID) {
			mine = append(mine, in)
		}
	}
	require.Len(t, mine, n, "every node is a live instance")
	for _, in := range mine {
		require.Equal(t, ackscale.KindECS, in.Kind, "%s: an ECS cloud worker, not ENS (R37)", in.ID)
		require.Equal(t, fixtureRegion, in.RegionID, in.ID)
		require.Equal(t, fixtureVSwitch, in.IPPool, "%s: in the fixtures' vSwitch", in.ID)
		require.Equal(t, ackscale.InstanceRunning, in.Status, in.ID)
	}
}
