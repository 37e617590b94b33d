package e2e

// Regression tests for the holes an outside probe found (issue 10), each
// named for its hole and run against the real binary with the signing
// client the probe used. docs/reliability.md lists them under "Bugs found".

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver"
)

// probe is a server and a signing client of its default account.
type probe struct {
	t   *testing.T
	srv *testserver.Server
	c   *acsclient.Client
	ctx context.Context
}

func newProbe(t *testing.T, args ...string) *probe {
	t.Helper()
	srv := startServer(t, testserver.Options{Args: args})
	return &probe{t: t, srv: srv, c: srv.Client(), ctx: context.Background()}
}

func (p *probe) setQuota(name string, value int) {
	p.t.Helper()
	admin(p.t, p.srv, "PUT", "quotas", ackscale.QuotaOverride{AccountID: "*", Name: name, Value: value}, nil)
}

// cluster creates a running cluster from a create body and returns its id.
func (p *probe) cluster(body string) string {
	p.t.Helper()
	var acc acsclient.Accepted
	require.NoError(p.t, p.c.Do(p.ctx, "POST", "/clusters", []byte(body), &acc))
	t, err := p.c.WaitTask(p.ctx, acc.TaskID, 20*time.Millisecond)
	require.NoError(p.t, err)
	require.Equal(p.t, "success", t.State)
	return acc.ClusterID
}

func (p *probe) standard(name string) string {
	return p.cluster(fmt.Sprintf(`{"name":%q,"region_id":"cn-hangzhou","cluster_type":"ManagedKubernetes"}`, name))
}

// scaleOut sends a ScaleOutCluster and returns the task id or the error.
func (p *probe) scaleOut(clusterID string, body map[string]any) (string, error) {
	var acc acsclient.Accepted
	err := p.c.Do(p.ctx, "POST", "/api/v2/clusters/"+clusterID, body, &acc)
	return acc.TaskID, err
}

func (p *probe) wait(taskID string) acsclient.Task {
	p.t.Helper()
	t, err := p.c.WaitTask(p.ctx, taskID, 20*time.Millisecond)
	require.NoError(p.t, err)
	return t
}

func (p *probe) check() ackscale.Check {
	p.t.Helper()
	var c ackscale.Check
	admin(p.t, p.srv, "GET", "check", nil, &c)
	return c
}

func codeOf(err error) string {
	var apiErr *acsclient.Error
	if errors.As(err, &apiErr) {
		return apiErr.Code
	}
	return ""
}

func scaleOutBody(count int, types ...string) map[string]any {
	if len(types) == 0 {
		types = []string{"ecs.c5.xlarge"}
	}
	return map[string]any{"count": count, "key_pair": "secrity-key", "worker_instance_types": types}
}

// Two (here six) concurrent scale-outs of 3 under an instance quota of 5:
// before, all were accepted and up to 18 instances ran.
func TestQuotaConcurrentScaleOutsNeverExceed(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	p.setQuota(ackscale.QuotaECSInstancesPerRegion, 5)
	var ids []string
	for i := range 6 {
		ids = append(ids, p.standard(fmt.Sprintf("quota-%d", i)))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var tasks []string
	refused := 0
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			task, err := p.scaleOut(id, scaleOutBody(3))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				require.Equal(t, ackscale.CodeQuotaExceeded, codeOf(err), "%v", err)
				refused++
				return
			}
			tasks = append(tasks, task)
		}()
	}
	wg.Wait()
	require.Len(t, tasks, 1, "3 + 3 > 5: one scale-out fits")
	require.Equal(t, 5, refused)
	require.Equal(t, "success", p.wait(tasks[0]).State)
	require.Len(t, liveInstances(t, p.srv), 3)
}

// A scale-out accepted but not yet creating its instances still holds its
// quota: before, the check counted live instances only, so a second
// scale-out sent right after the first passed it.
func TestQuotaCountsUnfinishedTasks(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	p.setQuota(ackscale.QuotaECSInstancesPerRegion, 5)
	a, b := p.standard("first"), p.standard("second")
	admin(t, p.srv, "POST", "faults", ackscale.Fault{Operation: ackscale.FaultCreate, Latency: 2 * time.Second, Count: 1}, nil)
	first, err := p.scaleOut(a, scaleOutBody(3))
	require.NoError(t, err)
	_, err = p.scaleOut(b, scaleOutBody(3))
	require.Equal(t, ackscale.CodeQuotaExceeded, codeOf(err), "%v", err)
	require.Contains(t, err.Error(), "reserved by running tasks")
	require.Equal(t, "success", p.wait(first).State)
	// Once the first task ended its reservation is its live instances:
	// 3 live + 2 fits, 3 + 3 does not.
	_, err = p.scaleOut(b, scaleOutBody(3))
	require.Equal(t, ackscale.CodeQuotaExceeded, codeOf(err))
	second, err := p.scaleOut(b, scaleOutBody(2))
	require.NoError(t, err)
	require.Equal(t, "success", p.wait(second).State)
	require.Len(t, liveInstances(t, p.srv), 5)
}

// The vCPU quota prices a scale-out at the largest type it may fall back
// to: before, it priced the first type only, and a fallback to a larger
// one passed the quota.
func TestQuotaPricesLargestFallbackType(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	p.setQuota(ackscale.QuotaECSVCPUsPerRegion, 6)
	id := p.standard("vcpus")
	_, err := p.scaleOut(id, scaleOutBody(1, "ecs.c5.large", "ecs.g6.2xlarge")) // 2 vCPUs, then 8
	require.Equal(t, ackscale.CodeQuotaExceeded, codeOf(err), "%v", err)
	require.Contains(t, err.Error(), ackscale.QuotaECSVCPUsPerRegion)
	require.Empty(t, liveInstances(t, p.srv))
	task, err := p.scaleOut(id, scaleOutBody(1, "ecs.c5.large", "ecs.g6.xlarge")) // at most 4
	require.NoError(t, err)
	require.Equal(t, "success", p.wait(task).State)
}

// CreateCluster's first workers are under the same quotas: before, a
// cluster created with num_of_nodes 5 under a quota of 3 got 5 workers.
func TestCreateClusterWorkersCheckQuota(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	body := func(name string, n int) []byte {
		return []byte(fmt.Sprintf(`{"name":%q,"region_id":"cn-hangzhou","cluster_type":"Kubernetes","kubernetes_version":"1.34.4",`+
			`"login_password":"Hello1234","worker_instance_types":["ecs.sn1ne.large"],"num_of_nodes":%d}`, name, n))
	}
	for _, q := range []struct{ name string }{{ackscale.QuotaECSInstancesPerRegion}, {ackscale.QuotaWorkersPerCluster}} {
		p.setQuota(q.name, 3)
		err := p.c.Do(p.ctx, "POST", "/clusters", body("over-"+q.name, 5), nil)
		require.Equal(t, ackscale.CodeQuotaExceeded, codeOf(err), "%s: %v", q.name, err)
		require.Contains(t, err.Error(), q.name)
		p.setQuota(q.name, -1)
	}
	require.Empty(t, liveInstances(t, p.srv))
	var list struct {
		Clusters []any `json:"clusters"`
	}
	require.NoError(t, p.c.Do(p.ctx, "GET", "/api/v1/clusters", nil, &list))
	require.Empty(t, list.Clusters, "a refused create makes no cluster")
	p.setQuota(ackscale.QuotaECSInstancesPerRegion, 3)
	var acc acsclient.Accepted
	require.NoError(t, p.c.Do(p.ctx, "POST", "/clusters", body("fits", 3), &acc))
	require.Equal(t, "success", p.wait(acc.TaskID).State)
	require.Len(t, liveInstances(t, p.srv), 3)
}

type nodeList struct {
	Nodes []struct {
		InstanceID   string `json:"instance_id"`
		NodeName     string `json:"node_name"`
		State        string `json:"state"`
		ErrorMessage string `json:"error_message"`
	} `json:"nodes"`
}

func (p *probe) nodes(clusterID string) nodeList {
	p.t.Helper()
	var n nodeList
	require.NoError(p.t, p.c.Do(p.ctx, "GET", "/clusters/"+clusterID+"/nodes?pageSize=100", nil, &n))
	return n
}

// failedScaleOut adds fault, then runs a scale-out of body with
// disable_rollback, which must end failed.
func (p *probe) failedScaleOut(clusterID string, fault ackscale.Fault, body map[string]any) {
	p.t.Helper()
	admin(p.t, p.srv, "POST", "faults", fault, nil)
	body["disable_rollback"] = true
	task, err := p.scaleOut(clusterID, body)
	require.NoError(p.t, err)
	require.Equal(p.t, "failed", p.wait(task).State)
}

// removeNodes removes and releases the named nodes (names or instance
// ids), after which the cluster has none.
func (p *probe) removeNodes(clusterID string, nodes []string) {
	p.t.Helper()
	var acc acsclient.Accepted
	require.NoError(p.t, p.c.Do(p.ctx, "POST", "/clusters/"+clusterID+"/nodes", map[string]any{"nodes": nodes, "release_node": true}, &acc))
	require.Equal(p.t, "success", p.wait(acc.TaskID).State)
	require.Empty(p.t, p.nodes(clusterID).Nodes)
}

// A failed scale-out kept by disable_rollback whose instances were never
// created: before, its workers had no name, counted toward the cluster and
// could not be removed. Now they are listed, named by their client token,
// counted by the invariant check, and removed by name.
func TestFailedWorkerRemovable(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	id := p.standard("failed")
	body := scaleOutBody(2)
	// Both creates refused, whichever runs first: no instance is created.
	p.failedScaleOut(id, ackscale.Fault{Operation: ackscale.FaultCreate, Code: "InvalidResourceType.NotSupported", Count: 2}, body)
	nodes := p.nodes(id)
	require.Len(t, nodes.Nodes, 2)
	var names []string
	for _, n := range nodes.Nodes {
		require.Equal(t, "failed", n.State)
		require.Empty(t, n.InstanceID)
		require.Regexp(t, `^t-[0-9a-f]{24}-\d+$`, n.NodeName, "named by its client token, in lower case")
		require.NotEmpty(t, n.ErrorMessage)
		names = append(names, n.NodeName)
	}
	require.Equal(t, 2, p.check().FailedWorkers)

	p.removeNodes(id, names)
	require.Zero(t, p.check().FailedWorkers)
}

// A worker whose instance exists but never ran is removed by its instance
// id too (ACK's node-pool removal names instances).
func TestFailedWorkerRemovableByInstanceID(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	id := p.standard("failed-boot")
	p.failedScaleOut(id, ackscale.Fault{Operation: ackscale.FaultStart, Code: "InstanceStartFailed", Count: 1}, scaleOutBody(1))
	n := p.nodes(id).Nodes[0]
	require.Equal(t, "failed", n.State)
	require.NotEmpty(t, n.InstanceID)
	p.removeNodes(id, []string{n.InstanceID})
	require.Empty(t, liveInstances(t, p.srv))
}

// The legacy PUT removes failed workers first: before, a cluster with a
// failed worker answered "only 0 workers can be removed".
func TestLegacyScaleInRemovesFailedWorkersFirst(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	id := p.cluster(createDedicatedHangzhou)
	put := func(n int) string {
		var acc acsclient.Accepted
		require.NoError(t, p.c.Do(p.ctx, "PUT", "/clusters/"+id, map[string]any{"num_of_nodes": n, "login_password": seed000Password,
			"disable_rollback": true}, &acc))
		return p.wait(acc.TaskID).State
	}
	require.Equal(t, "success", put(2))
	admin(t, p.srv, "POST", "faults", ackscale.Fault{Operation: ackscale.FaultCreate, Code: "InvalidResourceType.NotSupported", Count: 1}, nil)
	require.Equal(t, "failed", put(3))
	before := p.nodes(id).Nodes
	require.Len(t, before, 3)
	require.Equal(t, "success", put(2))
	after := p.nodes(id).Nodes
	require.Len(t, after, 2)
	for _, n := range after {
		require.Equal(t, "running", n.State, "the failed worker went first")
	}
}

// dbBytes is the size of the server's database files (the database and
// its write-ahead log).
func dbBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	for _, name := range []string{"ackscale.db", "ackscale.db-wal"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// largestLabels returns n distinct label keys and values at the largest
// lengths the API takes (a 253-character DNS prefix, a 63-character name;
// a 63-character value).
func largestLabels(n int) (keys, values []string) {
	prefix := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
	for i := range n {
		keys = append(keys, fmt.Sprintf("%s/k%02d%s", prefix, i, strings.Repeat("x", 60)))
		values = append(values, fmt.Sprintf("v%02d%s", i, strings.Repeat("y", 60)))
	}
	return keys, values
}

// maxGrowth bounds what the largest valid scale-out of 200 workers may add
// to the database (the probe's grew it by 423 MB): each worker's row and
// instance, and the task's shared spec once.
const maxGrowth = 1 << 20

// The largest valid ScaleOutCluster (every list and string at the most the
// API takes) grows the database by a bounded amount: before, labels and
// taints had no bound and were copied onto every worker.
func TestLargestValidRequestGrowsDatabaseBounded(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	id := p.standard("largest")
	keys, values := largestLabels(20)
	var tags, taints []map[string]string
	for i := range keys {
		tags = append(tags, map[string]string{"key": keys[i], "value": values[i]})
		taints = append(taints, map[string]string{"key": keys[i], "value": values[i], "effect": "NoSchedule"})
	}
	body := scaleOutBody(200)
	body["tags"], body["taints"] = tags, taints
	body["user_data"] = base64.StdEncoding.EncodeToString(make([]byte, 24576)) // 32768 characters
	body["runtime"] = map[string]string{"name": "containerd", "version": "1.6.38"}
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	// A server stopped gracefully checkpoints its log into the database.
	p.srv = p.srv.Restart(false)
	p.c = p.srv.Client()
	before := dbBytes(t, p.srv.DataDir)
	task, err := p.scaleOut(id, body)
	require.NoError(t, err)
	require.Equal(t, "success", p.wait(task).State)
	require.Len(t, liveInstances(t, p.srv), 200)
	p.srv.Stop()
	grew := dbBytes(t, p.srv.DataDir) - before
	t.Logf("a %d-byte ScaleOut of 200 workers grew the database by %d bytes (bound %d)", len(raw), grew, maxGrowth)
	require.Less(t, grew, int64(maxGrowth))
}
