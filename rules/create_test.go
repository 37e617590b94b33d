package rules

import (
	"encoding/json"
	"testing"

	"github.com/denverdino/aliyungo/cs"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

const createBase = `{"name":"my-cluster","region_id":"cn-beijing","cluster_type":"ManagedKubernetes","kubernetes_version":"1.34.4",` +
	`"vswitch_ids":["vsw-2ze4jvvvade1yk899****"],"key_pair":"secrity-key","worker_instance_types":["ecs.g6.large"],"num_of_nodes":2}`

func TestCreateCluster(t *testing.T) {
	t.Parallel()
	suite{base: createBase, op: createOp, rows: createRows()}.run(t)
}

// aliyungoCreate is the body aliyungo's CreateKubernetesCluster sends for a
// dedicated single-zone cluster, zero fields included.
func aliyungoCreate(t *testing.T) string {
	b, err := json.Marshal(cs.KubernetesCreationArgs{
		Name: "tf-cluster", ClusterType: "Kubernetes", DisableRollback: true, TimeoutMins: 60, VPCID: "vpc-std",
		VSwitchId: "vsw-2ze4jvvvade1yk899****", MasterInstanceType: "ecs.sn1ne.large", WorkerInstanceType: "ecs.sn1ne.large",
		WorkerSystemDiskCategory: "cloud_efficiency", WorkerSystemDiskSize: 40, NumOfNodes: 3, LoginPassword: "Hello1234",
		ContainerCIDR: "172.16.0.0/16", ServiceCIDR: "172.19.0.0/20", KubernetesVersion: "1.33.1",
	})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	m["region_id"] = "cn-beijing" // aliyungo sends the region in the query
	b, err = json.Marshal(m)
	require.NoError(t, err)
	return string(b)
}

func aliyungoMultiAZ(t *testing.T) string {
	b, err := json.Marshal(cs.KubernetesMultiAZCreationArgs{
		Name: "tf-multi", ClusterType: "Kubernetes", MultiAZ: true, VPCID: "vpc-std", ContainerCIDR: "172.16.0.0/16",
		ServiceCIDR: "172.19.0.0/20", VSwitchIdA: "vsw-2ze4jvvvade1yk899****", VSwitchIdB: "vsw-std-b", VSwitchIdC: "vsw-std-b",
		WorkerInstanceTypeA: "ecs.sn1ne.large", WorkerInstanceTypeB: "ecs.g6.large", WorkerInstanceTypeC: "ecs.g6.large",
		NumOfNodesA: 1, NumOfNodesB: 1, NumOfNodesC: 1, KeyPair: "secrity-key", WorkerSystemDiskCategory: "cloud_ssd",
		WorkerSystemDiskSize: 40, MasterSystemDiskCategory: "cloud_ssd", MasterSystemDiskSize: 40,
	})
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	m["region_id"] = "cn-beijing"
	b, _ = json.Marshal(m)
	return string(b)
}

func TestCreateClusterAliyungo(t *testing.T) {
	t.Parallel()
	spec, err := CreateCluster([]byte(aliyungoCreate(t)), fakeCloud{})
	require.NoError(t, err)
	require.Equal(t, ackscale.ClusterSpec{
		Name: "tf-cluster", RegionID: "cn-beijing", ClusterType: "Kubernetes", KubernetesVersion: "1.33.1", VPCID: "vpc-std",
		VSwitchIDs: []string{"vsw-2ze4jvvvade1yk899****"}, ContainerCIDR: "172.16.0.0/16", ServiceCIDR: "172.19.0.0/20",
		Runtime: ackscale.Runtime{Name: "containerd"}, TimeoutMins: 60, WorkerInstanceTypes: []string{"ecs.sn1ne.large"},
		WorkerSystemDiskCategory: "cloud_efficiency", WorkerSystemDiskSizeGiB: 40, NumOfNodes: 3, LoginPassword: "Hello1234",
	}, spec)

	spec, err = CreateCluster([]byte(aliyungoMultiAZ(t)), fakeCloud{})
	require.NoError(t, err)
	require.Equal(t, []string{"vsw-2ze4jvvvade1yk899****", "vsw-std-b"}, spec.VSwitchIDs)
	require.Equal(t, []string{"ecs.sn1ne.large", "ecs.g6.large"}, spec.WorkerInstanceTypes)
	require.Equal(t, 3, spec.NumOfNodes)
}

func createRows() []row {
	type kv = map[string]any
	minimal := `{"name":"a","region_id":"cn-beijing","cluster_type":"ManagedKubernetes"}`
	return []row{
		{name: "managed cluster with workers accepted (api.md §3)", want: wantSpec(func(t *testing.T, s ackscale.ClusterSpec) {
			require.Equal(t, ackscale.ClusterSpec{
				Name: "my-cluster", RegionID: "cn-beijing", ClusterType: "ManagedKubernetes", ClusterSpec: "ack.standard",
				KubernetesVersion: "1.34.4", VPCID: "vpc-std", VSwitchIDs: []string{"vsw-2ze4jvvvade1yk899****"},
				ContainerCIDR: "172.20.0.0/16", ServiceCIDR: "172.21.0.0/20", Runtime: ackscale.Runtime{Name: "containerd"},
				KeyPair: "secrity-key", TimeoutMins: 60, WorkerInstanceTypes: []string{"ecs.g6.large"},
				WorkerSystemDiskCategory: "cloud_ssd", WorkerSystemDiskSizeGiB: 120, NumOfNodes: 2,
			}, s)
		})},
		{name: "minimal managed cluster takes every default (api.md §3, R17)", base: minimal, want: wantSpec(func(t *testing.T, s ackscale.ClusterSpec) {
			require.Equal(t, "vpc-std", s.VPCID)
			require.Equal(t, []string{"vsw-2ze4jvvvade1yk899****", "vsw-std-b"}, s.VSwitchIDs)
			require.Equal(t, "1.34.4", s.KubernetesVersion)
			require.Equal(t, "ack.standard", s.ClusterSpec)
			require.Zero(t, s.NumOfNodes)
		})},
		{name: "Chinese and _ in a name accepted (R17)", set: kv{"name": "集群_1-a"}},
		{name: "63-character name accepted (R17)", set: kv{"name": repeat("a", 63)}},
		{name: "edge cluster accepted (decisions.md)", base: minimal, set: kv{"profile": "Edge", "cluster_spec": "ack.pro.small"}},
		{name: "sandbox cluster with bare-metal workers (decisions.md, ruling 16)", set: kv{"runtime": kv{"name": "Sandboxed-Container.runv", "version": "1.1.0"},
			"worker_instance_types": []string{"ecs.ebmg5s.24xlarge"}}},
		{name: "dedicated cluster with a password (ruling 3)", set: kv{"cluster_type": "Kubernetes", "login_password": "Hello1234"}, del: []string{"key_pair"}},
		{name: "vpcid equal to the vSwitches' VPC (ruling 16)", set: kv{"vpcid": "vpc-std"}},
		{name: "SDK-model fields type-checked and ignored, master_* loose (R17)", set: kv{"zone_ids": []string{"cn-beijing-a"}, "addons": []any{kv{"name": "x"}},
			"master_anything": 5, "worker_whatever": kv{}, "deletion_protection": true}},

		{name: "name required (R17)", del: []string{"name"}, code: ackscale.CodeMissingParameter, field: "name"},
		{name: "empty name (R17)", set: kv{"name": ""}, code: ackscale.CodeMissingParameter, field: "name"},
		{name: "64-character name (R17)", set: kv{"name": repeat("a", 64)}, code: ackscale.CodeInvalidFormat, field: "name"},
		{name: "name starting with - (R17)", set: kv{"name": "-a"}, code: ackscale.CodeInvalidFormat, field: "name"},
		{name: "name with a space (R17)", set: kv{"name": "a b"}, code: ackscale.CodeInvalidFormat, field: "name"},
		{name: "region must exist (ruling 16)", set: kv{"region_id": "cn-nowhere"}, code: ackscale.CodeRegionNotFound, field: "region_id"},
		{name: "ExternalKubernetes not supported (R17, ruling 15)", set: kv{"cluster_type": "ExternalKubernetes"}, code: ackscale.CodeNotInEnum, field: "cluster_type"},
		{name: "cluster_type case-sensitive (ruling 15)", set: kv{"cluster_type": "managedKubernetes"}, code: ackscale.CodeNotInEnum, field: "cluster_type"},
		{name: "cluster_type required (api.md §3)", del: []string{"cluster_type"}, code: ackscale.CodeMissingParameter, field: "cluster_type"},
		{name: "profile Serverless not supported (ruling 15)", set: kv{"profile": "Serverless"}, code: ackscale.CodeNotInEnum, field: "profile"},
		{name: "profile Edge on a dedicated cluster (decisions.md, R17)", set: kv{"profile": "Edge", "cluster_type": "Kubernetes"}, code: ackscale.CodeConflict, field: "profile"},
		{name: "cluster_spec on a dedicated cluster (R17)", set: kv{"cluster_type": "Kubernetes", "cluster_spec": "ack.standard"}, code: ackscale.CodeConflict, field: "cluster_spec"},
		{name: "cluster_spec near-miss (ruling 15)", set: kv{"cluster_spec": "ack.pro.large"}, code: ackscale.CodeNotInEnum, field: "cluster_spec"},
		{name: "sandboxed runtime on an edge cluster (decisions.md, R17)", set: kv{"profile": "Edge", "runtime": kv{"name": "Sandboxed-Container.runv"}}, code: ackscale.CodeConflict, field: "runtime.name"},
		{name: "runtime runc unknown (ruling 15)", set: kv{"runtime": kv{"name": "runc"}}, code: ackscale.CodeNotInEnum, field: "runtime.name"},
		{name: "unknown Kubernetes version (ruling 16)", set: kv{"kubernetes_version": "1.9.0"}, code: ackscale.CodeNotInEnum, field: "kubernetes_version"},
		{name: "unknown vSwitch (ruling 16)", set: kv{"vswitch_ids": []string{"vsw-nope"}}, code: ackscale.CodeVSwitchNotFound, field: "vswitch_ids[0]"},
		{name: "vSwitch of another region (ruling 16)", set: kv{"vswitch_ids": []string{"vsw-hangzhou"}}, code: ackscale.CodeInvalidParameter, field: "vswitch_ids[0]"},
		{name: "vSwitches of two VPCs (ruling 16)", set: kv{"vswitch_ids": []string{"vsw-std-b", "vsw-other-vpc"}}, code: ackscale.CodeInvalidParameter, field: "vswitch_ids[1]"},
		{name: "vpcid not the vSwitches' VPC (ruling 16)", set: kv{"vpcid": "vpc-other"}, code: ackscale.CodeInvalidParameter, field: "vswitch_ids[0]"},
		{name: "vpcid without vSwitches, not the default VPC (R17)", base: minimal, set: kv{"vpcid": "vpc-other"}, code: ackscale.CodeMissingParameter, field: "vswitch_ids"},
		{name: "region without default vSwitches (R17)", base: minimal, set: kv{"region_id": "cn-hangzhou"}, code: ackscale.CodeMissingParameter, field: "vswitch_ids"},
		{name: "vswitch_ids and vswitchid together (R17)", set: kv{"vswitchid": "vsw-std-b"}, code: ackscale.CodeConflict, field: "vswitchid"},
		{name: "container_cidr with host bits (R17)", set: kv{"container_cidr": "172.20.0.1/16"}, code: ackscale.CodeInvalidFormat, field: "container_cidr"},
		{name: "public service_cidr (R17)", set: kv{"service_cidr": "8.8.8.0/24"}, code: ackscale.CodeInvalidFormat, field: "service_cidr"},
		{name: "CIDR not a CIDR (R17)", set: kv{"service_cidr": "172.21.0.0"}, code: ackscale.CodeInvalidFormat, field: "service_cidr"},
		{name: "overlapping CIDRs (R17)", set: kv{"service_cidr": "172.20.16.0/20"}, code: ackscale.CodeConflict, field: "service_cidr"},
		{name: "dedicated cluster needs a credential (rulings 3, 4)", set: kv{"cluster_type": "Kubernetes"}, del: []string{"key_pair"}, code: ackscale.CodeMissingParameter, field: credFields},
		{name: "workers need a credential (ruling 4, R17)", del: []string{"key_pair"}, code: ackscale.CodeMissingParameter, field: credFields},
		{name: "password and key pair (ruling 4)", set: kv{"login_password": "Hello1234"}, code: ackscale.CodeConflict, field: credFields},
		{name: "malformed password (ruling 3)", set: kv{"login_password": "lowercaseonly"}, del: []string{"key_pair"}, code: ackscale.CodeInvalidFormat, field: "login_password"},
		{name: "key pair must exist (ruling 4)", set: kv{"key_pair": "nope"}, code: ackscale.CodeKeyPairNotFound, field: "key_pair"},
		{name: "workers without instance types (R17)", del: []string{"worker_instance_types"}, code: ackscale.CodeMissingParameter, field: "worker_instance_types"},
		{name: "ENS instance type for workers (ruling 16)", set: kv{"worker_instance_types": []string{"ens.sn1.tiny"}}, code: ackscale.CodeInstanceTypeNotFound, field: "worker_instance_types[0]"},
		{name: "ECS type for sandbox workers (ruling 16)", set: kv{"runtime": kv{"name": "Sandboxed-Container.runv"}}, code: ackscale.CodeInstanceTypeNotFound, field: "worker_instance_types[0]"},
		{name: "worker_instance_types and worker_instance_type (R17)", set: kv{"worker_instance_type": "ecs.g6.large"}, code: ackscale.CodeConflict, field: "worker_instance_type"},
		{name: "num_of_nodes 301 (seed 000, R17)", set: kv{"num_of_nodes": 301}, code: ackscale.CodeOutOfRange, field: "num_of_nodes"},
		{name: "num_of_nodes -1 (R17)", set: kv{"num_of_nodes": -1}, code: ackscale.CodeOutOfRange, field: "num_of_nodes"},
		{name: "system disk 30 (R7)", set: kv{"worker_system_disk_size": 30}, code: ackscale.CodeOutOfRange, field: "worker_system_disk_size"},
		{name: "system disk below the image (ruling 5)", set: kv{"image_id": "m-big", "worker_system_disk_size": 50}, code: ackscale.CodeDiskTooSmall, field: "worker_system_disk_size"},
		{name: "unknown image (ruling 16)", set: kv{"image_id": "m-none"}, code: ackscale.CodeImageNotFound, field: "image_id"},
		{name: "timeout 1441 (R4)", set: kv{"timeout_mins": 1441}, code: ackscale.CodeOutOfRange, field: "timeout_mins"},
		{name: "unknown top-level field (ruling 14)", set: kv{"foo": 1}, code: ackscale.CodeUnknownField, field: "foo"},
		{name: "SDK-model field of the wrong type (ruling 13, R17)", set: kv{"zone_ids": []any{1}}, code: ackscale.CodeInvalidType, field: "zone_ids[0]"},
		{name: "deletion_protection as string (ruling 13)", set: kv{"deletion_protection": "true"}, code: ackscale.CodeInvalidType, field: "deletion_protection"},
	}
}
