// Package catalog is the static description of the emulated Alibaba Cloud:
// its regions, zones, VPCs and vSwitches, ENS regions, instance types,
// images, key pairs, disk categories, stock, account quotas and the
// Kubernetes versions and container runtimes ACK offers.
//
// A default catalog is embedded in the binary (Default); a user file in the
// same JSON format replaces it (LoadFile). Load checks the file strictly and
// names the path of every problem it finds, e.g.
//
//	regions[0].vpcs[0].vswitches[2].cidr: "10.0.0.0/33" is not a CIDR
//
// A Catalog is read-only once loaded and safe for concurrent use; every
// lookup is a map access. docs/cloud.md documents the format field by field.
package catalog

import "slices"

// Instance kinds: which service an instance type belongs to.
const (
	KindECS = "ecs" // Elastic Compute Service, virtual machines
	KindEBM = "ebm" // ECS Bare Metal Instances
	KindENS = "ens" // Edge Node Service instances
)

// CPU architectures, spelled as ECS's DescribeImages spells them.
const (
	ArchX86 = "x86_64"
	ArchARM = "arm64"
)

// Operating system types of images.
const (
	OSLinux   = "linux"
	OSWindows = "windows"
)

// FormatVersion is the only catalog format this package reads.
const FormatVersion = 1

// Document is the JSON form of a catalog: what default.json and a
// --catalog file hold. Field order here is the order in the file.
type Document struct {
	// Format is the format version; it must be FormatVersion.
	Format int `json:"format"`
	// Description is free text for people; the emulator ignores it.
	Description    string         `json:"description,omitempty"`
	Regions        []Region       `json:"regions"`
	ENSRegions     []ENSRegion    `json:"ens_regions"`
	InstanceTypes  []InstanceType `json:"instance_types"`
	Images         []Image        `json:"images"`
	DiskCategories []DiskCategory `json:"disk_categories"`
	// Stock lists the limited (zone, instance type) pairs; every pair not
	// listed has unlimited stock.
	Stock      []StockLimit `json:"stock"`
	Quotas     Quotas       `json:"quotas"`
	Kubernetes Kubernetes   `json:"kubernetes"`
}

// Region is an ECS region: its zones, VPCs and key pairs.
type Region struct {
	ID   string `json:"id"`             // e.g. cn-hangzhou
	Name string `json:"name,omitempty"` // e.g. China (Hangzhou)
	// Zones are the zone ids, each starting with the region id and "-".
	Zones []string `json:"zones"`
	// VPCs of the region; exactly one is the default VPC.
	VPCs []VPC `json:"vpcs"`
	// KeyPairs are the names of the SSH key pairs that exist in the region.
	KeyPairs []string `json:"key_pairs"`
}

// VPC is a virtual private cloud and its vSwitches.
type VPC struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// CIDR is the VPC's IPv4 block; every vSwitch CIDR lies inside it.
	CIDR string `json:"cidr"`
	// Default marks the region's default VPC, the one a cluster created
	// without a vpcid uses.
	Default   bool      `json:"default,omitempty"`
	VSwitches []VSwitch `json:"vswitches"`
}

// VSwitch is a subnet of a VPC in one zone. Workers get their private IPs
// from its CIDR.
type VSwitch struct {
	ID string `json:"id"`
	// RegionID and VPCID are filled in from the enclosing region and VPC
	// when the catalog loads; the file does not repeat them.
	RegionID string `json:"-"`
	VPCID    string `json:"-"`
	ZoneID   string `json:"zone_id"`
	CIDR     string `json:"cidr"`
	// Default marks the vSwitch of its zone that a cluster created without
	// vswitch_ids uses (only in the default VPC, at most one per zone).
	Default bool `json:"default,omitempty"`
}

// ENSRegion is an Edge Node Service region (an edge node site). It has no
// zones or vSwitches: ENS instances get their private IPs from its CIDR.
type ENSRegion struct {
	ID      string `json:"id"`                // e.g. cn-beijing-telecom
	Name    string `json:"name,omitempty"`    // e.g. Beijing Telecom
	Carrier string `json:"carrier,omitempty"` // telecom, unicom, cmcc, …
	CIDR    string `json:"cidr"`
	// KeyPairs are the names of the SSH key pairs that exist on the site.
	KeyPairs []string `json:"key_pairs,omitempty"`
}

// InstanceType is an ECS, ECS Bare Metal or ENS instance type.
type InstanceType struct {
	Name   string `json:"name"`   // e.g. ecs.g6.large
	Family string `json:"family"` // the name up to a "." or "-", e.g. ecs.g6
	Kind   string `json:"kind"`   // KindECS, KindEBM or KindENS
	Arch   string `json:"arch"`   // ArchX86 or ArchARM
	VCPU   int    `json:"vcpu"`
	// MemoryGiB may be fractional: the smallest types have 0.5 GiB.
	MemoryGiB float64 `json:"memory_gib"`
	GPU       int     `json:"gpu,omitempty"`       // number of GPUs
	GPUModel  string  `json:"gpu_model,omitempty"` // e.g. NVIDIA T4
	// BootSeconds is how long an instance takes from creation to Running,
	// before the emulator's jitter and time scale.
	BootSeconds int `json:"boot_seconds"`
}

// Image is an OS image a worker boots from.
type Image struct {
	ID       string `json:"id"`
	OSName   string `json:"os_name"`  // e.g. Alibaba Cloud Linux 3.2104 LTS 64 bit
	OSType   string `json:"os_type"`  // OSLinux or OSWindows
	Platform string `json:"platform"` // the distribution: Aliyun, CentOS, Ubuntu, …
	Arch     string `json:"arch"`     // ArchX86 or ArchARM
	// SizeGiB is the image size; a system disk must be at least this big.
	SizeGiB int `json:"size_gib"`
	// Kinds are the instance kinds the image boots on (KindECS, KindEBM,
	// KindENS).
	Kinds []string `json:"kinds"`
	// Default marks the default image of its platform and architecture (at
	// most one each). DefaultImage picks the first default image in file
	// order that fits, so the file's first default image is the one used
	// when a request names none.
	Default bool `json:"default,omitempty"`
}

// Supports reports whether the image boots on instances of kind.
func (i Image) Supports(kind string) bool { return slices.Contains(i.Kinds, kind) }

// DiskCategory is a cloud disk category and the sizes it allows as a system
// disk and as a data disk. A zero range means the category cannot be used in
// that role.
type DiskCategory struct {
	Name   string    `json:"name"` // e.g. cloud_essd
	System SizeRange `json:"system,omitzero"`
	Data   SizeRange `json:"data,omitzero"`
}

// SizeRange is an inclusive range of disk sizes in GiB.
type SizeRange struct {
	MinGiB int `json:"min_gib"`
	MaxGiB int `json:"max_gib"`
}

// Usable reports whether the range allows any size at all.
func (r SizeRange) Usable() bool { return r.MaxGiB > 0 }

// Contains reports whether size lies in the range.
func (r SizeRange) Contains(size int) bool {
	return r.Usable() && size >= r.MinGiB && size <= r.MaxGiB
}

// StockLimit caps how many instances of a type a zone can hold at once
// (the cloud counts its unreleased instances against it).
type StockLimit struct {
	// ZoneID is an ECS zone id, or an ENS region id for ENS instances.
	ZoneID string `json:"zone_id"`
	// InstanceType is the type limited; "" limits every type in the zone
	// that has no entry of its own.
	InstanceType string `json:"instance_type,omitempty"`
	Count        int    `json:"count"` // 0: sold out
}

// Quotas are the emulated account's quotas. A field left out (or 0) takes
// its default (the Default* constants).
type Quotas struct {
	// ECSInstancesPerRegion caps the unreleased ECS and bare-metal
	// instances of an account in one region.
	ECSInstancesPerRegion int `json:"ecs_instances_per_region"`
	// ECSVCPUsPerRegion caps their total vCPUs in one region.
	ECSVCPUsPerRegion int `json:"ecs_vcpus_per_region"`
	// ENSInstances caps the unreleased ENS instances of an account, over
	// all ENS regions.
	ENSInstances int `json:"ens_instances"`
	// WorkersPerCluster caps the workers of one cluster (decisions.md,
	// ruling 9).
	WorkersPerCluster int `json:"workers_per_cluster"`
}

// Quota defaults, used for a field a catalog leaves out.
const (
	DefaultECSInstancesPerRegion = 10000
	DefaultECSVCPUsPerRegion     = 200000
	DefaultENSInstances          = 2000
	DefaultWorkersPerCluster     = 1000
)

// Kubernetes lists the Kubernetes versions and container runtimes the
// emulated ACK offers.
type Kubernetes struct {
	// Versions, newest first, e.g. 1.34.4.
	Versions       []string  `json:"versions"`
	DefaultVersion string    `json:"default_version"`
	Runtimes       []Runtime `json:"runtimes"`
}

// Runtime is a container runtime and the versions offered of it.
type Runtime struct {
	Name           string   `json:"name"` // containerd, docker, Sandboxed-Container.runv
	Versions       []string `json:"versions"`
	DefaultVersion string   `json:"default_version"`
}

func (r Region) clone() Region {
	r.Zones = slices.Clone(r.Zones)
	r.KeyPairs = slices.Clone(r.KeyPairs)
	r.VPCs = slices.Clone(r.VPCs)
	for i := range r.VPCs {
		r.VPCs[i] = r.VPCs[i].clone()
	}
	return r
}

func (v VPC) clone() VPC {
	v.VSwitches = slices.Clone(v.VSwitches)
	return v
}

func (e ENSRegion) clone() ENSRegion {
	e.KeyPairs = slices.Clone(e.KeyPairs)
	return e
}

func (i Image) clone() Image {
	i.Kinds = slices.Clone(i.Kinds)
	return i
}

func (r Runtime) clone() Runtime {
	r.Versions = slices.Clone(r.Versions)
	return r
}

func (k Kubernetes) clone() Kubernetes {
	k.Versions = slices.Clone(k.Versions)
	k.Runtimes = cloneEach(k.Runtimes, Runtime.clone)
	return k
}

// clone returns a deep copy: no slice of the copy is shared with d.
func (d Document) clone() Document {
	d.Regions = cloneEach(d.Regions, Region.clone)
	d.ENSRegions = cloneEach(d.ENSRegions, ENSRegion.clone)
	d.InstanceTypes = slices.Clone(d.InstanceTypes)
	d.Images = cloneEach(d.Images, Image.clone)
	d.DiskCategories = slices.Clone(d.DiskCategories)
	d.Stock = slices.Clone(d.Stock)
	d.Kubernetes = d.Kubernetes.clone()
	return d
}

// cloneEach copies s (nil stays nil) and deep-copies each element with f.
func cloneEach[T any](s []T, f func(T) T) []T {
	s = slices.Clone(s)
	for i := range s {
		s[i] = f(s[i])
	}
	return s
}
