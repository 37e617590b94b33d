package sqlite

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// TestTableCacheKeepsNoStaleRows: rows loaded while the table changed are
// not kept; a caller mutating what it got does not change the cache.
func TestTableCacheKeepsNoStaleRows(t *testing.T) {
	var c tableCache[int]
	ctx := context.Background()
	loads := 0
	load := func(v int) func(context.Context) ([]int, error) {
		return func(context.Context) ([]int, error) { loads++; return []int{v}, nil }
	}
	got, err := c.read(ctx, func(ctx context.Context) ([]int, error) {
		c.bump() // a write committed while the rows were read
		return load(1)(ctx)
	})
	require.NoError(t, err)
	require.Equal(t, []int{1}, got)
	got, err = c.read(ctx, load(2))
	require.NoError(t, err)
	require.Equal(t, []int{2}, got, "the rows read during the write were not kept")
	got[0] = 99
	got, err = c.read(ctx, load(3))
	require.NoError(t, err)
	require.Equal(t, []int{2}, got, "kept, and a copy each time")
	require.Equal(t, 2, loads)
	c.bump()
	got, err = c.read(ctx, load(4))
	require.NoError(t, err)
	require.Equal(t, []int{4}, got)
}

// TestControlListsFollowWrites: the cached fault, quota and stock lists
// show every write as soon as it returns, firing a fault included.
func TestControlListsFollowWrites(t *testing.T) {
	b := setup(t)
	ctx, cloud := b.ctx, b.s.Cloud
	faults := func() []ackscale.Fault {
		fs, err := cloud.FaultList(ctx)
		require.NoError(t, err)
		return fs
	}
	require.Empty(t, faults())
	require.NoError(t, cloud.FaultAdd(ctx, ackscale.Fault{ID: "f1", Operation: ackscale.FaultCreate, Count: 2}))
	require.Len(t, faults(), 1)
	for want := 1; want <= 2; want++ {
		ok, err := cloud.FaultFire(ctx, "f1")
		require.NoError(t, err)
		require.True(t, ok)
		if want < 2 {
			require.Equal(t, want, faults()[0].Fired)
		}
	}
	require.Empty(t, faults(), "a fault with no firing left is not listed")
	require.NoError(t, cloud.FaultAdd(ctx, ackscale.Fault{ID: "f2", Operation: ackscale.FaultCreate}))
	require.Len(t, faults(), 1)
	require.NoError(t, cloud.FaultDelete(ctx, ""))
	require.Empty(t, faults())

	quotas := func() []ackscale.QuotaOverride {
		qs, err := cloud.QuotaList(ctx)
		require.NoError(t, err)
		return qs
	}
	require.Empty(t, quotas())
	require.NoError(t, cloud.QuotaSet(ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: 3}))
	require.Equal(t, 3, quotas()[0].Value)
	require.NoError(t, cloud.QuotaSet(ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: 4}))
	require.Equal(t, 4, quotas()[0].Value)
	require.NoError(t, cloud.QuotaSet(ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: -1}))
	require.Empty(t, quotas())

	stock := func() []ackscale.StockOverride {
		os, err := cloud.StockList(ctx)
		require.NoError(t, err)
		return os
	}
	require.Empty(t, stock())
	require.NoError(t, cloud.StockSet(ctx, ackscale.StockOverride{ZoneID: "z", InstanceType: "t", Capacity: 5}))
	require.Equal(t, 5, stock()[0].Capacity)
	require.NoError(t, cloud.StockSet(ctx, ackscale.StockOverride{ZoneID: "z", InstanceType: "t", Capacity: -1}))
	require.Empty(t, stock())
}
