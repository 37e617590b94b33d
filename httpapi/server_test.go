package httpapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/httpapi"
	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/ops"
	"github.com/ackscale/ackscale/sqlite"
	"github.com/ackscale/ackscale/task"
)

type key struct{ id, secret string }

type testBundle struct {
	t     *testing.T
	srv   *httptest.Server
	db    *sql.DB
	alice key
	bob   key
}

// setup runs the API over a real SQLite store, River and the emulated cloud
// (instant boot), with two accounts.
func setup(t *testing.T) *testBundle {
	t.Helper()
	return setupWith(t, func(*httpapi.Config) {})
}

func setupWith(t *testing.T, configure func(*httpapi.Config)) *testBundle {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	workers := river.NewWorkers()
	rc, err := river.NewClient(riversqlite.New(db.SQL()), task.RiverConfig{Workers: workers, PollInterval: 20 * time.Millisecond}.Config())
	require.NoError(t, err)
	st := db.Stores(rc)
	zero := time.Duration(0)
	cl, err := cloud.New(cloud.Config{Store: st.Cloud, Catalog: catalog.Default(), BootLatency: &zero})
	require.NoError(t, err)
	require.NoError(t, task.Register(workers, task.Config{Store: taskStore{st.Clusters, st.Workers}, Cloud: cl}))
	b := &testBundle{t: t, db: db.SQL(), alice: key{"LTAIalice", "alice-secret"}, bob: key{"LTAIbob", "bob-secret"}}
	for id, k := range map[string]key{"5000000000000001": b.alice, "5000000000000002": b.bob} {
		_, err = st.Accounts.AccountEnsure(ctx, ackscale.AccountCreateParams{Account: ackscale.Account{ID: id, AccessKeyID: k.id}, Secret: k.secret})
		require.NoError(t, err)
	}
	// Changes as serve wires it: the answers of the reads clients poll are
	// kept while no cluster, pool, task or worker changes (answers.go), so
	// every test here that writes and then reads checks that they follow.
	svc, err := ops.New(ops.Config{Clusters: st.Clusters, Workers: st.Workers, Cloud: cl, BcryptCost: 4, Changes: db.Changes})
	require.NoError(t, err)
	cfg := httpapi.Config{Accounts: st.Accounts, Ops: svc}
	configure(&cfg)
	api, err := httpapi.New(cfg)
	require.NoError(t, err)
	require.NoError(t, rc.Start(ctx))
	b.srv = httptest.NewServer(api)
	t.Cleanup(func() {
		b.srv.Close()
		require.NoError(t, rc.Stop(context.Background()))
		require.NoError(t, db.Close())
	})
	return b
}

// taskStore is the clusters and workers stores as the task runner uses them.
type taskStore struct {
	*sqlite.ClusterStore
	*sqlite.WorkerStore
}

type reply struct {
	status int
	body   map[string]any
	raw    []byte
	header http.Header
}

// call sends an ACS3-signed request as the npm client does.
func (b *testBundle) call(k key, method, path string, body any, hdr ...string) reply {
	b.t.Helper()
	var payload []byte
	if body != nil {
		if s, ok := body.(string); ok {
			payload = []byte(s)
		} else {
			var err error
			payload, err = json.Marshal(body)
			require.NoError(b.t, err)
		}
	}
	req, err := http.NewRequest(method, b.srv.URL+path, bytes.NewReader(payload))
	require.NoError(b.t, err)
	if payload != nil {
		req.Header.Set("content-type", "application/json; charset=utf-8")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	acsclient.Sign(req, payload, k.id, k.secret)
	return b.do(req)
}

// do sends req and reads the answer.
func (b *testBundle) do(req *http.Request) reply {
	b.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	r := reply{status: resp.StatusCode, raw: raw, header: resp.Header}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(raw) > 0 && raw[0] == '{' {
		require.NoError(b.t, json.Unmarshal(raw, &r.body), string(raw))
	}
	return r
}

// waitTask polls DescribeTaskInfo until the task ends.
func (b *testBundle) waitTask(k key, taskID string) map[string]any {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := b.call(k, "GET", "/tasks/"+taskID, nil)
		require.Equal(b.t, 200, r.status, string(r.raw))
		if r.body["state"] != string(ackscale.TaskRunning) {
			return r.body
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.t.Fatalf("task %s still running", taskID)
	return nil
}

func (b *testBundle) createCluster(k key, body map[string]any) string {
	b.t.Helper()
	r := b.call(k, "POST", "/clusters", body)
	require.Equal(b.t, 202, r.status, string(r.raw))
	require.Equal(b.t, "success", b.waitTask(k, r.body["task_id"].(string))["state"])
	return r.body["cluster_id"].(string)
}

func standardCluster(name string) map[string]any {
	return map[string]any{"name": name, "region_id": "cn-hangzhou", "cluster_type": "ManagedKubernetes"}
}

func (b *testBundle) counts() (tasks, jobs, instances int) {
	db := b.db
	require.NoError(b.t, db.QueryRow(`SELECT count(*) FROM tasks`).Scan(&tasks))
	require.NoError(b.t, db.QueryRow(`SELECT count(*) FROM river_job`).Scan(&jobs))
	require.NoError(b.t, db.QueryRow(`SELECT count(*) FROM cloud_instances`).Scan(&instances))
	return
}

func TestScaleOutEndToEnd(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createCluster(b.alice, standardCluster("std"))
	r := b.call(b.alice, "POST", "/api/v2/clusters/"+id, map[string]any{
		"count": 3, "worker_instance_types": []string{"ecs.c5.xlarge"}, "key_pair": "secrity-key",
		"worker_system_disk_category": "cloud_efficiency", "worker_system_disk_size": 120,
	})
	require.Equal(t, 202, r.status, string(r.raw))
	require.Equal(t, id, r.body["cluster_id"])
	require.NotEmpty(t, r.body["request_id"])
	task := b.waitTask(b.alice, r.body["task_id"].(string))
	require.Equal(t, "success", task["state"], string(mustJSON(task)))
	results := task["task_result"].([]any)
	require.Len(t, results, 3)
	for _, res := range results {
		require.Regexp(t, `^i-`, res.(map[string]any)["data"])
		require.Equal(t, "success", res.(map[string]any)["status"])
	}

	nodes := b.call(b.alice, "GET", "/clusters/"+id+"/nodes?pageSize=2&pageNumber=1", nil)
	require.Equal(t, 200, nodes.status)
	require.Len(t, nodes.body["nodes"], 2)
	require.EqualValues(t, 3, nodes.body["page"].(map[string]any)["total_count"])
	n := nodes.body["nodes"].([]any)[0].(map[string]any)
	require.Equal(t, "running", n["state"])
	require.Equal(t, "Ready", n["node_status"])
	require.Equal(t, "cn-hangzhou."+n["ip_address"].([]any)[0].(string), n["node_name"])

	detail := b.call(b.alice, "GET", "/clusters/"+id, nil)
	require.EqualValues(t, 3, detail.body["size"])
	require.Equal(t, "running", detail.body["state"])

	// The old Go SDK gets task_result as {"task": [...]}.
	old := b.call(b.alice, "GET", "/tasks/"+r.body["task_id"].(string), nil, "x-sdk-client", "golang/1.0.0")
	require.Len(t, old.body["task_result"].(map[string]any)["task"], 3)
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestErrorsChangeNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createCluster(b.alice, standardCluster("std"))
	tasks, jobs, instances := b.counts()
	for _, tc := range []struct {
		name, method, path string
		body               any
		hdr                []string
		status             int
		code               string
		field              string
	}{
		{"count 0 (ruling 9)", "POST", "/api/v2/clusters/" + id, map[string]any{"count": 0, "key_pair": "secrity-key"}, nil, 400, "", "count"},
		{"both password and key pair (ruling 4)", "POST", "/api/v2/clusters/" + id, map[string]any{"count": 1, "key_pair": "secrity-key", "login_password": "Hello@1234", "worker_instance_types": []string{"ecs.c5.xlarge"}}, nil, 400, ackscale.CodeConflict, "login_password"},
		{"unknown cluster", "POST", "/api/v2/clusters/cdeadbeef", map[string]any{"count": 1}, nil, 404, ackscale.CodeClusterNotFound, ""},
		{"malformed JSON", "POST", "/api/v2/clusters/" + id, `{"count":`, nil, 400, ackscale.CodeMalformedBody, ""},
		{"form body", "POST", "/api/v2/clusters/" + id, "count=1", []string{"content-type", "application/x-www-form-urlencoded"}, 415, ackscale.CodeUnsupportedMedia, ""},
		{"legacy PUT on a managed cluster", "PUT", "/clusters/" + id, map[string]any{"num_of_nodes": 3}, nil, 400, ackscale.CodeInvalidOperation, ""},
		{"unknown path", "GET", "/nope", nil, nil, 404, ackscale.CodeRouteNotFound, ""},
		{"wrong method", "PATCH", "/clusters/" + id, nil, nil, 405, "InvalidAction.MethodNotAllowed", ""},
		{"kubeconfig in --kube=off", "GET", "/k8s/" + id + "/user_config", nil, nil, 400, ackscale.CodeClusterState, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.call(b.alice, tc.method, tc.path, tc.body, tc.hdr...)
			require.Equal(t, tc.status, r.status, string(r.raw))
			if tc.code != "" {
				require.Equal(t, tc.code, r.body["code"])
			}
			require.Equal(t, r.body["code"], r.body["Code"])
			require.Equal(t, r.body["message"], r.body["Message"])
			require.NotEmpty(t, r.body["requestId"])
			require.Equal(t, r.body["requestId"], r.body["RequestId"])
			require.Equal(t, r.header.Get("x-acs-request-id"), r.body["requestId"])
			if tc.field != "" {
				require.Contains(t, r.body["message"], tc.field)
			}
		})
	}
	t2, j2, i2 := b.counts()
	require.Equal(t, []int{tasks, jobs, instances}, []int{t2, j2, i2})
}

func TestAccountsAreIsolated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createCluster(b.alice, standardCluster("mine"))
	for _, path := range []string{"/clusters/" + id, "/clusters/" + id + "/nodes"} {
		r := b.call(b.bob, "GET", path, nil)
		require.Equal(t, 404, r.status)
		require.Equal(t, ackscale.CodeClusterNotFound, r.body["code"])
	}
	r := b.call(b.bob, "POST", "/api/v2/clusters/"+id, map[string]any{"count": 1, "key_pair": "secrity-key"})
	require.Equal(t, 404, r.status)
	list := b.call(b.bob, "GET", "/api/v1/clusters", nil)
	require.Empty(t, list.body["clusters"])
	list = b.call(b.alice, "GET", "/api/v1/clusters", nil)
	require.Len(t, list.body["clusters"], 1)
}

func TestOneOperationPerCluster(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createCluster(b.alice, standardCluster("busy"))
	_, err := b.db.Exec(`UPDATE clusters SET state = 'scaling' WHERE id = ?`, id)
	require.NoError(t, err)
	_, jobs, _ := b.counts()
	r := b.call(b.alice, "POST", "/api/v2/clusters/"+id, map[string]any{"count": 1, "key_pair": "secrity-key",
		"worker_instance_types": []string{"ecs.c5.xlarge"}})
	require.Equal(t, 400, r.status)
	require.Equal(t, ackscale.CodeClusterState, r.body["code"])
	require.Contains(t, r.body["message"], "scaling")
	_, jobs2, _ := b.counts()
	require.Equal(t, jobs, jobs2)
}

func TestXMLWhenAccepted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(b.alice, "GET", "/clusters/cnope", nil, "accept", "application/xml")
	require.Equal(t, 404, r.status)
	require.Contains(t, r.header.Get("Content-Type"), "application/xml")
	var e struct {
		Code, Message, RequestId string
	}
	require.NoError(t, xml.Unmarshal(r.raw, &e), string(r.raw))
	require.Equal(t, ackscale.CodeClusterNotFound, e.Code)
	require.NotEmpty(t, e.RequestId)

	id := b.createCluster(b.alice, standardCluster("x"))
	r = b.call(b.alice, "GET", "/clusters/"+id, nil, "accept", "application/xml")
	require.Equal(t, 200, r.status)
	require.Contains(t, string(r.raw), "<cluster_id>"+id+"</cluster_id>")
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(b.alice, "POST", "/clusters", strings.Repeat("a", 2<<20))
	require.Equal(t, 413, r.status)
	require.Equal(t, ackscale.CodeBodyTooLarge, r.body["code"])
}

func TestThrottlingPerAccount(t *testing.T) {
	t.Parallel()
	b := setupWith(t, func(c *httpapi.Config) { c.RateLimit, c.Burst = 0.5, 3 })
	for range 3 {
		require.Equal(t, 200, b.call(b.alice, "GET", "/api/v1/clusters", nil).status)
	}
	r := b.call(b.alice, "GET", "/api/v1/clusters", nil)
	require.Equal(t, 400, r.status)
	require.Equal(t, ackscale.CodeThrottling, r.body["code"])
	require.NotEmpty(t, r.header.Get("x-acs-retry-after"))
	require.NotEmpty(t, r.header.Get("Retry-After"))
	// Another account is not starved by the first.
	require.Equal(t, 200, b.call(b.bob, "GET", "/api/v1/clusters", nil).status)
}

func TestLongValuesAreCutInMessages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.call(b.alice, "POST", "/clusters", map[string]any{"name": "x", "region_id": strings.Repeat("a", 65536),
		"cluster_type": "ManagedKubernetes"})
	require.Equal(t, 400, r.status)
	require.LessOrEqual(t, len(r.body["message"].(string)), 1100)
	require.Less(t, len(r.raw), 4096)
}
