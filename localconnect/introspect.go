package localconnect

import (
	"net/http"
	"strings"
)

// introspection is the introspection endpoint's answer (RFC 7662 2.2). An
// inactive token gets {"active":false} and nothing else.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Sub       string `json:"sub,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Aud       string `json:"aud,omitempty"`
}

// handleIntrospect serves POST {issuer}/introspect (RFC 7662), offered only
// with Options.Introspection. The caller authenticates as at the token
// endpoint. It learns about access tokens issued to itself only: any other
// token, and any unknown, expired or revoked one, is just not active
// (RFC 7662 2.2), so the endpoint tells nobody which tokens exist.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	if status := s.currentFaults().IntrospectionStatus; status != 0 {
		writeOAuthError(w, errorForStatus(status))
		return
	}
	client, oerr := s.authenticateClient(r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	token := r.PostFormValue("token")
	if token == "" {
		writeOAuthError(w, invalidRequest("token is missing"))
		return
	}
	// token_type_hint is ignored: only access tokens are ever active here,
	// as a resource server is never handed a refresh token.
	var answer introspection
	faults := s.currentFaults()
	if at, ok := s.store.accessToken(token); ok && (at.clientID == client.ID || faults.IntrospectionOfAnyClient) {
		answer = introspection{
			Active:    true,
			Scope:     strings.Join(at.scope, " "),
			ClientID:  at.clientID,
			Sub:       at.sub,
			TokenType: "Bearer",
			Exp:       at.expires.Unix(),
			Iat:       at.issued.Unix(),
			Iss:       s.issuer,
			Aud:       at.clientID,
		}
		if faults.IntrospectionWithoutAudience {
			answer.Aud = ""
		}
	}
	s.log.Info("token introspection", "client_id", client.ID, "active", answer.Active)
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, answer)
}
