package connect

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// LogoutURL is where to send the browser to end the user's CONNECT session
// too (RP-initiated logout, for clients registered with SSO). CONNECT ends
// its session and sends the browser back to the registered post-logout
// redirect URI with the same state. Without this, an SSO user who "logged
// out" is logged straight back in by the next login.
//
// A provider without an end-session endpoint gives ErrNoEndSession: there
// is no way to end its session from here, so do not offer it.
func (c *Client) LogoutURL(ctx context.Context, idTokenHint, state string) (string, error) {
	p, err := c.discovered(ctx)
	if err != nil {
		return "", err
	}
	if p.endpoints.EndSession == "" {
		return "", ErrNoEndSession
	}
	if c.cfg.PostLogoutRedirectURL == "" {
		return "", errors.New("connect: PostLogoutRedirectURL is not configured")
	}
	u, err := url.Parse(p.endpoints.EndSession)
	if err != nil {
		return "", fmt.Errorf("end session endpoint: %w", err)
	}
	q := u.Query()
	q.Set("id_token_hint", idTokenHint)
	q.Set("post_logout_redirect_uri", c.cfg.PostLogoutRedirectURL)
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// CanLogOutEverywhere reports whether the provider has an end-session
// endpoint, for deciding whether to offer "log out everywhere". It never
// contacts the provider, so pages can ask freely: until discovery has
// succeeded it reports false.
func (c *Client) CanLogOutEverywhere() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.provider != nil && c.provider.endpoints.EndSession != ""
}

// NewState returns a fresh random state for a logout round trip.
func NewState() string { return randomValue() }

// LogoutToken is what a valid back-channel logout token says: end the
// local sessions of this CONNECT session (SessionID), or of this user
// (Subject) when no session id is given.
type LogoutToken struct {
	Subject   string
	SessionID string
	// ID (jti) and Expiry let the receiver refuse a replay until the token
	// would have expired anyway.
	ID     string
	Expiry time.Time
}

// VerifyLogoutToken checks a back-channel logout token (OIDC Back-Channel
// Logout 2.6). go-oidc checks the signature (RS256/ES256 only, never
// "none"), iss, aud, exp, jti, the events claim, sid or sub, and that there
// is no nonce. We add what it leaves to us, as for ID tokens: no untrusted
// audience, azp, and iat within the skew window.
//
// Anyone can post a logout token, so one signed under a kid we do not know
// makes us fetch CONNECT's keys at most once per KeyRefetchInterval; still
// unknown, it is invalid. ErrLogoutTokenInvalid means "answer 400";
// ErrUnavailable (CONNECT's keys could not be fetched) means "answer 503".
func (c *Client) VerifyLogoutToken(ctx context.Context, raw string) (*LogoutToken, error) {
	p, err := c.discovered(ctx)
	if err != nil {
		return nil, err
	}
	lt, err := verifySigned(ctx, p.keys, raw, fromAnyone, ErrLogoutTokenInvalid, p.verifier.VerifyLogout)
	if err != nil {
		return nil, err
	}
	var azp struct {
		AuthorizedParty string `json:"azp"`
	}
	if err := lt.Claims(&azp); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrLogoutTokenInvalid, err)
	}
	if err := c.checkAudience(lt.Audience, azp.AuthorizedParty); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrLogoutTokenInvalid, err)
	}
	now, skew := c.cfg.Now(), c.cfg.ClockSkew
	if lt.IssuedAt.IsZero() || lt.IssuedAt.After(now.Add(skew)) || lt.IssuedAt.Before(now.Add(-maxTokenAge-skew)) {
		return nil, fmt.Errorf("%w: iat %s outside the allowed window", ErrLogoutTokenInvalid, lt.IssuedAt.UTC().Format(time.RFC3339))
	}
	return &LogoutToken{Subject: lt.Subject, SessionID: lt.SessionID, ID: lt.TokenID, Expiry: lt.Expiry}, nil
}
