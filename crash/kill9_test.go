package crash

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver"
)

const (
	clusters      = 8
	fullScaleOuts = 50
	fullKills     = 20
	// poolClusters is how many clusters get a node pool, scaled with
	// the node pool operations beside the cluster-level ones.
	poolClusters = 6
	// fullPoolScales is the least number of pool scale-outs, and of pool
	// scale-ins, the drivers keep going for.
	fullPoolScales = 20
)

// The harness's targets: the full ones, or with -short (the run on
// PostgreSQL in make test) a fifth of them.
func minScaleOuts() int64  { return short(fullScaleOuts) }
func minKills() int64      { return short(fullKills) }
func minPoolScales() int64 { return short(fullPoolScales) }

func short(n int64) int64 {
	if testing.Short() {
		return n / 5
	}
	return n
}

// TestMain removes the ackscale binary testserver built once the tests end.
func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// harness drives clusters while a killer restarts the server.
type harness struct {
	t        *testing.T
	srv      *testserver.Server
	mu       sync.Mutex // guards srv across restarts
	accepted atomic.Int64
	removals atomic.Int64
	kills    atomic.Int64
	// quotaRefused counts scale-outs refused by the quota.
	quotaRefused atomic.Int64
	// The node pool operations answered: pools created, scale-outs
	// (ScaleClusterNodePool, a larger desired_size) and scale-ins (a
	// smaller desired_size, RemoveNodePoolNodes).
	poolsCreated, poolScaleOuts, poolScaleIns atomic.Int64
}

func (h *harness) client() *acsclient.Client {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.srv.Client()
	c.HTTP = &http.Client{Timeout: 5 * time.Second}
	return c
}

// TestKill9 runs at least 50 scale-outs with boot latency, SIGKILLs the
// server at least 20 times at random moments, and checks the invariants.
func TestKill9(t *testing.T) {
	// ECS types boot in tens of seconds; at 25x that is one to two seconds.
	h := &harness{t: t, srv: testserver.Start(t, testserver.Options{Args: []string{"--time-scale", "25"}})}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	ids := h.createClusters(ctx)
	// A quota close to the load: scale-outs reach it, and kills must not
	// let it be passed (a reservation is accepted with its task, or not).
	require.NoError(t, h.srv.Admin(ctx, "PUT", "quotas",
		ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaECSInstancesPerRegion, Value: kill9Quota}, nil))
	peakCtx, stopPeak := context.WithCancel(ctx)
	peaks := testserver.PeakLive(peakCtx, 20*time.Millisecond, h.server)

	stop := make(chan struct{})
	var killer sync.WaitGroup
	killer.Add(1)
	go func() { defer killer.Done(); h.killLoop(stop) }()

	var drivers sync.WaitGroup
	for i, id := range ids {
		drivers.Add(1)
		// Most clusters get a pool of their own, made under the kills.
		withPool := i < poolClusters
		go func() { defer drivers.Done(); h.drive(ctx, id, withPool) }()
	}
	drivers.Wait()
	close(stop)
	killer.Wait()

	check := h.settle(ctx)
	stopPeak()
	peak := <-peaks
	fmt.Printf("kill -9 harness: quota %d, most live at once %v, quota refusals %d, quota drift %d, stale reservations %d\n",
		kill9Quota, peak, h.quotaRefused.Load(), check.QuotaDrift, check.StaleReservations)
	pools := h.checkPools(ctx, ids)
	fmt.Printf("kill -9 harness: scale-outs %d, scale-ins %d, kills %d, instances created %d, released %d, live %d, leaked %d, lost %d, duplicated %d, tasks succeeded %d, failed %d, running %d\n",
		h.accepted.Load(), h.removals.Load(), h.kills.Load(), check.Instances, check.Released, check.Live, check.Leaked,
		check.Lost, check.Duplicated, check.TasksSucceeded, check.TasksFailed, check.TasksRunning)
	fmt.Printf("kill -9 harness: node pools created %d (on %d of %d clusters), pool scale-outs %d, pool scale-ins %d; pools %d (default ones included), %d of them not active with desired_size = total_nodes = workers listed; %d nodes in the created pools\n",
		h.poolsCreated.Load(), poolClusters, clusters, h.poolScaleOuts.Load(), h.poolScaleIns.Load(), pools.pools, len(pools.wrong), pools.nodes)
	require.GreaterOrEqual(t, h.accepted.Load(), minScaleOuts())
	require.GreaterOrEqual(t, h.kills.Load(), minKills())
	require.Equal(t, int64(poolClusters), h.poolsCreated.Load(), "pools created")
	require.GreaterOrEqual(t, h.poolScaleOuts.Load(), minPoolScales(), "pool scale-outs")
	require.GreaterOrEqual(t, h.poolScaleIns.Load(), minPoolScales(), "pool scale-ins")
	require.Zero(t, check.Leaked, "instances no worker records")
	require.Zero(t, check.Lost, "workers whose instance is gone")
	require.Zero(t, check.Duplicated, "client tokens with two instances")
	require.Zero(t, check.TasksRunning, "tasks that never ended")
	require.Equal(t, check.Live, check.Workers, "live instances and workers")
	require.Positive(t, check.Released)
	require.NotEmpty(t, peak)
	for scope, n := range peak {
		require.LessOrEqual(t, n, kill9Quota, "%s had %d live instances at once", scope, n)
	}
	require.Zero(t, check.QuotaDrift, "quota usage counters agree with the live instances")
	require.Zero(t, check.StaleReservations, "ended tasks hold no reservation")
	require.Empty(t, pools.wrong, "every pool is active, its desired_size its total_nodes and its workers")
	h.checkClusters(ctx, ids)
}

// kill9Quota is the account's ecs_instances_per_region during the harness.
const kill9Quota = 12

// server returns the server now running.
func (h *harness) server() *testserver.Server {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.srv
}

func (h *harness) createClusters(ctx context.Context) []string {
	var ids []string
	for i := range clusters {
		var acc acsclient.Accepted
		err := h.client().Do(ctx, "POST", "/clusters", map[string]any{"name": fmt.Sprintf("kill9-%d", i),
			"region_id": "cn-hangzhou", "cluster_type": "ManagedKubernetes"}, &acc)
		require.NoError(h.t, err)
		_, err = h.client().WaitTask(ctx, acc.TaskID, 20*time.Millisecond)
		require.NoError(h.t, err)
		ids = append(ids, acc.ClusterID)
	}
	return ids
}

// killLoop kills the server at random moments and starts it again, until
// stop is closed and enough kills happened.
func (h *harness) killLoop(stop chan struct{}) {
	for {
		select {
		case <-stop:
			if h.kills.Load() >= minKills() {
				return
			}
		case <-time.After(time.Duration(300+rand.IntN(1200)) * time.Millisecond):
		}
		h.mu.Lock()
		h.srv.Kill()
		h.kills.Add(1)
		h.srv = h.srv.Restart(true)
		h.mu.Unlock()
	}
}

// drive scales one cluster out (and sometimes in) until the harness has
// enough accepted scale-outs and kills; withPool, it also creates a node
// pool on the cluster and scales it out and in with the node pool
// operations. A request lost to a kill is retried after the cluster (and
// its pool) settles: only answers that came back count.
func (h *harness) drive(ctx context.Context, clusterID string, withPool bool) {
	name := "kill9-pool-" + clusterID[len(clusterID)-6:]
	pool := ""
	for ctx.Err() == nil && (h.accepted.Load() < minScaleOuts() || h.kills.Load() < minKills() ||
		withPool && (pool == "" || h.poolScaleOuts.Load() < minPoolScales() || h.poolScaleIns.Load() < minPoolScales())) {
		if !h.waitIdle(ctx, clusterID, pool) {
			continue
		}
		if withPool && pool == "" {
			pool = h.createPool(ctx, clusterID, name)
			continue
		}
		if pool != "" && rand.IntN(2) == 0 {
			h.scalePool(ctx, clusterID, pool)
			continue
		}
		if rand.IntN(4) == 0 && h.scaleIn(ctx, clusterID) {
			continue
		}
		body := map[string]any{"count": 1 + rand.IntN(3), "key_pair": "secrity-key",
			"worker_instance_types": []string{"ecs.c5.xlarge", "ecs.g6.xlarge"}, "disable_rollback": rand.IntN(2) == 0}
		var acc acsclient.Accepted
		err := h.client().Do(ctx, "POST", "/api/v2/clusters/"+clusterID, body, &acc)
		var apiErr *acsclient.Error
		switch {
		case err == nil:
			h.accepted.Add(1)
		case errors.As(err, &apiErr) && apiErr.Code == ackscale.CodeQuotaExceeded:
			h.quotaRefused.Add(1)
			h.scaleIn(ctx, clusterID) // make room
		}
	}
}

// waitIdle waits until the cluster is running again (its task ended) and
// each of pools is active (its task ended).
func (h *harness) waitIdle(ctx context.Context, clusterID string, pools ...string) bool {
	for ctx.Err() == nil {
		var c struct{ State ackscale.ClusterState }
		if err := h.client().Do(ctx, "GET", "/clusters/"+clusterID, nil, &c); err == nil && c.State == ackscale.ClusterRunning &&
			h.poolsActive(ctx, clusterID, pools) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func (h *harness) poolsActive(ctx context.Context, clusterID string, pools []string) bool {
	for _, id := range pools {
		if id == "" {
			continue
		}
		p, err := h.pool(ctx, clusterID, id)
		if err != nil || p.Status.State != string(ackscale.NodePoolActive) {
			return false
		}
	}
	return true
}

// poolView is what the harness reads of a pool (DescribeClusterNodePoolDetail).
type poolView struct {
	Info struct {
		ID        string `json:"nodepool_id"`
		Name      string `json:"name"`
		IsDefault bool   `json:"is_default"`
	} `json:"nodepool_info"`
	ScalingGroup struct {
		DesiredSize int `json:"desired_size"`
	} `json:"scaling_group"`
	Status struct {
		State      string `json:"state"`
		TotalNodes int    `json:"total_nodes"`
	} `json:"status"`
}

func (h *harness) pool(ctx context.Context, clusterID, id string) (poolView, error) {
	var p poolView
	err := h.client().Do(ctx, "GET", "/clusters/"+clusterID+"/nodepools/"+id, nil, &p)
	return p, err
}

// createPool creates the cluster's pool (Terraform's body, with 0 to 2
// nodes) and returns its id, or "" to be called again. A create whose
// answer a kill lost may have been taken: the pool is looked for by name
// before another is asked for.
func (h *harness) createPool(ctx context.Context, clusterID, name string) string {
	if id := h.findPool(ctx, clusterID, name); id != "" {
		h.poolsCreated.Add(1)
		return id
	}
	body := map[string]any{
		"nodepool_info": map[string]any{"name": name},
		"scaling_group": map[string]any{"desired_size": rand.IntN(3), "instance_types": []string{"ecs.g6.xlarge", "ecs.c5.xlarge"},
			"key_pair": "secrity-key", "vswitch_ids": []string{"vsw-bp1ackscaledefaultg01"}},
	}
	var acc struct {
		NodePoolID string `json:"nodepool_id"`
	}
	err := h.client().Do(ctx, "POST", "/clusters/"+clusterID+"/nodepools", body, &acc)
	var apiErr *acsclient.Error
	switch {
	case err == nil:
		h.poolsCreated.Add(1)
		return acc.NodePoolID
	case errors.As(err, &apiErr) && apiErr.Code == ackscale.CodeQuotaExceeded:
		h.quotaRefused.Add(1)
		h.scaleIn(ctx, clusterID)
	}
	return ""
}

// findPool returns the id of the cluster's pool named name, or "".
func (h *harness) findPool(ctx context.Context, clusterID, name string) string {
	var list struct {
		NodePools []poolView `json:"nodepools"`
	}
	for ctx.Err() == nil {
		if err := h.client().Do(ctx, "GET", "/clusters/"+clusterID+"/nodepools?NodepoolName="+name, nil, &list); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(list.NodePools) > 1 { // a driver goroutine: no FailNow
		h.t.Errorf("%d pools named %s on %s: a create was taken twice", len(list.NodePools), name, clusterID)
	}
	if len(list.NodePools) > 0 {
		return list.NodePools[0].Info.ID
	}
	return ""
}

// scalePool runs one node pool operation on an active pool: adds 1–2
// nodes (ScaleClusterNodePool), sets desired_size 1–2 up or down
// (ModifyClusterNodePool), or removes one of its nodes
// (RemoveNodePoolNodes). A quota refusal shrinks the pool to make room.
func (h *harness) scalePool(ctx context.Context, clusterID, pool string) {
	p, err := h.pool(ctx, clusterID, pool)
	if err != nil {
		return
	}
	path := "/clusters/" + clusterID + "/nodepools/" + pool
	size := p.ScalingGroup.DesiredSize
	var apiErr *acsclient.Error
	switch op := rand.IntN(4); {
	case op == 0:
		err = h.client().Do(ctx, "POST", path, map[string]any{"count": 1 + rand.IntN(2)}, nil)
		h.countPool(err, h.poolScaleOuts.Add)
	case op == 1 || op == 2 && size == 0:
		err = h.client().Do(ctx, "PUT", path, map[string]any{"scaling_group": map[string]any{"desired_size": size + 1 + rand.IntN(2)}}, nil)
		h.countPool(err, h.poolScaleOuts.Add)
	case op == 2:
		h.shrinkPool(ctx, clusterID, pool, max(0, size-1-rand.IntN(2)))
		return
	default:
		h.removePoolNode(ctx, clusterID, pool)
		return
	}
	if errors.As(err, &apiErr) && apiErr.Code == ackscale.CodeQuotaExceeded {
		h.quotaRefused.Add(1)
		if size > 0 {
			h.shrinkPool(ctx, clusterID, pool, size-1)
		} else {
			h.scaleIn(ctx, clusterID)
		}
	}
}

// countPool counts an answered pool operation.
func (h *harness) countPool(err error, add func(int64) int64) {
	if err == nil {
		add(1)
	}
}

// shrinkPool sets a pool's desired_size down to size.
func (h *harness) shrinkPool(ctx context.Context, clusterID, pool string, size int) {
	err := h.client().Do(ctx, "PUT", "/clusters/"+clusterID+"/nodepools/"+pool,
		map[string]any{"scaling_group": map[string]any{"desired_size": size}}, nil)
	h.countPool(err, h.poolScaleIns.Add)
}

// removePoolNode removes one of the pool's nodes by name, released and
// drained (RemoveNodePoolNodes: everything in the query).
func (h *harness) removePoolNode(ctx context.Context, clusterID, pool string) {
	var nodes struct {
		Nodes []struct {
			NodeName string `json:"node_name"`
		} `json:"nodes"`
	}
	err := h.client().Do(ctx, "GET", "/clusters/"+clusterID+"/nodes?pageSize=100&nodepool_id="+pool, nil, &nodes)
	if err != nil || len(nodes.Nodes) == 0 {
		return
	}
	list, _ := json.Marshal([]string{nodes.Nodes[rand.IntN(len(nodes.Nodes))].NodeName})
	q := url.Values{"nodes": {string(list)}, "release_node": {"true"}, "drain_node": {"true"}}
	err = h.client().Do(ctx, "DELETE", "/clusters/"+clusterID+"/nodepools/"+pool+"/nodes?"+q.Encode(), nil, nil)
	h.countPool(err, h.poolScaleIns.Add)
}

func (h *harness) scaleIn(ctx context.Context, clusterID string) bool {
	var nodes struct {
		Nodes []struct {
			NodeName string `json:"node_name"`
			State    string `json:"state"`
		} `json:"nodes"`
	}
	if err := h.client().Do(ctx, "GET", "/clusters/"+clusterID+"/nodes?pageSize=100", nil, &nodes); err != nil || len(nodes.Nodes) == 0 {
		return false
	}
	n := nodes.Nodes[rand.IntN(len(nodes.Nodes))]
	err := h.client().Do(ctx, "POST", "/clusters/"+clusterID+"/nodes",
		map[string]any{"nodes": []string{n.NodeName}, "release_node": true}, nil)
	if err == nil {
		h.removals.Add(1)
	}
	var apiErr *acsclient.Error
	return err == nil || errors.As(err, &apiErr)
}

// poolTotals are what checkPools saw.
type poolTotals struct {
	pools int // every pool of every cluster
	nodes int // the workers of the pools the drivers created
	// wrong lists each pool that is not active, or whose desired_size is
	// not its status.total_nodes and its listed workers.
	wrong []string
}

// checkPools reads every pool of every cluster (the default ones too): it
// must be active, and its desired_size must be its status.total_nodes and
// the number of workers DescribeClusterNodes lists for it.
func (h *harness) checkPools(ctx context.Context, ids []string) poolTotals {
	var out poolTotals
	for _, id := range ids {
		var list struct {
			NodePools []poolView `json:"nodepools"`
		}
		require.NoError(h.t, h.client().Do(ctx, "GET", "/clusters/"+id+"/nodepools", nil, &list))
		for _, p := range list.NodePools {
			var nodes struct {
				Page struct {
					TotalCount int `json:"total_count"`
				} `json:"page"`
			}
			require.NoError(h.t, h.client().Do(ctx, "GET", "/clusters/"+id+"/nodes?pageSize=100&nodepool_id="+p.Info.ID, nil, &nodes))
			if p.Status.State != string(ackscale.NodePoolActive) || p.ScalingGroup.DesiredSize != p.Status.TotalNodes ||
				p.ScalingGroup.DesiredSize != nodes.Page.TotalCount {
				out.wrong = append(out.wrong, fmt.Sprintf("pool %s (%s) of %s: %s, desired_size %d, total_nodes %d, workers listed %d",
					p.Info.ID, p.Info.Name, id, p.Status.State, p.ScalingGroup.DesiredSize, p.Status.TotalNodes, nodes.Page.TotalCount))
			}
			out.pools++
			if !p.Info.IsDefault {
				out.nodes += nodes.Page.TotalCount
			}
		}
	}
	return out
}

// settle waits, with the server up, until no task is running, and returns
// the store's invariant check.
func (h *harness) settle(ctx context.Context) ackscale.Check {
	var c ackscale.Check
	for ctx.Err() == nil {
		h.mu.Lock()
		err := h.srv.Admin(ctx, "GET", "check", nil, &c)
		h.mu.Unlock()
		if err == nil && c.TasksRunning == 0 {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
	h.t.Fatalf("tasks still running at the deadline: %+v\n%s", c, h.srv.Logs())
	return c
}

// checkClusters: every cluster is running and lists only running workers
// or, for failed scale-outs kept by disable_rollback, failed ones.
func (h *harness) checkClusters(ctx context.Context, ids []string) {
	for _, id := range ids {
		var c struct {
			State ackscale.ClusterState
			Size  int
		}
		require.NoError(h.t, h.client().Do(ctx, "GET", "/clusters/"+id, nil, &c))
		require.Equal(h.t, ackscale.ClusterRunning, c.State, id)
		var nodes struct {
			Nodes []struct {
				State    ackscale.NodeState
				NodeName string
			} `json:"nodes"`
			Page struct {
				TotalCount int `json:"total_count"`
			} `json:"page"`
		}
		require.NoError(h.t, h.client().Do(ctx, "GET", "/clusters/"+id+"/nodes?pageSize=100", nil, &nodes))
		require.Equal(h.t, c.Size, nodes.Page.TotalCount)
		for _, n := range nodes.Nodes {
			require.Contains(h.t, []ackscale.NodeState{ackscale.NodeRunning, ackscale.NodeFailed}, n.State, n.NodeName)
		}
	}
}
