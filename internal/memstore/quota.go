package memstore

import (
	"context"

	"github.com/ackscale/ackscale"
)

// Quota usage: usage counts each account's live instances and their vCPUs
// per scope, and what its running tasks reserved there, kept by
// InstanceCreate, the first release, the acceptance of a reserving task
// and its end; reservations hold what each accepted, unfinished task may
// still create. Accepting a task reads the counters under the store's
// lock and reserves, so two acceptances never overlap.

// scopeKey names an account's quota scope.
type scopeKey struct{ accountID, scope string }

// counts are the counters of an account's scope: its live instances and
// their vCPUs, and its running tasks' reservations.
type counts struct{ instances, vcpus, reservedInstances, reservedVCPUs int }

// reservation is what a task may still create.
type reservation struct {
	scopeKey
	instances int // left to create
	vcpus     int // of each
}

// QuotaUsageGet returns an account's usage of a quota scope: its live
// instances and their vCPUs there, and what its unfinished tasks reserved
// and have not created yet. An unknown account or scope has zero usage.
func (s *Store) QuotaUsageGet(_ context.Context, p ackscale.QuotaUsageParams) (ackscale.QuotaUsage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quotaUsage(p.AccountID, p.Scope), nil
}

// quotaUsage returns an account's usage of a scope: its counters. The
// caller holds the lock.
func (s *Store) quotaUsage(accountID, scope string) ackscale.QuotaUsage {
	c := s.usage[scopeKey{accountID, scope}]
	return ackscale.QuotaUsage{AccountID: accountID, Scope: scope, Instances: c.instances, VCPUs: c.vcpus,
		ReservedInstances: c.reservedInstances, ReservedVCPUs: c.reservedVCPUs}
}

// checkReservation asks r.CheckFunc (when both are set) whether the
// account may reserve r on top of its usage of r.Scope; its error is
// returned as it is. The caller holds the lock.
func (s *Store) checkReservation(accountID string, r *ackscale.Reservation) error {
	if r == nil || r.CheckFunc == nil {
		return nil
	}
	return r.CheckFunc(s.quotaUsage(accountID, r.Scope))
}

// reserve records and counts the reservation of a task (nothing when r is
// nil or reserves no instance). The caller holds the lock.
func (s *Store) reserve(t ackscale.Task, r *ackscale.Reservation) {
	if r == nil || r.Instances <= 0 {
		return
	}
	res := reservation{scopeKey: scopeKey{t.AccountID, r.Scope}, instances: r.Instances, vcpus: max(r.VCPUs, 0)}
	s.reservations[t.ID] = res
	s.addUsage(res.scopeKey, counts{reservedInstances: res.instances, reservedVCPUs: res.instances * res.vcpus})
}

// dropReservation forgets and uncounts what is left of a task's
// reservation. The caller holds the lock.
func (s *Store) dropReservation(taskID string) {
	r, ok := s.reservations[taskID]
	if !ok {
		return
	}
	delete(s.reservations, taskID)
	s.addUsage(r.scopeKey, counts{reservedInstances: -r.instances, reservedVCPUs: -r.instances * r.vcpus})
}

// countInstance adds a new instance to its account's usage when it is
// live, and takes one instance off the reservation of task reservation
// (when it has any left). The caller holds the lock.
func (s *Store) countInstance(in instance, reservation string) {
	if in.live() {
		s.addUsage(scopeKey{in.AccountID, in.scope}, counts{instances: 1, vcpus: in.VCPUs})
	}
	if r, ok := s.reservations[reservation]; ok && reservation != "" && r.instances > 0 {
		r.instances--
		s.reservations[reservation] = r
		s.addUsage(r.scopeKey, counts{reservedInstances: -1, reservedVCPUs: -r.vcpus})
	}
}

// addUsage adds d to the counters of k. The caller holds the lock.
func (s *Store) addUsage(k scopeKey, d counts) {
	c := s.usage[k]
	c.instances += d.instances
	c.vcpus += d.vcpus
	c.reservedInstances += d.reservedInstances
	c.reservedVCPUs += d.reservedVCPUs
	s.usage[k] = c
}
