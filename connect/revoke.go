package connect

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Revoke asks CONNECT to invalidate a token (RFC 7009), so that nobody can
// use it after the user has logged out. hint is "refresh_token" or
// "access_token". Revoking the refresh token ends the whole grant at
// CONNECT; revoke it first, then the access token.
//
// A confidential client authenticates with HTTP Basic, a public client
// sends its client_id in the body, as at the token endpoint.
//
// A provider without a revocation endpoint (see Config.RevocationEndpoint)
// gets no call, and Revoke returns nil: there is nothing to revoke at, and
// the token stays valid until it expires, as it would anyway.
func (c *Client) Revoke(ctx context.Context, token, hint string) error {
	p, err := c.discovered(ctx)
	if err != nil {
		return err
	}
	if p.endpoints.Revocation == "" {
		return nil
	}
	resp, err := c.postAuthenticated(ctx, p.endpoints.Revocation, url.Values{"token": {token}, "token_type_hint": {hint}})
	if err != nil {
		return classify("revoke "+hint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return endpointError("revoke "+hint, resp)
}

// RevokeTokens revokes a token set: the refresh token first (that ends
// the grant), then the access token. It goes on after a failure, and is
// bounded by its own short timeout, not by ctx's cancellation: a visitor
// who closes the tab must not leave the tokens valid.
func (c *Client) RevokeTokens(ctx context.Context, t TokenSet) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revocationTimeout)
	defer cancel()
	var errs []error
	if t.RefreshToken != "" {
		errs = append(errs, c.Revoke(ctx, t.RefreshToken, "refresh_token"))
	}
	if t.AccessToken != "" {
		errs = append(errs, c.Revoke(ctx, t.AccessToken, "access_token"))
	}
	return errors.Join(errs...)
}

// revocationTimeout bounds how long RevokeTokens waits for CONNECT.
const revocationTimeout = 5 * time.Second

// postAuthenticated posts form to one of the endpoints where the client
// authenticates as at the token endpoint (revocation, introspection): HTTP
// Basic for a confidential client, client_id in the body for a public one.
func (c *Client) postAuthenticated(ctx context.Context, endpoint string, form url.Values) (*http.Response, error) {
	if !c.Confidential() {
		form.Set("client_id", c.cfg.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.Confidential() {
		// RFC 6749 2.3.1: id and secret are form-encoded before Basic.
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	}
	return c.cfg.HTTPClient.Do(req)
}
