package memstore

import (
	"context"

	"github.com/ackscale/ackscale"
)

// Check counts instances, workers and tasks and the ways they can
// disagree: an instance exists in the cloud if and only if a worker
// records it (or it was detached from its cluster); the usage counters
// count the live instances and the running tasks' reservations; only
// running tasks hold reservations.
func (s *Store) Check(_ context.Context) (ackscale.Check, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var c ackscale.Check
	s.checkInstances(&c)
	s.checkWorkers(&c)
	s.checkQuotas(&c)
	for _, t := range s.tasks {
		switch t.State {
		case ackscale.TaskRunning:
			c.TasksRunning++
		case ackscale.TaskSuccess:
			c.TasksSucceeded++
		case ackscale.TaskFailed:
			c.TasksFailed++
		}
	}
	return c, nil
}

// checkInstances counts instances: live, released, detached, leaked and
// duplicated. The caller holds the lock.
func (s *Store) checkInstances(c *ackscale.Check) {
	recorded := map[string]bool{} // client tokens of workers
	for token := range s.workers {
		recorded[token] = true
	}
	perToken := map[string]int{}
	for _, in := range s.instances {
		c.Instances++
		perToken[in.ClientToken]++
		switch {
		case !in.live():
			c.Released++
		case in.detached:
			c.Live++
			c.Detached++
		default:
			c.Live++
			if !recorded[in.ClientToken] {
				c.Leaked++
			}
		}
	}
	for _, n := range perToken {
		if n > 1 {
			c.Duplicated++
		}
	}
}

// checkWorkers counts workers, the failed ones, and those whose recorded
// instance is not live. The caller holds the lock.
func (s *Store) checkWorkers(c *ackscale.Check) {
	for _, w := range s.workers {
		c.Workers++
		if w.State == ackscale.NodeFailed {
			c.FailedWorkers++
		}
		if in, ok := s.instances[w.InstanceID]; w.InstanceID != "" && (!ok || !in.live()) {
			c.Lost++
		}
	}
}

// checkQuotas counts the usage counters that differ from a count of what
// they count (an account scope's live instances and its running tasks'
// reservations, a zone × type's live instances), and the reservations of
// tasks that are not running. The caller holds the lock.
func (s *Store) checkQuotas(c *ackscale.Check) {
	want := map[scopeKey]counts{}
	stock := map[stockKey]int{}
	for _, in := range s.instances {
		if in.live() {
			k := scopeKey{in.AccountID, in.scope}
			n := want[k]
			n.instances++
			n.vcpus += in.VCPUs
			want[k] = n
			stock[stockKey{in.ZoneID, in.InstanceType}]++
		}
	}
	for taskID, r := range s.reservations {
		if s.tasks[taskID].State != ackscale.TaskRunning {
			c.StaleReservations++
			continue
		}
		n := want[r.scopeKey]
		n.reservedInstances += r.instances
		n.reservedVCPUs += r.instances * r.vcpus
		want[r.scopeKey] = n
	}
	c.QuotaDrift += drift(s.usage, want) + drift(s.stockLive, stock)
}

// drift counts the keys whose counter in have differs from want's (a key
// missing from have counts when want's counter is not zero).
func drift[K comparable, V comparable](have, want map[K]V) int {
	n := 0
	var zero V
	for k, v := range have {
		if want[k] != v {
			n++
		}
	}
	for k, v := range want {
		if _, ok := have[k]; !ok && v != zero {
			n++
		}
	}
	return n
}
