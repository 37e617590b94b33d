package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver"
)

// duration is how long the load runs: ACKSCALE_SOAK (a Go duration), 60 s by default.
func duration(t *testing.T) time.Duration {
	if v := os.Getenv("ACKSCALE_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err)
		return d
	}
	return time.Minute
}

type stats struct {
	mu       sync.Mutex
	requests int
	byCode   map[string]int
	down     int // connection errors while the server restarts
	fivexx   int
}

func (s *stats) record(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	var apiErr *acsclient.Error
	switch {
	case err == nil:
		s.byCode["OK"]++
	case errors.As(err, &apiErr):
		s.byCode[apiErr.Code]++
		if apiErr.Status >= 500 {
			s.fivexx++
		}
	default:
		s.down++
	}
}

// TestMain removes the ackscale binary testserver built once the tests end.
func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

type soak struct {
	t       *testing.T
	srv     *testserver.Server
	mu      sync.RWMutex // held for writing while the server restarts
	clients []*acsclient.Client
	st      *stats
}

func (s *soak) call(c *acsclient.Client, method, path string, body, out any) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Do(ctx, method, path, body, out)
	s.st.record(err)
	return err
}

func TestSoak(t *testing.T) {
	d := duration(t)
	s := &soak{t: t, srv: testserver.Start(t, testserver.Options{Args: []string{"--time-scale", "25", "--rate-limit", "0"}}), st: &stats{byCode: map[string]int{}}}
	s.clients = []*acsclient.Client{s.srv.Client(), s.account(), s.account()}
	clusters := s.createClusters()
	s.injectFaults()
	// A quota close to the load: the scale-outs reach it, and it must hold.
	require.NoError(t, s.srv.Admin(context.Background(), "PUT", "quotas",
		ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaECSInstancesPerRegion, Value: soakQuota}, nil))
	peakCtx, stopPeak := context.WithCancel(context.Background())
	peaks := testserver.PeakLive(peakCtx, 20*time.Millisecond, s.server)

	start := time.Now()
	tick := time.NewTicker(50 * time.Millisecond) // 20 operations a second
	defer tick.Stop()
	killed := false
	var wg sync.WaitGroup
	for time.Since(start) < d {
		<-tick.C
		if !killed && time.Since(start) > d/2 {
			s.mu.Lock()
			s.srv.Kill()
			s.srv = s.srv.Restart(true)
			s.mu.Unlock()
			killed = true
		}
		wg.Add(1)
		go func() { defer wg.Done(); s.operation(clusters) }()
	}
	wg.Wait()
	require.NoError(t, s.srv.Admin(context.Background(), "DELETE", "faults", nil, nil))
	check := s.settle()
	stopPeak()
	peak := <-peaks

	codes := make([]string, 0, len(s.st.byCode))
	for c, n := range s.st.byCode {
		codes = append(codes, fmt.Sprintf("%s=%d", c, n))
	}
	sort.Strings(codes)
	fmt.Printf("soak %s: requests %d, answers by code: %s; connection errors during the restart %d; 5xx %d; tasks success %d, failed %d, running %d; instances created %d, live %d, released %d, leaked %d, lost %d, duplicated %d; quota %d, most live at once per account %v, quota drift %d, stale reservations %d\n",
		d, s.st.requests, strings.Join(codes, " "), s.st.down, s.st.fivexx, check.TasksSucceeded, check.TasksFailed,
		check.TasksRunning, check.Instances, check.Live, check.Released, check.Leaked, check.Lost, check.Duplicated,
		soakQuota, peak, check.QuotaDrift, check.StaleReservations)
	require.True(t, killed)
	require.Zero(t, s.st.fivexx, "5xx answers (faults fail tasks, never requests)")
	require.Zero(t, check.TasksRunning)
	require.Zero(t, check.Leaked)
	require.Zero(t, check.Lost)
	require.Zero(t, check.Duplicated)
	require.Positive(t, check.TasksFailed, "the faults made some tasks fail")
	require.Positive(t, check.TasksSucceeded)
	require.NotContains(t, s.srv.Logs(), "panic")
	require.Positive(t, s.st.byCode[ackscale.CodeQuotaExceeded], "the load reached the quota")
	require.NotEmpty(t, peak)
	for scope, n := range peak {
		require.LessOrEqual(t, n, soakQuota, "%s had %d live instances at once", scope, n)
	}
	require.Zero(t, check.QuotaDrift, "quota usage counters agree with the live instances")
	require.Zero(t, check.StaleReservations, "ended tasks hold no reservation")
}

// soakQuota is every account's ecs_instances_per_region during the soak.
const soakQuota = 8

// server returns the server now running (it is restarted once).
func (s *soak) server() *testserver.Server {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.srv
}

// account creates another account with the CLI and returns its client.
func (s *soak) account() *acsclient.Client {
	k := s.srv.CreateAccount(s.t)
	c := s.srv.Client()
	c.AccessKeyID, c.Secret = k.AccessKeyID, k.AccessKeySecret
	return c
}

type cluster struct {
	id     string
	client *acsclient.Client
}

func (s *soak) createClusters() []cluster {
	var out []cluster
	for i, c := range s.clients {
		for j := range 3 {
			var acc acsclient.Accepted
			require.NoError(s.t, s.call(c, "POST", "/clusters", map[string]any{"name": fmt.Sprintf("soak-%d-%d", i, j),
				"region_id": "cn-hangzhou", "cluster_type": "ManagedKubernetes"}, &acc))
			_, err := c.WaitTask(context.Background(), acc.TaskID, 20*time.Millisecond)
			require.NoError(s.t, err)
			out = append(out, cluster{id: acc.ClusterID, client: c})
		}
	}
	return out
}

// injectFaults makes the cloud misbehave: errors on create and boot, a
// stock-out, slow releases.
func (s *soak) injectFaults() {
	ctx := context.Background()
	for _, f := range []ackscale.Fault{
		{Operation: ackscale.FaultCreate, Code: "InternalError", Probability: 0.08},
		{Operation: ackscale.FaultStart, Code: "InstanceStartFailed", Probability: 0.05},
		{Operation: ackscale.FaultRelease, Latency: 50 * time.Millisecond, Probability: 0.5},
	} {
		require.NoError(s.t, s.srv.Admin(ctx, "POST", "faults", f, nil))
	}
	require.NoError(s.t, s.srv.Admin(ctx, "PUT", "stock", ackscale.StockOverride{ZoneID: "cn-hangzhou-g",
		InstanceType: "ecs.c5.xlarge", Capacity: 3}, nil))
	require.NoError(s.t, s.srv.Admin(ctx, "PUT", "stock", ackscale.StockOverride{ZoneID: "cn-hangzhou-h",
		InstanceType: "ecs.c5.xlarge", Capacity: 0}, nil))
}

// operation is one random call: mostly reads, some scale-outs, a few
// scale-ins.
func (s *soak) operation(clusters []cluster) {
	c := clusters[rand.IntN(len(clusters))]
	switch n := rand.IntN(10); {
	case n < 5:
		paths := []string{"/clusters/" + c.id, "/clusters/" + c.id + "/nodes?pageSize=50", "/api/v1/clusters"}
		_ = s.call(c.client, "GET", paths[rand.IntN(len(paths))], nil, nil)
	case n < 9:
		_ = s.call(c.client, "POST", "/api/v2/clusters/"+c.id, map[string]any{"count": 1 + rand.IntN(2), "key_pair": "secrity-key",
			"worker_instance_types": []string{"ecs.c5.xlarge"}, "disable_rollback": rand.IntN(2) == 0}, nil)
	default:
		var nodes struct {
			Nodes []struct {
				NodeName string `json:"node_name"`
			} `json:"nodes"`
		}
		if s.call(c.client, "GET", "/clusters/"+c.id+"/nodes?state=running", nil, &nodes) == nil && len(nodes.Nodes) > 0 {
			_ = s.call(c.client, "POST", "/clusters/"+c.id+"/nodes", map[string]any{
				"nodes": []string{nodes.Nodes[0].NodeName}, "release_node": true}, nil)
		}
	}
}

func (s *soak) settle() ackscale.Check {
	var c ackscale.Check
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if err := s.srv.Admin(context.Background(), "GET", "check", nil, &c); err == nil && c.TasksRunning == 0 {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("tasks still running: %+v", c)
	return c
}
