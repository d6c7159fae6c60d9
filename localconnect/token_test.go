package localconnect

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestCodeFlow(t *testing.T) {
	for _, clientID := range []string{publicClient, confidentialClient} {
		t.Run("works for the "+clientID+" client", func(t *testing.T) {
			e := newTestEnv(t)
			verifier, challenge := pkcePair()
			callback := e.login(authorizeQuery(clientID, challenge), kari, "", false)
			if callback.Get("state") != "state-123" || callback.Get("code") == "" {
				t.Fatalf("callback query %v, want a code and state-123", callback)
			}
			reply := e.exchange(clientID, callback.Get("code"), verifier)
			if reply.status != http.StatusOK {
				t.Fatalf("code exchange = %d %s (%s), want 200", reply.status, reply.Error, reply.Description)
			}
			if got := reply.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			if reply.TokenType != "Bearer" || reply.ExpiresIn != 120 || reply.Scope != "openid profile email phone" {
				t.Errorf("token_type=%q expires_in=%d scope=%q, want Bearer, 120, openid profile email phone",
					reply.TokenType, reply.ExpiresIn, reply.Scope)
			}
			if len(reply.AccessToken) != 43 || len(reply.RefreshToken) != 43 || reply.AccessToken == reply.RefreshToken {
				t.Errorf("access and refresh tokens %d and %d characters, want two different 43-character strings",
					len(reply.AccessToken), len(reply.RefreshToken))
			}

			header, claims := e.verifyJWT(reply.IDToken)
			if header.Algorithm != "RS256" || header.KeyID == "" {
				t.Errorf("ID token header alg=%q kid=%q, want RS256 and a kid", header.Algorithm, header.KeyID)
			}
			now := float64(e.clock.now().Unix())
			want := map[string]any{
				"iss": e.srv.Issuer(), "sub": kari.Sub, "azp": clientID, "nonce": "nonce-456",
				"acr": "1", "td_sls": true, "name": kari.Name, "td_au": kari.Email,
				"iat": now, "auth_time": now, "exp": now + 3600,
			}
			for claim, w := range want {
				if claims[claim] != w {
					t.Errorf("ID token %s = %v, want %v", claim, claims[claim], w)
				}
			}
			if aud, _ := claims["aud"].([]any); len(aud) != 1 || aud[0] != clientID {
				t.Errorf("aud = %v, want [%s]", claims["aud"], clientID)
			}
			if amr, _ := claims["amr"].([]any); len(amr) != 1 || amr[0] != "OK" {
				t.Errorf("amr = %v, want [OK]", claims["amr"])
			}
			if sid, _ := claims["sid"].(string); sid == "" {
				t.Error("ID token has no sid")
			}

			tokenReqs := e.srv.Requests("token")
			if len(tokenReqs) != 1 {
				t.Fatalf("Requests(token) has %d entries, want 1", len(tokenReqs))
			}
			_, _, usedBasic := (&http.Request{Header: tokenReqs[0].Header}).BasicAuth()
			if usedBasic != (clientID == confidentialClient) {
				t.Errorf("recorded token request used Basic = %v, want %v", usedBasic, clientID == confidentialClient)
			}
			if tokenReqs[0].Form.Get("code_verifier") != verifier {
				t.Error("recorded token request lacks the code_verifier")
			}
		})
	}
}

func TestIDTokenOmitsClaimsTheScopeDoesNotAllow(t *testing.T) {
	e := newTestEnv(t)
	claims := e.idTokenClaims(e.codeFlow(publicClient, url.Values{"scope": {"openid email"}, "nonce": nil}))
	for _, claim := range []string{"name", "td_au", "nonce"} {
		if v, ok := claims[claim]; ok {
			t.Errorf("ID token has %s = %v, want none with scope openid email and no nonce", claim, v)
		}
	}
}

func TestCodeExchangeIsRefused(t *testing.T) {
	tests := []struct {
		name       string
		change     func(form url.Values, clientID *string)
		wantStatus int
		wantError  string
	}{
		{"with the wrong code_verifier", func(f url.Values, _ *string) { f.Set("code_verifier", strings.Repeat("x", 43)) }, 400, "invalid_grant"},
		{"without a code_verifier", func(f url.Values, _ *string) { f.Del("code_verifier") }, 400, "invalid_grant"},
		{"with another redirect_uri", func(f url.Values, _ *string) { f.Set("redirect_uri", confidentialRedirect) }, 400, "invalid_grant"},
		{"for another client's code", func(f url.Values, c *string) {
			*c = confidentialClient
			f.Set("redirect_uri", confidentialRedirect)
		}, 400, "invalid_grant"},
		{"with an unknown code", func(f url.Values, _ *string) { f.Set("code", "nope") }, 400, "invalid_grant"},
		{"with an unknown grant_type", func(f url.Values, _ *string) { f.Set("grant_type", "password") }, 400, "unsupported_grant_type"},
		{"without grant_type", func(f url.Values, _ *string) { f.Del("grant_type") }, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			verifier, challenge := pkcePair()
			code := e.login(authorizeQuery(publicClient, challenge), kari, "", false).Get("code")
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {publicRedirect}, "code_verifier": {verifier}}
			clientID := publicClient
			tt.change(form, &clientID)
			reply := e.token(form, authFor(clientID))
			if reply.status != tt.wantStatus || reply.Error != tt.wantError {
				t.Fatalf("token = %d %q, want %d %q", reply.status, reply.Error, tt.wantStatus, tt.wantError)
			}
			if reply.header.Get("Cache-Control") != "no-store" || reply.Description == "" {
				t.Errorf("error response Cache-Control %q, description %q; want no-store and a description",
					reply.header.Get("Cache-Control"), reply.Description)
			}
			// A refused attempt leaves the code to its rightful owner.
			if tt.wantError == "invalid_grant" && form.Get("code") == code {
				if ok := e.exchange(publicClient, code, verifier); ok.status != http.StatusOK {
					t.Errorf("the right exchange after a refused one = %d %s, want 200", ok.status, ok.Error)
				}
			}
		})
	}
}

func TestCodeReuseIsRefusedAndRevokesItsTokens(t *testing.T) {
	e := newTestEnv(t)
	verifier, challenge := pkcePair()
	code := e.login(authorizeQuery(publicClient, challenge), kari, "", false).Get("code")
	first := e.exchange(publicClient, code, verifier)
	if first.status != http.StatusOK {
		t.Fatalf("first exchange = %d, want 200", first.status)
	}
	if resp, _ := e.userinfo(first.AccessToken); resp.status != http.StatusOK {
		t.Fatalf("userinfo before the replay = %d, want 200", resp.status)
	}

	second := e.exchange(publicClient, code, verifier)
	if second.status != http.StatusBadRequest || second.Error != "invalid_grant" {
		t.Fatalf("second exchange = %d %q, want 400 invalid_grant", second.status, second.Error)
	}
	if resp, _ := e.userinfo(first.AccessToken); resp.status != http.StatusUnauthorized {
		t.Errorf("userinfo with the first exchange's access token = %d, want 401", resp.status)
	}
	if reply := e.refresh(publicClient, first.RefreshToken); reply.Error != "invalid_grant" {
		t.Errorf("refresh with the first exchange's refresh token: error = %q, want invalid_grant", reply.Error)
	}
}

func TestCodeExpiresAfter60Seconds(t *testing.T) {
	e := newTestEnv(t)
	verifier, challenge := pkcePair()
	code := e.login(authorizeQuery(publicClient, challenge), kari, "", false).Get("code")
	e.clock.advance(61 * time.Second)
	if reply := e.exchange(publicClient, code, verifier); reply.Error != "invalid_grant" {
		t.Errorf("exchange after 61s: error = %q, want invalid_grant", reply.Error)
	}
}

func TestClientAuthentication(t *testing.T) {
	tests := []struct {
		name     string
		clientID string // whose code it is
		auth     func(*http.Request, url.Values)
	}{
		{"a confidential client with the wrong secret", confidentialClient, basic(confidentialClient, "wrong")},
		{"a confidential client without Basic", confidentialClient, inBody(confidentialClient)},
		{"a confidential client with an unencoded secret", confidentialClient, func(r *http.Request, _ url.Values) {
			r.SetBasicAuth(confidentialClient, clientSecret)
		}},
		{"a confidential client with client_secret in the body", confidentialClient, func(_ *http.Request, f url.Values) {
			f.Set("client_id", confidentialClient)
			f.Set("client_secret", clientSecret)
		}},
		{"a public client using Basic", publicClient, basic(publicClient, "")},
		{"an unknown client", publicClient, inBody("nobody")},
		{"no client at all", publicClient, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name+" gets 401 invalid_client", func(t *testing.T) {
			e := newTestEnv(t)
			verifier, challenge := pkcePair()
			code := e.login(authorizeQuery(tt.clientID, challenge), kari, "", false).Get("code")
			reply := e.token(url.Values{"grant_type": {"authorization_code"}, "code": {code},
				"redirect_uri": {redirectFor(tt.clientID)}, "code_verifier": {verifier}}, tt.auth)
			if reply.status != http.StatusUnauthorized || reply.Error != "invalid_client" {
				t.Errorf("token = %d %q, want 401 invalid_client", reply.status, reply.Error)
			}
			if !strings.HasPrefix(reply.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("WWW-Authenticate = %q, want Basic", reply.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func TestRefreshRotation(t *testing.T) {
	e := newTestEnv(t)
	first := e.codeFlow(publicClient, nil)
	firstClaims := e.idTokenClaims(first)
	e.clock.advance(time.Minute)

	second := e.refresh(publicClient, first.RefreshToken)
	if second.status != http.StatusOK {
		t.Fatalf("refresh = %d %s, want 200", second.status, second.Error)
	}
	if second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Error("refresh returned the same access or refresh token")
	}
	if second.Scope != first.Scope || second.ExpiresIn != 120 {
		t.Errorf("refreshed scope=%q expires_in=%d, want %q and 120", second.Scope, second.ExpiresIn, first.Scope)
	}
	claims := e.idTokenClaims(second)
	for _, claim := range []string{"sub", "auth_time", "sid", "acr", "td_sls", "aud"} {
		if !equalJSON(claims[claim], firstClaims[claim]) {
			t.Errorf("refreshed ID token %s = %v, want the first's %v", claim, claims[claim], firstClaims[claim])
		}
	}
	if !equalJSON(claims["amr"], firstClaims["amr"]) {
		t.Errorf("refreshed amr = %v, want %v", claims["amr"], firstClaims["amr"])
	}
	if _, ok := claims["nonce"]; ok {
		t.Error("refreshed ID token has a nonce")
	}
	if claims["iat"] == firstClaims["iat"] {
		t.Error("refreshed ID token has the old iat")
	}
	if resp, _ := e.userinfo(second.AccessToken); resp.status != http.StatusOK {
		t.Errorf("userinfo with the refreshed access token = %d, want 200", resp.status)
	}

	t.Run("reusing the old refresh token is refused and revokes the newer one", func(t *testing.T) {
		e := e.in(t)
		if reply := e.refresh(publicClient, first.RefreshToken); reply.status != http.StatusBadRequest || reply.Error != "invalid_grant" {
			t.Fatalf("reused refresh token = %d %q, want 400 invalid_grant", reply.status, reply.Error)
		}
		if reply := e.refresh(publicClient, second.RefreshToken); reply.Error != "invalid_grant" {
			t.Errorf("newer refresh token after the reuse: error = %q, want invalid_grant", reply.Error)
		}
		if resp, _ := e.userinfo(second.AccessToken); resp.status != http.StatusUnauthorized {
			t.Errorf("newer access token after the reuse = %d, want 401", resp.status)
		}
	})
}

func equalJSON(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		if len(as) != len(bs) {
			return false
		}
		for i := range as {
			if as[i] != bs[i] {
				return false
			}
		}
		return true
	}
	return a == b
}

func TestRefreshIsRefused(t *testing.T) {
	tests := []struct {
		name      string
		do        func(e *testEnv, refreshToken string) tokenReply
		wantError string
	}{
		{"after the refresh token expired", func(e *testEnv, rt string) tokenReply {
			e.clock.advance(24*time.Hour + time.Second)
			return e.refresh(publicClient, rt)
		}, "invalid_grant"},
		{"for another client", func(e *testEnv, rt string) tokenReply {
			return e.refresh(confidentialClient, rt)
		}, "invalid_grant"},
		{"for a wider scope", func(e *testEnv, rt string) tokenReply {
			return e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"openid address"}}, inBody(publicClient))
		}, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			first := e.codeFlow(publicClient, nil)
			if reply := tt.do(e, first.RefreshToken); reply.status != http.StatusBadRequest || reply.Error != tt.wantError {
				t.Errorf("refresh = %d %q, want 400 %q", reply.status, reply.Error, tt.wantError)
			}
		})
	}

	t.Run("unless the scope is narrowed", func(t *testing.T) {
		e := newTestEnv(t)
		first := e.codeFlow(publicClient, nil)
		reply := e.token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}, "scope": {"openid email"}}, inBody(publicClient))
		if reply.status != http.StatusOK || reply.Scope != "openid email" {
			t.Fatalf("narrowing refresh = %d scope %q, want 200 and openid email", reply.status, reply.Scope)
		}
		if _, claims := e.userinfo(reply.AccessToken); claims["name"] != nil || claims["email"] != kari.Email {
			t.Errorf("userinfo with the narrowed token = %v, want email and no name", claims)
		}
	})
}

func TestTokenFaults(t *testing.T) {
	e := newTestEnv(t)
	verifier, challenge := pkcePair()
	code := e.login(authorizeQuery(publicClient, challenge), kari, "", false).Get("code")

	e.srv.SetFaults(Faults{TokenStatus: http.StatusServiceUnavailable})
	if reply := e.exchange(publicClient, code, verifier); reply.status != http.StatusServiceUnavailable || reply.Error != "temporarily_unavailable" {
		t.Errorf("token with a 503 fault = %d %q, want 503 temporarily_unavailable", reply.status, reply.Error)
	}

	e.srv.SetFaults(Faults{IDTokenClaims: map[string]any{"acr": "2", "sub": "someone-else", "sid": nil}})
	claims := e.idTokenClaims(e.exchange(publicClient, code, verifier))
	if claims["acr"] != "2" || claims["sub"] != "someone-else" {
		t.Errorf("ID token acr=%v sub=%v, want the injected 2 and someone-else", claims["acr"], claims["sub"])
	}
	if _, ok := claims["sid"]; ok {
		t.Error("ID token has sid, which the fault removed")
	}
}
