package handlers

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// withoutLogoutEndpoints serves the stand-in as a standards-compliant
// provider that is not CONNECT would: its discovery document names no
// end_session_endpoint and no revocation_endpoint. It counts requests to
// the stand-in's own logout and revocation paths, which the app must not
// guess.
func withoutLogoutEndpoints(standIn http.Handler, guessed *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/logout"), strings.HasSuffix(r.URL.Path, "/revoke"):
			guessed.Add(1)
		case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
			rec := httptest.NewRecorder()
			standIn.ServeHTTP(rec, r)
			var doc map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			delete(doc, "end_session_endpoint")
			delete(doc, "revocation_endpoint")
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(doc)
			return
		}
		standIn.ServeHTTP(w, r)
	})
}

func TestAProviderWithoutEndSessionOrRevocation(t *testing.T) {
	site := newTestSite(t, siteOptions{clientSecret: "the-client-secret-from-registration"})
	var guessed atomic.Int32
	site.issuer.Config.Handler = withoutLogoutEndpoints(site.provider, &guessed)
	b := newBrowser(t)
	page := b.logIn(site, "/protected", true)
	wantStatus(t, "login", page, http.StatusOK)

	t.Run("pages do not offer Log out everywhere", func(t *testing.T) {
		if strings.Contains(page.body, `name="everywhere"`) || strings.Contains(page.body, "Log out everywhere") {
			t.Errorf("/protected offers Log out everywhere:\n%s", page.body)
		}
		if !strings.Contains(page.body, `action="/logout"`) {
			t.Error("/protected offers no logout at all")
		}
	})
	t.Run("/setup says why", func(t *testing.T) {
		r := b.get(site.app.URL + "/setup")
		wantStatus(t, "GET /setup", r, http.StatusOK)
		for _, want := range []string{
			"names no end-session endpoint",
			`none: "Log out everywhere" is not offered`,
			"none: logout ends the session here without a revocation call",
		} {
			if !strings.Contains(html.UnescapeString(r.body), want) {
				t.Errorf("/setup does not say %q", want)
			}
		}
	})
	t.Run("POST /logout with everywhere=1 logs out of the app only, with no revocation call", func(t *testing.T) {
		posted := b.post(site.app.URL+"/logout", url.Values{"everywhere": {"1"}})
		wantStatus(t, "POST /logout everywhere=1", posted, http.StatusSeeOther)
		if !strings.HasPrefix(posted.location, site.app.URL+"/connect/logoutcallback") {
			t.Fatalf("POST /logout everywhere=1 went to %q, want the app's own logged-out page", posted.location)
		}
		r := b.get(posted.location)
		if !strings.Contains(r.body, "You are logged out of this app") {
			t.Errorf("logout page does not say app-only:\n%s", r.body)
		}
		if n := guessed.Load(); n != 0 {
			t.Errorf("%d requests to the stand-in's /logout or /revoke, want none: the provider named no such endpoints", n)
		}
		if n := len(site.provider.Requests("revoke")); n != 0 {
			t.Errorf("the stand-in saw %d revocations, want none", n)
		}
		wantLoggedOut(t, site, b)
	})
}

// withTokenType serves the stand-in with its token answers' token_type
// replaced, as a provider issuing other than bearer tokens would.
func withTokenType(standIn http.Handler, tokenType string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/token") {
			standIn.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		standIn.ServeHTTP(rec, r)
		var answer map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &answer) == nil && rec.Code == http.StatusOK {
			answer["token_type"] = tokenType
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		json.NewEncoder(w).Encode(answer)
	})
}

func TestATokenTypeOtherThanBearerEndsTheLogin(t *testing.T) {
	site := newTestSite(t, siteOptions{clientSecret: "the-client-secret-from-registration"})
	site.issuer.Config.Handler = withTokenType(site.provider, "N_A")
	b := newBrowser(t)
	callback := b.loginAt(b.startLogin(site, ""), testUser().Sub, true, "login").location
	r := b.get(callback)
	wantStatus(t, "callback with token_type N_A", r, http.StatusBadGateway)
	if !strings.Contains(r.body, "answer was not accepted") {
		t.Errorf("502 page does not say CONNECT's answer was not accepted:\n%s", r.body)
	}
	wantLoggedOut(t, site, b)
	token := site.provider.Requests("token")
	revoked := site.provider.Requests("revoke")
	if len(token) != 1 || len(revoked) != 2 {
		t.Fatalf("%d token requests and %d revocations, want 1 and 2: both tokens revoked", len(token), len(revoked))
	}
}
