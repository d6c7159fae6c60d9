package connect

import (
	"context"
	"fmt"
	"slices"
	"time"

	"golang.org/x/oauth2"
)

// NeedsRefresh reports whether the access token expires within margin.
// Refreshing shortly before expiry, rather than waiting for a 401, keeps
// the user from ever seeing a failed request. A token without a known
// expiry is used until CONNECT rejects it.
func NeedsRefresh(t TokenSet, now time.Time, margin time.Duration) bool {
	return t.RefreshToken != "" && !t.Expiry.IsZero() && !now.Add(margin).Before(t.Expiry)
}

// Refreshed is the outcome of a refresh: the new tokens and, when CONNECT
// sent a new ID token, its checked claims.
type Refreshed struct {
	Tokens TokenSet
	Claims *Claims // nil when the response had no ID token
	// Trace is how the refresh went over the wire, nothing secret in it.
	Trace Trace
}

// Refresh trades the refresh token for new tokens. CONNECT rotates refresh
// tokens: the response carries a new one and the old one is dead, so the
// caller must store the result before anyone uses the old one again. When
// the response has no refresh token, the old one stays valid and is kept.
//
// The answer is checked as at login: token_type Bearer, and a new ID token
// must be about the same user, with iss, sub and aud equal to the
// session's (OIDC Core 12.2; it carries no nonce), and an at_hash, if any,
// matching the new access token. The new tokens of a refused answer are
// revoked.
//
// An invalid_grant error (see IsInvalidGrant) means the authorization is
// gone: expired, revoked, or the user logged out at CONNECT.
func (c *Client) Refresh(ctx context.Context, current TokenSet, session Claims) (*Refreshed, error) {
	if current.RefreshToken == "" {
		return nil, ErrNoRefreshToken
	}
	p, err := c.discovered(ctx)
	if err != nil {
		return nil, err
	}
	// An expired token makes x/oauth2 refresh at once; it never sends the
	// access token anywhere.
	trace := Trace{Token: c.tokenCall(p, "refresh_token")}
	source := p.oauth2.TokenSource(c.tracedContext(ctx, &trace.Token), &oauth2.Token{
		RefreshToken: current.RefreshToken,
		Expiry:       time.Unix(1, 0),
	})
	started := time.Now()
	tok, err := source.Token()
	if err != nil {
		return nil, classify("refresh tokens", err)
	}
	trace.Token.finish(started, tok)
	if tok.RefreshToken == current.RefreshToken {
		// x/oauth2 kept the one it sent: the answer had none.
		trace.Token.Tokens = slices.DeleteFunc(trace.Token.Tokens, func(t TokenLength) bool { return t.Name == "refresh_token" })
	}
	tokens, err := c.tokenSetFrom(tok, current.Scope)
	var refreshed *Refreshed
	if err == nil {
		refreshed, err = c.checkRefresh(ctx, p, tokens, current, session)
	}
	if err != nil {
		_ = c.RevokeTokens(ctx, broughtBy(tok, current))
		return nil, fmt.Errorf("refresh tokens: %w", err)
	}
	trace.Checks = refreshed.Trace.Checks
	refreshed.Trace = trace
	return refreshed, nil
}

// broughtBy is what a refused refresh answer brought that may be revoked.
// When the answer has no refresh token, x/oauth2 fills in the one it was
// sent, which is still the session's; and revoking the new access token
// could then end the session's grant with it (RFC 7009 2.1), so nothing
// is revoked: the access token is dropped, to expire at CONNECT.
func broughtBy(tok *oauth2.Token, current TokenSet) TokenSet {
	if tok.RefreshToken == current.RefreshToken {
		return TokenSet{}
	}
	return TokenSet{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken}
}

// checkRefresh checks a refresh's answer against the session it renews.
func (c *Client) checkRefresh(ctx context.Context, p *provider, tokens, current TokenSet, session Claims) (*Refreshed, error) {
	// tokens.RefreshToken is never empty: x/oauth2 keeps the old one when
	// the answer has none.
	if tokens.IDToken == "" {
		tokens.IDToken = current.IDToken // keep one for id_token_hint at logout
		return &Refreshed{Tokens: tokens}, nil
	}
	want := Expectations{Previous: &session}
	claims, idToken, err := c.verifyIDToken(ctx, p, tokens.IDToken, fromTokenEndpoint, want)
	if err != nil {
		return nil, err
	}
	if err := checkAccessTokenHash(idToken, tokens.AccessToken); err != nil {
		return nil, err
	}
	return &Refreshed{Tokens: tokens, Claims: claims, Trace: Trace{Checks: c.idTokenChecks(tokens.IDToken, claims, idToken, want)}}, nil
}
