package handlers

import (
	"net/http"
	"net/netip"
	"strings"
)

// clientAddress is the address of the visitor behind r, for rate limits
// and logs: the connection's address, unless that is a trusted proxy
// (TRUSTED_PROXIES). Then X-Forwarded-For is read from the right, where
// our own proxies append, and the first address that is not one of them
// is the client. Everything to its left was written by the client itself
// and proves nothing, so it is never read.
func clientAddress(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{} // not a TCP connection (a test recorder, a Unix socket)
	}
	addr := peer.Addr().Unmap()
	if !isTrusted(addr, trusted) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseHop(hops[i])
		if !ok {
			// A trusted proxy wrote something unreadable: the last address
			// we can vouch for is the proxy that passed it on.
			return addr
		}
		addr = hop
		if !isTrusted(addr, trusted) {
			return addr
		}
	}
	return addr
}

// parseHop reads one X-Forwarded-For entry: an address, or (as some
// proxies write it) an address and port.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func isTrusted(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// rateLimitKey is the key a client address is limited under. One IPv6
// host usually holds a whole /64 and can pick any address in it, so IPv6
// addresses share the limit of their /64.
func rateLimitKey(addr netip.Addr) string {
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
