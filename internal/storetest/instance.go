package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

func (s suite) instanceCreate(t *testing.T) {
	s.run(t, "stores the instance", func(t *testing.T, b *testBundle) {
		in := b.newInstance("vsw-1")
		out, created, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
		require.NoError(t, err)
		require.True(t, created, "created")
		require.Equal(t, in, out)
		require.Equal(t, in, b.getInstance(t, in.ID))
	})
	s.run(t, "the same client token returns the first instance", instanceCreateAgain)
	s.run(t, "CheckFunc sees the live instances of the zone and type", instanceCreateUsage)
	s.run(t, "CheckFunc sees the stock override", func(t *testing.T, b *testBundle) {
		in := b.newInstance("vsw-1")
		require.NoError(t, b.Cloud.StockSet(b.ctx, ackscale.StockOverride{ZoneID: in.ZoneID, InstanceType: in.InstanceType, Capacity: 0}))
		require.NoError(t, b.Cloud.StockSet(b.ctx, ackscale.StockOverride{ZoneID: "cn-hangzhou-i", InstanceType: in.InstanceType, Capacity: 9}))
		got := checkUsage(t, b, in)
		require.Equal(t, ackscale.StockUsage{ZoneID: in.ZoneID, InstanceType: in.InstanceType, Override: 0, HasOverride: true}, got)
	})
	s.run(t, "a CheckFunc error is returned and nothing is written", instanceCreateRefused)
	s.run(t, "an IP held by a live instance of the pool is a conflict", instanceCreateIPTaken)
	s.run(t, "the same IP of the same pool in another account is free", func(t *testing.T, b *testBundle) {
		holder := b.createInstance(t, b.newInstance("vsw-1"))
		in := b.newInstance("vsw-1")
		in.AccountID, in.IP = b.other.ID, holder.IP
		b.createInstance(t, in)
	})
	s.run(t, "counts the instance in its account's usage of its scope", instanceCreateCounts)
	s.run(t, "Reservation: uses up one instance of the task's reservation", instanceCreateUsesReservation)
	s.run(t, "the same client token counts and uses up once", instanceCreateAgainCountsOnce)
	s.run(t, "a refused create counts nothing", instanceCreateRefusedCountsNothing)
	s.run(t, "the same IP in another pool is free", func(t *testing.T, b *testBundle) {
		holder := b.createInstance(t, b.newInstance("vsw-1"))
		in := b.newInstance("vsw-2")
		in.IP = holder.IP
		b.createInstance(t, in)
	})
	s.instanceCreateIPs(t)
	s.run(t, "an IP is free again once its holder is released", func(t *testing.T, b *testBundle) {
		holder := b.instanceIn(t, b.newInstance("vsw-1"), ackscale.InstanceReleased)
		in := b.newInstance("vsw-1")
		in.IP = holder.IP
		b.createInstance(t, in)
	})
}

func instanceCreateUsage(t *testing.T, b *testBundle) {
	in := b.newInstance("vsw-1")
	require.Equal(t, ackscale.StockUsage{ZoneID: in.ZoneID, InstanceType: in.InstanceType}, checkUsage(t, b, in), "no instance yet")
	b.instanceIn(t, b.newInstance("vsw-1"), ackscale.InstancePending)
	b.instanceIn(t, b.newInstance("vsw-1"), ackscale.InstanceRunning)
	b.instanceIn(t, b.newInstance("vsw-1"), ackscale.InstanceReleased)
	otherType, otherZone := b.newInstance("vsw-1"), b.newInstance("vsw-2")
	otherType.InstanceType, otherZone.ZoneID = "ecs.g6.large", "cn-hangzhou-i"
	b.createInstance(t, otherType)
	b.createInstance(t, otherZone)
	other := b.newInstance("vsw-1") // another account's counts too: stock is the cloud's
	other.AccountID = b.other.ID
	b.createInstance(t, other)
	require.Equal(t, ackscale.StockUsage{ZoneID: in.ZoneID, InstanceType: in.InstanceType, Live: 3}, checkUsage(t, b, in))
}

// checkUsage creates in with a CheckFunc that refuses it, and returns the
// usage the CheckFunc saw.
func checkUsage(t *testing.T, b *testBundle, in ackscale.Instance) ackscale.StockUsage {
	t.Helper()
	var got []ackscale.StockUsage
	refusal := errors.New("refused by the test")
	_, _, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in,
		CheckFunc: func(u ackscale.StockUsage) error { got = append(got, u); return refusal }})
	require.ErrorIs(t, err, refusal)
	require.Len(t, got, 1, "CheckFunc calls")
	return got[0]
}

// requireNoInstance fails unless in was never stored.
func requireNoInstance(t *testing.T, b *testBundle, in ackscale.Instance) {
	t.Helper()
	for _, p := range []ackscale.InstanceGetParams{{ID: in.ID}, {ClientToken: in.ClientToken}} {
		_, err := b.Cloud.InstanceGet(b.ctx, p)
		require.Equal(t, ackscale.CodeInstanceNotFound, ackscale.ErrorCode(err), "InstanceGet %+v: the instance must not exist", p)
	}
}

// requireInstances fails unless InstanceList(p) returns want, in order.
func requireInstances(t *testing.T, b *testBundle, p ackscale.InstanceListParams, want ...ackscale.Instance) {
	t.Helper()
	got, err := b.Cloud.InstanceList(b.ctx, p)
	require.NoError(t, err, "InstanceList %+v", p)
	require.Equal(t, instanceIDs(want), instanceIDs(got), "InstanceList %+v", p)
}

func (s suite) instanceGet(t *testing.T) {
	s.run(t, "by id or client token, released ones too", func(t *testing.T, b *testBundle) {
		for _, status := range instanceStatuses {
			in := b.instanceIn(t, b.newInstance("vsw-1"), status)
			for _, p := range []ackscale.InstanceGetParams{{ID: in.ID}, {ClientToken: in.ClientToken}} {
				got, err := b.Cloud.InstanceGet(b.ctx, p)
				require.NoError(t, err, "%s: InstanceGet %+v", status, p)
				require.Equal(t, in, got, "%s: InstanceGet %+v", status, p)
			}
		}
	})
	s.run(t, "an unknown one is CodeInstanceNotFound", func(t *testing.T, b *testBundle) {
		requireNoInstance(t, b, b.newInstance("vsw-1"))
	})
}

func (s suite) instanceUpdate(t *testing.T) {
	s.run(t, "sets the boot time", func(t *testing.T, b *testBundle) {
		in := b.createInstance(t, b.newInstance("vsw-1"))
		in.ReadyAt = b.now.Add(time.Hour)
		require.NoError(t, b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: in.ID, ReadyAt: in.ReadyAt}))
		require.Equal(t, in, b.getInstance(t, in.ID))
	})
	s.run(t, "Released records when and frees the IP", func(t *testing.T, b *testBundle) {
		in := b.createInstance(t, b.newInstance("vsw-1"))
		require.NoError(t, b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: in.ID, Status: ackscale.InstanceReleased}))
		got := b.getInstance(t, in.ID)
		require.Equal(t, ackscale.InstanceReleased, got.Status)
		require.False(t, got.Released.IsZero(), "Released time")
		used, err := b.Cloud.InstanceUsedIPs(b.ctx, ackscale.InstanceUsedIPsParams{AccountID: in.AccountID, Pool: in.IPPool})
		require.NoError(t, err)
		require.Empty(t, used)
	})
	s.run(t, "Released takes the instance out of the usage once", instanceUpdateReleaseUsage)
	s.run(t, "an empty status leaves it (Detach alone)", func(t *testing.T, b *testBundle) {
		in := b.instanceIn(t, b.newInstance("vsw-1"), ackscale.InstanceRunning)
		require.NoError(t, b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: in.ID, Detach: true}))
		require.Equal(t, in, b.getInstance(t, in.ID))
	})
	s.run(t, "an unknown one is CodeInstanceNotFound", func(t *testing.T, b *testBundle) {
		err := b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: ackscale.NewInstanceID(), Status: ackscale.InstanceRunning})
		require.Equal(t, ackscale.CodeInstanceNotFound, ackscale.ErrorCode(err))
		require.True(t, ackscale.IsNotFound(err))
	})
	s.run(t, "moves by the instance table", func(t *testing.T, b *testBundle) {
		for _, from := range instanceStatuses {
			for _, to := range instanceStatuses {
				t.Run(fmt.Sprintf("%s→%s", from, to), func(t *testing.T) { instanceUpdateMove(t, b, from, to) })
			}
		}
	})
}

// instanceUpdateMove walks an instance to status from, then updates it to
// status to and a new boot time; the instance table decides whether
// either is written.
func instanceUpdateMove(t *testing.T, b *testBundle, from, to ackscale.InstanceStatus) {
	before := b.instanceIn(t, b.newInstance("vsw-1"), from)
	p := ackscale.InstanceUpdateParams{ID: before.ID, Status: to, ReadyAt: b.now.Add(time.Hour)}
	err := b.Cloud.InstanceUpdate(b.ctx, p)
	got := b.getInstance(t, before.ID)
	if !from.CanMoveTo(to) {
		requireTransition(t, err, "instance", "InstanceUpdate %s→%s", from, to)
		require.Equal(t, before, got, "the instance must not change")
		return
	}
	require.NoError(t, err, "InstanceUpdate %s→%s", from, to)
	require.Equal(t, to, got.Status)
	require.Equal(t, p.ReadyAt, got.ReadyAt)
	if from == ackscale.InstanceReleased {
		require.Equal(t, before.Released, got.Released, "the first release's time stays")
	}
}

func (s suite) instanceList(t *testing.T) {
	s.run(t, "oldest first, then by id", func(t *testing.T, b *testBundle) {
		var ins []ackscale.Instance
		for _, d := range []time.Duration{2 * time.Second, time.Second, time.Second} {
			in := b.newInstance("vsw-1")
			in.Created = b.now.Add(d)
			ins = append(ins, b.createInstance(t, in))
		}
		want := []ackscale.Instance{ins[1], ins[2], ins[0]}
		if ins[2].ID < ins[1].ID {
			want[0], want[1] = ins[2], ins[1]
		}
		requireInstances(t, b, ackscale.InstanceListParams{}, want...)
	})
	s.run(t, "filters by account and liveness", func(t *testing.T, b *testBundle) {
		ins := make([]ackscale.Instance, 3)
		for i := range ins { // oldest first
			ins[i] = b.newInstance("vsw-1")
			ins[i].Created = b.now.Add(time.Duration(i) * time.Second)
		}
		ins[2].AccountID = b.other.ID
		live := b.createInstance(t, ins[0])
		released := b.instanceIn(t, ins[1], ackscale.InstanceReleased)
		other := b.createInstance(t, ins[2])
		requireInstances(t, b, ackscale.InstanceListParams{}, live, released, other)
		requireInstances(t, b, ackscale.InstanceListParams{AccountID: b.account.ID}, live, released)
		requireInstances(t, b, ackscale.InstanceListParams{LiveOnly: true}, live, other)
		requireInstances(t, b, ackscale.InstanceListParams{AccountID: b.account.ID, LiveOnly: true}, live)
		requireInstances(t, b, ackscale.InstanceListParams{AccountID: ackscale.NewAccountID()})
	})
}

func (s suite) instanceUsedIPs(t *testing.T) {
	s.run(t, "the IPs of the account's pool's live instances", func(t *testing.T, b *testBundle) {
		pending := b.createInstance(t, b.newInstance("vsw-1"))
		running := b.instanceIn(t, b.newInstance("vsw-1"), ackscale.InstanceRunning)
		b.instanceIn(t, b.newInstance("vsw-1"), ackscale.InstanceReleased)
		b.createInstance(t, b.newInstance("vsw-2"))
		other := b.newInstance("vsw-1")
		other.AccountID = b.other.ID
		b.createInstance(t, other)
		b.requireUsedIPs(t, b.account.ID, "vsw-1", pending.IP, running.IP)
		b.requireUsedIPs(t, b.account.ID, "vsw-none")
		b.requireUsedIPs(t, b.other.ID, "vsw-1", other.IP)
		b.requireUsedIPs(t, ackscale.NewAccountID(), "vsw-1")
	})
	s.run(t, "every account has its own pools", instanceUsedIPsPerAccount)
}

// requireUsedIPs fails unless the used IPs of an account's pool are ips.
func (b *testBundle) requireUsedIPs(t *testing.T, accountID, pool string, ips ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, ip := range ips {
		want[ip] = true
	}
	used, err := b.Cloud.InstanceUsedIPs(b.ctx, ackscale.InstanceUsedIPsParams{AccountID: accountID, Pool: pool})
	require.NoError(t, err, "InstanceUsedIPs %s %s", accountID, pool)
	require.Equal(t, want, used, "InstanceUsedIPs %s %s", accountID, pool)
}

// instanceUsedIPsPerAccount gives two accounts the same IP of the same
// pool; the same account may not hold it twice.
func instanceUsedIPsPerAccount(t *testing.T, b *testBundle) {
	mine := b.createInstance(t, b.newInstance("vsw-1"))
	theirs := b.newInstance("vsw-1")
	theirs.AccountID, theirs.IP = b.other.ID, mine.IP
	b.createInstance(t, theirs)
	b.requireUsedIPs(t, b.account.ID, "vsw-1", mine.IP)
	b.requireUsedIPs(t, b.other.ID, "vsw-1", mine.IP)

	again := b.newInstance("vsw-1")
	again.AccountID, again.IP = b.other.ID, mine.IP
	_, _, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: again})
	require.True(t, ackscale.IsConflict(err), "want a conflict, got %v", err)
	require.True(t, ackscale.IsRetryable(err), "retryable")
	requireNoInstance(t, b, again)

	require.NoError(t, b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: mine.ID, Status: ackscale.InstanceReleased}))
	b.requireUsedIPs(t, b.account.ID, "vsw-1")
	b.requireUsedIPs(t, b.other.ID, "vsw-1", mine.IP)
}

// instanceCreateAgain creates an instance with a client token used before.
func instanceCreateAgain(t *testing.T, b *testBundle) {
	first := b.createInstance(t, b.newInstance("vsw-1"))
	again := b.newInstance("vsw-1")
	again.ClientToken = first.ClientToken
	out, created, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: again,
		CheckFunc: func(ackscale.StockUsage) error { return nil }})
	require.NoError(t, err)
	require.False(t, created, "created")
	require.Equal(t, first, out)
	requireInstances(t, b, ackscale.InstanceListParams{}, first)
}

// instanceCreateRefused creates an instance that CheckFunc refuses.
func instanceCreateRefused(t *testing.T, b *testBundle) {
	in := b.newInstance("vsw-1")
	refusal := ackscale.CloudErrorf(ackscale.CodeNoStock, "sold out")
	_, created, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in,
		CheckFunc: func(ackscale.StockUsage) error { return refusal }})
	require.ErrorIs(t, err, refusal)
	require.False(t, created, "created")
	requireNoInstance(t, b, in)
}

// instanceCreateIPTaken creates an instance with an IP a live one holds.
func instanceCreateIPTaken(t *testing.T, b *testBundle) {
	holder := b.createInstance(t, b.newInstance("vsw-1"))
	in := b.newInstance("vsw-1")
	in.IP = holder.IP
	_, _, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in})
	require.True(t, ackscale.IsConflict(err), "want a conflict, got %v", err)
	requireNoInstance(t, b, in)
}
