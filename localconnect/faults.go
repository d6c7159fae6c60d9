package localconnect

import "maps"

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
}

// SetFaults replaces the faults in force; SetFaults(Faults{}) clears them.
func (s *Server) SetFaults(f Faults) {
	f.IDTokenClaims = maps.Clone(f.IDTokenClaims)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
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
