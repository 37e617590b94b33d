package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/metrics"
)

// fakeStore is every source, answering what its fields say.
type fakeStore struct {
	tasks     []ackscale.TaskCounts
	jobs      []metrics.JobCount
	clusters  []ackscale.Cluster
	workers   map[string][]ackscale.WorkerCount
	instances []ackscale.Instance
	err       error // returned by TaskCountsByType
}

func (f *fakeStore) TaskCountsByType(context.Context) ([]ackscale.TaskCounts, error) {
	return f.tasks, f.err
}
func (f *fakeStore) JobCounts(context.Context) ([]metrics.JobCount, error) { return f.jobs, nil }
func (f *fakeStore) ClusterList(_ context.Context, p ackscale.ClusterListParams) ([]ackscale.Cluster, int, error) {
	var out []ackscale.Cluster
	for _, c := range f.clusters {
		if !p.WithAPIServer || c.APIServer != "" {
			out = append(out, c)
		}
	}
	return out, len(out), nil
}
func (f *fakeStore) WorkerCounts(_ context.Context, id string) ([]ackscale.WorkerCount, error) {
	return f.workers[id], nil
}
func (f *fakeStore) InstanceList(context.Context, ackscale.InstanceListParams) ([]ackscale.Instance, error) {
	return f.instances, nil
}

func newMetrics(t *testing.T, f *fakeStore, configure func(*metrics.Config)) *metrics.Metrics {
	t.Helper()
	cfg := metrics.Config{Tasks: f, Jobs: f, Clusters: f, Workers: f, Instances: f, Version: "v0-test"}
	configure(&cfg)
	m, err := metrics.New(cfg)
	require.NoError(t, err)
	return m
}

func TestStoreMetrics(t *testing.T) {
	t.Parallel()
	f := &fakeStore{
		tasks: []ackscale.TaskCounts{{Type: ackscale.TaskScaleOut, State: ackscale.TaskSuccess, Count: 2},
			{Type: ackscale.TaskScaleOut, State: ackscale.TaskRunning, Count: 1}},
		jobs: []metrics.JobCount{{State: "completed", Count: 2}, {State: "running", Count: 1}},
		clusters: []ackscale.Cluster{{ID: "c1", State: ackscale.ClusterScaling},
			{ID: "c2", State: ackscale.ClusterRunning}},
		workers: map[string][]ackscale.WorkerCount{
			"c1": {{State: ackscale.NodeRunning, NodeStatus: ackscale.NodeReady, Count: 2},
				{State: ackscale.NodeStarting, NodeStatus: ackscale.NodeNotReady, Count: 1},
				{State: ackscale.NodeStarting, Count: 4}}, // not Nodes yet
		},
		instances: []ackscale.Instance{{Status: ackscale.InstanceRunning}, {Status: ackscale.InstanceRunning},
			{Status: ackscale.InstancePending}, {Status: ackscale.InstanceReleased}},
	}
	m := newMetrics(t, f, func(*metrics.Config) {})
	reg := m.Registry()

	var want strings.Builder
	want.WriteString("# HELP ackscale_tasks Tasks by type and state, as the store has them (every task ever accepted).\n# TYPE ackscale_tasks gauge\n")
	for _, typ := range ackscale.TaskTypes() {
		for _, st := range []ackscale.TaskState{ackscale.TaskFailed, ackscale.TaskRunning, ackscale.TaskSuccess} {
			n := 0
			if typ == ackscale.TaskScaleOut && st == ackscale.TaskSuccess {
				n = 2
			} else if typ == ackscale.TaskScaleOut && st == ackscale.TaskRunning {
				n = 1
			}
			fmt.Fprintf(&want, "ackscale_tasks{state=%q,type=%q} %d\n", st, typ, n)
		}
	}
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want.String()), "ackscale_tasks"))

	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP ackscale_instances Emulated cloud instances by status, as last recorded (Pending, Running, Released).
# TYPE ackscale_instances gauge
ackscale_instances{status="Pending"} 1
ackscale_instances{status="Released"} 1
ackscale_instances{status="Running"} 2
# HELP ackscale_jobs River jobs by state: the task queue's depth (available, running, retryable, scheduled…).
# TYPE ackscale_jobs gauge
ackscale_jobs{state="available"} 0
ackscale_jobs{state="completed"} 2
ackscale_jobs{state="retryable"} 0
ackscale_jobs{state="running"} 1
ackscale_jobs{state="scheduled"} 0
# HELP ackscale_build_info Always 1; its labels name the version that runs.
# TYPE ackscale_build_info gauge
ackscale_build_info{version="v0-test"} 1
`), "ackscale_instances", "ackscale_jobs", "ackscale_build_info"))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(clusterGauge("ackscale_nodes",
		"Workers that are Nodes, by cluster and Ready condition (Ready, NotReady, Unknown).", "status",
		[]string{"NotReady", "Ready", "Unknown"}, map[string]int{"c1/NotReady": 1, "c1/Ready": 2})), "ackscale_nodes"))

	// Each cluster state but deleted (never listed), zeros included; each
	// worker state per cluster.
	require.Equal(t, len(ackscale.ClusterStates())-1, testutil.CollectAndCount(reg, "ackscale_clusters"))
	require.Equal(t, 2*len(ackscale.NodeStates()), testutil.CollectAndCount(reg, "ackscale_workers"))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(clusterGauge("ackscale_workers",
		"Workers by cluster and state (initial, starting, running, failed, removing).", "state",
		[]string{"failed", "initial", "removing", "running", "starting"}, map[string]int{"c1/running": 2, "c1/starting": 5})),
		"ackscale_workers"))
}

// clusterGauge is the exposition of a gauge by cluster_id (c1 and c2) and
// label: a line for each value, 0 but where counts (by "cluster/value")
// says otherwise.
func clusterGauge(name, help, label string, values []string, counts map[string]int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
	for _, c := range []string{"c1", "c2"} {
		for _, v := range values {
			fmt.Fprintf(&b, "%s{cluster_id=%q,%s=%q} %d\n", name, c, label, v, counts[c+"/"+v])
		}
	}
	return b.String()
}

// TestFailingSourceFailsOnlyItsMetric: the error reaches the gatherer (and
// so the handler's log); the other sources are still collected.
func TestFailingSourceFailsOnlyItsMetric(t *testing.T) {
	t.Parallel()
	f := &fakeStore{err: errors.New("database is locked")}
	m := newMetrics(t, f, func(*metrics.Config) {})
	mfs, err := m.Registry().Gather()
	require.ErrorContains(t, err, "database is locked")
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	require.Contains(t, names, "ackscale_instances")
	require.Contains(t, names, "ackscale_jobs")
	require.NotContains(t, names, "ackscale_tasks")
}

func TestTaskEnded(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m := newMetrics(t, &fakeStore{}, func(c *metrics.Config) { c.Now = func() time.Time { return now } })
	m.TaskEnded(ackscale.Task{Type: ackscale.TaskScaleOut, State: ackscale.TaskSuccess, Created: now.Add(-45 * time.Second)})
	m.TaskEnded(ackscale.Task{Type: ackscale.TaskScaleOut, State: ackscale.TaskFailed, Created: now.Add(-3 * time.Second)})
	m.TaskEnded(ackscale.Task{Type: ackscale.TaskScaleOut, State: ackscale.TaskRunning, Created: now}) // not ended: ignored
	mfs, err := m.Registry().Gather()
	require.NoError(t, err)
	got := map[string][2]float64{} // state → count, sum
	for _, mf := range mfs {
		if mf.GetName() != "ackscale_task_duration_seconds" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			require.Equal(t, string(ackscale.TaskScaleOut), labels["type"])
			got[labels["state"]] = [2]float64{float64(mt.GetHistogram().GetSampleCount()), mt.GetHistogram().GetSampleSum()}
		}
	}
	require.Equal(t, map[string][2]float64{"success": {1, 45}, "failed": {1, 3}}, got)
}

// apiserver is a fake kube-apiserver's /readyz?verbose.
func apiserver(t *testing.T, status int, etcdLine string) string {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || r.URL.RawQuery != "verbose" || r.Header.Get("Authorization") != "" {
			http.Error(w, "unexpected", http.StatusBadRequest)
			return
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, "[+]ping ok\n[+]log ok\n%s\n[+]informer-sync ok\nreadyz check passed\n", etcdLine)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestKubeProbe(t *testing.T) {
	t.Parallel()
	up := apiserver(t, http.StatusOK, "[+]etcd ok")
	etcdDown := apiserver(t, http.StatusInternalServerError, "[-]etcd failed: reason withheld")
	f := &fakeStore{clusters: []ackscale.Cluster{
		{ID: "c-up", State: ackscale.ClusterRunning, APIServer: up},
		{ID: "c-etcd-down", State: ackscale.ClusterScaling, APIServer: etcdDown},
		{ID: "c-gone", State: ackscale.ClusterRunning, APIServer: "https://127.0.0.1:1"},
		{ID: "c-far", State: ackscale.ClusterRunning, APIServer: "https://192.0.2.1:6443"},
		{ID: "c-deleting", State: ackscale.ClusterDeleting, APIServer: up},
		{ID: "c-off", State: ackscale.ClusterRunning},
	}}
	probe := &metrics.KubeProbe{Clusters: f}
	ctx := context.Background()
	ts, err := probe.Targets(ctx)
	require.NoError(t, err)
	errs := metrics.CheckAll(ctx, ts)
	require.Len(t, errs, 5)
	require.NoError(t, errs["apiserver/c-up"])
	require.ErrorContains(t, errs["apiserver/c-etcd-down"], "500")
	require.ErrorContains(t, errs["apiserver/c-gone"], "connect")
	require.ErrorContains(t, errs["apiserver/c-far"], "not a loopback address")
	require.NoError(t, errs["etcd"], "an API server shows etcd's check passing")

	// etcd is asked through each API server in turn, until one shows it passing.
	f.clusters = []ackscale.Cluster{{ID: "a", APIServer: etcdDown}, {ID: "c", APIServer: "https://127.0.0.1:1"}}
	ts, err = probe.Targets(ctx)
	require.NoError(t, err)
	err = metrics.CheckAll(ctx, ts)["etcd"]
	require.ErrorContains(t, err, "[-]etcd failed")
	require.ErrorContains(t, err, "connect")
	f.clusters = append(f.clusters, ackscale.Cluster{ID: "b", APIServer: up})

	m := newMetrics(t, &fakeStore{}, func(c *metrics.Config) { c.Kube = probe })
	require.NoError(t, testutil.GatherAndCompare(m.Registry(), strings.NewReader(`
# HELP ackscale_kube_apiserver_up 1 when the cluster's kube-apiserver answers /readyz with 200 at this scrape, else 0.
# TYPE ackscale_kube_apiserver_up gauge
ackscale_kube_apiserver_up{cluster_id="a"} 0
ackscale_kube_apiserver_up{cluster_id="b"} 1
ackscale_kube_apiserver_up{cluster_id="c"} 0
# HELP ackscale_kube_etcd_up 1 when etcd passes an API server's etcd check (/readyz?verbose) at this scrape, else 0; absent while no cluster has an API server.
# TYPE ackscale_kube_etcd_up gauge
ackscale_kube_etcd_up 1
`), "ackscale_kube_apiserver_up", "ackscale_kube_etcd_up"))

	// No API server: no target, nothing to ask etcd through.
	f.clusters = []ackscale.Cluster{{ID: "c-off", State: ackscale.ClusterRunning}}
	ts, err = probe.Targets(ctx)
	require.NoError(t, err)
	require.Empty(t, ts)
}
