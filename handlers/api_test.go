package handlers

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/store"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// callAPI calls /api/me as an API client would: no cookie jar, the token
// in the Authorization header (when given), and whatever else set does.
func callAPI(t *testing.T, site *testSite, token string, set func(*http.Request)) (int, http.Header, apiAnswer) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, site.app.URL+"/api/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if set != nil {
		set(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var a apiAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("/api/me answered %d with %q, not JSON", resp.StatusCode, body)
	}
	if len(resp.Cookies()) > 0 {
		t.Errorf("/api/me set cookies %v; an API has no session", resp.Cookies())
	}
	return resp.StatusCode, resp.Header, a
}

// loggedInToken logs a browser in and returns its session's access token.
func loggedInToken(t *testing.T, site *testSite) string {
	t.Helper()
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	return sessionTokens(t, site, b).AccessToken
}

// otherClientRedirect is the redirect URI of a client that is not the
// app: nothing listens there, the test reads the code from the redirect.
func otherClientRedirect(clientID string) string {
	return "http://127.0.0.1:9/" + clientID + "/callback"
}

// otherClientToken logs the test user in at the stand-in through another
// of its clients (siteOptions.otherClients) and returns that client's
// access token: a token CONNECT issued for the same user, to someone else.
func otherClientToken(t *testing.T, site *testSite, clientID string) string {
	t.Helper()
	client, err := connect.New(connect.Config{Issuer: site.provider.Issuer(), ClientID: clientID,
		RedirectURL: otherClientRedirect(clientID), Scopes: []string{"openid", "profile"}})
	if err != nil {
		t.Fatal(err)
	}
	authURL, pending, err := client.AuthorizationURL(t.Context(), connect.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := newBrowser(t).loginAt(authURL, testUser().Sub, false, "login")
	back, err := url.Parse(r.location)
	if r.status != http.StatusFound || err != nil || back.Query().Get("code") == "" {
		t.Fatalf("stand-in login for %s = %d to %q, want a redirect with a code", clientID, r.status, r.location)
	}
	login, err := client.Exchange(t.Context(), back.Query().Get("code"), pending)
	if err != nil {
		t.Fatalf("exchange for %s: %v", clientID, err)
	}
	return login.Tokens.AccessToken
}

func TestAPIMeOnEveryValidationPath(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      siteOptions
		path      string
		knowsMore bool // scope and expiry
	}{
		{"introspection, when CONNECT offers it", siteOptions{introspection: true}, "introspection", true},
		{"a JWT access token's own signature, without introspection", siteOptions{jwtAccessTokens: true}, "jwt", true},
		{"userinfo, for an opaque token without introspection", siteOptions{}, "userinfo", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			site := newTestSite(t, tc.opts)
			token := loggedInToken(t, site)
			status, _, a := callAPI(t, site, token, nil)
			if status != http.StatusOK || a.Subject != testUser().Sub || a.ValidatedBy != tc.path || a.Cached {
				t.Fatalf("GET /api/me = %d %+v, want 200 for %s, validated by %s", status, a, testUser().Sub, tc.path)
			}
			if tc.knowsMore && (a.Expiry == 0 || !strings.Contains(a.Scope, "openid")) {
				t.Errorf("answer %+v, want the scope and expiry the %s path knows", a, tc.path)
			}
			t.Run("a second call comes from the cache, and costs CONNECT nothing", func(t *testing.T) {
				before := site.provider.Count("introspect") + site.provider.Count("userinfo")
				status, _, a := callAPI(t, site, token, nil)
				if status != http.StatusOK || !a.Cached {
					t.Fatalf("second GET /api/me = %d %+v, want 200 from the cache", status, a)
				}
				if after := site.provider.Count("introspect") + site.provider.Count("userinfo"); after != before {
					t.Errorf("the cached answer cost %d calls to CONNECT", after-before)
				}
			})
		})
	}
}

func TestAPIMeRefusesWhatItShould(t *testing.T) {
	site := newTestSite(t, siteOptions{introspection: true, rateLimitPerAddress: 1000})
	token := loggedInToken(t, site)

	t.Run("no token: 401 with a bare Bearer challenge", func(t *testing.T) {
		status, h, a := callAPI(t, site, "", nil)
		if status != http.StatusUnauthorized || h.Get("WWW-Authenticate") != `Bearer realm="connect-sample"` {
			t.Fatalf("GET /api/me without a token = %d, WWW-Authenticate %q; want 401 and Bearer without an error", status, h.Get("WWW-Authenticate"))
		}
		// RFC 6750 §3.1: no error code when no credentials were sent.
		if a.Error != "" || !strings.Contains(a.ErrorDescription, "Authorization: Bearer") {
			t.Errorf("GET /api/me without a token answered %+v, want no error code, only what to send", a)
		}
	})
	t.Run("a token CONNECT does not know: 401 invalid_token, and nothing cached", func(t *testing.T) {
		keys := len(storetest.Keys(t, site.redis, site.prefix))
		status, h, a := callAPI(t, site, "made-up-token-0123456789", nil)
		if status != http.StatusUnauthorized || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) || a.Error != "invalid_token" {
			t.Fatalf("GET /api/me with a made-up token = %d, %q, %+v; want 401 invalid_token", status, h.Get("WWW-Authenticate"), a)
		}
		if after := len(storetest.Keys(t, site.redis, site.prefix)); after != keys {
			t.Errorf("a refused token added %d keys to Redis", after-keys)
		}
	})
	t.Run("a token in the query or a cookie is refused, however valid", func(t *testing.T) {
		for name, set := range map[string]func(*http.Request){
			"query":  func(r *http.Request) { r.URL.RawQuery = "access_token=" + token },
			"cookie": func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "access_token", Value: token}) },
		} {
			status, h, a := callAPI(t, site, "", set)
			if status != http.StatusUnauthorized || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) || !strings.Contains(a.ErrorDescription, "Authorization: Bearer") {
				t.Errorf("token in the %s: %d, %q, %+v; want 401 invalid_token, saying where the token goes", name, status, h.Get("WWW-Authenticate"), a)
			}
		}
	})
	t.Run("another scheme, or two headers, are refused", func(t *testing.T) {
		for name, set := range map[string]func(*http.Request){
			"Basic":       func(r *http.Request) { r.Header.Set("Authorization", "Basic "+token) },
			"two headers": func(r *http.Request) { r.Header.Add("Authorization", "Bearer "+token) },
			"not a token": func(r *http.Request) { r.Header.Set("Authorization", "Bearer a b\"c") },
		} {
			status, h, a := callAPI(t, site, "", func(r *http.Request) {
				if name == "two headers" {
					r.Header.Set("Authorization", "Bearer "+token)
				}
				set(r)
			})
			if status != http.StatusUnauthorized || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("%s: %d, %q, %+v; want 401 invalid_token", name, status, h.Get("WWW-Authenticate"), a)
			}
		}
	})
	t.Run("an expired token is refused", func(t *testing.T) {
		expired := loggedInToken(t, site)
		site.provider.ExpireAccessTokens()
		if status, _, a := callAPI(t, site, expired, nil); status != http.StatusUnauthorized || a.Error != "invalid_token" {
			t.Fatalf("GET /api/me with an expired token = %d %+v, want 401 invalid_token", status, a)
		}
	})
	t.Run("a revoked token stops working within the cache's bound", func(t *testing.T) {
		b := newBrowser(t)
		b.logIn(site, "/protected", true)
		tokens := sessionTokens(t, site, b)
		if status, _, _ := callAPI(t, site, tokens.AccessToken, nil); status != http.StatusOK {
			t.Fatalf("GET /api/me = %d, want 200", status)
		}
		b.logOutOfApp(site) // revokes both tokens at CONNECT
		status, _, a := callAPI(t, site, tokens.AccessToken, nil)
		if status != http.StatusOK || !a.Cached {
			t.Fatalf("right after the revocation = %d %+v, want the cached answer: the bound is what the docs promise", status, a)
		}
		var cached string
		for _, key := range storetest.Keys(t, site.redis, site.prefix+"api-token:") {
			ttl := site.redis.PTTL(context.Background(), key).Val()
			if ttl <= 0 || ttl > time.Minute {
				t.Errorf("cached validation %s lives %v, want at most a minute", key, ttl)
			}
			cached = key
		}
		if cached == "" {
			t.Fatal("no cached validation in Redis")
		}
		// The bound passes, and the entries would expire; someone who may
		// write to Redis has made them stay (PERSIST). The entry's own,
		// sealed bound still holds.
		for _, key := range storetest.Keys(t, site.redis, site.prefix+"api-token:") {
			site.redis.Persist(context.Background(), key)
		}
		site.clock.Advance(store.MaxValidatedTokenAge)
		if status, _, a := callAPI(t, site, tokens.AccessToken, nil); status != http.StatusUnauthorized || a.Error != "invalid_token" {
			t.Fatalf("after the bound, the cache key persisted = %d %+v, want 401 invalid_token", status, a)
		}
	})
}

func TestAPIMeAcceptsOnlyTokensMeantForIt(t *testing.T) {
	const partner = "partner-mobile"
	// CONNECT answers introspection about any client's tokens and names no
	// audience: client_id is all /api/me has to go on.
	anyClientNoAudience := localconnect.Faults{IntrospectionOfAnyClient: true, IntrospectionWithoutAudience: true}

	t.Run("introspection: another client's token is refused", func(t *testing.T) {
		site := newTestSite(t, siteOptions{introspection: true, otherClients: []string{partner}})
		site.provider.SetFaults(anyClientNoAudience)
		token := otherClientToken(t, site, partner)
		keys := len(storetest.Keys(t, site.redis, site.prefix))
		status, h, a := callAPI(t, site, token, nil)
		if status != http.StatusUnauthorized || a.Error != "invalid_token" || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("GET /api/me with %s's token = %d %+v, want 401 invalid_token", partner, status, a)
		}
		if n := site.provider.Count("introspect"); n != 1 {
			t.Errorf("introspection asked %d times, want 1: the refusal is the API's, on CONNECT's answer", n)
		}
		if after := len(storetest.Keys(t, site.redis, site.prefix)); after != keys {
			t.Errorf("a refused token added %d keys to Redis", after-keys)
		}
		t.Run("while the app's own token, named by client_id alone, passes", func(t *testing.T) {
			if status, _, a := callAPI(t, site, loggedInToken(t, site), nil); status != http.StatusOK || a.ValidatedBy != "introspection" || a.ClientID != testClientID {
				t.Errorf("GET /api/me with the app's own token = %d %+v, want 200 by introspection for %s", status, a, testClientID)
			}
		})
	})
	t.Run("introspection: another client's token is accepted when API_ALLOWED_CLIENTS names it", func(t *testing.T) {
		site := newTestSite(t, siteOptions{introspection: true, otherClients: []string{partner},
			apiAllowedClients: []string{testClientID, partner}})
		site.provider.SetFaults(anyClientNoAudience)
		status, _, a := callAPI(t, site, otherClientToken(t, site, partner), nil)
		if status != http.StatusOK || a.ClientID != partner || a.Subject != testUser().Sub || a.ValidatedBy != "introspection" {
			t.Fatalf("GET /api/me with %s's token, allowed = %d %+v, want 200 for it, validated by introspection", partner, status, a)
		}
	})
	t.Run("introspection: an answer naming another audience is refused, whatever API_ALLOWED_CLIENTS says", func(t *testing.T) {
		site := newTestSite(t, siteOptions{introspection: true, otherClients: []string{partner},
			apiAllowedClients: []string{testClientID, partner}})
		site.provider.SetFaults(localconnect.Faults{IntrospectionOfAnyClient: true}) // aud: the partner's client id
		if status, _, a := callAPI(t, site, otherClientToken(t, site, partner), nil); status != http.StatusUnauthorized || a.Error != "invalid_token" {
			t.Fatalf("GET /api/me with a token whose aud is %s = %d %+v, want 401 invalid_token", partner, status, a)
		}
	})
	t.Run("JWT: another client's token, whose aud is that client, is refused", func(t *testing.T) {
		site := newTestSite(t, siteOptions{jwtAccessTokens: true, otherClients: []string{partner},
			apiAllowedClients: []string{testClientID, partner}})
		if status, _, a := callAPI(t, site, otherClientToken(t, site, partner), nil); status != http.StatusUnauthorized || a.Error != "invalid_token" {
			t.Fatalf("GET /api/me with %s's JWT = %d %+v, want 401 invalid_token: API_ALLOWED_CLIENTS is for introspection answers without aud", partner, status, a)
		}
		if status, _, a := callAPI(t, site, loggedInToken(t, site), nil); status != http.StatusOK || a.ValidatedBy != "jwt" {
			t.Errorf("GET /api/me with the app's own JWT = %d %+v, want 200 validated by jwt", status, a)
		}
	})
	t.Run("userinfo: any client's token passes, and the answer says it was userinfo", func(t *testing.T) {
		site := newTestSite(t, siteOptions{otherClients: []string{partner}})
		status, _, a := callAPI(t, site, otherClientToken(t, site, partner), nil)
		if status != http.StatusOK || a.ValidatedBy != "userinfo" || a.ClientID != "" {
			t.Fatalf("GET /api/me by userinfo = %d %+v, want 200, validated_by userinfo and no client_id: userinfo cannot tell whose token it was", status, a)
		}
	})
	t.Run("userinfo: with API_ALLOW_USERINFO=false a token no other way can validate is refused, without asking CONNECT", func(t *testing.T) {
		site := newTestSite(t, siteOptions{noUserInfoAtAPI: true})
		token := loggedInToken(t, site)
		before := site.provider.Count("userinfo")
		status, h, a := callAPI(t, site, token, nil)
		if status != http.StatusUnauthorized || a.Error != "invalid_token" || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("GET /api/me with userinfo off = %d %+v, want 401 invalid_token", status, a)
		}
		if n := site.provider.Count("userinfo") - before; n != 0 {
			t.Errorf("userinfo asked %d times, want none", n)
		}
	})
}

func TestAPIMeWithJWTAccessTokens(t *testing.T) {
	t.Run("a token for another audience is refused", func(t *testing.T) {
		site := newTestSite(t, siteOptions{jwtAccessTokens: true, apiAudience: "https://api.example.com"})
		status, _, a := callAPI(t, site, loggedInToken(t, site), nil)
		if status != http.StatusUnauthorized || a.Error != "invalid_token" {
			t.Fatalf("GET /api/me with a token for the client, not the API = %d %+v, want 401", status, a)
		}
	})
	t.Run("a forged signature is refused, and costs at most one key fetch", func(t *testing.T) {
		site := newTestSite(t, siteOptions{jwtAccessTokens: true})
		loggedInToken(t, site)
		forger, _ := rsa.GenerateKey(rand.Reader, 2048)
		before := site.provider.Count("jwks")
		for i := range 20 {
			signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: forger, KeyID: "forged-" + string(rune('a'+i))}},
				(&jose.SignerOptions{}).WithType("at+jwt"))
			forged, _ := jwt.Signed(signer).Claims(map[string]any{
				"iss": site.provider.Issuer(), "sub": testUser().Sub, "aud": testClientID, "client_id": testClientID,
				"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "jti": "j", "scope": "openid",
			}).Serialize()
			if status, _, a := callAPI(t, site, forged, nil); status != http.StatusUnauthorized || a.Error != "invalid_token" {
				t.Fatalf("forged token %d = %d %+v, want 401 invalid_token", i, status, a)
			}
		}
		if fetches := site.provider.Count("jwks") - before; fetches > 1 {
			t.Errorf("20 forged tokens under new kids caused %d key-set fetches, want at most 1", fetches)
		}
	})
}

func TestAPIMeValidationsThatReachCONNECTAreRateLimited(t *testing.T) {
	// The API's client is at 192.0.2.7, behind the trusted proxy on
	// loopback; the login that makes the token comes from loopback itself.
	site := newTestSite(t, siteOptions{introspection: true, rateLimitPerAddress: 3,
		trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	token := loggedInToken(t, site)
	fromClient := func(r *http.Request) { r.Header.Set("X-Forwarded-For", "192.0.2.7") }
	if status, _, _ := callAPI(t, site, token, fromClient); status != http.StatusOK {
		t.Fatalf("first validation = %d, want 200", status)
	}
	for i := range 5 {
		if status, _, a := callAPI(t, site, token, fromClient); status != http.StatusOK || !a.Cached {
			t.Fatalf("cached validation %d = %d %+v, want 200 from the cache, not counted", i+1, status, a)
		}
	}
	for i := range 2 {
		if status, _, _ := callAPI(t, site, "unknown-token-"+string(rune('a'+i)), fromClient); status != http.StatusUnauthorized {
			t.Fatalf("validation of an unknown token = %d, want 401", status)
		}
	}
	status, h, a := callAPI(t, site, "unknown-token-z", fromClient)
	if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || h.Get("Content-Type") != "application/json" || a.Error != "too_many_requests" {
		t.Fatalf("fourth validation at CONNECT in a minute = %d, Retry-After %q, %+v; want 429 in JSON with Retry-After", status, h.Get("Retry-After"), a)
	}
	if status, _, _ := callAPI(t, site, token, nil); status != http.StatusOK {
		t.Errorf("a cached token from another address = %d, want 200", status)
	}
}

func TestSessionPageAsksAPIMeOnlyWhenTold(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	b.logIn(site, "/protected", true)
	token := sessionTokens(t, site, b).AccessToken

	t.Run("a view shows how to call /api/me, and costs CONNECT nothing", func(t *testing.T) {
		before := site.provider.Count("userinfo")
		r := b.get(site.app.URL + "/session")
		wantStatus(t, "GET /session", r, http.StatusOK)
		if !strings.Contains(r.body, "Authorization: Bearer $ACCESS_TOKEN") || !strings.Contains(r.body, "/session?api=ask#api") {
			t.Errorf("the page lacks the cURL command or the link that asks /api/me:\n%s", r.body)
		}
		if n := site.provider.Count("userinfo") - before; n != 0 {
			t.Errorf("a plain view of /session called CONNECT %d times, want none", n)
		}
	})
	t.Run("asked, it shows /api/me's answer, never the token", func(t *testing.T) {
		before := site.provider.Count("userinfo")
		r := b.get(site.app.URL + "/session?api=ask")
		wantStatus(t, "GET /session?api=ask", r, http.StatusOK)
		if !strings.Contains(r.body, "&#34;validated_by&#34;: &#34;userinfo&#34;") || !strings.Contains(r.body, testUser().Sub) {
			t.Errorf("the page lacks /api/me's answer for the session's token:\n%s", r.body)
		}
		if strings.Contains(r.body, token) {
			t.Error("the page shows the access token")
		}
		if !strings.Contains(r.body, "<code>API_ALLOW_USERINFO=false</code>") {
			t.Errorf("the page does not say what a userinfo answer means and how to turn it off:\n%s", r.body)
		}
		if n := site.provider.Count("userinfo") - before; n != 1 {
			t.Errorf("asking called CONNECT's userinfo %d times, want 1", n)
		}
	})
}
