package localconnect

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestJWTAccessTokens(t *testing.T) {
	e := newTestEnv(t, withAccessTokens(JWTAccessTokens), withIntrospection)
	reply := e.codeFlow(confidentialClient, url.Values{"scope": {"openid profile"}})
	issued := e.clock.now()

	t.Run("the access token is an RFC 9068 JWT signed with the stand-in's key", func(t *testing.T) {
		header, claims := e.in(t).verifyJWT(reply.AccessToken)
		if got := header.ExtraHeaders["typ"]; got != "at+jwt" {
			t.Errorf("typ = %v, want at+jwt", got)
		}
		want := map[string]any{
			"iss":       e.url + "/oauth",
			"sub":       kari.Sub,
			"aud":       confidentialClient,
			"client_id": confidentialClient,
			"iat":       float64(issued.Unix()),
			"exp":       float64(issued.Add(2 * time.Minute).Unix()),
			"auth_time": float64(issued.Unix()),
			"scope":     "openid profile",
			"acr":       "1",
		}
		for name, w := range want {
			if got := claims[name]; got != w {
				t.Errorf("claim %s = %v, want %v", name, got, w)
			}
		}
		if jti, _ := claims["jti"].(string); len(jti) < 32 {
			t.Errorf("jti = %q, want a random value", jti)
		}
	})

	t.Run("each token has its own jti, also after a refresh", func(t *testing.T) {
		e := e.in(t)
		next := e.refresh(confidentialClient, reply.RefreshToken)
		_, first := e.verifyJWT(reply.AccessToken)
		_, second := e.verifyJWT(next.AccessToken)
		if first["jti"] == second["jti"] {
			t.Errorf("two access tokens share jti %v", first["jti"])
		}
	})

	t.Run("userinfo and introspection take it as an opaque token", func(t *testing.T) {
		e := e.in(t)
		if resp, claims := e.userinfo(reply.AccessToken); resp.status != http.StatusOK || claims["sub"] != kari.Sub {
			t.Errorf("userinfo = %d %v, want 200 with sub %s", resp.status, claims, kari.Sub)
		}
		if _, answer := e.introspect(reply.AccessToken, authFor(confidentialClient)); answer["active"] != true {
			t.Errorf("introspection = %v, want active", answer)
		}
	})

	t.Run("once revoked it is refused, though its signature still verifies until exp", func(t *testing.T) {
		e := e.in(t)
		e.backend("/oauth/revoke", url.Values{"token": {reply.AccessToken}}, authFor(confidentialClient))
		if resp, _ := e.userinfo(reply.AccessToken); resp.status != http.StatusUnauthorized {
			t.Errorf("userinfo after revocation = %d, want 401", resp.status)
		}
		if _, answer := e.introspect(reply.AccessToken, authFor(confidentialClient)); answer["active"] != false {
			t.Errorf("introspection after revocation = %v, want not active", answer)
		}
		e.verifyJWT(reply.AccessToken) // what a resource server that checks only the signature sees
	})

	t.Run("after a key rotation new access tokens carry the new kid", func(t *testing.T) {
		e := e.in(t)
		oldHeader, _ := e.verifyJWT(reply.AccessToken)
		if err := e.srv.RotateSigningKey(testNextSigningKey()); err != nil {
			t.Fatal(err)
		}
		next := e.codeFlow(confidentialClient, nil)
		header, _ := e.verifyJWT(next.AccessToken)
		if header.KeyID == oldHeader.KeyID {
			t.Errorf("kid after rotation = %q, unchanged", header.KeyID)
		}
	})
}

func TestOpaqueAccessTokensAreNotJWTs(t *testing.T) {
	for _, format := range []AccessTokenFormat{"", OpaqueAccessTokens} {
		e := newTestEnv(t, withAccessTokens(format))
		if token := e.codeFlow(publicClient, nil).AccessToken; strings.Count(token, ".") != 0 || len(token) != 43 {
			t.Errorf("format %q: access token %q, want 43 random base64url characters", format, token)
		}
	}
}

func TestNewRefusesAnUnknownAccessTokenFormat(t *testing.T) {
	_, err := New(Options{Issuer: "http://localhost:8082/oauth", AccessTokens: "JWT",
		Clients: []Client{{ID: "app", RedirectURIs: []string{"http://localhost:8081/cb"}}}})
	if err == nil || !strings.Contains(err.Error(), `"JWT"`) {
		t.Errorf("New with access-token format JWT: err = %v, want one naming the format", err)
	}
}
