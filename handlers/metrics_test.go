package handlers

import (
	"bufio"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

func TestMetricsCountWhatHappened(t *testing.T) {
	metrics := NewMetrics()
	rdb := storetest.Redis(t)
	rdb.AddHook(metrics.RedisHook())
	site := newTestSite(t, siteOptions{metrics: metrics, redis: rdb})
	scraper := httptest.NewServer(metrics.Handler())
	t.Cleanup(scraper.Close)

	before := scrape(t, scraper.URL)
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	wantStatus(t, "POST /refresh", b.post(site.app.URL+"/refresh", nil), http.StatusSeeOther)
	// Logging out everywhere makes CONNECT post a logout token back.
	r := b.post(site.app.URL+"/logout", url.Values{"everywhere": {"1"}})
	wantStatus(t, "POST /logout everywhere=1", r, http.StatusSeeOther)
	r = b.get(r.location)
	wantStatus(t, "CONNECT's end-session endpoint", r, http.StatusFound)
	wantStatus(t, "GET /connect/logoutcallback", b.get(r.location), http.StatusOK)
	wantStatus(t, "a forged logout token", postLogoutToken(t, site, unsignedToken(logoutClaims(site, "", testUser().Sub))), http.StatusBadRequest)
	wantStatus(t, "GET a page nobody has", b.get(site.app.URL+"/no/such/page/"+testUser().Sub), http.StatusNotFound)
	after := scrape(t, scraper.URL)

	t.Run("the scripted visit moves exactly the expected counters", func(t *testing.T) {
		want := map[string]float64{
			`connect_sample_logins_started_total`:                          1,
			`connect_sample_logins_completed_total`:                        1,
			`connect_sample_token_refreshes_total{outcome="ok"}`:           1,
			`connect_sample_backchannel_logouts_total{outcome="accepted"}`: 1,
			`connect_sample_backchannel_logouts_total{outcome="invalid"}`:  1,
		}
		// Every expected series, whether it was scraped or not, and every
		// other counter of ours, which must not have moved.
		for series := range want {
			if _, scraped := after[series]; !scraped {
				t.Errorf("%s is not in the scrape, want it moved by %v", series, want[series])
			}
		}
		for _, series := range slices.Sorted(maps.Keys(after)) {
			if !strings.HasPrefix(series, "connect_sample_") || strings.HasPrefix(series, "connect_sample_http_request_duration_seconds") ||
				// Fetches follow the connect client's own key-set policy.
				strings.HasPrefix(series, "connect_sample_key_set_fetches_total") {
				continue
			}
			if got := after[series] - before[series]; got != want[series] {
				t.Errorf("%s moved by %v, want %v", series, got, want[series])
			}
		}
	})
	t.Run("latency is recorded by route pattern, never by path", func(t *testing.T) {
		for _, series := range []string{
			`connect_sample_http_request_duration_seconds_count{code="200",route="GET /protected"}`,
			`connect_sample_http_request_duration_seconds_count{code="303",route="POST /refresh"}`,
			`connect_sample_http_request_duration_seconds_count{code="400",route="POST /connect/backchannellogout"}`,
			`connect_sample_http_request_duration_seconds_count{code="404",route="GET /"}`,
		} {
			if after[series]-before[series] < 1 {
				t.Errorf("%s did not move", series)
			}
		}
	})
	t.Run("no label holds a user id, an address or a path", func(t *testing.T) {
		text := scrapeText(t, scraper.URL)
		for _, secret := range []string{testUser().Sub, testUser().Email, "127.0.0.1", "/no/such/page"} {
			if strings.Contains(text, secret) {
				t.Errorf("the metrics contain %q", secret)
			}
		}
	})
	t.Run("the site does not serve them", func(t *testing.T) {
		wantStatus(t, "GET /metrics on the site", b.get(site.app.URL+"/metrics"), http.StatusNotFound)
	})
}

// scrape reads the metrics page into series name (with labels) -> value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	series := map[string]float64{}
	s := bufio.NewScanner(strings.NewReader(scrapeText(t, url)))
	for s.Scan() {
		line := s.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

func scrapeText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d:\n%s", resp.StatusCode, body)
	}
	return string(body)
}

func TestMetricsCountOutages(t *testing.T) {
	metrics := NewMetrics()
	rdb, outage := storetest.RedisWithOutage(t)
	rdb.AddHook(metrics.RedisHook())
	site := newTestSite(t, siteOptions{metrics: metrics, redis: rdb})
	scraper := httptest.NewServer(metrics.Handler())
	t.Cleanup(scraper.Close)
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	before := scrape(t, scraper.URL)

	outage.Cut()
	wantStatus(t, "GET /protected while Redis is down", b.get(site.app.URL+"/protected"), http.StatusServiceUnavailable)
	outage.Restore()
	site.provider.SetFaults(localconnect.Faults{UserinfoStatus: http.StatusServiceUnavailable})
	wantStatus(t, "GET /profile while CONNECT is down", b.get(site.app.URL+"/profile"), http.StatusServiceUnavailable)
	site.provider.SetFaults(localconnect.Faults{})
	after := scrape(t, scraper.URL)

	for _, backend := range []string{"redis", "connect"} {
		series := `connect_sample_backend_errors_total{backend="` + backend + `"}`
		if after[series]-before[series] < 1 {
			t.Errorf("%s did not move during the %s outage", series, backend)
		}
	}
}

func TestMetricsSortFailedAndRefusedLogins(t *testing.T) {
	metrics := NewMetrics()
	site := newTestSite(t, siteOptions{metrics: metrics, rateLimitPerAddress: 12})
	scraper := httptest.NewServer(metrics.Handler())
	t.Cleanup(scraper.Close)
	for _, tc := range []struct {
		name   string
		query  string // after state=...&
		series string
	}{
		{"a made-up code is CONNECT's invalid_grant", "code=junk", `connect_sample_logins_failed_total{reason="invalid_grant"}`},
		{"a cancelled login is CONNECT's access_denied", "error=access_denied", `connect_sample_logins_failed_total{reason="access_denied"}`},
		{"an error code nobody defined is other", "error=" + strings.Repeat("x", 300), `connect_sample_logins_failed_total{reason="other"}`},
		{"a callback without a code is refused", "", `connect_sample_callbacks_refused_total{reason="no_code"}`},
		{"a callback that matches no login is refused", "state=made-up&code=junk", `connect_sample_callbacks_refused_total{reason="no_matching_login"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			callback := site.app.URL + "/connect/oauth2callback?state=" + query(t, b.startLogin(site, ""), "state") + "&" + tc.query
			if strings.HasPrefix(tc.query, "state=") {
				callback = site.app.URL + "/connect/oauth2callback?" + tc.query
			}
			before := scrape(t, scraper.URL)
			b.get(callback)
			if got := scrape(t, scraper.URL)[tc.series] - before[tc.series]; got != 1 {
				t.Errorf("%s moved by %v, want 1", tc.series, got)
			}
		})
	}
	t.Run("a request over a rate limit is counted", func(t *testing.T) {
		metrics := NewMetrics()
		site := newTestSite(t, siteOptions{metrics: metrics, rateLimitPerAddress: 2})
		scraper := httptest.NewServer(metrics.Handler())
		t.Cleanup(scraper.Close)
		before := scrape(t, scraper.URL)
		for range 3 {
			newBrowser(t).get(site.app.URL + "/login")
		}
		series := `connect_sample_rate_limited_total{limit="address"}`
		if got := scrape(t, scraper.URL)[series] - before[series]; got != 1 {
			t.Errorf("%s moved by %v, want 1: the third of three login starts, with a limit of 2", series, got)
		}
	})
}
