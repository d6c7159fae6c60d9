package connect

import (
	"context"
	"fmt"
	"strings"

	"golang.org/x/oauth2"
)

// Login is the outcome of a successful callback: the tokens, and the checked
// claims of the ID token.
type Login struct {
	Tokens TokenSet
	Claims Claims
}

// Exchange redeems an authorization code at the token endpoint, with the
// PKCE verifier from the same PendingLogin, and checks the ID token against
// what that request asked. Confidential clients authenticate with HTTP
// Basic; public clients send only their client_id in the body.
//
// The code is single-use and short-lived: call this at once, and only after
// the state has been matched to this browser.
func (c *Client) Exchange(ctx context.Context, code string, pending PendingLogin) (*Login, error) {
	p, err := c.discovered(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := p.oauth2.Exchange(c.backEndContext(ctx), code, oauth2.VerifierOption(pending.CodeVerifier))
	if err != nil {
		return nil, classify("exchange code", err)
	}
	tokens := c.tokenSetFrom(tok, strings.Join(c.cfg.Scopes, " "))
	claims, err := c.checkLogin(ctx, tokens, pending)
	if err != nil {
		// Tokens we will not use must not stay valid at CONNECT; the
		// check's error is the one that matters.
		_ = c.RevokeTokens(ctx, tokens)
		return nil, fmt.Errorf("exchange code: %w", err)
	}
	return &Login{Tokens: tokens, Claims: *claims}, nil
}

// checkLogin checks a code exchange's answer: an ID token, for openid, that
// passes every check against what the request asked.
func (c *Client) checkLogin(ctx context.Context, tokens TokenSet, pending PendingLogin) (*Claims, error) {
	if tokens.IDToken == "" {
		return nil, ErrIDTokenMissing
	}
	if missing := scopeMissing([]string{"openid"}, tokens.Scope); len(missing) > 0 {
		return nil, fmt.Errorf("%w: granted scope %q lacks openid", ErrBadResponse, tokens.Scope)
	}
	return c.VerifyIDToken(ctx, tokens.IDToken, Expectations{
		Nonce:  pending.Nonce,
		ACR:    pending.ACRValues,
		MaxAge: pending.MaxAge,
	})
}

// MissingScopes returns the scopes the client asked for that CONNECT did not
// grant, e.g. because the user declined to share a phone number.
func (c *Client) MissingScopes(t TokenSet) []string {
	return scopeMissing(c.cfg.Scopes, t.Scope)
}
