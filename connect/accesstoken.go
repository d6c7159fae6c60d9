package connect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Step 10 of CONNECT's guide: a resource server (an API of the partner's)
// receives "Authorization: Bearer <access token>" and must find out whether
// CONNECT issued the token, and to whom. There are three ways; the first
// that applies decides:
//
//  1. Introspection (RFC 7662), when discovery lists an endpoint for it:
//     CONNECT says whether the token is active. Exact, revocation
//     included, at the cost of one call per validation. An answer need not
//     name an audience (RFC 7662 2.2): one that does must name this API's;
//     one that does not must name a client this API accepts tokens of.
//  2. A JWT access token (RFC 9068, typ "at+jwt"): checked here, with
//     CONNECT's keys, iss, exp and the audience. No call per token, but a
//     revoked token passes until it expires.
//  3. Otherwise userinfo with the token, when the policy allows it: a 200
//     from CONNECT means valid. Scope, expiry and above all whom the token
//     was issued to are then unknown: any token CONNECT issued to any
//     client for this user passes, which is why the path can be turned off.

// ValidationPath names the way an access token is validated.
type ValidationPath string

// The three paths, in the order they are tried.
const (
	ByIntrospection ValidationPath = "introspection"
	ByJWT           ValidationPath = "jwt"
	ByUserInfo      ValidationPath = "userinfo"
)

// ReachesCONNECT reports whether this path calls CONNECT for every token,
// so a caller should rate-limit it per client. The JWT path does not: it
// fetches keys at most once per KeyRefetchInterval, for all callers.
func (v ValidationPath) ReachesCONNECT() bool { return v != ByJWT }

// AccessTokenPolicy is what a resource server accepts beyond "CONNECT
// issued it": whom the token must be meant for.
type AccessTokenPolicy struct {
	// Audience must be among a JWT access token's aud, and among an
	// introspection answer's aud when it names one. Empty: the client id.
	Audience string
	// AllowedClients are the clients whose tokens are accepted when an
	// introspection answer names no audience, only a client_id. Empty: the
	// client id alone.
	AllowedClients []string
	// AllowUserInfo lets userinfo decide when CONNECT offers no
	// introspection and the token is not a JWT access token. Userinfo
	// cannot say whom a token was issued to, so the zero value refuses
	// such tokens.
	AllowUserInfo bool
}

// AccessToken is what is known of a valid access token.
type AccessToken struct {
	Subject  string
	Scope    string    // empty when the path does not say (userinfo)
	Expiry   time.Time // zero when the path does not say (userinfo)
	ClientID string    // the client it was issued to, when the path says
	Path     ValidationPath
}

// AccessTokenPath returns the path ValidateAccessToken takes for token,
// without validating it, so a caller can rate-limit the paths that reach
// CONNECT before calling it.
func (c *Client) AccessTokenPath(ctx context.Context, token string) (ValidationPath, error) {
	p, err := c.discovered(ctx)
	if err != nil {
		return "", err
	}
	return p.validationPath(token), nil
}

func (p *provider) validationPath(token string) ValidationPath {
	switch {
	case p.endpoints.Introspection != "":
		return ByIntrospection
	case isJWTAccessToken(token):
		return ByJWT
	default:
		return ByUserInfo
	}
}

// ValidateAccessToken checks an access token presented to a resource
// server, by the first path that applies, against policy.
// ErrInvalidAccessToken means the token is not valid, or not meant for
// this API, or cannot be validated by a path the policy allows (answer
// 401); ErrUnavailable means CONNECT could not tell (503).
func (c *Client) ValidateAccessToken(ctx context.Context, token string, policy AccessTokenPolicy) (*AccessToken, error) {
	if token == "" {
		return nil, ErrInvalidAccessToken
	}
	p, err := c.discovered(ctx)
	if err != nil {
		return nil, err
	}
	if policy.Audience == "" {
		policy.Audience = c.cfg.ClientID
	}
	if len(policy.AllowedClients) == 0 {
		policy.AllowedClients = []string{c.cfg.ClientID}
	}
	switch p.validationPath(token) {
	case ByIntrospection:
		return c.introspect(ctx, p, token, policy)
	case ByJWT:
		return c.checkJWTAccessToken(ctx, p, token, policy.Audience)
	default:
		if !policy.AllowUserInfo {
			return nil, fmt.Errorf("%w: neither introspection nor a JWT access token, and userinfo is not allowed", ErrInvalidAccessToken)
		}
		return c.askUserInfo(ctx, p, token)
	}
}

// introspect asks CONNECT (RFC 7662), authenticating as at the token
// endpoint. An inactive token is invalid; CONNECT answers inactive for an
// expired or revoked one. An answer that names an audience must name the
// policy's; one that names none must name an allowed client, since active
// only says CONNECT issued the token, to anyone.
func (c *Client) introspect(ctx context.Context, p *provider, token string, policy AccessTokenPolicy) (*AccessToken, error) {
	resp, err := c.postAuthenticated(ctx, p.endpoints.Introspection, url.Values{"token": {token}, "token_type_hint": {"access_token"}})
	if err != nil {
		return nil, classify("introspect", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, endpointError("introspect", resp)
	}
	var answer struct {
		Active   bool        `json:"active"`
		Subject  string      `json:"sub"`
		Scope    string      `json:"scope"`
		ClientID string      `json:"client_id"`
		Expiry   NumericDate `json:"exp"`
		Audience audience    `json:"aud"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&answer); err != nil {
		return nil, fmt.Errorf("introspect: %w: %v", ErrBadResponse, err)
	}
	switch {
	case !answer.Active:
		return nil, fmt.Errorf("%w: CONNECT says it is not active", ErrInvalidAccessToken)
	case answer.Subject == "":
		// Every other path refuses a token that names nobody.
		return nil, fmt.Errorf("introspect: %w: an active token without sub", ErrBadResponse)
	case len(answer.Audience) > 0 && !slices.Contains(answer.Audience, policy.Audience):
		// aud is optional in an introspection answer (RFC 7662 2.2); when
		// CONNECT says whom the token is for, it must be this API.
		return nil, fmt.Errorf("%w: for another audience", ErrInvalidAccessToken)
	case len(answer.Audience) == 0 && (answer.ClientID == "" || !slices.Contains(policy.AllowedClients, answer.ClientID)):
		// Without aud, the client it was issued to is all that says whom
		// it is for; no client_id says nothing, and is refused too.
		return nil, fmt.Errorf("%w: issued to a client that is not allowed (%q)", ErrInvalidAccessToken, answer.ClientID)
	}
	return &AccessToken{Subject: answer.Subject, Scope: answer.Scope, ClientID: answer.ClientID,
		Expiry: answer.Expiry.Time(), Path: ByIntrospection}, nil
}

// checkJWTAccessToken checks a JWT access token as RFC 9068 section 4 asks:
// CONNECT's signature (a kid we do not know follows the rule for tokens
// anyone can send, see keyset.go), iss, exp and an aud naming audience.
// typ was checked when the path was chosen: that keeps an ID token, signed
// by the same keys, from passing as an access token.
func (c *Client) checkJWTAccessToken(ctx context.Context, p *provider, token, audience string) (*AccessToken, error) {
	checked, err := verifySigned(ctx, p.keys, token, fromAnyone, ErrInvalidAccessToken, c.verifier(p.keys, audience).Verify)
	if err != nil {
		return nil, err
	}
	var claims struct {
		Scope    string `json:"scope"`
		ClientID string `json:"client_id"`
	}
	if err := checked.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrInvalidAccessToken, err)
	}
	if checked.Subject == "" {
		return nil, fmt.Errorf("%w: no sub", ErrInvalidAccessToken)
	}
	return &AccessToken{Subject: checked.Subject, Scope: claims.Scope, ClientID: claims.ClientID,
		Expiry: checked.Expiry, Path: ByJWT}, nil
}

// askUserInfo calls userinfo with the token: CONNECT answering 200 is
// what makes it valid.
func (c *Client) askUserInfo(ctx context.Context, p *provider, token string) (*AccessToken, error) {
	info, err := c.userInfo(ctx, p, token)
	if errors.Is(err, ErrAccessTokenRejected) {
		return nil, fmt.Errorf("%w: userinfo refused it", ErrInvalidAccessToken)
	}
	if err != nil {
		return nil, err
	}
	return &AccessToken{Subject: info.Subject, Path: ByUserInfo}, nil
}

// isJWTAccessToken reports whether token's JOSE header says it is a JWT
// access token: typ "at+jwt", or its full media type "application/at+jwt"
// (RFC 9068 2.1, RFC 7515 4.1.9), in any case. Only the header is read;
// the path then checks everything else.
func isJWTAccessToken(token string) bool {
	header, _, ok := strings.Cut(token, ".")
	if !ok {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(header)
	var h struct {
		Type string `json:"typ"`
	}
	if err != nil || json.Unmarshal(raw, &h) != nil {
		return false
	}
	typ := strings.ToLower(h.Type)
	return typ == "at+jwt" || typ == "application/at+jwt"
}
