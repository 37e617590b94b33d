package rules

import (
	"fmt"
	"net/netip"
	"slices"

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
	return Table{
		Op: OpCreateCluster, Route: "POST /clusters", Fields: fields, Checks: createChecks(),
		Title:         "CreateCluster",
		LoosePrefixes: []string{"master_", "worker_"}, build: buildCreate,
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
		imageCheck("image_id", "worker_system_disk_size", 0, false, "rulings 5, 16, R6"),
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
				return errorf(ackscale.CodeRegionNotFound, "region_id", src, "region %q does not exist", id)
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
				return errorf(ackscale.CodeNotInEnum, "kubernetes_version", src, "%q is not offered; leave it out for the default (%s)", v, s.c.DefaultKubernetesVersion())
			}
			return nil
		},
	}
}

// vswRef is a vSwitch id and the field that named it.
type vswRef struct{ path, id string }

func createVSwitches(v values) []vswRef {
	var refs []vswRef
	for i, id := range v.strs("vswitch_ids") {
		refs = append(refs, vswRef{fmt.Sprintf("vswitch_ids[%d]", i), id})
	}
	for _, f := range legacyVSwitches {
		if id := v.str(f); id != "" && !slices.ContainsFunc(refs, func(r vswRef) bool { return r.id == id }) {
			refs = append(refs, vswRef{f, id})
		}
	}
	return refs
}

func createVSwitchCheck(src string) Check {
	return Check{
		Name: "vswitches", Rule: "the vSwitches exist, lie in region_id and in one VPC (vpcid when sent); without any, vpcid must be the region's default VPC",
		Cloud: true, Fields: append([]string{"vpcid", "vswitch_ids"}, legacyVSwitches...),
		Codes: []string{ackscale.CodeVSwitchNotFound, ackscale.CodeInvalidParameter, ackscale.CodeMissingParameter}, Source: src,
		fn: func(s *state) error {
			refs := createVSwitches(s.v)
			if len(refs) == 0 {
				return defaultVSwitches(s, src)
			}
			vpc := s.v.str("vpcid")
			for _, r := range refs {
				region, got, ok := s.c.VSwitchVPC(r.id)
				switch {
				case !ok:
					return errorf(ackscale.CodeVSwitchNotFound, r.path, src, "vSwitch %q does not exist", r.id)
				case region != s.v.str("region_id"):
					return errorf(ackscale.CodeInvalidParameter, r.path, src, "vSwitch %q is in region %s, not %s", r.id, region, s.v.str("region_id"))
				case vpc != "" && got != vpc:
					return errorf(ackscale.CodeInvalidParameter, r.path, src, "vSwitch %q is in VPC %s, not %s", r.id, got, vpc)
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

// network returns the VPC and vSwitches of a create body, or the region's
// defaults.
func (s *state) network() (string, []string) {
	refs := createVSwitches(s.v)
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
