package localconnect

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestUserinfoClaimsFollowTheScope(t *testing.T) {
	ingrid := DefaultUsers()[2] // e-mail not verified
	tests := []struct {
		scope string
		want  map[string]any
	}{
		{"openid", map[string]any{"sub": ingrid.Sub}},
		{"openid profile", map[string]any{"sub": ingrid.Sub, "name": ingrid.Name, "locale": ingrid.Locale}},
		{"openid email", map[string]any{"sub": ingrid.Sub, "email": ingrid.Email, "email_verified": false}},
		{"openid phone", map[string]any{"sub": ingrid.Sub, "phone_number": ingrid.PhoneNumber, "phone_number_verified": true}},
		{"openid profile email phone address", map[string]any{"sub": ingrid.Sub, "name": ingrid.Name, "locale": ingrid.Locale,
			"email": ingrid.Email, "email_verified": false, "phone_number": ingrid.PhoneNumber, "phone_number_verified": true}},
	}
	for _, tt := range tests {
		t.Run("scope "+tt.scope, func(t *testing.T) {
			e := newTestEnv(t)
			verifier, challenge := pkcePair()
			q := authorizeQuery(publicClient, challenge)
			q.Set("scope", tt.scope)
			reply := e.exchange(publicClient, e.login(q, ingrid, "", false).Get("code"), verifier)
			if want := strings.TrimSuffix(tt.scope, " address"); reply.Scope != want {
				t.Errorf("granted scope = %q, want %q", reply.Scope, want)
			}
			resp, claims := e.userinfo(reply.AccessToken)
			if resp.status != http.StatusOK {
				t.Fatalf("userinfo = %d, want 200", resp.status)
			}
			if !reflect.DeepEqual(claims, tt.want) {
				t.Errorf("userinfo = %v, want %v", claims, tt.want)
			}
			if got := resp.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
		})
	}
}

func TestUserinfoAnswers401(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(e *testEnv, reply tokenReply) string // returns the access token to present
	}{
		{"for an unknown token", func(*testEnv, tokenReply) string { return "made-up" }},
		{"after the access token expired", func(e *testEnv, r tokenReply) string {
			e.clock.advance(2*time.Minute + time.Second)
			return r.AccessToken
		}},
		{"after ExpireAccessTokens", func(e *testEnv, r tokenReply) string {
			e.srv.ExpireAccessTokens()
			return r.AccessToken
		}},
		{"after the access token was revoked", func(e *testEnv, r tokenReply) string {
			e.backend("/oauth/revoke", url.Values{"token": {r.AccessToken}, "token_type_hint": {"access_token"}}, inBody(publicClient))
			return r.AccessToken
		}},
		{"after the refresh token was revoked", func(e *testEnv, r tokenReply) string {
			e.backend("/oauth/revoke", url.Values{"token": {r.RefreshToken}}, inBody(publicClient))
			return r.AccessToken
		}},
	}
	for _, tt := range tests {
		for _, format := range []AccessTokenFormat{OpaqueAccessTokens, JWTAccessTokens} {
			t.Run(tt.name+" ("+string(format)+" access tokens)", func(t *testing.T) {
				e := newTestEnv(t, withAccessTokens(format))
				reply := e.codeFlow(publicClient, nil)
				if resp, _ := e.userinfo(reply.AccessToken); resp.status != http.StatusOK {
					t.Fatalf("userinfo before = %d, want 200", resp.status)
				}
				resp, _ := e.userinfo(tt.spoil(e, reply))
				if resp.status != http.StatusUnauthorized {
					t.Fatalf("userinfo = %d, want 401", resp.status)
				}
				if got := resp.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer error="invalid_token"`) {
					t.Errorf("WWW-Authenticate = %q, want Bearer error=\"invalid_token\"", got)
				}
			})
		}
	}

	t.Run("without a token", func(t *testing.T) {
		e := newTestEnv(t)
		resp := e.get("/oauth/userinfo", nil)
		if resp.status != http.StatusUnauthorized || !strings.HasPrefix(resp.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("userinfo without a token = %d %q, want 401 with a Bearer challenge", resp.status, resp.header.Get("WWW-Authenticate"))
		}
	})
}

func TestExpireAccessTokensLeavesRefreshWorking(t *testing.T) {
	e := newTestEnv(t)
	first := e.codeFlow(publicClient, nil)
	e.srv.ExpireAccessTokens()
	second := e.refresh(publicClient, first.RefreshToken)
	if second.status != http.StatusOK {
		t.Fatalf("refresh after ExpireAccessTokens = %d %s, want 200", second.status, second.Error)
	}
	if resp, _ := e.userinfo(second.AccessToken); resp.status != http.StatusOK {
		t.Errorf("userinfo with the token issued after ExpireAccessTokens = %d, want 200", resp.status)
	}
}

func TestUserinfoFaults(t *testing.T) {
	e := newTestEnv(t)
	reply := e.codeFlow(publicClient, nil)

	e.srv.SetFaults(Faults{UserinfoStatus: http.StatusServiceUnavailable})
	if resp, _ := e.userinfo(reply.AccessToken); resp.status != http.StatusServiceUnavailable {
		t.Errorf("userinfo with a 503 fault = %d, want 503", resp.status)
	}

	e.srv.SetFaults(Faults{UserinfoSubject: "someone-else"})
	if _, claims := e.userinfo(reply.AccessToken); claims["sub"] != "someone-else" || claims["name"] != kari.Name {
		t.Errorf("userinfo with a subject fault = %v, want sub someone-else and Kari's name", claims)
	}

	e.srv.SetFaults(Faults{})
	if _, claims := e.userinfo(reply.AccessToken); claims["sub"] != kari.Sub {
		t.Errorf("userinfo after clearing faults: sub = %v, want %s", claims["sub"], kari.Sub)
	}
	if got := e.srv.Count("userinfo"); got != 3 {
		t.Errorf("Count(userinfo) = %d, want 3", got)
	}
	if got := e.srv.Requests("userinfo")[0].Header.Get("Authorization"); got != "Bearer "+reply.AccessToken {
		t.Errorf("recorded Authorization = %q, want the bearer token", got)
	}
}
