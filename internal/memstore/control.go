package memstore

import (
	"cmp"
	"context"

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
	s.stock.setOrDelete(stockKey{o.ZoneID, o.InstanceType}, o, o.Capacity < 0)
	return nil
}

// StockList returns the stock overrides, by zone and type.
func (s *Store) StockList(_ context.Context) ([]ackscale.StockOverride, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return nonNil(s.stock.sorted(nil, func(a, b ackscale.StockOverride) int {
		return cmp.Or(cmp.Compare(a.ZoneID, b.ZoneID), cmp.Compare(a.InstanceType, b.InstanceType))
	})), nil
}

// QuotaSet overrides a quota; a negative value removes the override.
func (s *Store) QuotaSet(_ context.Context, q ackscale.QuotaOverride) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quotas.setOrDelete(quotaKey{q.AccountID, q.Name}, q, q.Value < 0)
	return nil
}

// QuotaList returns the quota overrides, by account and name.
func (s *Store) QuotaList(_ context.Context) ([]ackscale.QuotaOverride, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return nonNil(s.quotas.sorted(nil, func(a, b ackscale.QuotaOverride) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.Name, b.Name))
	})), nil
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
	live := s.faults.sorted(func(f fault) bool { return f.remaining != 0 }, func(a, b fault) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return nonNil(convert(live, func(f fault) ackscale.Fault { return f.Fault })), nil
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
