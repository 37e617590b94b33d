package replicas

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver"
)

const (
	replicaCount = 3
	clusters     = 10
	// scaleOutsPerCluster: each cluster takes its scale-outs one after
	// the other (one operation per cluster at a time), the clusters all
	// at once: 30 scale-outs, 10 in flight.
	scaleOutsPerCluster = 3
	workersPerScaleOut  = 2
	// quota is below the 60 workers asked for: scale-outs reach it, and
	// neither the replicas nor the kills may let it be passed.
	quota = 44
	// killAt and killAgainAt are how many scale-outs are accepted before
	// the first and the second replica are killed.
	killAt, killAgainAt = 8, 18
)

// TestMain removes the ackscale binary testserver built once the tests end.
func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

// harness is the replicas, their database and the clients' load balancer.
type harness struct {
	t      *testing.T
	pg     *pgxpool.Pool
	schema string
	bin    string
	lb     *balancer
	mu     sync.Mutex
	srvs   []*testserver.Server
	ids    []string // replica ids, as srvs
	dead   []bool
	client *acsclient.Client // through the load balancer

	accepted, refusedQuota, unknown atomic.Int64
}

// TestReplicas: 3 replicas, 30 concurrent scale-outs across 10 clusters
// with Kubernetes on, one replica SIGKILLed mid-way and later another.
func TestReplicas(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	ids := h.createClusters(ctx)
	kubeconfigs := h.kubeconfigs(ctx, ids) // fetched before any kill
	require.NoError(t, h.live().Admin(ctx, "PUT", "quotas",
		ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaECSInstancesPerRegion, Value: quota}, nil))
	peakCtx, stopPeak := context.WithCancel(ctx)
	peaks := testserver.PeakLive(peakCtx, 20*time.Millisecond, h.live)

	var drivers sync.WaitGroup
	for _, id := range ids {
		drivers.Go(func() { h.drive(ctx, id) })
	}
	first := h.killWhen(ctx, killAt, 0)
	second := h.killWhen(ctx, killAgainAt, 1)
	drivers.Wait()
	check := h.settle(ctx)
	stopPeak()
	peak := <-peaks

	require.Zero(t, check.Leaked, "leaked instances")
	require.Zero(t, check.Lost, "lost instances")
	require.Zero(t, check.Duplicated, "duplicated instances")
	require.Zero(t, check.QuotaDrift, "quota counters")
	require.Zero(t, check.StaleReservations, "quota reservations of ended tasks")
	for scope, n := range peak {
		require.LessOrEqual(t, n, quota, "live instances of %s at once", scope)
	}
	nodes := h.checkKube(ctx, ids, kubeconfigs)
	fmt.Printf("replica harness: replicas %d (2 SIGKILLed), clusters %d with Kubernetes, scale-outs accepted %d, "+
		"refused by quota %d, unanswered %d, tasks succeeded %d failed %d, live instances %d (quota %d, peak %d), "+
		"Nodes %d (each cluster's = its running workers, through kubeconfigs fetched before the kills), "+
		"leaked %d, lost %d, duplicated %d\n",
		replicaCount, len(ids), h.accepted.Load(), h.refusedQuota.Load(), h.unknown.Load(), check.TasksSucceeded,
		check.TasksFailed, check.Live, quota, maxOf(peak), nodes, check.Leaked, check.Lost, check.Duplicated)
	for i, k := range []kill{<-first, <-second} {
		fmt.Printf("replica harness: kill %d of %s: jobs it was running %d, all running elsewhere after %s (failover); "+
			"its API servers %d, all answering again through the load balancer after %s (takeover)\n",
			i+1, k.replica, k.jobs, k.failover.Round(10*time.Millisecond), k.hosts, k.takeover.Round(10*time.Millisecond))
	}
}

func maxOf(m map[string]int) int {
	n := 0
	for _, v := range m {
		n = max(n, v)
	}
	return n
}

// newHarness starts the database schema, the shared etcd, the balancer
// and the replicas.
func newHarness(t *testing.T) *harness {
	url := os.Getenv("TEST_DATABASE_URL")
	bin, err := filepath.Abs("../bin")
	require.NoError(t, err)
	_, kubeErr := os.Stat(filepath.Join(bin, "kube-apiserver"))
	switch {
	case os.Getenv("CI") == "true" && url == "":
		t.Fatal("TEST_DATABASE_URL is not set: CI must run the replica harness (.ci/run starts PostgreSQL)")
	case os.Getenv("CI") == "true" && kubeErr != nil:
		t.Fatalf("no kube-apiserver in %s: CI must build it", bin)
	case url == "":
		t.Skip("TEST_DATABASE_URL is not set")
	case kubeErr != nil:
		t.Skipf("no kube-apiserver in %s: run make kube", bin)
	}
	h := &harness{t: t, bin: bin, schema: fmt.Sprintf("replicas_%d", os.Getpid())}
	h.pg, err = pgxpool.New(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := h.pg.Exec(context.Background(), `DROP SCHEMA IF EXISTS `+h.schema+` CASCADE`)
		require.NoError(t, err)
		h.pg.Close()
	})
	etcd := testserver.StartEtcd(t, bin)
	h.lb = startBalancer(t)
	secretKey, ak, secret, token := randomHex(t, 32), "LTAIrepl"+randomHex(t, 8), randomHex(t, 15), randomHex(t, 16)
	for i := range replicaCount {
		id := fmt.Sprintf("replica-%d", i+1)
		srv := testserver.Start(t, testserver.Options{AccessKeyID: ak, AccessKeySecret: secret, AdminToken: token,
			Env: []string{"ACKSCALE_SECRET_KEY=" + secretKey},
			Args: []string{"--database", url, "--schema", h.schema, "--replica-id", id, "--time-scale", "25",
				"--kube=on", "--kube-bin", bin, "--kube-etcd", etcd, "--public-url", "https://" + h.lb.addr()}})
		h.srvs, h.ids, h.dead = append(h.srvs, srv), append(h.ids, id), append(h.dead, false)
	}
	var addrs []string
	for _, s := range h.srvs {
		addrs = append(addrs, s.Addr)
	}
	h.lb.set(addrs...)
	h.client = &acsclient.Client{BaseURL: "http://" + h.lb.addr(), AccessKeyID: ak, Secret: secret,
		HTTP: &http.Client{Timeout: 10 * time.Second}}
	return h
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// live returns a replica that has not been killed.
func (h *harness) live() *testserver.Server {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, s := range h.srvs {
		if !h.dead[i] {
			return s
		}
	}
	return h.srvs[0]
}

func (h *harness) createClusters(ctx context.Context) []string {
	var ids []string
	accepted := map[string]string{}
	for i := range clusters {
		var acc acsclient.Accepted
		require.NoError(h.t, h.client.Do(ctx, "POST", "/clusters", map[string]any{"name": fmt.Sprintf("replicas-%d", i),
			"region_id": "cn-hangzhou", "cluster_type": "ManagedKubernetes"}, &acc))
		accepted[acc.ClusterID] = acc.TaskID
		ids = append(ids, acc.ClusterID)
	}
	for _, id := range ids {
		task, err := h.client.WaitTask(ctx, accepted[id], 50*time.Millisecond)
		require.NoError(h.t, err)
		require.Equal(h.t, "success", task.State, "create %s: %s", id, task.Error)
	}
	return ids
}

// kubeconfigs fetches each cluster's kubeconfig and writes it to a file.
func (h *harness) kubeconfigs(ctx context.Context, ids []string) map[string]string {
	out := map[string]string{}
	dir := h.t.TempDir()
	for _, id := range ids {
		var cfg struct{ Config string }
		require.NoError(h.t, h.client.Do(ctx, "GET", "/k8s/"+id+"/user_config", nil, &cfg))
		require.Contains(h.t, cfg.Config, "https://"+h.lb.addr()+"/kube/"+id, "the kubeconfig points at the load balancer")
		out[id] = filepath.Join(dir, id)
		require.NoError(h.t, os.WriteFile(out[id], []byte(cfg.Config), 0o600))
	}
	return out
}

// drive runs the cluster's scale-outs one after the other. A request whose
// answer was lost to a kill is not retried (it may have been accepted);
// the checks at the end hold either way.
func (h *harness) drive(ctx context.Context, id string) {
	for range scaleOutsPerCluster {
		var acc acsclient.Accepted
		body := map[string]any{"count": workersPerScaleOut, "key_pair": "secrity-key", "worker_instance_types": []string{"ecs.c5.xlarge"}}
		err := h.client.Do(ctx, "POST", "/api/v2/clusters/"+id, body, &acc)
		var ae *acsclient.Error
		switch {
		case errors.As(err, &ae) && ae.Code == ackscale.CodeQuotaExceeded:
			h.refusedQuota.Add(1)
			continue
		case err != nil:
			h.unknown.Add(1)
			h.t.Logf("scale-out of %s: %v", id, err)
			h.waitRunning(ctx, id)
			continue
		}
		h.accepted.Add(1)
		h.waitRunning(ctx, id)
	}
}

// waitRunning waits until the cluster is running again (its task ended),
// asking through the load balancer whichever replica answers.
func (h *harness) waitRunning(ctx context.Context, id string) {
	for ctx.Err() == nil {
		var c struct{ State ackscale.ClusterState }
		if err := h.client.Do(ctx, "GET", "/clusters/"+id, nil, &c); err == nil && c.State == ackscale.ClusterRunning {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// kill is what the harness measured of one SIGKILL.
type kill struct {
	replica  string
	jobs     int           // jobs it was running
	failover time.Duration // until each of them ran on another replica (or ended)
	hosts    int           // API servers it hosted
	takeover time.Duration // until each answered again through the load balancer
}

// killWhen SIGKILLs replica i once n scale-outs were accepted, and
// measures the failover of its jobs and the takeover of its API servers.
func (h *harness) killWhen(ctx context.Context, n int64, i int) <-chan kill {
	out := make(chan kill, 1)
	go func() {
		for ctx.Err() == nil && h.accepted.Load() < n {
			time.Sleep(20 * time.Millisecond)
		}
		k := kill{replica: h.ids[i]}
		jobs := h.runningJobs(ctx, k.replica)
		hosted := h.hostedClusters(ctx, k.replica)
		k.jobs, k.hosts = len(jobs), len(hosted)
		h.mu.Lock()
		h.srvs[i].Kill()
		h.dead[i] = true
		h.mu.Unlock()
		start := time.Now()
		var wg sync.WaitGroup
		wg.Go(func() {
			h.waitJobsMoved(ctx, jobs, k.replica)
			k.failover = time.Since(start)
		})
		wg.Go(func() {
			h.waitAnswering(ctx, hosted)
			k.takeover = time.Since(start)
		})
		wg.Wait()
		out <- k
	}()
	return out
}

// runningJobs returns the ids of the jobs replica is running.
func (h *harness) runningJobs(ctx context.Context, replica string) []int64 {
	rows, err := h.pg.Query(ctx, `SELECT id FROM `+h.schema+`.river_job
		WHERE state = 'running' AND attempted_by[cardinality(attempted_by)] = $1`, replica)
	require.NoError(h.t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(h.t, err)
	return ids
}

// waitJobsMoved waits until none of jobs is still running on replica.
func (h *harness) waitJobsMoved(ctx context.Context, jobs []int64, replica string) {
	for ctx.Err() == nil && len(jobs) > 0 {
		var n int
		err := h.pg.QueryRow(ctx, `SELECT count(*) FROM `+h.schema+`.river_job
			WHERE id = ANY($1) AND state = 'running' AND attempted_by[cardinality(attempted_by)] = $2`, jobs, replica).Scan(&n)
		if err == nil && n == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *harness) hostedClusters(ctx context.Context, replica string) []string {
	rows, err := h.pg.Query(ctx, `SELECT cluster_id FROM `+h.schema+`.kube_hosts WHERE replica_id = $1`, replica)
	require.NoError(h.t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(h.t, err)
	return ids
}

// waitAnswering waits until the API server of each cluster answers
// /readyz through the load balancer's proxy path.
func (h *harness) waitAnswering(ctx context.Context, ids []string) {
	hc := h.live().HTTPSClient(h.t)
	for _, id := range ids {
		for ctx.Err() == nil {
			resp, err := hc.Get("https://" + h.lb.addr() + "/kube/" + id + "/readyz")
			if err == nil {
				resp.Body.Close()
				// 401 without a token is an answer of the API server itself.
				if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
					break
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// settle waits until no task is running, and returns the store's check.
func (h *harness) settle(ctx context.Context) ackscale.Check {
	var c ackscale.Check
	for ctx.Err() == nil {
		err := h.live().Admin(ctx, "GET", "check", nil, &c)
		if err == nil && c.TasksRunning == 0 {
			return c
		}
		time.Sleep(100 * time.Millisecond)
	}
	h.t.Fatalf("tasks still running at the deadline: %+v", c)
	return c
}

// checkKube checks every cluster is running with running workers only,
// and that its API server, through the kubeconfig fetched before the
// kills, lists exactly those workers as Nodes; it returns the Nodes seen.
func (h *harness) checkKube(ctx context.Context, ids []string, kubeconfigs map[string]string) int {
	total := 0
	for _, id := range ids {
		var c struct{ State ackscale.ClusterState }
		require.NoError(h.t, h.client.Do(ctx, "GET", "/clusters/"+id, nil, &c))
		require.Equal(h.t, ackscale.ClusterRunning, c.State, id)
		var list struct {
			Nodes []struct {
				NodeName string             `json:"node_name"`
				State    ackscale.NodeState `json:"state"`
			} `json:"nodes"`
		}
		require.NoError(h.t, h.client.Do(ctx, "GET", "/clusters/"+id+"/nodes?pageSize=100", nil, &list))
		var want []string
		for _, n := range list.Nodes {
			require.Equal(h.t, ackscale.NodeRunning, n.State, "%s: %s", id, n.NodeName)
			want = append(want, "node/"+n.NodeName)
		}
		got := h.kubectlNodes(kubeconfigs[id])
		require.ElementsMatch(h.t, want, got, "cluster %s: Nodes and running workers", id)
		total += len(got)
	}
	return total
}

// kubectlNodes lists the Nodes with the built kubectl, trusting the
// replicas' shared CA as the kubeconfig says, and requires each Ready.
func (h *harness) kubectlNodes(kubeconfig string) []string {
	var out []byte
	require.Eventually(h.t, func() bool {
		var err error
		out, err = exec.Command(filepath.Join(h.bin, "kubectl"), "--kubeconfig", kubeconfig, "get", "nodes", "-o",
			`jsonpath={range .items[*]}node/{.metadata.name} {range .status.conditions[?(@.type=="Ready")]}{.status}{end}{"\n"}{end}`).Output()
		return err == nil
	}, 60*time.Second, 500*time.Millisecond)
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, ready, _ := strings.Cut(line, " ")
		if name == "" {
			continue
		}
		require.Equal(h.t, "True", ready, "%s Ready", name)
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
