package connect

import (
	"errors"
	"testing"
	"time"
)

func TestRefresh(t *testing.T) {
	for _, tc := range []struct{ name, secret string }{
		{"confidential client", testSecret},
		{"public client", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			provider := newTestProvider(t, providerOptions{secret: tc.secret})
			client := provider.newClient(t)
			login, err := provider.logIn(t, client, AuthOptions{})
			if err != nil {
				t.Fatal(err)
			}
			refreshed, err := client.Refresh(t.Context(), login.Tokens, login.Claims)
			if err != nil {
				t.Fatalf("Refresh: %v", err)
			}

			t.Run("the provider received the refresh token and the client's authentication", func(t *testing.T) {
				got := provider.requests("token")
				if len(got) != 2 {
					t.Fatalf("token endpoint called %d times, want 2", len(got))
				}
				form := got[1].form
				if form.Get("grant_type") != "refresh_token" || form.Get("refresh_token") != login.Tokens.RefreshToken {
					t.Errorf("grant_type %q, refresh token matches %v; want refresh_token and the session's", form.Get("grant_type"), form.Get("refresh_token") == login.Tokens.RefreshToken)
				}
				wantClientAuthentication(t, got[1], tc.secret)
			})
			t.Run("new tokens replace the old, with the new ID token's claims", func(t *testing.T) {
				tok := refreshed.Tokens
				if tok.AccessToken == login.Tokens.AccessToken || tok.RefreshToken == login.Tokens.RefreshToken || tok.IDToken == login.Tokens.IDToken {
					t.Error("some token was not replaced")
				}
				if refreshed.Claims == nil || refreshed.Claims.Subject != testSubject {
					t.Errorf("claims %+v, want the new ID token's", refreshed.Claims)
				}
			})
			t.Run("the old refresh token is spent", func(t *testing.T) {
				if _, err := client.Refresh(t.Context(), login.Tokens, login.Claims); !IsInvalidGrant(err) {
					t.Errorf("Refresh with the old refresh token = %v, want invalid_grant", err)
				}
			})
		})
	}
}

func TestRefreshKeepsWhatTheAnswerLeavesOut(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret})
	client := provider.newClient(t)
	login, err := provider.logIn(t, client, AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	provider.setAlterAnswer(func(a, _ map[string]any) { a["id_token"] = nil; delete(a, "refresh_token"); delete(a, "scope") })
	refreshed, err := client.Refresh(t.Context(), login.Tokens, login.Claims)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	tok := refreshed.Tokens
	if tok.RefreshToken != login.Tokens.RefreshToken || tok.IDToken != login.Tokens.IDToken || tok.Scope != login.Tokens.Scope || refreshed.Claims != nil {
		t.Errorf("want the old refresh token, ID token (for id_token_hint) and scope kept, and no new claims")
	}
}

func TestRefreshRefusesAnswersItCannotTrust(t *testing.T) {
	for _, tc := range []struct {
		name    string
		alter   func(answer, idClaims map[string]any)
		wantErr error
	}{
		{"a token_type other than Bearer", func(a, _ map[string]any) { a["token_type"] = "DPoP" }, ErrTokenType},
		{"an at_hash of another access token", func(_, c map[string]any) { c["at_hash"] = accessTokenHash("another") }, ErrAccessTokenHash},
		{"an ID token for another user", func(_, c map[string]any) { c["sub"] = "310000000002" }, ErrSubjectChanged},
	} {
		t.Run(tc.name+" is refused, and the new tokens revoked", func(t *testing.T) {
			provider := newTestProvider(t, providerOptions{secret: testSecret})
			client := provider.newClient(t)
			login, err := provider.logIn(t, client, AuthOptions{})
			if err != nil {
				t.Fatal(err)
			}
			provider.setAlterAnswer(tc.alter)
			if _, err := client.Refresh(t.Context(), login.Tokens, login.Claims); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Refresh = %v, want %v", err, tc.wantErr)
			}
			revoked := provider.requests("revoke")
			if len(revoked) != 2 {
				t.Fatalf("%d revocation calls, want 2: the answer's refresh and access tokens", len(revoked))
			}
			for _, r := range revoked {
				if tok := r.form.Get("token"); tok == login.Tokens.RefreshToken || tok == login.Tokens.AccessToken {
					t.Errorf("revoked a token of the session's, want only the refused answer's")
				}
			}
		})
	}
}

func TestARefusedRefreshThatKeptTheRefreshTokenRevokesNothing(t *testing.T) {
	provider := newTestProvider(t, providerOptions{secret: testSecret})
	client := provider.newClient(t)
	login, err := provider.logIn(t, client, AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// No new refresh token, and an ID token for another user: refused,
	// but the refresh token is still the session's, and its grant with it.
	provider.setAlterAnswer(func(a, c map[string]any) { delete(a, "refresh_token"); c["sub"] = "310000000002" })
	if _, err := client.Refresh(t.Context(), login.Tokens, login.Claims); !errors.Is(err, ErrSubjectChanged) {
		t.Fatalf("Refresh = %v, want ErrSubjectChanged", err)
	}
	for _, r := range provider.requests("revoke") {
		t.Errorf("revoked a token (hint %q), want nothing revoked: the session's grant must survive", r.form.Get("token_type_hint"))
	}
}

func TestRefreshWithoutARefreshToken(t *testing.T) {
	provider := newTestProvider(t, providerOptions{})
	client := provider.newClient(t)
	if _, err := client.Refresh(t.Context(), TokenSet{AccessToken: "at"}, Claims{}); !errors.Is(err, ErrNoRefreshToken) {
		t.Errorf("Refresh = %v, want ErrNoRefreshToken", err)
	}
	if n := len(provider.requests("token")); n != 0 {
		t.Errorf("token endpoint called %d times, want none", n)
	}
}

func TestNeedsRefresh(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name   string
		tokens TokenSet
		want   bool
	}{
		{"expiring within the margin", TokenSet{RefreshToken: "rt", Expiry: now.Add(30 * time.Second)}, true},
		{"expiring later", TokenSet{RefreshToken: "rt", Expiry: now.Add(5 * time.Minute)}, false},
		{"no known expiry", TokenSet{RefreshToken: "rt"}, false},
		{"nothing to refresh with", TokenSet{Expiry: now.Add(-time.Minute)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NeedsRefresh(tc.tokens, now, time.Minute); got != tc.want {
				t.Errorf("NeedsRefresh = %v, want %v", got, tc.want)
			}
		})
	}
}
