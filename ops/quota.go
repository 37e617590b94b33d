package ops

import (
	"context"
	"fmt"

	"github.com/ackscale/ackscale"
)

// The emulated account quotas (instances and vCPUs per region, ENS
// instances, workers per cluster) are checked when an operation is
// accepted, as reservations: a task reserves what it may create, in the
// transaction that accepts it, so tasks accepted together — concurrent
// requests included — can never pass a quota between them, and a task
// that falls back to a larger instance type was priced at the largest.

// reservation is the quota a scale-out of so on cl reserves: so.Count
// instances of the kind of its first known type, each priced at the
// largest vCPU count of the types it may fall back to.
func (s *Service) reservation(q map[string]int, cl ackscale.Cluster, so ackscale.ScaleOut) *ackscale.Reservation {
	kind, vcpus := ackscale.InstanceKind(""), 0
	for _, name := range so.InstanceTypes {
		k, ok := s.cfg.Cloud.InstanceTypeKind(name)
		if !ok {
			continue // validation refused unknown types; a catalog may lose one
		}
		if kind == "" {
			kind = k
		}
		v, _ := s.cfg.Cloud.InstanceTypeVCPUs(name)
		vcpus = max(vcpus, v)
	}
	region := cl.Spec.RegionID
	if so.ENSRegionID != "" {
		region = so.ENSRegionID
	}
	scope := ackscale.QuotaScopeOf(kind, region)
	return &ackscale.Reservation{Scope: scope, Instances: so.Count, VCPUs: vcpus,
		CheckFunc: quotaCheck(q, kind == ackscale.KindENS, scope, so.Count, vcpus)}
}

// quotaCheck refuses a reservation of count instances of vcpus each that
// would take the account's usage of scope (live instances and other
// tasks' reservations) past a quota, naming the quota.
func quotaCheck(q map[string]int, ens bool, scope string, count, vcpus int) func(ackscale.QuotaUsage) error {
	return func(u ackscale.QuotaUsage) error {
		instances, cpus := u.Instances+u.ReservedInstances, u.VCPUs+u.ReservedVCPUs
		if ens {
			return over(ackscale.QuotaENSInstances, q, instances, count, "ENS instances of the account")
		}
		if err := over(ackscale.QuotaECSInstancesPerRegion, q, instances, count, "instances in "+scope); err != nil {
			return err
		}
		return over(ackscale.QuotaECSVCPUsPerRegion, q, cpus, count*vcpus, "vCPUs in "+scope)
	}
}

func over(name string, q map[string]int, used, more int, what string) error {
	if limit := q[name]; used+more > limit {
		return ackscale.FieldErrorf(ackscale.CodeQuotaExceeded, "count",
			"quota %s exceeded: %d %s in use or reserved by running tasks, %d more asked, limit %d", name, used, what, more, limit)
	}
	return nil
}

// workersQuota refuses a cluster of more workers than the account's
// workers_per_cluster quota allows.
func workersQuota(q map[string]int, workers, more int) error {
	if limit := q[ackscale.QuotaWorkersPerCluster]; workers+more > limit {
		return ackscale.FieldErrorf(ackscale.CodeQuotaExceeded, "count",
			"quota %s exceeded: the cluster has %d workers, %d more asked, limit %d", ackscale.QuotaWorkersPerCluster, workers, more, limit)
	}
	return nil
}

// quotas reads the quotas in force for the caller's account.
func (s *Service) quotas(ctx context.Context, c Caller) (map[string]int, error) {
	q, err := s.cfg.Cloud.Quotas(ctx, c.AccountID)
	if err != nil {
		return nil, fmt.Errorf("read quotas: %w", err)
	}
	return q, nil
}
