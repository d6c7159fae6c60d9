// Package connect is a small client for Telenor CONNECT ID, the OAuth 2.0 and
// OpenID Connect authorization server. It covers what a web site does at
// CONNECT: discovery, the authorization URL, the code exchange, ID token
// checks, userinfo, refresh, revocation, the logout URL, back-channel
// logout tokens, and the validation of access tokens presented to a
// resource server.
//
// It knows nothing of HTTP handlers or sessions, so it can be lifted into
// another application as it is, tests included: they run against a test
// provider of their own. It works against any standards-compliant OpenID
// provider; the CONNECT-specific parts are the claims (acr, td_sls, sid,
// ...) and the fallback endpoint paths, used on CONNECT's own hosts only.
//
// # Errors a caller sorts
//
// Every failure a caller must tell apart is one of the errors below (test
// with errors.Is), a *ProviderError (IsInvalidGrant) or a *ClaimError
// (errors.As). What each should become:
//
//	ErrUnavailable              503 "try again later": CONNECT, or its keys, did not answer
//	ErrBadResponse, ErrTokenType,
//	ErrAccessTokenHash,
//	ErrIDTokenMissing, ErrIDTokenInvalid, ErrMissingSubject,
//	ErrUntrustedAudience, ErrAuthorizedParty, ErrIssuedAt,
//	ErrSubjectChanged, ErrUserInfoSubMismatch,
//	a *ProviderError (other)    502 "CONNECT's answer was not accepted"
//	IsInvalidGrant(err)         the grant is gone: at the callback 400 "log in again";
//	                            on refresh, end the session
//	ErrNoRefreshToken           end the session: only a new login helps
//	ErrNonceMismatch            400: the callback is not this browser's login
//	ErrInsufficientACR,
//	ErrAuthTimeTooOld           403 "not strong or recent enough" (a *ClaimError says why)
//	ErrAccessTokenRejected      refresh once and try again; then 502
//	ErrLogoutTokenInvalid       400 to the back-channel logout POST
//	ErrInvalidAccessToken       401 with WWW-Authenticate: Bearer error="invalid_token"
//	ErrNoEndSession             no error page: offer only "log out of this app"
//
// Exchange and Refresh revoke the tokens of an answer they refuse, so
// nothing the app will not use stays valid at CONNECT.
package connect

import (
	"errors"
	"fmt"
)

// ErrUnavailable means CONNECT could not be reached or answered with a
// server error, or its keys could not be fetched. Nothing the visitor did
// is wrong.
var ErrUnavailable = errors.New("connect: CONNECT is unavailable")

// ErrBadResponse is an answer from CONNECT that the client cannot use: an
// unexpected status, or a body that does not parse.
var ErrBadResponse = errors.New("connect: unexpected answer from CONNECT")

// Token responses refused. Both are ErrBadResponse too.
var (
	// ErrTokenType: RFC 6750 bearer tokens are all this client knows how
	// to use, so a token_type other than Bearer (any case) is refused.
	ErrTokenType = fmt.Errorf("%w: token_type is not Bearer", ErrBadResponse)
	// ErrAccessTokenHash: the ID token's at_hash does not match the access
	// token that came with it (OIDC Core 3.1.3.8): one was swapped.
	ErrAccessTokenHash = fmt.Errorf("%w: ID token at_hash does not match the access token", ErrBadResponse)
)

// The checks of OIDC Core 3.1.3.7 that go-oidc leaves to its caller. Each
// has its own error so a log line says exactly which check failed.
var (
	ErrIDTokenMissing      = errors.New("connect: token response has no id_token")
	ErrIDTokenInvalid      = errors.New("connect: ID token rejected") // signature, alg, iss, aud or exp: go-oidc's checks
	ErrNonceMismatch       = errors.New("connect: ID token nonce does not match the request")
	ErrMissingSubject      = errors.New("connect: ID token has no sub")
	ErrUntrustedAudience   = errors.New("connect: ID token has an audience other than this client")
	ErrAuthorizedParty     = errors.New("connect: ID token azp is not this client")
	ErrIssuedAt            = errors.New("connect: ID token iat is missing or outside the allowed window")
	ErrInsufficientACR     = errors.New("connect: ID token acr is below the level requested")
	ErrAuthTimeTooOld      = errors.New("connect: ID token auth_time is older than max_age allows")
	ErrSubjectChanged      = errors.New("connect: ID token is for another user than the session's")
	ErrUserInfoSubMismatch = errors.New("connect: userinfo sub differs from the ID token's")
)

// ErrNoRefreshToken means the session holds no refresh token, so access
// cannot be renewed without a new login.
var ErrNoRefreshToken = errors.New("connect: no refresh token to refresh with")

// ErrAccessTokenRejected is a 401 from userinfo: the access token expired
// early or was revoked. Refresh once and try again.
var ErrAccessTokenRejected = errors.New("connect: CONNECT rejected the access token")

// ErrLogoutTokenInvalid is any reason to refuse a back-channel logout
// token, an unknown signing key included.
var ErrLogoutTokenInvalid = errors.New("connect: logout token rejected")

// ErrInvalidAccessToken is an access token presented to a resource server
// that is not valid: inactive, expired, for another audience, badly
// signed, or refused by userinfo.
var ErrInvalidAccessToken = errors.New("connect: access token is not valid")

// ErrNoEndSession means the provider has no end-session endpoint, so the
// user cannot be logged out of it from here: "log out everywhere" must not
// be offered.
var ErrNoEndSession = errors.New("connect: the provider has no end-session endpoint")
