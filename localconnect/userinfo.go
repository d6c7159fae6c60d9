package localconnect

import (
	"net/http"
	"slices"
	"strings"
)

// handleUserinfo serves GET and POST {issuer}/userinfo (OIDC Core 5.3): the
// user's claims, as far as the access token's scope allows.
func (s *Server) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	faults := s.currentFaults()
	if faults.UserinfoStatus != 0 {
		e := errorForStatus(faults.UserinfoStatus)
		if e.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		}
		writeOAuthError(w, e)
		return
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		// RFC 6750 3.1: no credentials, so no error code.
		w.Header().Set("WWW-Authenticate", `Bearer realm="localconnect"`)
		writeOAuthError(w, &oauthError{http.StatusUnauthorized, "invalid_request", "send the access token as Authorization: Bearer"})
		return
	}
	at, ok := s.store.accessToken(token)
	user, known := s.user(at.sub)
	if !ok || !known {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="the access token is unknown, expired or revoked"`)
		writeOAuthError(w, &oauthError{http.StatusUnauthorized, "invalid_token", "the access token is unknown, expired or revoked"})
		return
	}
	claims := userClaims(user, at.scope)
	if faults.UserinfoSubject != "" {
		claims["sub"] = faults.UserinfoSubject
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, claims)
}

// userClaims maps scopes to claims as CONNECT does (OIDC Core 5.4; no address).
func userClaims(u User, scope []string) map[string]any {
	claims := map[string]any{"sub": u.Sub}
	if slices.Contains(scope, "profile") {
		claims["name"] = u.Name
		claims["locale"] = u.Locale
	}
	if slices.Contains(scope, "email") {
		claims["email"] = u.Email
		claims["email_verified"] = u.EmailVerified
	}
	if slices.Contains(scope, "phone") {
		claims["phone_number"] = u.PhoneNumber
		claims["phone_number_verified"] = u.PhoneNumberVerified
	}
	return claims
}
