package rules

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/ackscale/ackscale"
)

// Legacy aliases of vswitch_ids and worker_instance_types (aliyungo's
// KubernetesCreationArgs and KubernetesMultiAZCreationArgs), folded in (R17).
var (
	legacyVSwitches = []string{"vswitchid", "vswitch_id_a", "vswitch_id_b", "vswitch_id_c"}
	legacyTypes     = []string{"worker_instance_type", "worker_instance_type_a", "worker_instance_type_b", "worker_instance_type_c"}
	legacyCounts    = []string{"num_of_nodes_a", "num_of_nodes_b", "num_of_nodes_c"}
)

// createIgnored are the other fields of the SDKs' CreateCluster models (the
// cs-20151215 model and aliyungo's): type-checked, then ignored (R17). Other
// master_* and worker_* fields are accepted without a check.
var createIgnored = []struct {
	name string
	typ  Type
}{
	{"access_control_list", Strings}, {"addons", Objects}, {"api_audiences", String}, {"audit_log_config", Object},
	{"auto_mode", Object}, {"auto_renew", Bool}, {"auto_renew_period", Int}, {"charge_type", String},
	{"cis_enabled", Bool}, {"cloud_monitor_flags", Bool}, {"cluster_domain", String}, {"control_plane_config", Object},
	{"control_plane_endpoints_config", Object}, {"controlplane_log_components", Strings}, {"controlplane_log_project", String},
	{"controlplane_log_ttl", String}, {"cpu_policy", String}, {"custom_san", String}, {"disable_rollback", Bool},
	{"enable_rrsa", Bool}, {"encryption_provider_key", String}, {"endpoint_public_access", Bool}, {"extra_sans", Strings},
	{"format_disk", Bool}, {"image_type", String}, {"instances", Strings}, {"ip_stack", String},
	{"is_enterprise_security_group", Bool}, {"keep_instance_name", Bool}, {"load_balancer_id", String},
	{"load_balancer_spec", String}, {"logging_type", String}, {"maintenance_window", Object}, {"multi_az", Bool},
	{"nat_gateway", Bool}, {"network", String}, {"node_cidr_mask", String}, {"node_name_mode", String},
	{"node_port_range", String}, {"nodepools", Objects}, {"operation_policy", Object}, {"os_type", String},
	{"period", Int}, {"period_unit", String}, {"platform", String}, {"pod_vswitch_ids", Strings}, {"proxy_mode", String},
	{"public_slb", Bool}, {"rds_instances", Strings}, {"resource_group_id", String}, {"rrsa_config", Object},
	{"security_group_id", String}, {"security_hardening_os", Bool}, {"service_account_issuer", String},
	{"service_discovery_types", Strings}, {"sls_project_name", String}, {"snat_entry", Bool}, {"soc_enabled", Bool},
	{"ssh_flags", Bool}, {"stack_params", Object}, {"taints", Objects}, {"timezone", String}, {"user_ca", String},
	{"user_data", String}, {"zone_id", String}, {"zone_ids", Strings}, {"zoneid", String},
}

// sdkCreate are the fields of the official SDK's CreateClusterRequest
// model (api.md §3; the names() of @alicloud/cs20151215 7.2.0's model).
var sdkCreate = []string{
	"access_control_list", "addons", "api_audiences", "audit_log_config", "auto_mode", "auto_renew", "auto_renew_period",
	"charge_type", "cis_enabled", "cloud_monitor_flags", "cluster_domain", "cluster_spec", "cluster_type", "container_cidr",
	"control_plane_config", "control_plane_endpoints_config", "controlplane_log_components", "controlplane_log_project",
	"controlplane_log_ttl", "cpu_policy", "custom_san", "deletion_protection", "disable_rollback", "enable_rrsa",
	"encryption_provider_key", "endpoint_public_access", "extra_sans", "format_disk", "image_id", "image_type", "instances",
	"ip_stack", "is_enterprise_security_group", "keep_instance_name", "key_pair", "kubernetes_version", "load_balancer_id",
	"load_balancer_spec", "logging_type", "login_password", "maintenance_window", "master_auto_renew",
	"master_auto_renew_period", "master_count", "master_instance_charge_type", "master_instance_types", "master_period",
	"master_period_unit", "master_system_disk_category", "master_system_disk_performance_level", "master_system_disk_size",
	"master_system_disk_snapshot_policy_id", "master_vswitch_ids", "name", "nat_gateway", "node_cidr_mask", "node_name_mode",
	"node_port_range", "nodepools", "num_of_nodes", "operation_policy", "os_type", "period", "period_unit", "platform",
	"pod_vswitch_ids", "profile", "proxy_mode", "rds_instances", "region_id", "resource_group_id", "rrsa_config", "runtime",
	"security_group_id", "security_hardening_os", "service_account_issuer", "service_cidr", "service_discovery_types",
	"snat_entry", "soc_enabled", "ssh_flags", "tags", "taints", "timeout_mins", "timezone", "user_ca", "user_data", "vpcid",
	"vswitch_ids", "worker_auto_renew", "worker_auto_renew_period", "worker_data_disks", "worker_instance_charge_type",
	"worker_instance_types", "worker_period", "worker_period_unit", "worker_system_disk_category",
	"worker_system_disk_performance_level", "worker_system_disk_size", "worker_system_disk_snapshot_policy_id",
	"worker_vswitch_ids", "zone_id", "zone_ids",
}

// aliyungoCreateModel are the fields of aliyungo's
// ManagedKubernetesClusterCreationRequest (its ClusterArgs and WorkerArgs)
// at the 2022 commit (e3c8bf5ad947) that Terraform's provider pins for
// edge clusters: every key of the body it sends,
// ../shared/spec/fixtures/tf-edge-create.json (clients.md). It sends all
// of them, unset ones as "", 0, false or null (R36).
var aliyungoCreateModel = []string{
	"disable_rollback", "timeout_mins", "name", "cluster_type", "profile", "kubernetes_version", "deletion_protection",
	"enable_rrsa", "node_cidr_mask", "user_ca", "os_type", "platform", "user_data", "node_port_range", "node_name_mode",
	"image_id", "pod_vswitch_ids", "login_password", "key_pair", "region_id", "vpcid", "container_cidr", "service_cidr",
	"cloud_monitor_flags", "security_group_id", "is_enterprise_security_group", "endpoint_public_access",
	"load_balancer_spec", "proxy_mode", "snat_entry", "resource_group_id", "addons", "tags", "taints", "cluster_spec",
	"timezone", "cluster_domain", "rds_instances", "encryption_provider_key", "maintenance_window",
	"controlplane_log_project", "controlplane_log_ttl", "controlplane_log_components", "soc_enabled", "cis_enabled",
	"worker_vswitch_ids", "worker_instance_types", "num_of_nodes", "worker_instance_charge_type", "worker_period",
	"worker_period_unit", "worker_auto_renew", "worker_auto_renew_period", "worker_system_disk_category",
	"worker_system_disk_size", "worker_system_disk_performance_level", "worker_data_disk", "worker_data_disks",
	"worker_hpc_cluster_id", "worker_deploymentset_id", "worker_deletion_protection", "runtime",
	"worker_system_disk_snapshot_policy_id",
}

// createModels are the fields of every client's CreateCluster model, each
// once (ruling 14, R36).
var createModels = union(sdkCreate, aliyungoCreateModel)

func createTable() Table {
	src := "api.md §3, R17"
	fields := []Field{
		{Name: "name", Type: String, Required: true, Len: &Bounds{Min: 1, Max: 63}, Format: FormatClusterName, Source: src},
		{Name: "region_id", Type: String, Required: true, Len: own(idLen), Source: "api.md §3, ruling 16"},
		{Name: "cluster_type", Type: String, Required: true, Enum: []string{ackscale.ClusterTypeDedicated, ackscale.ClusterTypeManaged},
			Unsupported: []string{"ExternalKubernetes"}, Source: "api.md §3, decisions.md, ruling 15, R17"},
		{Name: "cluster_spec", Type: String, EmptyIsAbsent: true, Enum: []string{"ack.pro.small", "ack.standard"},
			DefaultNote: "ack.standard for ManagedKubernetes", Source: src + ", ruling 15"},
		{Name: "profile", Type: String, EmptyIsAbsent: true, Enum: []string{"Default", "Edge"},
			Unsupported: []string{"Serverless", "Lingjun"}, Source: "api.md §3, decisions.md, ruling 15"},
		{Name: "kubernetes_version", Type: String, EmptyIsAbsent: true, Len: own(idLen), DefaultNote: "the cloud's default version", Source: "api.md §3, ruling 16"},
		{Name: "vpcid", Type: String, EmptyIsAbsent: true, Len: own(idLen), DefaultNote: "the VPC of the vSwitches", Source: src + ", ruling 16"},
		{Name: "vswitch_ids", Type: Strings, Unique: true, EmptyIsAbsent: true, Len: own(idItems), ItemLen: own(idLen), DefaultNote: "the region's default vSwitches", Source: src + ", ruling 16"},
	}
	fields = append(fields, aliases(legacyVSwitches, String, "R17")...)
	fields = append(fields,
		Field{Name: "worker_vswitch_ids", Type: Strings, Unique: true, EmptyIsAbsent: true, Len: own(idItems), ItemLen: own(idLen),
			DefaultNote: "vswitch_ids", Source: "api.md §3, clients.md, ruling 16, R36", Note: "the workers' vSwitches"},
		Field{Name: "container_cidr", Type: String, EmptyIsAbsent: true, Len: upTo(cidrLen, "R17"), Format: FormatCIDR, Default: `"172.20.0.0/16"`, Source: src},
		Field{Name: "service_cidr", Type: String, EmptyIsAbsent: true, Len: upTo(cidrLen, "R17"), Format: FormatCIDR, Default: `"172.21.0.0/20"`, Source: src},
		runtimeField(createRuntimes, `{"name":"containerd"}`, "api.md §3"),
		tagsField("api.md §3"),
		passwordField("api.md §3"),
		keyPairField("api.md §3"),
		Field{Name: "deletion_protection", Type: Bool, Default: "false", Source: "api.md §3"},
		Field{Name: "timeout_mins", Type: Int, Default: "60", Range: &Bounds{Min: 1, Max: 1440}, EmptyIsAbsent: true, Source: "api.md §3, rulings 8, 12, R4, R14"},
		Field{Name: "num_of_nodes", Type: Int, Default: "0", Range: &Bounds{Min: 0, Max: 300}, Source: "api.md §3, seed 000, R17"},
	)
	fields = append(fields, aliases(legacyCounts, Int, "R17")...)
	fields = append(fields,
		Field{Name: "worker_instance_types", Type: Strings, Unique: true, EmptyIsAbsent: true, Len: &Bounds{Min: 1, Max: 10}, ItemLen: own(idLen), Source: "api.md §3, ruling 16"},
	)
	fields = append(fields, aliases(legacyTypes, String, "R17")...)
	fields = append(fields,
		Field{Name: "worker_system_disk_category", Type: String, EmptyIsAbsent: true, Enum: systemCats, Default: `"cloud_ssd"`, Source: "api.md §3, R7, ruling 15"},
		Field{Name: "worker_system_disk_size", Type: Int, EmptyIsAbsent: true, Range: &Bounds{Min: 40, Max: 500}, DefaultNote: "120, raised to the image size", Source: "api.md §3, R7"},
		Field{Name: "image_id", Type: String, EmptyIsAbsent: true, Len: own(idLen), DefaultNote: "the cloud's default image", Source: "api.md §3, ruling 16"},
	)
	for _, ig := range createIgnored {
		fields = append(fields, Field{Name: ig.name, Type: ig.typ, Ignored: true, Source: "api.md §3, R17"})
	}
	fields = clientZeroAbsent(fields, createModels)
	loose := []string{"master_", "worker_"}
	var sdk []string
	for _, name := range missingFrom(createModels, fields) {
		if !slices.ContainsFunc(loose, func(p string) bool { return strings.HasPrefix(name, p) }) {
			sdk = append(sdk, name)
		}
	}
	return Table{
		Op: OpCreateCluster, Route: "POST /clusters", Fields: fields, Checks: createChecks(),
		Title:    "CreateCluster",
		SDKEmpty: sdk, SDKEmptySource: "cs-20151215 CreateClusterRequest, aliyungo 2022 ManagedKubernetesClusterCreationRequest",
		LoosePrefixes: loose, build: buildCreate,
	}
}

// cidrLen is the length of the longest IPv4 CIDR block, 255.255.255.255/32 (R17).
const cidrLen = 18

func aliases(names []string, t Type, src string) []Field {
	var out []Field
	for _, n := range names {
		f := Field{Name: n, Type: t, EmptyIsAbsent: true, Source: src, Note: "legacy alias (aliyungo)"}
		switch t {
		case Int:
			f.Range = &Bounds{Min: 0, Max: 300}
		case String:
			f.Len = own(idLen)
		}
		out = append(out, f)
	}
	return out
}

func createChecks() []Check {
	return []Check{
		valueConflict("edge-managed", "profile Edge needs cluster_type ManagedKubernetes", "profile", "decisions.md, R17",
			func(v values) bool {
				return v.str("profile") == "Edge" && v.str("cluster_type") != ackscale.ClusterTypeManaged
			}),
		valueConflict("spec-managed", "cluster_spec is for cluster_type ManagedKubernetes only", "cluster_spec", "api.md §3, R17",
			func(v values) bool {
				return v.has("cluster_spec") && v.str("cluster_type") != ackscale.ClusterTypeManaged
			}),
		valueConflict("sandbox-managed", "runtime Sandboxed-Container.runv needs cluster_type ManagedKubernetes and no profile Edge", "runtime.name", "decisions.md, R17",
			func(v values) bool {
				return v.obj("runtime").str("name") == ackscale.RuntimeSandboxed &&
					(v.str("cluster_type") != ackscale.ClusterTypeManaged || v.str("profile") == "Edge")
			}),
		credentialsCheck("rulings 3, 4, R17", func(s *state) bool {
			return s.v.str("cluster_type") == ackscale.ClusterTypeManaged && workerCount(s.v) == 0
		}),
		conflictCheck("vswitch-aliases", "vswitch_ids and the legacy vswitchid / vswitch_id_a,b,c are not sent together",
			[]string{"vswitch_ids"}, legacyVSwitches, "R17"),
		conflictCheck("instance-type-aliases", "worker_instance_types and the legacy worker_instance_type(_a,_b,_c) are not sent together",
			[]string{"worker_instance_types"}, legacyTypes, "R17"),
		valueConflict("cidr-overlap", "container_cidr and service_cidr do not overlap", "service_cidr", "R17", func(v values) bool {
			return netip.MustParsePrefix(v.str("container_cidr")).Overlaps(netip.MustParsePrefix(v.str("service_cidr")))
		}),
		workerTypesCheck("R17"),
		regionCheck("ruling 16"),
		versionCheck("ruling 16"),
		runtimeCheck(createRuntimes, "ruling 16, R25"),
		createVSwitchCheck("ruling 16, R17"),
		kindCheck(createKind, "ruling 16, R19", append([]string{"worker_instance_types"}, legacyTypes...)...),
		imageCheck("image_id", "worker_system_disk_size", 0, false, createKind, "rulings 5, 16, R6"),
		keyPairCheck(false, "rulings 4, 16"),
	}
}

func createKind(s *state) ackscale.InstanceKind {
	if s.v.obj("runtime").str("name") == ackscale.RuntimeSandboxed {
		return ackscale.KindEBM
	}
	return ackscale.KindECS
}

func workerCount(v values) int {
	n := v.int("num_of_nodes")
	for _, f := range legacyCounts {
		n += v.int(f)
	}
	return n
}

// valueConflict: field is in conflict with another when bad says so.
func valueConflict(name, rule, field, src string, bad func(values) bool) Check {
	return Check{
		Name: name, Rule: rule, Fields: []string{field}, Codes: []string{ackscale.CodeConflict}, Source: src,
		fn: func(s *state) error {
			if bad(s.v) {
				return errorf(ackscale.CodeConflict, field, src, "%s", rule)
			}
			return nil
		},
	}
}

func workerTypesCheck(src string) Check {
	return Check{
		Name: "worker-types", Rule: "workers to create (num_of_nodes > 0) need worker_instance_types",
		Fields: []string{"num_of_nodes", "worker_instance_types"}, Codes: []string{ackscale.CodeMissingParameter}, Source: src,
		fn: func(s *state) error {
			if workerCount(s.v) > 0 && len(createTypes(s.v)) == 0 {
				return errorf(ackscale.CodeMissingParameter, "worker_instance_types", src, "required when num_of_nodes is more than 0")
			}
			return nil
		},
	}
}

func regionCheck(src string) Check {
	return Check{
		Name: "region", Rule: "region_id names an existing region", Cloud: true,
		Fields: []string{"region_id"}, Codes: []string{ackscale.CodeRegionNotFound}, Source: src,
		fn: func(s *state) error {
			if id := s.v.str("region_id"); !s.c.RegionExists(id) {
				return errorf(ackscale.CodeRegionNotFound, "region_id", src, "region %q does not exist; regions: %s", id, someOf(s.c.RegionIDs()))
			}
			return nil
		},
	}
}

func versionCheck(src string) Check {
	return Check{
		Name: "kubernetes-version", Rule: "kubernetes_version is one the cloud offers", Cloud: true,
		Fields: []string{"kubernetes_version"}, Codes: []string{ackscale.CodeNotInEnum}, Source: src,
		fn: func(s *state) error {
			if v := s.v.str("kubernetes_version"); v != "" && !s.c.KubernetesVersionExists(v) {
				return errorf(ackscale.CodeNotInEnum, "kubernetes_version", src, "%q is not offered; valid versions: %s; leave it out for the default (%s)",
					v, someOf(s.c.KubernetesVersions()), s.c.DefaultKubernetesVersion())
			}
			return nil
		},
	}
}

// vswRef is a vSwitch id and the field that named it.
type vswRef struct{ path, id string }

// createVSwitches are the vSwitches a create body names: vswitch_ids and
// its legacy aliases (R17) and, with workers, worker_vswitch_ids (R36).
func createVSwitches(v values, workers bool) []vswRef {
	var refs []vswRef
	add := func(path, id string) {
		if id != "" && !slices.ContainsFunc(refs, func(r vswRef) bool { return r.id == id }) {
			refs = append(refs, vswRef{path, id})
		}
	}
	if workers {
		for i, id := range v.strs("worker_vswitch_ids") {
			add(fmt.Sprintf("worker_vswitch_ids[%d]", i), id)
		}
		if len(refs) > 0 {
			return refs
		}
	}
	for i, id := range v.strs("vswitch_ids") {
		add(fmt.Sprintf("vswitch_ids[%d]", i), id)
	}
	for _, f := range legacyVSwitches {
		add(f, v.str(f))
	}
	return refs
}

func createVSwitchCheck(src string) Check {
	return Check{
		Name: "vswitches", Rule: "the vSwitches (vswitch_ids, its aliases and worker_vswitch_ids) exist, lie in region_id and in one VPC (vpcid when sent); without any, vpcid must be the region's default VPC",
		Cloud: true, Fields: append([]string{"vpcid", "vswitch_ids", "worker_vswitch_ids"}, legacyVSwitches...),
		Codes: []string{ackscale.CodeVSwitchNotFound, ackscale.CodeInvalidParameter, ackscale.CodeMissingParameter}, Source: src,
		fn: func(s *state) error {
			refs := createVSwitches(s.v, false)
			if len(refs) == 0 && !s.v.has("worker_vswitch_ids") {
				return defaultVSwitches(s, src)
			}
			for _, r := range createVSwitches(s.v, true) {
				if !slices.ContainsFunc(refs, func(have vswRef) bool { return have.id == r.id }) {
					refs = append(refs, r)
				}
			}
			vpc, regionID := s.v.str("vpcid"), s.v.str("region_id")
			for _, r := range refs {
				region, got, ok := s.c.VSwitchVPC(r.id)
				switch {
				case !ok:
					return errorf(ackscale.CodeVSwitchNotFound, r.path, src, "vSwitch %q does not exist; %s", r.id, vswitchesOf(s, regionID, vpc))
				case region != regionID:
					return errorf(ackscale.CodeInvalidParameter, r.path, src, "vSwitch %q is in region %s, not %s; %s", r.id, region, regionID, vswitchesOf(s, regionID, vpc))
				case vpc != "" && got != vpc:
					return errorf(ackscale.CodeInvalidParameter, r.path, src, "vSwitch %q is in VPC %s, not %s; %s", r.id, got, vpc, vswitchesOf(s, regionID, vpc))
				}
				vpc = got
			}
			return nil
		},
	}
}

func defaultVSwitches(s *state, src string) error {
	vpc, ids := s.c.DefaultVSwitches(s.v.str("region_id"))
	if len(ids) == 0 {
		return errorf(ackscale.CodeMissingParameter, "vswitch_ids", src, "required: region %s has no default vSwitches", s.v.str("region_id"))
	}
	if want := s.v.str("vpcid"); want != "" && want != vpc {
		return errorf(ackscale.CodeMissingParameter, "vswitch_ids", src, "required when vpcid %s is not the region's default VPC %s", want, vpc)
	}
	return nil
}

func createTypes(v values) []string {
	if l := v.strs("worker_instance_types"); len(l) > 0 {
		return slices.Clone(l)
	}
	var out []string
	for _, f := range legacyTypes {
		if t := v.str(f); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func buildCreate(s *state) (any, error) {
	v := s.v
	spec := ackscale.ClusterSpec{
		Name: v.str("name"), RegionID: v.str("region_id"), ClusterType: v.str("cluster_type"), Profile: v.str("profile"),
		KubernetesVersion:        or(v.str("kubernetes_version"), s.c.DefaultKubernetesVersion()),
		ContainerCIDR:            v.str("container_cidr"),
		ServiceCIDR:              v.str("service_cidr"),
		Runtime:                  *runtime(v.obj("runtime")),
		Tags:                     tags(v.list("tags")),
		KeyPair:                  v.str("key_pair"),
		DeletionProtection:       v.bool("deletion_protection"),
		TimeoutMins:              v.int("timeout_mins"),
		WorkerInstanceTypes:      createTypes(v),
		WorkerSystemDiskCategory: v.str("worker_system_disk_category"),
		WorkerImageID:            v.str("image_id"),
		NumOfNodes:               workerCount(v),
		LoginPassword:            v.str("login_password"),
	}
	if spec.ClusterType == ackscale.ClusterTypeManaged {
		spec.ClusterSpec = or(v.str("cluster_spec"), "ack.standard")
	}
	spec.VPCID, spec.VSwitchIDs = s.network()
	spec.WorkerSystemDiskSizeGiB = s.systemDisk(spec.WorkerImageID, 120)
	return spec, nil
}

// network returns the VPC and the vSwitches the cluster's workers go to:
// worker_vswitch_ids, else vswitch_ids (and its aliases), else the
// region's defaults.
func (s *state) network() (string, []string) {
	refs := createVSwitches(s.v, true)
	if len(refs) == 0 {
		return s.c.DefaultVSwitches(s.v.str("region_id"))
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.id
	}
	_, vpc, _ := s.c.VSwitchVPC(ids[0])
	return vpc, ids
}
