package rules

import "github.com/ackscale/ackscale"

// sdkScale are the fields the official SDKs' models of the legacy PUT send:
// aliyungo's KubernetesClusterResizeArgs (always with its multi-zone _a/_b/_c
// fields) and cs-20151215 v5's ScaleClusterRequest (api.md §3).
var sdkScale = []string{
	"worker_instance_type_a", "worker_instance_type_b", "worker_instance_type_c",
	"num_of_nodes_a", "num_of_nodes_b", "num_of_nodes_c",
	"cloud_monitor_flags", "count", "cpu_policy", "tags", "taints", "vswitch_ids",
	"worker_auto_renew", "worker_auto_renew_period", "worker_data_disk", "worker_data_disks",
	"worker_instance_charge_type", "worker_instance_types", "worker_period", "worker_period_unit",
}

// legacyTable is seed 000 with ruling 10: PUT /clusters/{id} on a dedicated
// cluster sets an absolute worker count.
func legacyTable() Table {
	src := "seed 000"
	fields := []Field{
		{Name: "num_of_nodes", Type: Int, Required: true, Range: &Bounds{Min: 0, Max: 300}, Source: src + ", ruling 10",
			Note: "the worker count wanted: more than today scales out, fewer scales in"},
		rollbackField(src + ", ruling 8"),
		{Name: "timeout_mins", Type: Int, Default: "60", Range: &Bounds{Min: 1, Max: 1440}, EmptyIsAbsent: true,
			Source: src + ", rulings 8, 12, R4, R14", Note: "aliyungo always sends it"},
		{Name: "worker_instance_type", Type: String, EmptyIsAbsent: true, Len: own(idLen), DefaultNote: "the cluster's first worker instance type",
			Source: src + ", R1, ruling 16"},
		{Name: "worker_system_disk_category", Type: String, EmptyIsAbsent: true, Enum: systemCats,
			DefaultNote: "the cluster's, else cloud_ssd", Source: src + ", R1, R7, ruling 15"},
		{Name: "worker_system_disk_size", Type: Int, EmptyIsAbsent: true, Range: &Bounds{Min: 40, Max: 500},
			DefaultNote: "the cluster's, else 120", Source: src + ", R1, R7"},
		passwordField(src),
		keyPairField("R10"),
	}
	return Table{
		Profile: ackscale.ProfileLegacy, Op: OpScale, Route: "PUT /clusters/{id}", Fields: fields,
		Title: "ScaleCluster (legacy) on a dedicated cluster (cluster_type Kubernetes): seed 000, ruling 10",
		Checks: []Check{
			credentialsCheck("ruling 4", nil),
			legacyCredentialCheck("ruling 3, R10"),
			noChangeCheck("ruling 10"),
			legacyQuotaCheck("ruling 9"),
			legacyTypeCheck("R1"),
			kindCheck(kindOf(ackscale.KindECS), "ruling 16, R19", "worker_instance_type"),
			imageCheck("", "worker_system_disk_size", 0, true, kindOf(ackscale.KindECS), "rulings 5, 16, R6"),
			keyPairCheck(false, "rulings 4, 16"),
		},
		SDKEmpty:       missingFrom(sdkScale, fields),
		SDKEmptySource: "aliyungo KubernetesClusterResizeArgs, cs-20151215 v5 ScaleClusterRequest",
		build:          buildLegacy,
	}
}

func buildLegacy(s *state) (any, error) {
	v, d := s.v, s.t.Defaults
	n := v.int("num_of_nodes")
	ls := LegacyScale{NumOfNodes: n, Delta: n - s.t.Workers}
	s.common(&ls.Out)
	if ls.Delta <= 0 {
		return ls, nil
	}
	ls.Out.Count = ls.Delta
	ls.Out.InstanceTypes = orList(v.names("worker_instance_type"), d.WorkerInstanceTypes)
	ls.Out.SystemDiskCategory = or(v.str("worker_system_disk_category"), d.WorkerSystemDiskCategory, "cloud_ssd")
	ls.Out.ImageID = d.WorkerImageID
	ls.Out.SystemDiskSizeGiB = s.systemDisk(d.WorkerImageID, or(d.WorkerSystemDiskSizeGiB, 120))
	ls.Out.ChargeType = "PostPaid"
	return ls, nil
}
