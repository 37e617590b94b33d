package ackscale

import (
	"encoding/binary"
	"net/netip"
)

// The stores keep the free-IP index of each pool (InstanceCreateParams.IPs)
// with IPv4 addresses as numbers, which order as the addresses do.

// Numbers returns the range's ends as numbers (IPv4Number); ok is false
// unless both are IPv4 addresses and First ≤ Last.
func (r IPRange) Numbers() (first, last int64, ok bool) {
	if !r.First.Is4() || !r.Last.Is4() || r.Last.Less(r.First) {
		return 0, 0, false
	}
	return IPv4Number(r.First), IPv4Number(r.Last), true
}

// String is the range as "first-last".
func (r IPRange) String() string { return r.First.String() + "-" + r.Last.String() }

// IPv4Number is an IPv4 address read as a big-endian number (0 for
// anything else).
func IPv4Number(a netip.Addr) int64 {
	if !a.Is4() {
		return 0
	}
	b := a.As4()
	return int64(binary.BigEndian.Uint32(b[:]))
}

// ParseIPv4Number is IPv4Number of a dotted address; ok is false when s
// is not one.
func ParseIPv4Number(s string) (n int64, ok bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return 0, false
	}
	return IPv4Number(a), true
}

// IPv4String is the dotted form of the IPv4 address numbered n.
func IPv4String(n int64) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(n))
	return netip.AddrFrom4(b).String()
}
