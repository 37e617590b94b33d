package rules

import (
	"slices"
	"strconv"
	"strings"

	"github.com/ackscale/ackscale"
)

// The dotted names of the node pool fields the checks read.
const (
	sgPassword = "scaling_group.login_password"
	sgKeyPair  = "scaling_group.key_pair"
	sgDesired  = "scaling_group.desired_size"
	poolCreds  = sgPassword + "," + sgKeyPair
)

// createPoolTable is CreateClusterNodePool, on a cluster of any profile;
// NodePool also validates a pool's configuration merged with a
// modification against it.
func createPoolTable() Table {
	return Table{
		Op: OpCreateNodePool, Route: "POST " + poolRoute,
		Title:  "CreateClusterNodePool (SDK model CreateClusterNodePoolRequest), and a pool's configuration after a modification: R26–R30",
		Fields: createPoolFields(),
		Checks: []Check{
			poolPrepaidCheck(),
			poolWeekCheck(),
			poolCredentialsCheck(),
			containerOSCheck(),
			privatePoolCheck(),
			autoScalingBoundsCheck(),
			desiredSizeCheck(),
			poolTypesCheck(),
			poolQuotaCheck(),
			sandboxRuntimeCheck(),
			poolRuntimeCheck(),
			{
				Name: "vswitches", Rule: "each vSwitch exists and lies in the cluster's region and VPC", Cloud: true,
				Fields: []string{"scaling_group.vswitch_ids"}, Codes: []string{ackscale.CodeVSwitchNotFound, ackscale.CodeInvalidParameter}, Source: poolSrc,
				fn: func(s *state) error {
					return checkVSwitches(s, s.v.obj("scaling_group").strs("vswitch_ids"), "scaling_group.vswitch_ids", poolSrc)
				},
			},
			{
				Name: "instance-type-kind", Rule: "each instance type exists and is of the kind the cluster's pools take: ebm on a sandbox cluster, else ecs",
				Cloud: true, Fields: []string{"scaling_group.instance_types"}, Codes: []string{ackscale.CodeInstanceTypeNotFound}, Source: poolSrc + ", R19, R26",
				fn: func(s *state) error {
					return checkKindsOf(s, s.v.obj("scaling_group").strs("instance_types"), "scaling_group.instance_types", true, poolKind(s), poolSrc+", R19, R26")
				},
			},
			{
				Name: "image", Rule: "the image exists, and a system disk size sent is at least the image size", Cloud: true,
				Fields: []string{"scaling_group.image_id", "scaling_group.system_disk_size"},
				Codes:  []string{ackscale.CodeImageNotFound, ackscale.CodeDiskTooSmall}, Source: poolSrc + ", R6",
				fn: func(s *state) error {
					sg := s.v.obj("scaling_group")
					return checkImage(s, sg, "image_id", "system_disk_size", 0, true, sg.has("system_disk_size"), poolKind(s), "scaling_group.", poolSrc+", R6")
				},
			},
			{
				Name: "key-pair", Rule: "a key_pair exists in the cluster's region", Cloud: true, Fields: []string{sgKeyPair},
				Codes: []string{ackscale.CodeKeyPairNotFound}, Source: poolSrc,
				fn: func(s *state) error {
					kp := s.v.obj("scaling_group").str("key_pair")
					if kp == "" || s.c.KeyPairExists(s.region(), kp) {
						return nil
					}
					return keyPairErr(s, sgKeyPair, kp, "", poolSrc)
				},
			},
		},
		build: buildNodePool,
	}
}

// poolKind is the kind of a pool's instances: ebm on a sandbox cluster,
// else ecs (R19).
func poolKind(s *state) ackscale.InstanceKind {
	if s.t.Profile == ackscale.ProfileSandbox {
		return ackscale.KindEBM
	}
	return ackscale.KindECS
}

func poolPrepaidCheck() Check {
	src := poolSrc + ", R35"
	return Check{
		Name: "prepaid-period", Rule: "when scaling_group.instance_charge_type is PrePaid, scaling_group.period is required",
		Fields: []string{"scaling_group.instance_charge_type", "scaling_group.period"}, Codes: []string{ackscale.CodeMissingParameter}, Source: src,
		fn: func(s *state) error {
			if sg := s.v.obj("scaling_group"); sg.str("instance_charge_type") == "PrePaid" && !sg.has("period") {
				return errorf(ackscale.CodeMissingParameter, "scaling_group.period", src, "required when instance_charge_type is PrePaid")
			}
			return nil
		},
	}
}

func poolWeekCheck() Check {
	src := poolSrc + ", R35"
	return Check{
		Name: "week-periods", Rule: "when scaling_group.period_unit is Week, scaling_group.period is 1, 2, 3 or 4 and scaling_group.auto_renew_period 1, 2 or 3",
		Fields: []string{"scaling_group.period_unit", "scaling_group.period", "scaling_group.auto_renew_period"},
		Codes:  []string{ackscale.CodeNotInEnum}, Source: src,
		fn: func(s *state) error {
			sg := s.v.obj("scaling_group")
			if sg.str("period_unit") != "Week" {
				return nil
			}
			for _, c := range []struct {
				field string
				valid []string
			}{{"period", poolWeekPeriods}, {"auto_renew_period", poolWeekRenewals}} {
				if n := sg.int(c.field); sg.has(c.field) && !slices.Contains(c.valid, strconv.Itoa(n)) {
					return errorf(ackscale.CodeNotInEnum, "scaling_group."+c.field, src, "%d is not one of %s when period_unit is Week", n, strings.Join(c.valid, ", "))
				}
			}
			return nil
		},
	}
}

// poolCredentialsCheck is ruling 4 for pools, with R29's kept password.
func poolCredentialsCheck() Check {
	src := poolSrc + ", R29"
	return Check{
		Name: "credentials", Rule: "exactly one of scaling_group.login_password and scaling_group.key_pair; a modified pool that logs in with a password keeps it",
		Fields: []string{sgPassword, sgKeyPair}, Codes: []string{ackscale.CodeConflict, ackscale.CodeMissingParameter}, Source: src,
		fn: func(s *state) error {
			sg := s.v.obj("scaling_group")
			lp, kp := sg.has("login_password"), sg.has("key_pair")
			switch {
			case lp && kp:
				return errorf(ackscale.CodeConflict, poolCreds, src, "send exactly one of login_password and key_pair, not both")
			case !lp && !kp && !s.poolHasPassword():
				return errorf(ackscale.CodeMissingParameter, poolCreds, src, "send exactly one of login_password and key_pair")
			}
			return nil
		},
	}
}

func containerOSCheck() Check {
	src := poolSrc + ", R29"
	return Check{
		Name: "container-os-key-pair", Rule: "a pool whose scaling_group.image_type is ContainerOS logs in with a key pair, not a login password",
		Fields: []string{"scaling_group.image_type", sgPassword}, Codes: []string{ackscale.CodeConflict}, Source: src,
		fn: func(s *state) error {
			if s.v.obj("scaling_group").str("image_type") == "ContainerOS" && s.poolHasPassword() {
				return errorf(ackscale.CodeConflict, sgPassword, src, "a ContainerOS pool takes key_pair only, not a login password")
			}
			return nil
		},
	}
}

func privatePoolCheck() Check {
	return Check{
		Name: "private-pool-id", Rule: "when scaling_group.private_pool_options.match_criteria is Target, scaling_group.private_pool_options.id is required",
		Fields: []string{"scaling_group.private_pool_options.match_criteria", "scaling_group.private_pool_options.id"},
		Codes:  []string{ackscale.CodeMissingParameter}, Source: poolSrc,
		fn: func(s *state) error {
			if o := s.v.obj("scaling_group").obj("private_pool_options"); o.str("match_criteria") == "Target" && !o.has("id") {
				return errorf(ackscale.CodeMissingParameter, "scaling_group.private_pool_options.id", poolSrc, "required when match_criteria is Target")
			}
			return nil
		},
	}
}

func autoScalingBoundsCheck() Check {
	src := poolSrc + ", R28"
	return Check{
		Name: "auto-scaling-bounds", Rule: "when auto_scaling.enable is true, auto_scaling.min_instances is at most auto_scaling.max_instances",
		Fields: []string{"auto_scaling.min_instances", "auto_scaling.max_instances"}, Codes: []string{ackscale.CodeOutOfRange}, Source: src,
		fn: func(s *state) error {
			as := s.v.obj("auto_scaling")
			if min, max := as.int("min_instances"), as.int("max_instances"); as.bool("enable") && max < min {
				return errorf(ackscale.CodeOutOfRange, "auto_scaling.max_instances", src, "%d is less than min_instances %d; it must be in [min_instances, 2000]", max, min)
			}
			return nil
		},
	}
}

// desiredField is the field that set the desired size: desired_size, or
// the deprecated count.
func (s *state) desiredField() string {
	if !s.v.obj("scaling_group").has("desired_size") && s.v.has("count") {
		return "count"
	}
	return sgDesired
}

func desiredSizeCheck() Check {
	src := poolSrc + ", R28"
	return Check{
		Name: "desired-size-in-auto-scaling", Rule: "when auto_scaling.enable is true, the desired size is within [auto_scaling.min_instances, auto_scaling.max_instances]",
		Fields: []string{sgDesired, "count"}, Codes: []string{ackscale.CodeOutOfRange}, Source: src,
		fn: func(s *state) error {
			as, n := s.v.obj("auto_scaling"), s.desiredSize()
			if min, max := as.int("min_instances"), as.int("max_instances"); as.bool("enable") && (n < min || n > max) {
				return errorf(ackscale.CodeOutOfRange, s.desiredField(), src,
					"%d is not in [%d, %d]: with auto scaling on, the desired size lies within auto_scaling.min_instances and max_instances", n, min, max)
			}
			return nil
		},
	}
}

// poolTypesCheck is R28: a modification keeps the pool's types.
func poolTypesCheck() Check {
	src := "R28"
	return Check{
		Name: "types-unchanged", Rule: "when a modification is validated, nodepool_info.type and auto_scaling.type are the pool's",
		Fields: []string{"nodepool_info.type", "auto_scaling.type"}, Codes: []string{ackscale.CodeInvalidParameter}, Source: src,
		fn: func(s *state) error {
			p := s.t.Pool
			if p == nil {
				return nil
			}
			for _, c := range []struct{ field, got, was string }{
				{"nodepool_info.type", s.v.obj("nodepool_info").str("type"), or(p.Type, ackscale.NodePoolTypeESS)},
				{"auto_scaling.type", s.v.obj("auto_scaling").str("type"), or(p.AutoScaling.Type, "cpu")},
			} {
				if c.got != c.was {
					return errorf(ackscale.CodeInvalidParameter, c.field, src, "cannot change once the node pool exists: it is %s, not %s", c.was, c.got)
				}
			}
			return nil
		},
	}
}

// poolQuotaCheck is ruling 9 for a pool's desired size.
func poolQuotaCheck() Check {
	src := "R26"
	return Check{
		Name: "quota", Rule: "the cluster's other workers plus the desired size must not pass the quota of workers per cluster (default 1000)",
		Fields: []string{sgDesired, "count"}, Codes: []string{ackscale.CodeQuotaExceeded}, Source: src,
		fn: func(s *state) error {
			if n, max := s.desiredSize(), s.t.maxWorkers(); n > max-s.t.Workers {
				return errorf(ackscale.CodeQuotaExceeded, s.desiredField(), src,
					"a pool of %d workers beside the cluster's other %d would pass the quota of %d workers per cluster", n, s.t.Workers, max)
			}
			return nil
		},
	}
}

func sandboxRuntimeCheck() Check {
	src := "R26"
	return Check{
		Name: "sandboxed-runtime", Rule: "kubernetes_config.runtime Sandboxed-Container.runv only on a sandbox cluster (runtime Sandboxed-Container.runv)",
		Fields: []string{"kubernetes_config.runtime"}, Codes: []string{ackscale.CodeNotInEnum}, Source: src,
		fn: func(s *state) error {
			if s.poolRuntime().Name == ackscale.RuntimeSandboxed && s.t.Profile != ackscale.ProfileSandbox {
				return errorf(ackscale.CodeNotInEnum, "kubernetes_config.runtime", src, "%s runs on sandbox clusters only; valid values: %s",
					ackscale.RuntimeSandboxed, strings.Join(scaleRuntimes, ", "))
			}
			return nil
		},
	}
}

func poolRuntimeCheck() Check {
	return Check{
		Name: "runtime", Rule: "kubernetes_config.runtime is a runtime the cloud offers, and kubernetes_config.runtime_version, when sent, one of its versions",
		Cloud: true, Fields: []string{"kubernetes_config.runtime", "kubernetes_config.runtime_version"}, Codes: []string{ackscale.CodeNotInEnum}, Source: "R25",
		fn: func(s *state) error {
			kc := s.v.obj("kubernetes_config")
			if !kc.has("runtime") && !kc.has("runtime_version") {
				return nil // the cluster's own
			}
			return checkRuntime(s, s.poolRuntime().Name, kc.str("runtime_version"), "kubernetes_config.runtime", "kubernetes_config.runtime_version", createRuntimes)
		},
	}
}

// modifyPoolTable is ModifyClusterNodePool.
func modifyPoolTable() Table {
	return Table{
		Op: OpModifyNodePool, Route: "PUT " + poolIDRoute,
		Title:  "ModifyClusterNodePool (SDK model ModifyClusterNodePoolRequest): R28, R29, R31",
		Fields: modifyPoolFields(),
		Checks: []Check{
			{
				Name: "count-or-desired-size", Rule: "count and scaling_group.desired_size are not sent together",
				Fields: []string{sgDesired, "count"}, Codes: []string{ackscale.CodeConflict}, Source: "R31",
				fn: func(s *state) error {
					if s.v.has("count") && s.v.obj("scaling_group").has("desired_size") {
						return errorf(ackscale.CodeConflict, "count", "R31", "cannot be sent with scaling_group.desired_size: send one size")
					}
					return nil
				},
			},
			{
				Name: "credentials", Rule: "at most one of scaling_group.login_password and scaling_group.key_pair; the one sent replaces the pool's",
				Fields: []string{sgPassword, sgKeyPair}, Codes: []string{ackscale.CodeConflict}, Source: poolSrc + ", R29",
				fn: func(s *state) error {
					if sg := s.v.obj("scaling_group"); sg.has("login_password") && sg.has("key_pair") {
						return errorf(ackscale.CodeConflict, poolCreds, poolSrc+", R29", "send at most one of login_password and key_pair, not both")
					}
					return nil
				},
			},
		},
		build: buildModifyNodePool,
	}
}

// scalePoolTable is ScaleClusterNodePool.
func scalePoolTable() Table {
	return Table{
		Op: OpScaleNodePool, Route: "POST " + poolIDRoute,
		Title: "ScaleClusterNodePool (SDK model ScaleClusterNodePoolRequest): R31",
		Fields: []Field{
			{Name: "count", Type: Int, Required: true, Range: span(1, maxNodesPerCall), Source: poolSrc + ", R31",
				Note: "nodes to add; also limited by the quota of workers per cluster and the pool's auto-scaling bounds"},
		},
		build: buildScaleNodePool,
	}
}

// removePoolNodesTable is RemoveNodePoolNodes: its query parameters.
func removePoolNodesTable() Table {
	src := poolSrc + ", R32"
	return Table{
		Op: OpRemoveNodePoolNodes, Route: "DELETE " + poolIDRoute + "/nodes",
		Title: "RemoveNodePoolNodes (SDK model RemoveNodePoolNodesRequest): its query parameters as one JSON object, R32",
		Fields: []Field{
			{Name: "nodes", Type: Strings, Unique: true, EmptyIsAbsent: true, Len: own(nodeItems), ItemLen: upTo(253, "R18"), Format: FormatNodeName,
				Source: src + ", R18", Note: "node names (deprecated in the model for instance_ids)"},
			{Name: "instance_ids", Type: Strings, Unique: true, EmptyIsAbsent: true, Len: own(nodeItems), ItemLen: own(idLen), Source: src},
			{Name: "release_node", Type: Bool, Default: "false", Source: src},
			{Name: "drain_node", Type: Bool, Default: "false", Source: src},
			{Name: "concurrency", Type: Bool, Default: "false", Source: poolSrc, Note: "not acted on"},
		},
		Checks: []Check{{
			Name: "nodes-or-instance-ids", Rule: "at least one of nodes and instance_ids",
			Fields: []string{"nodes", "instance_ids"}, Codes: []string{ackscale.CodeMissingParameter}, Source: src,
			fn: func(s *state) error {
				if !s.v.has("nodes") && !s.v.has("instance_ids") {
					return errorf(ackscale.CodeMissingParameter, "nodes,instance_ids", src, "send the nodes to remove in nodes or instance_ids")
				}
				return nil
			},
		}},
		build: buildRemoveNodePoolNodes,
	}
}
