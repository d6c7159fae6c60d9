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
// explain. key names the page's title and message in the catalogues
// (key+".title", key+".message"): one or two plain sentences, what
// happened and what to do.
type pageError struct {
	status int
	key    string
	err    error // for the log only
}

func (e *pageError) Error() string {
	if e.err != nil {
		return e.key + ": " + e.err.Error()
	}
	return e.key
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
	// The log speaks English, whatever the visitor reads. The path is in
	// the request's own log line, under the same request_id.
	app.Logger.Log(r.Context(), level, translatorFor("en").T(pe.key+".title"), "cause", pe.err, "status", pe.status, "request_id", requestID(r.Context()))
	tr := translatorFor(langOf(r.Context()))
	app.render(w, r, pe.status, "error.html", errorPage{Status: pe.status, Title: tr.T(pe.key + ".title"), Message: tr.T(pe.key + ".message")})
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
	page := func(status int, key string) *pageError { return &pageError{status, key, err} }
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, connect.ErrUnavailable):
		return page(http.StatusServiceUnavailable, "error.connect_down")
	case errors.Is(err, errRefreshBusy):
		return page(http.StatusServiceUnavailable, "error.refresh_busy")
	case errors.Is(err, store.ErrUnavailable):
		return page(http.StatusServiceUnavailable, "error.sessions_down")
	case connect.IsInvalidGrant(err):
		return page(http.StatusBadRequest, "error.login_expired")
	case errors.Is(err, connect.ErrNonceMismatch):
		return page(http.StatusBadRequest, "error.nonce")
	// Not a fault of CONNECT's: the login happened, at a lower level or
	// longer ago than asked. Say which.
	case errors.Is(err, connect.ErrInsufficientACR):
		return page(http.StatusForbidden, "error.acr_too_low")
	case errors.Is(err, connect.ErrAuthTimeTooOld):
		return page(http.StatusForbidden, "error.auth_too_old")
	case errors.Is(err, connect.ErrAccessTokenRejected):
		return page(http.StatusBadGateway, "error.access_rejected")
	case errors.As(err, &provider), errors.Is(err, connect.ErrBadResponse), isIDTokenError(err):
		return page(http.StatusBadGateway, "error.answer_refused")
	case errors.Is(err, errRenderFailed):
		return page(http.StatusInternalServerError, "error.render")
	default:
		return page(http.StatusInternalServerError, "error.internal")
	}
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
	return &pageError{status: http.StatusNotFound, key: "error.not_found"}
}
