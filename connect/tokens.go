package connect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// TokenSet is what the app keeps from the token endpoint. It lives only on
// the server: never in a cookie, a URL, a page or a log line.
type TokenSet struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// IDToken is kept raw for id_token_hint at logout.
	IDToken string `json:"id_token,omitempty"`
	// Expiry is when the access token expires, from expires_in and our
	// clock when it arrived; zero when CONNECT did not say.
	Expiry time.Time `json:"expiry"`
	// Scope is what CONNECT granted, which may be less than was asked.
	Scope string `json:"scope"`
}

// ProviderError is an OAuth error answer from CONNECT's token or revocation
// endpoint. Its Code is RFC 6749's error, such as "invalid_grant"; the
// description is for developers and logs, never for visitors.
type ProviderError struct {
	Code        string
	Description string
	Status      int
}

func (e *ProviderError) Error() string {
	return fmt.Sprintf("CONNECT answered %d %s: %s", e.Status, e.Code, e.Description)
}

// IsInvalidGrant reports whether err is CONNECT refusing a code or refresh
// token: it expired, was used already, or the authorization was revoked.
// The only way on is a new login.
func IsInvalidGrant(err error) bool {
	var pe *ProviderError
	return errors.As(err, &pe) && pe.Code == "invalid_grant"
}

// tokenSetFrom turns x/oauth2's token into ours, taking the expiry from
// expires_in and our own clock. It refuses a token_type other than Bearer
// (compared without case, RFC 6749 5.1), but still returns the tokens, so
// the caller can revoke them.
func (c *Client) tokenSetFrom(tok *oauth2.Token, requestedScope string) (TokenSet, error) {
	set := TokenSet{
		AccessToken:  tok.AccessToken,
		TokenType:    "Bearer",
		RefreshToken: tok.RefreshToken,
		Scope:        requestedScope,
	}
	if id, ok := tok.Extra("id_token").(string); ok {
		set.IDToken = id
	}
	// RFC 6749 5.1: scope may be left out when it is what was asked.
	if scope, ok := tok.Extra("scope").(string); ok && scope != "" {
		set.Scope = scope
	}
	if tok.ExpiresIn > 0 {
		set.Expiry = c.cfg.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	}
	if !strings.EqualFold(tok.TokenType, "Bearer") {
		return set, fmt.Errorf("%w: got %.32q", ErrTokenType, tok.TokenType)
	}
	return set, nil
}

// classify turns an error from a back-end call into ProviderError or
// ErrUnavailable, so callers can choose what to show without parsing text.
func classify(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		pe := &ProviderError{Code: re.ErrorCode, Description: re.ErrorDescription, Status: status}
		if status >= 500 || pe.Code == "temporarily_unavailable" {
			return fmt.Errorf("%s: %w: %w", op, ErrUnavailable, pe)
		}
		return fmt.Errorf("%s: %w", op, pe)
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return fmt.Errorf("%s: %w: %v", op, ErrUnavailable, err)
	}
	// Anything else is an answer we cannot use, such as a 200 without an
	// access token.
	return fmt.Errorf("%s: %w: %v", op, ErrBadResponse, err)
}

// scopeMissing returns the requested scopes that were not granted.
func scopeMissing(requested []string, granted string) []string {
	have := map[string]bool{}
	for _, s := range strings.Fields(granted) {
		have[s] = true
	}
	var missing []string
	for _, s := range requested {
		for _, f := range strings.Fields(s) {
			if !have[f] {
				missing = append(missing, f)
			}
		}
	}
	return missing
}

// statusError is a non-2xx answer from an endpoint that is not OAuth's token
// endpoint (userinfo, revocation): an outage for 5xx, else an answer we
// cannot use.
func statusError(op string, resp *http.Response) error {
	if resp.StatusCode >= 500 {
		return fmt.Errorf("%s: %w: CONNECT answered %s", op, ErrUnavailable, resp.Status)
	}
	return fmt.Errorf("%s: %w: CONNECT answered %s", op, ErrBadResponse, resp.Status)
}

// endpointError is the error of a non-200 answer from an endpoint that
// answers in OAuth's error format (revocation, introspection): CONNECT's
// own error code when it sent one, as for a wrong client secret's
// invalid_client, else statusError.
func endpointError(op string, resp *http.Response) error {
	var oauthErr struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
	}
	if resp.StatusCode < 500 && json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&oauthErr) == nil && oauthErr.Code != "" {
		return fmt.Errorf("%s: %w", op, &ProviderError{Code: oauthErr.Code, Description: oauthErr.Description, Status: resp.StatusCode})
	}
	return statusError(op, resp)
}
