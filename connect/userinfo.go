package connect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// UserInfo is what CONNECT's userinfo endpoint says about the user.
type UserInfo struct {
	Subject string `json:"sub"`
	Profile
}

// Profile is the user's claims that scopes give, in userinfo and, when
// CONNECT puts them there, in the ID token; which fields are filled
// depends on the scopes granted.
type Profile struct {
	// profile scope
	Name   string `json:"name,omitempty"`
	Locale string `json:"locale,omitempty"`
	// email scope
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
	// phone scope
	PhoneNumber         string `json:"phone_number,omitempty"`
	PhoneNumberVerified bool   `json:"phone_number_verified,omitempty"`
}

// maxUserInfoSize bounds what we read from userinfo.
const maxUserInfoSize = 64 << 10

// UserInfo reads the user's claims with the access token, and checks that
// they are about the user the ID token named: OIDC Core 5.3.2 says the sub
// must match, or the response must not be used (it may be a substituted
// token's).
func (c *Client) UserInfo(ctx context.Context, accessToken, wantSubject string) (*UserInfo, error) {
	p, err := c.discovered(ctx)
	if err != nil {
		return nil, err
	}
	info, err := c.userInfo(ctx, p, accessToken)
	if err != nil {
		return nil, err
	}
	if info.Subject != wantSubject {
		return nil, fmt.Errorf("%w: got %q", ErrUserInfoSubMismatch, info.Subject)
	}
	return info, nil
}

// userInfo asks the userinfo endpoint with accessToken. A 401 is
// ErrAccessTokenRejected; an answer without sub is not usable.
func (c *Client) userInfo(ctx context.Context, p *provider, accessToken string) (*UserInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.endpoints.UserInfo, nil)
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, classify("userinfo", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, ErrAccessTokenRejected
	case resp.StatusCode != http.StatusOK:
		return nil, statusError("userinfo", resp)
	}
	var info UserInfo
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxUserInfoSize)).Decode(&info); err != nil {
		return nil, fmt.Errorf("userinfo: %w: %v", ErrBadResponse, err)
	}
	if info.Subject == "" {
		return nil, fmt.Errorf("userinfo: %w: no sub", ErrBadResponse)
	}
	return &info, nil
}
