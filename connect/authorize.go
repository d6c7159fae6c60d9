package connect

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// AuthOptions are the optional parameters of one authorization request.
// Zero values are left out of the request.
type AuthOptions struct {
	// Prompt is "none" (answer at once, no UI: a silent SSO check) or
	// "login" (ask for credentials even with a CONNECT session).
	Prompt string
	// ACRValues is the level of assurance wanted: "1" (mobile phone) or
	// "2" (password). The ID token's acr is checked against it.
	ACRValues string
	// MaxAge asks CONNECT to re-authenticate a user whose last active
	// authentication is older; auth_time is checked against it. Whole
	// seconds; zero means not sent.
	MaxAge time.Duration
	// UILocales is the preferred UI languages, e.g. "nb en".
	UILocales string
	// LoginHint prefills the username (phone number or e-mail).
	LoginHint string
	// Reauthenticate asks for a fresh authentication whatever CONNECT's
	// session: prompt=login and max_age=0.
	Reauthenticate bool
}

// PendingLogin is what the app must remember, for this browser only, between
// sending the visitor to CONNECT and the callback. It is secret: whoever
// holds the verifier can redeem the code.
type PendingLogin struct {
	// State ties the callback to this browser (CSRF protection).
	State string `json:"state"`
	// Nonce ties the ID token to this request (replay protection).
	Nonce string `json:"nonce"`
	// CodeVerifier is the PKCE secret whose hash went in the request.
	CodeVerifier string `json:"code_verifier"`
	// ACRValues and MaxAge are what was asked, so the ID token can be
	// checked against them.
	ACRValues string        `json:"acr_values,omitempty"`
	MaxAge    time.Duration `json:"max_age,omitempty"`
	// Sent are the optional parameters the request carried, login_hint
	// masked: none is a secret, and the login's Trace shows them.
	Sent SentParams `json:"sent,omitempty"`
}

// SentParams are a request's optional parameters, kept in the cookie of
// pending logins as one query string: a browser keeps about 4 KB of it,
// for up to four logins, and JSON objects would take twice the room.
type SentParams []Param

// MarshalJSON writes the parameters as a query string.
func (s SentParams) MarshalJSON() ([]byte, error) {
	q := make([]string, len(s))
	for i, p := range s {
		q[i] = url.QueryEscape(p.Name) + "=" + url.QueryEscape(p.Value)
	}
	return json.Marshal(strings.Join(q, "&"))
}

// UnmarshalJSON reads what MarshalJSON wrote, in the same order.
func (s *SentParams) UnmarshalJSON(b []byte) error {
	var raw string
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = nil
	for pair := range strings.SplitSeq(raw, "&") {
		name, value, _ := strings.Cut(pair, "=")
		n, err1 := url.QueryUnescape(name)
		v, err2 := url.QueryUnescape(value)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("sent parameters: %w", err)
		}
		if n != "" {
			*s = append(*s, Param{Name: n, Value: v, Masked: n == "login_hint"})
		}
	}
	return nil
}

// AuthorizationURL builds the URL that sends the browser to CONNECT's login,
// and the PendingLogin to keep until the callback. Every request gets a new
// state, nonce and PKCE verifier (S256), for public and confidential
// clients alike.
func (c *Client) AuthorizationURL(ctx context.Context, opts AuthOptions) (string, PendingLogin, error) {
	p, err := c.discovered(ctx)
	if err != nil {
		return "", PendingLogin{}, err
	}
	pending := PendingLogin{
		State:        randomValue(),
		Nonce:        randomValue(),
		CodeVerifier: oauth2.GenerateVerifier(),
		ACRValues:    opts.ACRValues,
		MaxAge:       opts.MaxAge.Truncate(time.Second),
	}
	params := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("nonce", pending.Nonce),
		oauth2.S256ChallengeOption(pending.CodeVerifier),
	}
	optional := []struct{ name, value string }{
		{"prompt", opts.Prompt},
		{"acr_values", opts.ACRValues},
		{"ui_locales", opts.UILocales},
		{"login_hint", opts.LoginHint},
	}
	switch {
	case opts.Reauthenticate:
		optional[0].value = "login"
		optional = append(optional, struct{ name, value string }{"max_age", "0"})
	case pending.MaxAge > 0:
		optional = append(optional, struct{ name, value string }{"max_age", strconv.Itoa(int(pending.MaxAge.Seconds()))})
	}
	for _, o := range optional {
		if o.value == "" {
			continue
		}
		params = append(params, oauth2.SetAuthURLParam(o.name, o.value))
		shown := Param{Name: o.name, Value: o.value}
		if o.name == "login_hint" {
			shown.Value, shown.Masked = MaskLoginHint(o.value), true
		}
		pending.Sent = append(pending.Sent, shown)
	}
	return p.oauth2.AuthCodeURL(pending.State, params...), pending, nil
}

// randomValue returns 32 bytes from crypto/rand, base64url encoded: a state
// or nonce nobody can guess, and that carries no data.
func randomValue() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails; see crypto/rand.Read
	return base64.RawURLEncoding.EncodeToString(b)
}
