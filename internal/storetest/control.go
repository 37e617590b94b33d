package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func (s suite) stockSet(t *testing.T) {
	s.run(t, "sets, replaces and removes overrides", func(t *testing.T, b *testBundle) {
		set := func(zone, typ string, capacity int) {
			err := b.Cloud.StockSet(b.ctx, ackscale.StockOverride{ZoneID: zone, InstanceType: typ, Capacity: capacity})
			require.NoError(t, err, "StockSet %s %s %d", zone, typ, capacity)
		}
		set("cn-hangzhou-h", "ecs.c6.large", 3)
		set("cn-hangzhou-h", "ecs.g6.large", 0) // zero is an override: sold out
		set("cn-hangzhou-i", "ecs.c6.large", 5)
		set("cn-hangzhou-h", "ecs.c6.large", 7)
		set("cn-hangzhou-i", "ecs.c6.large", -1)
		set("cn-hangzhou-z", "ecs.c6.large", -1) // removing what is not there
		got, err := b.Cloud.StockList(b.ctx)
		require.NoError(t, err)
		require.ElementsMatch(t, []ackscale.StockOverride{
			{ZoneID: "cn-hangzhou-h", InstanceType: "ecs.c6.large", Capacity: 7},
			{ZoneID: "cn-hangzhou-h", InstanceType: "ecs.g6.large", Capacity: 0},
		}, got)
	})
}

func (s suite) stockList(t *testing.T) {
	s.run(t, "empty at first", func(t *testing.T, b *testBundle) {
		got, err := b.Cloud.StockList(b.ctx)
		require.NoError(t, err)
		require.Empty(t, got)
	})
}

func (s suite) quotaSet(t *testing.T) {
	s.run(t, "sets, replaces and removes overrides", func(t *testing.T, b *testBundle) {
		set := func(accountID, name string, value int) {
			err := b.Cloud.QuotaSet(b.ctx, ackscale.QuotaOverride{AccountID: accountID, Name: name, Value: value})
			require.NoError(t, err, "QuotaSet %s %s %d", accountID, name, value)
		}
		set("*", ackscale.QuotaECSInstancesPerRegion, 10)
		set(b.account.ID, ackscale.QuotaECSInstancesPerRegion, 2)
		set(b.account.ID, ackscale.QuotaWorkersPerCluster, 0)
		set("*", ackscale.QuotaENSInstances, 4)
		set(b.account.ID, ackscale.QuotaECSInstancesPerRegion, 3)
		set("*", ackscale.QuotaENSInstances, -1)
		set("*", ackscale.QuotaECSVCPUsPerRegion, -1) // removing what is not there
		got, err := b.Cloud.QuotaList(b.ctx)
		require.NoError(t, err)
		require.ElementsMatch(t, []ackscale.QuotaOverride{
			{AccountID: "*", Name: ackscale.QuotaECSInstancesPerRegion, Value: 10},
			{AccountID: b.account.ID, Name: ackscale.QuotaECSInstancesPerRegion, Value: 3},
			{AccountID: b.account.ID, Name: ackscale.QuotaWorkersPerCluster, Value: 0},
		}, got)
	})
}

func (s suite) quotaList(t *testing.T) {
	s.run(t, "empty at first", func(t *testing.T, b *testBundle) {
		got, err := b.Cloud.QuotaList(b.ctx)
		require.NoError(t, err)
		require.Empty(t, got)
	})
}

// newFault returns a fault on instance creation, not stored.
func (b *testBundle) newFault(count int) ackscale.Fault {
	return ackscale.Fault{
		ID: fmt.Sprintf("fault-%d", b.next()), Operation: ackscale.FaultCreate, RegionID: "cn-hangzhou",
		ZoneID: "cn-hangzhou-h", InstanceType: "ecs.c6.large", AccountID: b.account.ID, Code: ackscale.CodeNoStock,
		Message: "injected", Probability: 0.5, Count: count, Latency: 2 * time.Second, Created: b.now,
	}
}

// addFault stores a fault.
func (b *testBundle) addFault(t *testing.T, f ackscale.Fault) ackscale.Fault {
	t.Helper()
	require.NoError(t, b.Cloud.FaultAdd(b.ctx, f), "FaultAdd (builder)")
	return f
}

// requireFaults fails unless FaultList returns want, in order.
func requireFaults(t *testing.T, b *testBundle, want ...ackscale.Fault) {
	t.Helper()
	got, err := b.Cloud.FaultList(b.ctx)
	require.NoError(t, err, "FaultList")
	require.Equal(t, nilIfEmpty(want), nilIfEmpty(got), "FaultList")
}

func (s suite) faultAdd(t *testing.T) {
	s.run(t, "records the fault", func(t *testing.T, b *testBundle) {
		f := b.addFault(t, b.newFault(3))
		requireFaults(t, b, f)
	})
}

func (s suite) faultList(t *testing.T) {
	s.run(t, "oldest first, then by id", func(t *testing.T, b *testBundle) {
		late, early, tie := b.newFault(0), b.newFault(0), b.newFault(0)
		late.ID, early.ID, tie.ID = "fault-b", "fault-c", "fault-a"
		late.Created, early.Created, tie.Created = b.now.Add(time.Second), b.now, b.now.Add(time.Second)
		for _, f := range []ackscale.Fault{late, early, tie} {
			b.addFault(t, f)
		}
		requireFaults(t, b, early, tie, late)
	})
	s.run(t, "empty at first", func(t *testing.T, b *testBundle) { requireFaults(t, b) })
}

func (s suite) faultDelete(t *testing.T) {
	s.run(t, "removes one", func(t *testing.T, b *testBundle) {
		f1, f2 := b.addFault(t, b.newFault(0)), b.addFault(t, b.newFault(0))
		require.NoError(t, b.Cloud.FaultDelete(b.ctx, f1.ID))
		requireFaults(t, b, f2)
	})
	s.run(t, "removes every fault when id is empty", func(t *testing.T, b *testBundle) {
		b.addFault(t, b.newFault(0))
		b.addFault(t, b.newFault(2))
		require.NoError(t, b.Cloud.FaultDelete(b.ctx, ""))
		requireFaults(t, b)
	})
	s.run(t, "an unknown one is not an error", func(t *testing.T, b *testBundle) {
		require.NoError(t, b.Cloud.FaultDelete(b.ctx, "fault-none"))
	})
}

func (s suite) faultFire(t *testing.T) {
	s.run(t, "Count 0 fires without end", func(t *testing.T, b *testBundle) {
		f := b.addFault(t, b.newFault(0))
		requireFirings(t, b, f.ID, 5, 5)
		f.Fired = 5
		requireFaults(t, b, f)
	})
	s.run(t, "Count k fires k times, then is no longer listed", func(t *testing.T, b *testBundle) {
		f := b.addFault(t, b.newFault(3))
		requireFirings(t, b, f.ID, 2, 2)
		f.Fired = 2
		requireFaults(t, b, f)
		requireFirings(t, b, f.ID, 3, 1)
		requireFaults(t, b)
	})
	s.run(t, "an unknown fault does not fire", func(t *testing.T, b *testBundle) {
		requireFirings(t, b, "fault-none", 1, 0)
	})
}

// requireFirings fires a fault n times and fails unless want of them fire.
func requireFirings(t *testing.T, b *testBundle, id string, n, want int) {
	t.Helper()
	fired := 0
	for range n {
		ok, err := b.Cloud.FaultFire(b.ctx, id)
		require.NoError(t, err, "FaultFire %s", id)
		if ok {
			fired++
		}
	}
	require.Equal(t, want, fired, "FaultFire %s ×%d: firings", id, n)
}
