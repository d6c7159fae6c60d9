package regcheck

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// clientAuthentication checks that the token endpoint accepts the client:
// a token request with a made-up code and the configured credentials. A
// provider checks the client before the code (RFC 6749 3.2.1, 5.2), so
// invalid_grant says the credentials are right and the code is not, and
// invalid_client that the credentials are wrong.
//
// The secret goes only where the app would send it, and only once the
// check knows that is CONNECT: discovery's issuer must be the configured
// one exactly, and the token endpoint on the issuer's host, over https or
// on this machine. Otherwise nothing is sent.
func (c *checker) clientAuthentication(ctx context.Context, doc discoveryDocument, issuerMatches bool) {
	if doc.Token == "" {
		return // the endpoints line says so
	}
	if !issuerMatches {
		c.add(Fail, "check.client.not_sent_issuer", doc.Token)
		return
	}
	if !onIssuerHost(c.Issuer, doc.Token) {
		c.add(Fail, "check.client.not_sent_endpoint", doc.Token, c.Issuer)
		return
	}
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {"regcheck-" + random()},
		"code_verifier": {random()},
	}
	if c.RedirectURL != "" {
		form.Set("redirect_uri", c.RedirectURL)
	}
	if c.ClientSecret == "" {
		form.Set("client_id", c.ClientID) // a public client, as the app sends it
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, doc.Token, strings.NewReader(form.Encode()))
	if err != nil {
		c.add(Fail, "check.client.failed", doc.Token, err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.ClientSecret != "" {
		// HTTP Basic, form-encoded first (RFC 6749 2.3.1), as the app's
		// x/oauth2 sends it.
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	resp, err := c.HTTPClient.Do(req)
	if err != nil {
		c.add(Fail, "check.client.failed", doc.Token, err.Error())
		return
	}
	defer resp.Body.Close()
	var answer struct {
		Error string `json:"error"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, maxAnswer)).Decode(&answer)
	confidential := c.ClientSecret != ""
	switch {
	case answer.Error == "invalid_grant" && confidential:
		c.add(Pass, "check.client.ok_confidential", c.ClientID)
	case answer.Error == "invalid_grant":
		c.add(Pass, "check.client.ok_public", c.ClientID)
	case answer.Error == "invalid_client" && confidential:
		c.add(Fail, "check.client.refused_confidential", c.ClientID)
	case answer.Error == "invalid_client":
		c.add(Fail, "check.client.refused_public", c.ClientID)
	default:
		c.add(Unknown, "check.client.unknown", doc.Token, answered(resp.Status, answer.Error))
	}
}

// onIssuerHost reports whether endpoint is on the issuer's host and port,
// over https, or over http on this machine: where the app may send the
// client secret.
func onIssuerHost(issuer, endpoint string) bool {
	iss, err1 := url.Parse(issuer)
	ep, err2 := url.Parse(endpoint)
	if err1 != nil || err2 != nil || !strings.EqualFold(iss.Host, ep.Host) {
		return false
	}
	return ep.Scheme == "https" || ep.Scheme == "http" && isLoopback(ep.Hostname())
}

// redirectURI checks that the redirect URI is registered for the client:
// an authorization request with prompt=none is answered at once, by a
// redirect back to the redirect URI (with an error such as login_required,
// since the check has no CONNECT session) when it is registered, and by
// CONNECT's own error page when it is not (RFC 6749 4.1.2.1: never a
// redirect to an unregistered URI). The redirect is read, never followed.
func (c *checker) redirectURI(ctx context.Context, doc discoveryDocument) {
	if doc.Authorization == "" || c.RedirectURL == "" {
		return // the endpoints line, or APP_BASE_URL's, says so
	}
	authorize, err := url.Parse(doc.Authorization)
	if err != nil {
		c.add(Unknown, "check.redirect.unknown", c.RedirectURL, err.Error())
		return
	}
	state := random()
	challenge := sha256.Sum256([]byte(random()))
	q := authorize.Query()
	for name, value := range map[string]string{
		"response_type":         "code",
		"client_id":             c.ClientID,
		"redirect_uri":          c.RedirectURL,
		"scope":                 cmp.Or(strings.Join(c.Scopes, " "), "openid"), // none when CONNECT_SCOPES was refused
		"state":                 state,
		"nonce":                 random(),
		"code_challenge":        base64.RawURLEncoding.EncodeToString(challenge[:]),
		"code_challenge_method": "S256",
		"prompt":                "none",
	} {
		q.Set(name, value)
	}
	authorize.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorize.String(), nil)
	if err != nil {
		c.add(Unknown, "check.redirect.unknown", c.RedirectURL, err.Error())
		return
	}
	resp, err := c.HTTPClient.Do(req)
	if err != nil {
		// A *url.Error quotes the whole request URL, this check's state
		// and nonce with it: say only what went wrong.
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		c.add(Unknown, "check.redirect.unknown", c.RedirectURL, err.Error())
		return
	}
	resp.Body.Close()
	location, err := resp.Location()
	switch {
	case err == nil && sameEndpoint(location, c.RedirectURL):
		back := location.Query()
		outcome := back.Get("error")
		if outcome == "" && back.Get("code") != "" {
			outcome = "code" // only the word: a code is never shown
		}
		if back.Get("state") != state || outcome == "" {
			c.add(Unknown, "check.redirect.unknown", c.RedirectURL, answered(resp.Status, "no state or outcome"))
			return
		}
		c.add(Pass, "check.redirect.ok", c.RedirectURL, outcome)
	case err == nil:
		// Sent on, but not back: to a login page, most likely, which
		// prompt=none forbids. Only where, not the query.
		location.RawQuery, location.Fragment = "", ""
		c.add(Unknown, "check.redirect.elsewhere", c.RedirectURL, location.String())
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		c.add(Fail, "check.redirect.refused", c.RedirectURL, resp.Status, c.ClientID)
	default:
		c.add(Unknown, "check.redirect.unknown", c.RedirectURL, resp.Status)
	}
}

// sameEndpoint reports whether u is the redirect URI, its query aside.
func sameEndpoint(u *url.URL, redirectURI string) bool {
	want, err := url.Parse(redirectURI)
	return err == nil && u.Scheme == want.Scheme && strings.EqualFold(u.Host, want.Host) && u.Path == want.Path
}

// answered is an answer for a line: the status, and the error code when
// there is one.
func answered(status, code string) string {
	if code == "" {
		return status
	}
	return status + ", " + code
}

// random is 32 random bytes, base64url: a made-up code, state, nonce or
// verifier, used once and never shown.
func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// isLoopback reports whether host (without port) names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
