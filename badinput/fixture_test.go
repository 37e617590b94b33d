package badinput

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver"
	"github.com/ackscale/ackscale/rules"
)

// TestMain removes the ackscale binary testserver built once the tests end.
func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// fixture is one running server with one running cluster of each profile,
// and a standard cluster with a node pool of one node for the node pool
// tables.
type fixture struct {
	srv         *testserver.Server
	client      *acsclient.Client
	http        *http.Client
	clusters    map[ackscale.Profile]string // cluster id by profile
	poolCluster string                      // the node pool tables' cluster
	pool        string                      // its pool, of one node
	poolBases   map[rules.Op]string         // the node pool tables' base bodies
}

// setup starts the server and creates the five clusters, waiting for
// their create tasks, then the pool and its node.
func setup(t *testing.T) *fixture {
	t.Helper()
	start := time.Now()
	srv := testserver.Start(t, testserver.Options{Args: []string{"--boot-latency", "0", "--rate-limit", "0"}})
	t.Logf("bad input: server built and up in %s", time.Since(start).Round(time.Millisecond))
	f := &fixture{srv: srv, client: srv.Client(), clusters: map[ackscale.Profile]string{},
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tasks := map[ackscale.Profile]string{}
	for p, body := range map[ackscale.Profile]string{
		ackscale.ProfileLegacy: createLegacy, ackscale.ProfileStandard: createStandard,
		ackscale.ProfileEdge: createEdge, ackscale.ProfileSandbox: createSandbox,
	} {
		var acc acsclient.Accepted
		require.NoError(t, f.client.Do(ctx, "POST", "/clusters", []byte(body), &acc), "create the %s cluster", p)
		f.clusters[p], tasks[p] = acc.ClusterID, acc.TaskID
	}
	var acc acsclient.Accepted
	require.NoError(t, f.client.Do(ctx, "POST", "/clusters", []byte(createPools), &acc), "create the node pool cluster")
	f.poolCluster = acc.ClusterID
	tasks["pools"] = acc.TaskID
	for p, id := range tasks {
		task, err := f.client.WaitTask(ctx, id, 20*time.Millisecond)
		require.NoError(t, err)
		require.Equal(t, "success", task.State, "create task of the %s cluster: %+v", p, task.Error)
	}
	f.pool, f.poolBases = f.createPool(ctx, t), map[rules.Op]string{
		rules.OpCreateNodePool: tfNodePoolBody, rules.OpModifyNodePool: modifyPoolBody, rules.OpScaleNodePool: scalePoolBody,
	}
	var nodes struct {
		Nodes []struct {
			NodeName string `json:"node_name"`
		} `json:"nodes"`
	}
	require.NoError(t, f.client.Do(ctx, "GET", "/clusters/"+f.poolCluster+"/nodes?nodepool_id="+f.pool, nil, &nodes))
	require.Len(t, nodes.Nodes, 1, "the fixture pool's nodes")
	f.poolBases[rules.OpRemoveNodePoolNodes] = fmt.Sprintf(removePoolBody, nodes.Nodes[0].NodeName)
	return f
}

// createPool creates the fixture's pool and waits for its node.
func (f *fixture) createPool(ctx context.Context, t *testing.T) string {
	var acc struct {
		NodePoolID string `json:"nodepool_id"`
		TaskID     string `json:"task_id"`
	}
	require.NoError(t, f.client.Do(ctx, "POST", "/clusters/"+f.poolCluster+"/nodepools", []byte(fixturePoolBody), &acc), "create the node pool")
	task, err := f.client.WaitTask(ctx, acc.TaskID, 20*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, "success", task.State, "create task of the node pool: %+v", task.Error)
	return acc.NodePoolID
}

// counts is what a refused request must not change: the counts, and every
// node pool as DescribeClusterNodePools shows it (its configuration, size,
// state, counts and update time).
type counts struct {
	Instances, Workers, Tasks, Clusters, Pools int
	PoolViews                                  string
}

func (f *fixture) counts(t *testing.T) counts {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var c ackscale.Check
	require.NoError(t, f.srv.Admin(ctx, "GET", "check", nil, &c))
	var list struct {
		PageInfo struct {
			TotalCount int `json:"total_count"`
		} `json:"page_info"`
	}
	require.NoError(t, f.client.Do(ctx, "GET", "/api/v1/clusters?page_size=100", nil, &list))
	out := counts{Instances: c.Instances, Workers: c.Workers, Tasks: c.TasksRunning + c.TasksSucceeded + c.TasksFailed,
		Clusters: list.PageInfo.TotalCount}
	ids := []string{f.poolCluster}
	for _, id := range f.clusters {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var views []string
	for _, id := range ids {
		var pools struct {
			NodePools []json.RawMessage `json:"nodepools"`
		}
		require.NoError(t, f.client.Do(ctx, "GET", "/clusters/"+id+"/nodepools", nil, &pools))
		out.Pools += len(pools.NodePools)
		for _, p := range pools.NodePools {
			views = append(views, poolSummary(p))
		}
	}
	out.PoolViews = strings.Join(views, "\n")
	return out
}

// poolSummary is what a refused request must not change of a pool: its
// state, size, nodes, update time, and a digest of all it shows.
func poolSummary(raw json.RawMessage) string {
	var p struct {
		Info struct {
			ID      string `json:"nodepool_id"`
			Updated string `json:"updated"`
		} `json:"nodepool_info"`
		SG struct {
			DesiredSize int `json:"desired_size"`
		} `json:"scaling_group"`
		Status struct {
			State      string `json:"state"`
			TotalNodes int    `json:"total_nodes"`
		} `json:"status"`
	}
	_ = json.Unmarshal(raw, &p)
	return fmt.Sprintf("%s: %s, desired %d, nodes %d, updated %s, view %x", p.Info.ID, p.Status.State, p.SG.DesiredSize,
		p.Status.TotalNodes, p.Info.Updated, sha256.Sum256(raw))
}

// request is one raw request: the body byte for byte, the Content-Type
// ("" sends none) and, with chunked, no Content-Length.
type request struct {
	method, path string
	body         []byte
	contentType  string
	chunked      bool
}

// answer is the server's answer to a request.
type answer struct {
	status        int
	code, message string
	raw           []byte
}

// send signs r as acsclient does (ACS3-HMAC-SHA256), but with the
// Content-Type and framing the case asks for.
func (f *fixture) send(ctx context.Context, r request) (answer, error) {
	var body io.Reader = bytes.NewReader(r.body)
	if r.chunked {
		body = io.NopCloser(bytes.NewReader(r.body)) // unknown length: chunked
	}
	req, err := http.NewRequestWithContext(ctx, r.method, "http://"+f.srv.Addr+r.path, body)
	if err != nil {
		return answer{}, err
	}
	if r.chunked {
		req.ContentLength = -1
	}
	req.Header.Set("x-acs-action", "badinput")
	if r.contentType != "" {
		req.Header.Set("content-type", r.contentType)
	}
	acsclient.Sign(req, r.body, f.srv.AccessKeyID, f.srv.AccessKeySecret)
	resp, err := f.http.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, raw: raw}
	var e struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if resp.StatusCode >= 300 {
		_ = json.Unmarshal(raw, &e)
	}
	a.code, a.message = e.Code, e.Message
	return a, nil
}
