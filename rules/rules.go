// Package rules validates request bodies of the cluster operations against
// rule tables chosen by the target cluster's profile (decisions.md, "Which
// rules apply"). The tables are data (Tables, Lookup, Fields, Checks): the
// reference docs/api.md is generated from them, and bad-input tests can be.
//
// Validation is pure: it reads the body, the Target and the Cloud, and
// returns the first error in a fixed order:
//
//  1. the body (Decode): size, UTF-8, JSON syntax, an object, no duplicate
//     keys, depth;
//  2. where a field of the body chooses among variants of the table (an
//     edge cluster's ScaleOutCluster: is_edge_worker true for ENS workers,
//     else ECS cloud workers, R37), that field's type;
//  3. unknown fields, the first by byte order of name; a field of an
//     official client's model sent empty is ignored (ruling 14, R36);
//  4. each field in table order: its JSON type (ruling 13), then presence
//     (required / default; a client's zero value is absent where the field
//     says so), then its value rules (range and step, enum, length,
//     format, sub-fields in their table order, uniqueness);
//  5. the table's checks in order: rules between fields, the cluster
//     (credentials, quota, worker count), then the cloud (ruling 16).
//
// Every error is an *ackscale.Error whose Field names the field (dotted and
// indexed for nested ones, e.g. worker_data_disks[0].size) and whose
// message names the field and what is allowed: the valid values of an
// enumeration, and of the cloud's catalog (at most maxListed of them, and
// how many there are) when it names something the cloud does not have.
// A message cites nothing outside the repository: where a further ruling
// of docs/api.md decides, it ends in " (see docs/api.md, R24)"; the seeds
// and decisions.md's numbered rulings, which the tables' Sources cite, are
// never named. Passwords never appear in messages.
package rules

import (
	"github.com/ackscale/ackscale"
)

// Cloud is what validation asks the emulated cloud (ruling 16). The
// cloud's lookups implement it. The lists answer what a message offers
// instead of a name the cloud does not have.
type Cloud interface {
	// InstanceTypeKind returns the kind of a known instance type.
	InstanceTypeKind(name string) (kind ackscale.InstanceKind, ok bool)
	// InstanceTypeNames lists the instance types of a kind.
	InstanceTypeNames(kind ackscale.InstanceKind) []string
	// ImageSizeGiB returns the size of a known image.
	ImageSizeGiB(id string) (size int, ok bool)
	// ImageIDs lists the images that boot on instances of a kind.
	ImageIDs(kind ackscale.InstanceKind) []string
	// VSwitchVPC returns the region and VPC of a known vSwitch.
	VSwitchVPC(id string) (regionID, vpcID string, ok bool)
	// VSwitchIDs lists the vSwitches of a VPC of a region, or of every
	// VPC of the region when vpcID is "".
	VSwitchIDs(regionID, vpcID string) []string
	// KeyPairExists reports whether the key pair exists in the region (an
	// ECS or an ENS region).
	KeyPairExists(regionID, name string) bool
	// KeyPairNames lists the key pairs of a region (an ECS or an ENS
	// region).
	KeyPairNames(regionID string) []string
	// ENSRegionExists reports whether the ENS region exists.
	ENSRegionExists(id string) bool
	// ENSRegionIDs lists the ENS regions.
	ENSRegionIDs() []string
	// RegionExists reports whether the ECS region exists.
	RegionExists(id string) bool
	// RegionIDs lists the ECS regions.
	RegionIDs() []string
	// DefaultVSwitches returns the region's default VPC and its vSwitches.
	DefaultVSwitches(regionID string) (vpcID string, vswitchIDs []string)
	// KubernetesVersionExists reports whether the cloud offers the version.
	KubernetesVersionExists(v string) bool
	// KubernetesVersions lists the versions the cloud offers, newest first.
	KubernetesVersions() []string
	// DefaultKubernetesVersion returns the version new clusters get.
	DefaultKubernetesVersion() string
	// RuntimeVersions returns the versions the cloud offers of a container
	// runtime; ok is false when it does not offer the runtime.
	RuntimeVersions(name string) (versions []string, ok bool)
}

// DefaultMaxWorkers is the workers-per-cluster quota when Target.MaxWorkers
// is nil (ruling 9).
const DefaultMaxWorkers = 1000

// Target is the cluster being scaled, as the store has it.
type Target struct {
	Profile    ackscale.Profile
	RegionID   string
	VPCID      string
	VSwitchIDs []string
	// Workers is the current worker count.
	Workers int
	// MaxWorkers is the workers-per-cluster quota; nil means
	// DefaultMaxWorkers, 0 that the cluster may have no worker.
	MaxWorkers *int
	// PasswordMatches compares a password with the cluster's stored hash;
	// nil when the cluster has no password.
	PasswordMatches func(password string) bool
	// Defaults are the worker settings recorded when the cluster was created;
	// fields a body leaves out fall back to them (R1, R5). A node pool takes
	// its default runtime from Defaults.Runtime (R26).
	Defaults ackscale.ClusterSpec
	// Pool is the node pool a modification applies to, as stored, when
	// NodePool validates the pool's configuration merged with a
	// ModifyClusterNodePool body; nil for a new pool. With it, the pool's
	// type and auto-scaling type must not change (R28), and a pool whose
	// workers log in with a password keeps it unless the merged
	// configuration names a key pair (R29). Workers must then not count
	// the pool's own workers, which desired_size replaces.
	Pool *ackscale.NodePoolSpec
}

// LegacyScale is a validated legacy PUT /clusters/{id}.
type LegacyScale struct {
	// NumOfNodes is the worker count asked for.
	NumOfNodes int
	// Delta is NumOfNodes minus the current count: > 0 scales out, < 0 in.
	Delta int
	// Out is the scale-out when Delta > 0 (Count = Delta); for a scale-in it
	// carries only TimeoutMins, DisableRollback and the credential fields.
	Out ackscale.ScaleOut
}

// ScaleOut validates a POST /api/v2/clusters/{id} body for the target
// cluster's profile. On an edge cluster the body's is_edge_worker chooses
// the table: true for ENS edge workers (seeds 001, 003), absent, null or
// false for ECS cloud workers in the cluster's VPC (seed 002; R37). An
// unknown profile is CodeInvalidOperation; the other errors are those of
// the table (docs/api.md).
func ScaleOut(t Target, body []byte, c Cloud) (ackscale.ScaleOut, error) {
	return run[ackscale.ScaleOut](t.Profile, OpScaleOut, body, t, c)
}

// Scale validates a legacy PUT /clusters/{id} body (seed 000, ruling 10).
// Only legacy (cluster_type Kubernetes) clusters take it; others get
// CodeInvalidOperation. The password is checked with Target.PasswordMatches.
func Scale(t Target, body []byte, c Cloud) (LegacyScale, error) {
	return run[LegacyScale](t.Profile, OpScale, body, t, c)
}

// CreateCluster validates a POST /clusters body.
func CreateCluster(body []byte, c Cloud) (ackscale.ClusterSpec, error) {
	return run[ackscale.ClusterSpec]("", OpCreateCluster, body, Target{}, c)
}

// DeleteNodes validates a DeleteClusterNodes or RemoveClusterNodes body.
func DeleteNodes(body []byte) (ackscale.Removal, error) {
	return run[ackscale.Removal]("", OpDeleteNodes, body, Target{}, nil)
}

func run[T any](p ackscale.Profile, op Op, body []byte, t Target, c Cloud) (T, error) {
	var zero T
	if _, ok := lookup(p, op); !ok {
		return zero, ackscale.Errorf(ackscale.CodeInvalidOperation, "%s is not available for a cluster of profile %q", op, p)
	}
	obj, err := Decode(body)
	if err != nil {
		return zero, err
	}
	tab, err := choose(p, op, obj)
	if err != nil {
		return zero, err
	}
	out, err := tab.eval(obj, t, c)
	if err != nil {
		return zero, err
	}
	return out.(T), nil
}
