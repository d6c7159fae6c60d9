package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
func (c *Client) Revoke(ctx context.Context, token, hint string) error {
	p, err := c.discovered(ctx)
	if err != nil {
		return err
	}
	form := url.Values{"token": {token}, "token_type_hint": {hint}}
	if !c.Confidential() {
		form.Set("client_id", c.cfg.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoints.Revocation, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("revoke %s: %w", hint, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if c.Confidential() {
		// RFC 6749 2.3.1: id and secret are form-encoded before Basic.
		req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return classify("revoke "+hint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var oauthErr struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&oauthErr) == nil && oauthErr.Code != "" && resp.StatusCode < 500 {
		return fmt.Errorf("revoke %s: %w", hint, &ProviderError{Code: oauthErr.Code, Description: oauthErr.Description, Status: resp.StatusCode})
	}
	return statusError("revoke "+hint, resp)
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
