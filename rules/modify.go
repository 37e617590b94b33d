package rules

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ackscale/ackscale"
)

// OpModifyCluster is PUT /api/v2/clusters/{id} (ModifyCluster).
//
// Its table is not in tables (yet): registering it adds it to the
// generated reference and to the bad-input suite, which needs the store's
// ClusterUpdate to run. docs/api.md describes it by hand until then.
const OpModifyCluster Op = "modify_cluster"

// modifySrc is where ModifyCluster's fields come from.
const modifySrc = "SDK ModifyClusterRequest"

// Defaults of a maintenance window's duration and days (ACK's).
const (
	DefaultMaintenanceDuration = "3h"
	DefaultMaintenanceDays     = "Thursday"
)

// ClusterChange is a validated ModifyCluster body: a nil field leaves the
// cluster's value as it is.
type ClusterChange struct {
	Name               *string
	DeletionProtection *bool
	MaintenanceWindow  *ackscale.MaintenanceWindow
}

// ModifyCluster validates a ModifyCluster body. Besides cluster_name,
// deletion_protection and maintenance_window it takes client_token (and
// ignores it); every other field of the SDK's ModifyClusterRequest is
// type-checked, ignored when sent empty (ruling 14: aliyungo sends its
// zero values) and otherwise refused by name: ackscale cannot change it.
func ModifyCluster(body []byte) (ClusterChange, error) {
	obj, err := Decode(body)
	if err != nil {
		return ClusterChange{}, err
	}
	tab := modifyTable()
	out, err := tab.eval(obj, Target{}, nil)
	if err != nil {
		return ClusterChange{}, err
	}
	return out.(ClusterChange), nil
}

// modifyRefused are the fields of the SDK's ModifyClusterRequest
// (cs20151215 7.2.0) that ackscale cannot change, with their types.
var modifyRefused = []struct {
	name string
	typ  Type
}{
	{"access_control_list", Strings}, {"api_server_custom_cert_sans", Object}, {"api_server_eip", Bool},
	{"api_server_eip_id", String}, {"cluster_spec", String}, {"control_plane_config", Object},
	{"control_plane_endpoints_config", Object}, {"enable_rrsa", Bool}, {"ingress_domain_rebinding", Bool},
	{"ingress_loadbalancer_id", String}, {"instance_deletion_protection", Bool}, {"operation_policy", Object},
	{"resource_group_id", String}, {"security_group_id", String}, {"system_events_logging", Object},
	{"timezone", String}, {"vswitch_ids", Strings},
}

// weekdays are the values of weekly_period.
var weekdays = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// maintenanceDuration is "1h" to "24h".
var maintenanceDuration = regexp.MustCompile(`^([1-9]|1[0-9]|2[0-4])h$`)

func modifyTable() Table {
	fields := []Field{
		{Name: "cluster_name", Type: String, Len: &Bounds{Min: 1, Max: 63}, Format: FormatClusterName, EmptyIsAbsent: true,
			Source: modifySrc + ", R17", Note: "unique among the account's clusters"},
		{Name: "deletion_protection", Type: Bool, Source: modifySrc, Note: "false turns it off"},
		{Name: "maintenance_window", Type: Object, Source: modifySrc + ", R14",
			Note: "absent when every member is empty (aliyungo sends its zero value); otherwise it replaces the window",
			Fields: []Field{
				{Name: "enable", Type: Bool, Source: modifySrc},
				{Name: "maintenance_time", Type: String, Len: own(64), EmptyIsAbsent: true, Source: modifySrc, Note: "RFC 3339"},
				{Name: "duration", Type: String, Len: own(8), EmptyIsAbsent: true, Source: modifySrc,
					Note: "1h to 24h, default " + DefaultMaintenanceDuration},
				{Name: "weekly_period", Type: String, Len: own(128), EmptyIsAbsent: true, Source: modifySrc,
					Note: "days, comma-separated, default " + DefaultMaintenanceDays},
				{Name: "recurrence", Type: String, Len: own(256), EmptyIsAbsent: true, Source: modifySrc},
			}},
		{Name: "client_token", Type: String, Ignored: true, Source: modifySrc},
	}
	for _, r := range modifyRefused {
		fields = append(fields, Field{Name: r.name, Type: r.typ, Ignored: true, Source: modifySrc + ", R14",
			Note: "refused unless sent empty: ackscale cannot change it"})
	}
	return Table{
		Op: OpModifyCluster, Route: "PUT /api/v2/clusters/{id}", Title: "ModifyCluster (SDK model ModifyClusterRequest)",
		Fields: fields,
		Checks: []Check{modifyRefusedCheck(), maintenanceCheck()},
		build: func(s *state) (any, error) {
			var ch ClusterChange
			if s.v.has("cluster_name") {
				name := s.v.str("cluster_name")
				ch.Name = &name
			}
			if s.v.has("deletion_protection") {
				dp := s.v.bool("deletion_protection")
				ch.DeletionProtection = &dp
			}
			ch.MaintenanceWindow = maintenanceWindow(s.v.obj("maintenance_window"))
			return ch, nil
		},
	}
}

// modifyRefusedCheck refuses, by name, a field ackscale cannot change
// that was sent with a value.
func modifyRefusedCheck() Check {
	var names []string
	for _, r := range modifyRefused {
		names = append(names, r.name)
	}
	return Check{
		Name: "cannot-change", Rule: "the other fields of ModifyClusterRequest are refused unless sent empty (null, \"\", 0, false, [] or {})",
		Fields: names, Codes: []string{ackscale.CodeInvalidParameter}, Source: modifySrc + ", R14",
		fn: func(s *state) error {
			for _, name := range names {
				if raw, ok := s.obj[name]; ok && !isEmptyJSON(raw) {
					return ackscale.FieldErrorf(ackscale.CodeInvalidParameter, name,
						"ModifyCluster: %s cannot be changed by ackscale (it takes the field only when sent empty)%s", name, seeDocs("R14"))
				}
			}
			return nil
		},
	}
}

// maintenanceCheck checks a maintenance window's values.
func maintenanceCheck() Check {
	src := modifySrc
	return Check{
		Name: "maintenance-window",
		Rule: "maintenance_window: maintenance_time is RFC 3339 and required when enable is true; duration is 1h to 24h; " +
			"weekly_period lists distinct days (Monday … Sunday) separated by commas",
		Fields: []string{"maintenance_window.enable", "maintenance_window.maintenance_time", "maintenance_window.duration",
			"maintenance_window.weekly_period"},
		Codes:  []string{ackscale.CodeMissingParameter, ackscale.CodeInvalidFormat, ackscale.CodeNotInEnum},
		Source: src,
		fn: func(s *state) error {
			w := s.v.obj("maintenance_window")
			if maintenanceWindow(w) == nil {
				return nil
			}
			const p = "maintenance_window."
			if t := w.str("maintenance_time"); t != "" {
				if _, err := time.Parse(time.RFC3339, t); err != nil {
					return errorf(ackscale.CodeInvalidFormat, p+"maintenance_time", src, "%q is not an RFC 3339 time such as 2025-01-02T03:00:00+08:00", t)
				}
			} else if w.bool("enable") {
				return errorf(ackscale.CodeMissingParameter, p+"maintenance_time", src, "required when enable is true")
			}
			if d := w.str("duration"); d != "" && !maintenanceDuration.MatchString(d) {
				return errorf(ackscale.CodeInvalidFormat, p+"duration", src, "%q is not a number of hours from 1h to 24h", d)
			}
			if days := w.str("weekly_period"); days != "" {
				seen := map[string]bool{}
				for _, d := range strings.Split(days, ",") {
					if !slices.Contains(weekdays, d) || seen[d] {
						return errorf(ackscale.CodeNotInEnum, p+"weekly_period", src, "%q is not a list of distinct days among %s, separated by commas",
							days, strings.Join(weekdays, ", "))
					}
					seen[d] = true
				}
			}
			return nil
		},
	}
}

// maintenanceWindow is the window a body's maintenance_window sets, its
// empty values defaulted; nil when it is absent or every member is empty
// (ruling 14: aliyungo always sends its zero value).
func maintenanceWindow(w values) *ackscale.MaintenanceWindow {
	mw := ackscale.MaintenanceWindow{Enable: w.bool("enable"), MaintenanceTime: w.str("maintenance_time"), Duration: w.str("duration"),
		WeeklyPeriod: w.str("weekly_period"), Recurrence: w.str("recurrence")}
	if mw == (ackscale.MaintenanceWindow{}) {
		return nil
	}
	if mw.Duration == "" {
		mw.Duration = DefaultMaintenanceDuration
	}
	if mw.WeeklyPeriod == "" && mw.Recurrence == "" {
		mw.WeeklyPeriod = DefaultMaintenanceDays
	}
	return &mw
}
