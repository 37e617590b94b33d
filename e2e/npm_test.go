package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// nodeDir holds package.json, package-lock.json and scenario.mjs.
const nodeDir = "node"

// npmResult is the JSON line scenario.mjs prints.
type npmResult struct {
	Fatal  string    `json:"fatal"`
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
	requireNodeModules(t)
	srv := startServer(t, testserver.Options{})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "scenario.mjs")
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(), "PORT="+srv.Port, "AK="+srv.AccessKeyID, "SK="+srv.AccessKeySecret,
		"SEED_001="+seed001Body, "SEED_002="+seed002Body, "SEED_004="+seed004Body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var res npmResult
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &res),
		"scenario.mjs output (err %v):\n%s\nstderr:\n%s", runErr, stdout.String(), stderr.String())
	require.Empty(t, res.Fatal, "scenario.mjs failed:\n%s", stdout.String())
	require.NoError(t, runErr, "stderr:\n%s", stderr.String())

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

	t.Run("count 0", func(t *testing.T) {
		e := res.Errors.CountZero
		require.Empty(t, e.Unexpected)
		require.Equal(t, 400, e.StatusCode)
		require.NotEmpty(t, e.Code)
		require.NotEmpty(t, e.RequestID)
		require.Contains(t, e.Message, "count")
	})
	t.Run("unknown cluster", func(t *testing.T) {
		e := res.Errors.UnknownCluster
		require.Empty(t, e.Unexpected)
		require.Equal(t, 404, e.StatusCode)
		require.Equal(t, "ErrorClusterNotFound", e.Code)
		require.NotEmpty(t, e.RequestID)
	})
	t.Run("wrong secret", func(t *testing.T) {
		e := res.Errors.WrongSecret
		require.Empty(t, e.Unexpected)
		require.Equal(t, 400, e.StatusCode)
		require.Equal(t, "SignatureDoesNotMatch", e.Code)
		require.NotEmpty(t, e.RequestID)
	})
}

// requireNodeModules makes sure node and the pinned npm packages are there,
// running `npm ci` if node_modules is missing. Without them the test is
// skipped, except under CI=true, where it fails.
func requireNodeModules(t *testing.T) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (set CI=true to make this a failure)", args...)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node is not installed: %v", err)
	}
	marker := filepath.Join(nodeDir, "node_modules", "@alicloud", "cs20151215", "package.json")
	if _, err := os.Stat(marker); err == nil {
		return
	}
	if _, err := exec.LookPath("npm"); err != nil {
		missing("npm is not installed: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = nodeDir
	if out, err := cmd.CombinedOutput(); err != nil {
		missing("npm ci in e2e/node: %v\n%s", err, out)
	}
	if _, err := os.Stat(marker); err != nil {
		missing("npm ci did not install @alicloud/cs20151215: %v", err)
	}
}
