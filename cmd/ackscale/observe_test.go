package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver"
)

// scrape reads /metrics (unsigned) and returns each series' value by its
// name and labels as the text format writes them (labels sorted by name).
func scrape(t *testing.T, baseURL string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(baseURL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	series := map[string]float64{}
	for line := range strings.Lines(string(raw)) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		require.Positive(t, i, line)
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, line)
		series[line[:i]] = v
	}
	return series
}

// requireSeries scrapes until every series of want has its value (River
// records a job's completion a moment after the job returns, and a task's
// duration is observed just after its end is stored), and returns the last
// scrape.
func requireSeries(t *testing.T, baseURL string, want map[string]float64) map[string]float64 {
	t.Helper()
	var got map[string]float64
	deadline := time.Now().Add(10 * time.Second)
	for {
		got = scrape(t, baseURL)
		if matches(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for name, v := range want {
		gv, ok := got[name]
		require.True(t, ok, "no series %s", name)
		require.Equal(t, v, gv, name)
	}
	return got
}

func matches(got, want map[string]float64) bool {
	for name, v := range want {
		if gv, ok := got[name]; !ok || gv != v {
			return false
		}
	}
	return true
}

// getJSON reads an unsigned GET's status and JSON body.
func getJSON(t *testing.T, url string, out any) int {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	return resp.StatusCode
}

type readyAnswer struct {
	Status string `json:"status"`
	Checks []struct {
		Name  string `json:"name"`
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	} `json:"checks"`
}

func (r readyAnswer) byName() map[string]string {
	out := map[string]string{}
	for _, c := range r.Checks {
		out[c.Name] = "ok"
		if !c.OK {
			out[c.Name] = c.Error
		}
	}
	return out
}

// TestMetricsAfterScaleOut scrapes /metrics after a cluster's creation and
// a scale-out of three ECS instances, through the wired handler over SQLite
// and River.
func TestMetricsAfterScaleOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := b.serveHandler(t)
	require.NoError(t, b.app.startJobs(b.ctx))
	k, err := b.app.ops.CreateAccount(b.ctx)
	require.NoError(t, err)
	c := &acsclient.Client{BaseURL: srv.URL, AccessKeyID: k.AccessKeyID, Secret: k.AccessKeySecret}
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()

	var created, scaled acsclient.Accepted
	require.NoError(t, c.Do(ctx, "POST", "/clusters", map[string]any{"name": "metrics", "region_id": "cn-hangzhou",
		"cluster_type": "ManagedKubernetes"}, &created))
	task, err := c.WaitTask(ctx, created.TaskID, 20*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, "success", task.State, task.Error)
	require.NoError(t, c.Do(ctx, "POST", "/api/v2/clusters/"+created.ClusterID, map[string]any{"count": 3,
		"key_pair": "secrity-key", "worker_instance_types": []string{"ecs.g6.large"}}, &scaled))
	task, err = c.WaitTask(ctx, scaled.TaskID, 20*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, "success", task.State, task.Error)
	var e *acsclient.Error
	require.ErrorAs(t, c.Do(ctx, "GET", "/clusters/nope", nil, nil), &e)

	id := created.ClusterID
	got := requireSeries(t, srv.URL, map[string]float64{
		`ackscale_tasks{state="success",type="cluster_create"}`:                                                        1,
		`ackscale_tasks{state="success",type="cluster_scaleout"}`:                                                      1,
		`ackscale_tasks{state="running",type="cluster_scaleout"}`:                                                      0,
		`ackscale_tasks{state="failed",type="cluster_delete"}`:                                                         0,
		`ackscale_task_duration_seconds_count{state="success",type="cluster_create"}`:                                  1,
		`ackscale_task_duration_seconds_count{state="success",type="cluster_scaleout"}`:                                1,
		`ackscale_instances{status="Running"}`:                                                                         3,
		`ackscale_instances{status="Pending"}`:                                                                         0,
		`ackscale_instances{status="Released"}`:                                                                        0,
		`ackscale_clusters{state="running"}`:                                                                           1,
		`ackscale_clusters{state="scaling"}`:                                                                           0,
		`ackscale_nodes{cluster_id="` + id + `",status="Ready"}`:                                                       3,
		`ackscale_nodes{cluster_id="` + id + `",status="NotReady"}`:                                                    0,
		`ackscale_workers{cluster_id="` + id + `",state="running"}`:                                                    3,
		`ackscale_workers{cluster_id="` + id + `",state="starting"}`:                                                   0,
		`ackscale_jobs{state="completed"}`:                                                                             2,
		`ackscale_jobs{state="available"}`:                                                                             0,
		`ackscale_jobs{state="running"}`:                                                                               0,
		`ackscale_http_requests_total{code="202",error_code="",operation="CreateCluster"}`:                             1,
		`ackscale_http_requests_total{code="202",error_code="",operation="ScaleOutCluster"}`:                           1,
		`ackscale_http_request_duration_seconds_count{operation="ScaleOutCluster"}`:                                    1,
		`ackscale_http_requests_total{code="404",error_code="ErrorClusterNotFound",operation="DescribeClusterDetail"}`: 1,
		`ackscale_build_info{version="` + version() + `"}`:                                                             1,
	})
	require.Positive(t, got[`ackscale_task_duration_seconds_sum{state="success",type="cluster_scaleout"}`])
	require.Positive(t, got[`ackscale_http_requests_total{code="200",error_code="",operation="DescribeTaskInfo"}`])
	require.Contains(t, got, "go_goroutines")
	require.Contains(t, got, `go_sql_open_connections{db_name="ackscale"}`)
	for name := range got {
		require.NotContains(t, name, "ackscale_kube_", "Kubernetes is off")
	}
}

// TestReadyz: not ready until River starts; ready then; not ready once the
// database and River are closed. The public paths need no signature.
func TestReadyz(t *testing.T) {
	t.Parallel()
	b := setup(t)
	srv := b.serveHandler(t)

	var ready readyAnswer
	require.Equal(t, http.StatusServiceUnavailable, getJSON(t, srv.URL+"/readyz", &ready))
	require.Equal(t, "not ready", ready.Status)
	require.Equal(t, map[string]string{"database": "ok", "jobs": "the job queue (River) has not started"}, ready.byName())

	require.NoError(t, b.app.startJobs(b.ctx))
	ready = readyAnswer{}
	require.Equal(t, http.StatusOK, getJSON(t, srv.URL+"/readyz", &ready))
	require.Equal(t, "ready", ready.Status)
	require.Equal(t, map[string]string{"database": "ok", "jobs": "ok"}, ready.byName())

	var index map[string]any
	require.Equal(t, http.StatusOK, getJSON(t, srv.URL+"/", &index))
	require.Equal(t, "ackscale", index["service"])
	require.Equal(t, version(), index["version"])
	resp, err := http.Get(srv.URL + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok\n", string(body))

	b.close()
	ready = readyAnswer{}
	require.Equal(t, http.StatusServiceUnavailable, getJSON(t, srv.URL+"/readyz", &ready))
	checks := ready.byName()
	require.Contains(t, checks["database"], "closed")
	require.Equal(t, "the job queue (River) has stopped", checks["jobs"])
}

// TestReadyzWithKube: with Kubernetes on, /readyz and /metrics also ask
// etcd and each cluster's API server.
func TestReadyzWithKube(t *testing.T) {
	t.Parallel()
	bin := testserver.KubeBin(t)
	b := &testBundle{ctx: context.Background(), dir: t.TempDir()}
	b.cfg = serveConfig{DataDir: b.dir, Kube: "on", KubeBin: bin, BootLatency: 0, TimeScale: 1}
	b.app, b.close = b.build(t)
	srv := b.serveHandler(t)
	require.NoError(t, b.app.startJobs(b.ctx))

	// No cluster: nothing to ask etcd through.
	var ready readyAnswer
	require.Equal(t, http.StatusOK, getJSON(t, srv.URL+"/readyz", &ready))
	require.Equal(t, map[string]string{"database": "ok", "jobs": "ok"}, ready.byName())

	k, err := b.app.ops.CreateAccount(b.ctx)
	require.NoError(t, err)
	c := &acsclient.Client{BaseURL: srv.URL, AccessKeyID: k.AccessKeyID, Secret: k.AccessKeySecret}
	ctx, cancel := context.WithTimeout(b.ctx, 3*time.Minute)
	defer cancel()
	var created acsclient.Accepted
	require.NoError(t, c.Do(ctx, "POST", "/clusters", map[string]any{"name": "kube", "region_id": "cn-hangzhou",
		"cluster_type": "ManagedKubernetes"}, &created))
	task, err := c.WaitTask(ctx, created.TaskID, 50*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, "success", task.State, task.Error)

	ready = readyAnswer{}
	require.Equal(t, http.StatusOK, getJSON(t, srv.URL+"/readyz", &ready), ready)
	require.Equal(t, map[string]string{"database": "ok", "jobs": "ok", "etcd": "ok", "apiserver/" + created.ClusterID: "ok"},
		ready.byName())
	requireSeries(t, srv.URL, map[string]float64{
		`ackscale_kube_apiserver_up{cluster_id="` + created.ClusterID + `"}`: 1,
		`ackscale_kube_etcd_up`: 1,
	})
}
