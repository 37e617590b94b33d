package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// nodeDir holds package.json, package-lock.json and the scripts (scenario.mjs,
// nodepools.mjs, and client.mjs, which they share).
const nodeDir = "node"

// npmResult is the JSON line scenario.mjs prints.
type npmResult struct {
	Kinds  []npmKind `json:"kinds"`
	Errors struct {
		CountZero      npmError `json:"count_zero"`
		UnknownCluster npmError `json:"unknown_cluster"`
		WrongSecret    npmError `json:"wrong_secret"`
	} `json:"errors"`
}

type npmKind struct {
	Kind   string `json:"kind"`
	Create struct {
		StatusCode int    `json:"statusCode"`
		ClusterID  string `json:"cluster_id"`
		TaskID     string `json:"task_id"`
		RequestID  string `json:"request_id"`
	} `json:"create"`
	CreateTask npmTask `json:"create_task"`
	Scale      struct {
		Via        string   `json:"via"`
		Dropped    []string `json:"dropped"`
		StatusCode int      `json:"statusCode"`
		ClusterID  string   `json:"cluster_id"`
		TaskID     string   `json:"task_id"`
		RequestID  string   `json:"request_id"`
	} `json:"scale"`
	ScaleTask npmTask `json:"scale_task"`
	Nodes     struct {
		StatusCode int `json:"statusCode"`
		Page       struct {
			PageNumber int `json:"page_number"`
			PageSize   int `json:"page_size"`
			TotalCount int `json:"total_count"`
		} `json:"page"`
		Nodes []struct {
			InstanceID   string   `json:"instance_id"`
			NodeName     string   `json:"node_name"`
			IPAddress    []string `json:"ip_address"`
			InstanceType string   `json:"instance_type"`
			InstanceRole string   `json:"instance_role"`
			State        string   `json:"state"`
			NodeStatus   string   `json:"node_status"`
		} `json:"nodes"`
	} `json:"nodes"`
	Detail struct {
		StatusCode  int    `json:"statusCode"`
		ClusterID   string `json:"cluster_id"`
		State       string `json:"state"`
		Size        int    `json:"size"`
		ClusterType string `json:"cluster_type"`
		Profile     string `json:"profile"`
	} `json:"detail"`
}

type npmTask struct {
	StatusCode int    `json:"statusCode"`
	TaskID     string `json:"task_id"`
	ClusterID  string `json:"cluster_id"`
	TaskType   string `json:"task_type"`
	State      string `json:"state"`
	Error      *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	TaskResult []struct {
		Data   string `json:"data"`
		Status string `json:"status"`
	} `json:"task_result"`
}

type npmError struct {
	Unexpected string `json:"unexpected"`
	Name       string `json:"name"`
	Code       string `json:"code"`
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	RequestID  string `json:"requestId"`
}

// TestNPMClient runs e2e/node/scenario.mjs (the npm @alicloud/cs20151215
// 7.2.0, ACS3-HMAC-SHA256) against a server: a cluster of each kind,
// scaled out with its seed's example, then the errors.
func TestNPMClient(t *testing.T) {
	t.Parallel()
	testserver.NodeModules(t, nodeDir)
	srv := startServer(t, testserver.Options{})
	var res npmResult
	runNode(t, srv, "scenario.mjs", &res, "SEED_001="+seed001Body, "SEED_002="+seed002Body, "SEED_004="+seed004Body)

	want := map[string]struct {
		count        int
		instanceType string
		nodePrefix   string
		via          string
		clusterType  string
		profile      string
	}{
		"standard":  {3, "ecs.c5.xlarge", "cn-beijing", "model", "ManagedKubernetes", "Default"},
		"edge":      {1, "ens.sn1.tiny", "cn-beijing-telecom", "callApi", "ManagedKubernetes", "Edge"},
		"sandbox":   {1, "ecs.ebmg5s.24xlarge", "cn-beijing", "callApi", "ManagedKubernetes", "Default"},
		"dedicated": {3, "ecs.c5.xlarge", "cn-beijing", "model", "Kubernetes", "Default"},
	}
	require.Len(t, res.Kinds, len(want))
	for _, k := range res.Kinds {
		t.Run(k.Kind, func(t *testing.T) {
			w, ok := want[k.Kind]
			require.True(t, ok, "unexpected kind %q", k.Kind)
			id := k.Create.ClusterID
			require.Equal(t, 202, k.Create.StatusCode)
			require.Regexp(t, `^c[0-9a-z]+$`, id)
			require.NotEmpty(t, k.Create.RequestID)
			require.Equal(t, "success", k.CreateTask.State)
			require.Equal(t, k.Create.TaskID, k.CreateTask.TaskID)
			require.Equal(t, id, k.CreateTask.ClusterID)

			require.Equal(t, w.via, k.Scale.Via)
			if w.via == "model" {
				// What ScaleOutClusterRequest 7.2.0 cannot carry of seed 002.
				require.Equal(t, []string{"disable_rollback", "worker_data_disk"}, k.Scale.Dropped)
			}
			require.Equal(t, 202, k.Scale.StatusCode)
			require.Equal(t, id, k.Scale.ClusterID)
			require.NotEmpty(t, k.Scale.RequestID)
			require.Regexp(t, `^T-[0-9a-f]+$`, k.Scale.TaskID)

			task := k.ScaleTask
			require.Equal(t, 200, task.StatusCode)
			require.Equal(t, "success", task.State, "task error: %+v", task.Error)
			require.Equal(t, "cluster_scaleout", task.TaskType)
			require.Equal(t, id, task.ClusterID)
			require.Len(t, task.TaskResult, w.count)
			var fromTask, listed []string
			for _, r := range task.TaskResult {
				require.Regexp(t, `^i-[0-9a-z]+$`, r.Data)
				require.Equal(t, "success", r.Status)
				fromTask = append(fromTask, r.Data)
			}

			require.Equal(t, 200, k.Nodes.StatusCode)
			require.Equal(t, w.count, k.Nodes.Page.TotalCount)
			require.Equal(t, 100, k.Nodes.Page.PageSize)
			require.Equal(t, 1, k.Nodes.Page.PageNumber)
			require.Len(t, k.Nodes.Nodes, w.count)
			for _, n := range k.Nodes.Nodes {
				require.Len(t, n.IPAddress, 1)
				require.Equal(t, w.nodePrefix+"."+n.IPAddress[0], n.NodeName)
				require.Equal(t, w.instanceType, n.InstanceType)
				require.Equal(t, "Worker", n.InstanceRole)
				require.Equal(t, "running", n.State)
				require.Equal(t, "Ready", n.NodeStatus)
				listed = append(listed, n.InstanceID)
			}
			require.ElementsMatch(t, fromTask, listed)

			require.Equal(t, 200, k.Detail.StatusCode)
			require.Equal(t, id, k.Detail.ClusterID)
			require.Equal(t, "running", k.Detail.State)
			require.Equal(t, w.count, k.Detail.Size)
			require.Equal(t, w.clusterType, k.Detail.ClusterType)
			require.Equal(t, w.profile, k.Detail.Profile)
		})
	}

	for _, tt := range []struct {
		name   string
		got    npmError
		status int
		code   string // "": any
		msg    string // a part of the message
	}{
		{"count 0", res.Errors.CountZero, 400, "", "count"},
		{"unknown cluster", res.Errors.UnknownCluster, 404, "ErrorClusterNotFound", ""},
		{"wrong secret", res.Errors.WrongSecret, 400, "SignatureDoesNotMatch", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.got
			require.Empty(t, e.Unexpected)
			require.Equal(t, tt.status, e.StatusCode)
			require.NotEmpty(t, e.Code)
			if tt.code != "" {
				require.Equal(t, tt.code, e.Code)
			}
			require.NotEmpty(t, e.RequestID)
			require.Contains(t, e.Message, tt.msg)
		})
	}
}

// runNode runs the script e2e/node/name against srv, its port and key in
// the environment with env, and decodes the JSON line it prints last into
// res. It fails t unless the script exits 0 and that line has no "fatal".
func runNode(t *testing.T, srv *testserver.Server, name string, res any, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", name)
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(), "PORT="+srv.Port, "AK="+srv.AccessKeyID, "SK="+srv.AccessKeySecret)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := []byte(lines[len(lines)-1])
	var fatal struct {
		Fatal string `json:"fatal"`
	}
	require.NoError(t, json.Unmarshal(last, res), "%s output (err %v):\n%s\nstderr:\n%s", name, runErr, stdout.String(), stderr.String())
	require.NoError(t, json.Unmarshal(last, &fatal))
	require.Empty(t, fatal.Fatal, "%s failed:\n%s", name, stdout.String())
	require.NoError(t, runErr, "stderr:\n%s", stderr.String())
}
