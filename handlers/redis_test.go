package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/store"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// restart replaces the app behind the site's URL with a new instance built
// with these secrets, sharing Redis and the stand-in: a restart after
// SESSION_SECRET changed.
func (site *testSite) restart(t *testing.T, current, previous string) {
	t.Helper()
	var prev []byte
	if previous != "" {
		prev = []byte(previous)
	}
	secrets, err := store.NewSecrets([]byte(current), prev)
	if err != nil {
		t.Fatal(err)
	}
	site.secrets = secrets
	site.app.Config.Handler, site.sessions = site.newInstance(t, site.app.URL, site.opts.clientSecret)
}

// redisDump is every string a reader of the site's Redis keys sees: key
// names, the {...} part of each, hash fields and values, set members.
func redisDump(t *testing.T, rdb redis.UniversalClient, prefix string) []string {
	t.Helper()
	ctx := context.Background()
	braces := regexp.MustCompile(`\{([^}]*)\}`)
	var found []string
	for _, key := range storetest.Keys(t, rdb, prefix) {
		found = append(found, key)
		for _, m := range braces.FindAllStringSubmatch(key, -1) {
			found = append(found, m[1])
		}
		switch typ := rdb.Type(ctx, key).Val(); typ {
		case "string":
			found = append(found, rdb.Get(ctx, key).Val())
		case "hash":
			for field, value := range rdb.HGetAll(ctx, key).Val() {
				found = append(found, field, value)
			}
		case "set":
			found = append(found, rdb.SMembers(ctx, key).Val()...)
		default:
			t.Fatalf("key %s has type %q, which the app never writes", key, typ)
		}
	}
	return found
}

// A dump of Redis, or a read-only Redis user, must not be a way into
// anyone's session: nothing stored there works as a session cookie, and
// nothing names the user.
func TestNothingInRedisWorksAsASessionCookie(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	kari, ola := localconnect.DefaultUsers()[0], localconnect.DefaultUsers()[1]
	kariBrowser, olaBrowser := newBrowser(t), newBrowser(t)
	kariBrowser.logInAs(site, "/protected", kari, true)
	olaBrowser.logInAs(site, "/protected", ola, true)

	dump := redisDump(t, site.redis, site.prefix)
	t.Run("both users' keys are there", func(t *testing.T) {
		// Each login lists its session under its user; the set's name is
		// a keyed hash of the sub, so count the sets rather than read them.
		sets := 0
		for _, s := range dump {
			if strings.HasPrefix(s, site.prefix+"sub:") {
				sets++
			}
		}
		sessions := 0
		for _, s := range dump {
			if strings.HasPrefix(s, site.prefix+"session:{") {
				sessions++
			}
		}
		if sets != 2 || sessions != 2 {
			t.Fatalf("found %d user sets and %d sessions in Redis, want 2 of each:\n%s", sets, sessions, strings.Join(dump, "\n"))
		}
	})
	t.Run("no user's id, name, token or cookie is readable in it", func(t *testing.T) {
		// Failures name what leaked, never its value: a test log is no
		// place for a session cookie or a token either.
		secrets := map[string]string{"Kari's sub": kari.Sub, "Ola's sub": ola.Sub, "Kari's name": kari.Name,
			"Ola's name": ola.Name, "Kari's e-mail": kari.Email, "Ola's e-mail": ola.Email,
			"Kari's session cookie": kariBrowser.cookie(site, "session").Value, "Ola's session cookie": olaBrowser.cookie(site, "session").Value,
			"Kari's access token": sessionTokens(t, site, kariBrowser).AccessToken, "Ola's refresh token": sessionTokens(t, site, olaBrowser).RefreshToken}
		for _, s := range dump {
			for name, secret := range secrets {
				if strings.Contains(s, secret) {
					t.Errorf("Redis holds %s in clear", name)
				}
			}
		}
	})
	t.Run("no string in it opens a session when presented as the cookie", func(t *testing.T) {
		presented := 0
		for i, s := range dump {
			if !validCookieValue(s) {
				continue // sealed bytes cannot even travel in a cookie
			}
			presented++
			jar := newBrowser(t)
			u, _ := url.Parse(site.app.URL)
			jar.client.Jar.SetCookies(u, []*http.Cookie{{Name: "session", Value: s}})
			r := jar.get(site.app.URL + "/protected")
			if r.status != http.StatusFound {
				t.Errorf("string %d of the dump (%d bytes), presented as the cookie: GET /protected = %d, want 302 to the login", i, len(s), r.status)
			}
		}
		if presented < 10 {
			t.Fatalf("only %d strings presented, want every key, hash tag and member", presented)
		}
	})
}

// validCookieValue reports whether s can be sent as a cookie value as it is.
func validCookieValue(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}

// TestSecretRotationWholeApp: restart with SESSION_SECRET rotated (the old
// one in SESSION_SECRET_PREVIOUS): users stay logged in, a login started
// before the restart completes, a refresh works. Restart again without the
// old secret: whoever made a request since the rotation is still logged
// in; whoever did not is asked to log in, without an error.
func TestSecretRotationWholeApp(t *testing.T) {
	const oldSecret, newSecret = "the secret before the rotation, 32+ bytes", "the secret after the rotation, 32+ bytes!"
	site := newTestSite(t, siteOptions{})
	site.restart(t, oldSecret, "")
	active, dormant, midLogin := newBrowser(t), newBrowser(t), newBrowser(t)
	active.logInAs(site, "/protected", localconnect.DefaultUsers()[0], true)
	dormant.logInAs(site, "/protected", localconnect.DefaultUsers()[1], true)
	callback := midLogin.loginAt(midLogin.startLogin(site, "return_to=/profile"), localconnect.DefaultUsers()[2].Sub, true, "login").location

	site.restart(t, newSecret, oldSecret)
	t.Run("after the rotation the user is still logged in", func(t *testing.T) {
		r := active.get(site.app.URL + "/protected")
		wantStatus(t, "GET /protected after the rotation", r, http.StatusOK)
		if !strings.Contains(r.body, localconnect.DefaultUsers()[0].Name) {
			t.Error("the page does not show the user")
		}
	})
	t.Run("a login started before the restart completes", func(t *testing.T) {
		r := midLogin.get(callback)
		wantStatus(t, "callback of a login started before the rotation", r, http.StatusSeeOther)
		wantStatus(t, "GET /profile", midLogin.get(site.app.URL+"/profile"), http.StatusOK)
	})
	t.Run("a refresh works", func(t *testing.T) {
		before := site.provider.Count("token")
		r := active.post(site.app.URL+"/refresh", nil)
		wantStatus(t, "POST /refresh after the rotation", r, http.StatusSeeOther)
		if site.provider.Count("token") != before+1 {
			t.Fatal("no refresh reached CONNECT")
		}
	})

	site.restart(t, newSecret, "")
	t.Run("without the old secret, the user who came back since is still logged in", func(t *testing.T) {
		wantStatus(t, "GET /profile without the old secret", active.get(site.app.URL+"/profile"), http.StatusOK)
		wantStatus(t, "GET /profile of the login completed after the rotation", midLogin.get(site.app.URL+"/profile"), http.StatusOK)
	})
	t.Run("and the user who did not come back is asked to log in, without an error", func(t *testing.T) {
		r := dormant.get(site.app.URL + "/protected")
		if r.status != http.StatusFound || !strings.HasPrefix(r.location, site.app.URL+"/login?") {
			t.Fatalf("GET /protected = %d to %q, want a redirect to the login", r.status, r.location)
		}
		wantStatus(t, "GET / for that user", dormant.get(site.app.URL+"/"), http.StatusOK)
	})
}

// TestAnonymousVisitorsCostRedisNothing: DESIGN.md's promise, on every
// path a visitor without a session can take, however often.
func TestAnonymousVisitorsCostRedisNothing(t *testing.T) {
	// 200 round trips of each kind from one address: raised as an operator
	// running a load test would.
	site := newTestSite(t, siteOptions{rateLimitPerAddress: 100_000})
	paths := []struct {
		name string
		walk func(t *testing.T, b *browser)
	}{
		{"a silent check that finds no CONNECT session", func(t *testing.T, b *browser) {
			state := query(t, b.startLogin(site, "prompt=none"), "state")
			r := b.get(site.app.URL + "/connect/oauth2callback?state=" + state + "&error=login_required")
			wantStatus(t, "callback with login_required", r, http.StatusSeeOther)
			wantStatus(t, "the home page with its message", b.get(r.location), http.StatusOK)
		}},
		{"a cancelled login", func(t *testing.T, b *browser) {
			state := query(t, b.startLogin(site, ""), "state")
			wantStatus(t, "callback with access_denied", b.get(site.app.URL+"/connect/oauth2callback?state="+state+"&error=access_denied"), http.StatusForbidden)
		}},
		{"a callback with an unknown state", func(t *testing.T, b *browser) {
			wantStatus(t, "callback with a forged state", b.get(site.app.URL+"/connect/oauth2callback?state=forged&code=x"), http.StatusBadRequest)
		}},
		{"pages, a missing page and a private page", func(t *testing.T, b *browser) {
			wantStatus(t, "GET /", b.get(site.app.URL+"/"), http.StatusOK)
			wantStatus(t, "GET /nowhere", b.get(site.app.URL+"/nowhere"), http.StatusNotFound)
			wantStatus(t, "GET /profile", b.get(site.app.URL+"/profile"), http.StatusFound)
		}},
		{"a logout without a session", func(t *testing.T, b *browser) {
			r := b.post(site.app.URL+"/logout", nil)
			if r.status >= 500 {
				t.Fatalf("POST /logout without a session = %d", r.status)
			}
		}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			before := len(storetest.Keys(t, site.redis, site.prefix))
			for range 200 {
				p.walk(t, newBrowser(t))
			}
			if after := len(storetest.Keys(t, site.redis, site.prefix)); after != before {
				t.Fatalf("200 anonymous round trips left %d keys in Redis, want none", after-before)
			}
		})
	}
}

// TestWholeAppOnEveryRedis runs the flows that depend on Redis's
// behaviour against each kind of Redis: the embedded one, a plain server,
// and in CI a Cluster and a Sentinel-managed master.
func TestWholeAppOnEveryRedis(t *testing.T) {
	for _, backend := range storetest.Backends() {
		t.Run(backend.Name, func(t *testing.T) {
			site := newTestSite(t, siteOptions{redis: backend.Open(t)})
			t.Run("login, a refresh by one of two instances at once, and logout", func(t *testing.T) {
				second := site.secondInstance(t)
				b := newBrowser(t)
				b.logIn(site, "/protected", true)
				site.clock.Advance(makeTokensDue)
				before := site.provider.Count("token")
				if ok := viewAtOnce(t, b, []string{site.app.URL, second.URL}, "/profile", 20); ok != 20 {
					t.Fatalf("%d of 20 concurrent views of /profile answered 200, want all", ok)
				}
				if refreshes := site.provider.Count("token") - before; refreshes != 1 {
					t.Fatalf("%d refreshes for 20 concurrent views on two instances, want 1", refreshes)
				}
				wantStatus(t, "log out of the app", b.logOutOfApp(site), http.StatusOK)
				wantLoggedOut(t, site, b)
			})
			t.Run("back-channel logout by sid, then by sub", func(t *testing.T) {
				ola := localconnect.DefaultUsers()[1]
				phone, laptop := newBrowser(t), newBrowser(t)
				phone.logInAs(site, "/protected", ola, true)
				laptop.logInAs(site, "/protected", ola, true)
				token, _ := site.provider.SignLogoutToken(logoutClaims(site, sessionClaims(t, site, phone).SessionID, ""))
				wantStatus(t, "logout token for the phone's sid", postLogoutToken(t, site, token), http.StatusOK)
				wantLoggedOut(t, site, phone)
				wantStatus(t, "the laptop", laptop.get(site.app.URL+"/protected"), http.StatusOK)
				token, _ = site.provider.SignLogoutToken(logoutClaims(site, "", ola.Sub))
				wantStatus(t, "logout token for the user", postLogoutToken(t, site, token), http.StatusOK)
				wantLoggedOut(t, site, laptop)
			})
			t.Run("a request in flight cannot bring an ended session back", func(t *testing.T) {
				b := newBrowser(t)
				b.logIn(site, "/protected", true)
				ctx, err := site.sessions.Manager.Load(context.Background(), b.cookie(site, "session").Value)
				if err != nil {
					t.Fatal(err)
				}
				wantStatus(t, "log out of the app", b.logOutOfApp(site), http.StatusOK)
				site.sessions.BeforeSave(ctx, site.clock.Now().Add(time.Hour))
				if _, _, err := site.sessions.Manager.Commit(ctx); err != store.ErrSessionEnded {
					t.Fatalf("late save of the ended session = %v, want ErrSessionEnded", err)
				}
				wantLoggedOut(t, site, b)
			})
		})
	}
}
