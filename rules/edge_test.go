package rules

import (
	"github.com/ackscale/ackscale/internal/seeds"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// seed001 is seed 001's example request, verbatim.
const seed001 = seeds.Body001

// seed003 is seed 003's example request, verbatim.
const seed003 = seeds.Body003

func TestScaleOutEdge(t *testing.T) {
	t.Parallel()
	suite{base: seed001, target: edgeTarget, op: scaleOutOp, rows: edgeRows()}.run(t)
}

func edgeRows() []row {
	type kv = map[string]any
	return []row{
		{name: "seed 001 example accepted (seed 001, ruling 5)", want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
			require.Equal(t, ackscale.ScaleOut{
				Count: 1, InstanceTypes: []string{"ens.sn1.tiny"}, ENSRegionID: "cn-beijing-telecom", ImageID: "m-2QVLO2T8NYgm8CNQVg****",
				HasPassword: true, SystemDiskSizeGiB: 20, ChargeType: "BandwidthByDay", Period: 1, PeriodUnit: "Month",
				AutoRenew: true, AutoRenewPeriod: 1, EdgeWorker: true, DisableRollback: true, TimeoutMins: 60,
			}, so)
		})},
		{name: "seed 003 example accepted (seed 003, ruling 5)", base: seed003},
		{name: "worker_period defaults to 1 (rulings 7, 8)", del: []string{"worker_period"},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.Equal(t, 1, so.Period) })},
		{name: "timeout_mins defaults to 60 (ruling 8)", del: []string{"timeout_mins"},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.Equal(t, 60, so.TimeoutMins) })},
		{name: "disable_rollback defaults to true, false kept (ruling 11, R4)", set: kv{"disable_rollback": false},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.False(t, so.DisableRollback) })},
		{name: "worker_period 60 accepted (ruling 7)", set: kv{"worker_period": 60}},
		{name: "data disk 20 and 200 accepted (seed 001)", set: kv{"worker_data_disk_size": 200},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) {
				require.Equal(t, []ackscale.DataDisk{{SizeGiB: 200}}, so.DataDisks)
			})},
		{name: "system disk 100 accepted (seed 001)", set: kv{"worker_system_disk_size": 100}},
		{name: "SDK-model fields sent empty are ignored (ruling 14)", set: kv{"vswitch_ids": []string{}, "worker_instance_types": nil,
			"image_id": "", "cpu_policy": "", "worker_instance_charge_type": "", "worker_system_disk_category": "", "runtime": kv{}, "tags": []any{}}},
		{name: "key pair of the ENS region accepted (ruling 4, R11)", del: []string{"login_password"}, set: kv{"key_pair": "edge-key"},
			want: wantOut(func(t *testing.T, so ackscale.ScaleOut) { require.Equal(t, "edge-key", so.KeyPair) })},
		{name: "auto-renew off needs no period (seed 001)", set: kv{"worker_auto_renew": false}, del: []string{"worker_auto_renew_period"}},

		{name: "edge worker_period 4 rejected (ruling 7)", set: kv{"worker_period": 4}, code: ackscale.CodeNotInEnum, field: "worker_period"},
		{name: "edge worker_period 9 of seed 003 rejected (ruling 7)", set: kv{"worker_period": 9}, code: ackscale.CodeNotInEnum, field: "worker_period"},
		{name: "system disk 25 not a multiple of 10 (seed 001)", set: kv{"worker_system_disk_size": 25}, code: ackscale.CodeOutOfRange, field: "worker_system_disk_size"},
		{name: "system disk 10 below 20 (seed 001)", set: kv{"worker_system_disk_size": 10}, code: ackscale.CodeOutOfRange, field: "worker_system_disk_size"},
		{name: "system disk 19 below 20 (seed 003)", set: kv{"worker_system_disk_size": 19}, code: ackscale.CodeOutOfRange, field: "worker_system_disk_size"},
		{name: "system disk 110 above 100 (seed 001)", set: kv{"worker_system_disk_size": 110}, code: ackscale.CodeOutOfRange, field: "worker_system_disk_size"},
		{name: "system disk required (seeds 001, 003)", del: []string{"worker_system_disk_size"}, code: ackscale.CodeMissingParameter, field: "worker_system_disk_size"},
		{name: "system disk smaller than the image (ruling 5)", set: kv{"worker_image_id": "m-big", "worker_system_disk_size": 50}, code: ackscale.CodeDiskTooSmall, field: "worker_system_disk_size"},
		{name: "data disk 10 rejected (seed 001)", set: kv{"worker_data_disk_size": 10}, code: ackscale.CodeOutOfRange, field: "worker_data_disk_size"},
		{name: "data disk 25 rejected (seed 003)", set: kv{"worker_data_disk_size": 25}, code: ackscale.CodeOutOfRange, field: "worker_data_disk_size"},
		{name: "data disk 210 rejected (seed 001)", set: kv{"worker_data_disk_size": 210}, code: ackscale.CodeOutOfRange, field: "worker_data_disk_size"},
		{name: "is_edge_worker false asks for cloud workers, which take no ENS field (seed 001, R37)", set: kv{"is_edge_worker": false},
			code: ackscale.CodeUnknownField, field: "ens_internet_charge_type"},
		{name: "without is_edge_worker, cloud workers: the ENS fields are unknown (seed 003, R37)", del: []string{"is_edge_worker"},
			code: ackscale.CodeUnknownField, field: "ens_internet_charge_type"},
		{name: "is_edge_worker null is absent: cloud workers (R3, R37)", set: kv{"is_edge_worker": nil},
			code: ackscale.CodeUnknownField, field: "ens_internet_charge_type"},
		{name: "is_edge_worker \"true\" is a string (ruling 13, R37)", set: kv{"is_edge_worker": "true"}, code: ackscale.CodeInvalidType, field: "is_edge_worker"},
		{name: "is_edge_worker 1 is no boolean (ruling 13, R37)", set: kv{"is_edge_worker": 1}, code: ackscale.CodeInvalidType, field: "is_edge_worker"},
		{name: "is_edge_worker is read before unknown fields (R37, R13)", set: kv{"is_edge_worker": "yes", "aa": 1}, code: ackscale.CodeInvalidType, field: "is_edge_worker"},
		{name: "aliyungo fields sent empty are ignored on ENS workers too (ruling 14, R36)",
			set: kv{"worker_vswitch_ids": []any{}, "worker_system_disk_performance_level": "", "worker_system_disk_snapshot_policy_id": "",
				"worker_data_disk": false, "worker_data_disks": nil, "rds_instances": nil,
				"runtime": kv{"name": "", "version": "", "exist": false}}},
		{name: "aliyungo's worker_vswitch_ids with a value: a cloud workers' field (ruling 14, R36, R37)", set: kv{"worker_vswitch_ids": []string{"vsw-std-b"}},
			code: ackscale.CodeUnknownField, field: "worker_vswitch_ids"},
		{name: "ENS charge type case-sensitive (ruling 15)", set: kv{"ens_internet_charge_type": "bandwidthByDay"}, code: ackscale.CodeNotInEnum, field: "ens_internet_charge_type"},
		{name: "ENS charge type required (seeds 001, 003)", del: []string{"ens_internet_charge_type"}, code: ackscale.CodeMissingParameter, field: "ens_internet_charge_type"},
		{name: "seed 001's ens_Internet_charge_type spelling unknown (ruling 14)", set: kv{"ens_Internet_charge_type": "BandwidthByDay"}, code: ackscale.CodeUnknownField, field: "ens_Internet_charge_type"},
		{name: "ENS region must exist (ruling 16)", set: kv{"ens_region_id": "cn-nowhere"}, code: ackscale.CodeENSRegionNotFound, field: "ens_region_id"},
		{name: "ENS region required (seed 001)", del: []string{"ens_region_id"}, code: ackscale.CodeMissingParameter, field: "ens_region_id"},
		{name: "ECS instance type on an edge cluster (ruling 16)", set: kv{"worker_instance_type": "ecs.sn1ne.large"}, code: ackscale.CodeInstanceTypeNotFound, field: "worker_instance_type"},
		{name: "instance type required (seed 003)", set: kv{"worker_instance_type": ""}, code: ackscale.CodeMissingParameter, field: "worker_instance_type"},
		{name: "image must exist (ruling 16)", set: kv{"worker_image_id": "m-none"}, code: ackscale.CodeImageNotFound, field: "worker_image_id"},
		{name: "image required (seed 001)", del: []string{"worker_image_id"}, code: ackscale.CodeMissingParameter, field: "worker_image_id"},
		{name: "auto-renew needs its period (seed 001)", del: []string{"worker_auto_renew_period"}, code: ackscale.CodeMissingParameter, field: "worker_auto_renew_period"},
		{name: "auto-renew period 13 rejected (seed 001)", set: kv{"worker_auto_renew_period": 13}, code: ackscale.CodeOutOfRange, field: "worker_auto_renew_period"},
		{name: "auto-renew period 0 rejected (seed 003)", set: kv{"worker_auto_renew_period": 0}, code: ackscale.CodeOutOfRange, field: "worker_auto_renew_period"},
		{name: "vswitch_ids with a value unknown to edge (ruling 14)", set: kv{"vswitch_ids": []string{"vsw-std-b"}}, code: ackscale.CodeUnknownField, field: "vswitch_ids"},
		{name: "worker_instance_charge_type PrePaid unknown to edge (ruling 14, R22)", set: kv{"worker_instance_charge_type": "PrePaid"}, code: ackscale.CodeUnknownField, field: "worker_instance_charge_type"},
		{name: "count required (seed 001, ruling 9)", del: []string{"count"}, code: ackscale.CodeMissingParameter, field: "count"},
		{name: "count past the quota (ruling 9)", target: func(t *Target) { t.MaxWorkers = ptr(1) }, code: ackscale.CodeQuotaExceeded, field: "count"},
		{name: "password and key pair both (ruling 4)", set: kv{"key_pair": "edge-key"}, code: ackscale.CodeConflict, field: credFields},
		{name: "neither password nor key pair (ruling 4)", del: []string{"login_password"}, code: ackscale.CodeMissingParameter, field: credFields},
		{name: "key pair in no region (ruling 4, R11)", del: []string{"login_password"}, set: kv{"key_pair": "nope"}, code: ackscale.CodeKeyPairNotFound, field: "key_pair"},
		{name: "password with two classes (ruling 3)", set: kv{"login_password": "helloworld1"}, code: ackscale.CodeInvalidFormat, field: "login_password"},
		{name: "timeout_mins as string (ruling 13)", set: kv{"timeout_mins": "60"}, code: ackscale.CodeInvalidType, field: "timeout_mins"},
		{name: "worker_period 1.0 is not an integer (ruling 13, R2)", set: kv{"worker_period": raw("1.0")}, code: ackscale.CodeInvalidType, field: "worker_period"},
	}
}
