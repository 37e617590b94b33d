package cloud_test

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
	"github.com/ackscale/ackscale/catalog"
	"github.com/ackscale/ackscale/cloud"
	"github.com/ackscale/ackscale/sqlite"
)

type testBundle struct {
	ctx   context.Context
	cloud *cloud.Cloud
	store cloud.Store
	vsw   catalog.VSwitch
}

// setup builds the cloud over a real SQLite store with the default catalog.
func setup(t *testing.T, boot time.Duration) *testBundle {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, sqlite.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	cat := catalog.Default()
	c, err := cloud.New(cloud.Config{Store: sqlite.NewCloudStore(db), Catalog: cat, BootLatency: &boot})
	require.NoError(t, err)
	return &testBundle{ctx: ctx, cloud: c, store: sqlite.NewCloudStore(db), vsw: cat.DefaultVSwitches("cn-hangzhou")[0]}
}

// tokens numbers the client tokens of run, across the tests that run in
// parallel.
var tokens atomic.Int64

func (b *testBundle) run(types ...string) (ackscale.Instance, error) {
	n := tokens.Add(1)
	return b.cloud.RunInstance(b.ctx, ackscale.InstanceRequest{ClientToken: "tok-" + time.Now().Format("150405.000000000") + string(rune('a'+n%26)),
		AccountID: "acc", RegionID: b.vsw.RegionID, ZoneID: b.vsw.ZoneID, VSwitchID: b.vsw.ID, InstanceTypes: types})
}

func TestRunInstanceIdempotentAndIPsUnique(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	req := ackscale.InstanceRequest{ClientToken: "same", AccountID: "acc", RegionID: b.vsw.RegionID, ZoneID: b.vsw.ZoneID,
		VSwitchID: b.vsw.ID, InstanceTypes: []string{"ecs.c5.xlarge"}}
	first, err := b.cloud.RunInstance(b.ctx, req)
	require.NoError(t, err)
	again, err := b.cloud.RunInstance(b.ctx, req)
	require.NoError(t, err)
	require.Equal(t, first.ID, again.ID)

	seen := map[string]bool{first.IP: true}
	for range 20 {
		in, err := b.run("ecs.c5.xlarge")
		require.NoError(t, err)
		require.False(t, seen[in.IP], in.IP)
		seen[in.IP] = true
	}
	// A released instance's IP is given again.
	require.NoError(t, b.cloud.ReleaseInstance(b.ctx, first.ID))
	require.NoError(t, b.cloud.ReleaseInstance(b.ctx, first.ID)) // idempotent
	in, err := b.run("ecs.c5.xlarge")
	require.NoError(t, err)
	require.Equal(t, first.IP, in.IP)
}

// A create told its token is new does not look for the token's instance
// first, and a repeat of it still gets the same instance (the store keeps
// one instance per token); a create not told looks first, so a fault set
// meanwhile does not refuse a repeat.
func TestRunInstanceNewToken(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	counter := &getCounter{Store: b.store}
	c, err := cloud.New(cloud.Config{Store: counter, Catalog: catalog.Default()})
	require.NoError(t, err)
	req := ackscale.InstanceRequest{ClientToken: "new", AccountID: "acc", RegionID: b.vsw.RegionID, ZoneID: b.vsw.ZoneID,
		VSwitchID: b.vsw.ID, InstanceTypes: []string{"ecs.c5.xlarge"}, NewToken: true}
	first, err := c.RunInstance(b.ctx, req)
	require.NoError(t, err)
	require.Zero(t, counter.gets.Load(), "no lookup of a new token")
	again, err := c.RunInstance(b.ctx, req)
	require.NoError(t, err)
	require.Equal(t, first.ID, again.ID, "the same token's instance")

	_, err = c.AddFault(b.ctx, ackscale.Fault{Operation: ackscale.FaultCreate, Code: "Boom", Count: 1})
	require.NoError(t, err)
	req.NewToken = false
	prev, err := c.RunInstance(b.ctx, req)
	require.NoError(t, err, "a known token's instance is returned before any fault")
	require.Equal(t, first.ID, prev.ID)
	require.Equal(t, int32(1), counter.gets.Load())
}

// getCounter counts InstanceGet calls.
type getCounter struct {
	cloud.Store
	gets atomic.Int32
}

func (g *getCounter) InstanceGet(ctx context.Context, p ackscale.InstanceGetParams) (ackscale.Instance, error) {
	g.gets.Add(1)
	return g.Store.InstanceGet(ctx, p)
}

func TestStockFallsBackToNextType(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	require.NoError(t, b.cloud.SetStock(b.ctx, ackscale.StockOverride{ZoneID: b.vsw.ZoneID, InstanceType: "ecs.c5.xlarge", Capacity: 1}))
	in, err := b.run("ecs.c5.xlarge", "ecs.g6.xlarge")
	require.NoError(t, err)
	require.Equal(t, "ecs.c5.xlarge", in.InstanceType)
	in, err = b.run("ecs.c5.xlarge", "ecs.g6.xlarge")
	require.NoError(t, err)
	require.Equal(t, "ecs.g6.xlarge", in.InstanceType)
	_, err = b.run("ecs.c5.xlarge")
	require.Equal(t, ackscale.CodeNoStock, ackscale.ErrorCode(err))
	require.True(t, ackscale.IsNoStock(err) && ackscale.IsCloudRefusal(err))

	views, err := b.cloud.Stock(b.ctx)
	require.NoError(t, err)
	var found bool
	for _, v := range views {
		if v.ZoneID == b.vsw.ZoneID && v.InstanceType == "ecs.c5.xlarge" {
			found = true
			require.Equal(t, 1, v.Capacity)
			require.Equal(t, 1, v.InUse)
			require.Equal(t, "override", v.Source)
		}
	}
	require.True(t, found)
}

func TestFaults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		fault ackscale.Fault
		check func(t *testing.T, b *testBundle)
	}{
		{"create error fires count times", ackscale.Fault{Operation: ackscale.FaultCreate, Code: "InternalError", Count: 2},
			func(t *testing.T, b *testBundle) {
				for range 2 {
					_, err := b.run("ecs.c5.xlarge")
					require.Equal(t, "InternalError", ackscale.ErrorCode(err))
				}
				_, err := b.run("ecs.c5.xlarge")
				require.NoError(t, err)
			}},
		{"create fault matches its instance type only", ackscale.Fault{Operation: ackscale.FaultCreate, Code: ackscale.CodeNoStock, InstanceType: "ecs.g6.xlarge"},
			func(t *testing.T, b *testBundle) {
				_, err := b.run("ecs.g6.xlarge")
				require.Equal(t, ackscale.CodeNoStock, ackscale.ErrorCode(err))
				_, err = b.run("ecs.c5.xlarge")
				require.NoError(t, err)
			}},
		{"start never running", ackscale.Fault{Operation: ackscale.FaultStart, NeverRunning: true},
			func(t *testing.T, b *testBundle) {
				in, err := b.run("ecs.c5.xlarge")
				require.NoError(t, err)
				got, err := b.cloud.DescribeInstance(b.ctx, in.ID)
				require.NoError(t, err)
				require.Equal(t, ackscale.InstancePending, got.Status)
				require.True(t, got.ReadyAt.After(time.Now().Add(24*time.Hour)))
			}},
		{"start error", ackscale.Fault{Operation: ackscale.FaultStart, Code: "InstanceStartFailed", Count: 1},
			func(t *testing.T, b *testBundle) {
				in, err := b.run("ecs.c5.xlarge")
				require.NoError(t, err)
				_, err = b.cloud.DescribeInstance(b.ctx, in.ID)
				require.Equal(t, "InstanceStartFailed", ackscale.ErrorCode(err))
			}},
		{"release error", ackscale.Fault{Operation: ackscale.FaultRelease, Code: "IncorrectInstanceStatus", Count: 1},
			func(t *testing.T, b *testBundle) {
				in, err := b.run("ecs.c5.xlarge")
				require.NoError(t, err)
				require.Equal(t, "IncorrectInstanceStatus", ackscale.ErrorCode(b.cloud.ReleaseInstance(b.ctx, in.ID)))
				require.NoError(t, b.cloud.ReleaseInstance(b.ctx, in.ID))
			}},
		{"create latency", ackscale.Fault{Operation: ackscale.FaultCreate, Latency: 50 * time.Millisecond, Count: 1},
			func(t *testing.T, b *testBundle) {
				start := time.Now()
				_, err := b.run("ecs.c5.xlarge")
				require.NoError(t, err)
				require.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, 0)
			f, err := b.cloud.AddFault(b.ctx, tc.fault)
			require.NoError(t, err)
			require.NotEmpty(t, f.ID)
			tc.check(t, b)
		})
	}
}

// Quotas in force: the catalog's, then overrides for every account, then
// the account's own.
func TestQuotasInForce(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	require.NoError(t, b.cloud.SetQuota(b.ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaECSVCPUsPerRegion, Value: 7}))
	require.NoError(t, b.cloud.SetQuota(b.ctx, ackscale.QuotaOverride{AccountID: "acc", Name: ackscale.QuotaECSInstancesPerRegion, Value: 2}))
	require.NoError(t, b.cloud.SetQuota(b.ctx, ackscale.QuotaOverride{AccountID: "acc", Name: ackscale.QuotaECSVCPUsPerRegion, Value: 9}))
	acc, err := b.cloud.Quotas(b.ctx, "acc")
	require.NoError(t, err)
	other, err := b.cloud.Quotas(b.ctx, "other")
	require.NoError(t, err)
	def := catalog.Default().Quotas()
	require.Equal(t, 2, acc[ackscale.QuotaECSInstancesPerRegion])
	require.Equal(t, 9, acc[ackscale.QuotaECSVCPUsPerRegion], "the account's own override wins over *")
	require.Equal(t, 7, other[ackscale.QuotaECSVCPUsPerRegion])
	require.Equal(t, def.ECSInstancesPerRegion, other[ackscale.QuotaECSInstancesPerRegion])
	require.Equal(t, def.WorkersPerCluster, other[ackscale.QuotaWorkersPerCluster])
}

// recordingStore records the InstanceCreate calls and answers each with
// a conflict.
type recordingStore struct {
	cloud.Store
	calls []ackscale.InstanceCreateParams
}

func (s *recordingStore) InstanceCreate(_ context.Context, p ackscale.InstanceCreateParams) (ackscale.Instance, bool, error) {
	s.calls = append(s.calls, p)
	return ackscale.Instance{}, false, ackscale.ConflictErrorf("instance %s is taken", p.Instance.ID)
}

// The cloud leaves the IP to the store, which picks it in the transaction
// that creates the instance: it passes the vSwitch's host addresses (the
// first three and the last are reserved), calls once, and returns the
// store's error as it is.
func TestCreateLeavesTheIPToTheStore(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(context.Background(), sqlite.Config{Dir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	store := &recordingStore{Store: sqlite.NewCloudStore(db)}
	cat := catalog.Default()
	c, err := cloud.New(cloud.Config{Store: store, Catalog: cat})
	require.NoError(t, err)
	vsw := cat.DefaultVSwitches("cn-hangzhou")[0]
	_, err = c.RunInstance(context.Background(), ackscale.InstanceRequest{ClientToken: "tok", AccountID: "acc",
		RegionID: vsw.RegionID, ZoneID: vsw.ZoneID, VSwitchID: vsw.ID, InstanceTypes: []string{"ecs.c5.xlarge"}})
	require.True(t, ackscale.IsConflict(err), "want the store's conflict, got %v", err)
	require.Len(t, store.calls, 1, "InstanceCreate calls")
	p := store.calls[0]
	require.Empty(t, p.Instance.IP, "the store picks the IP")
	prefix := netip.MustParsePrefix(vsw.CIDR).Masked()
	first := prefix.Addr().Next().Next().Next()
	last := first
	for prefix.Contains(last.Next().Next()) {
		last = last.Next()
	}
	require.Equal(t, ackscale.IPRange{First: first, Last: last}, p.IPs)
}

// Each account has its own copy of the catalog's vSwitches: before, the
// IP pools were shared, so one account's instances took another's IPs.
func TestIPPoolsPerAccount(t *testing.T) {
	t.Parallel()
	b := setup(t, 0)
	req := func(token, account string) ackscale.InstanceRequest {
		return ackscale.InstanceRequest{ClientToken: token, AccountID: account, RegionID: b.vsw.RegionID, ZoneID: b.vsw.ZoneID,
			VSwitchID: b.vsw.ID, InstanceTypes: []string{"ecs.c5.xlarge"}}
	}
	a1, err := b.cloud.RunInstance(b.ctx, req("a-1", "alice"))
	require.NoError(t, err)
	b1, err := b.cloud.RunInstance(b.ctx, req("b-1", "bob"))
	require.NoError(t, err)
	require.Equal(t, a1.IP, b1.IP, "the first free address of each account's own vSwitch")
	a2, err := b.cloud.RunInstance(b.ctx, req("a-2", "alice"))
	require.NoError(t, err)
	require.NotEqual(t, a1.IP, a2.IP)
}
