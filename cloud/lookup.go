package cloud

import (
	"slices"

	"github.com/ackscale/ackscale"
)

// The lookups below answer what the cloud has, for request validation
// (rules.Cloud) and placement (task.Cloud). They read the catalog only.

// InstanceTypeKind returns the kind of a known instance type.
func (c *Cloud) InstanceTypeKind(name string) (ackscale.InstanceKind, bool) {
	it, ok := c.cfg.Catalog.InstanceType(name)
	return ackscale.InstanceKind(it.Kind), ok
}

// ImageSizeGiB returns the size of a known image.
func (c *Cloud) ImageSizeGiB(id string) (int, bool) {
	im, ok := c.cfg.Catalog.Image(id)
	return im.SizeGiB, ok
}

// VSwitchVPC returns the region and VPC of a known vSwitch.
func (c *Cloud) VSwitchVPC(id string) (regionID, vpcID string, ok bool) {
	v, ok := c.cfg.Catalog.VSwitch(id)
	return v.RegionID, v.VPCID, ok
}

// VSwitchZone returns the zone of a known vSwitch.
func (c *Cloud) VSwitchZone(id string) (string, bool) {
	v, ok := c.cfg.Catalog.VSwitch(id)
	return v.ZoneID, ok
}

// KeyPairExists reports whether the key pair exists in the region.
func (c *Cloud) KeyPairExists(regionID, name string) bool {
	return c.cfg.Catalog.KeyPair(regionID, name)
}

// ENSRegionExists reports whether the ENS region exists.
func (c *Cloud) ENSRegionExists(id string) bool {
	_, ok := c.cfg.Catalog.ENSRegion(id)
	return ok
}

// RegionExists reports whether the ECS region exists.
func (c *Cloud) RegionExists(id string) bool {
	_, ok := c.cfg.Catalog.Region(id)
	return ok
}

// DefaultVSwitches returns the region's default VPC and its vSwitches.
func (c *Cloud) DefaultVSwitches(regionID string) (vpcID string, vswitchIDs []string) {
	for _, v := range c.cfg.Catalog.DefaultVSwitches(regionID) {
		vpcID = v.VPCID
		vswitchIDs = append(vswitchIDs, v.ID)
	}
	return vpcID, vswitchIDs
}

// KubernetesVersionExists reports whether the cloud offers this version.
func (c *Cloud) KubernetesVersionExists(v string) bool {
	return slices.Contains(c.cfg.Catalog.KubernetesVersions(), v)
}

// DefaultKubernetesVersion returns the version new clusters get by default.
func (c *Cloud) DefaultKubernetesVersion() string { return c.cfg.Catalog.DefaultKubernetesVersion() }

// RuntimeVersions returns the versions the catalog offers of a container
// runtime; ok is false for a runtime it does not have.
func (c *Cloud) RuntimeVersions(name string) ([]string, bool) {
	rt, ok := c.cfg.Catalog.Runtime(name)
	return rt.Versions, ok
}

// DefaultRuntimeVersion returns the version a runtime gets when none is asked.
func (c *Cloud) DefaultRuntimeVersion(name string) string {
	rt, _ := c.cfg.Catalog.Runtime(name)
	return rt.DefaultVersion
}

// InstanceTypeExists reports whether the catalog has an instance type.
func (c *Cloud) InstanceTypeExists(name string) bool {
	_, ok := c.cfg.Catalog.InstanceType(name)
	return ok
}

// ZoneExists reports whether id is a zone of an ECS region or an ENS region.
func (c *Cloud) ZoneExists(id string) bool {
	_, ok := c.cfg.Catalog.ZoneRegion(id)
	return ok || c.ENSRegionExists(id)
}

// KubernetesVersions returns the Kubernetes versions the catalog offers,
// newest first.
func (c *Cloud) KubernetesVersions() []string { return c.cfg.Catalog.KubernetesVersions() }

// RuntimeNames returns the container runtimes the catalog offers, in its
// order.
func (c *Cloud) RuntimeNames() []string {
	var names []string
	for _, rt := range c.cfg.Catalog.Runtimes() {
		names = append(names, rt.Name)
	}
	return names
}

// The lists below are what a validation error offers instead of a name the
// catalog does not have (rules.Cloud), each in the catalog's order.

// InstanceTypeNames lists the catalog's instance types of a kind.
func (c *Cloud) InstanceTypeNames(kind ackscale.InstanceKind) []string {
	var names []string
	for _, it := range c.cfg.Catalog.InstanceTypes() {
		if it.Kind == string(kind) {
			names = append(names, it.Name)
		}
	}
	return names
}

// ImageIDs lists the catalog's images that boot on instances of a kind.
func (c *Cloud) ImageIDs(kind ackscale.InstanceKind) []string {
	var ids []string
	for _, im := range c.cfg.Catalog.Images() {
		if im.Supports(string(kind)) {
			ids = append(ids, im.ID)
		}
	}
	return ids
}

// VSwitchIDs lists the vSwitches of a VPC of a region, or of every VPC of
// the region when vpcID is "".
func (c *Cloud) VSwitchIDs(regionID, vpcID string) []string {
	reg, _ := c.cfg.Catalog.Region(regionID)
	var ids []string
	for _, vpc := range reg.VPCs {
		if vpcID != "" && vpc.ID != vpcID {
			continue
		}
		for _, v := range vpc.VSwitches {
			ids = append(ids, v.ID)
		}
	}
	return ids
}

// KeyPairNames lists the key pairs of an ECS region or an ENS region.
func (c *Cloud) KeyPairNames(regionID string) []string {
	if reg, ok := c.cfg.Catalog.Region(regionID); ok {
		return reg.KeyPairs
	}
	ens, _ := c.cfg.Catalog.ENSRegion(regionID)
	return ens.KeyPairs
}

// RegionIDs lists the catalog's ECS regions.
func (c *Cloud) RegionIDs() []string {
	var ids []string
	for _, reg := range c.cfg.Catalog.Regions() {
		ids = append(ids, reg.ID)
	}
	return ids
}

// ENSRegionIDs lists the catalog's ENS regions.
func (c *Cloud) ENSRegionIDs() []string {
	var ids []string
	for _, ens := range c.cfg.Catalog.ENSRegions() {
		ids = append(ids, ens.ID)
	}
	return ids
}
