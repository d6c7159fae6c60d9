package connect

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// ClaimError is an ID token that is valid but does not satisfy what was
// asked: a lower acr, or an older auth_time. Detail says what came back,
// in words fit for the visitor (no token contents).
type ClaimError struct {
	Err    error // ErrInsufficientACR or ErrAuthTimeTooOld
	Detail string
}

func (e *ClaimError) Error() string { return e.Err.Error() + ": " + e.Detail }
func (e *ClaimError) Unwrap() error { return e.Err }

// maxTokenAge bounds how old an ID token or a logout token may be when we
// receive it. Both arrive seconds after issue; an old one is a replay.
const maxTokenAge = 10 * time.Minute

// Claims are the ID token claims the app uses: the standard ones and
// CONNECT's own (acr, amr, td_sls, td_au, sid).
type Claims struct {
	Issuer          string      `json:"iss,omitempty"`
	Subject         string      `json:"sub"` // the CONNECT user id
	Audience        audience    `json:"aud,omitempty"`
	AuthorizedParty string      `json:"azp,omitempty"`
	Nonce           string      `json:"nonce,omitempty"`
	IssuedAt        NumericDate `json:"iat,omitempty"`
	Expiry          NumericDate `json:"exp,omitempty"`

	Profile

	// ACR is the level of assurance reached: "1" mobile phone, "2" password.
	ACR string `json:"acr,omitempty"`
	// AMR lists the methods used, e.g. "OK", "UID_PWD", "OTP", "SSO".
	AMR []string `json:"amr,omitempty"`
	// AuthTime is when the user last actively authenticated; after an SSO
	// login it is older than IssuedAt.
	AuthTime NumericDate `json:"auth_time,omitempty"`
	// ShortLivedSession (td_sls) is true when the user did not tick "stay
	// signed in": our session must then end with the browser session.
	ShortLivedSession bool `json:"td_sls,omitempty"`
	// Username (td_au) is what the user typed to log in; only when both the
	// email and phone scopes were granted.
	Username string `json:"td_au,omitempty"`
	// SessionID (sid) is CONNECT's session, named by back-channel logout.
	SessionID string `json:"sid,omitempty"`
}

// Expectations are what this particular ID token must satisfy beyond the
// checks every ID token gets.
type Expectations struct {
	// Nonce is the one sent in the authorization request; empty only on
	// refresh, where the ID token carries none (OIDC Core 12.2).
	Nonce string
	// ACR is the minimum level of assurance: the acr_values sent.
	ACR string
	// MaxAge is the max_age sent; zero when none was.
	MaxAge time.Duration
	// Previous is the ID token the session already holds; on refresh the
	// new one must name the same iss, sub and aud (OIDC Core 12.2).
	Previous *Claims
}

// VerifyIDToken runs every check OIDC Core 3.1.3.7 asks of a relying party
// and returns the token's claims. go-oidc checks the signature, the
// algorithm, iss, aud and exp; the rest is done here.
//
// raw may come from anywhere (a browser, an app), so a kid we do not know
// makes it fetch CONNECT's key set at most once per interval, as for a
// logout token. Exchange and Refresh, whose ID tokens come from CONNECT's
// token endpoint, fetch again at once: there a new kid means CONNECT
// rotated its key (see keyset.go).
func (c *Client) VerifyIDToken(ctx context.Context, raw string, want Expectations) (*Claims, error) {
	p, err := c.discovered(ctx)
	if err != nil {
		return nil, err
	}
	claims, _, err := c.verifyIDToken(ctx, p, raw, fromAnyone, want)
	return claims, err
}

// verifyIDToken is VerifyIDToken for a token from source, also returning
// go-oidc's token for the at_hash check.
func (c *Client) verifyIDToken(ctx context.Context, p *provider, raw string, source tokenSource, want Expectations) (*Claims, *oidc.IDToken, error) {
	token, err := verifySigned(ctx, p.keys, raw, source, ErrIDTokenInvalid, p.verifier.Verify)
	if err != nil {
		return nil, nil, err
	}
	var claims Claims
	if err := token.Claims(&claims); err != nil {
		return nil, nil, fmt.Errorf("%w: claims: %v", ErrIDTokenInvalid, err)
	}
	if err := c.checkClaims(&claims, want); err != nil {
		return nil, nil, err
	}
	return &claims, token, nil
}

// verifySigned runs one of go-oidc's verifications of raw, once the key set
// has had the chance raw's source gives it to learn a new key. Keys that
// could not be fetched are ErrUnavailable; whatever go-oidc refuses,
// including a key we still do not know, is the invalid error given.
func verifySigned[T any](ctx context.Context, keys *keySet, raw string, from tokenSource, invalid error, verify func(context.Context, string) (T, error)) (T, error) {
	var zero T
	if err := keys.learn(raw, from); err != nil {
		return zero, err
	}
	v, err := verify(ctx, raw)
	if err != nil {
		return zero, fmt.Errorf("%w: %v", invalid, err)
	}
	return v, nil
}

// checkAccessTokenHash checks the at_hash of an ID token, when it has one,
// against the access token that came with it (OIDC Core 3.1.3.8: optional
// in the code flow, but when present it binds the two).
func checkAccessTokenHash(token *oidc.IDToken, accessToken string) error {
	if token.AccessTokenHash == "" {
		return nil
	}
	if err := token.VerifyAccessToken(accessToken); err != nil {
		return fmt.Errorf("%w (%v)", ErrAccessTokenHash, err)
	}
	return nil
}

func (c *Client) checkClaims(claims *Claims, want Expectations) error {
	now := c.cfg.Now()
	skew := c.cfg.ClockSkew

	if claims.Subject == "" {
		return ErrMissingSubject
	}
	// The nonce is compared in constant time like any secret; a token
	// without one when one was sent is as bad as a wrong one.
	if want.Nonce != "" && subtle.ConstantTimeCompare([]byte(claims.Nonce), []byte(want.Nonce)) != 1 {
		return ErrNonceMismatch
	}
	if err := c.checkAudience(claims.Audience, claims.AuthorizedParty); err != nil {
		return err
	}
	issued := claims.IssuedAt.Time()
	if claims.IssuedAt == 0 || issued.After(now.Add(skew)) || issued.Before(now.Add(-maxTokenAge-skew)) {
		return fmt.Errorf("%w: iat %s, now %s", ErrIssuedAt, issued.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if err := c.assurance(claims, want.ACR, want.MaxAge); err != nil {
		return err
	}
	if prev := want.Previous; prev != nil {
		if claims.Issuer != prev.Issuer || claims.Subject != prev.Subject || !slices.Equal(claims.Audience, prev.Audience) {
			return ErrSubjectChanged
		}
	}
	return nil
}

// ClaimsOf reads the claims of an ID token this app verified when it
// arrived (one kept with a session's tokens), without verifying it again,
// so that the session itself need not keep a second copy of every claim.
// Never use it on a token from outside: that is what VerifyIDToken is for.
func ClaimsOf(idToken string) (Claims, error) {
	parts := strings.Split(idToken, ".")
	if len(parts) != 3 {
		return Claims{}, fmt.Errorf("%w: not a compact JWT", ErrIDTokenInvalid)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %v", ErrIDTokenInvalid, err)
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return Claims{}, fmt.Errorf("%w: claims: %v", ErrIDTokenInvalid, err)
	}
	return c, nil
}

// Meets reports whether claims reach level of assurance acr and an
// authentication no older than maxAge (zero: any age). It is the rule the
// callback applies to a fresh ID token, with the same allowance for clock
// skew, so a page that checks a session with it and sends the user to log
// in again cannot disagree with the callback and loop.
func (c *Client) Meets(claims Claims, acr string, maxAge time.Duration) bool {
	return c.assurance(&claims, acr, maxAge) == nil
}

func (c *Client) assurance(claims *Claims, acr string, maxAge time.Duration) error {
	if acr != "" && !ACRAtLeast(claims.ACR, acr) {
		return &ClaimError{Err: ErrInsufficientACR, Detail: fmt.Sprintf("level of assurance %q, at least %q required", claims.ACR, acr)}
	}
	if maxAge <= 0 {
		return nil
	}
	if claims.AuthTime == 0 {
		return &ClaimError{Err: ErrAuthTimeTooOld, Detail: "no authentication time given, one was required"}
	}
	if age := c.cfg.Now().Sub(claims.AuthTime.Time()); age > maxAge+c.cfg.ClockSkew {
		return &ClaimError{Err: ErrAuthTimeTooOld, Detail: fmt.Sprintf("authenticated %s ago, at most %s allowed", age.Round(time.Second), maxAge)}
	}
	return nil
}

// checkAudience adds to go-oidc's aud check, which only asks that aud
// contains us. We trust no other audience: a token also meant for another
// client could be replayed to it. Since aud then holds only us, azp, when
// present, must name us too.
func (c *Client) checkAudience(aud []string, azp string) error {
	for _, a := range aud {
		if a != c.cfg.ClientID {
			return fmt.Errorf("%w: %q", ErrUntrustedAudience, a)
		}
	}
	if azp != "" && azp != c.cfg.ClientID {
		return fmt.Errorf("%w: %q", ErrAuthorizedParty, azp)
	}
	return nil
}

// ACRAtLeast reports whether the level reached is at least the level asked
// for. CONNECT's levels are small integers ("1", "2"); anything else does
// not satisfy a request. A list of levels asks for the lowest of them.
func ACRAtLeast(got, want string) bool {
	g, err := strconv.Atoi(got)
	if err != nil {
		return false
	}
	for _, level := range strings.Fields(want) {
		if w, err := strconv.Atoi(level); err == nil && g >= w {
			return true
		}
	}
	return false
}

// audience is the aud claim, which JWT allows as one string or an array.
type audience []string

// UnmarshalJSON accepts both forms of aud.
func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("aud: %w", err)
	}
	*a = many
	return nil
}

// NumericDate is a JWT time: seconds since the Unix epoch.
type NumericDate int64

// UnmarshalJSON accepts integer and fractional seconds.
func (d *NumericDate) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("numeric date: %w", err)
	}
	f, err := n.Float64()
	if err != nil {
		return fmt.Errorf("numeric date: %w", err)
	}
	*d = NumericDate(f)
	return nil
}

// Time returns the date as a time.Time; the zero NumericDate gives the zero
// time.
func (d NumericDate) Time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.Unix(int64(d), 0)
}
