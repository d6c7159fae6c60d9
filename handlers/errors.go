package handlers

import (
	"net/http"
	"net/url"

	"github.com/telenordigital/connect-web-sample/connectweb"
)

// Failures are decided by connectweb's one table (connectweb.Explain):
// its status, and a code that names the page's words here, under
// "error."+code+".title" and ".message" in the message files. The site's
// own failures (a form too large, a page not found) are *connectweb.Failure
// values too, so every failure is logged and shown in one place.

// failure is a failure the site decides itself.
func failure(status int, code string) *connectweb.Failure {
	return &connectweb.Failure{Status: status, Code: code}
}

func badRequest(code string) *connectweb.Failure { return failure(http.StatusBadRequest, code) }

// handlerFunc is a page handler that returns its error instead of writing
// it, so that status, log line and error page are decided in one place.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (app *App) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			app.web.Fail(w, r, err)
		}
	})
}

// serveError answers a request that failed before or outside a handler.
func (app *App) serveError(w http.ResponseWriter, r *http.Request, err error) {
	app.web.Fail(w, r, err)
}

// showFailure is connectweb's Failed hook: the error page, in the
// visitor's language, never the error itself.
func (app *App) showFailure(w http.ResponseWriter, r *http.Request, f *connectweb.Failure) {
	tr := translatorFor(langOf(r.Context()))
	key := "error." + f.Code
	page := errorPage{Status: f.Status, Title: tr.T(key + ".title"), Message: tr.T(key + ".message")}
	if action, ok := failureActions[f.Code]; ok {
		page.Action = tr.T(action.label)
		page.ActionURL = action.url(connectweb.SafeReturnPath(f.ReturnTo))
	}
	app.render(w, r, f.Status, "error.html", page)
}

// errorPage is what error.html shows: what happened, and, when there is
// one, the way on.
type errorPage struct {
	Status         int
	Title, Message string
	// Action and ActionURL are a button besides "Back to the home page".
	Action, ActionURL string
}

// failureActions are the ways on from failures a visitor can simply try
// again: a new login (back to the page it was for), or the step-up again.
var failureActions = map[string]struct {
	label string
	url   func(returnTo string) string
}{
	"no_pending_login":    {"action.log_in_again", logInURL},
	"login_expired":       {"action.log_in_again", logInURL},
	"login_cancelled":     {"action.log_in", logInURL},
	"login_not_completed": {"action.try_again", logInURL},
	"nonce":               {"action.log_in_again", logInURL},
	"ended_device":        {"action.log_in_again", logInURL},
	"connect_trouble":     {"action.try_again", logInURL},
	"stepup_cancelled":    {"action.try_again", func(string) string { return "/stepup" }},
	"acr_too_low":         {"action.try_again", logInURL},
	"auth_too_old":        {"action.try_again", logInURL},
}

func logInURL(returnTo string) string {
	if returnTo == "/" {
		returnTo = "/protected"
	}
	return "/login?return_to=" + url.QueryEscape(returnTo)
}

// handleNotFound is every path no route claims.
func (app *App) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	return failure(http.StatusNotFound, "not_found")
}
