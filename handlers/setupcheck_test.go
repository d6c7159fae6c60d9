package handlers

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/telenordigital/connect-web-sample/regcheck"
)

func TestSetupRunsTheRegistrationCheck(t *testing.T) {
	site := newTestSite(t, siteOptions{clientSecret: "the-client-secret"})
	b := newBrowser(t)

	t.Run("/setup offers the button", func(t *testing.T) {
		r := b.get(site.app.URL + "/setup")
		wantStatus(t, "GET /setup", r, http.StatusOK)
		if !strings.Contains(r.body, `action="/setup/check#check"`) || !strings.Contains(r.body, "Run the registration check") {
			t.Errorf("/setup has no registration check button")
		}
	})

	t.Run("pressing it shows every line, and nothing to fix", func(t *testing.T) {
		tokenRequests := site.provider.Count("token")
		r := b.post(site.app.URL+"/setup/check", nil)
		wantStatus(t, "POST /setup/check", r, http.StatusOK)
		body := html.UnescapeString(r.body)
		for _, want := range []string{
			"Nothing to fix: no line is ✗.",
			"The token endpoint accepts the client sample-web with its secret",
			"The redirect URI " + site.app.URL + "/connect/oauth2callback is registered",
			"Discovery's issuer is the configured issuer exactly",
			`<li class="check-pass">`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the check's page lacks %q", want)
			}
		}
		if strings.Contains(body, "the-client-secret") {
			t.Errorf("the check's page shows the client secret")
		}
		if got := site.provider.Count("token"); got != tokenRequests+1 {
			t.Errorf("the token endpoint got %d requests, want the check's one", got-tokenRequests)
		}
	})

	t.Run("in the visitor's language", func(t *testing.T) {
		r := newBrowser(t).sending("Accept-Language", "nb").post(site.app.URL+"/setup/check", nil)
		wantStatus(t, "POST /setup/check in Norwegian", r, http.StatusOK)
		if body := html.UnescapeString(r.body); !strings.Contains(body, "Ingenting å rette: ingen linje er ✗.") || !strings.Contains(body, "er registrert") {
			t.Errorf("the check's page is not in Norwegian")
		}
	})

	t.Run("a cross-site POST is refused before CONNECT is asked", func(t *testing.T) {
		tokenRequests := site.provider.Count("token")
		req, err := http.NewRequest(http.MethodPost, site.app.URL+"/setup/check", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		wantStatus(t, "cross-site POST /setup/check", b.do(req), http.StatusForbidden)
		if got := site.provider.Count("token"); got != tokenRequests {
			t.Errorf("the token endpoint got %d requests, want none", got-tokenRequests)
		}
	})
}

func TestTheRegistrationCheckIsRateLimitedPerAddress(t *testing.T) {
	const limit = 3
	site := newTestSite(t, siteOptions{rateLimitPerAddress: limit, trustedProxies: localProxy})
	one, other := newBrowser(t).behindProxy("203.0.113.7"), newBrowser(t).behindProxy("203.0.113.8")
	for range limit {
		wantStatus(t, "POST /setup/check", one.post(site.app.URL+"/setup/check", nil), http.StatusOK)
	}
	tokenRequests := site.provider.Count("token")
	wantStatus(t, "POST /setup/check past the limit", one.post(site.app.URL+"/setup/check", nil), http.StatusTooManyRequests)
	if got := site.provider.Count("token"); got != tokenRequests {
		t.Errorf("a limited check made %d token requests, want none", got-tokenRequests)
	}
	wantStatus(t, "POST /setup/check from another address", other.post(site.app.URL+"/setup/check", nil), http.StatusOK)
}

func TestTheRegistrationCheckIsForDevelopmentOnly(t *testing.T) {
	site := newTestSite(t, siteOptions{noSetupPage: true})
	tokenRequests := site.provider.Count("token")
	r := newBrowser(t).post(site.app.URL+"/setup/check", nil)
	if r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /setup/check without the setup page = %d, want 404 or 405: not served", r.status)
	}
	if got := site.provider.Count("token"); got != tokenRequests {
		t.Errorf("the token endpoint got %d requests, want none", got-tokenRequests)
	}
}

func TestCheckReportIsOneLinePerCheck(t *testing.T) {
	lines := []regcheck.Line{
		{Status: regcheck.Pass, Key: "check.redis.ok"},
		{Status: regcheck.Fail, Key: "check.scopes.unsupported", Args: []any{"phone", "openid profile"}},
		{Status: regcheck.Note, Key: "check.endpoints.no_revocation"},
	}
	want := "✓ Redis answers.\n" +
		"✗ Discovery's scopes_supported lacks phone (it lists openid profile). Take it out of CONNECT_SCOPES, or ask Telenor to add it to your registration.\n" +
		"i Discovery lists no revocation endpoint: tokens are not revoked at logout, only forgotten by the app.\n" +
		"\nLines marked ✗: 1. Fix them before the first login.\n"
	if got := CheckReport("en", lines); got != want {
		t.Errorf("CheckReport =\n%s\nwant\n%s", got, want)
	}
}
