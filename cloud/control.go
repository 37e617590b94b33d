package cloud

import (
	"context"
	"fmt"

	"github.com/ackscale/ackscale"
)

// SetStock overrides the capacity of a zone × instance type (negative:
// back to the catalog's). The operations layer has checked both exist.
func (c *Cloud) SetStock(ctx context.Context, o ackscale.StockOverride) error {
	return c.cfg.Store.StockSet(ctx, o)
}

// Stock lists every limited zone × type (catalog limits and overrides).
func (c *Cloud) Stock(ctx context.Context) ([]ackscale.StockView, error) {
	overrides, err := c.cfg.Store.StockList(ctx)
	if err != nil {
		return nil, err
	}
	views := map[[2]string]*ackscale.StockView{}
	var order [][2]string
	add := func(zone, typ string, capacity int, src string) {
		k := [2]string{zone, typ}
		if _, ok := views[k]; !ok {
			order = append(order, k)
		}
		views[k] = &ackscale.StockView{ZoneID: zone, InstanceType: typ, Capacity: capacity, Source: src}
	}
	for _, l := range c.cfg.Catalog.StockLimits() {
		add(l.ZoneID, l.InstanceType, l.Count, "catalog")
	}
	for _, o := range overrides {
		add(o.ZoneID, o.InstanceType, o.Capacity, "override")
	}
	live, err := c.cfg.Store.InstanceList(ctx, ackscale.InstanceListParams{LiveOnly: true})
	if err != nil {
		return nil, err
	}
	for _, in := range live {
		if v, ok := views[[2]string{in.ZoneID, in.InstanceType}]; ok {
			v.InUse++
		}
	}
	out := make([]ackscale.StockView, 0, len(order))
	for _, k := range order {
		out = append(out, *views[k])
	}
	return out, nil
}

// SetQuota overrides a quota of an account ("*": every account). The
// operations layer has checked the name.
func (c *Cloud) SetQuota(ctx context.Context, q ackscale.QuotaOverride) error {
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

// Instances lists every instance the cloud has had (released ones included).
func (c *Cloud) Instances(ctx context.Context) ([]ackscale.Instance, error) {
	all, err := c.cfg.Store.InstanceList(ctx, ackscale.InstanceListParams{})
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", err)
	}
	return all, nil
}
