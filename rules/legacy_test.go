package rules

import (
	"encoding/json"
	"github.com/ackscale/ackscale/internal/seeds"
	"testing"

	"github.com/denverdino/aliyungo/cs"
	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// seed000 is seed 000's example request, verbatim.
const seed000 = seeds.Body000

// aliyungoBody is what aliyungo's ResizeKubernetesCluster sends.
const aliyungoBody = `{"disable_rollback":true,"timeout_mins":60,"worker_instance_type":"ecs.sn1ne.large","num_of_nodes":5,` +
	`"worker_instance_type_a":"","worker_instance_type_b":"","worker_instance_type_c":"","num_of_nodes_a":0,"num_of_nodes_b":0,` +
	`"num_of_nodes_c":0,"login_password":"Hello1234"}`

func TestScaleLegacyPUT(t *testing.T) {
	t.Parallel()
	suite{base: seed000, target: legacyTarget, op: scaleOp, rows: legacyRows()}.run(t)
}

// TestAliyungoResizeBody checks aliyungoBody is what the client marshals.
func TestAliyungoResizeBody(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(cs.KubernetesClusterResizeArgs{DisableRollback: true, TimeoutMins: 60,
		LoginPassword: "Hello1234", WorkerInstanceType: "ecs.sn1ne.large", NumOfNodes: 5})
	require.NoError(t, err)
	require.JSONEq(t, aliyungoBody, string(b))
}

func legacyRows() []row {
	type kv = map[string]any
	keyPairCluster := func(t *Target) { t.PasswordMatches, t.Defaults.KeyPair = nil, "secrity-key" }
	return []row{
		{name: "seed 000 example scales 3 workers out to 8 (seed 000, ruling 10)", want: wantLegacy(func(t *testing.T, ls LegacyScale) {
			require.Equal(t, LegacyScale{NumOfNodes: 8, Delta: 5, Out: ackscale.ScaleOut{
				Count: 5, InstanceTypes: []string{"ecs.sn1ne.large"}, HasPassword: true, SystemDiskCategory: "cloud_efficiency",
				SystemDiskSizeGiB: 40, ChargeType: "PostPaid", DisableRollback: true, TimeoutMins: 60,
			}}, ls)
		})},
		{name: "aliyungo body accepted, disks from the cluster (ruling 14, R1)", base: aliyungoBody, want: wantLegacy(func(t *testing.T, ls LegacyScale) {
			require.Equal(t, 2, ls.Delta)
			require.Equal(t, "cloud_efficiency", ls.Out.SystemDiskCategory)
			require.Equal(t, 40, ls.Out.SystemDiskSizeGiB)
		})},
		{name: "scale in needs only num_of_nodes and the password (ruling 10)", base: `{"num_of_nodes":1,"login_password":"Hello1234"}`,
			want: wantLegacy(func(t *testing.T, ls LegacyScale) {
				require.Equal(t, -2, ls.Delta)
				require.Equal(t, 60, ls.Out.TimeoutMins)
				require.True(t, ls.Out.DisableRollback)
			})},
		{name: "scale in to 0 accepted (ruling 10)", set: kv{"num_of_nodes": 0}},
		{name: "300 accepted (seed 000)", set: kv{"num_of_nodes": 300}},
		{name: "timeout 0 from aliyungo takes the default (seed 000, R14)", set: kv{"timeout_mins": 0},
			want: wantLegacy(func(t *testing.T, ls LegacyScale) { require.Equal(t, 60, ls.Out.TimeoutMins) })},
		{name: "empty worker_instance_type falls back to the cluster's (R1)", set: kv{"worker_instance_type": ""},
			want: wantLegacy(func(t *testing.T, ls LegacyScale) {
				require.Equal(t, []string{"ecs.sn1ne.large"}, ls.Out.InstanceTypes)
			})},
		{name: "key pair cluster scales with its key pair (ruling 4, R10)", base: `{"num_of_nodes":4,"key_pair":"secrity-key"}`, target: keyPairCluster},
		{name: "v5 SDK fields sent empty are ignored (ruling 14)", set: kv{"count": 0, "vswitch_ids": []string{}, "worker_data_disk": false, "tags": nil}},

		{name: "num_of_nodes equal to today's count (ruling 10)", set: kv{"num_of_nodes": 3}, code: ackscale.CodeNoChange, field: "num_of_nodes"},
		{name: "num_of_nodes 301 rejected (ruling 10)", set: kv{"num_of_nodes": 301}, code: ackscale.CodeOutOfRange, field: "num_of_nodes"},
		{name: "num_of_nodes -1 rejected (ruling 10)", set: kv{"num_of_nodes": -1}, code: ackscale.CodeOutOfRange, field: "num_of_nodes"},
		{name: "num_of_nodes required (seed 000)", del: []string{"num_of_nodes"}, code: ackscale.CodeMissingParameter, field: "num_of_nodes"},
		{name: "num_of_nodes as string (ruling 13)", set: kv{"num_of_nodes": "8"}, code: ackscale.CodeInvalidType, field: "num_of_nodes"},
		{name: "num_of_nodes past a quota of 5 (ruling 9)", target: func(t *Target) { t.MaxWorkers = ptr(5) }, code: ackscale.CodeQuotaExceeded, field: "num_of_nodes"},
		{name: "wrong password (ruling 3)", set: kv{"login_password": "Hello12345"}, code: ackscale.CodePasswordMismatch, field: "login_password"},
		{name: "malformed password (ruling 3)", set: kv{"login_password": "hello"}, code: ackscale.CodeInvalidFormat, field: "login_password"},
		{name: "no credential (ruling 4)", del: []string{"login_password"}, code: ackscale.CodeMissingParameter, field: credFields},
		{name: "password and key pair (ruling 4)", set: kv{"key_pair": "secrity-key"}, code: ackscale.CodeConflict, field: credFields},
		{name: "password for a key pair cluster (R10)", target: keyPairCluster, code: ackscale.CodePasswordMismatch, field: "login_password"},
		{name: "key pair for a password cluster (R10)", base: `{"num_of_nodes":4,"key_pair":"secrity-key"}`, code: ackscale.CodePasswordMismatch, field: "key_pair"},
		{name: "another key pair (R10)", base: `{"num_of_nodes":4,"key_pair":"other"}`, target: keyPairCluster, code: ackscale.CodePasswordMismatch, field: "key_pair"},
		{name: "the cluster's key pair gone from the region (rulings 4, 16)", base: `{"num_of_nodes":4,"key_pair":"gone"}`,
			target: func(t *Target) { t.PasswordMatches, t.Defaults.KeyPair = nil, "gone" }, code: ackscale.CodeKeyPairNotFound, field: "key_pair"},
		{name: "aliyungo multi-zone type is unknown when set (ruling 14)", set: kv{"worker_instance_type_a": "ecs.sn1ne.large"}, code: ackscale.CodeUnknownField, field: "worker_instance_type_a"},
		{name: "aliyungo multi-zone count is unknown when set (ruling 14)", set: kv{"num_of_nodes_b": 2}, code: ackscale.CodeUnknownField, field: "num_of_nodes_b"},
		{name: "v5 SDK count is unknown when set (ruling 14)", set: kv{"count": 2}, code: ackscale.CodeUnknownField, field: "count"},
		{name: "system disk 39 rejected (R7)", set: kv{"worker_system_disk_size": 39}, code: ackscale.CodeOutOfRange, field: "worker_system_disk_size"},
		{name: "system disk category near-miss (ruling 15)", set: kv{"worker_system_disk_category": "Cloud_efficiency"}, code: ackscale.CodeNotInEnum, field: "worker_system_disk_category"},
		{name: "system disk smaller than the cluster's image (ruling 5)", target: func(t *Target) { t.Defaults.WorkerImageID = "m-big" }, code: ackscale.CodeDiskTooSmall, field: "worker_system_disk_size"},
		{name: "ENS type on a dedicated cluster (ruling 16)", set: kv{"worker_instance_type": "ens.sn1.tiny"}, code: ackscale.CodeInstanceTypeNotFound, field: "worker_instance_type"},
		{name: "no instance type anywhere (R1)", del: []string{"worker_instance_type"}, target: func(t *Target) { t.Defaults.WorkerInstanceTypes = nil }, code: ackscale.CodeMissingParameter, field: "worker_instance_type"},
		{name: "disable_rollback as string (ruling 13)", set: kv{"disable_rollback": "true"}, code: ackscale.CodeInvalidType, field: "disable_rollback"},
		{name: "PUT on a standard cluster refused (decisions.md)", target: func(t *Target) { t.Profile = ackscale.ProfileStandard }, code: ackscale.CodeInvalidOperation, field: ""},
	}
}
