package catalog

import (
	"encoding/json"
	"math"
	"slices"
)

// Catalog is a loaded, validated catalog with an index for each kind of
// lookup. It is read-only: every method returns copies, so a Catalog is
// safe for concurrent use. Get one from Default, Load, LoadFile or New.
type Catalog struct {
	doc Document

	regions          map[string]int    // region id -> index in doc.Regions
	zoneRegion       map[string]string // zone id -> region id
	ensRegions       map[string]int    // ENS region id -> index
	vpcs             map[string]vpcRef // VPC id -> where it is
	vswitches        map[string]VSwitch
	defaultVPC       map[string]int // region id -> index of its default VPC
	defaultVSwitches map[string][]VSwitch
	keyPairs         map[keyPairKey]struct{}
	instanceTypes    map[string]int
	images           map[string]int
	disks            map[string]int
	stock            map[stockKey]int
	runtimes         map[string]int
}

type vpcRef struct{ region, vpc int }

type keyPairKey struct{ region, name string }

type stockKey struct{ zone, instanceType string }

// index builds the lookup maps of a validated document.
func index(doc Document) *Catalog {
	c := &Catalog{
		doc:              doc,
		regions:          make(map[string]int),
		zoneRegion:       make(map[string]string),
		ensRegions:       make(map[string]int),
		vpcs:             make(map[string]vpcRef),
		vswitches:        make(map[string]VSwitch),
		defaultVPC:       make(map[string]int),
		defaultVSwitches: make(map[string][]VSwitch),
		keyPairs:         make(map[keyPairKey]struct{}),
		instanceTypes:    make(map[string]int),
		images:           make(map[string]int),
		disks:            make(map[string]int),
		stock:            make(map[stockKey]int),
		runtimes:         make(map[string]int),
	}
	for i, reg := range doc.Regions {
		c.indexRegion(i, reg)
	}
	for i, ens := range doc.ENSRegions {
		c.ensRegions[ens.ID] = i
		for _, name := range ens.KeyPairs {
			c.keyPairs[keyPairKey{ens.ID, name}] = struct{}{}
		}
	}
	for i, it := range doc.InstanceTypes {
		c.instanceTypes[it.Name] = i
	}
	for i, img := range doc.Images {
		c.images[img.ID] = i
	}
	for i, d := range doc.DiskCategories {
		c.disks[d.Name] = i
	}
	for _, s := range doc.Stock {
		c.stock[stockKey{s.ZoneID, s.InstanceType}] = s.Count
	}
	for i, rt := range doc.Kubernetes.Runtimes {
		c.runtimes[rt.Name] = i
	}
	return c
}

func (c *Catalog) indexRegion(i int, reg Region) {
	c.regions[reg.ID] = i
	for _, z := range reg.Zones {
		c.zoneRegion[z] = reg.ID
	}
	for _, name := range reg.KeyPairs {
		c.keyPairs[keyPairKey{reg.ID, name}] = struct{}{}
	}
	for j, vpc := range reg.VPCs {
		c.vpcs[vpc.ID] = vpcRef{i, j}
		for _, vsw := range vpc.VSwitches {
			c.vswitches[vsw.ID] = vsw
		}
		if vpc.Default {
			c.defaultVPC[reg.ID] = j
			c.defaultVSwitches[reg.ID] = pickDefaultVSwitches(reg.Zones, vpc.VSwitches)
		}
	}
}

// pickDefaultVSwitches returns, zone by zone in the region's order, the
// vSwitch marked default or else the zone's first vSwitch.
func pickDefaultVSwitches(zones []string, vsws []VSwitch) []VSwitch {
	var out []VSwitch
	for _, z := range zones {
		pick := -1
		for k, vsw := range vsws {
			if vsw.ZoneID != z {
				continue
			}
			if vsw.Default {
				pick = k
				break
			}
			if pick < 0 {
				pick = k
			}
		}
		if pick >= 0 {
			out = append(out, vsws[pick])
		}
	}
	return out
}

// Document returns a deep copy of the catalog as a document, with the
// quota defaults and each vSwitch's region and VPC filled in.
func (c *Catalog) Document() Document { return c.doc.clone() }

// MarshalJSON writes the catalog in the file format; Load reads it back to
// an equal Catalog.
func (c *Catalog) MarshalJSON() ([]byte, error) { return json.Marshal(c.doc) }

// Regions returns the ECS regions in file order.
func (c *Catalog) Regions() []Region { return cloneEach(c.doc.Regions, Region.clone) }

// Region returns the ECS region with this id.
func (c *Catalog) Region(id string) (Region, bool) {
	i, ok := c.regions[id]
	if !ok {
		return Region{}, false
	}
	return c.doc.Regions[i].clone(), true
}

// Zones returns the zone ids of an ECS region, nil for an unknown region.
func (c *Catalog) Zones(regionID string) []string {
	i, ok := c.regions[regionID]
	if !ok {
		return nil
	}
	return slices.Clone(c.doc.Regions[i].Zones)
}

// ZoneRegion returns the id of the ECS region a zone belongs to.
func (c *Catalog) ZoneRegion(zoneID string) (string, bool) {
	r, ok := c.zoneRegion[zoneID]
	return r, ok
}

// ENSRegions returns the ENS regions in file order.
func (c *Catalog) ENSRegions() []ENSRegion { return cloneEach(c.doc.ENSRegions, ENSRegion.clone) }

// ENSRegion returns the ENS region with this id.
func (c *Catalog) ENSRegion(id string) (ENSRegion, bool) {
	i, ok := c.ensRegions[id]
	if !ok {
		return ENSRegion{}, false
	}
	return c.doc.ENSRegions[i].clone(), true
}

// VPC returns the VPC with this id, in any region.
func (c *Catalog) VPC(id string) (VPC, bool) {
	ref, ok := c.vpcs[id]
	if !ok {
		return VPC{}, false
	}
	return c.doc.Regions[ref.region].VPCs[ref.vpc].clone(), true
}

// VSwitch returns the vSwitch with this id, in any region, with its
// RegionID and VPCID set.
func (c *Catalog) VSwitch(id string) (VSwitch, bool) {
	v, ok := c.vswitches[id]
	return v, ok
}

// DefaultVPC returns the default VPC of an ECS region.
func (c *Catalog) DefaultVPC(regionID string) (VPC, bool) {
	j, ok := c.defaultVPC[regionID]
	if !ok {
		return VPC{}, false
	}
	return c.doc.Regions[c.regions[regionID]].VPCs[j].clone(), true
}

// DefaultVSwitches returns the vSwitches a cluster created without
// vswitch_ids uses: in the region's default VPC, one per zone that has a
// vSwitch there (the one marked default, else the zone's first), in the
// region's zone order. It is nil for an unknown region.
func (c *Catalog) DefaultVSwitches(regionID string) []VSwitch {
	return slices.Clone(c.defaultVSwitches[regionID])
}

// KeyPair reports whether a key pair of this name exists in the region (an
// ECS region or an ENS region).
func (c *Catalog) KeyPair(regionID, name string) bool {
	_, ok := c.keyPairs[keyPairKey{regionID, name}]
	return ok
}

// InstanceTypes returns the instance types in file order.
func (c *Catalog) InstanceTypes() []InstanceType { return slices.Clone(c.doc.InstanceTypes) }

// InstanceType returns the instance type with this name.
func (c *Catalog) InstanceType(name string) (InstanceType, bool) {
	i, ok := c.instanceTypes[name]
	if !ok {
		return InstanceType{}, false
	}
	return c.doc.InstanceTypes[i], true
}

// Images returns the images in file order.
func (c *Catalog) Images() []Image { return cloneEach(c.doc.Images, Image.clone) }

// Image returns the image with this id.
func (c *Catalog) Image(id string) (Image, bool) {
	i, ok := c.images[id]
	if !ok {
		return Image{}, false
	}
	return c.doc.Images[i].clone(), true
}

// DefaultImage returns the image used when a request names none: the first
// image, in file order, that is marked default, boots on instances of kind
// and has architecture arch.
func (c *Catalog) DefaultImage(kind, arch string) (Image, bool) {
	for _, img := range c.doc.Images {
		if img.Default && img.Arch == arch && img.Supports(kind) {
			return img.clone(), true
		}
	}
	return Image{}, false
}

// DiskCategories returns the disk categories in file order.
func (c *Catalog) DiskCategories() []DiskCategory { return slices.Clone(c.doc.DiskCategories) }

// DiskCategory returns the disk category with this name (case-sensitive).
func (c *Catalog) DiskCategory(name string) (DiskCategory, bool) {
	i, ok := c.disks[name]
	if !ok {
		return DiskCategory{}, false
	}
	return c.doc.DiskCategories[i], true
}

// Stock returns how many instances of instanceType the zone (an ECS zone,
// or an ENS region id) can hold at once. limited is false when the catalog
// sets no limit for the pair, and n is then math.MaxInt. An entry for the
// exact pair wins over a zone-wide entry. Stock does not check that the
// zone or the type exists.
func (c *Catalog) Stock(zoneID, instanceType string) (n int, limited bool) {
	if n, ok := c.stock[stockKey{zoneID, instanceType}]; ok {
		return n, true
	}
	if n, ok := c.stock[stockKey{zoneID, ""}]; ok {
		return n, true
	}
	return math.MaxInt, false
}

// StockLimits returns the catalog's stock limits in file order.
func (c *Catalog) StockLimits() []StockLimit { return slices.Clone(c.doc.Stock) }

// Quotas returns the account quotas, defaults filled in.
func (c *Catalog) Quotas() Quotas { return c.doc.Quotas }

// KubernetesVersions returns the Kubernetes versions offered, newest first.
func (c *Catalog) KubernetesVersions() []string {
	return slices.Clone(c.doc.Kubernetes.Versions)
}

// DefaultKubernetesVersion returns the version a cluster created without
// kubernetes_version gets.
func (c *Catalog) DefaultKubernetesVersion() string { return c.doc.Kubernetes.DefaultVersion }

// Runtimes returns the container runtimes offered, in file order.
func (c *Catalog) Runtimes() []Runtime { return cloneEach(c.doc.Kubernetes.Runtimes, Runtime.clone) }

// Runtime returns the container runtime with this name (case-sensitive).
func (c *Catalog) Runtime(name string) (Runtime, bool) {
	i, ok := c.runtimes[name]
	if !ok {
		return Runtime{}, false
	}
	return c.doc.Kubernetes.Runtimes[i].clone(), true
}
