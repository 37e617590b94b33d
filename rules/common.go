package rules

import "github.com/ackscale/ackscale"

// Value lists shared by several tables.
var (
	chargeTypes    = []string{"PrePaid", "PostPaid"}
	months         = []string{"1", "2", "3", "6", "12"}                         // seed 002, unit Month
	edgePeriods    = []string{"1", "2", "3", "6", "12", "24", "36", "48", "60"} // ruling 7
	systemCats     = []string{"cloud_efficiency", "cloud_ssd", "cloud_essd"}    // R7
	dataCats       = []string{"cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd"}
	taintEffects   = []string{"NoSchedule", "NoExecute", "PreferNoSchedule"}
	scaleRuntimes  = []string{"containerd", "docker"}
	createRuntimes = []string{"containerd", "docker", ackscale.RuntimeSandboxed}
	sandboxTypes   = []string{"ecs.ebmg5s.24xlarge", "ecs.ebmc5s.24xlarge", "ecs.ebmgn6i.24xlarge"}
	ensChargeTypes = []string{"BandwidthByDay", "95BandwidthByMonth"}
)

// The bounds no document sets (R24): generous next to real values, small
// enough that a request cannot write megabytes onto every worker.
const (
	idLen      = 128  // an identifier or name: instance type, image, vSwitch, VPC, region, key pair, RDS instance, version
	idItems    = 64   // a list of identifiers: vswitch_ids, rds_instances
	taintItems = 20   // taints, as many as tags (R9)
	nodeItems  = 1000 // nodes to remove: every worker of a cluster at the default quota (ruling 9)
)

// Kubernetes label syntax (R9): a key is an optional DNS-subdomain prefix
// of at most 253 characters and a /, then a name of at most 63; a value is
// at most 63 characters.
const (
	labelKeyLen   = 253 + 1 + 63
	labelValueLen = 63
)

// own is a bound of at most max that ackscale sets itself (R24).
func own(max int) *Bounds { return &Bounds{Max: max, Source: OwnBound} }

// upTo is a bound of at most max stated by a further ruling.
func upTo(max int, src string) *Bounds { return &Bounds{Max: max, Source: src} }

func countField(src string) Field {
	return Field{Name: "count", Type: Int, Required: true, Range: &Bounds{Min: 1, Max: NoMax}, Source: src + ", ruling 9",
		Note: "also limited by the quota of workers per cluster"}
}

func passwordField(src string) Field {
	return Field{Name: "login_password", Type: String, Len: &Bounds{Min: 8, Max: 30}, Format: FormatPassword,
		Secret: true, EmptyIsAbsent: true, Source: src + ", rulings 3, 4, R14, R23"}
}

func keyPairField(src string) Field {
	return Field{Name: "key_pair", Type: String, EmptyIsAbsent: true, Len: own(idLen), Source: src + ", ruling 4, R14"}
}

func timeoutField(src string) Field {
	return Field{Name: "timeout_mins", Type: Int, Default: "60", Range: &Bounds{Min: 1, Max: 1440}, Source: cite(src, "rulings 8, 12, R4")}
}

// cite joins citations.
func cite(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}

func rollbackField(src string) Field {
	return Field{Name: "disable_rollback", Type: Bool, Default: "true", Source: src + ", ruling 11"}
}

// chargeFields are seed 002's billing fields.
func chargeFields(src string) []Field {
	return []Field{
		{Name: "worker_instance_charge_type", Type: String, Enum: chargeTypes, Default: `"PostPaid"`, Source: src + ", ruling 15"},
		{Name: "worker_period", Type: Int, Enum: months, Source: src, Note: "used only with PrePaid"},
		{Name: "worker_period_unit", Type: String, Enum: []string{"Month"}, Source: src + ", R20", Note: "used only with PrePaid"},
		{Name: "worker_auto_renew", Type: Bool, Default: "false", Source: src},
		{Name: "worker_auto_renew_period", Type: Int, Enum: months, Source: src, Note: "used only with PrePaid"},
	}
}

func tagsField(src string) Field {
	return Field{Name: "tags", Type: Objects, Len: &Bounds{Min: 0, Max: 20}, UniqueBy: []string{"key"}, Source: src + ", R9",
		Fields: []Field{
			{Name: "key", Type: String, Required: true, Len: upTo(labelKeyLen, "R9"), Format: FormatTagKey, Source: src + ", R9"},
			{Name: "value", Type: String, Len: upTo(labelValueLen, "R9"), Format: FormatLabelValue, Source: src + ", R9"},
		}}
}

func taintsField(src string) Field {
	return Field{Name: "taints", Type: Objects, Len: own(taintItems), UniqueBy: []string{"key", "effect"}, Source: src + ", R9",
		Fields: []Field{
			{Name: "key", Type: String, Required: true, Len: upTo(labelKeyLen, "R9"), Format: FormatLabelKey, Source: src + ", R9"},
			{Name: "value", Type: String, Len: upTo(labelValueLen, "R9"), Format: FormatLabelValue, Source: src + ", R9"},
			{Name: "effect", Type: String, Required: true, Enum: taintEffects, Source: src + ", api.md §3, ruling 15"},
		}}
}

// runtimeField is the container runtime: a name of the table's enumeration
// and, with runtimeCheck, of the cloud's catalog (R25). aliyungo's Runtime
// model also sends exist, ignored when false; a runtime whose members are
// all empty, as aliyungo sends an unset one, is no runtime (R36).
func runtimeField(names []string, def, src string) Field {
	return Field{Name: "runtime", Type: Object, Default: def, EmptyIsAbsent: true, Source: src + ", R36",
		SDKEmpty: aliyungoRuntime,
		Fields: []Field{
			{Name: "name", Type: String, Required: true, Enum: names, Source: src + ", ruling 15, R25"},
			{Name: "version", Type: String, EmptyIsAbsent: true, Len: own(idLen), DefaultNote: "the runtime's default version", Source: src + ", R25"},
		}}
}

// aliyungoRuntime are the members of aliyungo's 2022 Runtime model that
// ackscale does not know: its body sends "exist": false
// (../shared/spec/fixtures/tf-edge-create.json and
// aliyungo2022-scale-out.json, clients.md).
var aliyungoRuntime = []string{"exist"}

func dataDisksField(src string) Field {
	return Field{Name: "worker_data_disks", Type: Objects, Len: &Bounds{Min: 0, Max: 16}, Source: src + ", R7",
		Fields: []Field{
			{Name: "category", Type: String, Enum: dataCats, Default: `"cloud_efficiency"`, Source: src + ", R7, ruling 15"},
			{Name: "size", Type: String, Required: true, Len: upTo(5, "R7"), Format: FormatInteger, Range: &Bounds{Min: 40, Max: 32768},
				Source: src + ", api.md §3, R7", Note: "a string of digits, as the SDK model sends it (ruling 13)"},
			{Name: "encrypted", Type: String, Enum: []string{"true", "false"}, Default: `"false"`, Source: src + ", api.md §3"},
			{Name: "auto_snapshot_policy_id", Type: String, Ignored: true, Source: "api.md §3, R14"},
		}}
}
