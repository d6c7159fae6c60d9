package handlers

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

func TestLogoutFromTheAppOnly(t *testing.T) {
	for _, tc := range []struct{ name, secret string }{
		{"public client", ""},
		{"confidential client", "the-client-secret-from-registration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := newTestSite(t, siteOptions{clientSecret: tc.secret})
			b := newBrowser(t)
			b.logIn(site, "/protected", true)
			tokens := sessionTokens(t, site, b)

			posted := b.post(site.app.URL+"/logout", nil)
			wantStatus(t, "POST /logout", posted, http.StatusSeeOther) // a reload does not post it again
			r := b.get(posted.location)
			wantStatus(t, "GET the logged-out page", r, http.StatusOK)
			if !strings.Contains(r.body, "You are logged out of this app") || !strings.Contains(r.body, "not ask for your credentials") {
				t.Errorf("logout page does not explain an app-only logout with SSO:\n%s", r.body)
			}
			if again := b.get(posted.location); strings.Contains(again.body, "You are logged out of this app") {
				t.Error("a reload of the logged-out page still vouches for a logout it no longer knows of")
			}

			t.Run("both tokens were revoked, refresh token first, with the client's authentication", func(t *testing.T) {
				revocations := site.provider.Requests("revoke")
				if len(revocations) != 2 {
					t.Fatalf("revocation endpoint called %d times, want 2", len(revocations))
				}
				for i, want := range []struct{ token, hint string }{{tokens.RefreshToken, "refresh_token"}, {tokens.AccessToken, "access_token"}} {
					form, header := revocations[i].Form, revocations[i].Header
					if form.Get("token") != want.token || form.Get("token_type_hint") != want.hint {
						t.Errorf("revocation %d: token_type_hint=%q, token matches=%v; want %s", i+1, form.Get("token_type_hint"), form.Get("token") == want.token, want.hint)
					}
					user, pass, basic := (&http.Request{Header: header}).BasicAuth()
					if tc.secret != "" && (!basic || user != testClientID || pass != tc.secret) {
						t.Errorf("revocation %d: Basic auth %q, %v; want the client's id and secret", i+1, user, basic)
					}
					if tc.secret == "" && (basic || form.Get("client_id") != testClientID) {
						t.Errorf("revocation %d: public client sent Basic=%v client_id=%q", i+1, basic, form.Get("client_id"))
					}
				}
			})
			t.Run("the old refresh token no longer works at CONNECT", func(t *testing.T) {
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tokens.RefreshToken}, "client_id": {testClientID}}
				req, _ := http.NewRequest(http.MethodPost, site.provider.Issuer()+"/token", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tc.secret != "" {
					req.SetBasicAuth(testClientID, tc.secret)
				}
				r := newBrowser(t).do(req)
				if r.status != http.StatusBadRequest || !strings.Contains(r.body, "invalid_grant") {
					t.Errorf("refresh with the revoked token = %d %s, want 400 invalid_grant", r.status, r.body)
				}
			})
			t.Run("the session is gone", func(t *testing.T) { wantLoggedOut(t, site, b) })
			t.Run("with SSO, logging in again is silent", func(t *testing.T) {
				r := b.get(b.startLogin(site, ""))
				if r.status != http.StatusFound || !strings.HasPrefix(r.location, site.app.URL+"/connect/oauth2callback?") {
					t.Fatalf("authorize after an app-only logout = %d to %q, want a redirect straight to the callback", r.status, r.location)
				}
			})
		})
	}
}

func TestLogoutGoesOnWhenRevocationFails(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	site.issuer.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/revoke") {
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		}
		site.provider.ServeHTTP(w, r)
	})
	wantStatus(t, "log out while revocation is down", b.logOutOfApp(site), http.StatusOK)
	wantLoggedOut(t, site, b)
	if !strings.Contains(site.logs.String(), "token revocation failed") {
		t.Error("the failed revocation was not logged")
	}
}

func TestLogoutEverywhere(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	idToken := sessionTokens(t, site, b).IDToken

	r := b.post(site.app.URL+"/logout", url.Values{"everywhere": {"1"}})
	wantStatus(t, "POST /logout everywhere=1", r, http.StatusSeeOther)
	if !strings.HasPrefix(r.location, site.provider.Issuer()+"/logout?") {
		t.Fatalf("redirected to %q, want CONNECT's end-session endpoint", r.location)
	}
	t.Run("the redirect carries id_token_hint, post_logout_redirect_uri and a state", func(t *testing.T) {
		if got := query(t, r.location, "id_token_hint"); got != idToken {
			t.Error("id_token_hint is not the session's ID token")
		}
		if got := query(t, r.location, "post_logout_redirect_uri"); got != site.app.URL+"/connect/logoutcallback" {
			t.Errorf("post_logout_redirect_uri = %q, want the registered one", got)
		}
		if got := query(t, r.location, "state"); len(got) < 43 {
			t.Errorf("state = %q, want 32 random bytes", got)
		}
	})
	wantLoggedOut(t, site, b)

	r = b.get(r.location) // CONNECT ends its session and sends the browser back
	wantStatus(t, "GET end-session endpoint", r, http.StatusFound)
	r = b.get(r.location)
	wantStatus(t, "GET /connect/logoutcallback", r, http.StatusOK)
	if !strings.Contains(r.body, "You are logged out of the app and of CONNECT") {
		t.Errorf("logout callback page does not confirm both logouts:\n%s", r.body)
	}

	t.Run("the next login asks for credentials again", func(t *testing.T) {
		r := b.get(b.startLogin(site, ""))
		if r.status != http.StatusOK || !strings.Contains(r.body, `name="request_id"`) {
			t.Fatalf("authorize after logging out everywhere = %d to %q, want the login page", r.status, r.location)
		}
	})
	t.Run("a logout callback with an unknown state gets a neutral page", func(t *testing.T) {
		r := newBrowser(t).get(site.app.URL + "/connect/logoutcallback?state=made-up")
		wantStatus(t, "GET /connect/logoutcallback with an unknown state", r, http.StatusOK)
		if !strings.Contains(r.body, "You are logged out") || strings.Contains(r.body, "and of CONNECT") {
			t.Errorf("want the neutral logged-out page:\n%s", r.body)
		}
	})
}

func TestCrossSiteLogoutIsRefused(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	req, _ := http.NewRequest(http.MethodPost, site.app.URL+"/logout", strings.NewReader("everywhere=1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	wantStatus(t, "cross-site POST /logout", b.do(req), http.StatusForbidden)
	wantStatus(t, "GET /protected after the refused logout", b.get(site.app.URL+"/protected"), http.StatusOK)
	if n := site.provider.Count("revoke"); n != 0 {
		t.Errorf("revocation endpoint called %d times, want 0", n)
	}
}

// sessionClaims reads the browser's session's ID token claims from the store.
func sessionClaims(t *testing.T, site *testSite, b *browser) connect.Claims {
	t.Helper()
	ctx, _ := site.sessions.Manager.Load(context.Background(), b.cookie(site, "session").Value)
	u, ok := site.sessions.CurrentUser(ctx)
	if !ok {
		t.Fatal("no user in the session")
	}
	return u.Claims
}

// logOutOfApp presses "Log out of this app" and follows the redirect to
// the page it ends on.
func (b *browser) logOutOfApp(site *testSite) response {
	b.t.Helper()
	r := b.post(site.app.URL+"/logout", nil)
	wantStatus(b.t, "POST /logout", r, http.StatusSeeOther)
	return b.get(r.location)
}

// logoutClaims are the claims of a valid logout token for the site.
func logoutClaims(site *testSite, sid, sub string) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss":    site.provider.Issuer(),
		"aud":    []string{testClientID},
		"iat":    now.Unix(),
		"exp":    now.Add(2 * time.Minute).Unix(),
		"jti":    base64.RawURLEncoding.EncodeToString([]byte(now.String())),
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}
	if sid != "" {
		c["sid"] = sid
	}
	if sub != "" {
		c["sub"] = sub
	}
	return c
}

func postLogoutToken(t *testing.T, site *testSite, token string) response {
	t.Helper()
	// Server to server: no browser headers, no cookies.
	resp, err := http.PostForm(site.app.URL+"/connect/backchannellogout", url.Values{"logout_token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("back-channel answer Cache-Control = %q, want no-store", got)
	}
	if resp.StatusCode == http.StatusBadRequest && !strings.Contains(string(body), `"error"`) {
		t.Errorf("400 answer %q, want a short JSON error", body)
	}
	return response{status: resp.StatusCode, body: string(body)}
}

func TestBackchannelLogout(t *testing.T) {
	t.Run("CONNECT ending a session ends that sid's sessions, and only those, on every instance", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		other := site.secondInstance(t)
		alice, bob := newBrowser(t), newBrowser(t) // two browsers, two CONNECT sessions, one user
		alice.logIn(site, "/protected", true)
		bob.logIn(site, "/protected", true)

		if err := site.provider.EndSession(sessionClaims(t, site, alice).SessionID); err != nil {
			t.Fatal(err)
		}
		if n := site.provider.Count("backchannel"); n != 1 {
			t.Fatalf("stand-in sent %d back-channel logouts, want 1", n)
		}
		for _, server := range []string{site.app.URL, other.URL} {
			r := alice.get(server + "/protected")
			wantStatus(t, "GET /protected in the ended session", r, http.StatusFound)
			wantStatus(t, "GET /protected in the other session", bob.get(server+"/protected"), http.StatusOK)
		}
	})

	t.Run("a token with only sub ends all of that user's sessions", func(t *testing.T) {
		// Ola, not the usual Kari: the index is shared by every test using
		// this Redis, the browser test included, and sub-only ends them all.
		ola := localconnect.DefaultUsers()[1]
		site := newTestSite(t, siteOptions{})
		alice, bob := newBrowser(t), newBrowser(t)
		alice.logInAs(site, "/protected", ola, true)
		bob.logInAs(site, "/protected", ola, true)
		token, _ := site.provider.SignLogoutToken(logoutClaims(site, "", ola.Sub))
		wantStatus(t, "POST logout token with sub only", postLogoutToken(t, site, token), http.StatusOK)
		wantLoggedOut(t, site, alice)
		wantLoggedOut(t, site, bob)

		t.Run("a replayed token is answered 200 and ends nothing new", func(t *testing.T) {
			alice.logInAs(site, "/protected", ola, true)
			wantStatus(t, "POST the same logout token again", postLogoutToken(t, site, token), http.StatusOK)
			wantStatus(t, "GET /protected in the new session", alice.get(site.app.URL+"/protected"), http.StatusOK)
		})
	})

	t.Run("an invalid token gets 400 and ends nothing", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		sid := sessionClaims(t, site, b).SessionID
		valid := func(change func(map[string]any)) string {
			c := logoutClaims(site, sid, testUser().Sub)
			change(c)
			token, err := site.provider.SignLogoutToken(c)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		strangerKey, _ := rsa.GenerateKey(rand.Reader, 2048)
		for _, tc := range []struct{ name, token string }{
			{"with a nonce", valid(func(c map[string]any) { c["nonce"] = "n" })},
			{"without events", valid(func(c map[string]any) { delete(c, "events") })},
			{"for another audience", valid(func(c map[string]any) { c["aud"] = []string{"another-client"} })},
			{"from another issuer", valid(func(c map[string]any) { c["iss"] = "https://evil.example/oauth" })},
			{"with neither sid nor sub", valid(func(c map[string]any) { delete(c, "sid"); delete(c, "sub") })},
			{"issued long ago", valid(func(c map[string]any) { c["iat"] = time.Now().Add(-time.Hour).Unix() })},
			{"with alg none", unsignedToken(logoutClaims(site, sid, ""))},
			{"signed by another key", signedBy(t, strangerKey, logoutClaims(site, sid, ""))},
			{"that is not a JWT", "not-a-token"},
			{"that is missing", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := postLogoutToken(t, site, tc.token)
				wantStatus(t, "POST invalid logout token", r, http.StatusBadRequest)
				wantStatus(t, "GET /protected after an invalid logout token", b.get(site.app.URL+"/protected"), http.StatusOK)
			})
		}
	})

	t.Run("a Redis outage answers 503 so CONNECT can retry", func(t *testing.T) {
		rdb, outage := storetest.RedisWithOutage(t)
		site := newTestSite(t, siteOptions{redis: rdb})
		token, _ := site.provider.SignLogoutToken(logoutClaims(site, "", testUser().Sub))
		outage.Cut()
		defer outage.Restore()
		wantStatus(t, "POST logout token while Redis is down", postLogoutToken(t, site, token), http.StatusServiceUnavailable)
	})
}

func unsignedToken(claims map[string]any) string {
	enc := base64.RawURLEncoding
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "logout+jwt"})
	payload, _ := json.Marshal(claims)
	return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + "."
}

func signedBy(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("logout+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}
