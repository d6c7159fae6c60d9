package connectweb

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// Failure is an error with what the visitor should be told: a status and
// a code that names the failure ("login_cancelled"), which the app turns
// into its words. Err is the cause, for the log only: a page never shows
// it.
type Failure struct {
	Status int
	Code   string
	// Reason is the callback's metric label for a login that failed
	// after CONNECT sent a code (see failures).
	Reason string
	// ReturnTo is the page a login that failed was for, when known, so
	// the page can offer to try again and come back there.
	ReturnTo string
	Err      error
}

func (f *Failure) Error() string {
	if f.Err != nil {
		return f.Code + ": " + f.Err.Error()
	}
	return f.Code
}

func (f *Failure) Unwrap() error { return f.Err }

// Fail answers a request that failed with err: the one edge where a
// failure is logged and shown. A session whose grant CONNECT ended is
// logged out and sent to log in again; anything else gets the page the
// failures table gives it, through Options.Failed.
func (web *Web) Fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrGrantEnded) {
		web.logInAgain(w, r, err)
		return
	}
	f := Explain(err)
	level := slog.LevelInfo // a 4xx is the visitor's business
	if f.Status >= 500 {
		level = slog.LevelError
	}
	// The cause may quote what CONNECT or a visitor sent: clipped.
	cause := ""
	if f.Err != nil {
		cause = ClipForLog(f.Err.Error())
	}
	web.log(r.Context(), level, "request failed", "failure", f.Code, "status", f.Status, "cause", cause)
	web.opts.Failed(w, r, f)
}

// logInAgain is where an ended grant leads: the session is logged out and
// the visitor sent to log in again, back to the page they were on, with a
// one-line explanation waiting for them there.
func (web *Web) logInAgain(w http.ResponseWriter, r *http.Request, cause error) {
	web.log(r.Context(), slog.LevelInfo, "session ended by CONNECT; asking for a new login", "reason", cause)
	// The tokens are dead at CONNECT already: nothing to revoke.
	if _, err := web.opts.Sessions.LogOut(r.Context()); err != nil {
		web.Fail(w, r, err)
		return
	}
	web.opts.Notify(w, r, NoticeSessionEnded)
	returnTo := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		returnTo = r.PostFormValue("return_to")
	}
	web.redirectToLogin(w, r, returnTo, http.StatusSeeOther)
}

// redirectToLogin sends the browser to the login start, to come back to
// returnTo.
func (web *Web) redirectToLogin(w http.ResponseWriter, r *http.Request, returnTo string, status int) {
	http.Redirect(w, r, web.opts.Paths.Login+"?return_to="+url.QueryEscape(web.opts.ReturnPath(returnTo)), status) // Paths.LoginURL, with the app's ReturnPath
}

// Explain says what err means for the visitor. A *Failure in err's chain
// is its own answer; everything else is looked up in failures, and what
// is not there is a 500.
func Explain(err error) *Failure {
	if f, ok := errors.AsType[*Failure](err); ok {
		return f
	}
	for _, row := range failures {
		if row.is(err) {
			return &Failure{Status: row.status, Code: row.code, Reason: row.reason, Err: err}
		}
	}
	return &Failure{Status: http.StatusInternalServerError, Code: "internal", Reason: "other", Err: err}
}

// failures is the one table from errors to what the visitor sees (status
// and code) and what the callback counts (reason), in the order they are
// checked.
var failures = []struct {
	is     func(error) bool
	status int
	code   string
	reason string
}{
	{isErr(connect.ErrUnavailable), http.StatusServiceUnavailable, "connect_down", "connect_unavailable"},
	{isErr(store.ErrRefreshBusy), http.StatusServiceUnavailable, "refresh_busy", "other"},
	{isErr(store.ErrUnavailable), http.StatusServiceUnavailable, "sessions_down", "sessions_unavailable"},
	{connect.IsInvalidGrant, http.StatusBadRequest, "login_expired", "invalid_grant"},
	{isErr(connect.ErrNonceMismatch), http.StatusBadRequest, "nonce", "nonce_mismatch"},
	// Not a fault of CONNECT's: the login happened, at a lower level or
	// longer ago than asked. Say which.
	{isErr(connect.ErrInsufficientACR), http.StatusForbidden, "acr_too_low", "assurance_too_low"},
	{isErr(connect.ErrAuthTimeTooOld), http.StatusForbidden, "auth_too_old", "assurance_too_low"},
	{isErr(connect.ErrAccessTokenRejected), http.StatusBadGateway, "access_rejected", "answer_rejected"},
	{isErr(connect.ErrSubjectChanged), http.StatusBadGateway, "answer_refused", "another_user"},
	{isAnswerRefused, http.StatusBadGateway, "answer_refused", "answer_rejected"},
}

func isErr(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// isAnswerRefused reports whether CONNECT's answer failed a check: an
// error it sent, a malformed answer, or an ID token that does not hold.
func isAnswerRefused(err error) bool {
	if _, ok := errors.AsType[*connect.ProviderError](err); ok {
		return true
	}
	for _, target := range []error{
		connect.ErrBadResponse,
		connect.ErrIDTokenMissing, connect.ErrIDTokenInvalid, connect.ErrMissingSubject,
		connect.ErrUntrustedAudience, connect.ErrAuthorizedParty, connect.ErrIssuedAt,
		connect.ErrUserInfoSubMismatch,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// fail is a Failure the flow decides itself, with a status and a code.
func fail(status int, code string) *Failure {
	return &Failure{Status: status, Code: code, Reason: code}
}

// FailureReasons are every Reason a failed callback is counted with:
// CONNECT's error codes, the failures table's reasons and "other", so a
// metric can start each at zero.
func FailureReasons() []string {
	reasons := slices.Clone(connectErrorCodes)
	for _, row := range failures {
		reasons = append(reasons, row.reason)
	}
	reasons = append(reasons, "another_user", "ended_session", "other")
	slices.Sort(reasons)
	return slices.Compact(reasons)
}
