package rules

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func TestModifyCluster(t *testing.T) {
	t.Parallel()
	ptr := func(s string) *string { return &s }
	yes, no := true, false
	for _, tc := range []struct {
		name  string
		body  string
		want  ClusterChange
		code  string
		field string
		msg   string
	}{
		{name: "empty body changes nothing", body: `{}`},
		{name: "name", body: `{"cluster_name":"renamed-1"}`, want: ClusterChange{Name: ptr("renamed-1")}},
		{name: "name empty is absent (R14)", body: `{"cluster_name":""}`},
		{name: "name too long (R17)", body: `{"cluster_name":"` + strings.Repeat("a", 64) + `"}`, code: ackscale.CodeInvalidFormat, field: "cluster_name"},
		{name: "name with a space (R17)", body: `{"cluster_name":"a b"}`, code: ackscale.CodeInvalidFormat, field: "cluster_name"},
		{name: "name as a number (ruling 13)", body: `{"cluster_name":1}`, code: ackscale.CodeInvalidType, field: "cluster_name"},
		{name: "deletion protection on", body: `{"deletion_protection":true}`, want: ClusterChange{DeletionProtection: &yes}},
		{name: "deletion protection off: false is a value", body: `{"deletion_protection":false}`, want: ClusterChange{DeletionProtection: &no}},
		{name: "deletion protection as a string (ruling 13)", body: `{"deletion_protection":"true"}`, code: ackscale.CodeInvalidType, field: "deletion_protection"},
		{name: "window", body: `{"maintenance_window":{"enable":true,"maintenance_time":"2025-01-02T03:00:00.000+08:00","duration":"4h","weekly_period":"Monday,Thursday"}}`,
			want: ClusterChange{MaintenanceWindow: &ackscale.MaintenanceWindow{Enable: true, MaintenanceTime: "2025-01-02T03:00:00.000+08:00", Duration: "4h", WeeklyPeriod: "Monday,Thursday"}}},
		{name: "window defaults", body: `{"maintenance_window":{"enable":true,"maintenance_time":"2025-01-02T03:00:00Z"}}`,
			want: ClusterChange{MaintenanceWindow: &ackscale.MaintenanceWindow{Enable: true, MaintenanceTime: "2025-01-02T03:00:00Z", Duration: "3h", WeeklyPeriod: "Thursday"}}},
		{name: "window off, its time kept", body: `{"maintenance_window":{"enable":false,"maintenance_time":"2025-01-02T03:00:00Z"}}`,
			want: ClusterChange{MaintenanceWindow: &ackscale.MaintenanceWindow{MaintenanceTime: "2025-01-02T03:00:00Z", Duration: "3h", WeeklyPeriod: "Thursday"}}},
		{name: "aliyungo's zero window is absent (R14)", body: `{"deletion_protection":false,"resource_group_id":"",` +
			`"maintenance_window":{"enable":false,"maintenance_time":"","duration":"","weekly_period":""}}`, want: ClusterChange{DeletionProtection: &no}},
		{name: "window on without a time", body: `{"maintenance_window":{"enable":true,"duration":"3h"}}`, code: ackscale.CodeMissingParameter,
			field: "maintenance_window.maintenance_time"},
		{name: "window time not RFC 3339", body: `{"maintenance_window":{"enable":true,"maintenance_time":"03:00"}}`, code: ackscale.CodeInvalidFormat,
			field: "maintenance_window.maintenance_time"},
		{name: "window duration 25h", body: `{"maintenance_window":{"enable":true,"maintenance_time":"2025-01-02T03:00:00Z","duration":"25h"}}`,
			code: ackscale.CodeInvalidFormat, field: "maintenance_window.duration"},
		{name: "window day unknown", body: `{"maintenance_window":{"enable":true,"maintenance_time":"2025-01-02T03:00:00Z","weekly_period":"Monday,Funday"}}`,
			code: ackscale.CodeNotInEnum, field: "maintenance_window.weekly_period"},
		{name: "window day twice", body: `{"maintenance_window":{"enable":true,"maintenance_time":"2025-01-02T03:00:00Z","weekly_period":"Monday,Monday"}}`,
			code: ackscale.CodeNotInEnum, field: "maintenance_window.weekly_period"},
		{name: "window unknown member (ruling 14)", body: `{"maintenance_window":{"start":"x"}}`, code: ackscale.CodeUnknownField,
			field: "maintenance_window.start"},
		{name: "client token ignored", body: `{"client_token":"abc","deletion_protection":true}`, want: ClusterChange{DeletionProtection: &yes}},
		{name: "refused field sent empty is absent (R14)", body: `{"api_server_eip":false,"vswitch_ids":[],"control_plane_config":{},"timezone":null}`},
		{name: "refused field by name", body: `{"api_server_eip":true}`, code: ackscale.CodeInvalidParameter, field: "api_server_eip",
			msg: "ModifyCluster: api_server_eip cannot be changed by ackscale"},
		{name: "refused object by name", body: `{"control_plane_config":{"size":5}}`, code: ackscale.CodeInvalidParameter, field: "control_plane_config",
			msg: "ModifyCluster: control_plane_config cannot be changed by ackscale"},
		{name: "refused field of the wrong type (ruling 13)", body: `{"vswitch_ids":"vsw-1"}`, code: ackscale.CodeInvalidType, field: "vswitch_ids"},
		{name: "unknown field (ruling 14)", body: `{"name":"x"}`, code: ackscale.CodeUnknownField, field: "name"},
		{name: "malformed", body: `{"cluster_name":`, code: ackscale.CodeMalformedBody},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ModifyCluster([]byte(tc.body))
			if tc.code == "" {
				require.NoError(t, err)
				require.Equal(t, tc.want, got)
				return
			}
			var e *ackscale.Error
			require.True(t, errors.As(err, &e), "want %s, got %v", tc.code, err)
			require.Equal(t, tc.code, e.Code, e.Message)
			require.Equal(t, tc.field, e.Field, e.Message)
			require.Contains(t, e.Message, tc.msg)
		})
	}
}

// TestModifyRefusedCoversTheModel: every field of the SDK's
// ModifyClusterRequest (7.2.0) is taken, ignored or refused by name.
func TestModifyRefusedCoversTheModel(t *testing.T) {
	t.Parallel()
	model := []string{"access_control_list", "api_server_custom_cert_sans", "api_server_eip", "api_server_eip_id", "client_token",
		"cluster_name", "cluster_spec", "control_plane_config", "control_plane_endpoints_config", "deletion_protection", "enable_rrsa",
		"ingress_domain_rebinding", "ingress_loadbalancer_id", "instance_deletion_protection", "maintenance_window", "operation_policy",
		"resource_group_id", "security_group_id", "system_events_logging", "timezone", "vswitch_ids"}
	var have []string
	for _, f := range modifyTable().Fields {
		have = append(have, f.Name)
	}
	require.ElementsMatch(t, model, have)
}
