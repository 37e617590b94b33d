package rules

import (
	"slices"

	"github.com/ackscale/ackscale"
)

const scaleOutRoute = "POST /api/v2/clusters/{id}"

// sdkScaleOut are the fields of the official SDK's ScaleOutClusterRequest
// model (api.md §3; the names() of @alicloud/cs20151215 7.2.0's model).
var sdkScaleOut = []string{
	"cloud_monitor_flags", "count", "cpu_policy", "image_id", "key_pair", "login_password", "rds_instances",
	"runtime", "tags", "taints", "user_data", "vswitch_ids", "worker_auto_renew", "worker_auto_renew_period",
	"worker_data_disks", "worker_instance_charge_type", "worker_instance_types", "worker_period",
	"worker_period_unit", "worker_system_disk_category", "worker_system_disk_size",
}

// aliyungoScaleOut are the fields of aliyungo's
// ScaleOutKubernetesClusterRequest at the 2022 commit (e3c8bf5ad947) that
// Terraform's provider pins: every key of the body it sends,
// ../shared/spec/fixtures/aliyungo2022-scale-out.json (clients.md). It
// sends all of them, unset ones as "", 0, false or null (R36).
var aliyungoScaleOut = []string{
	"login_password", "key_pair", "worker_vswitch_ids", "worker_instance_types", "worker_instance_charge_type",
	"worker_period", "worker_period_unit", "worker_auto_renew", "worker_auto_renew_period",
	"worker_system_disk_category", "worker_system_disk_size", "worker_system_disk_snapshot_policy_id",
	"worker_system_disk_performance_level", "worker_data_disk", "worker_data_disks", "tags", "taints", "image_id",
	"user_data", "count", "cpu_policy", "runtime", "cloud_monitor_flags", "rds_instances",
}

// scaleOutModels are the fields of every client's ScaleOutCluster model,
// each once, and where they come from (ruling 14, R36).
var (
	scaleOutModels       = union(sdkScaleOut, aliyungoScaleOut)
	scaleOutModelsSource = "cs-20151215 ScaleOutClusterRequest, aliyungo 2022 ScaleOutKubernetesClusterRequest"
)

// union returns the names of the lists, each once, in order.
func union(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, name := range l {
			if !slices.Contains(out, name) {
				out = append(out, name)
			}
		}
	}
	return out
}

// clientZeroAbsent makes the optional fields of fs that a client's model
// holds empty = absent (R36): a client that cannot leave them out sends
// their zero value. Booleans keep false, which is their default and which
// R8 reads.
func clientZeroAbsent(fs []Field, models []string) []Field {
	for i := range fs {
		f := &fs[i]
		if slices.Contains(models, f.Name) && !f.Required && f.Type != Bool && !f.EmptyIsAbsent {
			f.EmptyIsAbsent, f.Source = true, cite(f.Source, "R36")
		}
	}
	return fs
}

// standardTable is seed 002; legacy clusters take it for the POST too.
func standardTable(p ackscale.Profile) Table {
	src := "seed 002"
	fields := []Field{countField(src)}
	fields = append(fields, chargeFields(src)...)
	fields = append(fields,
		Field{Name: "worker_system_disk_category", Type: String, Enum: systemCats, DefaultNote: "the cluster's, else cloud_ssd", Source: src + ", R5, R7, ruling 15"},
		Field{Name: "worker_system_disk_size", Type: Int, Range: &Bounds{Min: 40, Max: 500}, DefaultNote: "the cluster's, else 120; raised to the image size", Source: src + ", R5, R7"},
		Field{Name: "worker_data_disk", Type: Bool, Source: src + ", R8"},
		keyPairField(src),
		passwordField(src),
		Field{Name: "cloud_monitor_flags", Type: Bool, Default: "false", Source: src},
		Field{Name: "cpu_policy", Type: String, Enum: []string{"static", "none"}, Default: `"none"`, Source: src + ", ruling 15"},
		rollbackField(src),
		Field{Name: "image_id", Type: String, EmptyIsAbsent: true, Len: own(idLen), DefaultNote: "the cluster's worker image, else the cloud's default", Source: src + ", ruling 16, R5"},
		Field{Name: "user_data", Type: String, EmptyIsAbsent: true, Len: &Bounds{Min: 0, Max: 32768}, Format: FormatBase64, Source: src + ", R9"},
		runtimeField(scaleRuntimes, "", src+", api.md §3"),
		Field{Name: "vswitch_ids", Type: Strings, Unique: true, EmptyIsAbsent: true, Len: own(idItems), ItemLen: own(idLen),
			DefaultNote: "the cluster's vSwitches", Source: src + ", ruling 16"},
		Field{Name: "worker_vswitch_ids", Type: Strings, Unique: true, EmptyIsAbsent: true, Len: own(idItems), ItemLen: own(idLen),
			Source: "clients.md, ruling 16, R36", Note: "aliyungo's name of vswitch_ids"},
		Field{Name: "worker_instance_types", Type: Strings, Unique: true, EmptyIsAbsent: true, Len: &Bounds{Min: 1, Max: 10}, ItemLen: own(idLen),
			DefaultNote: "the cluster's", Source: src + ", ruling 16, R5"},
		Field{Name: "rds_instances", Type: Strings, Unique: true, Len: own(idItems), ItemLen: own(idLen), Source: src},
		dataDisksField(src),
		tagsField(src),
		taintsField(src),
		timeoutField(""),
	)
	if p == ackscale.ProfileEdge {
		fields = append(fields, Field{Name: "is_edge_worker", Type: Bool, Default: "false", Source: "R37",
			Note: "true chooses the ENS edge workers' rules"})
	}
	fields = clientZeroAbsent(fields, scaleOutModels)
	tab := Table{
		Profile: p, Op: OpScaleOut, Route: scaleOutRoute, Fields: fields, Title: standardTitle(p),
		Checks: []Check{
			prepaidCheck(src),
			autoRenewCheck(true, src),
			credentialsCheck("ruling 4", nil),
			dataDiskFlagCheck("R8"),
			conflictCheck("vswitch-aliases", "vswitch_ids and aliyungo's worker_vswitch_ids are not sent together",
				[]string{"vswitch_ids"}, []string{"worker_vswitch_ids"}, "R36"),
			instanceTypesCheck("R5"),
			quotaCheck("ruling 9"),
			runtimeCheck(scaleRuntimes, "ruling 16, R25"),
			vswitchCheck("ruling 16", "vswitch_ids", "worker_vswitch_ids"),
			kindCheck(kindOf(ackscale.KindECS), "ruling 16, R19", "worker_instance_types"),
			imageCheck("image_id", "worker_system_disk_size", 0, true, kindOf(ackscale.KindECS), "rulings 5, 16, R6"),
			keyPairCheck(false, "rulings 4, 16"),
		},
		SDKEmpty: missingFrom(scaleOutModels, fields), SDKEmptySource: scaleOutModelsSource,
		build: buildStandard,
	}
	if p == ackscale.ProfileEdge {
		tab.Variant, tab.SelectedBy = VariantCloud, "is_edge_worker"
	}
	return tab
}

// VariantCloud is the Table.Variant of ScaleOutCluster on an edge cluster
// that adds ECS cloud workers (R37).
const VariantCloud = "cloud"

func standardTitle(p ackscale.Profile) string {
	switch p {
	case ackscale.ProfileLegacy:
		return "ScaleOutCluster on a dedicated cluster (cluster_type Kubernetes): seed 002"
	case ackscale.ProfileEdge:
		return "ScaleOutCluster of ECS cloud workers on an edge cluster (ManagedKubernetes, profile Edge, is_edge_worker not true): seed 002, R37"
	}
	return "ScaleOutCluster on a standard cluster (ManagedKubernetes, no profile): seed 002"
}

func edgeTable() Table {
	src := "seeds 001, 003"
	fields := []Field{
		countField(src),
		{Name: "worker_instance_type", Type: String, Required: true, Len: own(idLen), Source: src + ", ruling 16"},
		{Name: "ens_region_id", Type: String, Required: true, Len: own(idLen), Source: src + ", ruling 16"},
		{Name: "worker_image_id", Type: String, Required: true, Len: own(idLen), Source: src + ", ruling 16"},
		{Name: "ens_internet_charge_type", Type: String, Required: true, Enum: ensChargeTypes, Source: src + ", ruling 15"},
		{Name: "worker_period", Type: Int, Required: true, Default: "1", Enum: edgePeriods, Source: "seed 001, rulings 7, 8", Note: "in months"},
		passwordField("seed 001"),
		keyPairField("seed 001, R11"),
		{Name: "worker_system_disk_size", Type: Int, Required: true, Range: &Bounds{Min: 20, Max: 100}, MultipleOf: 10, Source: src + ", ruling 5"},
		{Name: "is_edge_worker", Type: Bool, Required: true, Enum: []string{"true"}, Source: src + ", R37",
			Note: "it chooses these rules; absent, null or false choose the cloud workers'"},
		{Name: "worker_data_disk_size", Type: Int, Default: "0", Range: &Bounds{Min: 20, Max: 200}, MultipleOf: 10, ZeroOK: true, Source: src, Note: "0: no data disk"},
		{Name: "worker_auto_renew", Type: Bool, Default: "false", Source: src},
		{Name: "worker_auto_renew_period", Type: Int, Range: &Bounds{Min: 1, Max: 12}, Source: src},
		timeoutField(src),
		rollbackField("R4"),
	}
	return Table{
		Profile: ackscale.ProfileEdge, Op: OpScaleOut, Route: scaleOutRoute, Fields: fields,
		Title:      "ScaleOutCluster of ENS edge workers on an edge cluster (ManagedKubernetes, profile Edge, is_edge_worker true): seeds 001, 003, R37",
		SelectedBy: "is_edge_worker", SelectedWhen: "true",
		Checks: []Check{
			autoRenewCheck(false, src),
			credentialsCheck("ruling 4", nil),
			quotaCheck("ruling 9"),
			ensRegionCheck("ruling 16"),
			kindCheck(kindOf(ackscale.KindENS), "ruling 16, R19", "worker_instance_type"),
			imageCheck("worker_image_id", "worker_system_disk_size", 20, false, kindOf(ackscale.KindENS), "rulings 5, 16"),
			keyPairCheck(true, "ruling 4, R11"),
		},
		SDKEmpty: missingFrom(scaleOutModels, fields), SDKEmptySource: scaleOutModelsSource,
		build: buildEdge,
	}
}

func sandboxTable() Table {
	src := "seed 004"
	fields := []Field{
		countField(src),
		passwordField(src),
		keyPairField(src),
		{Name: "vswitch_ids", Type: Strings, Required: true, Unique: true, Len: own(idItems), ItemLen: own(idLen), Source: src + ", ruling 16"},
		{Name: "worker_data_disk", Type: Bool, Required: true, Enum: []string{"true"}, Source: src},
		{Name: "worker_data_disk_size", Type: IntOrString, Required: true, Range: &Bounds{Min: 200, Max: 32768}, Source: src + ", ruling 6, R12"},
		{Name: "worker_instance_types", Type: Strings, Required: true, Unique: true, Len: own(len(sandboxTypes)), Enum: sandboxTypes,
			Source: src + ", rulings 15, 16"},
		{Name: "worker_data_disk_category", Type: String, Enum: []string{"cloud_efficiency", "cloud_ssd", "cloud"}, Default: `"cloud_efficiency"`, Source: src + ", ruling 15"},
		{Name: "worker_system_disk_category", Type: String, Enum: []string{"cloud_efficiency", "cloud_ssd"}, Default: `"cloud_ssd"`, Source: src + ", ruling 15"},
		{Name: "worker_system_disk_size", Type: Int, Range: &Bounds{Min: 20, Max: 500}, DefaultNote: "max(40, image size)", Source: src + ", ruling 5"},
	}
	fields = append(fields, clientZeroAbsent(chargeFields("seed 004 example, seed 002, R12"), scaleOutModels)...)
	fields = append(fields,
		Field{Name: "image_id", Type: String, EmptyIsAbsent: true, Len: own(idLen), DefaultNote: "the cluster's worker image, else the cloud's default", Source: src + ", ruling 16, R12"},
		tagsField("seed 004 example, seed 002"),
		rollbackField("seed 004 example"),
		timeoutField("R12"),
	)
	return Table{
		Profile: ackscale.ProfileSandbox, Op: OpScaleOut, Route: scaleOutRoute, Fields: fields,
		Title: "ScaleOutCluster on a sandbox cluster (runtime Sandboxed-Container.runv): seed 004",
		Checks: []Check{
			prepaidCheck("seed 002, R12"),
			autoRenewCheck(true, "seed 002, R12"),
			credentialsCheck("ruling 4", nil),
			quotaCheck("ruling 9"),
			vswitchCheck("ruling 16", "vswitch_ids"),
			kindCheck(kindOf(ackscale.KindEBM), "ruling 16, R19", "worker_instance_types"),
			imageCheck("image_id", "worker_system_disk_size", 20, true, kindOf(ackscale.KindEBM), "seed 004, rulings 5, 16"),
			keyPairCheck(false, "rulings 4, 16"),
		},
		SDKEmpty: missingFrom(scaleOutModels, fields), SDKEmptySource: scaleOutModelsSource,
		build: buildSandbox,
	}
}

// missingFrom returns the names of sdk that fields lacks.
func missingFrom(sdk []string, fields []Field) []string {
	var out []string
	for _, name := range sdk {
		if !hasField(fields, name) {
			out = append(out, name)
		}
	}
	return out
}

func buildStandard(s *state) (any, error) {
	v, d := s.v, s.t.Defaults
	so := ackscale.ScaleOut{
		Count:              v.int("count"),
		InstanceTypes:      orList(v.strs("worker_instance_types"), d.WorkerInstanceTypes),
		VSwitchIDs:         orList(v.strs("vswitch_ids"), v.strs("worker_vswitch_ids")),
		ImageID:            or(v.str("image_id"), d.WorkerImageID),
		SystemDiskCategory: or(v.str("worker_system_disk_category"), d.WorkerSystemDiskCategory, "cloud_ssd"),
		DataDisks:          dataDisks(v.list("worker_data_disks")),
		Tags:               tags(v.list("tags")),
		Taints:             taints(v.list("taints")),
		Runtime:            runtime(v.obj("runtime")),
		CPUPolicy:          v.str("cpu_policy"),
		UserData:           v.str("user_data"),
		CloudMonitor:       v.bool("cloud_monitor_flags"),
		RDSInstances:       v.strs("rds_instances"),
	}
	so.SystemDiskSizeGiB = s.systemDisk(so.ImageID, or(d.WorkerSystemDiskSizeGiB, 120))
	s.common(&so)
	s.charge(&so)
	return so, nil
}

func buildEdge(s *state) (any, error) {
	v := s.v
	so := ackscale.ScaleOut{
		Count:             v.int("count"),
		InstanceTypes:     []string{v.str("worker_instance_type")},
		ENSRegionID:       v.str("ens_region_id"),
		ImageID:           v.str("worker_image_id"),
		SystemDiskSizeGiB: v.int("worker_system_disk_size"),
		ChargeType:        v.str("ens_internet_charge_type"),
		Period:            v.int("worker_period"),
		PeriodUnit:        "Month",
		AutoRenew:         v.bool("worker_auto_renew"),
		AutoRenewPeriod:   v.int("worker_auto_renew_period"),
		EdgeWorker:        true,
	}
	if n := v.int("worker_data_disk_size"); n > 0 {
		so.DataDisks = []ackscale.DataDisk{{SizeGiB: n}}
	}
	s.common(&so)
	return so, nil
}

func buildSandbox(s *state) (any, error) {
	v := s.v
	so := ackscale.ScaleOut{
		Count:              v.int("count"),
		InstanceTypes:      v.strs("worker_instance_types"),
		VSwitchIDs:         v.strs("vswitch_ids"),
		ImageID:            or(v.str("image_id"), s.t.Defaults.WorkerImageID),
		SystemDiskCategory: v.str("worker_system_disk_category"),
		DataDisks:          []ackscale.DataDisk{{Category: v.str("worker_data_disk_category"), SizeGiB: v.int("worker_data_disk_size")}},
		Tags:               tags(v.list("tags")),
	}
	so.SystemDiskSizeGiB = s.systemDisk(so.ImageID, 40)
	s.common(&so)
	s.charge(&so)
	return so, nil
}

// common fills what every scale-out has.
func (s *state) common(so *ackscale.ScaleOut) {
	so.KeyPair = s.v.str("key_pair")
	so.HasPassword = s.v.has("login_password")
	so.DisableRollback = s.v.bool("disable_rollback")
	so.TimeoutMins = s.v.int("timeout_mins")
}

// charge fills seed 002's billing; the period fields only count for PrePaid.
func (s *state) charge(so *ackscale.ScaleOut) {
	so.ChargeType = s.v.str("worker_instance_charge_type")
	if so.ChargeType == "PrePaid" {
		so.Period, so.PeriodUnit = s.v.int("worker_period"), s.v.str("worker_period_unit")
		so.AutoRenew, so.AutoRenewPeriod = s.v.bool("worker_auto_renew"), s.v.int("worker_auto_renew_period")
	}
}

// systemDisk is the size sent, else def raised to the image size (R5).
func (s *state) systemDisk(imageID string, def int) int {
	if s.given["worker_system_disk_size"] {
		return s.v.int("worker_system_disk_size")
	}
	if size, ok := s.c.ImageSizeGiB(imageID); ok && imageID != "" {
		return max(def, size)
	}
	return def
}

// orList returns a clone of the first non-empty list.
func orList(lists ...[]string) []string {
	for _, l := range lists {
		if len(l) > 0 {
			return slices.Clone(l)
		}
	}
	return nil
}

// or returns the first non-zero value.
func or[T comparable](vals ...T) T {
	var zero T
	for _, v := range vals {
		if v != zero {
			return v
		}
	}
	return zero
}
