package rules

import (
	"fmt"
	"testing"

	"github.com/ackscale/ackscale/internal/seeds"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// seed002 is seed 002's table, built from its "Example" column (the seed
// has no example body), with key_pair and without login_password.
const seed002 = seeds.Body002

func TestScaleOutStandard(t *testing.T) {
	t.Parallel()
	suite{base: seed002, target: standardTarget, op: scaleOutOp, rows: standardRows()}.run(t)
}

// TestScaleOutLegacyPOST: a dedicated cluster takes seed 002's rules on the
// POST (decisions.md, "Which rules apply").
func TestScaleOutLegacyPOST(t *testing.T) {
	t.Parallel()
	suite{base: seed002, target: legacyTarget, op: scaleOutOp, rows: legacyPOSTRows()}.run(t)
}

func legacyPOSTRows() []row {
	return []row{
		{name: "seed 002 example accepted on a dedicated cluster (seed 002, decisions.md)", want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
			require.Equal(t, 3, so.Count)
			require.Equal(t, []string{"ecs.c5.xlarge"}, so.InstanceTypes)
		})},
		{name: "num_of_nodes belongs to the PUT (ruling 14)", set: map[string]any{"num_of_nodes": 5}, code: ackscale.CodeUnknownField, field: "num_of_nodes"},
		{name: "minimal body falls back to the cluster's worker settings (R5)", base: `{"count":2,"login_password":"Hello1234"}`,
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
				require.Equal(t, []string{"ecs.sn1ne.large"}, so.InstanceTypes)
				require.Equal(t, "cloud_efficiency", so.SystemDiskCategory)
				require.Equal(t, 40, so.SystemDiskSizeGiB)
			})},
		{name: "quota counts the dedicated cluster's workers (ruling 9)", set: map[string]any{"count": 998}, code: ackscale.CodeQuotaExceeded, field: "count"},
	}
}

func standardRows() []row {
	type kv = map[string]any
	prepaid := func(t *testing.T, so ackscale.ScaleOut) {
		require.Equal(t, ackscale.ScaleOut{
			Count: 3, InstanceTypes: []string{"ecs.c5.xlarge"}, VSwitchIDs: []string{"vsw-2ze4jvvvade1yk899****"},
			KeyPair: "secrity-key", SystemDiskCategory: "cloud_efficiency", SystemDiskSizeGiB: 120,
			DataDisks: []ackscale.DataDisk{{Category: "cloud_ssd", SizeGiB: 120}},
			Tags:      []ackscale.Tag{{Key: "tier", Value: "frontend"}}, Taints: []ackscale.Taint{{Key: "node_type", Value: "prod", Effect: "NoSchedule"}},
			Runtime: &ackscale.Runtime{Name: "docker", Version: "19.03.5"}, ChargeType: "PrePaid", Period: 1, PeriodUnit: "Month",
			AutoRenew: true, AutoRenewPeriod: 6, CPUPolicy: "none", CloudMonitor: true, RDSInstances: []string{"rm-2zev748xi27xc****"},
			DisableRollback: true, TimeoutMins: 60,
		}, so)
	}
	minimal := `{"count":1,"login_password":"Hello@1234"}`
	return []row{
		// Positive rows.
		{name: "seed 002 example values with key_pair accepted (seed 002)", want: wantOut(prepaid)},
		{name: "minimal body: cluster defaults, PostPaid, timeout 60, rollback off (seed 002, R5, rulings 8, 11)", base: minimal,
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
				require.Equal(t, []string{"ecs.g6.large"}, so.InstanceTypes)
				require.Equal(t, "cloud_essd", so.SystemDiskCategory)
				require.Equal(t, 80, so.SystemDiskSizeGiB)
				require.Equal(t, "PostPaid", so.ChargeType)
				require.True(t, so.HasPassword)
				require.True(t, so.DisableRollback)
				require.Equal(t, 60, so.TimeoutMins)
				require.Equal(t, "none", so.CPUPolicy)
				require.Nil(t, so.VSwitchIDs)
			})},
		{name: "no cluster defaults: cloud_ssd and 120 GiB (R5)", base: minimal, target: func(t *Target) { t.Defaults.WorkerSystemDiskCategory, t.Defaults.WorkerSystemDiskSizeGiB = "", 0 },
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
				require.Equal(t, "cloud_ssd", so.SystemDiskCategory)
				require.Equal(t, 120, so.SystemDiskSizeGiB)
			})},
		{name: "default system disk raised to a bigger image (R5, ruling 5)", base: minimal, set: kv{"image_id": "m-huge"},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.Equal(t, 200, so.SystemDiskSizeGiB) })},
		{name: "PostPaid drops the period fields (seed 002)", set: kv{"worker_instance_charge_type": "PostPaid"},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.Zero(t, so.Period+so.AutoRenewPeriod) })},
		{name: "null is the same as absent (R3)", base: minimal, set: kv{"cpu_policy": nil, "tags": nil, "key_pair": nil}},
		{name: "empty key_pair counts as absent (R14)", base: minimal, set: kv{"key_pair": ""}},
		{name: "disable_rollback false kept (ruling 11)", set: kv{"disable_rollback": false},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.False(t, so.DisableRollback) })},
		{name: "system disk 40 and 500 accepted (R7)", set: kv{"worker_system_disk_size": 500}},
		{name: "system disk equal to the image accepted (ruling 5)", set: kv{"image_id": "m-big", "worker_system_disk_size": 60}},
		{name: "count fills the quota exactly (ruling 9)", target: workers(997)},
		{name: "timeout 1 and no data disks accepted (R4, R8)", set: kv{"worker_data_disk": false, "worker_data_disks": []any{}, "timeout_mins": 1}},

		// count (seed 002, ruling 9).
		{name: "count required (ruling 9)", del: []string{"count"}, code: ackscale.CodeMissingParameter, field: "count"},
		{name: "count 0 rejected (ruling 9)", set: kv{"count": 0}, code: ackscale.CodeOutOfRange, field: "count"},
		{name: "count string rejected (ruling 13)", set: kv{"count": "3"}, code: ackscale.CodeInvalidType, field: "count"},
		{name: "count 2.0 rejected (ruling 13, R2)", set: kv{"count": raw("2.0")}, code: ackscale.CodeInvalidType, field: "count"},
		{name: "count 1e3 rejected (ruling 13, R2)", set: kv{"count": raw("1e3")}, code: ackscale.CodeInvalidType, field: "count"},
		{name: "count beyond 64 bits is out of range (R2)", set: kv{"count": raw("99999999999999999999")}, code: ackscale.CodeOutOfRange, field: "count"},
		{name: "count past the quota (ruling 9)", target: workers(998), code: ackscale.CodeQuotaExceeded, field: "count"},
		{name: "configured quota (ruling 9)", target: func(t *Target) { t.MaxWorkers = ptr(4) }, code: ackscale.CodeQuotaExceeded, field: "count"},

		// Billing (seed 002, ruling 15).
		{name: "charge type case-sensitive (ruling 15)", set: kv{"worker_instance_charge_type": "prepaid"}, code: ackscale.CodeNotInEnum, field: "worker_instance_charge_type"},
		{name: "PrePaid needs worker_period (seed 002)", del: []string{"worker_period"}, code: ackscale.CodeMissingParameter, field: "worker_period"},
		{name: "PrePaid needs worker_period_unit (seed 002)", del: []string{"worker_period_unit"}, code: ackscale.CodeMissingParameter, field: "worker_period_unit"},
		{name: "worker_period 4 rejected for Month (seed 002)", set: kv{"worker_period": 4}, code: ackscale.CodeNotInEnum, field: "worker_period"},
		{name: "worker_period_unit Week rejected (seed 002, R20)", set: kv{"worker_period_unit": "Week"}, code: ackscale.CodeNotInEnum, field: "worker_period_unit"},
		{name: "auto-renew period 4 rejected (seed 002)", set: kv{"worker_auto_renew_period": 4}, code: ackscale.CodeNotInEnum, field: "worker_auto_renew_period"},
		{name: "PrePaid auto-renew needs its period (seed 002)", del: []string{"worker_auto_renew_period"}, code: ackscale.CodeMissingParameter, field: "worker_auto_renew_period"},
		{name: "worker_auto_renew as string rejected (ruling 13)", set: kv{"worker_auto_renew": "true"}, code: ackscale.CodeInvalidType, field: "worker_auto_renew"},

		// Disks (seed 002, R7, R8, ruling 5).
		{name: "system disk category cloud rejected (R7, ruling 15)", set: kv{"worker_system_disk_category": "cloud"}, code: ackscale.CodeNotInEnum, field: "worker_system_disk_category"},
		{name: "system disk 39 rejected (R7)", set: kv{"worker_system_disk_size": 39}, code: ackscale.CodeOutOfRange, field: "worker_system_disk_size"},
		{name: "system disk 501 rejected (R7)", set: kv{"worker_system_disk_size": 501}, code: ackscale.CodeOutOfRange, field: "worker_system_disk_size"},
		{name: "system disk smaller than the image (ruling 5, R6)", set: kv{"image_id": "m-big", "worker_system_disk_size": 50}, code: ackscale.CodeDiskTooSmall, field: "worker_system_disk_size"},
		{name: "worker_data_disk false with disks (R8)", set: kv{"worker_data_disk": false}, code: ackscale.CodeConflict, field: "worker_data_disk"},
		{name: "worker_data_disk true without disks (R8)", del: []string{"worker_data_disks"}, code: ackscale.CodeMissingParameter, field: "worker_data_disks"},
		{name: "data disk size as number rejected (ruling 13)", set: kv{"worker_data_disks": []any{kv{"size": 120}}}, code: ackscale.CodeInvalidType, field: "worker_data_disks[0].size"},
		{name: "data disk size 39 rejected (R7)", set: kv{"worker_data_disks": []any{kv{"size": "39"}}}, code: ackscale.CodeOutOfRange, field: "worker_data_disks[0].size"},
		{name: "data disk size 32769 rejected (R7)", set: kv{"worker_data_disks": []any{kv{"size": "32769"}}}, code: ackscale.CodeOutOfRange, field: "worker_data_disks[0].size"},
		{name: "data disk size not digits (R7)", set: kv{"worker_data_disks": []any{kv{"size": "12O"}}}, code: ackscale.CodeInvalidFormat, field: "worker_data_disks[0].size"},
		{name: "data disk size required (R7)", set: kv{"worker_data_disks": []any{kv{"category": "cloud_ssd"}}}, code: ackscale.CodeMissingParameter, field: "worker_data_disks[0].size"},
		{name: "data disk category near-miss (ruling 15)", set: kv{"worker_data_disks": []any{kv{"size": "40", "category": "cloud_SSD"}}}, code: ackscale.CodeNotInEnum, field: "worker_data_disks[0].category"},
		{name: "data disk encrypted is a string in the SDK (ruling 13)", set: kv{"worker_data_disks": []any{kv{"size": "40", "encrypted": true}}}, code: ackscale.CodeInvalidType, field: "worker_data_disks[0].encrypted"},
		{name: "data disk unknown key (ruling 14)", set: kv{"worker_data_disks": []any{kv{"size": "40", "iops": 1}}}, code: ackscale.CodeUnknownField, field: "worker_data_disks[0].iops"},
		{name: "data disk item not an object (ruling 13)", set: kv{"worker_data_disks": []any{"40"}}, code: ackscale.CodeInvalidType, field: "worker_data_disks[0]"},
		{name: "17 data disks rejected (R7, R21)", set: kv{"worker_data_disks": list(kv{"size": "40"}, 17)}, code: ackscale.CodeOutOfRange, field: "worker_data_disks"},

		// Credentials (rulings 3, 4).
		{name: "key_pair and login_password both rejected (ruling 4)", set: kv{"login_password": "Hello@1234"}, code: ackscale.CodeConflict, field: credFields},
		{name: "neither key_pair nor login_password (ruling 4)", del: []string{"key_pair"}, code: ackscale.CodeMissingParameter, field: credFields},
		{name: "key pair must exist in the region (ruling 4, ruling 16)", set: kv{"key_pair": "other-key"}, code: ackscale.CodeKeyPairNotFound, field: "key_pair"},
		{name: "key_pair as number rejected (ruling 13)", set: kv{"key_pair": 5}, code: ackscale.CodeInvalidType, field: "key_pair"},
		{name: "password of 7 characters (ruling 3)", base: minimal, set: kv{"login_password": "Hell0!a"}, code: ackscale.CodeInvalidFormat, field: "login_password"},
		{name: "password of 31 characters (ruling 3)", base: minimal, set: kv{"login_password": "Aa1" + repeat("x", 28)}, code: ackscale.CodeInvalidFormat, field: "login_password"},
		{name: "password of 8 and 30 characters accepted (ruling 3)", base: minimal, set: kv{"login_password": "Aa1" + repeat("x", 27)}},
		{name: "password with two classes (ruling 3)", base: minimal, set: kv{"login_password": "hello12345"}, code: ackscale.CodeInvalidFormat, field: "login_password"},
		{name: "password with a space (ruling 3, R23)", base: minimal, set: kv{"login_password": "Hello 1234"}, code: ackscale.CodeInvalidFormat, field: "login_password"},

		// Other fields of seed 002.
		{name: "cpu_policy case-sensitive (ruling 15)", set: kv{"cpu_policy": "Static"}, code: ackscale.CodeNotInEnum, field: "cpu_policy"},
		{name: "image must exist (ruling 16)", set: kv{"image_id": "m-none"}, code: ackscale.CodeImageNotFound, field: "image_id"},
		{name: "user_data must be Base64 (seed 002, R9)", set: kv{"user_data": "echo hi"}, code: ackscale.CodeInvalidFormat, field: "user_data"},
		{name: "runtime name Sandboxed-Container.runv belongs to the sandbox profile (ruling 15)", set: kv{"runtime": kv{"name": "Sandboxed-Container.runv"}}, code: ackscale.CodeNotInEnum, field: "runtime.name"},
		{name: "runtime as string rejected (ruling 13)", set: kv{"runtime": "docker"}, code: ackscale.CodeInvalidType, field: "runtime"},
		{name: "runtime without name (api.md §3)", set: kv{"runtime": kv{"version": "1"}}, code: ackscale.CodeMissingParameter, field: "runtime.name"},
		{name: "runtime version the cloud offers accepted (R25)", set: kv{"runtime": kv{"name": "docker", "version": "19.03.15"}}},
		{name: "runtime without version accepted (R25)", set: kv{"runtime": kv{"name": "containerd"}}},
		{name: "runtime version the cloud does not offer (R25)", set: kv{"runtime": kv{"name": "docker", "version": "20.10.0"}}, code: ackscale.CodeNotInEnum, field: "runtime.version"},
		{name: "runtime version of another runtime (R25)", set: kv{"runtime": kv{"name": "docker", "version": "1.6.38"}}, code: ackscale.CodeNotInEnum, field: "runtime.version"},
		{name: "runtime version of 129 characters (R24)", set: kv{"runtime": kv{"name": "docker", "version": repeat("9", 129)}}, code: ackscale.CodeInvalidFormat, field: "runtime.version"},
		{name: "65 rds_instances rejected (R24)", set: kv{"rds_instances": distinct("rm-", 65)}, code: ackscale.CodeOutOfRange, field: "rds_instances"},
		{name: "an rds instance of 129 characters (R24)", set: kv{"rds_instances": []string{"rm-a", repeat("r", 129)}}, code: ackscale.CodeInvalidFormat, field: "rds_instances[1]"},
		{name: "21 taints rejected (R24)", set: kv{"taints": distinctObjects(21, func(i int) kv { return kv{"key": fmt.Sprint("k", i), "effect": "NoSchedule"} })},
			code: ackscale.CodeOutOfRange, field: "taints"},
		{name: "user_data with a line break (R9)", set: kv{"user_data": "ZWNobyBo\naQ=="}, code: ackscale.CodeInvalidFormat, field: "user_data"},
		{name: "runtime unknown key (ruling 14)", set: kv{"runtime": kv{"name": "docker", "flavour": "x"}}, code: ackscale.CodeUnknownField, field: "runtime.flavour"},
		{name: "vSwitch must exist (ruling 16)", set: kv{"vswitch_ids": []string{"vsw-nope"}}, code: ackscale.CodeVSwitchNotFound, field: "vswitch_ids[0]"},
		{name: "vSwitch in another VPC (ruling 16)", set: kv{"vswitch_ids": []string{"vsw-std-b", "vsw-other-vpc"}}, code: ackscale.CodeInvalidParameter, field: "vswitch_ids[1]"},
		{name: "vSwitch listed twice (seed 002)", set: kv{"vswitch_ids": []string{"vsw-std-b", "vsw-std-b"}}, code: ackscale.CodeInvalidParameter, field: "vswitch_ids[1]"},
		{name: "vSwitch id as number (ruling 13)", set: kv{"vswitch_ids": []any{1}}, code: ackscale.CodeInvalidType, field: "vswitch_ids[0]"},
		{name: "vswitch_ids as string (ruling 13)", set: kv{"vswitch_ids": "vsw-std-b"}, code: ackscale.CodeInvalidType, field: "vswitch_ids"},
		{name: "ENS instance type on a standard cluster (ruling 16, R19)", set: kv{"worker_instance_types": []string{"ens.sn1.tiny"}}, code: ackscale.CodeInstanceTypeNotFound, field: "worker_instance_types[0]"},
		{name: "unknown instance type (ruling 16)", set: kv{"worker_instance_types": []string{"ecs.nope"}}, code: ackscale.CodeInstanceTypeNotFound, field: "worker_instance_types[0]"},
		{name: "empty instance type item (seed 002)", set: kv{"worker_instance_types": []string{""}}, code: ackscale.CodeInvalidFormat, field: "worker_instance_types[0]"},
		{name: "11 instance types rejected (R5)", set: kv{"worker_instance_types": []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"}}, code: ackscale.CodeOutOfRange, field: "worker_instance_types"},
		{name: "no instance types and no cluster default (R5)", base: minimal, target: func(t *Target) { t.Defaults.WorkerInstanceTypes = nil }, code: ackscale.CodeMissingParameter, field: "worker_instance_types"},
		{name: "tag key required (R9)", set: kv{"tags": []any{kv{"value": "x"}}}, code: ackscale.CodeMissingParameter, field: "tags[0].key"},
		{name: "tag key reserved prefix (R9)", set: kv{"tags": []any{kv{"key": "aliyun.x"}}}, code: ackscale.CodeInvalidFormat, field: "tags[0].key"},
		{name: "tag value not a label value (R9)", set: kv{"tags": []any{kv{"key": "a", "value": "-x"}}}, code: ackscale.CodeInvalidFormat, field: "tags[0].value"},
		{name: "tag key twice (R9)", set: kv{"tags": []any{kv{"key": "a"}, kv{"key": "a"}}}, code: ackscale.CodeInvalidParameter, field: "tags[1]"},
		{name: "21 tags rejected (R9)", set: kv{"tags": list(kv{"key": "a"}, 21)}, code: ackscale.CodeOutOfRange, field: "tags"},
		{name: "taint effect case-sensitive (ruling 15)", set: kv{"taints": []any{kv{"key": "a", "effect": "noschedule"}}}, code: ackscale.CodeNotInEnum, field: "taints[0].effect"},
		{name: "taint effect required (R9)", set: kv{"taints": []any{kv{"key": "a"}}}, code: ackscale.CodeMissingParameter, field: "taints[0].effect"},
		{name: "taint key and effect twice (R9)", set: kv{"taints": []any{kv{"key": "a", "effect": "NoExecute"}, kv{"key": "a", "effect": "NoExecute"}}}, code: ackscale.CodeInvalidParameter, field: "taints[1]"},
		{name: "timeout 0 rejected (R4)", set: kv{"timeout_mins": 0}, code: ackscale.CodeOutOfRange, field: "timeout_mins"},
		{name: "timeout 1441 rejected (R4, ruling 12)", set: kv{"timeout_mins": 1441}, code: ackscale.CodeOutOfRange, field: "timeout_mins"},
		{name: "disable_rollback as string rejected (ruling 13, ruling 11)", set: kv{"disable_rollback": "false"}, code: ackscale.CodeInvalidType, field: "disable_rollback"},

		// Unknown fields (ruling 14).
		{name: "ens_region_id unknown to a standard cluster (ruling 14)", set: kv{"ens_region_id": "cn-beijing-telecom"}, code: ackscale.CodeUnknownField, field: "ens_region_id"},
		{name: "ens_region_id empty still unknown: not in the SDK model (ruling 14)", set: kv{"ens_region_id": ""}, code: ackscale.CodeUnknownField, field: "ens_region_id"},
		{name: "first unknown field by name (ruling 14, R13)", set: kv{"zz": 1, "aa": 1}, code: ackscale.CodeUnknownField, field: "aa"},
	}
}
