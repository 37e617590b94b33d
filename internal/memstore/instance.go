package memstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/ackscale/ackscale"
)

// instance is a stored instance and its detached mark.
type instance struct {
	ackscale.Instance
	detached bool // left its cluster without being released
}

func (in instance) live() bool { return in.Status != ackscale.InstanceReleased }

// InstanceCreate inserts an instance (status InstancePending when "")
// unless one with its client token exists, which it then returns with
// created false. Otherwise p.CheckFunc (when not nil) sees the stock of
// the instance's zone × type; its error is returned as it is and nothing
// is written. An IP held by a live instance of the same pool, or a taken
// instance id, is a conflict. CheckFunc runs under the store's lock and
// must not call the store.
func (s *Store) InstanceCreate(_ context.Context, p ackscale.InstanceCreateParams) (ackscale.Instance, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.instanceByToken(p.Instance.ClientToken); ok {
		return prev.Instance, false, nil
	}
	in := p.Instance
	in.Status = cmp.Or(in.Status, ackscale.InstancePending)
	in.Created = s.orNow(in.Created)
	if p.CheckFunc != nil {
		if err := p.CheckFunc(s.stockUsage(in.ZoneID, in.InstanceType)); err != nil {
			return ackscale.Instance{}, false, err
		}
	}
	if _, ok := s.instances[in.ID]; ok {
		return ackscale.Instance{}, false, ackscale.ConflictErrorf("instance %s is taken", in.ID)
	}
	if s.ipHeld(in.IPPool, in.IP) {
		return ackscale.Instance{}, false, ackscale.ConflictErrorf("IP %s of %s is taken", in.IP, in.IPPool)
	}
	s.instances[in.ID] = instance{Instance: in}
	return in, true, nil
}

// stockUsage returns the stock of a zone × type: its override, if any,
// and its live instances. The caller holds the lock.
func (s *Store) stockUsage(zoneID, instanceType string) ackscale.StockUsage {
	u := ackscale.StockUsage{ZoneID: zoneID, InstanceType: instanceType}
	u.Override, u.HasOverride = s.stock[stockKey{zoneID, instanceType}]
	for _, in := range s.instances {
		if in.live() && in.ZoneID == zoneID && in.InstanceType == instanceType {
			u.Live++
		}
	}
	return u
}

// ipHeld reports whether a live instance of pool holds ip. The caller
// holds the lock.
func (s *Store) ipHeld(pool, ip string) bool {
	for _, in := range s.instances {
		if in.live() && in.IPPool == pool && in.IP == ip {
			return true
		}
	}
	return false
}

// instanceByToken finds the instance a client token created. The caller
// holds the lock.
func (s *Store) instanceByToken(clientToken string) (instance, bool) {
	for _, in := range s.instances {
		if in.ClientToken == clientToken {
			return in, true
		}
	}
	return instance{}, false
}

// InstanceGet returns an instance by id or client token (both, when both
// are given), released ones included; CodeInstanceNotFound when there is
// none.
func (s *Store) InstanceGet(_ context.Context, p ackscale.InstanceGetParams) (ackscale.Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[p.ID]
	if p.ID == "" {
		in, ok = s.instanceByToken(p.ClientToken)
	}
	if !ok || p.ClientToken != "" && in.ClientToken != p.ClientToken {
		return ackscale.Instance{}, ackscale.Errorf(ackscale.CodeInstanceNotFound, "instance %s (client token %q) not found",
			p.ID, p.ClientToken)
	}
	return in.Instance, nil
}

// InstanceUpdate changes an instance's status (InstanceReleased frees its
// IP and records when), boot time or detached mark. CodeInstanceNotFound
// when there is none; a *TransitionError when its status may not move to
// p.Status, and then nothing changes.
func (s *Store) InstanceUpdate(_ context.Context, p ackscale.InstanceUpdateParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[p.ID]
	if !ok {
		return ackscale.Errorf(ackscale.CodeInstanceNotFound, "instance %s not found", p.ID)
	}
	if p.Status != "" && !in.Status.CanMoveTo(p.Status) {
		return &ackscale.TransitionError{What: "instance", ID: p.ID, From: string(in.Status), To: string(p.Status)}
	}
	if p.Status == ackscale.InstanceReleased && in.Released.IsZero() {
		in.Released = s.now() // the first release's time stays
	}
	in.Status = cmp.Or(p.Status, in.Status)
	if !p.ReadyAt.IsZero() {
		in.ReadyAt = p.ReadyAt
	}
	in.detached = in.detached || p.Detach
	s.instances[in.ID] = in
	return nil
}

// InstanceList returns instances, oldest first (then by id): an
// account's (AccountID "": every account's), live ones only when
// LiveOnly.
func (s *Store) InstanceList(_ context.Context, p ackscale.InstanceListParams) ([]ackscale.Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ackscale.Instance
	for _, in := range s.instances {
		if matches(p.AccountID, in.AccountID) && (!p.LiveOnly || in.live()) {
			out = append(out, in.Instance)
		}
	}
	slices.SortFunc(out, func(a, b ackscale.Instance) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// InstanceUsedIPs returns the IPs of a pool held by live instances.
func (s *Store) InstanceUsedIPs(_ context.Context, pool string) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	used := map[string]bool{}
	for _, in := range s.instances {
		if in.live() && in.IPPool == pool {
			used[in.IP] = true
		}
	}
	return used, nil
}

// InstanceUsage counts an account's live instances by region and type,
// ordered by region and type.
func (s *Store) InstanceUsage(_ context.Context, accountID string) ([]ackscale.InstanceUsage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[ackscale.InstanceUsage]int{} // keyed with Count 0
	for _, in := range s.instances {
		if in.live() && in.AccountID == accountID {
			counts[ackscale.InstanceUsage{RegionID: in.RegionID, InstanceType: in.InstanceType}]++
		}
	}
	var out []ackscale.InstanceUsage
	for u, n := range counts {
		u.Count = n
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b ackscale.InstanceUsage) int {
		return cmp.Or(cmp.Compare(a.RegionID, b.RegionID), cmp.Compare(a.InstanceType, b.InstanceType))
	})
	return out, nil
}
