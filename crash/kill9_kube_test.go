package crash

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale/internal/testserver"
)

// TestKill9Kube is the kill -9 harness with a kube-apiserver per cluster:
// every SIGKILL of ackscale must take its children along (or the next start
// must end them), the API servers must come back on their ports, and at the
// end each cluster's Nodes must be exactly its running workers.
func TestKill9Kube(t *testing.T) {
	bin := testserver.KubeBin(t)
	h := &harness{t: t, srv: testserver.Start(t, testserver.Options{Args: []string{"--time-scale", "25", "--kube=on", "--kube-bin", bin}})}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	ids := h.createClusters(ctx)[:3]

	const scaleOuts, kills = 12, 6
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && h.accepted.Load() < scaleOuts {
				if !h.waitIdle(ctx, id) {
					return
				}
				body := map[string]any{"count": 1, "key_pair": "secrity-key", "worker_instance_types": []string{"ecs.c5.xlarge"}}
				if h.client().Do(ctx, "POST", "/api/v2/clusters/"+id, body, nil) == nil {
					h.accepted.Add(1)
				}
			}
		}()
	}
	for h.kills.Load() < kills {
		time.Sleep(2 * time.Second)
		h.mu.Lock()
		h.srv.Kill()
		h.kills.Add(1)
		h.srv = h.srv.Restart(true)
		h.mu.Unlock()
	}
	wg.Wait()
	check := h.settle(ctx)
	require.Zero(t, check.Leaked)
	require.Zero(t, check.Lost)
	require.Zero(t, check.Duplicated)

	nodes := 0
	for _, id := range ids {
		var list struct {
			Nodes []struct {
				NodeName string `json:"node_name"`
			} `json:"nodes"`
		}
		require.NoError(t, h.client().Do(ctx, "GET", "/clusters/"+id+"/nodes?pageSize=100&state=running", nil, &list))
		want := []string{}
		for _, n := range list.Nodes {
			want = append(want, "node/"+n.NodeName)
		}
		got := kubectlNodeNames(t, h, bin, id)
		require.NotEmpty(t, got)
		require.ElementsMatch(t, want, got, "cluster %s: Nodes and running workers", id)
		nodes += len(got)
	}
	fmt.Printf("kill -9 harness with kube-apiservers: scale-outs %d, kills %d, clusters %d, Nodes %d (each cluster's Nodes = its running workers), leaked %d, lost %d, duplicated %d\n",
		h.accepted.Load(), h.kills.Load(), len(ids), nodes, check.Leaked, check.Lost, check.Duplicated)
}

// kubectlNodeNames lists a cluster's Nodes with the built kubectl, waiting
// for its API server to be back after the last restart.
func kubectlNodeNames(t *testing.T, h *harness, bin, clusterID string) []string {
	t.Helper()
	var cfg struct{ Config string }
	require.Eventually(t, func() bool {
		return h.client().Do(context.Background(), "GET", "/k8s/"+clusterID+"/user_config", nil, &cfg) == nil
	}, 60*time.Second, 200*time.Millisecond)
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(cfg.Config), 0o600))
	var out []byte
	require.Eventually(t, func() bool {
		var err error
		out, err = exec.Command(filepath.Join(bin, "kubectl"), "--kubeconfig", path, "get", "nodes", "-o", "name").Output()
		return err == nil
	}, 60*time.Second, 500*time.Millisecond)
	return strings.Fields(string(out))
}
