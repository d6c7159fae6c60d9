package handlers

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

func TestRedisOutageGivesA503AndTheAppRecovers(t *testing.T) {
	rdb, outage := storetest.RedisWithOutage(t)
	site := newTestSite(t, siteOptions{redis: rdb})
	b := newBrowser(t)
	wantStatus(t, "login", b.logIn(site, "/protected", true), http.StatusOK)

	outage.Cut()
	r := b.get(site.app.URL + "/protected")
	wantStatus(t, "GET /protected while Redis is down", r, http.StatusServiceUnavailable)
	if !strings.Contains(r.body, "Sessions are unavailable") {
		t.Errorf("503 page does not explain the outage:\n%s", r.body)
	}
	wantStatus(t, "GET /readyz while Redis is down", b.get(site.app.URL+"/readyz"), http.StatusServiceUnavailable)
	wantStatus(t, "GET /healthz while Redis is down", b.get(site.app.URL+"/healthz"), http.StatusOK)
	// An anonymous visitor has no session to load: Redis is not needed.
	wantStatus(t, "GET / for a new visitor while Redis is down", newBrowser(t).get(site.app.URL+"/"), http.StatusOK)

	outage.Restore()
	t.Run("a session that cannot be saved gives the 503 page alone", func(t *testing.T) {
		// Redis goes away while /profile is at CONNECT's userinfo: after the
		// session was loaded, before it is saved.
		site.issuer.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/userinfo") {
				outage.Cut()
			}
			site.provider.ServeHTTP(w, r)
		})
		defer func() { site.issuer.Config.Handler = site.provider; outage.Restore() }()
		// Most page views save nothing; this one is due to move the
		// session's idle timeout on, so it saves.
		site.clock.Advance(2 * time.Minute)
		r := b.get(site.app.URL + "/profile")
		wantStatus(t, "GET /profile when Redis fails mid-request", r, http.StatusServiceUnavailable)
		if strings.Count(r.body, "<html") != 1 || strings.Contains(r.body, testUser().Email) {
			t.Errorf("want only the 503 page, got:\n%s", r.body)
		}
	})
	r = b.get(site.app.URL + "/protected")
	wantStatus(t, "GET /protected after Redis is back", r, http.StatusOK)
	if !strings.Contains(r.body, testUser().Name) {
		t.Error("the session did not survive the outage")
	}
	wantStatus(t, "GET /readyz after Redis is back", b.get(site.app.URL+"/readyz"), http.StatusOK)
}

func TestConnectOutageGivesA503AndTheAppRecovers(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	down := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	site.issuer.Config.Handler = down
	b := newBrowser(t)

	r := b.get(site.app.URL + "/login")
	wantStatus(t, "GET /login while CONNECT is down", r, http.StatusServiceUnavailable)
	if !strings.Contains(r.body, "CONNECT is not answering") {
		t.Errorf("503 page does not explain the outage:\n%s", r.body)
	}
	wantStatus(t, "GET /readyz while CONNECT is down", b.get(site.app.URL+"/readyz"), http.StatusServiceUnavailable)

	site.issuer.Config.Handler = site.provider
	site.clock.Advance(10 * time.Second) // past the discovery retry interval
	wantStatus(t, "login after CONNECT is back", b.logIn(site, "/protected", true), http.StatusOK)

	t.Run("a token endpoint outage during the callback gives a 503 and no session", func(t *testing.T) {
		b := newBrowser(t)
		callback := b.loginAt(b.startLogin(site, ""), testUser().Sub, true, "login").location
		site.provider.SetFaults(localconnect.Faults{TokenStatus: http.StatusServiceUnavailable})
		defer site.provider.SetFaults(localconnect.Faults{})
		wantStatus(t, "callback while the token endpoint is down", b.get(callback), http.StatusServiceUnavailable)
		wantLoggedOut(t, site, b)
	})
}

func TestUnreachableKeysAreAnOutageNotABadToken(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	keysDown := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/public_keys.jwks") {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		site.provider.ServeHTTP(w, r)
	})
	site.issuer.Config.Handler = keysDown

	t.Run("a logout token is answered 503, so CONNECT retries", func(t *testing.T) {
		token, _ := site.provider.SignLogoutToken(logoutClaims(site, "", testUser().Sub))
		wantStatus(t, "POST logout token while the JWK set is down", postLogoutToken(t, site, token), http.StatusServiceUnavailable)
	})
	t.Run("a callback answers 503 and creates no session", func(t *testing.T) {
		b := newBrowser(t)
		callback := b.loginAt(b.startLogin(site, ""), testUser().Sub, true, "login").location
		wantStatus(t, "callback while the JWK set is down", b.get(callback), http.StatusServiceUnavailable)
		wantLoggedOut(t, site, b)
	})
}
