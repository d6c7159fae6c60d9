package connectweb

import (
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// Callback is GET /connect/oauth2callback, the redirect URI (steps 7 to 9
// and 11 of CONNECT's guide): CONNECT sends the browser here with a code (or an
// error) and the state.
//
// The order matters. First the state is matched to a login this browser
// started, and that login is consumed, so a replayed callback finds
// nothing. Then the state is claimed in Redis, so that of two requests of
// one callback (a double click) only the first exchanges the code and the
// second follows its outcome. Only then is the code exchanged (once, at
// once), the ID token checked, and what the app itself demands of the
// login (the step-up's user, an ended device's fresh authentication, the
// level of assurance's floor) before the session is created, under a new
// session token. Each outcome is counted where it is decided.
func (web *Web) Callback() http.Handler {
	return web.handle(func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		state := q.Get("state")
		tx, err := web.opts.Logins.Take(w, r, state)
		if err == nil && tx.Logout {
			err = store.ErrNoTransaction
		}
		if errors.Is(err, store.ErrNoTransaction) {
			web.count("callback", "refused", "no_matching_login")
			return web.noPendingLogin(w, r, state, err)
		}
		if err != nil {
			return web.loginFailed(err)
		}

		if code := q.Get("error"); code != "" {
			web.count("callback", "failed", connectErrorReason(code))
			return web.loginRefused(w, r, tx, code, q.Get("error_description"))
		}
		code := q.Get("code")
		if !usableCode(code) {
			web.count("callback", "refused", "no_code")
			return fail(http.StatusBadRequest, "no_code")
		}

		// The code is exchanged once, by the first request of it.
		won, err := web.opts.Sessions.ClaimCallback(r.Context(), state, tx.Expires())
		if err != nil {
			return web.loginFailed(err)
		}
		if !won {
			return web.followCallback(w, r, state)
		}
		loggedIn := false
		defer func() {
			if !loggedIn {
				web.opts.Sessions.ReleaseCallback(r.Context(), state)
			}
		}()

		login, err := web.opts.Connect.Exchange(r.Context(), code, tx.PendingLogin)
		if err != nil {
			f := Explain(err)
			f.ReturnTo = tx.ReturnTo
			return web.loginFailed(f)
		}
		if tx.StepUp && login.Claims.Subject != tx.Subject {
			// Someone else logged in at CONNECT. That user's fresh tokens are
			// thrown away, and our session, unless CONNECT ended it meanwhile
			// (it may, when another user logs in), stays as it was. So the
			// check compares with the user who started the step-up, not with
			// whatever session is left.
			web.RevokeTokens(r.Context(), login.Tokens)
			return web.loginFailed(web.stepUpByAnotherUser(r))
		}
		if endedAt, ended, err := web.opts.Sessions.EndedAt(r.Context(), login.Claims.SessionID); err != nil {
			web.RevokeTokens(r.Context(), login.Tokens)
			return web.loginFailed(err)
		} else if ended && login.Claims.AuthTime.Time().Before(endedAt) {
			// This device's session here was ended from the sessions page,
			// and CONNECT let it back in with the authentication from
			// before: it must authenticate afresh.
			web.RevokeTokens(r.Context(), login.Tokens)
			return web.reauthenticate(w, r, tx)
		}
		if floor := web.opts.ACRValues; floor != "" && !connect.ACRAtLeast(login.Claims.ACR, floor) {
			// Exchange held the ID token to what this login asked for; a
			// login started before the floor was raised asked for less.
			web.RevokeTokens(r.Context(), login.Tokens)
			return web.loginFailed(&connect.ClaimError{Err: connect.ErrInsufficientACR, Detail: "below CONNECT_ACR_VALUES " + floor})
		}
		if missing := web.opts.Connect.MissingScopes(login.Tokens); len(missing) > 0 {
			web.log(r.Context(), slog.LevelInfo, "CONNECT granted fewer scopes than requested", "missing", missing)
		}
		login.Trace.Callback = callbackTrace(q)
		replaced, err := web.opts.Sessions.LogIn(r.Context(), store.NewLogin{
			Claims: login.Claims, Tokens: login.Tokens, At: web.opts.Now(), Device: deviceOf(r.UserAgent()), Trace: &login.Trace,
		})
		if err != nil {
			// Neither the new tokens nor the replaced ones are kept anywhere now.
			web.RevokeTokens(r.Context(), login.Tokens)
			web.RevokeTokens(r.Context(), replaced)
			return web.loginFailed(err)
		}
		// A login that replaces one (a step-up) leaves no grant behind.
		web.RevokeTokens(r.Context(), replaced)
		loggedIn = true
		if err := web.opts.Sessions.CallbackDone(r.Context(), state, tx.ReturnTo); err != nil {
			// The login stands; only a second request of it cannot follow.
			web.log(r.Context(), slog.LevelWarn, "callback outcome not recorded", "error", err)
		}
		web.count("callback", "completed", "")
		if slices.Contains(login.Claims.AMR, "SSO") {
			// The user saw no page at CONNECT: say why, or a login that
			// asked for nothing looks like a fault.
			web.opts.Notify(w, r, NoticeSilentLogin)
		}
		http.Redirect(w, r, tx.ReturnTo, http.StatusSeeOther)
		return nil
	})
}

// callbackTrace is what came back to the redirect URI, for the login's
// trace: the names of the parameters, the code's length, and that the
// state matched (it did, or there would be no login to trace).
func callbackTrace(q url.Values) *connect.CallbackTrace {
	names := slices.Sorted(maps.Keys(q))
	return &connect.CallbackTrace{Params: names, CodeLength: len(q.Get("code")), StateMatched: true, Issuer: q.Get("iss")}
}

// noPendingLogin answers a callback whose state matches no login of this
// browser: already used (Back after logging in, a reload), expired, or
// unknown. A browser that is logged in goes on where that login went, if
// it finished lately, else to Options.LoggedInHome, without a word and
// without asking CONNECT anything; anyone else gets the page that says
// the login expired.
func (web *Web) noPendingLogin(w http.ResponseWriter, r *http.Request, state string, cause error) error {
	if _, loggedIn := web.opts.Sessions.CurrentUser(r.Context()); !loggedIn {
		return &Failure{Status: http.StatusBadRequest, Code: "no_pending_login", Err: cause}
	}
	next := web.opts.LoggedInHome
	if outcome, err := web.opts.Sessions.FinishedCallback(r.Context(), state); err == nil && outcome != nil {
		next = outcome.ReturnTo
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// followCallback answers a second request of a callback another request
// claimed: once that one has logged the user in, this one sets the same
// session cookie and sends the browser to the same place, since the
// browser may have dropped the first answer (a double click cancels the
// first request).
func (web *Web) followCallback(w http.ResponseWriter, r *http.Request, state string) error {
	outcome, err := web.opts.Sessions.AwaitCallback(r.Context(), state)
	if err != nil {
		return web.loginFailed(err)
	}
	if outcome == nil { // the first request failed, or took too long
		return &Failure{Status: http.StatusBadRequest, Code: "no_pending_login", Err: store.ErrNoTransaction}
	}
	web.opts.Sessions.UseSession(w, outcome)
	http.Redirect(w, r, outcome.ReturnTo, http.StatusSeeOther)
	return nil
}

// reauthenticate sends a device whose session was ended back to CONNECT
// once, for a fresh authentication (prompt=login, max_age=0) at level 2 at
// least, so a mobile-network login cannot pass it silently. A stale answer
// to that gets the refusal page, never another round: a clock that is off
// must not make a loop.
func (web *Web) reauthenticate(w http.ResponseWriter, r *http.Request, tx store.LoginTransaction) error {
	if tx.Reauthentication {
		return web.loginFailed(&Failure{Status: http.StatusForbidden, Code: "ended_device", Reason: "ended_session"})
	}
	web.count("callback", "refused", "reauthenticate")
	acr := "2"
	if connect.ACRAtLeast(web.opts.ACRValues, "3") {
		acr = web.opts.ACRValues
	}
	opts := connect.AuthOptions{ACRValues: acr, Reauthenticate: true, UILocales: web.opts.UILocales(r)}
	return web.startLogin(w, r, opts, store.LoginTransaction{
		ReturnTo: tx.ReturnTo, StepUp: tx.StepUp, Subject: tx.Subject, Reauthentication: true,
	})
}

// loginFailed counts a login that failed after CONNECT sent a code, by
// the reason the failures table gives, and passes the failure on.
func (web *Web) loginFailed(err error) error {
	f := Explain(err)
	web.count("callback", "failed", f.Reason)
	return f
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
func (web *Web) stepUpByAnotherUser(r *http.Request) error {
	failureCode := "stepup_other_user"
	if _, stillLoggedIn := web.opts.Sessions.CurrentUser(r.Context()); !stillLoggedIn {
		failureCode = "stepup_other_user_ended"
	}
	return &Failure{Status: http.StatusForbidden, Code: failureCode, Reason: "another_user", Err: connect.ErrSubjectChanged}
}

// loginRefused handles a callback with error=: CONNECT did not log the user
// in. Its error code and description are for developers, so they go to the
// log, and the visitor gets a plain explanation.
func (web *Web) loginRefused(w http.ResponseWriter, r *http.Request, tx store.LoginTransaction, code, description string) error {
	web.log(r.Context(), slog.LevelWarn, "CONNECT refused the login", "error", ClipForLog(code), "error_description", ClipForLog(description))
	fail := func(status int, code string) *Failure {
		return &Failure{Status: status, Code: code, Reason: code, ReturnTo: tx.ReturnTo}
	}
	switch {
	case tx.StepUp && code == "access_denied":
		return fail(http.StatusForbidden, "stepup_cancelled")
	case code == "access_denied":
		return fail(http.StatusForbidden, "login_cancelled")
	case code == "login_required" || code == "interaction_required" || code == "consent_required":
		// The answer to prompt=none when the browser has no CONNECT session
		// that can log in silently: an outcome, not an error.
		web.opts.Notify(w, r, NoticeNoConnectSession)
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return nil
	case code == "temporarily_unavailable" || code == "server_error":
		return fail(http.StatusServiceUnavailable, "connect_trouble")
	default:
		return fail(http.StatusBadRequest, "login_not_completed")
	}
}

// connectErrorCodes are the error codes of RFC 6749 (4.1.2.1) and OpenID
// Connect (3.1.2.6) an authorization endpoint answers with. Anything else
// CONNECT (or a visitor editing the URL) sends counts as "other".
var connectErrorCodes = []string{
	"invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type",
	"invalid_scope", "server_error", "temporarily_unavailable", "interaction_required",
	"login_required", "account_selection_required", "consent_required", "invalid_request_uri",
	"invalid_request_object", "request_not_supported", "request_uri_not_supported", "registration_not_supported",
}

// connectErrorReason is CONNECT's error code as a metric label: one of a
// fixed list, never what a visitor typed.
func connectErrorReason(code string) string {
	if slices.Contains(connectErrorCodes, code) {
		return code
	}
	return "other"
}
