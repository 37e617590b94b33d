package rules

import (
	"slices"

	"github.com/ackscale/ackscale"
)

// fakeCloud is a small catalog holding what the seeds' examples name.
type fakeCloud struct{}

var _ Cloud = fakeCloud{}

var fakeKinds = map[string]string{
	"ecs.sn1ne.large": "ecs", "ecs.c5.xlarge": "ecs", "ecs.g6.large": "ecs",
	"ens.sn1.tiny": "ens", "ens.sn1.small": "ens",
	"ecs.ebmg5s.24xlarge": "ebm", "ecs.ebmc5s.24xlarge": "ebm", "ecs.ebmgn6i.24xlarge": "ebm",
}

var fakeImages = map[string]int{
	"m-2QVLO2T8NYgm8CNQVg****": 20, // seed 001's example image (ruling 5: a 20 GiB image)
	"m-2QVLO2T8NYgm8CNQVg15gF": 20, // seed 003's
	"m-big":                    60,
	"m-huge":                   200,
}

// fakeImageKinds are the kinds of instances each image boots on.
var fakeImageKinds = map[string][]ackscale.InstanceKind{
	"m-2QVLO2T8NYgm8CNQVg****": {ackscale.KindENS},
	"m-2QVLO2T8NYgm8CNQVg15gF": {ackscale.KindENS},
	"m-big":                    {ackscale.KindECS, ackscale.KindEBM},
	"m-huge":                   {ackscale.KindECS, ackscale.KindEBM},
}

// vSwitches: region and VPC.
var fakeVSwitches = map[string][2]string{
	"vsw-2ze4jvvvade1yk899****": {"cn-beijing", "vpc-std"},     // seed 002's example
	"vsw-2zes3rfz7bmk0nxxxxxxx": {"cn-beijing", "vpc-sandbox"}, // seed 004's example
	"vsw-std-b":                 {"cn-beijing", "vpc-std"},
	"vsw-other-vpc":             {"cn-beijing", "vpc-other"},
	"vsw-hangzhou":              {"cn-hangzhou", "vpc-hz"},
	"vsw-bp1ackscaledefaultg01": {"cn-beijing", "vpc-std"}, // the Terraform node-pool fixture's, in the standard target's VPC
	"vsw-1":                     {"cn-beijing", "vpc-std"}, // the captured npm SDK body's (npmNodePool)
}

func (fakeCloud) InstanceTypeKind(name string) (ackscale.InstanceKind, bool) {
	k, ok := fakeKinds[name]
	return ackscale.InstanceKind(k), ok
}

func (fakeCloud) ImageSizeGiB(id string) (int, bool) {
	s, ok := fakeImages[id]
	return s, ok
}

func (fakeCloud) VSwitchVPC(id string) (string, string, bool) {
	v, ok := fakeVSwitches[id]
	return v[0], v[1], ok
}

// fakeKeyPairs are the key pairs of each region, ECS or ENS.
var fakeKeyPairs = map[string][]string{"cn-beijing": {"secrity-key"}, "cn-beijing-telecom": {"edge-key"}}

var (
	fakeRegions    = []string{"cn-beijing", "cn-hangzhou"}
	fakeENSRegions = []string{"cn-beijing-telecom", "cn-beijing-cmcc-2"}
	fakeVersions   = []string{"1.34.4", "1.33.1"}
)

func (fakeCloud) KeyPairExists(region, name string) bool {
	return slices.Contains(fakeKeyPairs[region], name)
}

func (fakeCloud) ENSRegionExists(id string) bool { return slices.Contains(fakeENSRegions, id) }

func (fakeCloud) RegionExists(id string) bool { return slices.Contains(fakeRegions, id) }

func (fakeCloud) InstanceTypeNames(kind ackscale.InstanceKind) []string {
	var out []string
	for name, k := range fakeKinds {
		if k == string(kind) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func (fakeCloud) ImageIDs(kind ackscale.InstanceKind) []string {
	var out []string
	for id, kinds := range fakeImageKinds {
		if slices.Contains(kinds, kind) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (fakeCloud) VSwitchIDs(region, vpc string) []string {
	var out []string
	for id, v := range fakeVSwitches {
		if v[0] == region && (vpc == "" || v[1] == vpc) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

func (fakeCloud) KeyPairNames(region string) []string { return slices.Clone(fakeKeyPairs[region]) }

func (fakeCloud) RegionIDs() []string { return slices.Clone(fakeRegions) }

func (fakeCloud) ENSRegionIDs() []string { return slices.Clone(fakeENSRegions) }

func (fakeCloud) KubernetesVersions() []string { return slices.Clone(fakeVersions) }

func (fakeCloud) DefaultVSwitches(region string) (string, []string) {
	if region == "cn-beijing" {
		return "vpc-std", []string{"vsw-2ze4jvvvade1yk899****", "vsw-std-b"}
	}
	return "", nil
}

func (fakeCloud) KubernetesVersionExists(v string) bool { return slices.Contains(fakeVersions, v) }

func (fakeCloud) DefaultKubernetesVersion() string { return "1.34.4" }

// fakeRuntimes are the runtimes of catalog/default.json.
var fakeRuntimes = map[string][]string{
	"containerd":               {"1.6.38", "1.6.36", "1.6.28"},
	"docker":                   {"19.03.15", "19.03.5"},
	"Sandboxed-Container.runv": {"2.2.3", "2.1.0", "1.1.0"},
}

func (fakeCloud) RuntimeVersions(name string) ([]string, bool) {
	v, ok := fakeRuntimes[name]
	return slices.Clone(v), ok
}

// Targets of each profile, as the seeds' examples need them.
func legacyTarget() Target {
	return Target{
		Profile: ackscale.ProfileLegacy, RegionID: "cn-beijing", VPCID: "vpc-std",
		VSwitchIDs: []string{"vsw-2ze4jvvvade1yk899****"}, Workers: 3,
		PasswordMatches: func(pw string) bool { return pw == "Hello1234" },
		Defaults: ackscale.ClusterSpec{
			WorkerInstanceTypes: []string{"ecs.sn1ne.large"}, WorkerSystemDiskCategory: "cloud_efficiency",
			WorkerSystemDiskSizeGiB: 40,
		},
	}
}

func standardTarget() Target {
	return Target{
		Profile: ackscale.ProfileStandard, RegionID: "cn-beijing", VPCID: "vpc-std",
		VSwitchIDs: []string{"vsw-2ze4jvvvade1yk899****"}, Workers: 2,
		Defaults: ackscale.ClusterSpec{WorkerInstanceTypes: []string{"ecs.g6.large"}, WorkerSystemDiskCategory: "cloud_essd", WorkerSystemDiskSizeGiB: 80},
	}
}

func edgeTarget() Target {
	return Target{Profile: ackscale.ProfileEdge, RegionID: "cn-beijing", VPCID: "vpc-std", Workers: 1}
}

func sandboxTarget() Target {
	return Target{
		Profile: ackscale.ProfileSandbox, RegionID: "cn-beijing", VPCID: "vpc-sandbox",
		VSwitchIDs: []string{"vsw-2zes3rfz7bmk0nxxxxxxx"}, Workers: 0,
	}
}

// kindOverride is fakeCloud with one instance type of another kind.
type kindOverride struct {
	fakeCloud
	name, kind string
}

func (k kindOverride) InstanceTypeKind(name string) (ackscale.InstanceKind, bool) {
	if name == k.name {
		return ackscale.InstanceKind(k.kind), k.kind != ""
	}
	return k.fakeCloud.InstanceTypeKind(name)
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
