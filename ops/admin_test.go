package ops

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func TestSetStock(t *testing.T) {
	t.Parallel()
	b := setup(t)
	err := b.svc.SetStock(b.ctx, ackscale.StockOverride{ZoneID: "cn-beijing-g", InstanceType: "ecs.nope", Capacity: 1})
	requireError(t, err, ackscale.CodeInstanceTypeNotFound, "instance_type", "ecs.nope")
	err = b.svc.SetStock(b.ctx, ackscale.StockOverride{ZoneID: "cn-nowhere-z", InstanceType: "ecs.g6.large", Capacity: 1})
	requireError(t, err, ackscale.CodeInvalidParameter, "zone_id", "cn-nowhere-z")

	before, err := b.svc.Stock(b.ctx)
	require.NoError(t, err)
	require.NoError(t, b.svc.SetStock(b.ctx, ackscale.StockOverride{ZoneID: "cn-beijing-g", InstanceType: "ecs.g6.large", Capacity: 3}))
	// An ENS region is a zone of the ENS instance types.
	require.NoError(t, b.svc.SetStock(b.ctx, ackscale.StockOverride{ZoneID: "cn-beijing-telecom", InstanceType: "ens.sn1.tiny", Capacity: 0}))
	stock, err := b.svc.Stock(b.ctx)
	require.NoError(t, err)
	require.Len(t, stock, len(before)+2)
	require.Contains(t, stock, ackscale.StockView{ZoneID: "cn-beijing-g", InstanceType: "ecs.g6.large", Capacity: 3, Source: "override"})
	require.Contains(t, stock, ackscale.StockView{ZoneID: "cn-beijing-telecom", InstanceType: "ens.sn1.tiny", Capacity: 0, Source: "override"})
	require.Contains(t, b.logs.String(), "stock set")

	// A negative capacity goes back to the catalog's.
	require.NoError(t, b.svc.SetStock(b.ctx, ackscale.StockOverride{ZoneID: "cn-beijing-g", InstanceType: "ecs.g6.large", Capacity: -1}))
	stock, err = b.svc.Stock(b.ctx)
	require.NoError(t, err)
	require.Len(t, stock, len(before)+1)
}

func TestSetStockCloudFails(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) {
		c.Cloud = &fakeCloud{Cloud: c.Cloud, SetStockFunc: func(context.Context, ackscale.StockOverride) error { return errStore }}
	})
	err := b.svc.SetStock(b.ctx, ackscale.StockOverride{ZoneID: "cn-beijing-g", InstanceType: "ecs.g6.large", Capacity: 3})
	require.ErrorIs(t, err, errStore)
	require.Contains(t, err.Error(), "set stock")
}

func TestSetQuota(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: "gpus", Value: 1})
	requireError(t, err, ackscale.CodeNotInEnum, "name", `"gpus"`, "ecs_instances_per_region, ecs_vcpus_per_region, ens_instances, workers_per_cluster")

	q, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: ackscale.QuotaWorkersPerCluster, Value: 7})
	require.NoError(t, err)
	require.Equal(t, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: 7}, q)
	q, err = b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{AccountID: b.alice.AccountID, Name: ackscale.QuotaENSInstances, Value: 4})
	require.NoError(t, err)
	require.Equal(t, b.alice.AccountID, q.AccountID)

	r, err := b.svc.Quotas(b.ctx, "")
	require.NoError(t, err)
	require.ElementsMatch(t, []ackscale.QuotaOverride{
		{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: 7},
		{AccountID: b.alice.AccountID, Name: ackscale.QuotaENSInstances, Value: 4},
	}, r.Overrides)
	require.Nil(t, r.Effective, "no account asked")

	r, err = b.svc.Quotas(b.ctx, b.alice.AccountID)
	require.NoError(t, err)
	require.Equal(t, 7, r.Effective[ackscale.QuotaWorkersPerCluster], "the override for every account")
	require.Equal(t, 4, r.Effective[ackscale.QuotaENSInstances], "the account's own")
	require.Equal(t, 10000, r.Effective[ackscale.QuotaECSInstancesPerRegion], "the catalog's")
	r, err = b.svc.Quotas(b.ctx, b.bob.AccountID)
	require.NoError(t, err)
	require.Equal(t, 7, r.Effective[ackscale.QuotaWorkersPerCluster])
	require.Equal(t, 2000, r.Effective[ackscale.QuotaENSInstances])

	// A negative value removes the override.
	_, err = b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{AccountID: "*", Name: ackscale.QuotaWorkersPerCluster, Value: -1})
	require.NoError(t, err)
	r, err = b.svc.Quotas(b.ctx, b.bob.AccountID)
	require.NoError(t, err)
	require.Equal(t, 1000, r.Effective[ackscale.QuotaWorkersPerCluster])
	require.Len(t, r.Overrides, 1)
}

func TestSetQuotaCloudFails(t *testing.T) {
	t.Parallel()
	fc := &fakeCloud{}
	b := setup(t, func(c *Config) { fc.Cloud = c.Cloud; c.Cloud = fc })
	fc.SetQuotaFunc = func(context.Context, ackscale.QuotaOverride) error { return errStore }
	_, err := b.svc.SetQuota(b.ctx, ackscale.QuotaOverride{Name: ackscale.QuotaENSInstances, Value: 1})
	require.ErrorIs(t, err, errStore)

	fc.QuotaOverridesFunc = func(context.Context) ([]ackscale.QuotaOverride, error) { return nil, errStore }
	_, err = b.svc.Quotas(b.ctx, "")
	require.ErrorIs(t, err, errStore)

	fc.QuotaOverridesFunc = nil
	fc.QuotasFunc = func(context.Context, string) (map[string]int, error) { return nil, errStore }
	_, err = b.svc.Quotas(b.ctx, b.alice.AccountID)
	require.ErrorIs(t, err, errStore)
}

func TestAddFaultValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name         string
		fault        ackscale.Fault
		code, field  string
		inMessageToo string
	}{
		{"operation not in enum", ackscale.Fault{Operation: "boot", Code: "X"}, ackscale.CodeNotInEnum, "operation", `"boot"`},
		{"operation missing", ackscale.Fault{Code: "X"}, ackscale.CodeNotInEnum, "operation", `""`},
		{"probability above 1", ackscale.Fault{Operation: ackscale.FaultCreate, Code: "X", Probability: 1.5}, ackscale.CodeOutOfRange, "probability", "1.5"},
		{"negative probability", ackscale.Fault{Operation: ackscale.FaultCreate, Code: "X", Probability: -0.1}, ackscale.CodeOutOfRange, "probability", "-0.1"},
		{"negative count", ackscale.Fault{Operation: ackscale.FaultCreate, Code: "X", Count: -1}, ackscale.CodeOutOfRange, "count", "-1"},
		{"negative latency", ackscale.Fault{Operation: ackscale.FaultRelease, Code: "X", Latency: -time.Second}, ackscale.CodeOutOfRange, "latency", "-1s"},
		{"nothing to do", ackscale.Fault{Operation: ackscale.FaultStart}, ackscale.CodeMissingParameter, "code", "never_running"},
		{"never_running on create", ackscale.Fault{Operation: ackscale.FaultCreate, NeverRunning: true}, ackscale.CodeConflict, "never_running", "start and node"},
		{"never_running on release", ackscale.Fault{Operation: ackscale.FaultRelease, NeverRunning: true}, ackscale.CodeConflict, "never_running", "start and node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.svc.AddFault(b.ctx, tc.fault)
			requireError(t, err, tc.code, tc.field, tc.field, tc.inMessageToo)
		})
	}
	t.Run("none recorded", func(t *testing.T) {
		t.Parallel()
		fs, err := b.svc.Faults(b.ctx)
		require.NoError(t, err)
		require.Empty(t, fs)
	})
}

func TestAddFaultValid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []string
	for _, f := range []ackscale.Fault{
		{Operation: ackscale.FaultCreate, Code: ackscale.CodeNoStock, Probability: 1, Count: 2},
		{Operation: ackscale.FaultStart, NeverRunning: true},
		{Operation: ackscale.FaultNode, NeverRunning: true},
		{Operation: ackscale.FaultRelease, Latency: time.Second},
	} {
		got, err := b.svc.AddFault(b.ctx, f)
		require.NoError(t, err, f.Operation)
		require.Regexp(t, `^f-[0-9a-f]{24}$`, got.ID)
		require.Equal(t, f.Operation, got.Operation)
		require.Equal(t, t0, got.Created)
		ids = append(ids, got.ID)
	}
	fs, err := b.svc.Faults(b.ctx)
	require.NoError(t, err)
	require.Len(t, fs, 4)

	require.NoError(t, b.svc.DeleteFault(b.ctx, ids[0]))
	fs, err = b.svc.Faults(b.ctx)
	require.NoError(t, err)
	require.Len(t, fs, 3)
	require.NoError(t, b.svc.DeleteFault(b.ctx, ""))
	fs, err = b.svc.Faults(b.ctx)
	require.NoError(t, err)
	require.Empty(t, fs)
}

func TestInstances(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in, err := b.svc.Instances(b.ctx)
	require.NoError(t, err)
	require.Empty(t, in)

	_, err = b.cloud.RunInstance(b.ctx, ackscale.InstanceRequest{ClientToken: "tok", AccountID: b.alice.AccountID, RegionID: "cn-beijing",
		ZoneID: "cn-beijing-g", VSwitchID: "vsw-2zes3rfz7bmk0nxxxxxxx", InstanceTypes: []string{"ecs.g6.large"}})
	require.NoError(t, err)
	in, err = b.svc.Instances(b.ctx)
	require.NoError(t, err)
	require.Len(t, in, 1)
	require.Equal(t, "tok", in[0].ClientToken)
}

func TestCheckWithoutCheckerIsInternal(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.svc.Check(b.ctx)
	requireError(t, err, ackscale.CodeInternal, "", "no invariant check")
	require.Equal(t, ackscale.KindInternal, ackscale.KindOf(err))
}

func TestCheckCounts(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *Config) { c.Checker = c.Clusters.(ackscale.Checker) })
	a := b.create(b.alice, fmt.Sprintf(createStandard, "a"))
	b.finish(b.create(b.alice, fmt.Sprintf(createStandard, "b")).TaskID, true)
	b.finish(b.create(b.alice, fmt.Sprintf(createStandard, "c")).TaskID, false)
	b.addWorkers(a.ClusterID, "w", 2) // their instance ids were never the cloud's: lost
	_, err := b.cloud.RunInstance(b.ctx, ackscale.InstanceRequest{ClientToken: "no-worker", AccountID: b.alice.AccountID,
		RegionID: "cn-beijing", ZoneID: "cn-beijing-g", VSwitchID: "vsw-2zes3rfz7bmk0nxxxxxxx", InstanceTypes: []string{"ecs.g6.large"}})
	require.NoError(t, err) // leaked

	c, err := b.svc.Check(b.ctx)
	require.NoError(t, err)
	require.Equal(t, ackscale.Check{Instances: 1, Live: 1, Workers: 2, Leaked: 1, Lost: 2, TasksRunning: 1, TasksSucceeded: 1,
		TasksFailed: 1}, c)
}

func TestCreateAccount(t *testing.T) {
	t.Parallel()
	t.Run("without Accounts", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.svc.CreateAccount(b.ctx)
		requireError(t, err, ackscale.CodeInternal, "", "accounts cannot be created")
	})
	t.Run("with memstore", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *Config) { c.Accounts = c.Clusters.(Accounts) })
		k, err := b.svc.CreateAccount(b.ctx)
		require.NoError(t, err)
		require.Regexp(t, `^5[0-9]{15}$`, k.AccountID)
		require.Regexp(t, `^LTAI[0-9A-F]{20}$`, k.AccessKeyID)
		require.Len(t, k.AccessKeySecret, 30)

		acc, secret, err := b.store.AccountGetByKey(b.ctx, k.AccessKeyID)
		require.NoError(t, err)
		require.Equal(t, k.AccountID, acc.ID)
		require.Equal(t, k.AccessKeyID, acc.AccessKeyID)
		require.Equal(t, t0, acc.Created)
		require.Equal(t, k.AccessKeySecret, secret)

		other, err := b.svc.CreateAccount(b.ctx)
		require.NoError(t, err)
		require.NotEqual(t, k.AccountID, other.AccountID)
		require.NotEqual(t, k.AccessKeyID, other.AccessKeyID)
	})
	t.Run("store refuses", func(t *testing.T) {
		t.Parallel()
		b := setup(t, func(c *Config) {
			c.Accounts = accountsFunc(func(context.Context, ackscale.AccountCreateParams) error { return errStore })
		})
		_, err := b.svc.CreateAccount(b.ctx)
		require.ErrorIs(t, err, errStore)
		require.Contains(t, err.Error(), "create account")
	})
}

// accountsFunc is an Accounts.
type accountsFunc func(ctx context.Context, p ackscale.AccountCreateParams) error

func (f accountsFunc) AccountCreate(ctx context.Context, p ackscale.AccountCreateParams) error {
	return f(ctx, p)
}
