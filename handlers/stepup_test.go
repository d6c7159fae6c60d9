package handlers

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/localconnect"
)

// stepUp reads /stepup's page, follows its "Continue to CONNECT" to
// CONNECT and back, giving the password there, and returns the
// callback's answer.
func (b *browser) stepUp(site *testSite) (authorize string, callback response) {
	b.t.Helper()
	authorize = b.continueStepUp(site)
	r := b.submitLogin(authorize, url.Values{"user": {testUser().Sub}, "password": {testUser().Password}, "action": {"login"}, "stay_signed_in": {"on"}})
	wantStatus(b.t, "POST stand-in login with password", r, http.StatusFound)
	return authorize, b.get(r.location)
}

// continueStepUp checks that /stepup, for a session that falls short,
// is a page in the app offering "Continue to CONNECT", follows that
// link, and returns the authorization URL it redirects to.
func (b *browser) continueStepUp(site *testSite) (authorize string) {
	b.t.Helper()
	r := b.get(site.app.URL + "/stepup")
	wantStatus(b.t, "GET /stepup short of LoA2", r, http.StatusOK)
	if !strings.Contains(r.body, `<a class="button button-connect" href="/stepup?continue=1">`) {
		b.t.Fatalf("GET /stepup short of LoA2 does not offer Continue to CONNECT:\n%s", r.body)
	}
	r = b.get(site.app.URL + "/stepup?continue=1")
	wantStatus(b.t, "GET /stepup?continue=1", r, http.StatusFound)
	return r.location
}

func TestStepUp(t *testing.T) {
	t.Run("an LoA1 session is sent to CONNECT for LoA2, and the page is granted when acr=2 comes back", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		if acr := sessionClaims(t, site, b).ACR; acr != "1" {
			t.Fatalf("first login acr = %q, want 1", acr)
		}
		authorize, callback := b.stepUp(site)
		if got := query(t, authorize, "acr_values"); got != "2" {
			t.Errorf("acr_values = %q, want 2", got)
		}
		if got := query(t, authorize, "max_age"); got != "300" {
			t.Errorf("max_age = %q, want 300 (STEPUP_MAX_AGE)", got)
		}
		wantStatus(t, "step-up callback", callback, http.StatusSeeOther)
		r := b.get(callback.location)
		wantStatus(t, "GET /stepup after step-up", r, http.StatusOK)
		if !strings.Contains(r.body, "You passed that check") || !strings.Contains(r.body, "UID_PWD") {
			t.Errorf("step-up page does not show the LoA2 authentication:\n%s", r.body)
		}
		if acr := sessionClaims(t, site, b).ACR; acr != "2" {
			t.Errorf("session acr after step-up = %q, want 2", acr)
		}
		t.Run("a stepped-up session that follows Continue to CONNECT again gets the page, not CONNECT", func(t *testing.T) {
			r := b.get(site.app.URL + "/stepup?continue=1")
			wantStatus(t, "GET /stepup?continue=1 after step-up", r, http.StatusOK)
			if !strings.Contains(r.body, "You passed that check") {
				t.Errorf("GET /stepup?continue=1 after step-up is not the granted page:\n%s", r.body)
			}
		})
		if n := site.provider.Count("revoke"); n != 2 {
			t.Errorf("revocation endpoint called %d times, want 2: the replaced LoA1 tokens must not stay valid", n)
		}

		t.Run("once the authentication is older than STEPUP_MAX_AGE, CONNECT is asked again", func(t *testing.T) {
			site.clock.Advance(6 * time.Minute)
			if got := query(t, b.continueStepUp(site), "acr_values"); got != "2" {
				t.Errorf("acr_values six minutes later = %q, want 2", got)
			}
		})
	})

	for _, tc := range []struct {
		name   string
		claims map[string]any
	}{
		{"a provider that returns acr=1 anyway does not grant the page", map[string]any{"acr": "1"}},
		{"a stale auth_time does not grant the page", map[string]any{"auth_time": time.Now().Add(-time.Hour).Unix()}},
		{"another user does not grant the page and leaves the session intact", map[string]any{"sub": "310000009999"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := newTestSite(t, siteOptions{})
			b := newBrowser(t)
			b.logIn(site, "/protected", true)
			before := sessionClaims(t, site, b)
			site.provider.SetFaults(localconnect.Faults{IDTokenClaims: tc.claims})
			_, callback := b.stepUp(site)
			if callback.status != http.StatusForbidden {
				t.Fatalf("step-up callback = %d, want 403\n%s", callback.status, callback.body)
			}
			site.provider.SetFaults(localconnect.Faults{})
			if n := site.provider.Count("revoke"); n != 2 {
				t.Errorf("revocation endpoint called %d times, want 2: the refused login's tokens must not stay valid", n)
			}
			after := sessionClaims(t, site, b)
			if after.Subject != before.Subject || after.ACR != before.ACR || after.SessionID != before.SessionID {
				t.Errorf("session claims changed from %+v to %+v, want the original session intact", before, after)
			}
			wantStatus(t, "GET /protected after the failed step-up", b.get(site.app.URL+"/protected"), http.StatusOK)
			b.continueStepUp(site) // not granted: the page offers CONNECT again
		})
	}
}

func TestStepUpAsAnotherUserAtCONNECT(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	ola := localconnect.DefaultUsers()[1]

	r := response{location: b.continueStepUp(site)}
	// At CONNECT someone else logs in; CONNECT may end Kari's session, and
	// tell the app by back-channel, on the way.
	r = b.submitLogin(r.location, url.Values{"user": {ola.Sub}, "password": {ola.Password}, "action": {"login"}})
	wantStatus(t, "POST stand-in login as another user", r, http.StatusFound)
	callback := b.get(r.location)
	wantStatus(t, "step-up callback for another user", callback, http.StatusForbidden)
	t.Run("the page says plainly that the session ended with the CONNECT session", func(t *testing.T) {
		if !strings.Contains(html.UnescapeString(callback.body), "you are logged out") {
			t.Errorf("the page does not say the session ended:\n%s", callback.body)
		}
		wantLoggedOut(t, site, b)
	})

	r = b.get(site.app.URL + "/protected")
	if strings.Contains(r.body, ola.Name) {
		t.Error("the other user is logged in")
	}
	if r.status == http.StatusOK && !strings.Contains(r.body, testUser().Name) {
		t.Error("after a step-up by another user, /protected shows someone else")
	}
	if r := b.get(site.app.URL + "/stepup"); strings.Contains(r.body, "You passed that check") {
		t.Error("/stepup granted after a step-up by another user")
	}
}

func TestLoginParameters(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	t.Run("known values are passed on", func(t *testing.T) {
		authorize := b.startLogin(site, "prompt=login&acr=2&login_hint=%2B4791234567")
		for param, want := range map[string]string{"prompt": "login", "acr_values": "2", "login_hint": "+4791234567"} {
			if got := query(t, authorize, param); got != want {
				t.Errorf("%s = %q, want %q", param, got, want)
			}
		}
	})
	for _, bad := range []string{"prompt=consent", "prompt=select_account", "acr=3", "acr=1%202", "login_hint=" + strings.Repeat("x", 255), "login_hint=%ff%fe", "login_hint=a%0Ab", "login_hint=kari%20nordmann"} {
		t.Run("refuses "+bad, func(t *testing.T) {
			r := b.get(site.app.URL + "/login?" + bad)
			wantStatus(t, "GET /login?"+bad, r, http.StatusBadRequest)
		})
	}
}

// TestStepUpAsksForTheLoggedInUser: the step-up names the user it is for,
// so CONNECT asks that user's password, whoever logged in last in the
// browser.
func TestStepUpAsksForTheLoggedInUser(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	for _, user := range localconnect.DefaultUsers()[:2] {
		t.Run(user.Name, func(t *testing.T) {
			b := newBrowser(t)
			b.logInAs(site, "/protected", user, true)
			authorize := b.continueStepUp(site)
			// The stand-in sends td_au, the username used to log in (here
			// the e-mail), when both email and phone were granted.
			if got := query(t, authorize, "login_hint"); got != user.Email {
				t.Fatalf("step-up login_hint = %q, want %q", got, user.Email)
			}
		})
	}
}

// TestACRValuesIsAFloor: with CONNECT_ACR_VALUES=2, a login may not ask
// for less, and an answer below it makes no session.
func TestACRValuesIsAFloor(t *testing.T) {
	site := newTestSite(t, siteOptions{acrValues: "2"})
	t.Run("?acr=1 is raised to the floor, and the browser still goes to CONNECT", func(t *testing.T) {
		authorize := newBrowser(t).startLogin(site, "acr=1")
		if got := query(t, authorize, "acr_values"); got != "2" {
			t.Errorf("GET /login?acr=1 asked CONNECT for acr_values=%q, want the floor, 2", got)
		}
	})
	t.Run("an ID token below the floor gets the refusal page and no session", func(t *testing.T) {
		site.provider.SetFaults(localconnect.Faults{IDTokenClaims: map[string]any{"acr": "1"}})
		defer site.provider.SetFaults(localconnect.Faults{})
		b := newBrowser(t)
		r := b.submitLogin(b.startLogin(site, ""), url.Values{"user": {testUser().Sub}, "password": {testUser().Password}, "action": {"login"}})
		wantStatus(t, "POST stand-in login with password", r, http.StatusFound)
		callback := b.get(r.location)
		wantStatus(t, "callback with acr=1 under a floor of 2", callback, http.StatusForbidden)
		wantStatus(t, "GET /protected after the refused login", b.get(site.app.URL+"/protected"), http.StatusFound)
	})
}
