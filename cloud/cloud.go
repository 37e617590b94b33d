// Package cloud is the emulated Alibaba Cloud: it creates, boots and
// releases instances in the regions, zones and vSwitches of a catalog, keeps
// their state in a Store so it survives restarts, and makes every create call
// idempotent by client token as ECS's RunInstances is.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
)

// Store keeps the cloud's state: instances, stock and quota overrides,
// faults. Declared here for the cloud; every store implements it.
type Store interface {
	ackscale.CloudStore
}

// Config configures a Cloud.
type Config struct {
	Store   Store
	Catalog *catalog.Catalog
	Logger  *slog.Logger
	Now     func() time.Time
	// BootLatency, when set, replaces every type's boot time (0: instances
	// are running as soon as they are created).
	BootLatency *time.Duration
	// TimeScale runs emulated time this many times faster (default 1).
	TimeScale float64
}

// Cloud is the emulated cloud.
type Cloud struct {
	cfg Config
	log *slog.Logger
}

// New returns a Cloud.
func New(cfg Config) (*Cloud, error) {
	if cfg.Store == nil || cfg.Catalog == nil {
		return nil, errors.New("cloud: Store and Catalog are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = ackscale.NowUTC
	}
	if cfg.TimeScale <= 0 {
		cfg.TimeScale = 1
	}
	return &Cloud{cfg: cfg, log: cfg.Logger}, nil
}

// Catalog returns the catalog the cloud serves.
func (c *Cloud) Catalog() *catalog.Catalog { return c.cfg.Catalog }

// RunInstance creates one instance (RunInstances with Amount 1). The call
// is idempotent by client token. The first candidate type with stock in the
// zone is used; when none has, the answer is OperationDenied.NoStock.
func (c *Cloud) RunInstance(ctx context.Context, p ackscale.InstanceRequest) (ackscale.Instance, error) {
	if !p.NewToken {
		if prev, err := c.cfg.Store.InstanceGet(ctx, ackscale.InstanceGetParams{ClientToken: p.ClientToken}); err == nil {
			return prev, nil
		}
	}
	pool, prefix, err := c.ipPool(p)
	if err != nil {
		return ackscale.Instance{}, err
	}
	var lastErr error = ackscale.CloudErrorf(ackscale.CodeInstanceTypeNotFound, "none of the instance types %v exists", p.InstanceTypes)
	for _, name := range p.InstanceTypes {
		it, ok := c.cfg.Catalog.InstanceType(name)
		if !ok {
			continue
		}
		if err := c.inject(ctx, ackscale.FaultCreate, p.AccountID, p.RegionID, p.ZoneID, name); err != nil {
			return ackscale.Instance{}, err
		}
		in, err := c.create(ctx, p, it, pool, prefix)
		if ackscale.IsNoStock(err) {
			lastErr = err
			continue
		}
		return in, err
	}
	return ackscale.Instance{}, lastErr
}

func (c *Cloud) create(ctx context.Context, p ackscale.InstanceRequest, it catalog.InstanceType, pool string, prefix netip.Prefix) (ackscale.Instance, error) {
	now := c.cfg.Now()
	image := p.ImageID
	if image == "" { // the system image of the type's kind and architecture
		def, _ := c.cfg.Catalog.DefaultImage(it.Kind, it.Arch)
		image = def.ID
	}
	in := ackscale.Instance{
		ID: ackscale.NewInstanceID(), ClientToken: p.ClientToken, AccountID: p.AccountID, RegionID: p.RegionID,
		ZoneID: p.ZoneID, IPPool: pool, InstanceType: it.Name, Kind: ackscale.InstanceKind(it.Kind), VCPUs: it.VCPU, ImageID: image,
		Status: ackscale.InstancePending, ReadyAt: now.Add(c.bootTime(it)), Created: now,
	}
	// The store picks the IP, the lowest free one of the pool, in the
	// transaction that creates the instance: two creates never pick the same.
	out, created, err := c.cfg.Store.InstanceCreate(ctx, ackscale.InstanceCreateParams{Instance: in,
		CheckFunc: c.stockCheck(it.Name), Reservation: p.Reservation, IPs: hostRange(prefix)})
	if err != nil {
		return ackscale.Instance{}, err
	}
	if created {
		c.log.InfoContext(ctx, "instance created", "instance_id", out.ID, "ip", out.IP, "zone", out.ZoneID, "instance_type", out.InstanceType)
	}
	return out, nil
}

// stockCheck returns the stock decision of a zone × type, made inside the
// store's transaction: the capacity is the run-time override when there is
// one, else the catalog's (unlimited when the catalog sets none); at
// capacity the answer is OperationDenied.NoStock.
func (c *Cloud) stockCheck(instanceType string) func(ackscale.StockUsage) error {
	return func(u ackscale.StockUsage) error {
		capacity, limited := c.cfg.Catalog.Stock(u.ZoneID, instanceType)
		if u.HasOverride {
			capacity, limited = u.Override, true
		}
		if limited && u.Live >= capacity {
			return ackscale.CloudErrorf(ackscale.CodeNoStock, "the requested resource %s is sold out in zone %s (stock %d)",
				instanceType, u.ZoneID, capacity)
		}
		return nil
	}
}

func (c *Cloud) ipPool(p ackscale.InstanceRequest) (pool string, prefix netip.Prefix, err error) {
	if p.VSwitchID == "" {
		ens, ok := c.cfg.Catalog.ENSRegion(p.RegionID)
		if !ok {
			return "", prefix, ackscale.CloudErrorf(ackscale.CodeENSRegionNotFound, "ENS region %s does not exist", p.RegionID)
		}
		prefix, err = netip.ParsePrefix(ens.CIDR)
		return ens.ID, prefix, err
	}
	vsw, ok := c.cfg.Catalog.VSwitch(p.VSwitchID)
	if !ok {
		return "", prefix, ackscale.CloudErrorf(ackscale.CodeVSwitchNotFound, "vSwitch %s does not exist", p.VSwitchID)
	}
	prefix, err = netip.ParsePrefix(vsw.CIDR)
	return vsw.ID, prefix, err
}

// hostRange is the addresses of prefix the cloud hands out: the first
// three and the last are reserved, as in a VPC.
func hostRange(prefix netip.Prefix) ackscale.IPRange {
	prefix = prefix.Masked()
	first := prefix.Addr().Next().Next().Next()
	size := int64(1) << (prefix.Addr().BitLen() - prefix.Bits())
	last := ackscale.IPv4Number(prefix.Addr()) + size - 2 // before the broadcast address
	return ackscale.IPRange{First: first, Last: netip.MustParseAddr(ackscale.IPv4String(last))}
}

func (c *Cloud) bootTime(it catalog.InstanceType) time.Duration {
	if c.cfg.BootLatency != nil {
		return time.Duration(float64(*c.cfg.BootLatency) / c.cfg.TimeScale)
	}
	base := time.Duration(it.BootSeconds) * time.Second
	jitter := 0.8 + 0.4*rand.Float64() // ±20 %
	return time.Duration(float64(base) * jitter / c.cfg.TimeScale)
}

// DescribeInstance returns an instance; a Pending one whose boot time has
// passed is Running, unless a start fault says otherwise: an error code
// makes the boot fail (the instance stays Pending and the error is
// returned), NeverRunning keeps it Pending, Latency delays it.
func (c *Cloud) DescribeInstance(ctx context.Context, id string) (ackscale.Instance, error) {
	in, err := c.cfg.Store.InstanceGet(ctx, ackscale.InstanceGetParams{ID: id})
	if err != nil || in.Status != ackscale.InstancePending || c.cfg.Now().Before(in.ReadyAt) {
		return in, err
	}
	f, fired, err := c.fire(ctx, ackscale.FaultStart, in.AccountID, in.RegionID, in.ZoneID, in.InstanceType)
	if err != nil {
		return in, err
	}
	if fired {
		switch {
		case f.NeverRunning:
			return in, c.delayBoot(ctx, &in, 100*365*24*time.Hour)
		case f.Code != "":
			return in, faultError(f)
		case f.Latency > 0:
			return in, c.delayBoot(ctx, &in, f.Latency)
		}
	}
	if err := c.cfg.Store.InstanceUpdate(ctx, ackscale.InstanceUpdateParams{ID: id, Status: ackscale.InstanceRunning}); err != nil {
		return in, err
	}
	in.Status = ackscale.InstanceRunning
	return in, nil
}

// ReleaseInstance releases an instance and frees its IP. Releasing a
// released or unknown instance is not an error (the call is idempotent).
func (c *Cloud) ReleaseInstance(ctx context.Context, id string) error {
	in, err := c.cfg.Store.InstanceGet(ctx, ackscale.InstanceGetParams{ID: id})
	if ackscale.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release instance: %w", err)
	}
	if in.Status == ackscale.InstanceReleased {
		return nil
	}
	if err := c.inject(ctx, ackscale.FaultRelease, in.AccountID, in.RegionID, in.ZoneID, in.InstanceType); err != nil {
		return err
	}
	if err := c.cfg.Store.InstanceUpdate(ctx, ackscale.InstanceUpdateParams{ID: id, Status: ackscale.InstanceReleased}); err != nil {
		return fmt.Errorf("release instance: %w", err)
	}
	c.log.InfoContext(ctx, "instance released", "instance_id", id)
	return nil
}

// ReleaseByToken releases the instance a client token created, if any: a
// task rolling back after a crash may not have recorded the instance id.
func (c *Cloud) ReleaseByToken(ctx context.Context, clientToken string) error {
	in, err := c.cfg.Store.InstanceGet(ctx, ackscale.InstanceGetParams{ClientToken: clientToken})
	if ackscale.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release instance: %w", err)
	}
	return c.ReleaseInstance(ctx, in.ID)
}

// DetachByToken records that the instance a client token created left its
// cluster without being released: it stays, the account's.
func (c *Cloud) DetachByToken(ctx context.Context, clientToken string) error {
	in, err := c.cfg.Store.InstanceGet(ctx, ackscale.InstanceGetParams{ClientToken: clientToken})
	if ackscale.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("detach instance: %w", err)
	}
	return c.cfg.Store.InstanceUpdate(ctx, ackscale.InstanceUpdateParams{ID: in.ID, Detach: true})
}
