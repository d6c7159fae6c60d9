package connect

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestExchange(t *testing.T) {
	for _, tc := range []struct{ name, secret string }{
		{"confidential client", testSecret},
		{"public client", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			provider := newTestProvider(t, providerOptions{secret: tc.secret})
			client := provider.newClient(t)
			code, pending := provider.authorize(t, client, AuthOptions{ACRValues: "2", MaxAge: 5 * time.Minute})
			login, err := client.Exchange(t.Context(), code, pending)
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}

			t.Run("the login carries the tokens and the checked claims", func(t *testing.T) {
				if login.Claims.Subject != testSubject || login.Claims.ACR != "2" || login.Claims.SessionID != "connect-session-1" {
					t.Errorf("claims = %+v, want sub, acr and sid from the ID token", login.Claims)
				}
				tok := login.Tokens
				if !strings.HasPrefix(tok.AccessToken, "at-") || !strings.HasPrefix(tok.RefreshToken, "rt-") || tok.IDToken == "" || tok.TokenType != "Bearer" {
					t.Errorf("tokens: access %v, refresh %v, id %v, type %q; want all three, Bearer", tok.AccessToken != "", tok.RefreshToken != "", tok.IDToken != "", tok.TokenType)
				}
				if d := tok.Expiry.Sub(provider.clock.Now()); d < 59*time.Minute || d > time.Hour {
					t.Errorf("expiry in %s, want an hour from expires_in", d)
				}
				if tok.Scope != "openid profile" {
					t.Errorf("scope = %q, want the granted %q", tok.Scope, "openid profile")
				}
			})
			t.Run("the provider received the code, the redirect URI and the PKCE verifier", func(t *testing.T) {
				got := provider.requests("token")
				if len(got) != 1 {
					t.Fatalf("token endpoint called %d times, want 1", len(got))
				}
				form := got[0].form
				for field, want := range map[string]string{"grant_type": "authorization_code", "code": code, "redirect_uri": testRedirectURL, "code_verifier": pending.CodeVerifier} {
					if form.Get(field) != want {
						t.Errorf("%s = %q, want %q", field, form.Get(field), want)
					}
				}
				wantClientAuthentication(t, got[0], tc.secret)
			})
			t.Run("the code works once", func(t *testing.T) {
				_, err := client.Exchange(t.Context(), code, pending)
				if !IsInvalidGrant(err) {
					t.Fatalf("second Exchange of the code = %v, want invalid_grant", err)
				}
			})
		})
	}
}

// wantClientAuthentication checks how a request authenticated the client:
// HTTP Basic with the form-encoded id and secret and no secret in the body
// for a confidential client (RFC 6749 2.3.1), client_id in the body and no
// Basic for a public one.
func wantClientAuthentication(t *testing.T, r received, secret string) {
	t.Helper()
	user, pass, basic := (&http.Request{Header: r.header}).BasicAuth()
	if secret != "" {
		if !basic || user != url.QueryEscape(testClientID) || pass != url.QueryEscape(secret) || r.form.Has("client_secret") {
			t.Errorf("confidential client sent Basic=%v user %q, secret matches=%v, client_secret in body=%v; want Basic with the form-encoded id and secret only",
				basic, user, pass == url.QueryEscape(secret), r.form.Has("client_secret"))
		}
		return
	}
	if basic || r.form.Get("client_id") != testClientID || r.form.Has("client_secret") {
		t.Errorf("public client sent Basic=%v client_id=%q client_secret=%v; want client_id in the body only", basic, r.form.Get("client_id"), r.form.Has("client_secret"))
	}
}

func TestExchangeRefusesAnswersItCannotTrust(t *testing.T) {
	for _, tc := range []struct {
		name    string
		alter   func(answer, idClaims map[string]any)
		wantErr error
	}{
		{"a token_type other than Bearer", func(a, _ map[string]any) { a["token_type"] = "mac" }, ErrTokenType},
		{"no token_type at all", func(a, _ map[string]any) { delete(a, "token_type") }, ErrTokenType},
		{"an at_hash of another access token", func(_, c map[string]any) { c["at_hash"] = accessTokenHash("someone-else's-token") }, ErrAccessTokenHash},
		{"no ID token", func(a, _ map[string]any) { a["id_token"] = nil }, ErrIDTokenMissing},
		{"an ID token with another nonce", func(_, c map[string]any) { c["nonce"] = "replayed" }, ErrNonceMismatch},
		{"a granted scope without openid", func(a, _ map[string]any) { a["scope"] = "profile" }, ErrBadResponse},
	} {
		t.Run(tc.name+" is refused, and its tokens revoked", func(t *testing.T) {
			provider := newTestProvider(t, providerOptions{secret: testSecret})
			client := provider.newClient(t)
			provider.setAlterAnswer(tc.alter)
			_, err := provider.logIn(t, client, AuthOptions{})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Exchange = %v, want %v", err, tc.wantErr)
			}
			revoked := provider.requests("revoke")
			if len(revoked) != 2 || revoked[0].form.Get("token_type_hint") != "refresh_token" || revoked[1].form.Get("token_type_hint") != "access_token" {
				t.Fatalf("revocation calls: %d, want the refresh token, then the access token", len(revoked))
			}
			for _, r := range revoked {
				wantClientAuthentication(t, r, testSecret)
			}
		})
	}
	t.Run("bearer in lower case and an ID token without at_hash are fine", func(t *testing.T) {
		provider := newTestProvider(t, providerOptions{secret: testSecret})
		client := provider.newClient(t)
		provider.setAlterAnswer(func(a, c map[string]any) { a["token_type"] = "bearer"; delete(c, "at_hash") })
		login, err := provider.logIn(t, client, AuthOptions{})
		if err != nil {
			t.Fatalf("Exchange = %v, want success", err)
		}
		if login.Tokens.TokenType != "Bearer" || len(provider.requests("revoke")) != 0 {
			t.Errorf("token type %q, %d revocations; want Bearer and none", login.Tokens.TokenType, len(provider.requests("revoke")))
		}
	})
}

func TestExchangeSortsTheProvidersFailures(t *testing.T) {
	t.Run("a token endpoint outage is ErrUnavailable, and nothing is revoked", func(t *testing.T) {
		provider := newTestProvider(t, providerOptions{secret: testSecret})
		client := provider.newClient(t)
		code, pending := provider.authorize(t, client, AuthOptions{})
		provider.fail("token", http.StatusServiceUnavailable)
		if _, err := client.Exchange(t.Context(), code, pending); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Exchange = %v, want ErrUnavailable", err)
		}
		if n := len(provider.requests("revoke")); n != 0 {
			t.Errorf("%d revocation calls, want none: no tokens were issued", n)
		}
	})
	t.Run("a wrong PKCE verifier is invalid_grant", func(t *testing.T) {
		provider := newTestProvider(t, providerOptions{})
		client := provider.newClient(t)
		code, pending := provider.authorize(t, client, AuthOptions{})
		pending.CodeVerifier = "a-verifier-an-attacker-made-up-with-at-least-43-characters"
		_, err := client.Exchange(t.Context(), code, pending)
		var pe *ProviderError
		if !IsInvalidGrant(err) || !errors.As(err, &pe) || pe.Status != http.StatusBadRequest || !strings.Contains(pe.Error(), "invalid_grant") {
			t.Fatalf("Exchange = %v, want a 400 invalid_grant ProviderError", err)
		}
	})
	t.Run("the wrong client secret is a provider error, not invalid_grant", func(t *testing.T) {
		provider := newTestProvider(t, providerOptions{secret: testSecret})
		client := provider.newClient(t, func(c *Config) { c.ClientSecret = "not-the-secret" })
		code, pending := provider.authorize(t, client, AuthOptions{})
		_, err := client.Exchange(t.Context(), code, pending)
		var pe *ProviderError
		if !errors.As(err, &pe) || pe.Code != "invalid_client" || IsInvalidGrant(err) {
			t.Fatalf("Exchange = %v, want invalid_client", err)
		}
	})
}

func TestAuthorizationURL(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret})
	client := provider.newClient(t)
	raw, pending, err := client.AuthorizationURL(t.Context(), AuthOptions{Prompt: "login", ACRValues: "2", MaxAge: 90*time.Second + 500*time.Millisecond, UILocales: "nb en", LoginHint: "+4790000000"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	if got := u.Scheme + "://" + u.Host + u.Path; got != provider.issuer+"/authorize" {
		t.Errorf("endpoint %q, want the discovered %q", got, provider.issuer+"/authorize")
	}
	for field, want := range map[string]string{
		"response_type": "code", "client_id": testClientID, "redirect_uri": testRedirectURL, "scope": "openid profile",
		"state": pending.State, "nonce": pending.Nonce, "code_challenge_method": "S256",
		"prompt": "login", "acr_values": "2", "max_age": "90", "ui_locales": "nb en", "login_hint": "+4790000000",
	} {
		if q.Get(field) != want {
			t.Errorf("%s = %q, want %q", field, q.Get(field), want)
		}
	}
	if q.Get("code_challenge") == "" || strings.Contains(raw, pending.CodeVerifier) {
		t.Error("want a code_challenge, and never the verifier itself, in the URL")
	}
	if pending.MaxAge != 90*time.Second || pending.ACRValues != "2" {
		t.Errorf("pending login remembers max_age %s, acr %q; want 90s and 2", pending.MaxAge, pending.ACRValues)
	}
	_, again, _ := client.AuthorizationURL(t.Context(), AuthOptions{})
	if again.State == pending.State || again.Nonce == pending.Nonce || again.CodeVerifier == pending.CodeVerifier || len(again.State) < 43 {
		t.Error("a second login reuses state, nonce or verifier, or they are short; want fresh 32-byte values")
	}
	if _, bare, _ := client.AuthorizationURL(t.Context(), AuthOptions{}); bare.MaxAge != 0 {
		t.Error("max_age remembered though none was asked")
	}
}

func TestMissingScopes(t *testing.T) {
	provider := newTestProvider(t, providerOptions{})
	client := provider.newClient(t, func(c *Config) { c.Scopes = []string{"openid profile", "phone"} })
	if got := client.MissingScopes(TokenSet{Scope: "openid profile"}); len(got) != 1 || got[0] != "phone" {
		t.Errorf("MissingScopes = %v, want [phone]", got)
	}
	if got := client.MissingScopes(TokenSet{Scope: "phone profile openid"}); len(got) != 0 {
		t.Errorf("MissingScopes = %v, want none", got)
	}
}
