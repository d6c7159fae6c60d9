package connect

import (
	"errors"
	"net/http"
	"testing"
)

func TestRevokeTokens(t *testing.T) {
	for _, tc := range []struct{ name, secret string }{
		{"confidential client", testSecret},
		{"public client", ""},
	} {
		t.Run(tc.name+" revokes the refresh token, then the access token", func(t *testing.T) {
			provider := newTestProvider(t, providerOptions{secret: tc.secret})
			client := provider.newClient(t)
			login, err := provider.logIn(t, client, AuthOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := client.RevokeTokens(t.Context(), login.Tokens); err != nil {
				t.Fatalf("RevokeTokens: %v", err)
			}
			got := provider.requests("revoke")
			if len(got) != 2 {
				t.Fatalf("%d revocation calls, want 2", len(got))
			}
			for i, want := range []struct{ token, hint string }{{login.Tokens.RefreshToken, "refresh_token"}, {login.Tokens.AccessToken, "access_token"}} {
				if got[i].form.Get("token") != want.token || got[i].form.Get("token_type_hint") != want.hint {
					t.Errorf("call %d: token_type_hint %q, token matches %v; want %s", i+1, got[i].form.Get("token_type_hint"), got[i].form.Get("token") == want.token, want.hint)
				}
				wantClientAuthentication(t, got[i], tc.secret)
			}
			if _, err := client.Refresh(t.Context(), login.Tokens, login.Claims); !IsInvalidGrant(err) {
				t.Errorf("Refresh after revocation = %v, want invalid_grant", err)
			}
		})
	}
}

func TestRevokeSortsTheProvidersFailures(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret})
	t.Run("an OAuth error is a ProviderError", func(t *testing.T) {
		client := provider.newClient(t, func(c *Config) { c.ClientSecret = "wrong" })
		var pe *ProviderError
		if err := client.Revoke(t.Context(), "rt", "refresh_token"); !errors.As(err, &pe) || pe.Code != "invalid_client" || pe.Status != http.StatusUnauthorized {
			t.Errorf("Revoke = %v, want a 401 invalid_client ProviderError", err)
		}
	})
	t.Run("a server error is ErrUnavailable, and RevokeTokens goes on to the access token", func(t *testing.T) {
		client := provider.newClient(t)
		provider.fail("revoke", http.StatusServiceUnavailable)
		defer provider.fail("revoke", 0)
		before := len(provider.requests("revoke"))
		err := client.RevokeTokens(t.Context(), TokenSet{AccessToken: "at", RefreshToken: "rt"})
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("RevokeTokens = %v, want ErrUnavailable", err)
		}
		if n := len(provider.requests("revoke")) - before; n != 2 {
			t.Errorf("%d revocation calls, want 2 despite the first failing", n)
		}
	})
	t.Run("a status without an OAuth error is ErrBadResponse", func(t *testing.T) {
		client := provider.newClient(t)
		provider.fail("revoke", http.StatusNotFound)
		defer provider.fail("revoke", 0)
		if err := client.Revoke(t.Context(), "rt", "refresh_token"); !errors.Is(err, ErrBadResponse) {
			t.Errorf("Revoke = %v, want ErrBadResponse", err)
		}
	})
}
