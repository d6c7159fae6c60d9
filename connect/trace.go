package connect

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// A partner's first logins against CONNECT staging fail in ways the error
// page cannot explain (a scope not granted, a clock that is off). So every
// successful login and refresh comes with a Trace: what went over the wire,
// as facts a page can show in any language and a partner can paste into a
// support question. Nothing in it is secret: state, nonce and the PKCE
// challenge appear as their lengths, the code and the tokens as their
// lengths, login_hint masked, the client secret never.

// Trace is one exchange with CONNECT as it went: a login (authorization
// request, callback, token request, ID token checks) or a refresh (token
// request, and checks when a new ID token came).
type Trace struct {
	// Authorization is the request that sent the browser to CONNECT; nil
	// for a refresh.
	Authorization *AuthorizationTrace `json:"authorize,omitempty"`
	// Callback is what CONNECT sent back to the redirect URI. This package
	// does not see that request: the web flow that does fills it in.
	Callback *CallbackTrace `json:"callback,omitempty"`
	Token    TokenCall      `json:"token"`
	// Checks are the ID token's checks in the order made; none when the
	// answer had no ID token (a refresh may have none).
	Checks []Check `json:"checks,omitempty"`
}

// AuthorizationTrace is the authorization request: where it went and
// every parameter it carried, as Params shows them.
type AuthorizationTrace struct {
	Endpoint string  `json:"endpoint"`
	Params   []Param `json:"params"`
}

// Param is one request parameter as it may be shown: its value; or, for
// a random value (state, nonce, code_challenge), only its length; or a
// value with its middle hidden (login_hint, a phone number or e-mail).
type Param struct {
	Name  string `json:"n"`
	Value string `json:"v,omitempty"`
	// Random is the length of a random value that is never shown.
	Random int  `json:"r,omitempty"`
	Masked bool `json:"m,omitempty"`
}

// CallbackTrace is what came back to the redirect URI.
type CallbackTrace struct {
	// Params are the names of the query's parameters, never their values.
	Params     []string `json:"params"`
	CodeLength int      `json:"code_length"`
	// StateMatched is that the state named a login this browser started;
	// a callback that fails it never gets a session, nor a trace.
	StateMatched bool `json:"state_matched"`
	// Issuer is the iss parameter (RFC 9207), when CONNECT sent one.
	Issuer string `json:"iss,omitempty"`
}

// Client authentication at the token endpoint, as TokenCall.ClientAuth
// names it (RFC 8414's token_endpoint_auth_method values).
const (
	ClientAuthBasic = "client_secret_basic" // confidential: HTTP Basic
	ClientAuthNone  = "none"                // public: client_id in the body
)

// TokenCall is one request to the token endpoint and its answer.
type TokenCall struct {
	Endpoint   string `json:"endpoint"`
	GrantType  string `json:"grant_type"`
	ClientAuth string `json:"client_auth"`
	// At is when the request was sent, by the client's clock; Took how
	// long the answer took.
	At   time.Time     `json:"at"`
	Took time.Duration `json:"took"`
	// Status is the HTTP status of the answer.
	Status    int    `json:"status"`
	TokenType string `json:"token_type,omitempty"`
	ExpiresIn int64  `json:"expires_in,omitempty"`
	// Scope is the answer's scope; empty when it left it out (RFC 6749
	// 5.1: then it is what was asked).
	Scope string `json:"scope,omitempty"`
	// Tokens are those the answer carried, by name, with their lengths.
	Tokens []TokenLength `json:"tokens"`
}

// TokenLength names a token of an answer and its length, never its value.
type TokenLength struct {
	Name   string `json:"n"`
	Length int    `json:"l"`
}

// Check is one check of an ID token. Value is what the token said, when
// that is no secret (never the nonce); Want what it was held to, when
// that is not simply this client or its issuer.
type Check struct {
	Name string `json:"n"`
	// Absent is a claim the token left out, which this check allows
	// (azp, at_hash, acr or auth_time when nothing was asked of them).
	Absent bool   `json:"a,omitempty"`
	Value  string `json:"v,omitempty"`
	Want   string `json:"w,omitempty"`
}

// The checks' names, in the order they are made: go-oidc's (iss, aud,
// exp, then the signature), then ours (checkClaims), then at_hash.
const (
	CheckIssuer    = "iss"
	CheckAudience  = "aud"
	CheckExpiry    = "exp"
	CheckSignature = "signature" // Value: the algorithm; Want: the key id
	CheckNonce     = "nonce"
	CheckAZP       = "azp"
	CheckIssuedAt  = "iat"
	CheckACR       = "acr"
	CheckAuthTime  = "auth_time" // Want: max_age in seconds, when sent
	CheckSameUser  = "same_user" // refresh: iss, sub and aud as before
	CheckATHash    = "at_hash"
)

// authorizationTrace is the authorization request pending was made for,
// as it went: the parameters x/oauth2 adds, the secrets as lengths, then
// the optional ones it carried (PendingLogin.Sent).
func (c *Client) authorizationTrace(p *provider, pending PendingLogin) *AuthorizationTrace {
	params := []Param{
		{Name: "response_type", Value: "code"},
		{Name: "client_id", Value: c.cfg.ClientID},
		{Name: "redirect_uri", Value: c.cfg.RedirectURL},
		{Name: "scope", Value: strings.Join(c.cfg.Scopes, " ")},
		{Name: "state", Random: len(pending.State)},
		{Name: "nonce", Random: len(pending.Nonce)},
		{Name: "code_challenge", Random: len(oauth2.S256ChallengeFromVerifier(pending.CodeVerifier))},
		{Name: "code_challenge_method", Value: "S256"},
	}
	return &AuthorizationTrace{Endpoint: p.endpoints.Authorization, Params: append(params, pending.Sent...)}
}

// tokenCall starts the trace of a call to the token endpoint; finish
// completes it with the answer.
func (c *Client) tokenCall(p *provider, grantType string) TokenCall {
	auth := ClientAuthBasic
	if c.cfg.ClientSecret == "" {
		auth = ClientAuthNone
	}
	return TokenCall{Endpoint: p.endpoints.Token, GrantType: grantType, ClientAuth: auth, At: c.cfg.Now()}
}

// finish fills in the answer's facts: tok is x/oauth2's token, which
// still holds the answer's raw fields.
func (t *TokenCall) finish(started time.Time, tok *oauth2.Token) {
	t.Took = time.Since(started).Round(time.Millisecond)
	t.TokenType, t.ExpiresIn = tok.TokenType, tok.ExpiresIn
	if scope, ok := tok.Extra("scope").(string); ok {
		t.Scope = scope
	}
	for _, f := range []struct{ name, value string }{
		{"access_token", tok.AccessToken}, {"refresh_token", tok.RefreshToken}, {"id_token", stringExtra(tok, "id_token")},
	} {
		if f.value != "" {
			t.Tokens = append(t.Tokens, TokenLength{Name: f.name, Length: len(f.value)})
		}
	}
}

func stringExtra(tok *oauth2.Token, name string) string {
	s, _ := tok.Extra(name).(string)
	return s
}

// tracedContext hands our HTTP client to x/oauth2 and go-oidc for one
// token request, with the answer's HTTP status going into call: x/oauth2
// keeps the status of an answer it accepts to itself.
func (c *Client) tracedContext(ctx context.Context, call *TokenCall) context.Context {
	hc := *c.cfg.HTTPClient
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = statusRecorder{next: next, status: &call.Status}
	return oidc.ClientContext(context.WithValue(ctx, oauth2.HTTPClient, &hc), &hc)
}

type statusRecorder struct {
	next   http.RoundTripper
	status *int
}

func (s statusRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err == nil {
		*s.status = resp.StatusCode
	}
	return resp, err
}

// idTokenChecks lists the checks a verified ID token passed, in the order
// verifyIDToken and checkAccessTokenHash made them, with what the token
// said. Only called once every check has passed.
func (c *Client) idTokenChecks(raw string, claims *Claims, token *oidc.IDToken, want Expectations) []Check {
	alg, kid := jwtHeader(raw)
	checks := []Check{
		{Name: CheckIssuer, Value: claims.Issuer},
		{Name: CheckAudience, Value: strings.Join(claims.Audience, " ")},
		{Name: CheckExpiry, Value: unixString(claims.Expiry)},
		{Name: CheckSignature, Value: alg, Want: kid},
	}
	if want.Nonce != "" {
		checks = append(checks, Check{Name: CheckNonce})
	}
	checks = append(checks,
		Check{Name: CheckAZP, Value: claims.AuthorizedParty, Absent: claims.AuthorizedParty == ""},
		Check{Name: CheckIssuedAt, Value: unixString(claims.IssuedAt)},
		Check{Name: CheckACR, Value: claims.ACR, Want: want.ACR, Absent: claims.ACR == ""},
		Check{Name: CheckAuthTime, Value: unixString(claims.AuthTime), Want: seconds(want.MaxAge), Absent: claims.AuthTime == 0},
	)
	if want.Previous != nil {
		checks = append(checks, Check{Name: CheckSameUser})
	}
	return append(checks, Check{Name: CheckATHash, Absent: token.AccessTokenHash == ""})
}

// jwtHeader reads alg and kid from a compact JWT's header; empty strings
// when it does not parse (it did, or the token would not have passed).
func jwtHeader(raw string) (alg, kid string) {
	head, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return "", ""
	}
	var h struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(b, &h)
	return h.Alg, h.Kid
}

func unixString(d NumericDate) string {
	if d == 0 {
		return ""
	}
	return strconv.FormatInt(int64(d), 10)
}

func seconds(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	return strconv.Itoa(int(d.Seconds()))
}

// MaskLoginHint hides the middle of a login_hint, which is a phone number
// or an e-mail address: enough is left to recognise it, not to read it.
// An e-mail keeps its first letter and its domain; anything else its
// first three and last two characters.
func MaskLoginHint(hint string) string {
	if hint == "" {
		return ""
	}
	if local, domain, ok := strings.Cut(hint, "@"); ok && local != "" {
		first, _ := utf8.DecodeRuneInString(local)
		return string(first) + "***@" + domain
	}
	r := []rune(hint)
	if len(r) <= 6 {
		return "***"
	}
	return string(r[:3]) + "***" + string(r[len(r)-2:])
}
