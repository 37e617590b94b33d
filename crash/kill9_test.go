package crash

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
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
	clusters     = 8
	minScaleOuts = 50
	minKills     = 20
)

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
	for _, id := range ids {
		drivers.Add(1)
		go func() { defer drivers.Done(); h.drive(ctx, id) }()
	}
	drivers.Wait()
	close(stop)
	killer.Wait()

	check := h.settle(ctx)
	stopPeak()
	peak := <-peaks
	fmt.Printf("kill -9 harness: quota %d, most live at once %v, quota refusals %d, quota drift %d, stale reservations %d\n",
		kill9Quota, peak, h.quotaRefused.Load(), check.QuotaDrift, check.StaleReservations)
	fmt.Printf("kill -9 harness: scale-outs %d, scale-ins %d, kills %d, instances created %d, released %d, live %d, leaked %d, lost %d, duplicated %d, tasks succeeded %d, failed %d, running %d\n",
		h.accepted.Load(), h.removals.Load(), h.kills.Load(), check.Instances, check.Released, check.Live, check.Leaked,
		check.Lost, check.Duplicated, check.TasksSucceeded, check.TasksFailed, check.TasksRunning)
	require.GreaterOrEqual(t, h.accepted.Load(), int64(minScaleOuts))
	require.GreaterOrEqual(t, h.kills.Load(), int64(minKills))
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
			if h.kills.Load() >= minKills {
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
// enough accepted scale-outs and kills. A request lost to a kill is retried
// after the cluster settles: only answers that came back count.
func (h *harness) drive(ctx context.Context, clusterID string) {
	for ctx.Err() == nil && (h.accepted.Load() < minScaleOuts || h.kills.Load() < minKills) {
		if !h.waitIdle(ctx, clusterID) {
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

// waitIdle waits until the cluster is running again (its task ended).
func (h *harness) waitIdle(ctx context.Context, clusterID string) bool {
	for ctx.Err() == nil {
		var c struct{ State ackscale.ClusterState }
		if err := h.client().Do(ctx, "GET", "/clusters/"+clusterID, nil, &c); err == nil && c.State == ackscale.ClusterRunning {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
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
