package localconnect

import (
	"net/http"
	"net/url"
	"testing"
)

func TestRevoke(t *testing.T) {
	t.Run("a refresh token revokes its chain", func(t *testing.T) {
		e := newTestEnv(t)
		reply := e.codeFlow(confidentialClient, nil)
		resp := e.backend("/oauth/revoke", url.Values{"token": {reply.RefreshToken}, "token_type_hint": {"refresh_token"}},
			basic(confidentialClient, clientSecret))
		if resp.status != http.StatusOK {
			t.Fatalf("revoke = %d, want 200", resp.status)
		}
		if r := e.refresh(confidentialClient, reply.RefreshToken); r.Error != "invalid_grant" {
			t.Errorf("refresh after revocation: error = %q, want invalid_grant", r.Error)
		}
		if r, _ := e.userinfo(reply.AccessToken); r.status != http.StatusUnauthorized {
			t.Errorf("userinfo after revoking the refresh token = %d, want 401", r.status)
		}
	})

	t.Run("an access token leaves the refresh token working", func(t *testing.T) {
		e := newTestEnv(t)
		reply := e.codeFlow(publicClient, nil)
		e.backend("/oauth/revoke", url.Values{"token": {reply.AccessToken}}, inBody(publicClient))
		if r := e.refresh(publicClient, reply.RefreshToken); r.status != http.StatusOK {
			t.Errorf("refresh after revoking only the access token = %d %s, want 200", r.status, r.Error)
		}
	})

	t.Run("an unknown token is 200", func(t *testing.T) {
		e := newTestEnv(t)
		if resp := e.backend("/oauth/revoke", url.Values{"token": {"unknown"}}, inBody(publicClient)); resp.status != http.StatusOK {
			t.Errorf("revoke of an unknown token = %d, want 200", resp.status)
		}
	})

	t.Run("another client's token is left alone", func(t *testing.T) {
		e := newTestEnv(t)
		reply := e.codeFlow(publicClient, nil)
		resp := e.backend("/oauth/revoke", url.Values{"token": {reply.RefreshToken}}, basic(confidentialClient, clientSecret))
		if resp.status != http.StatusOK {
			t.Errorf("revoke of another client's token = %d, want 200", resp.status)
		}
		if r := e.refresh(publicClient, reply.RefreshToken); r.status != http.StatusOK {
			t.Errorf("refresh after another client tried to revoke = %d %s, want 200", r.status, r.Error)
		}
	})

	t.Run("client authentication is as at the token endpoint", func(t *testing.T) {
		e := newTestEnv(t)
		reply := e.codeFlow(confidentialClient, nil)
		resp := e.backend("/oauth/revoke", url.Values{"token": {reply.RefreshToken}}, basic(confidentialClient, "wrong"))
		if resp.status != http.StatusUnauthorized {
			t.Errorf("revoke with a wrong secret = %d, want 401", resp.status)
		}
		if r := e.refresh(confidentialClient, reply.RefreshToken); r.status != http.StatusOK {
			t.Errorf("refresh after a refused revocation = %d %s, want 200", r.status, r.Error)
		}
	})

	t.Run("a missing token is invalid_request", func(t *testing.T) {
		e := newTestEnv(t)
		if resp := e.backend("/oauth/revoke", url.Values{}, inBody(publicClient)); resp.status != http.StatusBadRequest {
			t.Errorf("revoke without token = %d, want 400", resp.status)
		}
	})
}
