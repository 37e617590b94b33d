package memstore

import (
	"cmp"
	"context"

	"github.com/ackscale/ackscale"
)

// instance is a stored instance, its detached mark and its quota scope.
type instance struct {
	ackscale.Instance
	detached bool   // left its cluster without being released
	scope    string // ackscale.QuotaScopeOf it, when it was created
}

func (in instance) live() bool { return in.Status != ackscale.InstanceReleased }

// InstanceCreate inserts an instance (status InstancePending when "")
// unless one with its client token exists, which it then returns with
// created false. Otherwise p.CheckFunc (when not nil) sees the stock of
// the instance's zone × type; its error is returned as it is and nothing
// is written. An instance without an IP gets the lowest free address of
// p.IPs (CodeIPExhausted when there is none); a given IP held by a live
// instance of the same account and pool, or a taken instance id, is a
// conflict. The account's usage of the instance's quota scope and the
// stock in use of its zone × type grow by it, and the reservation of task
// p.Reservation, if it has any instance left, shrinks by one. CheckFunc
// runs under the store's lock and must not call the store.
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
	pool := poolKey{in.AccountID, in.IPPool}
	if in.IP != "" {
		if _, held := s.held[heldKey{pool, in.IP}]; held {
			return ackscale.Instance{}, false, ackscale.ConflictErrorf("IP %s of %s is taken", in.IP, in.IPPool)
		}
		s.claimIP(pool, in.IP)
	} else {
		ip, err := s.allocateIP(pool, p.IPs)
		if err != nil {
			return ackscale.Instance{}, false, err
		}
		in.IP = ip
	}
	stored := instance{Instance: in, scope: ackscale.QuotaScopeOf(in.Kind, in.RegionID)}
	s.instances[in.ID] = stored
	s.byToken[in.ClientToken] = in.ID
	if stored.live() {
		s.held[heldKey{pool, in.IP}] = in.ID
		s.stockLive[stockKey{in.ZoneID, in.InstanceType}]++
	}
	s.countInstance(stored, p.Reservation)
	return in, true, nil
}

// stockUsage returns the stock of a zone × type: its override, if any,
// and its live instances. The caller holds the lock.
func (s *Store) stockUsage(zoneID, instanceType string) ackscale.StockUsage {
	k := stockKey{zoneID, instanceType}
	o, ok := s.stock[k]
	return ackscale.StockUsage{ZoneID: zoneID, InstanceType: instanceType, Override: o.Capacity, HasOverride: ok, Live: s.stockLive[k]}
}

// instanceByToken finds the instance a client token created. The caller
// holds the lock.
func (s *Store) instanceByToken(clientToken string) (instance, bool) {
	in, ok := s.instances[s.byToken[clientToken]]
	return in, ok
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
// IP, records when and takes it out of its account's quota usage: once,
// the first time), boot time or detached mark. CodeInstanceNotFound
// when there is none; a *TransitionError when its status may not move to
// p.Status, and then nothing changes.
func (s *Store) InstanceUpdate(_ context.Context, p ackscale.InstanceUpdateParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.instances.update(p.ID, instanceNotFound, func(in *instance) error {
		if p.Status != "" {
			if err := checkMove("instance", p.ID, in.Status, p.Status); err != nil {
				return err
			}
		}
		if p.Status == ackscale.InstanceReleased && in.live() {
			s.uncountInstance(*in)
		}
		if p.Status == ackscale.InstanceReleased && in.Released.IsZero() {
			in.Released = s.now() // the first release's time stays
		}
		in.Status = cmp.Or(p.Status, in.Status)
		if !p.ReadyAt.IsZero() {
			in.ReadyAt = p.ReadyAt
		}
		in.detached = in.detached || p.Detach
		return nil
	})
}

func instanceNotFound(id string) error {
	return ackscale.Errorf(ackscale.CodeInstanceNotFound, "instance %s not found", id)
}

// InstanceList returns instances, oldest first (then by id): an
// account's (AccountID "": every account's), live ones only when
// LiveOnly.
func (s *Store) InstanceList(_ context.Context, p ackscale.InstanceListParams) ([]ackscale.Instance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	listed := s.instances.sorted(func(in instance) bool {
		return matches(p.AccountID, in.AccountID) && (!p.LiveOnly || in.live())
	}, func(a, b instance) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return convert(listed, func(in instance) ackscale.Instance { return in.Instance }), nil
}

// InstanceUsedIPs returns the IPs of an account's pool held by live
// instances.
func (s *Store) InstanceUsedIPs(_ context.Context, p ackscale.InstanceUsedIPsParams) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	used := map[string]bool{}
	for k := range s.held {
		if k.accountID == p.AccountID && k.pool == p.Pool {
			used[k.ip] = true
		}
	}
	return used, nil
}

// uncountInstance takes a live instance being released out of its
// account's usage and its zone × type's stock in use, and returns its IP
// to its pool. The caller holds the lock.
func (s *Store) uncountInstance(in instance) {
	s.addUsage(scopeKey{in.AccountID, in.scope}, counts{instances: -1, vcpus: -in.VCPUs})
	s.stockLive[stockKey{in.ZoneID, in.InstanceType}]--
	pool := poolKey{in.AccountID, in.IPPool}
	delete(s.held, heldKey{pool, in.IP})
	s.freeIP(pool, in.IP)
}
