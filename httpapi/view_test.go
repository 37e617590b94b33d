package httpapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/ops"
)

// asObject is v's JSON read back as a generic object.
func asObject(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func TestClusterViewFields(t *testing.T) {
	spec := ackscale.ClusterSpec{Name: "c", KubernetesVersion: "1.34.4", VSwitchIDs: []string{"vsw-a", "vsw-b"},
		Runtime: ackscale.Runtime{Name: "docker", Version: "19.03.15"}, WorkerSystemDiskSizeGiB: 120,
		WorkerInstanceTypes: []string{"ecs.c5.xlarge"}, VPCID: "vpc-1", ClusterType: "ManagedKubernetes"}
	tests := []struct {
		name      string
		apiServer string
		meta      map[string]any
	}{
		{"no API server", "", map[string]any{"KubernetesVersion": "1.34.4", "MultiAZ": true, "SubClass": "default",
			"EtcdVersion": "v3.5.4", "DockerVersion": "19.03.15"}},
		{"API server", "https://127.0.0.1:6443", map[string]any{"KubernetesVersion": "1.34.4", "MultiAZ": true,
			"SubClass": "default", "EtcdVersion": "v3.5.4", "DockerVersion": "19.03.15",
			"api_server_endpoint": "https://127.0.0.1:6443", "intranet_api_server_endpoint": "https://127.0.0.1:6443"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ackscale.Cluster{ID: "c0123456789abcdef0123456789abcdef", Spec: spec, APIServer: tt.apiServer,
				State: ackscale.ClusterRunning, Created: time.Unix(0, 0)}
			v := asObject(t, newClusterView(ops.ClusterInfo{Cluster: c, Size: 3}))
			var meta map[string]any
			require.NoError(t, json.Unmarshal([]byte(v["meta_data"].(string)), &meta))
			require.Equal(t, tt.meta, meta)
			params := v["parameters"].(map[string]any)
			require.Len(t, params, 19)
			require.Equal(t, "3", params["NumOfNodes"])
			require.Equal(t, "vsw-a,vsw-b", params["VSwitchId"])
			require.Equal(t, "120", params["WorkerSystemDiskSize"])
			require.Equal(t, "ecs.c5.xlarge", params["WorkerInstanceType"])
			if tt.apiServer == "" {
				require.Equal(t, "{}", v["master_url"])
			} else {
				require.JSONEq(t, `{"api_server_endpoint":"https://127.0.0.1:6443","intranet_api_server_endpoint":"https://127.0.0.1:6443"}`,
					v["master_url"].(string))
			}
		})
	}
	// Without a disk size or an instance type, those two are left out.
	c := ackscale.Cluster{ID: "c0123456789abcdef0123456789abcdef"}
	params := asObject(t, newClusterView(ops.ClusterInfo{Cluster: c}))["parameters"].(map[string]any)
	require.Len(t, params, 17)
	require.NotContains(t, params, "WorkerSystemDiskSize")
	require.NotContains(t, params, "WorkerInstanceType")
}

func TestTaskParameters(t *testing.T) {
	tests := []struct {
		name   string
		params ackscale.TaskParams
		want   map[string]any
	}{
		{"scale-out", ackscale.TaskParams{ScaleOut: &ackscale.ScaleOut{Count: 2, InstanceTypes: []string{"ecs.c5.xlarge"},
			VSwitchIDs: []string{"vsw-a"}, TimeoutMins: 60}},
			map[string]any{"count": 2.0, "worker_instance_types": []any{"ecs.c5.xlarge"}, "vswitch_ids": []any{"vsw-a"},
				"disable_rollback": false, "timeout_mins": 60.0}},
		{"ENS scale-out", ackscale.TaskParams{ScaleOut: &ackscale.ScaleOut{Count: 1, ENSRegionID: "cn-beijing-telecom"}},
			map[string]any{"count": 1.0, "worker_instance_types": nil, "vswitch_ids": nil, "disable_rollback": false,
				"timeout_mins": 0.0, "ens_region_id": "cn-beijing-telecom"}},
		{"removal", ackscale.TaskParams{Removal: &ackscale.Removal{Nodes: []string{"n1"}, ReleaseNode: true}},
			map[string]any{"nodes": []any{"n1"}, "release_node": true, "drain_node": false}},
		{"neither", ackscale.TaskParams{}, map[string]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, asObject(t, taskParameters(ackscale.Task{Params: tt.params})))
		})
	}
}
