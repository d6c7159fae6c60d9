package handlers

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/localconnect"
)

// sessionIDs are the ids of the "End this session" forms on a sessions page.
var sessionIDField = regexp.MustCompile(`name="session" value="([^"]+)"`)

func sessionIDs(page string) []string {
	var ids []string
	for _, m := range sessionIDField.FindAllStringSubmatch(page, -1) {
		ids = append(ids, html.UnescapeString(m[1]))
	}
	return ids
}

func newBrowserAs(t *testing.T, userAgent string) *browser {
	return newBrowser(t).sending("User-Agent", userAgent)
}

const (
	firefoxOnLinux   = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	safariOnIPhone   = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1"
	chromeOnWindows  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36"
	edgeOnWindows    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141.0.0.0"
	chromeOnAndroid  = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Mobile Safari/537.36"
	unknownUserAgent = "curl/8.14.1"
)

// TestSessionsAndDevices: one user in two browsers on two app instances
// sees both sessions on either, ends the other, and then all others.
func TestSessionsAndDevices(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	second := site.secondInstance(t)
	ola := localconnect.DefaultUsers()[1]
	laptop, phone := newBrowserAs(t, firefoxOnLinux), newBrowserAs(t, safariOnIPhone)
	laptop.logInAs(site, "/protected", ola, true)
	phone.logInAs(site, "/protected", ola, true)
	stranger := newBrowserAs(t, chromeOnWindows)
	stranger.logInAs(site, "/protected", localconnect.DefaultUsers()[2], true)

	page := laptop.get(second.URL + "/sessions") // the other instance
	wantStatus(t, "GET /sessions on the second instance", page, http.StatusOK)
	t.Run("it lists both of the user's sessions, and nobody else's", func(t *testing.T) {
		body := html.UnescapeString(page.body)
		for _, want := range []string{"Firefox on Linux", "Safari on iOS", "this browser", "Log out all other devices"} {
			if !strings.Contains(body, want) {
				t.Errorf("sessions page lacks %q", want)
			}
		}
		if strings.Contains(body, "Chrome on Windows") {
			t.Error("sessions page lists another user's session")
		}
		if ids := sessionIDs(page.body); len(ids) != 1 {
			t.Fatalf("page offers to end %d sessions, want 1 (the phone's; not this browser's)", len(ids))
		}
	})
	t.Run("the page holds no session token", func(t *testing.T) {
		for _, b := range []*browser{laptop, phone} {
			if strings.Contains(page.body, b.cookie(site, "session").Value) {
				t.Fatal("the sessions page shows a session cookie")
			}
		}
	})
	t.Run("another user's session id ends nothing", func(t *testing.T) {
		strangerID := sessionIDs(stranger.get(site.app.URL + "/sessions").body)
		if len(strangerID) != 0 {
			t.Fatalf("the stranger has other sessions: %v", strangerID)
		}
		id := sessionIDs(page.body)[0]
		r := stranger.post(site.app.URL+"/sessions/end", url.Values{"session": {id}})
		wantStatus(t, "POST /sessions/end with another user's id", r, http.StatusSeeOther)
		wantStatus(t, "the phone", phone.get(site.app.URL+"/protected"), http.StatusOK)
	})
	t.Run("ending the phone logs it out on every instance and revokes its tokens", func(t *testing.T) {
		phoneTokens := sessionTokens(t, site, phone)
		r := laptop.post(second.URL+"/sessions/end", url.Values{"session": {sessionIDs(page.body)[0]}})
		wantStatus(t, "POST /sessions/end", r, http.StatusSeeOther)
		after := laptop.get(second.URL + "/sessions")
		if !strings.Contains(after.body, "That session has ended") || strings.Contains(after.body, "Safari on iOS") {
			t.Errorf("after ending it the page says:\n%s", after.body)
		}
		wantLoggedOut(t, site, phone)
		revoked := false
		for _, req := range site.provider.Requests("revoke") {
			revoked = revoked || req.Form.Get("token") == phoneTokens.RefreshToken
		}
		if !revoked {
			t.Error("the phone's refresh token was not revoked at CONNECT")
		}
		wantStatus(t, "the laptop", laptop.get(site.app.URL+"/protected"), http.StatusOK)
	})
	t.Run("a session ended by back-channel logout disappears at once", func(t *testing.T) {
		tablet := newBrowserAs(t, chromeOnAndroid)
		tablet.logInAs(site, "/protected", ola, true)
		if !strings.Contains(laptop.get(site.app.URL+"/sessions").body, "Chrome on Android") {
			t.Fatal("the tablet's session is not listed")
		}
		if err := site.provider.EndSession(sessionClaims(t, site, tablet).SessionID); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(laptop.get(site.app.URL+"/sessions").body, "Chrome on Android") {
			t.Fatal("the tablet's session is still listed after CONNECT ended it")
		}
	})
	t.Run("log out all other devices", func(t *testing.T) {
		// A phone of its own: the one ended above must authenticate afresh
		// (TestAnEndedDeviceMustAuthenticateAgain), which is not this test's.
		phone := newBrowserAs(t, safariOnIPhone)
		phone.logInAs(site, "/protected", ola, true)
		desk := newBrowserAs(t, edgeOnWindows)
		desk.logInAs(site, "/protected", ola, true)
		r := laptop.post(site.app.URL+"/sessions/end", url.Values{"others": {"1"}})
		wantStatus(t, "POST /sessions/end others=1", r, http.StatusSeeOther)
		wantLoggedOut(t, site, phone)
		wantLoggedOut(t, site, desk)
		after := laptop.get(site.app.URL + "/sessions")
		wantStatus(t, "the laptop's sessions page", after, http.StatusOK)
		if ids := sessionIDs(after.body); len(ids) != 0 || strings.Contains(after.body, "Log out all other devices") {
			t.Errorf("after ending all others the page still offers %d sessions to end", len(ids))
		}
	})
	t.Run("the sessions page needs a login", func(t *testing.T) {
		r := newBrowser(t).get(site.app.URL + "/sessions")
		if r.status != http.StatusFound || !strings.Contains(r.location, "/login?return_to=%2Fsessions") {
			t.Fatalf("GET /sessions without a login = %d to %q, want the login", r.status, r.location)
		}
		r = newBrowser(t).post(site.app.URL+"/sessions/end", url.Values{"others": {"1"}})
		if r.status != http.StatusFound {
			t.Fatalf("POST /sessions/end without a login = %d, want a redirect to the login", r.status)
		}
	})
}

// TestAnEndedDeviceMustAuthenticateAgain: ending another device's session
// keeps it out. Its next click finds CONNECT's single sign-on, which
// would log it straight back in; the app sends it back to CONNECT once
// for a fresh password login, and refuses a stale answer to that.
func TestAnEndedDeviceMustAuthenticateAgain(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	// endPhone logs laptop and phone in and ends the phone's session from
	// the laptop, then follows the phone's next click to the callback of
	// CONNECT's silent answer, and returns the app's answer to it.
	endPhone := func(t *testing.T, user localconnect.User) (phone *browser, callback response) {
		laptop, phone := newBrowserAs(t, firefoxOnLinux), newBrowserAs(t, safariOnIPhone)
		laptop.logInAs(site, "/protected", user, true)
		phone.logInAs(site, "/protected", user, true)
		// auth_time is in whole seconds: the end must come after it.
		time.Sleep(1100 * time.Millisecond)
		ids := sessionIDs(laptop.get(site.app.URL + "/sessions").body)
		if len(ids) != 1 {
			t.Fatalf("the laptop's sessions page offers to end %d sessions, want the phone's", len(ids))
		}
		wantStatus(t, "end the phone's session", laptop.post(site.app.URL+"/sessions/end", url.Values{"session": ids}), http.StatusSeeOther)

		r := phone.get(site.app.URL + "/protected")
		wantStatus(t, "the phone's next click", r, http.StatusFound)
		r = phone.get(phone.get(r.location).location) // /login, then CONNECT
		wantStatus(t, "CONNECT's single sign-on answer", r, http.StatusFound)
		return phone, phone.get(r.location)
	}

	t.Run("single sign-on is sent back for a fresh password login, which gets in", func(t *testing.T) {
		user := localconnect.DefaultUsers()[0]
		phone, r := endPhone(t, user)
		wantStatus(t, "the callback of the silent answer", r, http.StatusFound)
		for param, want := range map[string]string{"prompt": "login", "max_age": "0", "acr_values": "2"} {
			if got := query(t, r.location, param); got != want {
				t.Errorf("the fresh login asks %s=%q, want %q", param, got, want)
			}
		}
		if n := len(sessionIDs(phone.get(site.app.URL + "/sessions").body)); n != 0 {
			t.Errorf("the phone is logged in before authenticating afresh")
		}
		login := phone.submitLogin(r.location, url.Values{"user": {user.Sub}, "password": {user.Password}, "action": {"login"}})
		wantStatus(t, "the password login at CONNECT", login, http.StatusFound)
		wantStatus(t, "its callback", phone.get(login.location), http.StatusSeeOther)
		wantStatus(t, "GET /protected after the fresh login", phone.get(site.app.URL+"/protected"), http.StatusOK)
	})

	t.Run("a stale answer to the fresh login gets the refusal page, not another round", func(t *testing.T) {
		user := localconnect.DefaultUsers()[1]
		phone, r := endPhone(t, user)
		wantStatus(t, "the callback of the silent answer", r, http.StatusFound)
		// A CONNECT (or a clock) that answers with the old authentication.
		site.provider.SetFaults(localconnect.Faults{IDTokenClaims: map[string]any{"auth_time": time.Now().Add(-time.Hour).Unix()}})
		defer site.provider.SetFaults(localconnect.Faults{})
		login := phone.submitLogin(r.location, url.Values{"user": {user.Sub}, "password": {user.Password}, "action": {"login"}})
		wantStatus(t, "the password login at CONNECT", login, http.StatusFound)
		refused := phone.get(login.location)
		wantStatus(t, "the callback of a stale answer", refused, http.StatusForbidden)
		wantStatus(t, "GET /protected after the refusal", phone.get(site.app.URL+"/protected"), http.StatusFound)
	})
}
