package handlers

import (
	"context"
	"net/http"
	"net/url"
	"unicode"
	"unicode/utf8"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// maxLoginHintLength is the longest login_hint passed on: an e-mail
// address is at most 254 characters.
const maxLoginHintLength = 254

// handleLogin is GET /login: it starts a login at CONNECT. The state, nonce
// and PKCE verifier of this attempt go into the login-transaction cookie,
// and the browser goes to CONNECT's authorization endpoint.
//
// Query: return_to (a local path), acr ("1" or "2"), prompt ("login" or
// "none"), login_hint (a phone number or e-mail).
func (app *App) handleLogin(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	opts, err := app.loginOptions(r.Context(), q)
	if err != nil {
		return err
	}
	returnTo := safeReturnPath(q.Get("return_to"))
	if _, loggedIn := app.Sessions.CurrentUser(r.Context()); loggedIn && opts.Prompt == "" && q.Get("acr") == "" {
		http.Redirect(w, r, returnTo, http.StatusFound)
		return nil
	}

	return app.startLogin(w, r, opts, store.LoginTransaction{ReturnTo: returnTo})
}

// startLogin sends the browser to CONNECT with a new authorization request,
// after keeping its secrets (and tx's return path) in the transaction
// cookie for the callback.
func (app *App) startLogin(w http.ResponseWriter, r *http.Request, opts connect.AuthOptions, tx store.LoginTransaction) error {
	authURL, pending, err := app.Connect.AuthorizationURL(r.Context(), opts)
	if err != nil {
		return err
	}
	tx.PendingLogin = pending
	if err := app.Logins.Save(w, r, tx); err != nil {
		return err
	}
	app.Metrics.loginStarted()
	http.Redirect(w, r, authURL, http.StatusFound)
	return nil
}

// loginOptions reads the optional login parameters. They go to CONNECT
// only from this short list of known values: nothing from the query is
// passed on raw.
func (app *App) loginOptions(ctx context.Context, q url.Values) (connect.AuthOptions, error) {
	opts := connect.AuthOptions{ACRValues: app.ACRValues, UILocales: app.uiLocales(ctx)}
	switch p := q.Get("prompt"); p {
	case "", "login", "none":
		opts.Prompt = p
	default:
		return opts, badRequest("error.prompt")
	}
	switch acr := q.Get("acr"); acr {
	case "":
	case "1", "2":
		opts.ACRValues = acr
	default:
		return opts, badRequest("error.acr")
	}
	hint := q.Get("login_hint")
	if !plausibleLoginHint(hint) {
		return opts, badRequest("error.login_hint")
	}
	opts.LoginHint = hint
	return opts, nil
}

func badRequest(key string) *pageError {
	return &pageError{status: http.StatusBadRequest, key: key}
}

// plausibleLoginHint reports whether hint could be a phone number or an
// e-mail address: short, valid UTF-8, no spaces, control or invisible
// formatting characters (such as a right-to-left override).
func plausibleLoginHint(hint string) bool {
	if len(hint) > maxLoginHintLength || !utf8.ValidString(hint) {
		return false
	}
	for _, r := range hint {
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}
