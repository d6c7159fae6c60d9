package handlers

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/localconnect"
)

// The stand-in's access tokens live 2 minutes and the app refreshes 1
// minute before expiry, so moving the app's clock 90 seconds makes them due.
const makeTokensDue = 90 * time.Second

func TestProfile(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	user := testUser()

	r := b.get(site.app.URL + "/profile")
	wantStatus(t, "GET /profile", r, http.StatusOK)

	t.Run("it shows the claims userinfo returned", func(t *testing.T) {
		page := html.UnescapeString(r.body) // html/template writes "+47" as "&#43;47"
		// The phone number grouped as Norwegians write it: +47 912 34 567.
		for _, want := range []string{user.Sub, user.Name, user.Email, phone(user.PhoneNumber)} {
			if !strings.Contains(page, want) {
				t.Errorf("profile page does not show %q", want)
			}
		}
	})
	t.Run("userinfo received the session's access token as a Bearer token", func(t *testing.T) {
		calls := site.provider.Requests("userinfo")
		if len(calls) != 1 {
			t.Fatalf("userinfo called %d times, want 1", len(calls))
		}
		want := "Bearer " + sessionTokens(t, site, b).AccessToken
		if got := calls[0].Header.Get("Authorization"); got != want {
			t.Errorf("Authorization = %q, want the session's access token", got)
		}
	})
	t.Run("a page view with a fresh token does not call the token endpoint", func(t *testing.T) {
		for range 3 {
			wantStatus(t, "GET /profile", b.get(site.app.URL+"/profile"), http.StatusOK)
		}
		wantStatus(t, "GET /session", b.get(site.app.URL+"/session"), http.StatusOK)
		if n := site.provider.Count("token"); n != 1 {
			t.Errorf("token endpoint called %d times (the login's included), want 1", n)
		}
	})
	t.Run("userinfo is asked at most once a minute, and at once with Fetch again", func(t *testing.T) {
		if n := site.provider.Count("userinfo"); n != 1 {
			t.Errorf("four views within a minute called userinfo %d times, want 1", n)
		}
		wantStatus(t, "GET /profile?fetch=now", b.get(site.app.URL+"/profile?fetch=now"), http.StatusOK)
		if n := site.provider.Count("userinfo"); n != 2 {
			t.Errorf("Fetch again: userinfo called %d times in all, want 2", n)
		}
		site.clock.Advance(61 * time.Second)
		wantStatus(t, "GET /profile a minute later", b.get(site.app.URL+"/profile"), http.StatusOK)
		if n := site.provider.Count("userinfo"); n != 3 {
			t.Errorf("a minute later: userinfo called %d times in all, want 3", n)
		}
	})
	t.Run("userinfo naming another user shows an error and none of its claims", func(t *testing.T) {
		site.provider.SetFaults(localconnect.Faults{UserinfoSubject: "310000009999"})
		defer site.provider.SetFaults(localconnect.Faults{})
		r := b.get(site.app.URL + "/profile?fetch=now")
		wantStatus(t, "GET /profile with another sub from userinfo", r, http.StatusBadGateway)
		for _, leak := range []string{"310000009999", user.Email, user.PhoneNumber} {
			if strings.Contains(html.UnescapeString(r.body), leak) {
				t.Errorf("error page shows %q", leak)
			}
		}
	})
	t.Run("a CONNECT outage gives a 503 page", func(t *testing.T) {
		site.provider.SetFaults(localconnect.Faults{UserinfoStatus: http.StatusServiceUnavailable})
		defer site.provider.SetFaults(localconnect.Faults{})
		wantStatus(t, "GET /profile while userinfo is down", b.get(site.app.URL+"/profile?fetch=now"), http.StatusServiceUnavailable)
	})
}

func TestRefresh(t *testing.T) {
	t.Run("tokens near expiry are refreshed before use, and the rotated refresh token is used next", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		first := sessionTokens(t, site, b)

		site.clock.Advance(makeTokensDue)
		wantStatus(t, "GET /profile with a due token", b.get(site.app.URL+"/profile"), http.StatusOK)
		second := sessionTokens(t, site, b)
		refreshes := site.provider.Requests("token")[1:]
		if len(refreshes) != 1 {
			t.Fatalf("%d refreshes, want 1", len(refreshes))
		}
		if got := refreshes[0].Form.Get("refresh_token"); got != first.RefreshToken {
			t.Errorf("first refresh sent refresh_token %q, want the login's", got)
		}
		if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
			t.Fatal("the session still holds the old tokens after a refresh")
		}
		if got := site.provider.Requests("userinfo")[0].Header.Get("Authorization"); got != "Bearer "+second.AccessToken {
			t.Errorf("userinfo got %q, want the refreshed access token", got)
		}

		site.clock.Advance(makeTokensDue)
		wantStatus(t, "GET /profile with a due token again", b.get(site.app.URL+"/profile"), http.StatusOK)
		refreshes = site.provider.Requests("token")[1:]
		if len(refreshes) != 2 || refreshes[1].Form.Get("refresh_token") != second.RefreshToken {
			t.Errorf("second refresh sent %q, want the rotated refresh token", refreshes[len(refreshes)-1].Form.Get("refresh_token"))
		}
	})

	t.Run("a 401 from userinfo gets one refresh and one retry", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		site.provider.ExpireAccessTokens()

		wantStatus(t, "GET /profile with a revoked access token", b.get(site.app.URL+"/profile"), http.StatusOK)
		if n := site.provider.Count("token"); n != 2 {
			t.Errorf("token endpoint called %d times, want 2 (login, one refresh)", n)
		}
		if n := site.provider.Count("userinfo"); n != 2 {
			t.Errorf("userinfo called %d times, want 2 (the 401, the retry)", n)
		}
	})

	t.Run("Refresh now refreshes and says so on the session page", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		r := b.post(site.app.URL+"/refresh", map[string][]string{"return_to": {"/session"}})
		wantStatus(t, "POST /refresh", r, http.StatusSeeOther)
		r = b.get(r.location)
		wantStatus(t, "GET /session", r, http.StatusOK)
		if !strings.Contains(r.body, "Tokens refreshed") {
			t.Error("session page does not confirm the refresh")
		}
		if n := site.provider.Count("token"); n != 2 {
			t.Errorf("token endpoint called %d times, want 2", n)
		}
		tokens := sessionTokens(t, site, b)
		for _, secret := range []string{tokens.AccessToken, tokens.RefreshToken, tokens.IDToken} {
			if strings.Contains(r.body, secret) {
				t.Error("the session page shows a token")
			}
		}
	})

	t.Run("a cross-site POST /refresh is refused", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		req, _ := http.NewRequest(http.MethodPost, site.app.URL+"/refresh", nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		wantStatus(t, "cross-site POST /refresh", b.do(req), http.StatusForbidden)
		if n := site.provider.Count("token"); n != 1 {
			t.Errorf("token endpoint called %d times, want 1 (the login only)", n)
		}
	})

	t.Run("invalid_grant ends the session and leads back to login, then to the page", func(t *testing.T) {
		site := newTestSite(t, siteOptions{noBackchannel: true})
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		revokeAtConnect(t, site, b)
		site.clock.Advance(makeTokensDue)

		r := b.get(site.app.URL + "/profile")
		wantStatus(t, "GET /profile after CONNECT revoked the grant", r, http.StatusSeeOther)
		if want := site.app.URL + "/login?return_to=%2Fprofile"; r.location != want {
			t.Fatalf("redirected to %q, want %q", r.location, want)
		}
		r = b.get(r.location)
		r = b.loginAt(r.location, testUser().Sub, true, "login")
		r = b.get(r.location)
		wantStatus(t, "callback", r, http.StatusSeeOther)
		if r.location != site.app.URL+"/profile" {
			t.Fatalf("after the new login went to %q, want /profile", r.location)
		}
		r = b.get(r.location)
		wantStatus(t, "GET /profile after the new login", r, http.StatusOK)
		if !strings.Contains(r.body, "Your CONNECT session had ended") {
			t.Error("no explanation after the new login")
		}
	})

	t.Run("a refresh that fails with an outage keeps the session for a retry", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		site.clock.Advance(makeTokensDue)
		site.provider.SetFaults(localconnect.Faults{TokenStatus: http.StatusServiceUnavailable})
		wantStatus(t, "GET /profile while the token endpoint is down", b.get(site.app.URL+"/profile?fetch=now"), http.StatusServiceUnavailable)
		site.provider.SetFaults(localconnect.Faults{})
		wantStatus(t, "GET /profile once CONNECT is back", b.get(site.app.URL+"/profile"), http.StatusOK)
	})

	t.Run("a new ID token for another user is refused", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		before := sessionTokens(t, site, b)
		site.provider.SetFaults(localconnect.Faults{IDTokenClaims: map[string]any{"sub": "310000009999"}})
		r := b.post(site.app.URL+"/refresh", nil)
		wantStatus(t, "POST /refresh answered with another sub", r, http.StatusBadGateway)
		if after := sessionTokens(t, site, b); after.AccessToken != before.AccessToken {
			t.Error("the session took tokens from a refresh for another user")
		}
	})
}

// viewAtOnce has browser b view path n times at once, spread over servers
// in turn, and returns how many views answered 200.
func viewAtOnce(t *testing.T, b *browser, servers []string, path string, n int) (ok int) {
	t.Helper()
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for i := range n {
		wg.Go(func() {
			// Not b.get: its t.Fatalf must not run outside the test's
			// goroutine.
			resp, err := b.client.Get(servers[i%len(servers)] + path)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s == http.StatusOK {
			ok++
		}
	}
	return ok
}

// revokeAtConnect ends the user's CONNECT session at the stand-in, which
// revokes the refresh token, as a logout elsewhere would.
func revokeAtConnect(t *testing.T, site *testSite, b *browser) {
	t.Helper()
	c := b.cookie(site, "session")
	ctx, _ := site.sessions.Manager.Load(context.Background(), c.Value)
	u, _ := site.sessions.CurrentUser(ctx)
	if err := site.provider.EndSession(u.Claims.SessionID); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentRequestsRefreshOnce(t *testing.T) {
	const requests = 50
	for _, instances := range []int{1, 2} {
		t.Run(map[int]string{1: "on one instance", 2: "across two instances sharing Redis"}[instances], func(t *testing.T) {
			site := newTestSite(t, siteOptions{})
			servers := []string{site.app.URL}
			if instances == 2 {
				servers = append(servers, site.secondInstance(t).URL)
			}
			b := newBrowser(t)
			b.logIn(site, "/protected", true)
			site.clock.Advance(makeTokensDue)

			ok := viewAtOnce(t, b, servers, "/profile", requests)
			refreshes := site.provider.Count("token") - 1
			t.Logf("%d concurrent requests on %d instance(s): %d answered 200, %d refresh(es) at the token endpoint", requests, instances, ok, refreshes)
			if ok != requests {
				t.Errorf("%d of %d requests answered 200, want all", ok, requests)
			}
			if refreshes != 1 {
				t.Errorf("%d refreshes at the token endpoint, want exactly 1", refreshes)
			}
		})
	}
}

// TestSessionPageShowsRefreshHappen: /session loaded inside the refresh
// margin refreshes before it renders, so reloading it shows the count
// move, and it says when the next refresh falls due.
func TestSessionPageShowsRefreshHappen(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	page := b.get(site.app.URL + "/session")
	if !strings.Contains(page.body, "Next refresh") {
		t.Errorf("/session does not say when the next refresh is due")
	}
	site.clock.Advance(makeTokensDue)
	page = b.get(site.app.URL + "/session")
	wantStatus(t, "GET /session inside the refresh margin", page, http.StatusOK)
	if n := site.provider.Count("token"); n != 2 {
		t.Errorf("token endpoint called %d times (the login's included), want 2: /session must refresh due tokens", n)
	}
	if !regexp.MustCompile(`Refreshes so far</dt><dd>1`).MatchString(page.body) {
		t.Errorf("/session after its own refresh does not show 1 refresh")
	}
}
