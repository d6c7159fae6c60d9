package connect

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Login is the outcome of a successful callback: the tokens, and the checked
// claims of the ID token.
type Login struct {
	Tokens TokenSet
	Claims Claims
	// Trace is how the login went over the wire, nothing secret in it;
	// its Callback is left for the web flow to fill in.
	Trace Trace
}

// Exchange redeems an authorization code at the token endpoint, with the
// PKCE verifier from the same PendingLogin, and checks the answer: a Bearer
// token_type, an ID token that passes every check against what the request
// asked, and whose at_hash, if any, matches the access token. Confidential
// clients authenticate with HTTP Basic; public clients send only their
// client_id in the body.
//
// The code is single-use and short-lived: call this at once, and only after
// the state has been matched to this browser. An answer that fails a check
// has its tokens revoked before the error returns.
func (c *Client) Exchange(ctx context.Context, code string, pending PendingLogin) (*Login, error) {
	p, err := c.discovered(ctx)
	if err != nil {
		return nil, err
	}
	trace := Trace{Authorization: c.authorizationTrace(p, pending), Token: c.tokenCall(p, "authorization_code")}
	started := time.Now()
	tok, err := p.oauth2.Exchange(c.tracedContext(ctx, &trace.Token), code, oauth2.VerifierOption(pending.CodeVerifier))
	if err != nil {
		return nil, classify("exchange code", err)
	}
	trace.Token.finish(started, tok)
	tokens, err := c.tokenSetFrom(tok, strings.Join(c.cfg.Scopes, " "))
	var claims *Claims
	if err == nil {
		claims, trace.Checks, err = c.checkLogin(ctx, p, tokens, pending)
	}
	if err != nil {
		// Tokens we will not use must not stay valid at CONNECT; the
		// check's error is the one that matters.
		_ = c.RevokeTokens(ctx, tokens)
		return nil, fmt.Errorf("exchange code: %w", err)
	}
	return &Login{Tokens: tokens, Claims: *claims, Trace: trace}, nil
}

// checkLogin checks a code exchange's answer: an ID token, for openid, that
// passes every check against what the request asked and is bound to the
// access token by at_hash when it has one. It returns the checks made,
// for the trace.
func (c *Client) checkLogin(ctx context.Context, p *provider, tokens TokenSet, pending PendingLogin) (*Claims, []Check, error) {
	if tokens.IDToken == "" {
		return nil, nil, ErrIDTokenMissing
	}
	if missing := scopeMissing([]string{"openid"}, tokens.Scope); len(missing) > 0 {
		return nil, nil, fmt.Errorf("%w: granted scope %q lacks openid", ErrBadResponse, tokens.Scope)
	}
	want := Expectations{Nonce: pending.Nonce, ACR: pending.ACRValues, MaxAge: pending.MaxAge}
	claims, idToken, err := c.verifyIDToken(ctx, p, tokens.IDToken, fromTokenEndpoint, want)
	if err != nil {
		return nil, nil, err
	}
	if err := checkAccessTokenHash(idToken, tokens.AccessToken); err != nil {
		return nil, nil, err
	}
	return claims, c.idTokenChecks(tokens.IDToken, claims, idToken, want), nil
}

// MissingScopes returns the scopes the client asked for that CONNECT did not
// grant, e.g. because the user declined to share a phone number.
func (c *Client) MissingScopes(t TokenSet) []string {
	return scopeMissing(c.cfg.Scopes, t.Scope)
}
