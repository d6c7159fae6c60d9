package localconnect

import (
	"encoding/json"
	"net/http"
)

// oauthError is an OAuth 2.0 error (RFC 6749 4.1.2.1 and 5.2): sent as JSON by
// the token, revocation and userinfo endpoints, or as query parameters on a
// redirect back from the authorization endpoint.
type oauthError struct {
	status      int
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func invalidRequest(description string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_request", description}
}

func invalidClient(description string) *oauthError {
	return &oauthError{http.StatusUnauthorized, "invalid_client", description}
}

// invalidGrant reports a code or refresh token that is unknown, used,
// expired, revoked or not this client's (RFC 6749 5.2).
func invalidGrant(description string) *oauthError {
	return &oauthError{http.StatusBadRequest, "invalid_grant", description}
}

func serverError(description string) *oauthError {
	return &oauthError{http.StatusInternalServerError, "server_error", description}
}

// errorForStatus is the error a fault-injected status is reported with.
func errorForStatus(status int) *oauthError {
	code := "server_error"
	switch {
	case status == http.StatusServiceUnavailable:
		code = "temporarily_unavailable"
	case status == http.StatusUnauthorized:
		code = "invalid_token"
	case status < 500:
		code = "invalid_request"
	}
	return &oauthError{status, code, "fault injected by the test (localconnect.Faults)"}
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized && e.Code == "invalid_client" {
		// RFC 6749 5.2: a 401 for client authentication names the scheme.
		w.Header().Set("WWW-Authenticate", `Basic realm="localconnect"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}
