package localconnect

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLogout(t *testing.T) {
	t.Run("with id_token_hint and a registered post_logout_redirect_uri it ends SSO and returns with the state", func(t *testing.T) {
		e := newTestEnv(t)
		reply := e.codeFlow(confidentialClient, nil)
		resp := e.get("/oauth/logout", url.Values{"id_token_hint": {reply.IDToken},
			"post_logout_redirect_uri": {postLogoutRedirect}, "state": {"logout-state"}})
		loc := resp.location(t)
		if got := loc.Scheme + "://" + loc.Host + loc.Path; got != postLogoutRedirect {
			t.Errorf("redirected to %q, want %q", got, postLogoutRedirect)
		}
		if got := loc.Query().Get("state"); got != "logout-state" {
			t.Errorf("state = %q, want logout-state", got)
		}
		i := slices.IndexFunc(resp.cookies, func(c *http.Cookie) bool { return c.Name == ssoCookieName })
		if i < 0 || resp.cookies[i].MaxAge >= 0 {
			t.Error("logout did not clear the SSO cookie")
		}
		if got := e.silentLogin(confidentialClient).Get("error"); got != "login_required" {
			t.Errorf("prompt=none after logout: error = %q, want login_required", got)
		}
		if r := e.refresh(confidentialClient, reply.RefreshToken); r.Error != "invalid_grant" {
			t.Errorf("refresh after logout: error = %q, want invalid_grant", r.Error)
		}
		if got := e.srv.Count("logout"); got != 1 {
			t.Errorf("Count(logout) = %d, want 1", got)
		}
	})

	refused := []struct {
		name     string
		clientID string
		params   func(idToken string) url.Values
	}{
		{"an unregistered post_logout_redirect_uri", confidentialClient, func(idToken string) url.Values {
			return url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"https://evil.example/"}}
		}},
		{"no id_token_hint", confidentialClient, func(string) url.Values {
			return url.Values{"post_logout_redirect_uri": {postLogoutRedirect}}
		}},
		{"an id_token_hint not signed by the stand-in", confidentialClient, func(idToken string) url.Values {
			parts := strings.Split(idToken, ".")
			forged := parts[0] + "." + parts[1] + ".c2lnbmF0dXJl"
			return url.Values{"id_token_hint": {forged}, "post_logout_redirect_uri": {postLogoutRedirect}}
		}},
		{"the id_token_hint of a client that registered no such URI", publicClient, func(idToken string) url.Values {
			return url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {postLogoutRedirect}}
		}},
	}
	for _, tt := range refused {
		t.Run("with "+tt.name+" it ends SSO and shows a page instead of redirecting", func(t *testing.T) {
			e := newTestEnv(t)
			reply := e.codeFlow(tt.clientID, nil)
			resp := e.get("/oauth/logout", tt.params(reply.IDToken))
			if resp.status != http.StatusOK || resp.header.Get("Location") != "" {
				t.Fatalf("logout = %d Location %q, want 200 and no redirect", resp.status, resp.header.Get("Location"))
			}
			for _, want := range []string{"You are logged out of CONNECT (stand-in)", banner} {
				if !strings.Contains(resp.body, want) {
					t.Errorf("logout page lacks %q", want)
				}
			}
			if got := e.silentLogin(tt.clientID).Get("error"); got != "login_required" {
				t.Errorf("prompt=none after logout: error = %q, want login_required", got)
			}
		})
	}

	t.Run("with an expired id_token_hint it still returns to the client", func(t *testing.T) {
		e := newTestEnv(t)
		reply := e.codeFlow(confidentialClient, nil)
		e.clock.advance(48 * time.Hour)
		loc := e.get("/oauth/logout", url.Values{"id_token_hint": {reply.IDToken}, "post_logout_redirect_uri": {postLogoutRedirect}}).location(t)
		if loc.Host != "confidential.example" {
			t.Errorf("redirected to %v, want the post-logout redirect URI", loc)
		}
	})
}
