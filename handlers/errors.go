package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// pageError is an error with what the visitor should see. Handlers return
// it for problems they can explain; everything else is classified by
// statusOf.
type pageError struct {
	status  int
	title   string
	message string // one or two plain sentences: what happened, what to do
	err     error  // for the log only
}

func (e *pageError) Error() string {
	if e.err != nil {
		return e.title + ": " + e.err.Error()
	}
	return e.title
}

func (e *pageError) Unwrap() error { return e.err }

// handlerFunc is a page handler that returns its error instead of writing
// it, so that status, log line and error page are decided in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (app *App) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		switch {
		case err == nil:
		case errors.Is(err, errSessionEnded):
			app.endSession(w, r, err)
		default:
			app.serveError(w, r, err)
		}
	})
}

// serveError logs err once and renders the error page. 5xx are logged as
// errors; 4xx are the visitor's business and logged at info.
func (app *App) serveError(w http.ResponseWriter, r *http.Request, err error) {
	pe := explain(err)
	level := slog.LevelInfo
	if pe.status >= 500 {
		level = slog.LevelError
	}
	// The path is in the request's own log line, under the same request_id.
	app.Logger.Log(r.Context(), level, pe.title, "cause", pe.err, "status", pe.status, "request_id", requestID(r.Context()))
	app.render(w, r, pe.status, "error.html", errorPage{Status: pe.status, Title: pe.title, Message: pe.message})
}

// errorPage is what error.html shows: never the error itself.
type errorPage struct {
	Status         int
	Title, Message string
}

// explain is the one table from errors to what the visitor sees.
func explain(err error) *pageError {
	var pe *pageError
	var provider *connect.ProviderError
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, connect.ErrUnavailable):
		return &pageError{http.StatusServiceUnavailable, "CONNECT is not answering",
			"We could not reach Telenor CONNECT ID just now. Please try again in a minute.", err}
	case errors.Is(err, errRefreshBusy):
		return &pageError{http.StatusServiceUnavailable, "Please try again",
			"Your session's tokens are being renewed by another request. Please reload the page in a moment.", err}
	case errors.Is(err, store.ErrUnavailable):
		return &pageError{http.StatusServiceUnavailable, "Sessions are unavailable",
			"We could not reach our session store just now. Please try again in a minute.", err}
	case connect.IsInvalidGrant(err):
		return &pageError{http.StatusBadRequest, "The login expired",
			"CONNECT no longer accepts this login; it may have taken too long. Please log in again.", err}
	case errors.Is(err, connect.ErrNonceMismatch):
		return &pageError{http.StatusBadRequest, "The login could not be verified",
			"The answer from CONNECT does not belong to the login this browser started. Please log in again.", err}
	case errors.Is(err, connect.ErrInsufficientACR), errors.Is(err, connect.ErrAuthTimeTooOld):
		// Not a fault of CONNECT's: the login happened, at a lower level
		// or longer ago than asked. Say what came back.
		return &pageError{http.StatusForbidden, "The login was not strong or recent enough",
			"CONNECT logged you in, but not at the level of assurance or as recently as this page requires (" + reasonOf(err) + "). Nothing changed here: if you were logged in, you still are. Try again, and use your password.", err}
	case errors.Is(err, connect.ErrAccessTokenRejected):
		return &pageError{http.StatusBadGateway, "CONNECT did not accept our access",
			"CONNECT refused this session's access token even after it was renewed. Please try again later, or log out and in again.", err}
	case errors.As(err, &provider), errors.Is(err, connect.ErrBadResponse), isIDTokenError(err):
		return &pageError{http.StatusBadGateway, "CONNECT's answer was not accepted",
			"The answer from Telenor CONNECT ID did not pass our checks, so you are not logged in. Please try again; if it keeps happening, tell us the reference below.", err}
	default:
		return &pageError{http.StatusInternalServerError, "Something went wrong",
			"An unexpected error stopped this page. Please try again; if it keeps happening, tell us the reference below.", err}
	}
}

// reasonOf is the plain-language part of an acr or auth_time rejection:
// what CONNECT returned, without token contents.
func reasonOf(err error) string {
	var reason *connect.ClaimError
	if errors.As(err, &reason) {
		return reason.Detail
	}
	return "no details"
}

func isIDTokenError(err error) bool {
	for _, target := range []error{
		connect.ErrIDTokenMissing, connect.ErrIDTokenInvalid, connect.ErrMissingSubject,
		connect.ErrUntrustedAudience, connect.ErrAuthorizedParty, connect.ErrIssuedAt,
		connect.ErrSubjectChanged,
		connect.ErrUserInfoSubMismatch,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// handleNotFound is every path no route claims.
func (app *App) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	return &pageError{status: http.StatusNotFound, title: "Page not found",
		message: "There is no page at this address."}
}
