package leak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/acsclient"
	"github.com/ackscale/ackscale/internal/testserver"
)

// recorder keeps every answer body so it can be scanned afterwards.
type recorder struct {
	c       *acsclient.Client
	answers [][]byte
}

func (r *recorder) do(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	var raw json.RawMessage
	err := r.c.Do(context.Background(), method, path, body, &raw)
	r.answers = append(r.answers, []byte(fmt.Sprintf("%s %v", raw, err)))
	if err != nil && !strings.Contains(path, "user_config") {
		require.NoError(t, err, "%s %s", method, path)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

func (r *recorder) wait(t *testing.T, taskID string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	task, err := r.c.WaitTask(ctx, taskID, 20*time.Millisecond)
	require.NoError(t, err)
	require.Equal(t, "success", task.State)
	r.do(t, "GET", "/tasks/"+taskID, nil)
}

// TestMain removes the ackscale binary testserver built once the tests end.
func TestMain(m *testing.M) { os.Exit(testserver.Main(m)) }

func TestNoSecretsAnywhere(t *testing.T) {
	passwords := []string{"Leak@Pass1234", "Other#Pass987", "Wrong$Pass555"}
	srv := testserver.Start(t, testserver.Options{Args: []string{"--boot-latency", "0", "--log-level", "debug"}})
	r := &recorder{c: srv.Client()}

	// A dedicated cluster created with a password, scaled with it (PUT) and
	// refused with a wrong one; a managed cluster scaled out with another.
	legacy := r.do(t, "POST", "/clusters", map[string]any{"name": "leak-legacy", "region_id": "cn-hangzhou",
		"cluster_type": "Kubernetes", "login_password": passwords[0], "worker_instance_types": []string{"ecs.sn1ne.large"},
		"worker_system_disk_category": "cloud_efficiency", "worker_system_disk_size": 40})
	r.wait(t, legacy["task_id"].(string))
	id := legacy["cluster_id"].(string)
	put := r.do(t, "PUT", "/clusters/"+id, map[string]any{"num_of_nodes": 2, "login_password": passwords[0],
		"disable_rollback": true, "timeout_mins": 60, "worker_instance_type": "ecs.sn1ne.large",
		"worker_system_disk_category": "cloud_efficiency", "worker_system_disk_size": 40})
	r.wait(t, put["task_id"].(string))
	var wrong map[string]any
	err := r.c.Do(context.Background(), "PUT", "/clusters/"+id, map[string]any{"num_of_nodes": 3, "login_password": passwords[2],
		"disable_rollback": true, "timeout_mins": 60}, &wrong)
	require.Error(t, err)
	r.answers = append(r.answers, []byte(err.Error()))

	managed := r.do(t, "POST", "/clusters", map[string]any{"name": "leak-std", "region_id": "cn-hangzhou", "cluster_type": "ManagedKubernetes"})
	r.wait(t, managed["task_id"].(string))
	mid := managed["cluster_id"].(string)
	out := r.do(t, "POST", "/api/v2/clusters/"+mid, map[string]any{"count": 2, "login_password": passwords[1],
		"worker_instance_types": []string{"ecs.c5.xlarge"}})
	r.wait(t, out["task_id"].(string))
	for _, path := range []string{"/clusters/" + id, "/clusters/" + mid, "/clusters/" + id + "/nodes", "/clusters/" + mid + "/nodes",
		"/api/v1/clusters", "/clusters", "/k8s/" + mid + "/user_config"} {
		r.do(t, "GET", path, nil)
	}
	srv.Stop() // flush the WAL into the files we scan

	secrets := append([]string{srv.AccessKeySecret}, passwords...)
	places := map[string][]byte{"server log": []byte(srv.Logs())}
	for i, a := range r.answers {
		places[fmt.Sprintf("answer %d", i)] = a
	}
	files, err := filepath.Glob(filepath.Join(srv.DataDir, "ackscale.db*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		places[filepath.Base(f)] = b
	}
	checked := 0
	for where, content := range places {
		for _, s := range secrets {
			require.False(t, bytes.Contains(content, []byte(s)), "%q found in %s", s, where)
			checked++
		}
		require.NotContains(t, string(content), "Signature=", where)
	}
	require.Contains(t, srv.Logs(), "request") // the log is not empty
	fmt.Printf("secrets scan: %d secrets x %d places (%d answers, %d database files, server log): none found\n",
		len(secrets), len(places), len(r.answers), len(files))
}
