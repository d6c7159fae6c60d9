package handlers

import (
	"errors"
	"net/http"
	"slices"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// handleCallback is GET /connect/oauth2callback, the redirect URI: CONNECT
// sends the browser here with a code (or an error) and the state.
//
// The order matters. First the state is matched to a login this browser
// started, and that login is consumed, so a replayed callback finds
// nothing. Only then is the code exchanged (once, at once), the ID token
// checked, and the session created, under a new session token.
func (app *App) handleCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	tx, err := app.Logins.Take(w, r, q.Get("state"))
	if err == nil && tx.Logout {
		err = store.ErrNoTransaction
	}
	if errors.Is(err, store.ErrNoTransaction) {
		return &pageError{status: http.StatusBadRequest, key: "error.no_pending_login", err: err}
	}
	if err != nil {
		return err
	}

	if code := q.Get("error"); code != "" {
		return app.loginRefused(w, r, tx, code, q.Get("error_description"))
	}
	code := q.Get("code")
	if !usableCode(code) {
		return badRequest("error.no_code")
	}

	login, err := app.Connect.Exchange(r.Context(), code, tx.PendingLogin)
	if err != nil {
		return err
	}
	if tx.StepUp && login.Claims.Subject != tx.Subject {
		// Someone else logged in at CONNECT. That user's fresh tokens are
		// thrown away, and our session, unless CONNECT ended it meanwhile
		// (it may, when another user logs in), stays as it was. So the
		// check compares with the user who started the step-up, not with
		// whatever session is left.
		app.revokeTokens(r.Context(), login.Tokens)
		return app.stepUpByAnotherUser(r)
	}
	if missing := app.Connect.MissingScopes(login.Tokens); len(missing) > 0 {
		app.Logger.Info("CONNECT granted fewer scopes than requested", "missing", missing, "request_id", requestID(r.Context()))
	}
	replaced, err := app.Sessions.LogIn(r.Context(), store.NewLogin{
		Claims: login.Claims, Tokens: login.Tokens, At: app.Now(), Device: deviceOf(r.UserAgent()),
	})
	if err != nil {
		// Neither the new tokens nor the replaced ones are kept anywhere now.
		app.revokeTokens(r.Context(), login.Tokens)
		app.revokeTokens(r.Context(), replaced)
		return err
	}
	// A login that replaces one (a step-up) leaves no grant behind.
	app.revokeTokens(r.Context(), replaced)
	if slices.Contains(login.Claims.AMR, "SSO") {
		// The user saw no page at CONNECT: say why, or a login that
		// asked for nothing looks like a fault.
		app.Messages.Set(w, messageSilentLogin)
	}
	http.Redirect(w, r, tx.ReturnTo, http.StatusSeeOther)
	return nil
}

// maxCodeLength bounds the authorization code passed on to CONNECT. OAuth
// sets no length, and CONNECT's codes are far shorter; without a bound, a
// visitor's 70 KB "code" went to the token endpoint with the client's
// credentials, and CONNECT's refusal of the oversized request came back
// as a 502.
const maxCodeLength = 4096

// usableCode reports whether code can be an authorization code at all.
func usableCode(code string) bool { return code != "" && len(code) <= maxCodeLength }

// stepUpByAnotherUser explains a step-up that another CONNECT user
// completed. CONNECT keeps one session per browser, so when someone else
// logs in there it usually ends the first user's CONNECT session, and with
// back-channel logout our session too, before the browser is back here.
// The page says which happened.
func (app *App) stepUpByAnotherUser(r *http.Request) error {
	key := "error.stepup_other_user"
	if _, stillLoggedIn := app.Sessions.CurrentUser(r.Context()); !stillLoggedIn {
		key = "error.stepup_other_user_ended"
	}
	return &pageError{status: http.StatusForbidden, key: key, err: connect.ErrSubjectChanged}
}

// messageSilentLogin is the one-time message after a login CONNECT
// completed without asking the user anything.
const messageSilentLogin = "message.silent_login"

// loginRefused handles a callback with error=: CONNECT did not log the user
// in. Its error code and description are for developers, so they go to the
// log, and the visitor gets a plain explanation.
func (app *App) loginRefused(w http.ResponseWriter, r *http.Request, tx store.LoginTransaction, code, description string) error {
	app.Logger.Warn("CONNECT refused the login", "error", clipForLog(code), "error_description", clipForLog(description), "request_id", requestID(r.Context()))
	switch {
	case tx.StepUp && code == "access_denied":
		return &pageError{status: http.StatusForbidden, key: "error.stepup_cancelled"}
	case code == "access_denied":
		return &pageError{status: http.StatusForbidden, key: "error.login_cancelled"}
	case code == "login_required" || code == "interaction_required" || code == "consent_required":
		// The answer to prompt=none when the browser has no CONNECT session
		// that can log in silently: an outcome, not an error.
		app.Messages.Set(w, "message.no_connect_session")
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	case code == "temporarily_unavailable" || code == "server_error":
		return &pageError{status: http.StatusServiceUnavailable, key: "error.connect_trouble"}
	default:
		return badRequest("error.login_not_completed")
	}
}
