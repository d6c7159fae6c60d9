package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// behindProxy makes every request of b arrive as if through a reverse
// proxy on this machine that forwards for client.
func (b *browser) behindProxy(client string) *browser {
	return b.sending("X-Forwarded-For", client)
}

var localProxy = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

func TestLoginsAreRateLimitedPerAddress(t *testing.T) {
	const limit = 10
	site := newTestSite(t, siteOptions{rateLimitPerAddress: limit, trustedProxies: localProxy})
	attacker := newBrowser(t).behindProxy("203.0.113.7")

	// Each round is a login start and a callback with a made-up code: one
	// token request carrying the client's credentials, were it not limited.
	tokenRequests := site.provider.Count("token")
	var limited response
	for range 3 * limit {
		r := attacker.get(site.app.URL + "/login")
		if r.status == http.StatusTooManyRequests {
			limited = r
			continue
		}
		r = attacker.get(site.app.URL + "/connect/oauth2callback?code=junk&state=" + query(t, r.location, "state"))
		if r.status == http.StatusTooManyRequests {
			limited = r
		}
	}

	t.Run("the loop costs CONNECT no more token requests than the limit allows", func(t *testing.T) {
		if got := site.provider.Count("token") - tokenRequests; got > limit/2 {
			t.Errorf("%d token requests, want at most %d (a login start and a callback each)", got, limit/2)
		}
	})
	t.Run("the refusal is a 429 page in plain words, with Retry-After", func(t *testing.T) {
		wantStatus(t, "a request over the limit", limited, http.StatusTooManyRequests)
		if !strings.Contains(limited.body, "Please wait a minute") {
			t.Errorf("the 429 page does not say what to do:\n%s", limited.body)
		}
		req, _ := http.NewRequest(http.MethodGet, site.app.URL+"/login", nil)
		resp, err := attacker.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Errorf("Retry-After = %q, want 1 to 60 seconds", resp.Header.Get("Retry-After"))
		}
	})
	t.Run("a visitor from another address logs in normally", func(t *testing.T) {
		page := newBrowser(t).behindProxy("198.51.100.23").logIn(site, "/protected", true)
		wantStatus(t, "GET /protected after login", page, http.StatusOK)
	})
	t.Run("without a trusted proxy, a made-up X-Forwarded-For buys nothing", func(t *testing.T) {
		site := newTestSite(t, siteOptions{rateLimitPerAddress: limit})
		for i := range limit {
			newBrowser(t).behindProxy(fmt.Sprintf("192.0.2.%d", i)).get(site.app.URL + "/login")
		}
		r := newBrowser(t).behindProxy("192.0.2.200").get(site.app.URL + "/login")
		wantStatus(t, "GET /login with yet another made-up address", r, http.StatusTooManyRequests)
	})
}

func TestRefreshIsRateLimitedPerSession(t *testing.T) {
	site := newTestSite(t, siteOptions{rateLimitRefresh: 2})
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	refreshes := site.provider.Count("token")

	wantStatus(t, "first POST /refresh", b.post(site.app.URL+"/refresh", nil), http.StatusSeeOther)
	wantStatus(t, "second POST /refresh", b.post(site.app.URL+"/refresh", nil), http.StatusSeeOther)
	r := b.post(site.app.URL+"/refresh", nil)
	wantStatus(t, "third POST /refresh within the minute", r, http.StatusTooManyRequests)
	if !strings.Contains(r.body, "Its tokens are still good") {
		t.Errorf("the 429 page does not explain:\n%s", r.body)
	}
	if got := site.provider.Count("token") - refreshes; got != 2 {
		t.Errorf("%d refreshes reached CONNECT, want 2", got)
	}
	wantStatus(t, "GET /protected after the refused refresh", b.get(site.app.URL+"/protected"), http.StatusOK)

	t.Run("another session of the same user is not held back", func(t *testing.T) {
		other := newBrowser(t)
		other.logIn(site, "/protected", true)
		wantStatus(t, "POST /refresh in another session", other.post(site.app.URL+"/refresh", nil), http.StatusSeeOther)
	})
}

func TestRateLimiter(t *testing.T) {
	clock := &testClock{}
	t.Run("allows a minute's worth at once, then one event per share of the minute", func(t *testing.T) {
		l := newRateLimiter(6, clock.Now)
		for i := range 6 {
			if _, ok := l.allow("a"); !ok {
				t.Fatalf("event %d refused, want the first 6 allowed", i+1)
			}
		}
		wait, ok := l.allow("a")
		if ok || wait <= 0 || wait > 10*time.Second {
			t.Fatalf("7th event: allowed %v, wait %s; want refused, with at most 10s to wait", ok, wait)
		}
		if _, ok := l.allow("b"); !ok {
			t.Error("another key was refused, want keys apart")
		}
		clock.Advance(10 * time.Second)
		if _, ok := l.allow("a"); !ok {
			t.Error("refused after 10s, want one more event allowed")
		}
	})
	t.Run("forgets keys whose buckets have filled up again", func(t *testing.T) {
		l := newRateLimiter(6, clock.Now)
		l.allow("a")
		l.allow("b")
		clock.Advance(59 * time.Second)
		l.allow("b")
		clock.Advance(time.Second)
		l.sweep()
		if got := l.size(); got != 1 {
			t.Errorf("after a minute, %d keys kept, want 1 (b, used 1s ago)", got)
		}
		clock.Advance(time.Minute)
		l.sweep()
		if got := l.size(); got != 0 {
			t.Errorf("after two minutes, %d keys kept, want none", got)
		}
	})
	t.Run("a visitor rotating addresses cannot grow it without bound", func(t *testing.T) {
		l := newRateLimiter(6, clock.Now)
		for i := range maxLimitedKeys + 1000 {
			l.allow(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String())
		}
		if got := l.size(); got > maxLimitedKeys {
			t.Errorf("%d keys kept, want at most %d", got, maxLimitedKeys)
		}
	})
}

func TestClientAddress(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	for _, tc := range []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"without trusted proxies, the connection's address", "192.0.2.1:5000", []string{"198.51.100.1"}, nil, "192.0.2.1"},
		{"a connection from elsewhere is the client, whatever it forwards", "192.0.2.1:5000", []string{"198.51.100.1"}, proxies, "192.0.2.1"},
		{"through a trusted proxy, the address it forwards", "10.1.2.3:5000", []string{"198.51.100.1"}, proxies, "198.51.100.1"},
		{"the right-most untrusted entry, not what the client claimed to its left", "10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1"}, proxies, "198.51.100.1"},
		{"through a chain of trusted proxies", "127.0.0.1:5000", []string{"198.51.100.1, 10.9.9.9"}, proxies, "198.51.100.1"},
		{"entries split over several headers", "10.1.2.3:5000", []string{"6.6.6.6", "198.51.100.1, 10.0.0.5"}, proxies, "198.51.100.1"},
		{"an entry with a port", "10.1.2.3:5000", []string{"198.51.100.1:443"}, proxies, "198.51.100.1"},
		{"IPv6", "[2001:db8::1]:5000", nil, proxies, "2001:db8::1"},
		{"an unreadable entry stops at the proxy that passed it on", "10.1.2.3:5000", []string{"198.51.100.1, nonsense"}, proxies, "10.1.2.3"},
		{"a trusted proxy with no header is the client", "10.1.2.3:5000", nil, proxies, "10.1.2.3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := clientAddress(r, tc.trusted).String(); got != tc.want {
				t.Errorf("clientAddress = %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("IPv6 addresses share the limit of their /64", func(t *testing.T) {
		a, b := netip.MustParseAddr("2001:db8:1:2::1"), netip.MustParseAddr("2001:db8:1:2:ffff::9")
		if rateLimitKey(a) != rateLimitKey(b) {
			t.Errorf("keys %s and %s differ, want the same /64", rateLimitKey(a), rateLimitKey(b))
		}
	})
}
