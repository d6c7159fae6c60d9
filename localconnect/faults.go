package localconnect

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Faults make the stand-in misbehave as a real provider might, so a client's
// error handling can be tested. The zero value means: behave.
type Faults struct {
	// UserinfoStatus answers userinfo with this status code (e.g. 503).
	UserinfoStatus int
	// UserinfoSubject reports this sub from userinfo instead of the user's,
	// which a client must notice (OIDC Core 5.3.2).
	UserinfoSubject string
	// TokenStatus answers the token endpoint with this status and a JSON
	// error body (503 gives temporarily_unavailable).
	TokenStatus int
	// IntrospectionStatus answers the introspection endpoint with this
	// status code and a JSON error body.
	IntrospectionStatus int
	// IntrospectionOfAnyClient answers introspection about a live access
	// token of any client, not only the caller's, as a provider does that
	// lets one resource server check the tokens of all of a partner's
	// clients. IntrospectionWithoutAudience leaves aud out of the answer,
	// as RFC 7662 2.2 allows: client_id is then all that says whom the
	// token is for. Together they let a test hand an API a token that is
	// active but not meant for it.
	IntrospectionOfAnyClient     bool
	IntrospectionWithoutAudience bool
	// IDTokenClaims sets or overrides these claims in every ID token issued,
	// e.g. "acr": "1" or "sub": "x". A nil value removes the claim.
	IDTokenClaims map[string]any

	// The faults below are the registration mistakes the app's `check`
	// finds; LOCAL_CONNECT_FAULTS starts the stand-in with them by name
	// (NamedFaults), for a demo of the check.

	// DiscoveryIssuer is the issuer discovery reports instead of the
	// stand-in's own, as when CONNECT_ISSUER was typed with or without a
	// trailing slash or /oauth.
	DiscoveryIssuer string
	// ClockSkew sets the stand-in's clock this far ahead (behind, when
	// negative) of the machine's: its Date headers and every time in its
	// tokens.
	ClockSkew time.Duration
	// UnsupportedScopes are left out of discovery's scopes_supported, as
	// for a scope the client may not ask for.
	UnsupportedScopes []string
	// NoRevocation and NoEndSession take the revocation and end-session
	// endpoints out of discovery and answer 404 there, as a provider
	// that has neither does.
	NoRevocation bool
	NoEndSession bool
}

// SetFaults replaces the faults in force; SetFaults(Faults{}) clears them.
func (s *Server) SetFaults(f Faults) {
	f.IDTokenClaims = maps.Clone(f.IDTokenClaims)
	f.UnsupportedScopes = slices.Clone(f.UnsupportedScopes)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	s.clockSkew.Store(int64(f.ClockSkew))
}

// namedFaults are the faults LOCAL_CONNECT_FAULTS can name: the mistakes
// the registration check (`check`) reports, each one it shows as ✗ or a
// note. A wrong secret or an unregistered redirect URI needs no fault:
// set CONNECT_CLIENT_SECRET or APP_BASE_URL to something else and point
// the check at a stand-in started with the right ones.
var namedFaults = map[string]func(s *Server, f *Faults){
	"issuer": func(s *Server, f *Faults) { f.DiscoveryIssuer = s.issuer + "/" },
	"clock":  func(s *Server, f *Faults) { f.ClockSkew = 5 * time.Minute },
	"scope":  func(s *Server, f *Faults) { f.UnsupportedScopes = []string{"phone"} },
	"no_revocation": func(s *Server, f *Faults) {
		f.NoRevocation = true
	},
	"no_end_session": func(s *Server, f *Faults) { f.NoEndSession = true },
}

// FaultNames are the names NamedFaults takes: issuer (discovery's issuer
// has a trailing slash), clock (5 minutes ahead), scope (phone is not in
// scopes_supported), no_revocation and no_end_session.
func FaultNames() []string {
	return slices.Sorted(maps.Keys(namedFaults))
}

// NamedFaults returns the faults the names stand for (see FaultNames).
func (s *Server) NamedFaults(names []string) (Faults, error) {
	var f Faults
	for _, name := range names {
		apply, ok := namedFaults[name]
		if !ok {
			return Faults{}, fmt.Errorf("localconnect: no fault named %q; the faults are %s", name, strings.Join(FaultNames(), ", "))
		}
		apply(s, &f)
	}
	return f, nil
}

func (s *Server) currentFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// ExpireAccessTokens makes every access token issued so far answer 401 at
// userinfo from now on, to test a client's refresh on 401. Refresh tokens
// keep working.
func (s *Server) ExpireAccessTokens() {
	s.store.expireAccessTokens()
}

// SignLogoutToken signs any claims with the stand-in's key, as a logout
// token, so a test can hand a client's back-channel receiver a token that
// is properly signed yet wrong in exactly one way (a nonce, no events, a
// foreign audience, ...).
func (s *Server) SignLogoutToken(claims map[string]any) (string, error) {
	return sign(s.keys.signing().logoutTokens, claims)
}
