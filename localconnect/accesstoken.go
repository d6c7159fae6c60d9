package localconnect

import (
	"fmt"
	"strings"
	"time"
)

// AccessTokenFormat is the form of the access tokens the stand-in issues.
type AccessTokenFormat string

// The access-token formats (setting LOCAL_CONNECT_ACCESS_TOKENS).
const (
	// OpaqueAccessTokens are random strings that mean something only to the
	// stand-in: a resource server asks userinfo or introspection about them.
	OpaqueAccessTokens AccessTokenFormat = "opaque"
	// JWTAccessTokens are signed JWTs (RFC 9068) that a resource server can
	// validate on its own with the JWK set.
	JWTAccessTokens AccessTokenFormat = "jwt"
)

func (f AccessTokenFormat) check() error {
	switch f {
	case "", OpaqueAccessTokens, JWTAccessTokens:
		return nil
	}
	return fmt.Errorf("localconnect: access-token format %q is neither %q nor %q", f, OpaqueAccessTokens, JWTAccessTokens)
}

// newAccessToken makes the string of an access token for g. The store keeps
// it, whatever its format, so userinfo, introspection and revocation treat
// both formats alike.
//
// A JWT access token carries what RFC 9068 2.2 asks, with the client as its
// audience. Revoking one removes it from the store, so userinfo and
// introspection refuse it at once, but its signature stays valid until exp:
// a resource server that validates JWTs alone accepts it until then. That
// is why the app caches a validation for at most a short, stated time.
func (s *Server) newAccessToken(g *grant, scope []string, issued, expires time.Time) (string, error) {
	if s.accessTokenFormat != JWTAccessTokens {
		return randomString(), nil
	}
	return sign(s.keys.signing().accessTokens, map[string]any{
		"iss":       s.issuer,
		"sub":       g.sub,
		"aud":       g.clientID,
		"client_id": g.clientID,
		"exp":       expires.Unix(),
		"iat":       issued.Unix(),
		"jti":       randomString(),
		"scope":     strings.Join(scope, " "),
		"auth_time": g.authTime.Unix(),
		"acr":       g.acr,
	})
}
