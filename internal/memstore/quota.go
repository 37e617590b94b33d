package memstore

import (
	"context"

	"github.com/ackscale/ackscale"
)

// Quota usage: usage counts each account's live instances and their vCPUs
// per scope, kept by InstanceCreate and the first release; reservations
// hold what each accepted, unfinished task may still create. Accepting a
// task reads both under the store's lock and reserves, so two acceptances
// never overlap.

// scopeKey names an account's quota scope.
type scopeKey struct{ accountID, scope string }

// counts are the live instances of an account's scope and their vCPUs.
type counts struct{ instances, vcpus int }

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

// quotaUsage returns an account's usage of a scope: its counters, and the
// reservations of its running tasks. The caller holds the lock.
func (s *Store) quotaUsage(accountID, scope string) ackscale.QuotaUsage {
	k := scopeKey{accountID, scope}
	c := s.usage[k]
	u := ackscale.QuotaUsage{AccountID: accountID, Scope: scope, Instances: c.instances, VCPUs: c.vcpus}
	for taskID, r := range s.reservations {
		if r.scopeKey == k && s.tasks[taskID].State == ackscale.TaskRunning {
			u.ReservedInstances += r.instances
			u.ReservedVCPUs += r.instances * r.vcpus
		}
	}
	return u
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

// reserve records the reservation of a task (nothing when r is nil or
// reserves no instance). The caller holds the lock.
func (s *Store) reserve(t ackscale.Task, r *ackscale.Reservation) {
	if r == nil || r.Instances <= 0 {
		return
	}
	s.reservations[t.ID] = reservation{scopeKey: scopeKey{t.AccountID, r.Scope}, instances: r.Instances, vcpus: max(r.VCPUs, 0)}
}

// countInstance adds a new instance to its account's usage when it is
// live, and takes one instance off the reservation of task reservation
// (when it has any left). The caller holds the lock.
func (s *Store) countInstance(in instance, reservation string) {
	if in.live() {
		s.addUsage(in, 1)
	}
	if r, ok := s.reservations[reservation]; ok && reservation != "" && r.instances > 0 {
		r.instances--
		s.reservations[reservation] = r
	}
}

// addUsage adds n instances like in (n = -1 takes one away) to its
// account's usage of its scope. The caller holds the lock.
func (s *Store) addUsage(in instance, n int) {
	k := scopeKey{in.AccountID, in.scope}
	c := s.usage[k]
	c.instances += n
	c.vcpus += n * in.VCPUs
	s.usage[k] = c
}
