package localconnect

import (
	"net/http"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestTheAppsLibrariesAcceptTheStandIn runs the code flow with the libraries
// the sample app uses (go-oidc for discovery, ID tokens and userinfo;
// x/oauth2 for the exchange and refresh), as the app would.
func TestTheAppsLibrariesAcceptTheStandIn(t *testing.T) {
	clients := []struct {
		id, secret string
		style      oauth2.AuthStyle
	}{
		{publicClient, "", oauth2.AuthStyleInParams},
		{confidentialClient, clientSecret, oauth2.AuthStyleInHeader},
	}
	for _, c := range clients {
		t.Run("for the "+c.id+" client", func(t *testing.T) {
			e := newTestEnv(t)
			ctx := t.Context()
			provider, err := oidc.NewProvider(ctx, e.srv.Issuer())
			if err != nil {
				t.Fatalf("oidc.NewProvider: %v", err)
			}
			endpoint := provider.Endpoint()
			endpoint.AuthStyle = c.style
			conf := oauth2.Config{ClientID: c.id, ClientSecret: c.secret, Endpoint: endpoint,
				RedirectURL: redirectFor(c.id), Scopes: []string{oidc.ScopeOpenID, "profile", "email", "phone"}}

			verifier := oauth2.GenerateVerifier()
			authURL := conf.AuthCodeURL("state-1", oidc.Nonce("nonce-1"), oauth2.S256ChallengeOption(verifier))
			req, _ := http.NewRequest(http.MethodGet, authURL, nil)
			page := e.do(e.browser, req)
			code := e.submitLogin(page, kari, "", false).Get("code")

			tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			rawIDToken, _ := tok.Extra("id_token").(string)
			idToken, err := provider.Verifier(&oidc.Config{ClientID: c.id}).Verify(ctx, rawIDToken)
			if err != nil {
				t.Fatalf("Verify ID token: %v", err)
			}
			if idToken.Nonce != "nonce-1" || idToken.Subject != kari.Sub {
				t.Errorf("ID token nonce=%q sub=%q, want nonce-1 and %s", idToken.Nonce, idToken.Subject, kari.Sub)
			}
			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil || info.Subject != kari.Sub || info.Email != kari.Email {
				t.Errorf("UserInfo = %+v, %v; want Kari", info, err)
			}

			tok.Expiry = e.clock.now().Add(-1) // due, so the token source refreshes
			fresh, err := conf.TokenSource(ctx, tok).Token()
			if err != nil || fresh.RefreshToken == tok.RefreshToken {
				t.Errorf("refresh through x/oauth2: %v, rotated %v; want a new refresh token", err, fresh != nil && fresh.RefreshToken != tok.RefreshToken)
			}
			if n := e.srv.Count("token"); n != 2 {
				t.Errorf("Count(token) = %d, want 2 (exchange and refresh, no retried authentication)", n)
			}
		})
	}
}

// TestGoOIDCVerifiesJWTAccessTokens checks that a resource server using
// go-oidc's verifier (signature by the JWK set, iss, aud, exp) accepts the
// stand-in's JWT access tokens, also after a key rotation.
func TestGoOIDCVerifiesJWTAccessTokens(t *testing.T) {
	e := newTestEnv(t, withAccessTokens(JWTAccessTokens))
	ctx := t.Context()
	provider, err := oidc.NewProvider(ctx, e.srv.Issuer())
	if err != nil {
		t.Fatalf("oidc.NewProvider: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: publicClient, Now: e.clock.now})
	for _, rotate := range []bool{false, true} {
		if rotate {
			if err := e.srv.RotateSigningKey(testNextSigningKey()); err != nil {
				t.Fatal(err)
			}
		}
		token, err := verifier.Verify(ctx, e.codeFlow(publicClient, nil).AccessToken)
		if err != nil || token.Subject != kari.Sub {
			t.Errorf("rotated %v: Verify(access token) = %v, %v; want Kari's", rotate, token, err)
		}
	}
	other := provider.Verifier(&oidc.Config{ClientID: confidentialClient, Now: e.clock.now})
	if _, err := other.Verify(ctx, e.codeFlow(publicClient, nil).AccessToken); err == nil {
		t.Error("a verifier for another audience accepted the token")
	}
}
