package rules

import (
	"github.com/ackscale/ackscale/internal/seeds"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// seed004 is seed 004's example request, verbatim.
const seed004 = seeds.Body004

func TestScaleOutSandbox(t *testing.T) {
	t.Parallel()
	suite{base: seed004, target: sandboxTarget, op: scaleOutOp, rows: sandboxRows()}.run(t)
}

func sandboxRows() []row {
	type kv = map[string]any
	minimal := `{"count":1,"key_pair":"secrity-key","vswitch_ids":["vsw-2zes3rfz7bmk0nxxxxxxx"],"worker_data_disk":true,` +
		`"worker_data_disk_size":"300","worker_instance_types":["ecs.ebmgn6i.24xlarge"]}`
	return []row{
		{name: "seed 004 example accepted (seed 004, ruling 6)", want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
			require.Equal(t, ackscale.ScaleOut{
				Count: 1, InstanceTypes: []string{"ecs.ebmg5s.24xlarge"}, VSwitchIDs: []string{"vsw-2zes3rfz7bmk0nxxxxxxx"},
				HasPassword: true, SystemDiskCategory: "cloud_efficiency", SystemDiskSizeGiB: 120,
				DataDisks: []ackscale.DataDisk{{Category: "cloud_efficiency", SizeGiB: 200}}, ChargeType: "PostPaid",
				DisableRollback: false, TimeoutMins: 60,
			}, so)
		})},
		{name: "data disk size as numeric string accepted (ruling 6)", set: kv{"worker_data_disk_size": "200"},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.Equal(t, 200, so.DataDisks[0].SizeGiB) })},
		{name: "minimal body takes seed 004's defaults (seed 004, ruling 11)", base: minimal, want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
			require.Equal(t, "cloud_ssd", so.SystemDiskCategory)
			require.Equal(t, 40, so.SystemDiskSizeGiB)
			require.Equal(t, []ackscale.DataDisk{{Category: "cloud_efficiency", SizeGiB: 300}}, so.DataDisks)
			require.True(t, so.DisableRollback)
			require.Equal(t, "PostPaid", so.ChargeType)
		})},
		{name: "default system disk is max(40, image size) (seed 004)", base: minimal, set: kv{"image_id": "m-big"},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.Equal(t, 60, so.SystemDiskSizeGiB) })},
		{name: "each of the three bare-metal types accepted (seed 004)", set: kv{"worker_instance_types": sandboxTypes}},
		{name: "system disk 20 and 500 accepted (seed 004)", set: kv{"worker_system_disk_size": 20}},
		{name: "PrePaid with its period accepted (seed 002, R12)", set: kv{"worker_instance_charge_type": "PrePaid", "worker_period": 12, "worker_period_unit": "Month"}},
		{name: "empty SDK-model fields ignored (ruling 14)", set: kv{"cpu_policy": "", "taints": []any{}, "rds_instances": nil}},

		{name: "data disk 199 rejected (ruling 6)", set: kv{"worker_data_disk_size": 199}, code: ackscale.CodeOutOfRange, field: "worker_data_disk_size"},
		{name: "data disk \"199\" rejected (ruling 6)", set: kv{"worker_data_disk_size": "199"}, code: ackscale.CodeOutOfRange, field: "worker_data_disk_size"},
		{name: "data disk 32769 rejected (R12)", set: kv{"worker_data_disk_size": 32769}, code: ackscale.CodeOutOfRange, field: "worker_data_disk_size"},
		{name: "data disk \"2e2\" is not a numeric string (ruling 6, ruling 13)", set: kv{"worker_data_disk_size": "2e2"}, code: ackscale.CodeInvalidType, field: "worker_data_disk_size"},
		{name: "data disk 200.0 is not an integer (ruling 6, R2)", set: kv{"worker_data_disk_size": raw("200.0")}, code: ackscale.CodeInvalidType, field: "worker_data_disk_size"},
		{name: "data disk true rejected (ruling 13)", set: kv{"worker_data_disk_size": true}, code: ackscale.CodeInvalidType, field: "worker_data_disk_size"},
		{name: "data disk size required (seed 004)", del: []string{"worker_data_disk_size"}, code: ackscale.CodeMissingParameter, field: "worker_data_disk_size"},
		{name: "worker_data_disk false rejected (seed 004)", set: kv{"worker_data_disk": false}, code: ackscale.CodeNotInEnum, field: "worker_data_disk"},
		{name: "worker_data_disk required (seed 004)", del: []string{"worker_data_disk"}, code: ackscale.CodeMissingParameter, field: "worker_data_disk"},
		{name: "ECS type not a sandbox type (seed 004, ruling 15)", set: kv{"worker_instance_types": []string{"ecs.c5.xlarge"}}, code: ackscale.CodeNotInEnum, field: "worker_instance_types[0]"},
		{name: "seed 004's footnote star is not part of the name (ruling 15)", set: kv{"worker_instance_types": []string{"ecs.ebmc5s.24xlarge*"}}, code: ackscale.CodeNotInEnum, field: "worker_instance_types[0]"},
		{name: "instance types required (seed 004)", set: kv{"worker_instance_types": []string{}}, code: ackscale.CodeMissingParameter, field: "worker_instance_types"},
		{name: "instance type listed twice (seed 004)", set: kv{"worker_instance_types": []string{"ecs.ebmg5s.24xlarge", "ecs.ebmg5s.24xlarge"}}, code: ackscale.CodeInvalidParameter, field: "worker_instance_types[1]"},
		{name: "sandbox type must be bare metal in the cloud (ruling 16)", cloud: kindOverride{name: "ecs.ebmg5s.24xlarge", kind: "ecs"}, code: ackscale.CodeInstanceTypeNotFound, field: "worker_instance_types[0]"},
		{name: "sandbox type missing from the cloud (ruling 16)", cloud: kindOverride{name: "ecs.ebmg5s.24xlarge", kind: ""}, code: ackscale.CodeInstanceTypeNotFound, field: "worker_instance_types[0]"},
		{name: "vswitch_ids required (seed 004)", del: []string{"vswitch_ids"}, code: ackscale.CodeMissingParameter, field: "vswitch_ids"},
		{name: "vSwitch outside the cluster's VPC (ruling 16)", set: kv{"vswitch_ids": []string{"vsw-2ze4jvvvade1yk899****"}}, code: ackscale.CodeInvalidParameter, field: "vswitch_ids[0]"},
		{name: "system disk category cloud_essd rejected (seed 004)", set: kv{"worker_system_disk_category": "cloud_essd"}, code: ackscale.CodeNotInEnum, field: "worker_system_disk_category"},
		{name: "data disk category cloud_essd rejected (seed 004)", set: kv{"worker_data_disk_category": "cloud_essd"}, code: ackscale.CodeNotInEnum, field: "worker_data_disk_category"},
		{name: "system disk 19 rejected (seed 004)", set: kv{"worker_system_disk_size": 19}, code: ackscale.CodeOutOfRange, field: "worker_system_disk_size"},
		{name: "system disk 501 rejected (seed 004)", set: kv{"worker_system_disk_size": 501}, code: ackscale.CodeOutOfRange, field: "worker_system_disk_size"},
		{name: "system disk below max(20, image size) (seed 004, ruling 5)", set: kv{"image_id": "m-big", "worker_system_disk_size": 50}, code: ackscale.CodeDiskTooSmall, field: "worker_system_disk_size"},
		{name: "password and key pair both (ruling 4)", set: kv{"key_pair": "secrity-key"}, code: ackscale.CodeConflict, field: credFields},
		{name: "neither password nor key pair (ruling 4)", del: []string{"login_password"}, code: ackscale.CodeMissingParameter, field: credFields},
		{name: "key pair must exist (ruling 4)", base: minimal, set: kv{"key_pair": "nope"}, code: ackscale.CodeKeyPairNotFound, field: "key_pair"},
		{name: "cpu_policy unknown to sandbox (ruling 14)", set: kv{"cpu_policy": "none"}, code: ackscale.CodeUnknownField, field: "cpu_policy"},
		{name: "PrePaid needs worker_period (seed 002, R12)", set: kv{"worker_instance_charge_type": "PrePaid"}, code: ackscale.CodeMissingParameter, field: "worker_period"},
		{name: "count required (seed 004, ruling 9)", del: []string{"count"}, code: ackscale.CodeMissingParameter, field: "count"},
		{name: "tags as object rejected (ruling 13)", set: kv{"tags": kv{}}, code: ackscale.CodeInvalidType, field: "tags"},
	}
}
