package memstore

import (
	"cmp"
	"context"
	"slices"

	"github.com/ackscale/ackscale"
)

type stockKey struct{ zoneID, instanceType string }

type quotaKey struct{ accountID, name string }

// fault is a stored fault and the firings it has left.
type fault struct {
	ackscale.Fault
	remaining int // -1: without end
}

// StockSet overrides a zone × type's capacity; a negative capacity
// removes the override.
func (s *Store) StockSet(_ context.Context, o ackscale.StockOverride) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := stockKey{o.ZoneID, o.InstanceType}
	if o.Capacity < 0 {
		delete(s.stock, k)
		return nil
	}
	s.stock[k] = o.Capacity
	return nil
}

// StockList returns the stock overrides, by zone and type.
func (s *Store) StockList(_ context.Context) ([]ackscale.StockOverride, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []ackscale.StockOverride{}
	for k, capacity := range s.stock {
		out = append(out, ackscale.StockOverride{ZoneID: k.zoneID, InstanceType: k.instanceType, Capacity: capacity})
	}
	slices.SortFunc(out, func(a, b ackscale.StockOverride) int {
		return cmp.Or(cmp.Compare(a.ZoneID, b.ZoneID), cmp.Compare(a.InstanceType, b.InstanceType))
	})
	return out, nil
}

// QuotaSet overrides a quota; a negative value removes the override.
func (s *Store) QuotaSet(_ context.Context, q ackscale.QuotaOverride) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := quotaKey{q.AccountID, q.Name}
	if q.Value < 0 {
		delete(s.quotas, k)
		return nil
	}
	s.quotas[k] = q.Value
	return nil
}

// QuotaList returns the quota overrides, by account and name.
func (s *Store) QuotaList(_ context.Context) ([]ackscale.QuotaOverride, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []ackscale.QuotaOverride{}
	for k, v := range s.quotas {
		out = append(out, ackscale.QuotaOverride{AccountID: k.accountID, Name: k.name, Value: v})
	}
	slices.SortFunc(out, func(a, b ackscale.QuotaOverride) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.Name, b.Name))
	})
	return out, nil
}

// FaultAdd records a fault (fired 0 times); a taken fault id is a
// conflict.
func (s *Store) FaultAdd(_ context.Context, f ackscale.Fault) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.faults[f.ID]; ok {
		return ackscale.ConflictErrorf("fault %s is taken", f.ID)
	}
	f.Fired, f.Created = 0, s.orNow(f.Created)
	remaining := f.Count
	if remaining <= 0 {
		remaining = -1
	}
	s.faults[f.ID] = fault{Fault: f, remaining: remaining}
	return nil
}

// FaultList returns the faults that can still fire, oldest first (then by
// id).
func (s *Store) FaultList(_ context.Context) ([]ackscale.Fault, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []ackscale.Fault{}
	for _, f := range s.faults {
		if f.remaining != 0 {
			out = append(out, f.Fault)
		}
	}
	slices.SortFunc(out, func(a, b ackscale.Fault) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// FaultDelete removes one fault, or every fault when id is ""; deleting
// one that is gone is not an error.
func (s *Store) FaultDelete(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		clear(s.faults)
		return nil
	}
	delete(s.faults, id)
	return nil
}

// FaultFire counts one firing of a fault; false when the fault has none
// left or is gone.
func (s *Store) FaultFire(_ context.Context, id string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.faults[id]
	if !ok || f.remaining == 0 {
		return false, nil
	}
	f.Fired++
	if f.remaining > 0 {
		f.remaining--
	}
	s.faults[id] = f
	return true, nil
}
