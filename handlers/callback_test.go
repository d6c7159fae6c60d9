package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/connectweb"
)

func TestLoginEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret string
	}{
		{name: "public client", secret: ""},
		{name: "confidential client", secret: "the-client-secret-from-registration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := newTestSite(t, siteOptions{clientSecret: tc.secret})
			b := newBrowser(t)

			page := b.logIn(site, "/protected", true)

			t.Run("the visitor is back on the protected page, logged in", func(t *testing.T) {
				wantStatus(t, "GET /protected after login", page, http.StatusOK)
				for _, want := range []string{testUser().Name, testUser().Sub, "Protected page"} {
					if !strings.Contains(page.body, want) {
						t.Errorf("protected page does not show %q", want)
					}
				}
			})

			authorize := site.provider.Requests("authorize")[0].Form
			token := site.provider.Requests("token")
			t.Run("the authorize request carries state, nonce and an S256 challenge", func(t *testing.T) {
				for _, p := range []string{"state", "nonce", "code_challenge"} {
					if v := authorize.Get(p); len(v) < 43 {
						t.Errorf("%s = %q, want 32+ random bytes, base64url", p, v)
					}
				}
				if got := authorize.Get("code_challenge_method"); got != "S256" {
					t.Errorf("code_challenge_method = %q, want S256", got)
				}
				if got := authorize.Get("redirect_uri"); got != site.app.URL+"/connect/oauth2callback" {
					t.Errorf("redirect_uri = %q, want the registered one", got)
				}
				if got := authorize.Get("scope"); got != "openid profile email phone" {
					t.Errorf("scope = %q, want %q", got, "openid profile email phone")
				}
			})
			t.Run("the token request proves the PKCE verifier and authenticates the client", func(t *testing.T) {
				if len(token) != 1 {
					t.Fatalf("token endpoint called %d times, want 1", len(token))
				}
				form, header := token[0].Form, token[0].Header
				sum := sha256.Sum256([]byte(form.Get("code_verifier")))
				if got, want := base64.RawURLEncoding.EncodeToString(sum[:]), authorize.Get("code_challenge"); got != want {
					t.Errorf("S256(code_verifier) = %q, want the challenge %q", got, want)
				}
				if form.Get("grant_type") != "authorization_code" || form.Get("code") == "" {
					t.Errorf("token form = %v, want grant_type=authorization_code and a code", form)
				}
				if form.Has("client_secret") {
					t.Error("client_secret sent in the form body")
				}
				user, pass, basic := (&http.Request{Header: header}).BasicAuth()
				if tc.secret != "" {
					if !basic || user != testClientID || pass != tc.secret {
						t.Errorf("Basic auth = %q, %v; want the client id and secret", user, basic)
					}
				} else {
					if basic {
						t.Error("public client sent HTTP Basic auth")
					}
					if form.Get("client_id") != testClientID {
						t.Errorf("client_id in body = %q, want %q", form.Get("client_id"), testClientID)
					}
				}
			})
			t.Run("no token, code or state reaches a page, a cookie or the log", func(t *testing.T) {
				tokens := sessionTokens(t, site, b)
				secrets := map[string]string{
					"access token":  tokens.AccessToken,
					"refresh token": tokens.RefreshToken,
					"ID token":      tokens.IDToken,
					"code":          token[0].Form.Get("code"),
					"state":         authorize.Get("state"),
				}
				home := b.get(site.app.URL + "/")
				u, _ := url.Parse(site.app.URL)
				var cookies strings.Builder
				for _, c := range b.client.Jar.Cookies(u) {
					cookies.WriteString(c.Value)
				}
				for what, secret := range secrets {
					if secret == "" {
						t.Errorf("%s is empty; the test cannot check it", what)
						continue
					}
					for where, text := range map[string]string{"protected page": page.body, "home page": home.body, "cookies": cookies.String(), "log": site.logs.String()} {
						if strings.Contains(text, secret) {
							t.Errorf("the %s appears in the %s", what, where)
						}
					}
				}
			})
		})
	}
}

// sessionTokens reads the browser's session's tokens straight from the store.
func sessionTokens(t *testing.T, site *testSite, b *browser) connect.TokenSet {
	t.Helper()
	c := b.cookie(site, "session")
	if c == nil {
		t.Fatal("no session cookie")
	}
	ctx, err := site.sessions.Manager.Load(context.Background(), c.Value)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := site.sessions.CurrentUser(ctx); !ok {
		t.Fatal("no user in the session")
	}
	rec, err := site.sessions.Tokens(ctx)
	if err != nil {
		t.Fatalf("no tokens for the session: %v", err)
	}
	return rec.Tokens
}

// startLogin goes to /login and returns the authorize URL the app sent the
// browser to.
func (b *browser) startLogin(site *testSite, query string) string {
	b.t.Helper()
	r := b.get(site.app.URL + "/login?" + query)
	wantStatus(b.t, "GET /login", r, http.StatusFound)
	if !strings.HasPrefix(r.location, site.provider.Issuer()+"/authorize?") {
		b.t.Fatalf("/login redirected to %q, want the stand-in's authorize endpoint", r.location)
	}
	return r.location
}

// wantLoggedOut checks that the browser has no session: /protected sends
// it to log in.
func wantLoggedOut(t *testing.T, site *testSite, b *browser) {
	t.Helper()
	r := b.get(site.app.URL + "/protected")
	if r.status != http.StatusFound || !strings.HasPrefix(r.location, site.app.URL+"/login?") {
		t.Fatalf("GET /protected = %d to %q, want a redirect to /login (no session)", r.status, r.location)
	}
}

func TestCallbackRefusesWhatItCannotMatch(t *testing.T) {
	t.Run("a state that does not match creates no session and redeems no code", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		callback := b.loginAt(b.startLogin(site, "return_to=/protected"), testUser().Sub, true, "login").location
		forged := withQuery(t, callback, "state", "forged-state-value")
		r := b.get(forged)
		wantStatus(t, "GET callback with a forged state", r, http.StatusBadRequest)
		if n := site.provider.Count("token"); n != 0 {
			t.Errorf("token endpoint called %d times, want 0", n)
		}
		wantLoggedOut(t, site, b)
	})

	t.Run("a callback in a browser that did not start the login creates no session", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		victim := newBrowser(t)
		callback := victim.loginAt(victim.startLogin(site, ""), testUser().Sub, true, "login").location
		attacker := newBrowser(t) // no login-transaction cookie
		r := attacker.get(callback)
		wantStatus(t, "GET callback without the transaction cookie", r, http.StatusBadRequest)
		if n := site.provider.Count("token"); n != 0 {
			t.Errorf("token endpoint called %d times, want 0", n)
		}
		wantLoggedOut(t, site, attacker)
	})

	t.Run("a code too long to be one is refused without asking CONNECT", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		callback := b.loginAt(b.startLogin(site, ""), testUser().Sub, true, "login").location
		r := b.get(withQuery(t, callback, "code", strings.Repeat("A", 70_000)))
		wantStatus(t, "GET callback with a 70 KB code", r, http.StatusBadRequest)
		if !strings.Contains(r.body, "no authorization code that could be used") {
			t.Errorf("the page does not say the code was unusable:\n%s", r.body)
		}
		if n := site.provider.Count("token"); n != 0 {
			t.Errorf("token endpoint called %d times, want 0", n)
		}
		wantLoggedOut(t, site, b)
	})

	t.Run("a replayed callback redeems nothing a second time", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		callback := b.loginAt(b.startLogin(site, "return_to=/profile"), testUser().Sub, true, "login").location
		wantStatus(t, "first callback", b.get(callback), http.StatusSeeOther)
		// Back after logging in: the logged-in browser goes on where the
		// login went, with no error page.
		r := b.get(callback)
		wantStatus(t, "the callback again, logged in", r, http.StatusSeeOther)
		if !strings.HasSuffix(r.location, "/profile") {
			t.Errorf("the callback again sent the browser to %q, want the login's /profile", r.location)
		}
		// Another browser replaying the URL has no login to match.
		wantStatus(t, "the callback in another browser", newBrowser(t).get(callback), http.StatusBadRequest)
		if n := site.provider.Count("token"); n != 1 {
			t.Errorf("token endpoint called %d times, want 1", n)
		}
	})

	t.Run("two requests of one callback log in once, and both carry the session", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		callback := b.loginAt(b.startLogin(site, "return_to=/session"), testUser().Sub, true, "login").location
		// A double click: both requests carry the same login cookie.
		var cookies []string
		for _, c := range b.client.Jar.Cookies(mustParse(t, site.app.URL)) {
			cookies = append(cookies, c.Name+"="+c.Value)
		}
		answers := make(chan response, 2)
		for range 2 {
			go func() { answers <- newBrowser(t).sending("Cookie", strings.Join(cookies, "; ")).get(callback) }()
		}
		for range 2 {
			r := <-answers
			if r.status != http.StatusSeeOther || !strings.HasSuffix(r.location, "/session") {
				t.Fatalf("a callback request = %d to %q, want 303 to /session\n%s", r.status, r.location, r.body)
			}
			// Each answer alone must log the browser in: either may be
			// the one the browser keeps.
			var session *browser
			for _, c := range r.cookies {
				if c.Name == "session" {
					session = newBrowser(t).sending("Cookie", "session="+c.Value)
				}
			}
			if session == nil {
				t.Fatalf("a callback answer set no session cookie: %v", r.cookies)
			}
			wantStatus(t, "GET /protected with one answer's cookie", session.get(site.app.URL+"/protected"), http.StatusOK)
		}
		if n := site.provider.Count("token"); n != 1 {
			t.Errorf("token endpoint called %d times, want once for one code", n)
		}
	})

	t.Run("a cancelled login says so and creates no session", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		callback := b.loginAt(b.startLogin(site, ""), testUser().Sub, true, "cancel").location
		if got := query(t, callback, "error"); got != "access_denied" {
			t.Fatalf("stand-in answered error=%q, want access_denied", got)
		}
		r := b.get(callback)
		wantStatus(t, "callback with error=access_denied", r, http.StatusForbidden)
		if !strings.Contains(r.body, "You cancelled the login") {
			t.Errorf("page does not say the login was cancelled:\n%s", r.body)
		}
		if n := site.provider.Count("token"); n != 0 {
			t.Errorf("token endpoint called %d times, want 0", n)
		}
		wantLoggedOut(t, site, b)
	})

	t.Run("CONNECT's error description goes to the log, not the page", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		authorize := b.startLogin(site, "")
		state := query(t, authorize, "state")
		r := b.get(site.app.URL + "/connect/oauth2callback?" + url.Values{
			"state": {state}, "error": {"invalid_scope"}, "error_description": {"scope xyz-internal-detail is unknown"},
		}.Encode())
		wantStatus(t, "callback with error=invalid_scope", r, http.StatusBadRequest)
		if strings.Contains(r.body, "xyz-internal-detail") || strings.Contains(r.body, "invalid_scope") {
			t.Error("the page shows CONNECT's error code or description")
		}
		if !strings.Contains(site.logs.String(), "xyz-internal-detail") {
			t.Error("the log lacks CONNECT's error description")
		}
	})

	t.Run("many logins with long return paths never overflow the cookie", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		long := url.Values{"return_to": {"/" + strings.Repeat("p", 250)}}.Encode()
		for i := range 8 {
			if r := b.get(site.app.URL + "/login?" + long); r.status != http.StatusFound {
				t.Fatalf("login %d with a long return_to = %d, want 302", i+1, r.status)
			}
		}
	})

	t.Run("bad input gets a 4xx page, never a 5xx", func(t *testing.T) {
		site := newTestSite(t, siteOptions{})
		b := newBrowser(t)
		for _, target := range []string{
			"/connect/oauth2callback",
			"/connect/oauth2callback?code=abc",
			"/connect/oauth2callback?state=&code=",
			"/connect/oauth2callback?state=%ff%fe&code=%00",
			"/login?prompt=consent",
			"/login?acr=3",
			"/login?login_hint=" + strings.Repeat("9", 300),
			"/no/such/page",
		} {
			r := b.get(site.app.URL + target)
			if r.status < 400 || r.status >= 500 {
				t.Errorf("GET %s = %d, want 4xx", target, r.status)
			}
			if !strings.Contains(r.body, "<h1") {
				t.Errorf("GET %s did not render the error page", target)
			}
		}
	})
}

func TestLoginReturnsOnlyToLocalPaths(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	for _, returnTo := range []string{
		"https://evil.example/",
		"//evil.example/",
		"/\\evil.example/",
		"/%5Cevil.example",
		"http:/evil.example",
		"javascript:alert(1)",
		"evil.example",
	} {
		t.Run(returnTo, func(t *testing.T) {
			b := newBrowser(t)
			callback := b.loginAt(b.startLogin(site, url.Values{"return_to": {returnTo}}.Encode()), testUser().Sub, true, "login").location
			r := b.get(callback)
			wantStatus(t, "callback", r, http.StatusSeeOther)
			if r.location != site.app.URL+"/" {
				t.Errorf("after login with return_to=%q went to %q, want %q", returnTo, r.location, site.app.URL+"/")
			}
		})
	}
}

func TestSafeReturnPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/protected", "/protected"},
		{"/profile?tab=claims", "/profile?tab=claims"},
		{"", "/"},
		{"protected", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example", "/"},
		{"/ok\r\nSet-Cookie: x=y", "/"},
		{"/login?return_to=/x", "/"},
		{"/connect/oauth2callback", "/"},
		{"/" + strings.Repeat("a", 300), "/"},
	}
	for _, tt := range tests {
		if got := connectweb.SafeReturnPath(tt.in); got != tt.want {
			t.Errorf("connectweb.SafeReturnPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSessionCookie(t *testing.T) {
	site := newTestSite(t, siteOptions{})

	t.Run("login renews the session token", func(t *testing.T) {
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		before := b.cookie(site, "session")
		if before == nil {
			t.Fatal("no session cookie after the first login")
		}
		// A second login in the same browser (here: CONNECT asked to show
		// its login page again) must not keep the first one's token.
		r := b.loginAt(b.startLogin(site, "prompt=login"), testUser().Sub, true, "login")
		wantStatus(t, "POST stand-in login", r, http.StatusFound)
		wantStatus(t, "GET callback", b.get(r.location), http.StatusSeeOther)
		after := b.cookie(site, "session")
		if after == nil || after.Value == before.Value {
			t.Fatalf("session token before login %q, after %v: want a new one", before.Value, after)
		}
		ctx, _ := site.sessions.Manager.Load(context.Background(), before.Value)
		if _, ok := site.sessions.CurrentUser(ctx); ok {
			t.Error("the pre-login token gives access to the logged-in session")
		}
	})

	for _, tc := range []struct {
		name         string
		staySignedIn bool
		wantPersist  bool
	}{
		{"with stay signed in, the cookie outlives the browser", true, true},
		{"without stay signed in (td_sls), the cookie ends with the browser", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			callback := b.loginAt(b.startLogin(site, ""), testUser().Sub, tc.staySignedIn, "login").location
			r := b.get(callback)
			wantStatus(t, "callback", r, http.StatusSeeOther)
			var c *http.Cookie
			for _, cookie := range r.cookies {
				if cookie.Name == "session" {
					c = cookie
				}
			}
			if c == nil {
				t.Fatal("callback set no session cookie")
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("session cookie HttpOnly=%v SameSite=%v Path=%q, want true, Lax, /", c.HttpOnly, c.SameSite, c.Path)
			}
			if persistent := c.MaxAge > 0 || !c.Expires.IsZero(); persistent != tc.wantPersist {
				t.Errorf("cookie persistent = %v (Max-Age %d, Expires %v), want %v", persistent, c.MaxAge, c.Expires, tc.wantPersist)
			}
		})
	}
}

func withQuery(t *testing.T, rawURL, key, value string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func query(t *testing.T, rawURL, key string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get(key)
}

func mustParse(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestFailedLoginPagesOfferTheWayOn: a login that can simply be tried
// again says so with a button, back to the page it was for.
func TestFailedLoginPagesOfferTheWayOn(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	t.Run("a cancelled login offers to log in, back to its page", func(t *testing.T) {
		b := newBrowser(t)
		r := b.get(b.loginAt(b.startLogin(site, "return_to=/profile"), testUser().Sub, true, "cancel").location)
		wantStatus(t, "the cancelled login's callback", r, http.StatusForbidden)
		if !strings.Contains(r.body, `href="/login?return_to=%2Fprofile">Log in</a>`) {
			t.Errorf("the cancelled login's page has no Log in button back to /profile:\n%s", r.body)
		}
	})
	t.Run("a used callback in a browser that is not logged in offers to log in again", func(t *testing.T) {
		b := newBrowser(t)
		callback := b.loginAt(b.startLogin(site, ""), testUser().Sub, true, "login").location
		r := newBrowser(t).get(callback)
		wantStatus(t, "the callback in another browser", r, http.StatusBadRequest)
		if !strings.Contains(r.body, ">Log in again</a>") {
			t.Errorf("the expired login's page has no Log in again button:\n%s", r.body)
		}
	})
}
