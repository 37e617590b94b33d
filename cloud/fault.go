package cloud

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ackscale/ackscale"
)

// AddFault records a fault; it fires on the next matching calls. The
// operations layer has validated it.
func (c *Cloud) AddFault(ctx context.Context, f ackscale.Fault) (ackscale.Fault, error) {
	f.ID, f.Created, f.Fired = "f-"+ackscale.NewTaskID()[2:], c.cfg.Now(), 0
	if err := c.cfg.Store.FaultAdd(ctx, f); err != nil {
		return f, err
	}
	c.log.InfoContext(ctx, "fault added", "fault_id", f.ID, "operation", f.Operation, "code", f.Code)
	return f, nil
}

// Faults lists the faults that can still fire.
func (c *Cloud) Faults(ctx context.Context) ([]ackscale.Fault, error) {
	return c.cfg.Store.FaultList(ctx)
}

// DeleteFault removes a fault, or every fault when id is "".
func (c *Cloud) DeleteFault(ctx context.Context, id string) error {
	return c.cfg.Store.FaultDelete(ctx, id)
}

// fire finds the first matching fault that fires now (by its probability
// and remaining count) and counts the firing.
func (c *Cloud) fire(ctx context.Context, op ackscale.FaultOp, accountID, regionID, zoneID, instanceType string) (ackscale.Fault, bool, error) {
	faults, err := c.cfg.Store.FaultList(ctx)
	if err != nil {
		return ackscale.Fault{}, false, err
	}
	for _, f := range faults {
		if !f.Matches(op, accountID, regionID, zoneID, instanceType) {
			continue
		}
		if f.Probability > 0 && rand.Float64() >= f.Probability {
			continue
		}
		ok, err := c.cfg.Store.FaultFire(ctx, f.ID)
		if err != nil {
			return f, false, err
		}
		if ok {
			c.log.InfoContext(ctx, "fault fired", "fault_id", f.ID, "operation", op, "code", f.Code, "zone", zoneID, "instance_type", instanceType)
			return f, true, nil
		}
	}
	return ackscale.Fault{}, false, nil
}

// inject applies a matching create or release fault: its latency, then its
// error.
func (c *Cloud) inject(ctx context.Context, op ackscale.FaultOp, accountID, regionID, zoneID, instanceType string) error {
	f, fired, err := c.fire(ctx, op, accountID, regionID, zoneID, instanceType)
	if err != nil || !fired {
		return err
	}
	if f.Latency > 0 {
		t := time.NewTimer(time.Duration(float64(f.Latency) / c.cfg.TimeScale))
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	if f.Code != "" {
		return faultError(f)
	}
	return nil
}

func faultError(f ackscale.Fault) error {
	msg := f.Message
	if msg == "" {
		msg = fmt.Sprintf("injected fault %s on %s", f.ID, f.Operation)
	}
	return ackscale.CloudErrorf(f.Code, "%s", msg)
}

func (c *Cloud) delayBoot(ctx context.Context, in *ackscale.Instance, d time.Duration) error {
	in.ReadyAt = c.cfg.Now().Add(time.Duration(float64(d) / c.cfg.TimeScale))
	return c.cfg.Store.InstanceUpdate(ctx, ackscale.InstanceUpdateParams{ID: in.ID, ReadyAt: in.ReadyAt})
}

// NodeFault reports whether a node fault fires for a worker about to
// register: its Node then starts NotReady, for the fault's latency (0:
// until the fault stops firing).
func (c *Cloud) NodeFault(ctx context.Context, accountID, regionID, zoneID, instanceType string) (ackscale.Fault, bool, error) {
	f, fired, err := c.fire(ctx, ackscale.FaultNode, accountID, regionID, zoneID, instanceType)
	if fired && f.Latency > 0 {
		f.Latency = time.Duration(float64(f.Latency) / c.cfg.TimeScale)
	}
	return f, fired, err
}
