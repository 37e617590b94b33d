package rules

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/internal/seeds"
)

// tfNodePool is ../shared/spec/fixtures/tf-nodepool-create.json verbatim:
// what terraform-provider-alicloud's alicloud_cs_kubernetes_node_pool sends
// to create a pool. Its vSwitch is in fakeCloud.
const tfNodePool = seeds.TFNodePool

// npmNodePool is the body the npm SDK (@alicloud/cs20151215 7.2.0) sent
// for a CreateClusterNodePoolRequest, captured on the wire. It names no
// credential.
const npmNodePool = `{"auto_scaling":{"enable":false},"kubernetes_config":{"labels":[{"key":"k","value":"v"}],"taints":[{"effect":"NoSchedule","key":"k","value":"v"}]},"nodepool_info":{"name":"p"},"scaling_group":{"data_disks":[{"category":"cloud_essd","encrypted":"false","size":40}],"desired_size":2,"instance_charge_type":"PostPaid","instance_types":["ecs.g6.large"],"tags":[{"key":"a","value":"b"}],"vswitch_ids":["vsw-1"]}}`

// tfModify is what Terraform sends for a desired_size change: the empty
// objects it always sends, and the size (clients.md).
const tfModify = `{"kubernetes_config":{},"nodepool_info":{},"scaling_group":{"desired_size":3}}`

// poolTarget is the standard cluster, with the runtime it was created with.
func poolTarget() Target {
	t := standardTarget()
	t.Defaults.Runtime = ackscale.Runtime{Name: "containerd", Version: "1.6.38"}
	return t
}

func wantPool(f func(t *testing.T, p ackscale.NodePoolSpec)) func(*testing.T, any) {
	return func(t *testing.T, out any) { f(t, out.(ackscale.NodePoolSpec)) }
}

// configOf decodes a pool's Config.
func configOf(t *testing.T, p ackscale.NodePoolSpec) map[string]any {
	var m map[string]any
	require.NoError(t, json.Unmarshal(p.Config, &m))
	return m
}

func TestNodePool(t *testing.T) {
	t.Parallel()
	suite{base: tfNodePool, target: poolTarget, op: nodePoolOp, rows: nodePoolRows()}.run(t)
}

func nodePoolRows() []row {
	type kv = map[string]any
	type list = []any
	withKey := strings.Replace(npmNodePool, `"desired_size":2,`, `"desired_size":2,"key_pair":"secrity-key",`, 1)
	pool := func(f func(*Target)) func(*Target) { return f }
	withPool := func(p ackscale.NodePoolSpec) func(*Target) { return func(t *Target) { t.Pool = &p } }
	passwordPool := ackscale.NodePoolSpec{Type: "ess", Workers: ackscale.ScaleOut{HasPassword: true}, AutoScaling: ackscale.AutoScaling{Type: "cpu"}}
	aScaling := func(enable bool, min, max int) kv {
		return kv{"enable": enable, "min_instances": min, "max_instances": max}
	}
	return []row{
		// Accepted bodies.
		{name: "Terraform fixture accepted verbatim (clients.md, SDK, R26, R27, R30)", want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
			require.Equal(t, ackscale.NodePoolSpec{
				Name: "tf-pool", Type: "ess", DesiredSize: 2,
				Workers: ackscale.ScaleOut{
					InstanceTypes: []string{"ecs.g6.large"}, VSwitchIDs: []string{"vsw-bp1ackscaledefaultg01"}, KeyPair: "secrity-key",
					SystemDiskCategory: "cloud_efficiency", SystemDiskSizeGiB: 120, Runtime: &ackscale.Runtime{Name: "containerd", Version: "1.6.38"},
					ChargeType: "PostPaid", CPUPolicy: "none", CloudMonitor: true, DisableRollback: true, TimeoutMins: 60,
				},
				AutoScaling: ackscale.AutoScaling{Type: "cpu"},
				Config:      p.Config,
			}, p)
			require.JSONEq(t, `{
				"auto_scaling": {"enable": false, "max_instances": 0, "min_instances": 0, "type": "cpu"},
				"kubernetes_config": {"cms_enabled": true, "cpu_policy": "none", "runtime": "containerd", "runtime_version": "1.6.38", "unschedulable": false},
				"nodepool_info": {"name": "tf-pool", "type": "ess"},
				"scaling_group": {"auto_renew": false, "desired_size": 2, "instance_charge_type": "PostPaid", "instance_types": ["ecs.g6.large"],
					"key_pair": "secrity-key", "period_unit": "Month", "system_disk_category": "cloud_efficiency", "system_disk_size": 120,
					"vswitch_ids": ["vsw-bp1ackscaledefaultg01"]}
			}`, string(p.Config))
		})},
		{name: "npm SDK body with a key pair accepted: labels on Nodes, ECS tags kept (SDK, R26, R33)", base: withKey, want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
			require.Equal(t, "p", p.Name)
			require.Equal(t, 2, p.DesiredSize)
			require.Equal(t, []ackscale.Tag{{Key: "k", Value: "v"}}, p.Workers.Tags)
			require.Equal(t, []ackscale.Taint{{Key: "k", Value: "v", Effect: "NoSchedule"}}, p.Workers.Taints)
			require.Equal(t, []ackscale.DataDisk{{Category: "cloud_essd", SizeGiB: 40}}, p.Workers.DataDisks)
			sg := configOf(t, p)["scaling_group"].(map[string]any)
			require.Equal(t, []any{map[string]any{"key": "a", "value": "b"}}, sg["tags"])
		})},
		{name: "npm SDK body verbatim names no credential (SDK, R29)", base: npmNodePool, code: ackscale.CodeMissingParameter, field: poolCreds},
		{name: "login_password accepted and not kept (SDK, R27, R29)", set: kv{sgPassword: "Hello1234!"}, del: []string{sgKeyPair},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
				require.True(t, p.Workers.HasPassword)
				require.NotContains(t, string(p.Config), "Hello1234!")
				require.NotContains(t, string(p.Config), "login_password")
			})},
		{name: "deprecated count is the desired size, and not kept (SDK, R26, R27)", set: kv{"count": 3}, del: []string{sgDesired},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
				require.Equal(t, 3, p.DesiredSize)
				require.NotContains(t, configOf(t, p), "count")
				require.EqualValues(t, 3, configOf(t, p)["scaling_group"].(map[string]any)["desired_size"])
			})},
		{name: "desired_size wins over the deprecated count (R26)", set: kv{"count": 5},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) { require.Equal(t, 2, p.DesiredSize) })},
		{name: "no desired size: 0 nodes (SDK, R26)", del: []string{sgDesired},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) { require.Zero(t, p.DesiredSize) })},
		{name: "desired_size 0 is no node, not absent (SDK, R26)", set: kv{sgDesired: 0}, want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
			require.Zero(t, p.DesiredSize)
		})},
		{name: "auto scaling without a desired size starts at min_instances (R28)", set: kv{"auto_scaling": aScaling(true, 1, 5)}, del: []string{sgDesired},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
				require.Equal(t, 1, p.DesiredSize)
				require.Equal(t, ackscale.AutoScaling{Enable: true, MinInstances: 1, MaxInstances: 5, Type: "cpu"}, p.AutoScaling)
			})},
		{name: "desired size within the auto-scaling bounds accepted (R28)", set: kv{"auto_scaling": aScaling(true, 2, 2)}},
		{name: "auto-scaling bounds do not apply while auto scaling is off (R28)", set: kv{"auto_scaling": aScaling(false, 5, 1)}},
		{name: "PrePaid pool takes its period, unit and renewal (SDK, R35)",
			set: kv{"scaling_group.instance_charge_type": "PrePaid", "scaling_group.period": 1, "scaling_group.auto_renew": true},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
				w := p.Workers
				require.Equal(t, []any{"PrePaid", 1, "Month", true, 1}, []any{w.ChargeType, w.Period, w.PeriodUnit, w.AutoRenew, w.AutoRenewPeriod})
			})},
		{name: "PostPaid pool keeps period fields without using them (R35)", set: kv{"scaling_group.period": 6},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) { require.Zero(t, p.Workers.Period) })},
		{name: "Week period 4 and renewal 3 accepted (SDK, R35)",
			set: kv{"scaling_group.instance_charge_type": "PrePaid", "scaling_group.period_unit": "Week", "scaling_group.period": 4, "scaling_group.auto_renew_period": 3}},
		{name: "Terraform's empty strings and lists are absent (R26, R14)", set: kv{
			"scaling_group.data_disks": list{kv{"category": "", "size": 40, "encrypted": "", "disk_name": "", "device": "", "kms_key_id": "",
				"snapshot_id": "", "performance_level": "", "auto_snapshot_policy_id": "", "mount_target": "", "file_system": ""}},
			"scaling_group.image_id": "", "scaling_group.tags": list{}, "scaling_group.instance_patterns": list{}, "scaling_group.spot_price_limit": list{},
			"kubernetes_config.labels": list{}, "kubernetes_config.taints": list{}, "management": kv{}, "tee_config": kv{},
			"scaling_group.internet_max_bandwidth_out": 0, "scaling_group.system_disk_provisioned_iops": 0,
		}, want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
			require.Equal(t, []ackscale.DataDisk{{Category: "cloud_efficiency", SizeGiB: 40}}, p.Workers.DataDisks)
			require.JSONEq(t, `[{"category":"cloud_efficiency","encrypted":"false","size":40}]`, mustJSON(t, configOf(t, p)["scaling_group"].(map[string]any)["data_disks"]))
			require.NotContains(t, configOf(t, p), "management")
		})},
		{name: "data disk defaults: cloud_efficiency, 120 GiB, not encrypted (SDK DataDisk)", set: kv{"scaling_group.data_disks": list{kv{}}},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
				require.Equal(t, []ackscale.DataDisk{{Category: "cloud_efficiency", SizeGiB: 120}}, p.Workers.DataDisks)
			})},
		{name: "system disk defaults to 120 GiB raised to the image (R26, R6)", set: kv{"scaling_group.image_id": "m-huge"},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) { require.Equal(t, 200, p.Workers.SystemDiskSizeGiB) })},
		{name: "image defaults to the cluster's worker image (R26)", target: pool(func(t *Target) { t.Defaults.WorkerImageID = "m-big" }),
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
				require.Equal(t, "m-big", p.Workers.ImageID)
				require.Equal(t, 120, p.Workers.SystemDiskSizeGiB)
			})},
		{name: "docker and one of its versions accepted (R25, R26)", set: kv{"kubernetes_config.runtime": "docker", "kubernetes_config.runtime_version": "19.03.5"},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
				require.Equal(t, &ackscale.Runtime{Name: "docker", Version: "19.03.5"}, p.Workers.Runtime)
			})},
		{name: "another runtime than the cluster's gets no version of the cluster's (R26)", set: kv{"kubernetes_config.runtime": "docker"},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
				require.Equal(t, &ackscale.Runtime{Name: "docker"}, p.Workers.Runtime)
			})},
		{name: "sandbox cluster's pool: bare-metal types and runv (R19, R26)", target: pool(func(t *Target) {
			*t = sandboxTarget()
			t.Defaults.Runtime = ackscale.Runtime{Name: ackscale.RuntimeSandboxed}
		}), set: kv{"scaling_group.instance_types": []string{"ecs.ebmg5s.24xlarge"}, "scaling_group.vswitch_ids": []string{"vsw-2zes3rfz7bmk0nxxxxxxx"}},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
				require.Equal(t, ackscale.RuntimeSandboxed, p.Workers.Runtime.Name)
			})},
		{name: "labels, taints, unschedulable, user data and RDS instances reach the workers (SDK, R9)", set: kv{
			"kubernetes_config.labels":        list{kv{"key": "example.com/tier", "value": "web"}, kv{"key": "env"}},
			"kubernetes_config.taints":        list{kv{"key": "dedicated", "value": "gpu", "effect": "NoExecute"}, kv{"key": "dedicated"}},
			"kubernetes_config.unschedulable": true, "kubernetes_config.user_data": "ZWNobyBoaQ==", "kubernetes_config.cpu_policy": "static",
			"scaling_group.rds_instances": []string{"rm-1"},
		}, want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
			require.Equal(t, []ackscale.Tag{{Key: "example.com/tier", Value: "web"}, {Key: "env"}}, p.Workers.Tags)
			require.Equal(t, []ackscale.Taint{{Key: "dedicated", Value: "gpu", Effect: "NoExecute"}, {Key: "dedicated", Effect: "NoSchedule"}}, p.Workers.Taints)
			require.True(t, p.Unschedulable)
			require.True(t, p.Workers.Unschedulable)
			require.Equal(t, "ZWNobyBoaQ==", p.Workers.UserData)
			require.Equal(t, "static", p.Workers.CPUPolicy)
			require.Equal(t, []string{"rm-1"}, p.Workers.RDSInstances)
		})},
		{name: "kept extras kept, free-form maps type-checked and dropped (R27)", set: kv{
			"node_config": kv{"kubelet_configuration": kv{"maxPods": 110, "evictionHard": kv{"memory.available": "100Mi"}, "cpuManagerPolicy": "static"}},
			"management":  kv{"enable": true, "auto_repair_policy": kv{"restart_node": false}},
			"node_components": list{kv{"name": "kubelet", "version": "1.33.3-aliyun.1",
				"config": kv{"custom_config": kv{"cpuManagerPolicy": "static"}, "envs": list{kv{"name": "LOG_LEVEL", "value": "info"}}}}},
			"intranet": true, "host_network": true, "interconnect_mode": "basic", "tee_config": kv{"tee_enable": true},
		}, want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
			cfg := configOf(t, p)
			require.JSONEq(t, `{"kubelet_configuration":{"maxPods":110,"cpuManagerPolicy":"static"}}`, mustJSON(t, cfg["node_config"]))
			require.JSONEq(t, `[{"name":"kubelet","version":"1.33.3-aliyun.1","config":{"envs":[{"name":"LOG_LEVEL","value":"info"}]}}]`, mustJSON(t, cfg["node_components"]))
			require.JSONEq(t, `{"enable":true,"auto_repair":true,"auto_upgrade":true,"auto_vul_fix":true,"auto_repair_policy":{"restart_node":false}}`,
				mustJSON(t, cfg["management"]))
			require.Equal(t, []any{true, true, "basic"}, []any{cfg["intranet"], cfg["host_network"], cfg["interconnect_mode"]})
		})},
		{name: "instance pattern memory may be a fraction (SDK InstancePatterns, R27)", set: kv{"scaling_group.instance_patterns": list{kv{"cores": 2, "memory": raw("0.5")}}},
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) {
				require.Contains(t, string(p.Config), `"memory":0.5`)
			})},
		{name: "a Chinese pool name accepted (SDK, R26)", set: kv{"nodepool_info.name": "节点池-1"}},
		{name: "custom node names accepted (R34)", set: kv{"kubernetes_config.node_name_mode": "customized,aliyun.com,ip,test"}},
		{name: "custom node names without suffix accepted (R34)", set: kv{"kubernetes_config.node_name_mode": "customized,node,ip,"}},
		{name: "the cluster's other workers and the pool fill the quota exactly (R26)", target: workers(998)},
		{name: "ECS tag value may be empty (SDK, R33)", set: kv{"scaling_group.tags": list{kv{"key": "team"}}}},

		// A pool's configuration after a modification (Target.Pool).
		{name: "modified password pool keeps its password (R29)", del: []string{sgKeyPair}, target: withPool(passwordPool),
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) { require.True(t, p.Workers.HasPassword) })},
		{name: "a key pair replaces a modified pool's password (R29)", target: withPool(passwordPool),
			want: wantPool(func(t *testing.T, p ackscale.NodePoolSpec) { require.False(t, p.Workers.HasPassword) })},
		{name: "modified pool resends its own auto_scaling.type (R28)", set: kv{"auto_scaling.type": "cpu"}, target: withPool(passwordPool)},
		{name: "modified pool's auto_scaling.type cannot change (R28)", set: kv{"auto_scaling.type": "gpu"}, target: withPool(passwordPool),
			code: ackscale.CodeInvalidParameter, field: "auto_scaling.type"},
		{name: "modified ContainerOS pool cannot keep a password (R29)", set: kv{"scaling_group.image_type": "ContainerOS"}, del: []string{sgKeyPair},
			target: withPool(passwordPool), code: ackscale.CodeConflict, field: sgPassword},

		// nodepool_info.
		{name: "nodepool_info required (SDK)", del: []string{"nodepool_info"}, code: ackscale.CodeMissingParameter, field: "nodepool_info"},
		{name: "name required (SDK)", set: kv{"nodepool_info": kv{"resource_group_id": "rg-1"}}, code: ackscale.CodeMissingParameter, field: "nodepool_info.name"},
		{name: "name of 64 characters (SDK, R26)", set: kv{"nodepool_info.name": repeat("p", 64)}, code: ackscale.CodeInvalidFormat, field: "nodepool_info.name"},
		{name: "name starting with a hyphen (SDK, R26)", set: kv{"nodepool_info.name": "-pool"}, code: ackscale.CodeInvalidFormat, field: "nodepool_info.name"},
		{name: "name with an underscore (SDK, R26)", set: kv{"nodepool_info.name": "my_pool"}, code: ackscale.CodeInvalidFormat, field: "nodepool_info.name"},
		{name: "type edge is ACK's, not emulated (SDK, R26)", set: kv{"nodepool_info.type": "edge"}, code: ackscale.CodeNotInEnum, field: "nodepool_info.type"},
		{name: "type compared exactly (SDK, R26)", set: kv{"nodepool_info.type": "ESS"}, code: ackscale.CodeNotInEnum, field: "nodepool_info.type"},

		// scaling_group.
		{name: "scaling_group required (SDK)", del: []string{"scaling_group"}, code: ackscale.CodeMissingParameter, field: "scaling_group"},
		{name: "vswitch_ids required (SDK)", del: []string{"scaling_group.vswitch_ids"}, code: ackscale.CodeMissingParameter, field: "scaling_group.vswitch_ids"},
		{name: "vswitch_ids empty is missing (SDK, R15)", set: kv{"scaling_group.vswitch_ids": []string{}}, code: ackscale.CodeMissingParameter, field: "scaling_group.vswitch_ids"},
		{name: "9 vSwitches (SDK)", set: kv{"scaling_group.vswitch_ids": distinct("vsw-", 9)}, code: ackscale.CodeOutOfRange, field: "scaling_group.vswitch_ids"},
		{name: "vSwitch must exist (SDK)", set: kv{"scaling_group.vswitch_ids": []string{"vsw-nope"}}, code: ackscale.CodeVSwitchNotFound, field: "scaling_group.vswitch_ids[0]"},
		{name: "vSwitch in another VPC (SDK)", set: kv{"scaling_group.vswitch_ids": []string{"vsw-std-b", "vsw-other-vpc"}}, code: ackscale.CodeInvalidParameter, field: "scaling_group.vswitch_ids[1]"},
		{name: "instance_types required (SDK, R26)", del: []string{"scaling_group.instance_types"}, code: ackscale.CodeMissingParameter, field: "scaling_group.instance_types"},
		{name: "11 instance types (SDK)", set: kv{"scaling_group.instance_types": distinct("ecs.t", 11)}, code: ackscale.CodeOutOfRange, field: "scaling_group.instance_types"},
		{name: "ENS instance type in a pool (R19, R26)", set: kv{"scaling_group.instance_types": []string{"ens.sn1.tiny"}}, code: ackscale.CodeInstanceTypeNotFound, field: "scaling_group.instance_types[0]"},
		{name: "ECS type in a sandbox cluster's pool (R19, R26)", target: pool(func(t *Target) { t.Profile = ackscale.ProfileSandbox }),
			code: ackscale.CodeInstanceTypeNotFound, field: "scaling_group.instance_types[0]"},
		{name: "charge type compared exactly (SDK)", set: kv{"scaling_group.instance_charge_type": "prepaid"}, code: ackscale.CodeNotInEnum, field: "scaling_group.instance_charge_type"},
		{name: "PrePaid needs a period (SDK, R35)", set: kv{"scaling_group.instance_charge_type": "PrePaid"}, code: ackscale.CodeMissingParameter, field: "scaling_group.period"},
		{name: "period 10 (SDK, R35)", set: kv{"scaling_group.period": 10}, code: ackscale.CodeNotInEnum, field: "scaling_group.period"},
		{name: "Week period 5 (SDK, R35)", set: kv{"scaling_group.period_unit": "Week", "scaling_group.period": 5}, code: ackscale.CodeNotInEnum, field: "scaling_group.period"},
		{name: "Week renewal 6 (SDK, R35)", set: kv{"scaling_group.period_unit": "Week", "scaling_group.auto_renew_period": 6}, code: ackscale.CodeNotInEnum, field: "scaling_group.auto_renew_period"},
		{name: "desired_size negative (SDK)", set: kv{sgDesired: -1}, code: ackscale.CodeOutOfRange, field: sgDesired},
		{name: "desired_size as string (SDK, ruling 13)", set: kv{sgDesired: "2"}, code: ackscale.CodeInvalidType, field: sgDesired},
		{name: "desired size past the quota (R26)", target: workers(999), code: ackscale.CodeQuotaExceeded, field: sgDesired},
		{name: "deprecated count past the quota names count (R26)", set: kv{"count": 1000}, del: []string{sgDesired}, code: ackscale.CodeQuotaExceeded, field: "count"},
		{name: "key pair and password both (SDK, R29)", set: kv{sgPassword: "Hello1234!"}, code: ackscale.CodeConflict, field: poolCreds},
		{name: "neither key pair nor password (SDK, R29)", del: []string{sgKeyPair}, code: ackscale.CodeMissingParameter, field: poolCreds},
		{name: "password with two classes (SDK, R29)", set: kv{sgPassword: "hello12345"}, del: []string{sgKeyPair}, code: ackscale.CodeInvalidFormat, field: sgPassword},
		{name: "password with a space (R23, R29)", set: kv{sgPassword: "Hello 1234"}, del: []string{sgKeyPair}, code: ackscale.CodeInvalidFormat, field: sgPassword},
		{name: "ContainerOS takes a key pair only (SDK, R29)", set: kv{sgPassword: "Hello1234!", "scaling_group.image_type": "ContainerOS"}, del: []string{sgKeyPair},
			code: ackscale.CodeConflict, field: sgPassword},
		{name: "key pair must exist in the region (SDK)", set: kv{sgKeyPair: "other-key"}, code: ackscale.CodeKeyPairNotFound, field: sgKeyPair},
		{name: "image must exist (SDK)", set: kv{"scaling_group.image_id": "m-none"}, code: ackscale.CodeImageNotFound, field: "scaling_group.image_id"},
		{name: "system disk smaller than the image (R6)", set: kv{"scaling_group.image_id": "m-big", "scaling_group.system_disk_size": 50},
			code: ackscale.CodeDiskTooSmall, field: "scaling_group.system_disk_size"},
		{name: "system disk 19 (SDK)", set: kv{"scaling_group.system_disk_size": 19}, code: ackscale.CodeOutOfRange, field: "scaling_group.system_disk_size"},
		{name: "system disk 2049 (SDK)", set: kv{"scaling_group.system_disk_size": 2049}, code: ackscale.CodeOutOfRange, field: "scaling_group.system_disk_size"},
		{name: "system disk category cloud (SDK)", set: kv{"scaling_group.system_disk_category": "cloud"}, code: ackscale.CodeNotInEnum, field: "scaling_group.system_disk_category"},
		{name: "11 data disks (SDK)", set: kv{"scaling_group.data_disks": distinctObjects(11, func(int) kv { return kv{} })}, code: ackscale.CodeOutOfRange, field: "scaling_group.data_disks"},
		{name: "data disk of 39 GiB (SDK DataDisk)", set: kv{"scaling_group.data_disks": list{kv{"size": 39}}}, code: ackscale.CodeOutOfRange, field: "scaling_group.data_disks[0].size"},
		{name: "data disk of 32769 GiB (SDK DataDisk)", set: kv{"scaling_group.data_disks": list{kv{"size": 32769}}}, code: ackscale.CodeOutOfRange, field: "scaling_group.data_disks[0].size"},
		{name: "data disk size is a number here (SDK DataDisk, R26)", set: kv{"scaling_group.data_disks": list{kv{"size": "40"}}}, code: ackscale.CodeInvalidType, field: "scaling_group.data_disks[0].size"},
		{name: "data disk encrypted is a string (SDK DataDisk)", set: kv{"scaling_group.data_disks": list{kv{"encrypted": true}}}, code: ackscale.CodeInvalidType, field: "scaling_group.data_disks[0].encrypted"},
		{name: "data disk category compared exactly (SDK DataDisk)", set: kv{"scaling_group.data_disks": list{kv{"category": "cloud_SSD"}}}, code: ackscale.CodeNotInEnum, field: "scaling_group.data_disks[0].category"},
		{name: "data disk unknown key (SDK DataDisk)", set: kv{"scaling_group.data_disks": list{kv{"iops": 1}}}, code: ackscale.CodeUnknownField, field: "scaling_group.data_disks[0].iops"},
		{name: "ECS tag key starting with aliyun (SDK, R33)", set: kv{"scaling_group.tags": list{kv{"key": "aliyun-x"}}}, code: ackscale.CodeInvalidFormat, field: "scaling_group.tags[0].key"},
		{name: "ECS tag value with http:// (SDK, R33)", set: kv{"scaling_group.tags": list{kv{"key": "a", "value": "see http://x"}}}, code: ackscale.CodeInvalidFormat, field: "scaling_group.tags[0].value"},
		{name: "ECS tag key of 129 characters (SDK, R33)", set: kv{"scaling_group.tags": list{kv{"key": repeat("k", 129)}}}, code: ackscale.CodeInvalidFormat, field: "scaling_group.tags[0].key"},
		{name: "ECS tag key twice (SDK, R33)", set: kv{"scaling_group.tags": list{kv{"key": "a"}, kv{"key": "a"}}}, code: ackscale.CodeInvalidParameter, field: "scaling_group.tags[1]"},
		{name: "21 ECS tags (R33)", set: kv{"scaling_group.tags": distinctObjects(21, func(i int) kv { return kv{"key": fmt.Sprint("k", i)} })}, code: ackscale.CodeOutOfRange, field: "scaling_group.tags"},
		{name: "public bandwidth 101 (SDK)", set: kv{"scaling_group.internet_max_bandwidth_out": 101}, code: ackscale.CodeOutOfRange, field: "scaling_group.internet_max_bandwidth_out"},
		{name: "spot instance pools 11 (SDK)", set: kv{"scaling_group.spot_instance_pools": 11}, code: ackscale.CodeOutOfRange, field: "scaling_group.spot_instance_pools"},
		{name: "multi-zone policy compared exactly (SDK)", set: kv{"scaling_group.multi_az_policy": "priority"}, code: ackscale.CodeNotInEnum, field: "scaling_group.multi_az_policy"},
		{name: "private pool Target needs its id (SDK)", set: kv{"scaling_group.private_pool_options": kv{"match_criteria": "Target"}},
			code: ackscale.CodeMissingParameter, field: "scaling_group.private_pool_options.id"},
		{name: "unknown field in scaling_group (SDK)", set: kv{"scaling_group.worker_instance_types": []string{"ecs.g6.large"}}, code: ackscale.CodeUnknownField, field: "scaling_group.worker_instance_types"},

		// auto_scaling.
		{name: "min_instances above max_instances (SDK, R28)", set: kv{"auto_scaling": aScaling(true, 3, 2)}, code: ackscale.CodeOutOfRange, field: "auto_scaling.max_instances"},
		{name: "desired size above max_instances (R28)", set: kv{"auto_scaling": aScaling(true, 0, 1)}, code: ackscale.CodeOutOfRange, field: sgDesired},
		{name: "desired size below min_instances (R28)", set: kv{"auto_scaling": aScaling(true, 3, 5)}, code: ackscale.CodeOutOfRange, field: sgDesired},
		{name: "max_instances 2001 (SDK, R28)", set: kv{"auto_scaling.max_instances": 2001}, code: ackscale.CodeOutOfRange, field: "auto_scaling.max_instances"},
		{name: "auto-scaling type compared exactly (SDK, R28)", set: kv{"auto_scaling.type": "GPU"}, code: ackscale.CodeNotInEnum, field: "auto_scaling.type"},

		// kubernetes_config.
		{name: "label key not a label key (SDK, R9)", set: kv{"kubernetes_config.labels": list{kv{"key": "-k"}}}, code: ackscale.CodeInvalidFormat, field: "kubernetes_config.labels[0].key"},
		{name: "label key required (SDK Tag, R9)", set: kv{"kubernetes_config.labels": list{kv{"value": "v"}}}, code: ackscale.CodeMissingParameter, field: "kubernetes_config.labels[0].key"},
		{name: "21 labels (R33)", set: kv{"kubernetes_config.labels": distinctObjects(21, func(i int) kv { return kv{"key": fmt.Sprint("k", i)} })}, code: ackscale.CodeOutOfRange, field: "kubernetes_config.labels"},
		{name: "taint effect compared exactly (SDK Taint)", set: kv{"kubernetes_config.taints": list{kv{"key": "a", "effect": "noschedule"}}}, code: ackscale.CodeNotInEnum, field: "kubernetes_config.taints[0].effect"},
		{name: "taint key and effect twice (SDK Taint, R9)", set: kv{"kubernetes_config.taints": list{kv{"key": "a"}, kv{"key": "a", "effect": "NoSchedule"}}},
			code: ackscale.CodeInvalidParameter, field: "kubernetes_config.taints[1]"},
		{name: "cpu_policy compared exactly (SDK)", set: kv{"kubernetes_config.cpu_policy": "Static"}, code: ackscale.CodeNotInEnum, field: "kubernetes_config.cpu_policy"},
		{name: "runtime not a model value (SDK)", set: kv{"kubernetes_config.runtime": "crio"}, code: ackscale.CodeNotInEnum, field: "kubernetes_config.runtime"},
		{name: "runv on a standard cluster (R26)", set: kv{"kubernetes_config.runtime": ackscale.RuntimeSandboxed}, code: ackscale.CodeNotInEnum, field: "kubernetes_config.runtime"},
		{name: "runtime version the cloud does not offer (R25)", set: kv{"kubernetes_config.runtime_version": "1.7.0"}, code: ackscale.CodeNotInEnum, field: "kubernetes_config.runtime_version"},
		{name: "runtime the cloud does not offer (R25)", cloud: withoutDocker{}, set: kv{"kubernetes_config.runtime": "docker"}, code: ackscale.CodeNotInEnum, field: "kubernetes_config.runtime"},
		{name: "user_data not Base64 (SDK, R9)", set: kv{"kubernetes_config.user_data": "echo hi"}, code: ackscale.CodeInvalidFormat, field: "kubernetes_config.user_data"},
		{name: "node_name_mode not the custom shape (R34)", set: kv{"kubernetes_config.node_name_mode": "aliyun"}, code: ackscale.CodeInvalidFormat, field: "kubernetes_config.node_name_mode"},
		{name: "node_name_mode without prefix (R34)", set: kv{"kubernetes_config.node_name_mode": "customized,,ip,com"}, code: ackscale.CodeInvalidFormat, field: "kubernetes_config.node_name_mode"},
		{name: "node_name_mode in upper case (R34)", set: kv{"kubernetes_config.node_name_mode": "customized,Node,ip,"}, code: ackscale.CodeInvalidFormat, field: "kubernetes_config.node_name_mode"},
		{name: "node_name_mode of 65 characters (R34)", set: kv{"kubernetes_config.node_name_mode": "customized," + repeat("n", 50) + ",ip,"}, code: ackscale.CodeInvalidFormat, field: "kubernetes_config.node_name_mode"},
		{name: "unschedulable as string (SDK, ruling 13)", set: kv{"kubernetes_config.unschedulable": "true"}, code: ackscale.CodeInvalidType, field: "kubernetes_config.unschedulable"},

		// The other objects, and unknown fields (ruling 14).
		{name: "free-form map type-checked (R27)", set: kv{"node_config": kv{"kubelet_configuration": kv{"evictionHard": "100Mi"}}},
			code: ackscale.CodeInvalidType, field: "node_config.kubelet_configuration.evictionHard"},
		{name: "unknown kubelet setting (SDK KubeletConfig, ruling 14)", set: kv{"node_config": kv{"kubelet_configuration": kv{"max_pods": 110}}},
			code: ackscale.CodeUnknownField, field: "node_config.kubelet_configuration.max_pods"},
		{name: "management policy field as wrong type (SDK, R27)", set: kv{"management": kv{"auto_repair_policy": kv{"max_parallel_repairing_nodes": 5}}},
			code: ackscale.CodeInvalidType, field: "management.auto_repair_policy.max_parallel_repairing_nodes"},
		{name: "upgrade max_unavailable 0 is absent, 1001 refused (SDK)", set: kv{"management": kv{"upgrade_config": kv{"max_unavailable": 1001}}},
			code: ackscale.CodeOutOfRange, field: "management.upgrade_config.max_unavailable"},
		{name: "update_nodes belongs to the modification (SDK, ruling 14)", set: kv{"update_nodes": true}, code: ackscale.CodeUnknownField, field: "update_nodes"},
		{name: "first unknown field by name (SDK, ruling 14, R13)", set: kv{"zz": 1, "aa": 1}, code: ackscale.CodeUnknownField, field: "aa"},
	}
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestModifyNodePool(t *testing.T) {
	t.Parallel()
	suite{base: tfModify, op: modifyPoolOp, rows: modifyPoolRows()}.run(t)
}

func wantChange(f func(t *testing.T, ch NodePoolChange)) func(*testing.T, any) {
	return func(t *testing.T, out any) { f(t, out.(NodePoolChange)) }
}

func modifyPoolRows() []row {
	type kv = map[string]any
	return []row{
		{name: "Terraform's desired_size change with its empty objects accepted (clients.md, SDK)", want: wantChange(func(t *testing.T, ch NodePoolChange) {
			require.JSONEq(t, tfModify, string(ch.Patch))
			require.False(t, ch.UpdateNodes)
			require.Nil(t, ch.Count)
		})},
		{name: "update_nodes and concurrency taken (SDK)", set: kv{"update_nodes": true, "concurrency": true}, want: wantChange(func(t *testing.T, ch NodePoolChange) {
			require.True(t, ch.UpdateNodes)
			require.True(t, ch.Concurrency)
			require.JSONEq(t, tfModify, string(ch.Patch), "update_nodes is no configuration")
		})},
		{name: "Terraform's node_count increase: top-level count (clients.md, R31)", base: `{"count":2,"kubernetes_config":{},"nodepool_info":{},"scaling_group":{}}`,
			want: wantChange(func(t *testing.T, ch NodePoolChange) {
				require.Equal(t, ptr(2), ch.Count)
				require.JSONEq(t, `{"kubernetes_config":{},"nodepool_info":{},"scaling_group":{}}`, string(ch.Patch))
			})},
		{name: "nothing is required (SDK)", base: `{}`, want: wantChange(func(t *testing.T, ch NodePoolChange) { require.JSONEq(t, `{}`, string(ch.Patch)) })},
		{name: "desired_size 0 scales to no node (SDK, R26)", set: kv{sgDesired: 0}, want: wantChange(func(t *testing.T, ch NodePoolChange) {
			require.JSONEq(t, `{"kubernetes_config":{},"nodepool_info":{},"scaling_group":{"desired_size":0}}`, string(ch.Patch))
		})},
		{name: "a null object is absent, not a deletion (R3)", set: kv{"management": nil}, want: wantChange(func(t *testing.T, ch NodePoolChange) {
			require.JSONEq(t, tfModify, string(ch.Patch))
		})},
		{name: "labels, taints and name change passed on as sent (SDK)", set: kv{"nodepool_info.name": "new-name",
			"kubernetes_config.labels": []any{kv{"key": "a", "value": "b"}}, "kubernetes_config.taints": []any{}},
			want: wantChange(func(t *testing.T, ch NodePoolChange) {
				require.JSONEq(t, `{"kubernetes_config":{"labels":[{"key":"a","value":"b"}],"taints":[]},"nodepool_info":{"name":"new-name"},"scaling_group":{"desired_size":3}}`,
					string(ch.Patch))
			})},
		{name: "a password sent replaces the pool's key pair (R29)", set: kv{sgPassword: "Hello1234!"}, want: wantChange(func(t *testing.T, ch NodePoolChange) {
			require.JSONEq(t, `{"kubernetes_config":{},"nodepool_info":{},"scaling_group":{"desired_size":3,"key_pair":null,"login_password":"Hello1234!"}}`, string(ch.Patch))
		})},
		{name: "auto_scaling.type passed on for the pool to compare (R28)", set: kv{"auto_scaling": kv{"enable": true, "max_instances": 5, "type": "gpu"}}},
		{name: "auto_attach_enabled is a string here and a boolean in the pool (SDK, R28)", set: kv{"eflo_node_group": kv{"auto_attach_enabled": "true"}},
			want: wantChange(func(t *testing.T, ch NodePoolChange) {
				require.Contains(t, string(ch.Patch), `"eflo_node_group":{"auto_attach_enabled":true}`)
			})},
		{name: "auto_attach_enabled as a boolean (SDK, ruling 13)", set: kv{"eflo_node_group": kv{"auto_attach_enabled": true}}, code: ackscale.CodeInvalidType, field: "eflo_node_group.auto_attach_enabled"},
		{name: "nodepool_info.type is not the modification's (R28, ruling 14)", set: kv{"nodepool_info.type": "ess"}, code: ackscale.CodeUnknownField, field: "nodepool_info.type"},
		{name: "auto_scaling.type compared exactly (SDK, R28)", set: kv{"auto_scaling.type": "Spot"}, code: ackscale.CodeNotInEnum, field: "auto_scaling.type"},
		{name: "node_config is the create model's only (SDK, ruling 14)", set: kv{"node_config": kv{}}, code: ackscale.CodeUnknownField, field: "node_config"},
		{name: "security_group_id is the create model's only (SDK, ruling 14)", set: kv{"scaling_group.security_group_id": "sg-1"}, code: ackscale.CodeUnknownField, field: "scaling_group.security_group_id"},
		{name: "count 501 (R31)", set: kv{"count": 501}, code: ackscale.CodeOutOfRange, field: "count"},
		{name: "count with desired_size (R31)", set: kv{"count": 2}, code: ackscale.CodeConflict, field: "count"},
		{name: "key pair and password both (SDK, R29)", set: kv{sgPassword: "Hello1234!", sgKeyPair: "secrity-key"}, code: ackscale.CodeConflict, field: poolCreds},
		{name: "instance types cannot be emptied (SDK)", set: kv{"scaling_group.instance_types": []string{}}, code: ackscale.CodeOutOfRange, field: "scaling_group.instance_types"},
		{name: "name cannot be emptied (SDK, R26)", set: kv{"nodepool_info.name": ""}, code: ackscale.CodeInvalidFormat, field: "nodepool_info.name"},
		{name: "desired_size as string (SDK, ruling 13)", set: kv{sgDesired: "3"}, code: ackscale.CodeInvalidType, field: sgDesired},
		{name: "label key checked in a modification (SDK, R9)", set: kv{"kubernetes_config.labels": []any{kv{"key": "a b"}}}, code: ackscale.CodeInvalidFormat, field: "kubernetes_config.labels[0].key"},
		{name: "unknown field in a modification (ruling 14)", set: kv{"force": true}, code: ackscale.CodeUnknownField, field: "force"},
	}
}

// mergePatch is RFC 7396, as the operations layer merges a modification
// into a pool's configuration.
func mergePatch(t *testing.T, doc, patch []byte) []byte {
	var d, p any
	require.NoError(t, json.Unmarshal(doc, &d))
	require.NoError(t, json.Unmarshal(patch, &p))
	var merge func(d, p any) any
	merge = func(d, p any) any {
		pm, ok := p.(map[string]any)
		if !ok {
			return p
		}
		dm, ok := d.(map[string]any)
		if !ok {
			dm = map[string]any{}
		}
		for k, v := range pm {
			if v == nil {
				delete(dm, k)
			} else {
				dm[k] = merge(dm[k], v)
			}
		}
		return dm
	}
	b, err := json.Marshal(merge(d, p))
	require.NoError(t, err)
	return b
}

// TestModifyMergedIntoPool: a pool's Config merged with a modification
// validates with NodePool against the pool (R28, R29), as the operations
// layer does it.
func TestModifyMergedIntoPool(t *testing.T) {
	t.Parallel()
	create := func(t *testing.T, body string) ackscale.NodePoolSpec {
		p, err := NodePool(poolTarget(), []byte(body), fakeCloud{})
		require.NoError(t, err)
		return p
	}
	modify := func(t *testing.T, p ackscale.NodePoolSpec, body string) (ackscale.NodePoolSpec, error) {
		ch, err := ModifyNodePool([]byte(body))
		require.NoError(t, err)
		tgt := poolTarget()
		tgt.Pool = &p
		return NodePool(tgt, mergePatch(t, p.Config, ch.Patch), fakeCloud{})
	}
	t.Run("desired size, labels and taints (clients.md)", func(t *testing.T) {
		t.Parallel()
		p, err := modify(t, create(t, tfNodePool), `{"kubernetes_config":{"labels":[{"key":"a","value":"b"}]},"nodepool_info":{},"scaling_group":{"desired_size":4}}`)
		require.NoError(t, err)
		require.Equal(t, 4, p.DesiredSize)
		require.Equal(t, []ackscale.Tag{{Key: "a", Value: "b"}}, p.Workers.Tags)
		require.Equal(t, "secrity-key", p.Workers.KeyPair)
		require.True(t, p.Workers.CloudMonitor)
	})
	t.Run("a password pool keeps its password (R29)", func(t *testing.T) {
		t.Parallel()
		pw := create(t, strings.Replace(tfNodePool, `"key_pair": "secrity-key"`, `"login_password": "Hello1234!"`, 1))
		require.True(t, pw.Workers.HasPassword)
		p, err := modify(t, pw, tfModify)
		require.NoError(t, err)
		require.True(t, p.Workers.HasPassword)
		p, err = modify(t, pw, `{"scaling_group":{"key_pair":"secrity-key"}}`)
		require.NoError(t, err)
		require.False(t, p.Workers.HasPassword)
		require.Equal(t, "secrity-key", p.Workers.KeyPair)
	})
	t.Run("a password replaces a key pair (R29)", func(t *testing.T) {
		t.Parallel()
		p, err := modify(t, create(t, tfNodePool), `{"scaling_group":{"login_password":"Hello1234!"}}`)
		require.NoError(t, err)
		require.True(t, p.Workers.HasPassword)
		require.Empty(t, p.Workers.KeyPair)
		require.NotContains(t, string(p.Config), "Hello1234!")
	})
	t.Run("auto_scaling.type resent, then changed (R28)", func(t *testing.T) {
		t.Parallel()
		p := create(t, tfNodePool)
		_, err := modify(t, p, `{"auto_scaling":{"enable":true,"min_instances":1,"max_instances":5,"type":"cpu"}}`)
		require.NoError(t, err)
		_, err = modify(t, p, `{"auto_scaling":{"enable":true,"min_instances":1,"max_instances":5,"type":"gpu"}}`)
		requireCode(t, err, ackscale.CodeInvalidParameter, "auto_scaling.type")
	})
	t.Run("bounds that exclude the desired size (R28)", func(t *testing.T) {
		t.Parallel()
		_, err := modify(t, create(t, tfNodePool), `{"auto_scaling":{"enable":true,"min_instances":3,"max_instances":5}}`)
		requireCode(t, err, ackscale.CodeOutOfRange, sgDesired)
	})
	t.Run("a vSwitch of another VPC (SDK)", func(t *testing.T) {
		t.Parallel()
		_, err := modify(t, create(t, tfNodePool), `{"scaling_group":{"vswitch_ids":["vsw-other-vpc"]}}`)
		requireCode(t, err, ackscale.CodeInvalidParameter, "scaling_group.vswitch_ids[0]")
	})
	t.Run("a null keeps a setting (R3), an empty list removes it", func(t *testing.T) {
		t.Parallel()
		p, err := modify(t, create(t, npmWithKey()), `{"kubernetes_config":{"taints":null}}`)
		require.NoError(t, err)
		require.NotEmpty(t, p.Workers.Taints, "a null is a field left out")
		p, err = modify(t, create(t, npmWithKey()), `{"kubernetes_config":{"taints":[]}}`)
		require.NoError(t, err)
		require.Empty(t, p.Workers.Taints)
		require.Len(t, p.Workers.Tags, 1)
	})
}

func npmWithKey() string {
	return strings.Replace(npmNodePool, `"desired_size":2,`, `"desired_size":2,"key_pair":"secrity-key",`, 1)
}

func requireCode(t *testing.T, err error, code, field string) {
	t.Helper()
	var e *ackscale.Error
	require.True(t, errors.As(err, &e), "%v", err)
	require.Equal(t, code, e.Code, e.Message)
	require.Equal(t, field, e.Field, e.Message)
}

func TestScaleNodePool(t *testing.T) {
	t.Parallel()
	suite{base: `{"count":2}`, op: scalePoolOp, rows: scalePoolRows()}.run(t)
}

func scalePoolRows() []row {
	type kv = map[string]any
	count := func(n int) func(*testing.T, any) { return func(t *testing.T, out any) { require.Equal(t, n, out) } }
	return []row{
		{name: "count accepted (SDK, R31)", want: count(2)},
		{name: "count 1 and 500 accepted (SDK, R31)", set: kv{"count": 500}, want: count(500)},
		{name: "count 0 (SDK, R31)", set: kv{"count": 0}, code: ackscale.CodeOutOfRange, field: "count"},
		{name: "count 501: at most 500 a call (SDK, R31)", set: kv{"count": 501}, code: ackscale.CodeOutOfRange, field: "count"},
		{name: "count required (R31)", base: `{}`, code: ackscale.CodeMissingParameter, field: "count"},
		{name: "count as the 2021 sample's string (R31, ruling 13)", set: kv{"count": "1"}, code: ackscale.CodeInvalidType, field: "count"},
		{name: "count 1.0 (R2, R31)", set: kv{"count": raw("1.0")}, code: ackscale.CodeInvalidType, field: "count"},
		{name: "unknown field (SDK, ruling 14)", set: kv{"desired_size": 3}, code: ackscale.CodeUnknownField, field: "desired_size"},
	}
}

func TestRemoveNodePoolNodes(t *testing.T) {
	t.Parallel()
	// The query of the captured npm SDK request, as the caller builds it.
	const base = `{"concurrency":true,"drain_node":false,"instance_ids":["i-a","i-b"],"nodes":["cn-hangzhou.10.0.0.1"],"release_node":true}`
	suite{base: base, op: removePoolOp, rows: removePoolRows()}.run(t)
}

func removePoolRows() []row {
	type kv = map[string]any
	removal := func(r ackscale.Removal) func(*testing.T, any) {
		return func(t *testing.T, out any) { require.Equal(t, r, out) }
	}
	return []row{
		{name: "nodes and instance ids accepted (SDK, R32)", want: removal(ackscale.Removal{Nodes: []string{"cn-hangzhou.10.0.0.1", "i-a", "i-b"}, ReleaseNode: true})},
		{name: "release and drain default to false (R32)", base: `{"instance_ids":["i-a"]}`, want: removal(ackscale.Removal{Nodes: []string{"i-a"}})},
		{name: "nodes alone accepted (SDK, R32)", base: `{"nodes":["cn-beijing.192.168.0.10"],"drain_node":true}`,
			want: removal(ackscale.Removal{Nodes: []string{"cn-beijing.192.168.0.10"}, DrainNode: true})},
		{name: "a name in both lists once (R32)", set: kv{"instance_ids": []string{"cn-hangzhou.10.0.0.1", "i-a"}},
			want: removal(ackscale.Removal{Nodes: []string{"cn-hangzhou.10.0.0.1", "i-a"}, ReleaseNode: true})},
		{name: "neither nodes nor instance_ids (R32)", base: `{"release_node":true}`, code: ackscale.CodeMissingParameter, field: "nodes,instance_ids"},
		{name: "both lists empty (R32, R14)", base: `{"nodes":[],"instance_ids":[]}`, code: ackscale.CodeMissingParameter, field: "nodes,instance_ids"},
		{name: "a list not sent as a JSON array (R32, ruling 13)", set: kv{"instance_ids": "i-a,i-b"}, code: ackscale.CodeInvalidType, field: "instance_ids"},
		{name: "release_node not true or false (R32, ruling 13)", set: kv{"release_node": "yes"}, code: ackscale.CodeInvalidType, field: "release_node"},
		{name: "instance id twice (R32)", set: kv{"instance_ids": []string{"i-a", "i-a"}}, code: ackscale.CodeInvalidParameter, field: "instance_ids[1]"},
		{name: "1001 instance ids (R24, R32)", set: kv{"instance_ids": distinct("i-", 1001)}, code: ackscale.CodeOutOfRange, field: "instance_ids"},
		{name: "node name not a DNS subdomain (R18, R32)", set: kv{"nodes": []string{"Node 1"}}, code: ackscale.CodeInvalidFormat, field: "nodes[0]"},
		{name: "a query parameter of another operation (ruling 14)", set: kv{"force": true}, code: ackscale.CodeUnknownField, field: "force"},
	}
}

// TestNodePoolMessagesCiteWhatUsersRead: the node-pool tables' errors
// cite nothing outside the repository, only docs/api.md's further rulings
// (TestMessagesCiteNoOutsideDocument checks every table).
func TestNodePoolMessagesCiteWhatUsersRead(t *testing.T) {
	t.Parallel()
	for _, s := range []struct {
		base string
		tgt  func() Target
		op   func(Target, []byte, Cloud) (any, error)
		rows []row
	}{
		{tfNodePool, poolTarget, nodePoolOp, nodePoolRows()},
		{tfModify, noTarget, modifyPoolOp, modifyPoolRows()},
		{`{"count":2}`, noTarget, scalePoolOp, scalePoolRows()},
		{`{"instance_ids":["i-a"]}`, noTarget, removePoolOp, removePoolRows()},
	} {
		for _, r := range s.rows {
			if r.code == "" {
				continue
			}
			tgt := s.tgt()
			if r.target != nil {
				r.target(&tgt)
			}
			c := r.cloud
			if c == nil {
				c = fakeCloud{}
			}
			_, err := s.op(tgt, r.body(t, s.base), c)
			var e *ackscale.Error
			require.True(t, errors.As(err, &e), r.name)
			requireCitesOnlyDocs(t, e.Message, r.name)
		}
	}
}
