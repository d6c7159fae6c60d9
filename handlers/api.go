package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/connectweb"
	"github.com/telenordigital/connect-web-sample/store"
)

// Step 10 of CONNECT's guide, from the other side: a resource server (an
// API of the partner's) is handed an access token and must make sure
// CONNECT issued it before answering. /api/me is such an API, in the
// smallest form: it answers who the token is for.
//
// The rules of RFC 6750 for a resource server apply. The token comes in
// the Authorization header and nowhere else (a token in a URL ends up in
// logs and Referer headers; one in a cookie would let any site make the
// browser send it). A request without a token gets 401 and
// "WWW-Authenticate: Bearer"; a token that does not validate, 401 with
// error="invalid_token". The validation itself is connect's
// ValidateAccessToken (introspection, a JWT access token, or userinfo),
// under APIPolicy: a token must be meant for this API (API_AUDIENCE, or
// API_ALLOWED_CLIENTS when an introspection answer names no audience), and
// userinfo, which cannot tell, is used only while API_ALLOW_USERINFO
// allows it. Every answer says which path validated the token
// (validated_by). What is found for a valid token is kept in Redis for at
// most a minute,
// so a client that calls the API often costs CONNECT one call a minute,
// and a token revoked at CONNECT stops working here within that minute.

// apiRealm names this API in WWW-Authenticate.
const apiRealm = "connect-sample"

// apiAnswer is the JSON /api/me answers with.
type apiAnswer struct {
	Subject  string `json:"sub,omitempty"`
	Scope    string `json:"scope,omitempty"`
	Expiry   int64  `json:"exp,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	// ValidatedBy says how the token was found valid: "introspection",
	// "jwt" or "userinfo"; Cached that the answer came from the cache.
	ValidatedBy string `json:"validated_by,omitempty"`
	Cached      bool   `json:"cached,omitempty"`

	Error            string `json:"error,omitempty"`
	ErrorDescription string `json:"error_description,omitempty"`

	retryAfter time.Duration // with a 429: when the address's limit allows another
}

// handleAPIMe is GET /api/me: who the bearer of an access token is. No
// cookie, no session: only the Authorization header counts.
func (app *App) handleAPIMe(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	token, refused := bearerToken(r)
	switch {
	case refused != "":
		// A token presented where it must not be is refused as the
		// contract says of any presented token that does not pass:
		// 401 invalid_token, with the reason.
		app.apiRefuse(w, http.StatusUnauthorized, "invalid_token", refused)
		return
	case token == "":
		app.apiRefuse(w, http.StatusUnauthorized, "", "")
		return
	}
	answer, status := app.validateBearer(r, token)
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", retryAfterSeconds(answer.retryAfter))
	}
	if status == http.StatusUnauthorized {
		app.apiRefuse(w, status, answer.Error, answer.ErrorDescription)
		return
	}
	writeAPIAnswer(w, status, answer)
}

// validateBearer validates token, from the cache when an earlier
// validation is still trusted. A validation that reaches CONNECT counts
// against the client address's limit; when that is spent, the status is
// 429.
func (app *App) validateBearer(r *http.Request, token string) (apiAnswer, int) {
	ctx := r.Context()
	if at, found, err := app.ValidatedTokens.Find(ctx, token, app.Now()); err != nil {
		return app.apiFailure(ctx, err)
	} else if found {
		return answerFor(at, true), http.StatusOK
	}
	path, err := app.Connect.AccessTokenPath(ctx, token)
	if err != nil {
		return app.apiFailure(ctx, err)
	}
	if path.ReachesCONNECT() {
		if wait, ok := app.allowAddress(r); !ok {
			return apiAnswer{Error: "too_many_requests", retryAfter: wait,
				ErrorDescription: "Too many token validations from this address; retry after the number of seconds in Retry-After."}, http.StatusTooManyRequests
		}
	}
	at, err := app.Connect.ValidateAccessToken(ctx, token, app.APIPolicy)
	if err != nil {
		return app.apiFailure(ctx, err)
	}
	if err := app.ValidatedTokens.Remember(ctx, token, at, app.Now()); err != nil {
		// The answer stands; the next call validates again.
		app.Logger.Warn("could not cache a token validation", "error", err, "request_id", requestID(ctx))
	}
	return answerFor(at, false), http.StatusOK
}

func answerFor(at *connect.AccessToken, cached bool) apiAnswer {
	a := apiAnswer{Subject: at.Subject, Scope: at.Scope, ClientID: at.ClientID, ValidatedBy: string(at.Path), Cached: cached}
	if !at.Expiry.IsZero() {
		a.Expiry = at.Expiry.Unix()
	}
	return a
}

// apiFailure sorts a failed validation: the token's fault (401), or
// CONNECT's or Redis's (503, 502), logged once here.
func (app *App) apiFailure(ctx context.Context, err error) (apiAnswer, int) {
	switch {
	case errors.Is(err, connect.ErrInvalidAccessToken):
		app.Logger.Info("access token refused", "reason", connectweb.ClipForLog(err.Error()), "request_id", requestID(ctx))
		return apiAnswer{Error: "invalid_token", ErrorDescription: "The access token is not valid: expired, revoked, or not issued for this API."}, http.StatusUnauthorized
	case errors.Is(err, connect.ErrUnavailable), errors.Is(err, store.ErrUnavailable):
		app.Logger.Error("access token validation unavailable", "error", err, "request_id", requestID(ctx))
		return apiAnswer{Error: "temporarily_unavailable", ErrorDescription: "The token could not be validated just now; try again in a minute."}, http.StatusServiceUnavailable
	default:
		app.Logger.Error("access token validation failed", "error", err, "request_id", requestID(ctx))
		return apiAnswer{Error: "server_error", ErrorDescription: "CONNECT's answer about the token could not be used."}, http.StatusBadGateway
	}
}

// apiRefuse answers 400 or 401 with WWW-Authenticate as RFC 6750 3 says:
// no error code when no token was presented, else the code.
func (app *App) apiRefuse(w http.ResponseWriter, status int, code, description string) {
	challenge := `Bearer realm="` + apiRealm + `"`
	if code != "" {
		challenge += `, error="` + code + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	if code == "" {
		// No credentials at all: RFC 6750 §3.1 asks for no error code
		// then, only the challenge; the body just says what to send.
		description = "Send the access token in an Authorization: Bearer header."
	}
	writeAPIAnswer(w, status, apiAnswer{Error: code, ErrorDescription: description})
}

func writeAPIAnswer(w http.ResponseWriter, status int, a apiAnswer) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(a)
}

// bearerToken is the token of the request's Authorization header, "" when
// there is none. refused explains a request that presents a token another
// way, or in a malformed header: those are turned away, not ignored.
func bearerToken(r *http.Request) (token, refused string) {
	if r.URL.Query().Has("access_token") {
		return "", "The access token must not be in the URL: send it in an Authorization: Bearer header."
	}
	if _, err := r.Cookie("access_token"); err == nil {
		return "", "The access token must not be in a cookie: send it in an Authorization: Bearer header."
	}
	headers := r.Header.Values("Authorization")
	switch {
	case len(headers) == 0:
		return "", ""
	case len(headers) > 1:
		return "", "Send one Authorization header."
	}
	scheme, token, _ := strings.Cut(headers[0], " ")
	token = strings.TrimLeft(token, " ")
	if !strings.EqualFold(scheme, "Bearer") || !isB64Token(token) {
		return "", "The Authorization header must be Bearer followed by the access token."
	}
	return token, ""
}

// isB64Token reports whether s is a token RFC 6750 2.1 allows: letters,
// digits, -._~+/ and trailing =. Anything else is not a token CONNECT
// issued, and is refused before it reaches CONNECT or a log line.
func isB64Token(s string) bool {
	if s == "" || len(s) > 8192 {
		return false
	}
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for _, c := range body {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~+/", c)) {
			return false
		}
	}
	return true
}

// apiDemo is what /session shows of /api/me: the cURL command a client
// would run with this session's access token, and what /api/me answers.
// The token itself is never on the page: the command reads it from a
// shell variable, and the page gives only its length.
type apiDemo struct {
	Command     string
	TokenLength int
	Status      int
	Answer      string
	// ByUserInfo: the answer came from userinfo, which cannot tell whose
	// token it was; the page says so, and how to turn the path off.
	ByUserInfo bool
}

// demoAPI is the session page's /api/me section. When ask, it validates
// the session's own access token as /api/me would, counted against the
// same per-address limit.
func (app *App) demoAPI(r *http.Request, accessToken string, ask bool) apiDemo {
	demo := apiDemo{
		Command:     `curl -i -H "Authorization: Bearer $ACCESS_TOKEN" ` + shellQuote(app.BaseURL+"/api/me"),
		TokenLength: len(accessToken),
	}
	if accessToken == "" || !ask {
		return demo
	}
	answer, status := app.validateBearer(r, accessToken)
	b, _ := json.MarshalIndent(answer, "", "  ")
	demo.Status, demo.Answer = status, string(b)
	demo.ByUserInfo = answer.ValidatedBy == string(connect.ByUserInfo)
	return demo
}
