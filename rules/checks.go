package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ackscale/ackscale"
)

// credFields is the Field of errors about login_password/key_pair together.
const credFields = "login_password,key_pair"

func (v values) has(name string) bool { _, ok := v[name]; return ok }
func (v values) int(name string) int  { n, _ := v[name].(int64); return int(n) }
func (v values) str(name string) string {
	s, _ := v[name].(string)
	return s
}
func (v values) bool(name string) bool { b, _ := v[name].(bool); return b }
func (v values) strs(name string) []string {
	l, _ := v[name].([]string)
	return l
}
func (v values) obj(name string) values    { o, _ := v[name].(values); return o }
func (v values) list(name string) []values { l, _ := v[name].([]values); return l }

// names returns a string field as a list of one, or a list field.
func (v values) names(name string) []string {
	if s := v.str(name); s != "" {
		return []string{s}
	}
	return v.strs(name)
}

// region is the cluster's region, or the region a create body names.
func (s *state) region() string {
	if s.t.RegionID != "" {
		return s.t.RegionID
	}
	return s.v.str("region_id")
}

func errorf(code, field, src, format string, args ...any) error {
	return ackscale.FieldErrorf(code, field, "%s: %s%s", field, fmt.Sprintf(format, args...), seeDocs(src))
}

func prepaidCheck(src string) Check {
	return Check{
		Name:   "prepaid-period",
		Rule:   "when worker_instance_charge_type is PrePaid, worker_period and worker_period_unit are required",
		Fields: []string{"worker_instance_charge_type", "worker_period", "worker_period_unit"},
		Codes:  []string{ackscale.CodeMissingParameter}, Source: src,
		fn: func(s *state) error {
			if s.v.str("worker_instance_charge_type") != "PrePaid" {
				return nil
			}
			for _, f := range []string{"worker_period", "worker_period_unit"} {
				if !s.v.has(f) {
					return errorf(ackscale.CodeMissingParameter, f, src, "required when worker_instance_charge_type is PrePaid")
				}
			}
			return nil
		},
	}
}

// autoRenewCheck: the renewal period is required with auto-renewal (and,
// when prepaid is set, only for PrePaid workers).
func autoRenewCheck(prepaid bool, src string) Check {
	rule := "when worker_auto_renew is true, worker_auto_renew_period is required"
	if prepaid {
		rule = "when worker_instance_charge_type is PrePaid and worker_auto_renew is true, worker_auto_renew_period is required"
	}
	return Check{
		Name: "auto-renew-period", Rule: rule,
		Fields: []string{"worker_auto_renew", "worker_auto_renew_period"},
		Codes:  []string{ackscale.CodeMissingParameter}, Source: src,
		fn: func(s *state) error {
			on := s.v.bool("worker_auto_renew") && (!prepaid || s.v.str("worker_instance_charge_type") == "PrePaid")
			if on && !s.v.has("worker_auto_renew_period") {
				return errorf(ackscale.CodeMissingParameter, "worker_auto_renew_period", src, "required when worker_auto_renew is true")
			}
			return nil
		},
	}
}

// credentialsCheck is ruling 4: exactly one of login_password and key_pair
// (at most one when optional returns true).
func credentialsCheck(src string, optional func(*state) bool) Check {
	rule := "exactly one of login_password and key_pair"
	if optional != nil {
		rule = "at most one of login_password and key_pair; exactly one for a dedicated cluster (cluster_type Kubernetes) or when workers are created"
	}
	return Check{
		Name: "credentials", Rule: rule, Fields: []string{"login_password", "key_pair"},
		Codes: []string{ackscale.CodeConflict, ackscale.CodeMissingParameter}, Source: src,
		fn: func(s *state) error {
			lp, kp := s.v.has("login_password"), s.v.has("key_pair")
			switch {
			case lp && kp:
				return errorf(ackscale.CodeConflict, credFields, src, "send exactly one of login_password and key_pair, not both")
			case !lp && !kp && (optional == nil || !optional(s)):
				return errorf(ackscale.CodeMissingParameter, credFields, src, "send exactly one of login_password and key_pair")
			}
			return nil
		},
	}
}

func (t Target) maxWorkers() int {
	if t.MaxWorkers != nil {
		return *t.MaxWorkers
	}
	return DefaultMaxWorkers
}

// quotaCheck is ruling 9.
func quotaCheck(src string) Check {
	return Check{
		Name: "quota", Rule: "the cluster's workers plus count must not pass the quota of workers per cluster (default 1000)",
		Fields: []string{"count"}, Codes: []string{ackscale.CodeQuotaExceeded}, Source: src,
		fn: func(s *state) error {
			n, max := s.v.int("count"), s.t.maxWorkers()
			if n > max-s.t.Workers {
				return errorf(ackscale.CodeQuotaExceeded, "count", src,
					"adding %d workers to the cluster's %d would pass the quota of %d workers per cluster", n, s.t.Workers, max)
			}
			return nil
		},
	}
}

// dataDiskFlagCheck is R8.
func dataDiskFlagCheck(src string) Check {
	return Check{
		Name: "data-disk-flag", Rule: "worker_data_disk, when sent, agrees with worker_data_disks: true needs at least one disk, false allows none",
		Fields: []string{"worker_data_disk", "worker_data_disks"},
		Codes:  []string{ackscale.CodeMissingParameter, ackscale.CodeConflict}, Source: src,
		fn: func(s *state) error {
			n := len(s.v.list("worker_data_disks"))
			switch flag := s.v.bool("worker_data_disk"); {
			case !s.given["worker_data_disk"]:
			case flag && n == 0:
				return errorf(ackscale.CodeMissingParameter, "worker_data_disks", src, "required when worker_data_disk is true")
			case !flag && n > 0:
				return errorf(ackscale.CodeConflict, "worker_data_disk", src, "false, but worker_data_disks lists %d disks", n)
			}
			return nil
		},
	}
}

// instanceTypesCheck is R5: without worker_instance_types the cluster's are used.
func instanceTypesCheck(src string) Check {
	return Check{
		Name: "instance-types", Rule: "worker_instance_types is required when the cluster has no default worker instance types",
		Fields: []string{"worker_instance_types"}, Codes: []string{ackscale.CodeMissingParameter}, Source: src,
		fn: func(s *state) error {
			if !s.v.has("worker_instance_types") && len(s.t.Defaults.WorkerInstanceTypes) == 0 {
				return errorf(ackscale.CodeMissingParameter, "worker_instance_types", src, "required: the cluster has no default worker instance types")
			}
			return nil
		},
	}
}

// vswitchCheck is ruling 16: each vSwitch of the fields (lists of
// vSwitch ids) exists and is in the cluster's VPC.
func vswitchCheck(src string, fields ...string) Check {
	return Check{
		Name: "vswitches", Rule: "each vSwitch exists and lies in the cluster's region and VPC", Cloud: true,
		Fields: fields, Codes: []string{ackscale.CodeVSwitchNotFound, ackscale.CodeInvalidParameter}, Source: src,
		fn: func(s *state) error {
			for _, f := range fields {
				if err := checkVSwitches(s, s.v.strs(f), f, src); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// checkVSwitches: each of ids, the items of field, exists and lies in the
// cluster's region and VPC.
func checkVSwitches(s *state, ids []string, field, src string) error {
	for i, id := range ids {
		name := fmt.Sprintf("%s[%d]", field, i)
		region, vpc, ok := s.c.VSwitchVPC(id)
		if !ok {
			return errorf(ackscale.CodeVSwitchNotFound, name, src, "vSwitch %q does not exist; %s", id, clusterVSwitches(s))
		}
		if region != s.t.RegionID || s.t.VPCID != "" && vpc != s.t.VPCID {
			return errorf(ackscale.CodeInvalidParameter, name, src,
				"vSwitch %q is in VPC %s (%s), not in the cluster's VPC %s (%s); %s", id, vpc, region, s.t.VPCID, s.t.RegionID, clusterVSwitches(s))
		}
	}
	return nil
}

// clusterVSwitches lists the vSwitches of the cluster's VPC, for a message.
func clusterVSwitches(s *state) string { return vswitchesOf(s, s.t.RegionID, s.t.VPCID) }

// vswitchesOf lists the vSwitches of a VPC of a region (of the region when
// vpc is ""), for a message.
func vswitchesOf(s *state, regionID, vpc string) string {
	if vpc == "" {
		return fmt.Sprintf("vSwitches of region %s: %s", regionID, someOf(s.c.VSwitchIDs(regionID, "")))
	}
	return fmt.Sprintf("vSwitches of VPC %s in region %s: %s", vpc, regionID, someOf(s.c.VSwitchIDs(regionID, vpc)))
}

// kindCheck is ruling 16: instance types exist and are of the profile's kind.
func kindCheck(kind func(*state) ackscale.InstanceKind, src string, fields ...string) Check {
	return Check{
		Name: "instance-type-kind", Rule: "each instance type exists and is of the kind the cluster takes (ecs, ens or ebm)", Cloud: true,
		Fields: fields, Codes: []string{ackscale.CodeInstanceTypeNotFound}, Source: src,
		fn: func(s *state) error {
			for _, f := range fields {
				if err := checkKinds(s, f, kind(s), src); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func checkKinds(s *state, field string, want ackscale.InstanceKind, src string) error {
	_, isList := s.v[field].([]string)
	return checkKindsOf(s, s.v.names(field), field, isList, want, src)
}

// checkKindsOf: each of names, field's value or (list) items, exists and
// is of kind want.
func checkKindsOf(s *state, names []string, field string, list bool, want ackscale.InstanceKind, src string) error {
	for i, name := range names {
		path := field
		if list {
			path = fmt.Sprintf("%s[%d]", field, i)
		}
		got, ok := s.c.InstanceTypeKind(name)
		if !ok {
			return errorf(ackscale.CodeInstanceTypeNotFound, path, src, "instance type %q does not exist; this cluster takes %s instance types: %s",
				name, want, someOf(s.c.InstanceTypeNames(want)))
		}
		if got != want {
			return errorf(ackscale.CodeInstanceTypeNotFound, path, src, "%q is an %s instance type; this cluster takes %s instance types: %s",
				name, got, want, someOf(s.c.InstanceTypeNames(want)))
		}
	}
	return nil
}

func kindOf(k ackscale.InstanceKind) func(*state) ackscale.InstanceKind {
	return func(*state) ackscale.InstanceKind { return k }
}

// imageCheck is rulings 5 and 16: the image exists and the system disk
// (when sent) is at least its size and at least floor. With fallback the
// cluster's worker image stands in for an absent image field. kind is the
// kind of the workers, whose images a message lists.
func imageCheck(imageField, diskField string, floor int, fallback bool, kind func(*state) ackscale.InstanceKind, src string) Check {
	return Check{
		Name: "image", Rule: imageRule(floor),
		Cloud: true, Fields: nonEmpty(imageField, diskField),
		Codes: []string{ackscale.CodeImageNotFound, ackscale.CodeDiskTooSmall}, Source: src,
		fn: func(s *state) error {
			return checkImage(s, s.v, imageField, diskField, floor, fallback, s.given[diskField], kind(s), "", src)
		},
	}
}

// checkImage is imageCheck on the fields of v, whose errors name them
// after prefix; diskSent says whether the disk size was sent.
func checkImage(s *state, v values, imageField, diskField string, floor int, fallback, diskSent bool, kind ackscale.InstanceKind, prefix, src string) error {
	id, sent := v.str(imageField), true
	if id == "" && fallback {
		id, sent = s.t.Defaults.WorkerImageID, false
	}
	size, ok := s.c.ImageSizeGiB(id)
	switch {
	case id == "" || !ok && !sent:
		return nil
	case !ok:
		return errorf(ackscale.CodeImageNotFound, prefix+imageField, src, "image %q does not exist; images for %s instances: %s",
			id, kind, someOf(s.c.ImageIDs(kind)))
	}
	if disk := v.int(diskField); diskSent && disk < max(size, floor) {
		return errorf(ackscale.CodeDiskTooSmall, prefix+diskField, src, "%d GiB is smaller than the %d GiB of image %s", disk, max(size, floor), id)
	}
	return nil
}

// keyPairCheck is rulings 4 and 16 (and R11 with ens).
func keyPairCheck(ens bool, src string) Check {
	rule := "a key_pair exists in the cluster's region"
	if ens {
		rule = "a key_pair exists in the cluster's region or in the ENS region"
	}
	return Check{
		Name: "key-pair", Rule: rule, Cloud: true, Fields: []string{"key_pair"},
		Codes: []string{ackscale.CodeKeyPairNotFound}, Source: src,
		fn: func(s *state) error {
			kp, ensRegion := s.v.str("key_pair"), ""
			if ens {
				ensRegion = s.v.str("ens_region_id")
			}
			if kp == "" || s.c.KeyPairExists(s.region(), kp) || ensRegion != "" && s.c.KeyPairExists(ensRegion, kp) {
				return nil
			}
			return keyPairErr(s, "key_pair", kp, ensRegion, src)
		},
	}
}

// keyPairErr says that key pair kp exists neither in the cluster's region
// nor (when not "") in ensRegion, and lists the key pairs that do.
func keyPairErr(s *state, field, kp, ensRegion, src string) error {
	where, names := "region "+s.region(), s.c.KeyPairNames(s.region())
	if ensRegion != "" {
		where += " or ENS region " + ensRegion
		for _, n := range s.c.KeyPairNames(ensRegion) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	return errorf(ackscale.CodeKeyPairNotFound, field, src, "key pair %q does not exist in %s; its key pairs: %s", kp, where, someOf(names))
}

func ensRegionCheck(src string) Check {
	return Check{
		Name: "ens-region", Rule: "ens_region_id names an existing ENS region", Cloud: true,
		Fields: []string{"ens_region_id"}, Codes: []string{ackscale.CodeENSRegionNotFound}, Source: src,
		fn: func(s *state) error {
			if id := s.v.str("ens_region_id"); !s.c.ENSRegionExists(id) {
				return errorf(ackscale.CodeENSRegionNotFound, "ens_region_id", src, "ENS region %q does not exist; ENS regions: %s", id, someOf(s.c.ENSRegionIDs()))
			}
			return nil
		},
	}
}

// legacyCredentialCheck is ruling 3 and R10: the legacy PUT proves it knows
// the cluster's credential.
func legacyCredentialCheck(src string) Check {
	return Check{
		Name: "credential-match", Rule: "login_password equals the cluster's creation password; key_pair names the cluster's key pair",
		Fields: []string{"login_password", "key_pair"}, Codes: []string{ackscale.CodePasswordMismatch}, Source: src,
		fn: func(s *state) error {
			if s.v.has("login_password") {
				return passwordMatch(s, src)
			}
			switch kp := s.v.str("key_pair"); {
			case s.t.Defaults.KeyPair == "":
				return errorf(ackscale.CodePasswordMismatch, "key_pair", src, "the cluster was created with a login password, not a key pair; send login_password")
			case kp != s.t.Defaults.KeyPair:
				return errorf(ackscale.CodePasswordMismatch, "key_pair", src, "%q is not the key pair the cluster was created with", kp)
			}
			return nil
		},
	}
}

func passwordMatch(s *state, src string) error {
	switch {
	case s.t.PasswordMatches == nil:
		return errorf(ackscale.CodePasswordMismatch, "login_password", src, "the cluster has no login password (it was created with a key pair); send key_pair")
	case !s.t.PasswordMatches(s.v.str("login_password")):
		return errorf(ackscale.CodePasswordMismatch, "login_password", src, "does not match the password the cluster was created with")
	}
	return nil
}

// noChangeCheck is ruling 10.
func noChangeCheck(src string) Check {
	return Check{
		Name: "no-change", Rule: "num_of_nodes differs from the cluster's current worker count",
		Fields: []string{"num_of_nodes"}, Codes: []string{ackscale.CodeNoChange}, Source: src,
		fn: func(s *state) error {
			if n := s.v.int("num_of_nodes"); n == s.t.Workers {
				return errorf(ackscale.CodeNoChange, "num_of_nodes", src, "%d equals the cluster's current worker count; there is nothing to scale", n)
			}
			return nil
		},
	}
}

// legacyQuotaCheck is ruling 9 for an absolute count.
func legacyQuotaCheck(src string) Check {
	return Check{
		Name: "quota", Rule: "num_of_nodes must not pass the quota of workers per cluster (default 1000)",
		Fields: []string{"num_of_nodes"}, Codes: []string{ackscale.CodeQuotaExceeded}, Source: src,
		fn: func(s *state) error {
			if n, max := s.v.int("num_of_nodes"), s.t.maxWorkers(); n > max {
				return errorf(ackscale.CodeQuotaExceeded, "num_of_nodes", src, "%d workers would pass the quota of %d workers per cluster", n, max)
			}
			return nil
		},
	}
}

// legacyTypeCheck is R1: a legacy scale-out needs an instance type.
func legacyTypeCheck(src string) Check {
	return Check{
		Name: "instance-type", Rule: "a scale-out needs worker_instance_type, unless the cluster has a default worker instance type",
		Fields: []string{"worker_instance_type"}, Codes: []string{ackscale.CodeMissingParameter}, Source: src,
		fn: func(s *state) error {
			out := s.v.int("num_of_nodes") > s.t.Workers
			if out && !s.v.has("worker_instance_type") && len(s.t.Defaults.WorkerInstanceTypes) == 0 {
				return errorf(ackscale.CodeMissingParameter, "worker_instance_type", src, "required to scale out: the cluster has no default worker instance type")
			}
			return nil
		},
	}
}

// conflictCheck: fields that must not be sent together.
func conflictCheck(name, rule string, a []string, b []string, src string) Check {
	return Check{
		Name: name, Rule: rule, Fields: append(slices.Clone(a), b...),
		Codes: []string{ackscale.CodeConflict}, Source: src,
		fn: func(s *state) error {
			fa, fb := firstSet(s, a), firstSet(s, b)
			if fa != "" && fb != "" {
				return errorf(ackscale.CodeConflict, fb, src, "cannot be sent with %s", fa)
			}
			return nil
		},
	}
}

func firstSet(s *state, names []string) string {
	for _, n := range names {
		if s.given[n] {
			return n
		}
	}
	return ""
}

func imageRule(floor int) string {
	if floor > 0 {
		return fmt.Sprintf("the image exists, and a system disk size sent is at least max(%d, image size)", floor)
	}
	return "the image exists, and a system disk size sent is at least the image size"
}

func nonEmpty(names ...string) []string {
	return slices.DeleteFunc(names, func(s string) bool { return s == "" })
}

// runtimeCheck is R25: the runtime is one the cloud offers, and a version
// sent is one of its versions. names is the table's enumeration of runtime
// names, which the message lists as far as the cloud offers them.
func runtimeCheck(names []string, src string) Check {
	return Check{
		Name: "runtime", Rule: "runtime.name is a runtime the cloud offers, and runtime.version, when sent, one of its versions",
		Cloud: true, Fields: []string{"runtime.name", "runtime.version"}, Codes: []string{ackscale.CodeNotInEnum}, Source: src,
		fn: func(s *state) error {
			rt := s.v.obj("runtime")
			if rt == nil {
				return nil
			}
			return checkRuntime(s, rt.str("name"), rt.str("version"), "runtime.name", "runtime.version", names)
		},
	}
}

// checkRuntime is R25 for a runtime name and version (or ""), named by
// nameField and versionField in errors.
func checkRuntime(s *state, name, version, nameField, versionField string, names []string) error {
	versions, ok := s.c.RuntimeVersions(name)
	if !ok {
		var offered []string
		for _, n := range names {
			if _, ok := s.c.RuntimeVersions(n); ok {
				offered = append(offered, n)
			}
		}
		return errorf(ackscale.CodeNotInEnum, nameField, "R25", "the cloud does not offer runtime %q; it offers %s", name, someOf(offered))
	}
	if version != "" && !slices.Contains(versions, version) {
		return errorf(ackscale.CodeNotInEnum, versionField, "R25", "%s is not a version of %s the cloud offers; valid versions: %s",
			show(&Field{}, version), name, someOf(versions))
	}
	return nil
}

// maxListed is how many valid values a message lists at most.
const maxListed = 10

// someOf lists at most maxListed values, and says how many there are.
func someOf(vals []string) string {
	if len(vals) == 0 {
		return "none"
	}
	if len(vals) <= maxListed {
		return strings.Join(vals, ", ")
	}
	return fmt.Sprintf("%s, … (%d in all)", strings.Join(vals[:maxListed], ", "), len(vals))
}
