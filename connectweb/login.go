package connectweb

import (
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

// Login is GET /login: it starts a login at CONNECT (steps 5 and 6 of
// CONNECT's guide). The state, nonce and PKCE verifier of this attempt go
// into the login-transaction cookie, and the browser goes to CONNECT's
// authorization endpoint.
//
// Query: return_to (a local path), acr ("1" or "2"), prompt ("login" or
// "none"), login_hint (a phone number or e-mail). A visitor who is logged
// in already and asks for nothing special goes straight to return_to.
func (web *Web) Login() http.Handler {
	return web.handle(func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		opts, err := web.loginOptions(r, q)
		if err != nil {
			return err
		}
		returnTo := web.opts.ReturnPath(q.Get("return_to"))
		if _, loggedIn := web.opts.Sessions.CurrentUser(r.Context()); loggedIn && opts.Prompt == "" && q.Get("acr") == "" {
			http.Redirect(w, r, returnTo, http.StatusFound)
			return nil
		}
		return web.startLogin(w, r, opts, store.LoginTransaction{ReturnTo: returnTo})
	})
}

// startLogin sends the browser to CONNECT with a new authorization request,
// after keeping its secrets (and tx's return path) in the transaction
// cookie for the callback.
func (web *Web) startLogin(w http.ResponseWriter, r *http.Request, opts connect.AuthOptions, tx store.LoginTransaction) error {
	authURL, pending, err := web.opts.Connect.AuthorizationURL(r.Context(), opts)
	if err != nil {
		return err
	}
	tx.PendingLogin = pending
	if err := web.opts.Logins.Save(w, r, tx); err != nil {
		return err
	}
	web.count("login", "started", "")
	http.Redirect(w, r, authURL, http.StatusFound)
	return nil
}

// loginOptions reads the optional login parameters. They go to CONNECT
// only from this short list of known values: nothing from the query is
// passed on raw.
func (web *Web) loginOptions(r *http.Request, q url.Values) (connect.AuthOptions, error) {
	opts := connect.AuthOptions{ACRValues: web.opts.ACRValues, UILocales: web.opts.UILocales(r)}
	switch p := q.Get("prompt"); p {
	case "", "login", "none":
		opts.Prompt = p
	default:
		return opts, fail(http.StatusBadRequest, "prompt")
	}
	switch acr := q.Get("acr"); acr {
	case "":
	case "1", "2":
		// ACRValues is a floor: a login may ask for more, never for less.
		// A lower level is raised to it without a word; the browser still
		// goes to CONNECT.
		if web.opts.ACRValues == "" || connect.ACRAtLeast(acr, web.opts.ACRValues) {
			opts.ACRValues = acr
		}
	default:
		return opts, fail(http.StatusBadRequest, "acr")
	}
	hint := q.Get("login_hint")
	if !plausibleLoginHint(hint) {
		return opts, fail(http.StatusBadRequest, "login_hint")
	}
	opts.LoginHint = hint
	return opts, nil
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

// handle adapts a flow step that returns its error, so every failure of
// every flow goes through Fail.
func (web *Web) handle(step func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := step(w, r); err != nil {
			web.Fail(w, r, err)
		}
	})
}
