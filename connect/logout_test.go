package connect

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestLogoutURL(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret})
	client := provider.newClient(t)
	if client.CanLogOutEverywhere() {
		t.Error("CanLogOutEverywhere before discovery = true, want false: nothing is known yet")
	}
	state := NewState()
	raw, err := client.LogoutURL(t.Context(), "the-id-token", state)
	if err != nil {
		t.Fatalf("LogoutURL: %v", err)
	}
	u, _ := url.Parse(raw)
	if got := u.Scheme + "://" + u.Host + u.Path; got != provider.issuer+"/logout" {
		t.Errorf("endpoint %q, want the discovered %q", got, provider.issuer+"/logout")
	}
	q := u.Query()
	for field, want := range map[string]string{"id_token_hint": "the-id-token", "post_logout_redirect_uri": testPostLogout, "state": state} {
		if q.Get(field) != want {
			t.Errorf("%s = %q, want %q", field, q.Get(field), want)
		}
	}
	if len(state) < 43 || state == NewState() {
		t.Errorf("NewState gave %q: want 32 random bytes, fresh each time", state)
	}
	if !client.CanLogOutEverywhere() {
		t.Error("CanLogOutEverywhere after discovery = false, want true")
	}
	t.Run("without a registered post-logout redirect URI there is no URL", func(t *testing.T) {
		client := provider.newClient(t, func(c *Config) { c.PostLogoutRedirectURL = "" })
		if _, err := client.LogoutURL(t.Context(), "the-id-token", state); err == nil {
			t.Error("LogoutURL succeeded without a post-logout redirect URI")
		}
	})
}

func TestVerifyLogoutToken(t *testing.T) {
	provider := newTestProvider(t, providerOptions{})
	provider.clock.base = time.Now()
	now := provider.clock.Now()
	valid := provider.logoutClaims()
	key := provider.signingKey()

	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"a valid token is accepted", signWith(t, key, "logout+jwt", valid), true},
		{"a token with sid only is accepted", signWith(t, key, "logout+jwt", with(valid, map[string]any{"sub": nil})), true},
		{"a token with neither sid nor sub is refused", signWith(t, key, "logout+jwt", with(valid, map[string]any{"sub": nil, "sid": nil})), false},
		{"a token without the logout event is refused", signWith(t, key, "logout+jwt", with(valid, map[string]any{"events": map[string]any{}})), false},
		{"a token with a nonce (an ID token) is refused", signWith(t, key, "logout+jwt", with(valid, map[string]any{"nonce": "n"})), false},
		{"a token without jti is refused", signWith(t, key, "logout+jwt", with(valid, map[string]any{"jti": nil})), false},
		{"a token from another issuer is refused", signWith(t, key, "logout+jwt", with(valid, map[string]any{"iss": "https://evil.example/oauth"})), false},
		{"a token for another client is refused", signWith(t, key, "logout+jwt", with(valid, map[string]any{"aud": "other-client"})), false},
		{"a token also for another client is refused", signWith(t, key, "logout+jwt", with(valid, map[string]any{"aud": []string{testClientID, "other-client"}})), false},
		{"a token whose azp is another client is refused", signWith(t, key, "logout+jwt", with(valid, map[string]any{"azp": "other-client"})), false},
		{"an old token (a replay) is refused", signWith(t, key, "logout+jwt", with(valid, map[string]any{"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(time.Hour).Unix()})), false},
		{"an expired token is refused", signWith(t, key, "logout+jwt", with(valid, map[string]any{"exp": now.Add(-5 * time.Minute).Unix()})), false},
		{"an unsigned token is refused", unsigned("logout+jwt", valid), false},
		{"a token signed by another key under the real kid is refused", signWith(t, testKey{id: key.id, key: newRSAKey(t), alg: jose.RS256}, "logout+jwt", valid), false},
		{"a token under an unknown kid is refused, not an outage", signWith(t, testKey{id: "made-up", key: newECKey(t), alg: jose.ES256}, "logout+jwt", valid), false},
		{"garbage is refused", "not.a.token", false},
		{"nothing is refused", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := provider.newClient(t)
			got, err := client.VerifyLogoutToken(t.Context(), tt.token)
			if tt.ok {
				if err != nil {
					t.Fatalf("VerifyLogoutToken: %v, want success", err)
				}
				if got.SessionID != "connect-session-1" || got.ID == "" || !got.Expiry.Equal(time.Unix(valid["exp"].(int64), 0)) {
					t.Errorf("got %+v, want sid, jti and exp from the token", got)
				}
				return
			}
			if !errors.Is(err, ErrLogoutTokenInvalid) || errors.Is(err, ErrUnavailable) {
				t.Fatalf("VerifyLogoutToken = %v, want ErrLogoutTokenInvalid only", err)
			}
			if got != nil {
				t.Errorf("got %+v with an error", got)
			}
		})
	}
	t.Run("no error message repeats the token", func(t *testing.T) {
		token := signWith(t, key, "logout+jwt", with(valid, map[string]any{"aud": "other-client"}))
		_, err := provider.newClient(t).VerifyLogoutToken(t.Context(), token)
		if err == nil || strings.Contains(err.Error(), token) {
			t.Errorf("error %v: want a refusal that does not quote the token", err)
		}
	})
}
