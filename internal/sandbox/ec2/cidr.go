package ec2

import (
	"crypto/rand"
	"fmt"
	"net/netip"
)

// parseCIDR parses an IPv4 or IPv6 CIDR that must be in canonical form
// (no host bits set), answering EC2's InvalidParameterValue otherwise.
func parseCIDR(param, s string, want4 bool) (netip.Prefix, error) {
	pfx, err := netip.ParsePrefix(s)
	if err != nil || pfx.Addr().Is4() != want4 || pfx.Addr().Is4In6() {
		return netip.Prefix{}, errf("InvalidParameterValue", "Value (%s) for parameter %s is invalid. This is not a valid CIDR block.", s, param)
	}
	if pfx.Masked() != pfx {
		return netip.Prefix{}, errf("InvalidParameterValue", "Value (%s) for parameter %s is invalid. This is not a valid CIDR block.", s, param)
	}
	return pfx, nil
}

// within reports whether inner lies entirely inside outer.
func within(inner, outer netip.Prefix) bool {
	return inner.Bits() >= outer.Bits() && outer.Contains(inner.Addr())
}

// size is the number of addresses of an IPv4 prefix.
func size(p netip.Prefix) int {
	return 1 << (32 - p.Bits())
}

// nthAddr returns the n-th address of an IPv4 prefix.
func nthAddr(p netip.Prefix, n int) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// newIPv6Block returns an Amazon-style /56 for a VPC: 2600:1f18:xxxx:yy00::/56.
func newIPv6Block() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("2600:1f18:%02x%02x:%02x00::/56", b[0], b[1], b[2])
}
