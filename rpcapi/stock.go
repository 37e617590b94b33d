package rpcapi

import (
	"context"
	"slices"
	"strings"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
)

// stock is what the cloud can still create in each zone, read once per
// request: the capacity of a zone × type is its run-time override, else
// the catalog's limit (none: unlimited), less its live instances of every
// account, as the cloud decides when it creates one (cloud.stockCheck).
type stock struct {
	cat       Catalog
	overrides map[[2]string]int
	live      map[[2]string]int
}

func (h *Handler) loadStock(ctx context.Context) (*stock, error) {
	overrides, err := h.cfg.Cloud.StockList(ctx)
	if err != nil {
		return nil, err
	}
	live, err := h.cfg.Cloud.InstanceList(ctx, ackscale.InstanceListParams{LiveOnly: true})
	if err != nil {
		return nil, err
	}
	s := &stock{cat: h.cfg.Catalog, overrides: map[[2]string]int{}, live: map[[2]string]int{}}
	for _, o := range overrides {
		s.overrides[[2]string{o.ZoneID, o.InstanceType}] = o.Capacity
	}
	for _, in := range live {
		s.live[[2]string{in.ZoneID, in.InstanceType}]++
	}
	return s, nil
}

// available reports whether the zone can still take one instance of the
// type.
func (s *stock) available(zoneID, instanceType string) bool {
	k := [2]string{zoneID, instanceType}
	capacity, limited := s.cat.Stock(zoneID, instanceType)
	if o, ok := s.overrides[k]; ok {
		capacity, limited = o, true
	}
	return !limited || s.live[k] < capacity
}

// zoneTypes returns the ECS instance types the zone offers (every ECS and
// bare-metal type of the catalog) that pass keep, and those of them with
// stock left.
func (s *stock) zoneTypes(zoneID string, keep func(catalog.InstanceType) bool) (all, withStock []catalog.InstanceType) {
	for _, it := range s.cat.InstanceTypes() {
		if !slices.Contains(ecsKinds, it.Kind) || !keep(it) {
			continue
		}
		all = append(all, it)
		if s.available(zoneID, it.Name) {
			withStock = append(withStock, it)
		}
	}
	return all, withStock
}

func names(types []catalog.InstanceType) []string {
	out := make([]string, len(types))
	for i, it := range types {
		out[i] = it.Name
	}
	return out
}

func families(types []catalog.InstanceType) []string {
	var out []string
	for _, it := range types {
		if !slices.Contains(out, it.Family) {
			out = append(out, it.Family)
		}
	}
	return nonNil(out)
}

// diskCategories returns the categories usable as a system disk or as a
// data disk.
func diskCategories(cat Catalog, system bool) []catalog.DiskCategory {
	var out []catalog.DiskCategory
	for _, d := range cat.DiskCategories() {
		if system && d.System.Usable() || !system && d.Data.Usable() {
			out = append(out, d)
		}
	}
	return out
}

func diskNames(ds []catalog.DiskCategory) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Name
	}
	return out
}

// zoneItem is a zone as DescribeZones shows it (services/ecs
// struct_zone.go); Verbose=false leaves out the pointers.
type zoneItem struct {
	ZoneID                    string `json:"ZoneId"`
	LocalName                 string `json:"LocalName"`
	ZoneType                  string `json:"ZoneType"`
	AvailableResourceCreation struct {
		ResourceTypes []string `json:"ResourceTypes"`
	} `json:"AvailableResourceCreation"`
	AvailableInstanceTypes *struct {
		InstanceTypes []string `json:"InstanceTypes"`
	} `json:"AvailableInstanceTypes,omitempty"`
	AvailableDiskCategories *struct {
		DiskCategories []string `json:"DiskCategories"`
	} `json:"AvailableDiskCategories,omitempty"`
	AvailableVolumeCategories *struct {
		VolumeCategories []string `json:"VolumeCategories"`
	} `json:"AvailableVolumeCategories,omitempty"`
	NetworkTypes struct {
		NetworkType []string `json:"NetworkType"`
	} `json:"NetworkTypes"`
	AvailableResources *struct {
		ResourcesInfo []resourcesInfo `json:"ResourcesInfo"`
	} `json:"AvailableResources,omitempty"`
}

// resourcesInfo follows services/ecs struct_resources_info.go, whose
// inner keys start lower-case.
type resourcesInfo struct {
	IoOptimized   bool `json:"IoOptimized"`
	InstanceTypes struct {
		Supported []string `json:"supportedInstanceType"`
	} `json:"InstanceTypes"`
	InstanceTypeFamilies struct {
		Supported []string `json:"supportedInstanceTypeFamily"`
	} `json:"InstanceTypeFamilies"`
	SystemDiskCategories struct {
		Supported []string `json:"supportedSystemDiskCategory"`
	} `json:"SystemDiskCategories"`
	DataDiskCategories struct {
		Supported []string `json:"supportedDataDiskCategory"`
	} `json:"DataDiskCategories"`
	NetworkTypes struct {
		Supported []string `json:"supportedNetworkCategory"`
	} `json:"NetworkTypes"`
	InstanceGenerations struct {
		Supported []string `json:"supportedInstanceGeneration"`
	} `json:"InstanceGenerations"`
}

type describeZonesResponse struct {
	RequestID string `json:"RequestId"`
	Zones     struct {
		Zone []zoneItem `json:"Zone"`
	} `json:"Zones"`
}

// describeZones lists the region's zones. The instance types a zone
// offers are those with stock left there, so a type sold out in a zone
// (by the catalog or an admin stock override, or by the live instances)
// drops out of its AvailableInstanceTypes.
func (h *Handler) describeZones(ctx context.Context, c *call) (any, error) {
	region, err := h.region(c)
	if err != nil {
		return nil, err
	}
	verbose, ok, err := c.boolParam("Verbose")
	if err != nil {
		return nil, err
	}
	verbose = verbose || !ok
	s, err := h.loadStock(ctx)
	if err != nil {
		return nil, err
	}
	reg, _ := h.cfg.Catalog.Region(region)
	resp := describeZonesResponse{RequestID: c.id}
	resp.Zones.Zone = []zoneItem{}
	for _, zone := range reg.Zones {
		resp.Zones.Zone = append(resp.Zones.Zone, h.zoneItem(s, reg, zone, verbose))
	}
	return resp, nil
}

func (h *Handler) zoneItem(s *stock, reg catalog.Region, zone string, verbose bool) zoneItem {
	z := zoneItem{ZoneID: zone, LocalName: localName(reg, zone), ZoneType: "AvailabilityZone"}
	z.AvailableResourceCreation.ResourceTypes = []string{"VSwitch", "IoOptimized", "Instance", "Disk"}
	z.NetworkTypes.NetworkType = []string{"vpc"}
	if !verbose {
		return z
	}
	_, withStock := s.zoneTypes(zone, func(catalog.InstanceType) bool { return true })
	types := nonNil(names(withStock))
	system, data := diskNames(diskCategories(h.cfg.Catalog, true)), diskNames(diskCategories(h.cfg.Catalog, false))
	z.AvailableInstanceTypes = &struct {
		InstanceTypes []string `json:"InstanceTypes"`
	}{types}
	z.AvailableDiskCategories = &struct {
		DiskCategories []string `json:"DiskCategories"`
	}{data}
	z.AvailableVolumeCategories = &struct {
		VolumeCategories []string `json:"VolumeCategories"`
	}{data}
	info := resourcesInfo{IoOptimized: true}
	info.InstanceTypes.Supported = types
	info.InstanceTypeFamilies.Supported = families(withStock)
	info.SystemDiskCategories.Supported = system
	info.DataDiskCategories.Supported = data
	info.NetworkTypes.Supported = []string{"vpc"}
	info.InstanceGenerations.Supported = []string{"ecs-3", "ecs-4", "ecs-5", "ecs-6"}
	z.AvailableResources = &struct {
		ResourcesInfo []resourcesInfo `json:"ResourcesInfo"`
	}{[]resourcesInfo{info}}
	return z
}

// localName names a zone as ECS does in English: the region's name and the
// zone's letter, e.g. "China (Hangzhou) Zone G".
func localName(reg catalog.Region, zone string) string {
	letter := strings.ToUpper(strings.TrimPrefix(zone, reg.ID+"-"))
	name := reg.Name
	if name == "" {
		name = reg.ID
	}
	return name + " Zone " + letter
}

// Stock statuses of DescribeAvailableResource.
const (
	statusSoldOut      = "SoldOut"
	categoryWithStock  = "WithStock"
	categoryNoStock    = "WithoutStock"
	destinationDefault = "InstanceType"
)

type supportedResource struct {
	Value          string `json:"Value"`
	Status         string `json:"Status"`
	StatusCategory string `json:"StatusCategory"`
	Min            int    `json:"Min,omitempty"`
	Max            int    `json:"Max,omitempty"`
	Unit           string `json:"Unit,omitempty"`
}

type availableResource struct {
	Type               string `json:"Type"`
	SupportedResources struct {
		SupportedResource []supportedResource `json:"SupportedResource"`
	} `json:"SupportedResources"`
}

type availableZone struct {
	RegionID           string `json:"RegionId"`
	ZoneID             string `json:"ZoneId"`
	Status             string `json:"Status"`
	StatusCategory     string `json:"StatusCategory"`
	AvailableResources struct {
		AvailableResource []availableResource `json:"AvailableResource"`
	} `json:"AvailableResources"`
}

type describeAvailableResourceResponse struct {
	RequestID      string `json:"RequestId"`
	AvailableZones struct {
		AvailableZone []availableZone `json:"AvailableZone"`
	} `json:"AvailableZones"`
}

// stockStatus is the Status and StatusCategory of a resource with or
// without stock.
func stockStatus(ok bool) (string, string) {
	if ok {
		return statusAvailable, categoryWithStock
	}
	return statusSoldOut, categoryNoStock
}

// describeAvailableResource answers what users check before a scale-out:
// which zones, instance types (and their families) and disk categories
// have stock, after the catalog's limits, the admin API's overrides and
// the live instances of every account. DestinationResource is Zone,
// InstanceTypeFamily, InstanceType, SystemDisk, DataDisk, IoOptimized or
// Network; ZoneId, InstanceType, Cores and Memory narrow the instance
// types considered. A zone is Available while one of them has stock.
func (h *Handler) describeAvailableResource(ctx context.Context, c *call) (any, error) {
	region, err := h.region(c)
	if err != nil {
		return nil, err
	}
	dest := c.get("DestinationResource")
	if dest == "" {
		return nil, ackscale.FieldErrorf(ackscale.CodeMissingParameter, "DestinationResource", "DestinationResource is mandatory for this action")
	}
	if !slices.Contains(destinations, dest) {
		return nil, ackscale.FieldErrorf(ackscale.CodeNotInEnum, "DestinationResource",
			"The specified DestinationResource %q is not valid: use one of %s", dest, strings.Join(destinations, ", "))
	}
	keep, err := c.typeNarrowing()
	if err != nil {
		return nil, err
	}
	reg, _ := h.cfg.Catalog.Region(region)
	zones := reg.Zones
	if z := c.get("ZoneId"); z != "" {
		if !slices.Contains(zones, z) {
			return nil, notFound(CodeZoneNotFound, "ZoneId", "The specified ZoneId %q is not a zone of %s", z, region)
		}
		zones = []string{z}
	}
	s, err := h.loadStock(ctx)
	if err != nil {
		return nil, err
	}
	resp := describeAvailableResourceResponse{RequestID: c.id}
	resp.AvailableZones.AvailableZone = []availableZone{}
	for _, zone := range zones {
		all, withStock := s.zoneTypes(zone, keep)
		if len(all) == 0 {
			continue // nothing asked for is sold here
		}
		az := availableZone{RegionID: region, ZoneID: zone}
		az.Status, az.StatusCategory = stockStatus(len(withStock) > 0)
		az.AvailableResources.AvailableResource = []availableResource{h.resourcesOf(dest, zone, all, withStock)}
		resp.AvailableZones.AvailableZone = append(resp.AvailableZones.AvailableZone, az)
	}
	return resp, nil
}

// destinations are the DestinationResource values served.
var destinations = []string{"Zone", "IoOptimized", "InstanceTypeFamily", destinationDefault, "SystemDisk", "DataDisk", "Network"}

// typeNarrowing reads InstanceType, Cores and Memory.
func (c *call) typeNarrowing() (func(catalog.InstanceType) bool, error) {
	name := c.get("InstanceType")
	cores, hasCores, err := c.floatParam("Cores")
	if err != nil {
		return nil, err
	}
	mem, hasMem, err := c.floatParam("Memory")
	if err != nil {
		return nil, err
	}
	return func(it catalog.InstanceType) bool {
		return (name == "" || name == it.Name) && (!hasCores || float64(it.VCPU) == cores) && (!hasMem || it.MemoryGiB == mem)
	}, nil
}

// resourcesOf lists the resources of one destination in a zone.
func (h *Handler) resourcesOf(dest, zone string, all, withStock []catalog.InstanceType) availableResource {
	r := availableResource{Type: dest}
	add := func(value string, ok bool, lo, hi int, unit string) {
		st, cat := stockStatus(ok)
		r.SupportedResources.SupportedResource = append(r.SupportedResources.SupportedResource,
			supportedResource{Value: value, Status: st, StatusCategory: cat, Min: lo, Max: hi, Unit: unit})
	}
	anyStock := len(withStock) > 0
	switch dest {
	case "Zone":
		add(zone, anyStock, 0, 0, "")
	case "IoOptimized":
		add("optimized", anyStock, 0, 0, "")
	case "Network":
		add("vpc", anyStock, 0, 0, "")
	case "InstanceTypeFamily":
		stocked := families(withStock)
		for _, f := range families(all) {
			add(f, slices.Contains(stocked, f), 0, 0, "")
		}
	case destinationDefault:
		for _, it := range all {
			add(it.Name, slices.ContainsFunc(withStock, func(w catalog.InstanceType) bool { return w.Name == it.Name }), 0, 0, "")
		}
	case "SystemDisk", "DataDisk":
		for _, d := range diskCategories(h.cfg.Catalog, dest == "SystemDisk") {
			rng := d.Data
			if dest == "SystemDisk" {
				rng = d.System
			}
			add(d.Name, anyStock, rng.MinGiB, rng.MaxGiB, "GiB")
		}
	}
	r.SupportedResources.SupportedResource = nonNil(r.SupportedResources.SupportedResource)
	return r
}
