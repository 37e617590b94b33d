package storetest

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ackscale/ackscale"
)

// IP allocation: an instance created without an IP gets the lowest
// address of InstanceCreateParams.IPs that no live instance of its
// account's pool holds, in the transaction that creates it.

// ipRange is a range of n addresses from 10.0.0.3.
func ipRange(n int) ackscale.IPRange {
	first := netip.MustParseAddr("10.0.0.3")
	last := first
	for range n - 1 {
		last = last.Next()
	}
	return ackscale.IPRange{First: first, Last: last}
}

// nthIP is the address i of ipRange (0 is its first).
func nthIP(i int) string {
	a := netip.MustParseAddr("10.0.0.3")
	for range i {
		a = a.Next()
	}
	return a.String()
}

// allocated creates in (of the caller's account unless in says otherwise)
// without an IP, the store picking it from r, and returns it as stored.
func (b *testBundle) allocated(t *testing.T, in ackscale.Instance, r ackscale.IPRange) ackscale.Instance {
	t.Helper()
	in.IP = ""
	out, created, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in, IPs: r})
	require.NoError(t, err, "InstanceCreate without an IP")
	require.True(t, created, "created")
	require.NotEmpty(t, out.IP, "the store picked an IP")
	require.Equal(t, out, b.getInstance(t, in.ID), "the instance as stored")
	return out
}

// requireAllocates fails unless the next instances created in pool get
// the addresses ips, in order.
func (b *testBundle) requireAllocates(t *testing.T, pool string, r ackscale.IPRange, ips ...string) []ackscale.Instance {
	t.Helper()
	var out []ackscale.Instance
	for _, ip := range ips {
		in := b.allocated(t, b.newInstance(pool), r)
		require.Equal(t, ip, in.IP, "the lowest free address")
		out = append(out, in)
	}
	return out
}

// release releases an instance.
func (b *testBundle) release(t *testing.T, in ackscale.Instance) {
	t.Helper()
	require.NoError(t, b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: in.ID, Status: ackscale.InstanceReleased}),
		"release %s", in.ID)
}

func (s suite) instanceCreateIPs(t *testing.T) {
	s.run(t, "IPs: the lowest free address of the range, in order", func(t *testing.T, b *testBundle) {
		b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(0), nthIP(1), nthIP(2))
	})
	s.run(t, "IPs: the lowest free address is reused after a release", ipsReused)
	s.run(t, "IPs: an address a live instance holds is skipped", ipsSkipHeld)
	s.run(t, "IPs: an address given to a new instance is no longer free", ipsGivenNotFree)
	s.run(t, "IPs: every account and every pool has its own", func(t *testing.T, b *testBundle) {
		b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(0), nthIP(1))
		b.requireAllocates(t, "vsw-2", ipRange(10), nthIP(0))
		theirs := b.newInstance("vsw-1")
		theirs.AccountID = b.other.ID
		require.Equal(t, nthIP(0), b.allocated(t, theirs, ipRange(10)).IP)
	})
	s.run(t, "IPs: the range's last address, then CodeIPExhausted, and nothing written", ipsExhausted)
	s.run(t, "IPs: the same client token or a refused create takes no address", ipsNotTaken)
	s.run(t, "IPs: a range that starts higher starts at its first address", func(t *testing.T, b *testBundle) {
		b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(0), nthIP(1))
		higher := ackscale.IPRange{First: netip.MustParseAddr(nthIP(5)), Last: netip.MustParseAddr(nthIP(6))}
		b.requireAllocates(t, "vsw-1", higher, nthIP(5), nthIP(6))
	})
}

// ipsReused releases addresses below the pool's next one, and checks
// that each is handed out again, lowest first, before any new one.
func ipsReused(t *testing.T, b *testBundle) {
	ins := b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(0), nthIP(1), nthIP(2), nthIP(3))
	b.release(t, ins[2])
	b.release(t, ins[0])
	b.release(t, ins[0]) // again: freed once
	b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(0), nthIP(2), nthIP(4))
	other := b.newInstance("vsw-1") // another account's release frees nothing of ours
	other.AccountID = b.other.ID
	b.release(t, b.allocated(t, other, ipRange(10)))
	b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(5))
}

// ipsSkipHeld gives instances addresses ahead of the allocation (as one
// created before the index, or with its IP given, holds them).
func ipsSkipHeld(t *testing.T, b *testBundle) {
	for _, i := range []int{1, 2, 4} {
		in := b.newInstance("vsw-1")
		in.IP = nthIP(i)
		b.createInstance(t, in)
	}
	ins := b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(0), nthIP(3), nthIP(5))
	b.release(t, ins[1])
	b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(3), nthIP(6))
}

// ipsGivenNotFree releases an address, gives it to a new instance by
// hand, and checks that the allocation does not hand it out again.
func ipsGivenNotFree(t *testing.T, b *testBundle) {
	ins := b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(0), nthIP(1), nthIP(2))
	b.release(t, ins[1])
	in := b.newInstance("vsw-1")
	in.IP = nthIP(1)
	b.createInstance(t, in)
	b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(3))
}

// ipsExhausted fills a range of two addresses.
func ipsExhausted(t *testing.T, b *testBundle) {
	ins := b.requireAllocates(t, "vsw-1", ipRange(2), nthIP(0), nthIP(1))
	in := b.newInstance("vsw-1")
	in.IP = ""
	_, created, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in, IPs: ipRange(2)})
	require.Equal(t, ackscale.CodeIPExhausted, ackscale.ErrorCode(err), "err %v", err)
	require.False(t, created)
	requireNoInstance(t, b, in)
	b.requireUsage(t, b.usage(hangzhou, 2, 4, 0, 0), "the refused instance counts nothing")
	b.release(t, ins[1])
	b.requireAllocates(t, "vsw-1", ipRange(2), nthIP(1))
}

// ipsNotTaken creates with a client token used before, and with a
// CheckFunc that refuses: neither takes an address.
func ipsNotTaken(t *testing.T, b *testBundle) {
	first := b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(0))[0]
	again := b.newInstance("vsw-1")
	again.ClientToken, again.IP = first.ClientToken, ""
	out, created, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: again, IPs: ipRange(10)})
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, first, out)
	refused := b.newInstance("vsw-1")
	refused.IP = ""
	refusal := errors.New("refused by the test")
	_, _, err = b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: refused, IPs: ipRange(10),
		CheckFunc: func(ackscale.StockUsage) error { return refusal }})
	require.ErrorIs(t, err, refusal)
	b.requireAllocates(t, "vsw-1", ipRange(10), nthIP(1))
}

// raceIPs creates racers instances of one pool at once, without IPs: each
// gets its own address, and together they take the lowest racers
// addresses of the range. Then half of them are released and as many
// created again at once: they take exactly the released addresses.
func raceIPs(t *testing.T, b *testBundle) {
	createAll := func() []ackscale.Instance {
		t.Helper()
		ins := make([]ackscale.Instance, racers)
		for i := range ins {
			ins[i] = b.newInstance("vsw-1")
			ins[i].IP = ""
		}
		errs := make([]error, racers)
		out := race(func(i int) ackscale.Instance {
			in, _, err := b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: ins[i], IPs: ipRange(4 * racers)})
			errs[i] = err
			return in
		})
		require.Empty(t, nonNilErrors(errs), "InstanceCreate errors")
		return out
	}
	ips := func(ins []ackscale.Instance) []string {
		var out []string
		for _, in := range ins {
			out = append(out, in.IP)
		}
		slices.Sort(out)
		return out
	}
	lowest := make([]ackscale.Instance, racers)
	for i := range lowest {
		lowest[i].IP = nthIP(i)
	}
	first := createAll()
	require.Equal(t, ips(lowest), ips(first), "no IP twice, the lowest ones")
	var want []ackscale.Instance // the lowest free addresses after the releases
	for i, in := range first {
		if i%2 == 0 {
			b.release(t, in)
			want = append(want, in)
		}
	}
	for i := range racers / 2 {
		want = append(want, ackscale.Instance{IP: nthIP(racers + i)})
	}
	require.Equal(t, ips(want), ips(createAll()), "the released addresses first, then new ones, none twice")
}

// raceCounters creates and releases instances at once, in two pools and
// two zones, with and without a reservation, then checks every counter
// against a count of the live instances.
func raceCounters(t *testing.T, b *testBundle) {
	task := b.startReserving(t, reserving(hangzhou, racers, 2))
	held := make([]ackscale.Instance, racers)
	for i := range held {
		held[i] = b.allocated(t, b.newInstance(fmt.Sprintf("vsw-%d", i%2)), ipRange(4*racers))
	}
	errs := make([]error, racers)
	race(func(i int) bool {
		if i%2 == 0 {
			errs[i] = b.Cloud.InstanceUpdate(b.ctx, ackscale.InstanceUpdateParams{ID: held[i].ID, Status: ackscale.InstanceReleased})
			return true
		}
		in := b.newInstance(fmt.Sprintf("vsw-%d", i%2))
		in.IP = ""
		if i%4 == 1 {
			in.ZoneID = "cn-hangzhou-i"
		}
		_, _, errs[i] = b.Cloud.InstanceCreate(b.ctx, ackscale.InstanceCreateParams{Instance: in, IPs: ipRange(4 * racers),
			Reservation: task.ID})
		return true
	})
	require.Empty(t, nonNilErrors(errs), "errors")
	live, err := b.Cloud.InstanceList(b.ctx, ackscale.InstanceListParams{AccountID: b.account.ID, LiveOnly: true})
	require.NoError(t, err)
	require.Len(t, live, racers, "live instances")
	b.requireUsage(t, b.usage(hangzhou, racers, 2*racers, racers/2, racers))
	got := b.runCheck(t)
	require.Zero(t, got.QuotaDrift, "counters that differ from a count of what they count")
	for _, zone := range []string{"cn-hangzhou-h", "cn-hangzhou-i"} {
		in := b.newInstance("vsw-1")
		in.ZoneID = zone
		n := 0
		for _, l := range live {
			if l.ZoneID == zone {
				n++
			}
		}
		require.Equal(t, n, checkUsage(t, b, in).Live, "stock in use of %s", zone)
	}
	seen := map[string]bool{}
	for _, in := range live {
		key := in.IPPool + " " + in.IP
		require.False(t, seen[key], "IP %s handed out twice", key)
		seen[key] = true
	}
}
