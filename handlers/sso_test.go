package handlers

import (
	"net/http"
	"strings"
	"testing"
)

func TestSilentSSOCheck(t *testing.T) {
	site := newTestSite(t, siteOptions{})

	t.Run("with a CONNECT session, prompt=none logs in without a page at CONNECT", func(t *testing.T) {
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		wantStatus(t, "log out of the app", b.logOutOfApp(site), http.StatusOK)

		authorize := b.startLogin(site, "prompt=none&return_to=/protected")
		if got := query(t, authorize, "prompt"); got != "none" {
			t.Fatalf("prompt = %q, want none", got)
		}
		r := b.get(authorize)
		if r.status != http.StatusFound || !strings.HasPrefix(r.location, site.app.URL+"/connect/oauth2callback?") || query(t, r.location, "code") == "" {
			t.Fatalf("authorize with prompt=none = %d to %q, want a code straight back", r.status, r.location)
		}
		r = b.get(r.location)
		wantStatus(t, "callback", r, http.StatusSeeOther)
		page := b.get(r.location)
		wantStatus(t, "GET /protected", page, http.StatusOK)
		if !strings.Contains(page.body, "logged in without a password") {
			t.Error("a silent login does not say it was one")
		}
		if amr := sessionClaims(t, site, b).AMR; !strings.Contains(strings.Join(amr, " "), "SSO") {
			t.Errorf("amr = %v, want SSO among the methods", amr)
		}
	})

	t.Run("without one, the home page says so, and it is not an error", func(t *testing.T) {
		b := newBrowser(t)
		r := b.get(b.startLogin(site, "prompt=none&return_to=/protected"))
		if got := query(t, r.location, "error"); got != "login_required" {
			t.Fatalf("stand-in answered error=%q, want login_required", got)
		}
		r = b.get(r.location)
		wantStatus(t, "callback with error=login_required", r, http.StatusSeeOther)
		if r.location != site.app.URL+"/" {
			t.Fatalf("callback went to %q, want the home page", r.location)
		}
		r = b.get(r.location)
		wantStatus(t, "GET /", r, http.StatusOK)
		if !strings.Contains(r.body, "No CONNECT session in this browser") {
			t.Error("the home page does not say there is no CONNECT session")
		}
		wantLoggedOut(t, site, b)
	})
}
