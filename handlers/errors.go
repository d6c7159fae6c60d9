package handlers

import (
	"net/http"
	"net/url"
	"strings"

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
	page := failurePage(translatorFor(langOf(r.Context())), f.Code, f.ReturnTo)
	page.Status = f.Status
	// The language switcher shows this page again in the other language.
	// A page that a plain GET shows again (a 404) is simply loaded again;
	// any other (a callback, whose code is spent, or a POST) is shown once
	// more, on the home page, through a one-time message that /lang sets
	// from the failure's code (handleLanguage).
	if r.Method != http.MethodGet || connectweb.SafeReturnPath(r.URL.RequestURI()) != r.URL.RequestURI() {
		page.again = failureAgain(f.Code, f.ReturnTo)
	}
	app.render(w, r, f.Status, "error.html", page)
}

// failurePage is what the visitor is told of the failure code, with the
// ways on: the failure's own (failureActions), back to the page it
// happened on (returnTo), and the home page, which the template adds.
func failurePage(tr translator, code, returnTo string) errorPage {
	key := "error." + code
	returnTo = connectweb.SafeReturnPath(returnTo)
	page := errorPage{Title: tr.T(key + ".title"), Message: tr.T(key + ".message"), returnTo: returnTo}
	if action, ok := failureActions[code]; ok {
		page.Action = tr.T(action.label)
		page.ActionURL = action.url(returnTo)
	}
	if returnTo != "/" {
		page.BackURL = returnTo
	}
	return page
}

// errorPage is what error.html shows: what happened, and, when there is
// one, the way on.
type errorPage struct {
	Status         int
	Title, Message string
	// Action and ActionURL are a button besides "Back to the home page".
	Action, ActionURL string
	// BackURL is the page the visitor was on, when known: "Back to where
	// you were".
	BackURL string
	// returnTo is the page the failure was for, "/" when unknown.
	returnTo string
	// again is the language switcher's query to show this failure once
	// more in the other language; empty when loading the page again does.
	again string
}

// failureMessage starts the one-time message that shows a failure again:
// "failure:" + code + " " + return path.
const failureMessage = "failure:"

// failureAgain is the query the language switcher's links end with on the
// page of a failure that cannot simply be loaded again: back to the home
// page, with the failure's code and the page it was for.
func failureAgain(code, returnTo string) string {
	return url.QueryEscape(connectweb.SafeReturnPath(returnTo)) + "&failure=" + url.QueryEscape(code)
}

// knownFailure reports whether code names a failure the message files
// have words for: the only codes /lang shows again.
func knownFailure(code string) bool {
	_, ok := catalogues["en"].text["error."+code+".title"]
	return ok && code != ""
}

// failureNotice is what a page shows of a failure message that /lang set:
// the failure's words and ways on, in the page's language.
func failureNotice(tr translator, msg string) *errorPage {
	code, returnTo, _ := strings.Cut(strings.TrimPrefix(msg, failureMessage), " ")
	if !knownFailure(code) {
		return nil
	}
	page := failurePage(tr, code, returnTo)
	return &page
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
	return connectweb.DefaultPaths.LoginURL(returnTo)
}

// handleNotFound is every path no route claims.
func (app *App) handleNotFound(w http.ResponseWriter, r *http.Request) error {
	return failure(http.StatusNotFound, "not_found")
}
