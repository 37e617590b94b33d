package main

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseEndpoint(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want, err string }{
		{in: "127.0.0.1:9696", want: "http://127.0.0.1:9696"},
		{in: "http://127.0.0.1:9696/", want: "http://127.0.0.1:9696"},
		{in: "https://localhost:9696", want: "https://localhost:9696"},
		{in: "[::1]:9696", want: "http://[::1]:9696"},
		{in: "ftp://x:1", err: "http or https"},
		{in: "http://x:1/api", err: "without a path"},
		{in: "http://:1", err: "without a path"},
	} {
		u, err := parseEndpoint(tt.in)
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, u.String(), tt.in)
	}
}

// TestTaskResults reads task_result in both forms the server answers.
func TestTaskResults(t *testing.T) {
	t.Parallel()
	want := taskResults{{Data: "i-1", Status: "success"}, {Data: "t-x-1", Status: "failed"}}
	for _, raw := range []string{
		`{"task_result":[{"data":"i-1","status":"success"},{"data":"t-x-1","status":"failed"}]}`,
		`{"task_result":{"task":[{"data":"i-1","status":"success"},{"data":"t-x-1","status":"failed"}]}}`,
	} {
		var ti taskInfo
		require.NoError(t, json.Unmarshal([]byte(raw), &ti), raw)
		require.Equal(t, want, ti.Results)
		require.Equal(t, []string{"i-1"}, ti.instanceIDs())
	}
	var ti taskInfo
	require.Error(t, json.Unmarshal([]byte(`{"task_result":"x"}`), &ti))
}

func TestBody(t *testing.T) {
	t.Parallel()
	b := body{"scaling_group": map[string]any{"desired_size": 1.0}}
	require.True(t, b.has("scaling_group.desired_size"))
	require.False(t, b.has("scaling_group.key_pair"))
	require.False(t, b.has("nodepool_info.name"))
	b.set("nodepool_info.name", "web")
	b.set("scaling_group.key_pair", "k")
	require.JSONEq(t, `{"nodepool_info":{"name":"web"},"scaling_group":{"desired_size":1,"key_pair":"k"}}`, string(b.json()))

	var w workerFlags
	b = body{"login_password": "x"}
	w.apply(b, "", "worker_instance_types")
	require.JSONEq(t, `{"login_password":"x","worker_instance_types":["ecs.g6.large"]}`, string(b.json()), "no key pair beside a password")
	w = workerFlags{instanceTypes: []string{"a", "b"}, keyPair: "k"}
	b = body{}
	w.apply(b, "scaling_group.", "instance_types")
	require.JSONEq(t, `{"scaling_group":{"instance_types":["a","b"],"key_pair":"k"}}`, string(b.json()))
}

func TestKeyValuesAndTaints(t *testing.T) {
	t.Parallel()
	kv, err := keyValues("label", []string{"a=b", "c="})
	require.NoError(t, err)
	require.Equal(t, []map[string]string{{"key": "a", "value": "b"}, {"key": "c", "value": ""}}, kv)
	_, err = keyValues("label", []string{"=b"})
	require.ErrorContains(t, err, "KEY=VALUE")
	ts, err := taints([]string{"k=v:NoSchedule", "k2:NoExecute"})
	require.NoError(t, err)
	require.Equal(t, []map[string]string{{"key": "k", "value": "v", "effect": "NoSchedule"},
		{"key": "k2", "value": "", "effect": "NoExecute"}}, ts)
	_, err = taints([]string{"k=v"})
	require.ErrorContains(t, err, "EFFECT")
}

func TestProgressLines(t *testing.T) {
	t.Parallel()
	p := progress{task: taskInfo{TaskID: "T-1", TaskType: "cluster_scaleout", State: taskRunning, CurrentStage: "wait_running"},
		Requested: 3, Created: 3, Running: 1}
	require.Equal(t, "task T-1 cluster_scaleout: wait_running, 3 requested, 3 created, 1 running, 0 Ready", p.line())
	p.task.State, p.Running, p.Ready = taskSuccess, 3, 3
	require.Equal(t, "task T-1 (cluster_scaleout) succeeded in 12s; 3 requested, 3 created, 3 running, 3 Ready",
		p.summary(12300*time.Millisecond))
	p = progress{task: taskInfo{TaskID: "T-2", TaskType: "nodepool_remove_nodes", State: taskFailed, CurrentStage: "drain",
		Error: &taskError{Code: "X", Message: "y"}}, Removing: 2}
	require.Equal(t, "task T-2 (nodepool_remove_nodes) failed after 1.2s in drain: X: y; 2 to remove, 0 removed",
		p.summary(1234*time.Millisecond))
	p = progress{task: taskInfo{TaskID: "T-3", TaskType: "cluster_create", State: taskRunning}}
	require.Equal(t, "task T-3 cluster_create: queued", p.line())
}

func TestPermanent(t *testing.T) {
	t.Parallel()
	require.True(t, permanent(&apiError{Status: 404, Code: "ErrorTaskNotFound"}))
	require.False(t, permanent(&apiError{Status: 429, Code: "Throttling.User"}))
	require.False(t, permanent(&apiError{Status: 400, Code: "Throttling.User"}))
	require.False(t, permanent(&apiError{Status: 500, Code: "InternalError"}))
	require.False(t, permanent(errors.New("connection refused")))
}
