package cloud

import (
	"context"
	"fmt"

	"github.com/ackscale/ackscale"
)

// SetStock overrides the capacity of a zone × instance type (negative:
// back to the catalog's).
func (c *Cloud) SetStock(ctx context.Context, o ackscale.StockOverride) error {
	if _, ok := c.cfg.Catalog.InstanceType(o.InstanceType); !ok {
		return ackscale.FieldErrorf(ackscale.CodeInstanceTypeNotFound, "instance_type", "instance_type: %s does not exist", o.InstanceType)
	}
	if _, ok := c.cfg.Catalog.ZoneRegion(o.ZoneID); !ok && !c.ENSRegionExists(o.ZoneID) {
		return ackscale.FieldErrorf(ackscale.CodeInvalidParameter, "zone_id", "zone_id: %s is neither a zone nor an ENS region", o.ZoneID)
	}
	return c.cfg.Store.StockSet(ctx, o)
}

// StockView is the stock of one zone × type as the cloud sees it now.
type StockView struct {
	ZoneID       string `json:"zone_id"`
	InstanceType string `json:"instance_type"`
	Capacity     int    `json:"capacity"` // -1: unlimited
	InUse        int    `json:"in_use"`
	Source       string `json:"source"` // catalog | override
}

// Stock lists every limited zone × type (catalog limits and overrides).
func (c *Cloud) Stock(ctx context.Context) ([]StockView, error) {
	overrides, err := c.cfg.Store.StockList(ctx)
	if err != nil {
		return nil, err
	}
	views := map[[2]string]*StockView{}
	var order [][2]string
	add := func(zone, typ string, capacity int, src string) {
		k := [2]string{zone, typ}
		if _, ok := views[k]; !ok {
			order = append(order, k)
		}
		views[k] = &StockView{ZoneID: zone, InstanceType: typ, Capacity: capacity, Source: src}
	}
	for _, l := range c.cfg.Catalog.StockLimits() {
		add(l.ZoneID, l.InstanceType, l.Count, "catalog")
	}
	for _, o := range overrides {
		add(o.ZoneID, o.InstanceType, o.Capacity, "override")
	}
	all, err := c.cfg.Store.InstanceList(ctx)
	if err != nil {
		return nil, err
	}
	for _, in := range all {
		if v, ok := views[[2]string{in.ZoneID, in.InstanceType}]; ok && in.Status != ackscale.InstanceReleased {
			v.InUse++
		}
	}
	out := make([]StockView, 0, len(order))
	for _, k := range order {
		out = append(out, *views[k])
	}
	return out, nil
}

// SetQuota overrides a quota of an account ("*": every account).
func (c *Cloud) SetQuota(ctx context.Context, q ackscale.QuotaOverride) error {
	if _, ok := c.defaultQuotas()[q.Name]; !ok {
		return ackscale.FieldErrorf(ackscale.CodeNotInEnum, "name", "name: %q is not a quota (%s, %s, %s, %s)", q.Name,
			ackscale.QuotaECSInstancesPerRegion, ackscale.QuotaECSVCPUsPerRegion, ackscale.QuotaENSInstances, ackscale.QuotaWorkersPerCluster)
	}
	if q.AccountID == "" {
		q.AccountID = "*"
	}
	return c.cfg.Store.QuotaSet(ctx, q)
}

func (c *Cloud) defaultQuotas() map[string]int {
	q := c.cfg.Catalog.Quotas()
	return map[string]int{
		ackscale.QuotaECSInstancesPerRegion: q.ECSInstancesPerRegion,
		ackscale.QuotaECSVCPUsPerRegion:     q.ECSVCPUsPerRegion,
		ackscale.QuotaENSInstances:          q.ENSInstances,
		ackscale.QuotaWorkersPerCluster:     q.WorkersPerCluster,
	}
}

// Quotas returns the quotas in force for an account: catalog defaults,
// then overrides for every account, then the account's own.
func (c *Cloud) Quotas(ctx context.Context, accountID string) (map[string]int, error) {
	q := c.defaultQuotas()
	overrides, err := c.cfg.Store.QuotaList(ctx)
	if err != nil {
		return nil, err
	}
	for _, pass := range []string{"*", accountID} {
		for _, o := range overrides {
			if o.AccountID == pass {
				q[o.Name] = o.Value
			}
		}
	}
	return q, nil
}

// QuotaOverrides lists the overrides set at run time.
func (c *Cloud) QuotaOverrides(ctx context.Context) ([]ackscale.QuotaOverride, error) {
	return c.cfg.Store.QuotaList(ctx)
}

// CheckQuota refuses a scale-out of count instances of instanceType that
// would take the account past an instance or vCPU quota, naming the quota.
// region is the ECS region, or "" with ens for edge instances.
func (c *Cloud) CheckQuota(ctx context.Context, accountID, regionID, instanceType string, count int) error {
	q, err := c.Quotas(ctx, accountID)
	if err != nil {
		return err
	}
	it, ok := c.cfg.Catalog.InstanceType(instanceType)
	if !ok {
		return nil // validation reports unknown types
	}
	usage, err := c.cfg.Store.InstanceUsage(ctx, accountID)
	if err != nil {
		return err
	}
	var ens, inRegion, vcpus int
	for _, u := range usage {
		uit, _ := c.cfg.Catalog.InstanceType(u.InstanceType)
		if uit.Kind == "ens" {
			ens += u.Count
		} else if u.RegionID == regionID {
			inRegion += u.Count
			vcpus += u.Count * uit.VCPU
		}
	}
	if it.Kind == "ens" {
		return over(ackscale.QuotaENSInstances, q, ens, count, "ENS instances of the account")
	}
	if err := over(ackscale.QuotaECSInstancesPerRegion, q, inRegion, count, "instances in "+regionID); err != nil {
		return err
	}
	return over(ackscale.QuotaECSVCPUsPerRegion, q, vcpus, count*it.VCPU, "vCPUs in "+regionID)
}

func over(name string, q map[string]int, used, more int, what string) error {
	if limit := q[name]; used+more > limit {
		return ackscale.FieldErrorf(ackscale.CodeQuotaExceeded, "count",
			"quota %s exceeded: %d %s in use, %d more asked, limit %d", name, used, what, more, limit)
	}
	return nil
}

// Instances lists every instance the cloud has had (released ones included).
func (c *Cloud) Instances(ctx context.Context) ([]ackscale.Instance, error) {
	all, err := c.cfg.Store.InstanceList(ctx)
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	return all, nil
}
