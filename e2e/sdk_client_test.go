package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cs"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// sdkClient is the old Go SDK (alibaba-cloud-sdk-go/services/cs
// v1.63.107, ROA HMAC-SHA1) pointed at one server as api.md §4 says: every
// request gets Scheme http, Domain 127.0.0.1 and the server's Port.
type sdkClient struct {
	c          *cs.Client
	host, port string
}

// newClientMu serialises cs.NewClientWithAccessKey: in v1.63.107 it fills
// a package-level endpoint map without a lock (a data race between
// parallel tests otherwise).
var newClientMu sync.Mutex

func newSDKClient(t testing.TB, srv *testserver.Server, accessKeyID, secret string) *sdkClient {
	t.Helper()
	newClientMu.Lock()
	c, err := cs.NewClientWithAccessKey("cn-hangzhou", accessKeyID, secret)
	newClientMu.Unlock()
	require.NoError(t, err)
	host, port, err := net.SplitHostPort(srv.Addr)
	require.NoError(t, err)
	return &sdkClient{c: c, host: host, port: port}
}

// sdkClientOf is the client of the server's default account.
func sdkClientOf(t testing.TB, srv *testserver.Server) *sdkClient {
	return newSDKClient(t, srv, srv.AccessKeyID, srv.AccessKeySecret)
}

func (c *sdkClient) point(r *requests.RoaRequest) {
	r.Scheme, r.Domain, r.Port = "http", c.host, c.port
}

// jsonBody sets a JSON body the way v1.63.107 requires: its request structs
// carry only path parameters (api.md §3).
func jsonBody(r *requests.RoaRequest, body string) {
	r.SetContent([]byte(body))
	r.SetContentType("application/json")
}

// decodeBody decodes the body of an answer whose SDK struct has no fields
// (or not the ones the tests read).
func decodeBody[T any](resp responses.AcsResponse, err error) (T, error) {
	var v T
	if err != nil {
		return v, err
	}
	err = json.Unmarshal(resp.GetHttpContentBytes(), &v)
	return v, err
}

func (c *sdkClient) CreateCluster(body string) (*cs.CreateClusterResponse, error) {
	req := cs.CreateCreateClusterRequest()
	c.point(req.RoaRequest)
	jsonBody(req.RoaRequest, body)
	return c.c.CreateCluster(req)
}

func (c *sdkClient) ScaleOut(clusterID, body string) (*cs.ScaleOutClusterResponse, error) {
	req := cs.CreateScaleOutClusterRequest()
	c.point(req.RoaRequest)
	req.ClusterId = clusterID
	jsonBody(req.RoaRequest, body)
	return c.c.ScaleOutCluster(req)
}

func (c *sdkClient) TaskInfo(taskID string) (*cs.DescribeTaskInfoResponse, error) {
	req := cs.CreateDescribeTaskInfoRequest()
	c.point(req.RoaRequest)
	req.TaskId = taskID
	return c.c.DescribeTaskInfo(req)
}

func (c *sdkClient) Nodes(clusterID, state string) (*cs.DescribeClusterNodesResponse, error) {
	req := cs.CreateDescribeClusterNodesRequest()
	c.point(req.RoaRequest)
	req.ClusterId, req.PageSize, req.PageNumber, req.State = clusterID, "100", "1", state
	return c.c.DescribeClusterNodes(req)
}

// Detail is DescribeClusterDetail; the SDK's response struct has no
// fields, so the body is decoded here.
func (c *sdkClient) Detail(clusterID string) (clusterDetail, error) {
	req := cs.CreateDescribeClusterDetailRequest()
	c.point(req.RoaRequest)
	req.ClusterId = clusterID
	return decodeBody[clusterDetail](c.c.DescribeClusterDetail(req))
}

func (c *sdkClient) ClustersV1(name string) (clusterList, error) {
	req := cs.CreateDescribeClustersV1Request()
	c.point(req.RoaRequest)
	req.Name = name
	return decodeBody[clusterList](c.c.DescribeClustersV1(req))
}

func (c *sdkClient) DeleteNodes(clusterID, body string) (asyncAnswer, error) {
	req := cs.CreateDeleteClusterNodesRequest()
	c.point(req.RoaRequest)
	req.ClusterId = clusterID
	jsonBody(req.RoaRequest, body)
	return decodeBody[asyncAnswer](c.c.DeleteClusterNodes(req))
}

func (c *sdkClient) DeleteCluster(clusterID string) (asyncAnswer, error) {
	req := cs.CreateDeleteClusterRequest()
	c.point(req.RoaRequest)
	req.ClusterId = clusterID
	return decodeBody[asyncAnswer](c.c.DeleteCluster(req))
}

func (c *sdkClient) Kubeconfig(clusterID string) (*cs.DescribeClusterUserKubeconfigResponse, error) {
	req := cs.CreateDescribeClusterUserKubeconfigRequest()
	c.point(req.RoaRequest)
	req.ClusterId = clusterID
	return c.c.DescribeClusterUserKubeconfig(req)
}

// asyncAnswer is the body of every asynchronous operation.
type asyncAnswer struct {
	ClusterID string `json:"cluster_id"`
	RequestID string `json:"request_id"`
	TaskID    string `json:"task_id"`
}

// clusterDetail is the part of DescribeClusterDetail the tests read.
type clusterDetail struct {
	ClusterID      string `json:"cluster_id"`
	Name           string `json:"name"`
	RegionID       string `json:"region_id"`
	State          string `json:"state"`
	ClusterType    string `json:"cluster_type"`
	Profile        string `json:"profile"`
	CurrentVersion string `json:"current_version"`
	Size           int    `json:"size"`
	VPCID          string `json:"vpc_id"`
}

type clusterList struct {
	Clusters []clusterDetail `json:"clusters"`
	PageInfo struct {
		PageNumber int `json:"page_number"`
		PageSize   int `json:"page_size"`
		TotalCount int `json:"total_count"`
	} `json:"page_info"`
}

// createCluster creates a cluster and waits for its create task to succeed.
func (c *sdkClient) createCluster(t testing.TB, body string) string {
	t.Helper()
	resp, err := c.CreateCluster(body)
	require.NoError(t, err, "CreateCluster %s", body)
	require.Equal(t, 202, resp.GetHttpStatus())
	require.Regexp(t, `^c[0-9a-z]+$`, resp.ClusterId)
	require.NotEmpty(t, resp.RequestId)
	require.NotEmpty(t, resp.TaskId)
	task := c.waitTask(t, resp.TaskId)
	require.Equal(t, resp.ClusterId, task.ClusterId)
	d, err := c.Detail(resp.ClusterId)
	require.NoError(t, err)
	require.Equal(t, "running", d.State, "cluster state after its create task")
	return resp.ClusterId
}

// waitTask polls DescribeTaskInfo until the task leaves running, and
// requires that it succeeded.
func (c *sdkClient) waitTask(t testing.TB, taskID string) *cs.DescribeTaskInfoResponse {
	t.Helper()
	var last *cs.DescribeTaskInfoResponse
	poll(t, "task "+taskID, func() (bool, string, error) {
		resp, err := c.TaskInfo(taskID)
		if err != nil {
			return false, "", err
		}
		last = resp
		return resp.State != "running", resp.State, nil
	})
	require.Equal(t, "success", last.State, "task %s ended %s: %s", taskID, last.State, last.GetHttpContentString())
	require.Equal(t, taskID, last.TaskId)
	return last
}

// scaleOut adds count ecs.g6.large workers to the cluster and waits for
// the task to succeed.
func (c *sdkClient) scaleOut(t testing.TB, clusterID string, count int) *cs.DescribeTaskInfoResponse {
	t.Helper()
	so, err := c.ScaleOut(clusterID, fmt.Sprintf(`{"count":%d,"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"]}`, count))
	require.NoError(t, err)
	return c.waitTask(t, so.TaskId)
}

// serverError requires err to be the SDK's *errors.ServerError.
func serverError(t testing.TB, err error) *sdkerrors.ServerError {
	t.Helper()
	require.Error(t, err)
	var se *sdkerrors.ServerError
	require.True(t, errors.As(err, &se), "want *errors.ServerError, got %T: %v", err, err)
	return se
}
