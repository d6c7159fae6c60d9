package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSetupPage(t *testing.T) {
	const secret = "the-client-secret-from-registration"
	for _, tc := range []struct {
		name       string
		secret     string
		wantType   string // a sentence only the page for this client type has
		unwantType string
	}{
		{name: "a public client", secret: "",
			wantType:   "The app sends only <code>client_id</code> in the form body",
			unwantType: "The app authenticates with HTTP Basic"},
		{name: "a confidential client", secret: secret,
			wantType:   "The app authenticates with HTTP Basic",
			unwantType: "The app sends only <code>client_id</code> in the form body"},
	} {
		t.Run("for "+tc.name, func(t *testing.T) {
			site := newTestSite(t, siteOptions{clientSecret: tc.secret})
			r := newBrowser(t).get(site.app.URL + "/setup")
			wantStatus(t, "GET /setup", r, http.StatusOK)

			t.Run("shows the URIs to register, derived from the base URL", func(t *testing.T) {
				for _, want := range []string{
					site.app.URL + "/connect/oauth2callback",
					site.app.URL + "/connect/logoutcallback",
					site.app.URL + "/connect/backchannellogout",
				} {
					if !strings.Contains(r.body, `<code class="copy">`+want+`</code>`) {
						t.Errorf("/setup does not show %q to copy", want)
					}
				}
			})
			t.Run("shows the client id, the client type and the scopes", func(t *testing.T) {
				for _, want := range []string{"<code>" + testClientID + "</code>", tc.wantType, "<code>openid</code> <code>profile</code> <code>email</code> <code>phone</code>"} {
					if !strings.Contains(r.body, want) {
						t.Errorf("/setup does not show %q", want)
					}
				}
				if strings.Contains(r.body, tc.unwantType) {
					t.Errorf("/setup shows %q, which is about the other client type", tc.unwantType)
				}
			})
			t.Run("shows the issuer and the endpoints discovery found", func(t *testing.T) {
				issuer := site.provider.Issuer()
				for _, want := range []string{
					"<code>" + issuer + "/.well-known/openid-configuration</code>",
					`<span class="badge badge-ok">loaded</span>`,
					"<code>" + issuer + "/authorize</code>",
					"<code>" + issuer + "/token</code>",
					"<code>" + issuer + "/userinfo</code>",
					"<code>" + issuer + "/public_keys.jwks</code>",
					"<code>" + issuer + "/revoke</code>",
					"<code>" + issuer + "/logout</code>",
				} {
					if !strings.Contains(r.body, want) {
						t.Errorf("/setup does not show %q", want)
					}
				}
			})
			t.Run("says the stand-in is in use", func(t *testing.T) {
				if !strings.Contains(r.body, "the local stand-in") {
					t.Error("/setup does not say the stand-in is in use")
				}
			})
			t.Run("never shows the client secret", func(t *testing.T) {
				if strings.Contains(r.body, secret) {
					t.Error("/setup shows the client secret")
				}
				want := "not set"
				if tc.secret != "" {
					want = `set <span class="badge badge-ok">never shown</span>`
				}
				if !strings.Contains(r.body, want) {
					t.Errorf("/setup does not say the secret is %q", want)
				}
			})
		})
	}
}

func TestSetupPageShowsAFailedDiscovery(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	site.issuer.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	b := newBrowser(t)

	r := b.get(site.app.URL + "/setup")
	wantStatus(t, "GET /setup while CONNECT is down", r, http.StatusOK)
	if !strings.Contains(r.body, `<span class="badge badge-warn">failed</span>`) {
		t.Error("/setup does not say discovery failed")
	}
	if strings.Contains(r.body, site.provider.Issuer()+"/token") {
		t.Error("/setup shows endpoints although discovery failed")
	}
	if strings.Contains(r.body, "maintenance") {
		t.Error("/setup shows CONNECT's error text; it belongs in the log")
	}

	site.issuer.Config.Handler = site.provider
	site.clock.Advance(10 * time.Second) // past the discovery retry interval
	r = b.get(site.app.URL + "/setup")
	if !strings.Contains(r.body, `<span class="badge badge-ok">loaded</span>`) {
		t.Error("/setup does not show discovery loaded after CONNECT is back")
	}
}

func TestSetupPageWarnsOfAnInsecureBaseURL(t *testing.T) {
	warning := "APP_BASE_URL http://app.example.com is not https (test)"
	for _, tc := range []struct {
		name     string
		insecure bool
	}{
		{"plain http on a public host is flagged", true},
		{"localhost is fine", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := siteOptions{insecureBaseURL: tc.insecure}
			if tc.insecure {
				opts.warnings = []string{warning}
			}
			site := newTestSite(t, opts)
			r := newBrowser(t).get(site.app.URL + "/setup")
			wantStatus(t, "GET /setup", r, http.StatusOK)
			if got := strings.Contains(r.body, "CONNECT will refuse it"); got != tc.insecure {
				t.Errorf("redirect URI flagged = %v, want %v", got, tc.insecure)
			}
			if got := strings.Contains(r.body, warning); got != tc.insecure {
				t.Errorf("config warning shown = %v, want %v", got, tc.insecure)
			}
		})
	}
}
