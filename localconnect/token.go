package localconnect

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// tokenResponse is the successful token response (RFC 6749 5.1, OIDC Core 3.1.3.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	IDToken      string `json:"id_token,omitempty"`
}

// handleToken serves POST {issuer}/token: the authorization_code and
// refresh_token grants.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if status := s.currentFaults().TokenStatus; status != 0 {
		writeOAuthError(w, errorForStatus(status))
		return
	}
	client, oerr := s.authenticateClient(r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	var (
		tokens  tokenSet
		refused *oauthError
	)
	grantType := r.PostFormValue("grant_type")
	switch grantType {
	case "authorization_code":
		tokens, refused = s.store.exchangeCode(r.PostFormValue("code"), client.ID,
			r.PostFormValue("redirect_uri"), r.PostFormValue("code_verifier"))
	case "refresh_token":
		var scope []string
		if requested := r.PostFormValue("scope"); requested != "" {
			scope = strings.Fields(requested)
		}
		tokens, refused = s.store.refresh(r.PostFormValue("refresh_token"), client.ID, scope)
	case "":
		writeOAuthError(w, invalidRequest("grant_type is missing"))
		return
	default:
		writeOAuthError(w, &oauthError{http.StatusBadRequest, "unsupported_grant_type", "use authorization_code or refresh_token"})
		return
	}
	if refused != nil {
		s.log.Info("token request refused", "client_id", client.ID, "grant_type", grantType,
			"error", refused.Code, "reason", refused.Description)
		writeOAuthError(w, refused)
		return
	}
	idToken, err := s.idToken(tokens)
	if err != nil {
		s.log.Error("sign ID token", "err", err)
		writeOAuthError(w, &oauthError{http.StatusInternalServerError, "server_error", "could not sign the ID token"})
		return
	}
	s.log.Info("tokens issued", "client_id", client.ID, "grant_type", grantType,
		"sub", tokens.grant.sub, "sid", tokens.grant.sid)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken:  tokens.access,
		TokenType:    "Bearer",
		ExpiresIn:    int(s.accessTokenTTL.Seconds()),
		RefreshToken: tokens.refresh,
		Scope:        strings.Join(tokens.scope, " "),
		IDToken:      idToken,
	})
}

func isSubset(sub, of []string) bool {
	for _, v := range sub {
		if !slices.Contains(of, v) {
			return false
		}
	}
	return true
}

// authenticateClient applies CONNECT's rules, shared by the token and
// revocation endpoints: a confidential client must use HTTP Basic; a public
// client sends only client_id in the form body and must not use Basic.
func (s *Server) authenticateClient(r *http.Request) (Client, *oauthError) {
	if r.PostFormValue("client_secret") != "" {
		return Client{}, invalidClient("client_secret in the form body is not supported; use HTTP Basic")
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		client, ok := s.clients[r.PostFormValue("client_id")]
		switch {
		case !ok:
			return Client{}, invalidClient("unknown client_id")
		case client.Secret != "":
			return Client{}, invalidClient("a confidential client must authenticate with HTTP Basic")
		}
		return client, nil
	}
	// RFC 6749 2.3.1: id and secret are form-encoded before Basic encoding.
	id, errID := url.QueryUnescape(id)
	secret, errSecret := url.QueryUnescape(secret)
	client, ok := s.clients[id]
	switch {
	case errID != nil || errSecret != nil || !ok:
		return Client{}, invalidClient("unknown client or bad credentials")
	case client.Secret == "":
		return Client{}, invalidClient("a public client must not use HTTP Basic; send client_id in the body")
	case subtle.ConstantTimeCompare([]byte(secret), []byte(client.Secret)) != 1:
		return Client{}, invalidClient("unknown client or bad credentials")
	case r.PostFormValue("client_id") != "" && r.PostFormValue("client_id") != id:
		return Client{}, invalidRequest("client_id in the body differs from HTTP Basic")
	}
	return client, nil
}

// idToken signs the ID token for a token response (OIDC Core 2 and 3.1.3.6,
// plus CONNECT's acr, amr, sid, td_sls and td_au), then applies the faults.
func (s *Server) idToken(t tokenSet) (string, error) {
	g := t.grant
	now := s.now()
	claims := map[string]any{
		"iss":       s.issuer,
		"sub":       g.sub,
		"aud":       []string{g.clientID},
		"azp":       g.clientID,
		"exp":       now.Add(s.idTokenTTL).Unix(),
		"iat":       now.Unix(),
		"auth_time": g.authTime.Unix(),
		"acr":       g.acr,
		"amr":       g.amr,
		"sid":       g.sid,
		"td_sls":    g.tdSLS,
	}
	if t.idTokenNonce != "" {
		claims["nonce"] = t.idTokenNonce
	}
	if user, ok := s.user(g.sub); ok {
		if slices.Contains(t.scope, "profile") {
			claims["name"] = user.Name
		}
		if slices.Contains(t.scope, "email") && slices.Contains(t.scope, "phone") {
			claims["td_au"] = user.Email
		}
	}
	for name, value := range s.currentFaults().IDTokenClaims {
		if value == nil {
			delete(claims, name)
		} else {
			claims[name] = value
		}
	}
	return sign(s.keys.signing().idTokens, claims)
}
