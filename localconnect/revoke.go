package localconnect

import "net/http"

// handleRevoke serves POST {issuer}/revoke (RFC 7009). Client authentication
// is as at the token endpoint. The answer is 200 whether or not the token was
// known, so the endpoint tells nobody which tokens exist (RFC 7009 2.2).
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if s.currentFaults().NoRevocation {
		s.handleNotFound(w, r)
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
	// token_type_hint only speeds up a search; the stand-in looks everywhere.
	s.store.revoke(token, client.ID)
	s.log.Info("token revocation", "client_id", client.ID, "token_type_hint", r.PostFormValue("token_type_hint"))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
