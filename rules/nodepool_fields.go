package rules

import "github.com/ackscale/ackscale"

// The node pool tables cite the operation's request model of the official
// Node.js SDK, @alicloud/cs20151215 7.2.0, as "SDK" (its name is in the
// table's title), and its shared sub-models as "SDK DataDisk" and so on:
// the fields, their types, enumerations, limits and defaults come from
// them. Their messages, like every table's, cite only the further
// rulings (R26, …) of docs/api.md.
const (
	poolSrc     = "SDK"
	poolRoute   = "/clusters/{id}/nodepools"
	poolIDRoute = poolRoute + "/{np}"
)

// Value lists of the node pool models.
var (
	poolTypes         = []string{ackscale.NodePoolTypeESS}
	poolTypesACK      = []string{"edge", "lingjun", "hybrid"}
	poolSystemCats    = []string{"cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry"}
	poolDataCats      = []string{"cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry", "elastic_ephemeral_disk_premium", "elastic_ephemeral_disk_standard"}
	poolPeriods       = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "12", "24", "36", "48", "60"} // Month; Week: 1–4 (R35)
	poolWeekPeriods   = []string{"1", "2", "3", "4"}
	poolRenewPeriods  = []string{"1", "2", "3", "6", "12", "24", "36", "48", "60"} // Month; Week: 1–3 (R35)
	poolWeekRenewals  = []string{"1", "2", "3"}
	performanceLevels = []string{"PL0", "PL1", "PL2", "PL3"}
	imageTypes        = []string{"AliyunLinux", "AliyunLinuxSecurity", "AliyunLinux3", "AliyunLinux3Arm64", "AliyunLinux3Security",
		"CentOS", "Windows", "WindowsCore", "ContainerOS", "AliyunLinux3ContainerOptimized"}
	internetChargeTypes = []string{"PayByBandwidth", "PayByTraffic"}
	trueFalse           = []string{"true", "false"}
)

// The bounds of the node pool tables that no model sets (R24, R27).
const (
	pathLen     = 256  // a path: a mount target, a device
	textLen     = 1024 // free text: an environment variable's value, a package list
	poolObjList = 16   // a list of small objects: instance patterns, disk initializations, NUMA nodes
	labelItems  = 20   // kubernetes_config.labels, as many as tags (R9)
	ecsTagItems = 20   // scaling_group.tags: ECS takes 20 tags a resource (R33)
)

// Field makers of the node pool tables. Each returns an optional field;
// poolEmpty then makes the optional ones empty = absent (R26).
func pStr(name string, max int, src string) Field {
	return Field{Name: name, Type: String, Len: own(max), Source: src}
}

func pID(name, src string) Field { return pStr(name, idLen, src) }

func pIDs(name, src string) Field {
	return Field{Name: name, Type: Strings, Unique: true, Len: own(idItems), ItemLen: own(idLen), Source: src}
}

func pEnum(name string, enum []string, src string) Field {
	return Field{Name: name, Type: String, Enum: enum, Source: src}
}

func pBool(name, src string) Field { return Field{Name: name, Type: Bool, Source: src} }

func pInt(name string, r *Bounds, src string) Field {
	return Field{Name: name, Type: Int, Range: r, Source: src}
}

func pObj(name, src string, fs ...Field) Field {
	return Field{Name: name, Type: Object, Source: src, Fields: fs}
}

func span(min, max int) *Bounds { return &Bounds{Min: min, Max: max} }

// inert marks fields kept but not acted on (R27).
func inert(fs ...Field) []Field {
	for i := range fs {
		fs[i].Inert = true
	}
	return fs
}

// poolEmpty makes every optional field of fs empty = absent (R26), but
// the ones whose empty value means something: the desired size (0 nodes)
// and the booleans whose default is true.
func poolEmpty(fs []Field) []Field {
	for i := range fs {
		f := &fs[i]
		keep := f.Required || f.Name == "desired_size" || f.Type == Bool && f.Default == "true"
		f.EmptyIsAbsent = !keep
		poolEmpty(f.Fields)
	}
	return fs
}

// createPoolFields are the fields of CreateClusterNodePoolRequest, and the
// one a modification adds (auto_repair_policy_id), in check order.
func createPoolFields() []Field {
	return poolEmpty([]Field{
		nodepoolInfoField(true),
		scalingGroupField(true),
		kubernetesConfigField(),
		autoScalingField(),
		managementField(),
		pObj("tee_config", poolSrc, inert(pBool("tee_enable", poolSrc))...),
		pObj("auto_mode", poolSrc, inert(pBool("enable", poolSrc))...),
		nodeConfigField(),
		nodeComponentsField(),
		pObj("eflo_node_group", poolSrc+", R27", inert(
			pBool("auto_attach_enabled", poolSrc), pID("cluster_id", poolSrc), pID("group_id", poolSrc), pID("worker_ram_role_name", poolSrc))...),
		{Name: "interconnect_mode", Type: String, Enum: []string{"basic", "private"}, Inert: true, Source: poolSrc + ", R27", Note: "edge pools only in ACK"},
		pObj("interconnect_config", poolSrc+", R27", inert(
			pInt("bandwidth", nil, poolSrc), pID("ccn_id", poolSrc), pID("ccn_region_id", poolSrc), pID("cen_id", poolSrc),
			pID("improved_period", poolSrc))...),
		{Name: "intranet", Type: Bool, Inert: true, Source: poolSrc + ", R27", Note: "edge pools only in ACK"},
		{Name: "host_network", Type: Bool, Inert: true, Source: poolSrc + ", R27"},
		{Name: "max_nodes", Type: Int, Range: span(0, NoMax), Inert: true, Source: poolSrc + ", R27", Note: "deprecated; edge pools only in ACK"},
		{Name: "count", Type: Int, Range: span(0, NoMax), Source: poolSrc + ", R26",
			Note: "deprecated: the desired size when scaling_group.desired_size is absent; not kept"},
	})
}

func nodepoolInfoField(create bool) Field {
	fs := []Field{
		{Name: "name", Type: String, Required: true, Len: &Bounds{Min: 1, Max: 63}, Format: FormatPoolName, Source: poolSrc + ", R26"},
		{Name: "resource_group_id", Type: String, Len: own(idLen), Inert: true, Source: poolSrc},
	}
	if create {
		fs = append(fs, Field{Name: "type", Type: String, Default: `"ess"`, Enum: poolTypes, Unsupported: poolTypesACK, Source: poolSrc + ", R26, R28"})
	}
	return Field{Name: "nodepool_info", Type: Object, Required: true, Source: poolSrc, Fields: fs}
}

func scalingGroupField(create bool) Field {
	fs := []Field{
		{Name: "vswitch_ids", Type: Strings, Required: true, Unique: true, Len: &Bounds{Min: 1, Max: 8}, ItemLen: own(idLen), Source: poolSrc},
		{Name: "instance_types", Type: Strings, Required: true, Unique: true, Len: &Bounds{Min: 1, Max: 10}, ItemLen: own(idLen), Source: poolSrc + ", R26"},
		{Name: "instance_charge_type", Type: String, Required: true, Default: `"PostPaid"`, Enum: chargeTypes, Source: poolSrc + ", R26",
			Note: "Terraform does not send it"},
		{Name: "period", Type: Int, Enum: poolPeriods, Source: poolSrc + ", R35", Note: "used only with PrePaid"},
		{Name: "period_unit", Type: String, Default: `"Month"`, Enum: []string{"Month", "Week"}, Source: poolSrc + ", R35", Note: "used only with PrePaid"},
		{Name: "auto_renew", Type: Bool, Default: "false", Source: poolSrc, Note: "used only with PrePaid"},
		{Name: "auto_renew_period", Type: Int, Enum: poolRenewPeriods, DefaultNote: "1 with PrePaid and auto_renew", Source: poolSrc + ", R35",
			Note: "used only with PrePaid"},
		{Name: "desired_size", Type: Int, Range: span(0, NoMax), DefaultNote: "count, else min_instances with auto scaling on, else 0",
			Source: poolSrc + ", R26, R28", Note: "also limited by the quota of workers per cluster; 0 is no node"},
		{Name: "key_pair", Type: String, Len: own(idLen), Source: poolSrc + ", R29"},
		{Name: "login_password", Type: String, Len: &Bounds{Min: 8, Max: 30}, Format: FormatPassword, Secret: true, Source: poolSrc + ", R23, R29",
			Note: "not kept"},
		{Name: "image_id", Type: String, Len: own(idLen), DefaultNote: "the cluster's worker image", Source: poolSrc + ", R26"},
		{Name: "system_disk_category", Type: String, Default: `"cloud_efficiency"`, Enum: poolSystemCats, Source: poolSrc},
		{Name: "system_disk_size", Type: Int, Range: span(20, 2048), DefaultNote: "120, raised to the image size", Source: poolSrc + ", R26"},
		poolDataDisksField(),
		ecsTagsField(),
		{Name: "rds_instances", Type: Strings, Unique: true, Len: own(idItems), ItemLen: own(idLen), Source: poolSrc},
	}
	fs = append(fs, inert(
		pEnum("image_type", imageTypes, poolSrc),
		Field{Name: "platform", Type: String, Enum: []string{"CentOS", "AliyunLinux", "Windows", "WindowsCore"}, Source: poolSrc, Note: "deprecated"},
		Field{Name: "system_disk_categories", Type: Strings, Unique: true, Len: own(len(poolSystemCats)), Enum: poolSystemCats, Source: poolSrc},
		pEnum("system_disk_performance_level", performanceLevels, poolSrc),
		pBool("system_disk_encrypted", poolSrc),
		pEnum("system_disk_encrypt_algorithm", []string{"aes-256"}, poolSrc),
		pID("system_disk_kms_key_id", poolSrc),
		pID("system_disk_snapshot_policy_id", poolSrc),
		pInt("system_disk_provisioned_iops", span(0, 50000), poolSrc),
		pBool("system_disk_bursting_enabled", poolSrc),
		pIDs("security_group_ids", poolSrc),
		pEnum("multi_az_policy", []string{"PRIORITY", "COST_OPTIMIZED", "BALANCE"}, poolSrc),
		pEnum("scaling_policy", []string{"release", "recycle"}, poolSrc),
		pEnum("internet_charge_type", internetChargeTypes, poolSrc),
		pInt("internet_max_bandwidth_out", span(1, 100), poolSrc),
		pEnum("spot_strategy", []string{"NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"}, poolSrc),
		Field{Name: "spot_price_limit", Type: Objects, Len: own(10), UniqueBy: []string{"instance_type"}, Source: poolSrc,
			Note: "one item per instance type", Fields: []Field{pID("instance_type", poolSrc), pID("price_limit", poolSrc)}},
		pInt("spot_instance_pools", span(1, 10), poolSrc),
		pBool("spot_instance_remedy", poolSrc),
		pBool("compensate_with_on_demand", poolSrc),
		pInt("on_demand_base_capacity", span(0, 1000), poolSrc),
		pInt("on_demand_percentage_above_base_capacity", span(0, 100), poolSrc),
		pID("deploymentset_id", poolSrc),
		instancePatternsField(),
		pObj("private_pool_options", poolSrc, pID("id", poolSrc), pEnum("match_criteria", []string{"Open", "Target", "None"}, poolSrc)),
		pObj("resource_pool_options", poolSrc,
			Field{Name: "private_pool_ids", Type: Strings, Unique: true, Len: &Bounds{Min: 0, Max: 20}, ItemLen: own(idLen), Source: poolSrc},
			pEnum("strategy", []string{"PrivatePoolFirst", "PrivatePoolOnly", "None"}, poolSrc)),
		pBool("enable_high_density_mode", poolSrc),
		Field{Name: "disk_init", Type: Objects, Len: own(poolObjList), UniqueBy: []string{"disk_name"}, Source: poolSrc, Fields: []Field{
			{Name: "disk_name", Type: String, Required: true, Len: own(idLen), Source: "SDK DiskInit"},
			pBool("local_disk", "SDK DiskInit"), pID("mkfs_type", "SDK DiskInit"), pBool("mount_for_runtime", "SDK DiskInit"),
			pStr("mount_target", pathLen, "SDK DiskInit"),
		}},
	)...)
	if create {
		fs = append(fs, inert(
			pObj("cpu_options", poolSrc, pEnum("nested_virtualization", []string{"enabled", "disabled"}, poolSrc)),
			pObj("instance_metadata_options", poolSrc, pEnum("http_tokens", []string{"optional", "required"}, "SDK InstanceMetadataOptions")),
			pBool("login_as_non_root", poolSrc),
			pBool("security_hardening_os", poolSrc),
			pBool("soc_enabled", poolSrc),
			Field{Name: "cis_enabled", Type: Bool, Source: poolSrc, Note: "deprecated"},
			pID("ram_role_name", poolSrc),
			Field{Name: "security_group_id", Type: String, Len: own(idLen), Source: poolSrc, Note: "deprecated"},
		)...)
	}
	return Field{Name: "scaling_group", Type: Object, Required: true, Source: poolSrc, Fields: fs}
}

// poolDataDisksField is the pool's data disks: unlike ScaleOutCluster's
// worker_data_disks, size is a number here.
func poolDataDisksField() Field {
	src := "SDK DataDisk"
	fs := []Field{
		{Name: "category", Type: String, Default: `"cloud_efficiency"`, Enum: poolDataCats, Source: src},
		{Name: "size", Type: Int, Default: "120", Range: span(40, 32768), Source: src + ", R26"},
		{Name: "encrypted", Type: String, Default: `"false"`, Enum: trueFalse, Source: src, Note: "a string, as the model types it"},
	}
	fs = append(fs, inert(
		pEnum("performance_level", performanceLevels, src),
		pInt("provisioned_iops", span(0, 50000), src),
		pBool("bursting_enabled", src),
		pID("auto_snapshot_policy_id", src),
		pID("kms_key_id", src),
		pID("snapshot_id", src),
		pStr("device", pathLen, src),
		Field{Name: "disk_name", Type: String, Len: &Bounds{Min: 2, Max: 128}, Source: src},
		Field{Name: "auto_format", Type: Bool, Source: src, Note: "deprecated"},
		Field{Name: "file_system", Type: String, Enum: []string{"ext4", "xfs"}, Source: src, Note: "deprecated"},
		Field{Name: "mount_target", Type: String, Len: own(pathLen), Source: src, Note: "deprecated"},
	)...)
	return Field{Name: "data_disks", Type: Objects, Len: &Bounds{Min: 0, Max: 10}, Source: poolSrc, Fields: fs}
}

// ecsTagsField is scaling_group.tags: tags of the ECS instances (R33).
func ecsTagsField() Field {
	return Field{Name: "tags", Type: Objects, Len: own(ecsTagItems), UniqueBy: []string{"key"}, Inert: true, Source: poolSrc + ", R33",
		Note: "ECS tags, not Node labels", Fields: []Field{
			{Name: "key", Type: String, Required: true, Len: &Bounds{Min: 1, Max: 128}, Format: FormatECSTagKey, Source: poolSrc + ", R33"},
			{Name: "value", Type: String, Len: &Bounds{Min: 0, Max: 128}, Format: FormatECSTagValue, Source: poolSrc + ", R33"},
		}}
}

func instancePatternsField() Field {
	src := "SDK InstancePatterns"
	ints := func(names ...string) []Field {
		var out []Field
		for _, n := range names {
			out = append(out, pInt(n, span(0, NoMax), src))
		}
		return out
	}
	fs := append(ints("cores", "min_cpu_cores", "max_cpu_cores", "maximum_gpu_amount", "minimum_eni_quantity",
		"minimum_eni_private_ip_address_quantity", "minimum_eni_ipv6_address_quantity"),
		Field{Name: "memory", Type: Number, Source: src, Note: "GiB"},
		Field{Name: "min_memory_size", Type: Number, Source: src, Note: "GiB"},
		Field{Name: "max_memory_size", Type: Number, Source: src, Note: "GiB"},
		pID("instance_family_level", src),
		pIDs("instance_type_families", src),
		pIDs("instance_categories", src),
		pIDs("cpu_architectures", src),
		pIDs("excluded_instance_types", src),
		Field{Name: "architectures", Type: Strings, Unique: true, Len: own(idItems), ItemLen: own(idLen), Source: src, Note: "deprecated"},
		Field{Name: "burst_performance_option", Type: String, Len: own(idLen), Source: src, Note: "deprecated"},
		Field{Name: "core", Type: Int, Range: span(0, NoMax), Source: src, Note: "deprecated"},
		Field{Name: "max_price", Type: Number, Source: src, Note: "deprecated"},
	)
	return Field{Name: "instance_patterns", Type: Objects, Len: own(poolObjList), Source: poolSrc, Fields: fs}
}

func kubernetesConfigField() Field {
	return Field{Name: "kubernetes_config", Type: Object, Default: "{}", Source: poolSrc, Fields: []Field{
		{Name: "labels", Type: Objects, Len: own(labelItems), UniqueBy: []string{"key"}, Source: "SDK Tag, R9",
			Note: "the pool's Node labels", Fields: []Field{
				{Name: "key", Type: String, Required: true, Len: upTo(labelKeyLen, "R9"), Format: FormatLabelKey, Source: "SDK Tag, R9"},
				{Name: "value", Type: String, Len: upTo(labelValueLen, "R9"), Format: FormatLabelValue, Source: "SDK Tag, R9"},
			}},
		{Name: "taints", Type: Objects, Len: own(taintItems), UniqueBy: []string{"key", "effect"}, Source: "SDK Taint, R9", Fields: []Field{
			{Name: "key", Type: String, Required: true, Len: upTo(labelKeyLen, "R9"), Format: FormatLabelKey, Source: "SDK Taint, R9"},
			{Name: "value", Type: String, Len: upTo(labelValueLen, "R9"), Format: FormatLabelValue, Source: "SDK Taint, R9"},
			{Name: "effect", Type: String, Default: `"NoSchedule"`, Enum: taintEffects, Source: "SDK Taint"},
		}},
		{Name: "unschedulable", Type: Bool, Default: "false", Source: poolSrc, Note: "the pool's new Nodes are cordoned"},
		{Name: "cms_enabled", Type: Bool, Default: "false", Source: poolSrc},
		{Name: "cpu_policy", Type: String, Default: `"none"`, Enum: []string{"static", "none"}, Source: poolSrc},
		{Name: "runtime", Type: String, Enum: createRuntimes, DefaultNote: "the cluster's runtime", Source: poolSrc + ", R25, R26"},
		{Name: "runtime_version", Type: String, Len: own(idLen), DefaultNote: "the cluster's version of that runtime", Source: poolSrc + ", R25, R26"},
		{Name: "node_name_mode", Type: String, Len: upTo(64, "R34"), Format: FormatNodeNameMode, Source: poolSrc + ", R34"},
		{Name: "user_data", Type: String, Len: &Bounds{Min: 0, Max: 32768}, Format: FormatBase64, Source: poolSrc + ", R9"},
		{Name: "pre_user_data", Type: String, Len: &Bounds{Min: 0, Max: 32768}, Format: FormatBase64, Inert: true, Source: poolSrc + ", R9"},
	}}
}

func autoScalingField() Field {
	return Field{Name: "auto_scaling", Type: Object, Default: "{}", Source: poolSrc, Note: "ackscale runs no autoscaler", Fields: []Field{
		{Name: "enable", Type: Bool, Default: "false", Source: poolSrc + ", R28"},
		{Name: "min_instances", Type: Int, Default: "0", Range: span(0, 2000), Source: poolSrc + ", R28", Note: "at most max_instances"},
		{Name: "max_instances", Type: Int, Default: "0", Range: span(0, 2000), Source: poolSrc + ", R28", Note: "at least min_instances"},
		{Name: "type", Type: String, Default: `"cpu"`, Enum: []string{"cpu", "gpu", "gpushare", "spot"}, Source: poolSrc + ", R28",
			Note: "cannot change once the pool exists"},
		{Name: "is_bond_eip", Type: Bool, Inert: true, Source: poolSrc, Note: "deprecated"},
		{Name: "eip_bandwidth", Type: Int, Range: span(0, NoMax), Inert: true, Source: poolSrc, Note: "deprecated"},
		{Name: "eip_internet_charge_type", Type: String, Enum: internetChargeTypes, Inert: true, Source: poolSrc, Note: "deprecated"},
	}}
}

func managementField() Field {
	return pObj("management", poolSrc+", R27", inert(
		Field{Name: "enable", Type: Bool, Default: "false", Source: poolSrc},
		Field{Name: "auto_repair", Type: Bool, Default: "true", Source: poolSrc},
		pObj("auto_repair_policy", poolSrc,
			inert(
				Field{Name: "restart_node", Type: Bool, Default: "true", Source: poolSrc},
				pBool("approval_required", poolSrc),
				pID("max_parallel_repairing_nodes", poolSrc),
				pID("max_unhealthy_nodes_threshold", poolSrc),
				Field{Name: "auto_repair_policy_id", Type: String, Len: own(idLen), Source: "SDK ModifyClusterNodePoolRequest, R26",
					Note: "in the modification's model only"},
			)...),
		Field{Name: "auto_upgrade", Type: Bool, Default: "true", Source: poolSrc},
		pObj("auto_upgrade_policy", poolSrc, inert(
			Field{Name: "auto_upgrade_kubelet", Type: Bool, Default: "true", Source: poolSrc},
			Field{Name: "auto_upgrade_os", Type: Bool, Default: "false", Source: poolSrc},
			Field{Name: "auto_upgrade_runtime", Type: Bool, Default: "true", Source: poolSrc},
		)...),
		Field{Name: "auto_vul_fix", Type: Bool, Default: "true", Source: poolSrc},
		pObj("auto_vul_fix_policy", poolSrc, inert(
			Field{Name: "restart_node", Type: Bool, Default: "true", Source: poolSrc},
			pID("vul_level", poolSrc),
			pStr("exclude_packages", textLen, poolSrc),
		)...),
		pBool("auto_fault_diagnosis", poolSrc),
		pBool("drift_enabled", poolSrc),
		pObj("upgrade_config", poolSrc, inert(
			Field{Name: "auto_upgrade", Type: Bool, Source: poolSrc, Note: "deprecated"},
			Field{Name: "max_unavailable", Type: Int, Default: "1", Range: span(1, 1000), Source: poolSrc},
			pInt("surge", span(0, NoMax), poolSrc),
			pInt("surge_percentage", span(0, NoMax), poolSrc),
		)...),
	)...)
}

// nodeConfigField is node_config: the kubelet's settings, kept but for its
// free-form maps, which are only type-checked (R27).
func nodeConfigField() Field {
	src := "SDK KubeletConfig"
	ignoredMap := func(name string) Field { return Field{Name: name, Type: Object, Ignored: true, Source: src + ", R27"} }
	ints := func(names ...string) []Field {
		var out []Field
		for _, n := range names {
			out = append(out, Field{Name: n, Type: Int, Source: src})
		}
		return out
	}
	fs := []Field{
		pIDs("allowedUnsafeSysctls", src),
		{Name: "clusterDNS", Type: Strings, Len: own(idItems), ItemLen: own(idLen), Source: src},
		pID("containerLogMaxSize", src),
		pID("containerLogMonitorInterval", src),
		pBool("cpuCFSQuota", src),
		pID("cpuCFSQuotaPeriod", src),
		pEnum("cpuManagerPolicy", []string{"none", "static"}, src),
		pID("memoryManagerPolicy", src),
		pEnum("topologyManagerPolicy", []string{"none", "best-effort", "restricted", "single-numa-node"}, src),
		pInt("imageGCHighThresholdPercent", span(0, 100), src),
		pInt("imageGCLowThresholdPercent", span(0, 100), src),
		pInt("readOnlyPort", span(0, 65535), src),
		pBool("serializeImagePulls", src),
		pBool("serverTLSBootstrap", src),
		ignoredMap("evictionHard"), ignoredMap("evictionSoft"), ignoredMap("evictionSoftGracePeriod"),
		ignoredMap("featureGates"), ignoredMap("kubeReserved"), ignoredMap("systemReserved"),
		{Name: "reservedMemory", Type: Objects, Len: own(poolObjList), Source: src, Fields: []Field{
			pInt("numaNode", span(0, NoMax), src), {Name: "limits", Type: Object, Ignored: true, Source: src + ", R27"},
		}},
		pObj("tracing", src, pStr("endpoint", pathLen, src), pInt("samplingRatePerMillion", span(0, 1000000), src)),
	}
	fs = append(fs, ints("containerLogMaxFiles", "containerLogMaxWorkers", "eventBurst", "eventRecordQPS", "kubeAPIBurst",
		"kubeAPIQPS", "maxPods", "podPidsLimit", "registryBurst", "registryPullQPS")...)
	return Field{Name: "node_config", Type: Object, Source: poolSrc + ", R27", Fields: []Field{
		{Name: "kubelet_configuration", Type: Object, Source: src, Fields: inert(fs...)},
	}}
}

func nodeComponentsField() Field {
	return Field{Name: "node_components", Type: Objects, Len: own(poolObjList), UniqueBy: []string{"name"}, Source: poolSrc + ", R27", Fields: inert(
		pID("name", poolSrc),
		pID("version", poolSrc),
		pObj("config", poolSrc,
			Field{Name: "custom_config", Type: Object, Ignored: true, Source: poolSrc + ", R27"},
			Field{Name: "envs", Type: Objects, Len: own(idItems), UniqueBy: []string{"name"}, Source: poolSrc, Fields: []Field{
				{Name: "name", Type: String, Required: true, Len: own(idLen), Source: poolSrc},
				pStr("value", textLen, poolSrc),
			}}),
	)}
}

// modifyPoolFields are the fields of ModifyClusterNodePoolRequest: the
// create model's without the fields only a new pool takes, nothing
// required and no defaults (what is absent stays as it is), and the
// modification's own fields.
func modifyPoolFields() []Field {
	fs := []Field{
		nodepoolInfoField(false),
		scalingGroupField(false),
		kubernetesConfigField(),
		autoScalingField(),
		managementField(),
		pObj("tee_config", poolSrc, inert(pBool("tee_enable", poolSrc))...),
		pObj("eflo_node_group", poolSrc+", R27", Field{Name: "auto_attach_enabled", Type: String, Enum: trueFalse, Inert: true,
			Source: poolSrc + ", R28", Note: "a string in this model; the pool keeps a boolean"}),
	}
	// A field the create model makes required stays non-empty: a
	// modification cannot empty it.
	poolEmpty(fs)
	for i := range fs {
		loosen(&fs[i])
	}
	return append(fs, poolEmpty([]Field{
		{Name: "update_nodes", Type: Bool, Default: "false", Source: poolSrc, Note: "the existing Nodes take the new labels, taints and unschedulable mark"},
		{Name: "concurrency", Type: Bool, Default: "false", Source: poolSrc, Note: "not acted on"},
		{Name: "count", Type: Int, Range: span(1, maxNodesPerCall), Source: "R31",
			Note: "Terraform's deprecated node_count increase: nodes to add; not with scaling_group.desired_size"},
	})...)
}

// loosen makes f and the fields of its objects (not of its lists' items,
// which a modification replaces whole) optional and without defaults.
func loosen(f *Field) {
	f.Required, f.Default, f.DefaultNote = false, "", ""
	if f.Type == Object {
		for i := range f.Fields {
			loosen(&f.Fields[i])
		}
	}
}

// maxNodesPerCall is how many nodes one call may add to a pool (R31).
const maxNodesPerCall = 500
