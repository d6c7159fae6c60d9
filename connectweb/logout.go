package connectweb

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// Logging out (step 12 of CONNECT's guide) comes in two kinds:
//
//   - From this app only: revoke the tokens at CONNECT, so nobody can use
//     them later, and delete the session. CONNECT's own session lives on,
//     so with SSO the next login may not ask for credentials.
//   - Everywhere (SSO clients): the same, then a round trip through
//     CONNECT's end-session endpoint, which ends CONNECT's session too.
//
// Both end on the post-logout redirect URI with a state this browser
// keeps in its login cookie, so the page there can say which kind of
// logout happened, and a reload or a crafted link says nothing it cannot
// vouch for. Both answer the POST with a redirect, so a reload never posts
// the logout again.

// Logout is POST /logout; the form field everywhere=1 also ends the
// CONNECT session. It is a POST, which the app must refuse when it comes
// cross-site (http.CrossOriginProtection), so no link or image on another
// site can log a user out.
func (web *Web) Logout() http.Handler {
	return web.handle(func(w http.ResponseWriter, r *http.Request) error {
		everywhere := web.opts.SSO && r.PostFormValue("everywhere") == "1"
		idTokenHint, err := web.endLocalSession(r)
		if err != nil {
			return err
		}
		if idTokenHint == "" {
			// There was no session to end: nothing to confirm either.
			http.Redirect(w, r, web.opts.Paths.LogoutCallback, http.StatusSeeOther)
			return nil
		}
		tx := store.LoginTransaction{PendingLogin: connect.PendingLogin{State: connect.NewState()}, Logout: true, Everywhere: everywhere}
		next := web.opts.Paths.LogoutCallback + "?state=" + url.QueryEscape(tx.State)
		if everywhere {
			logoutURL, err := web.opts.Connect.LogoutURL(r.Context(), idTokenHint, tx.State)
			switch {
			case errors.Is(err, connect.ErrNoEndSession):
				// The provider has no end-session endpoint (the button is not
				// offered then): logging out of this app is all there is.
				tx.Everywhere = false
			case err != nil:
				return err
			default:
				next = logoutURL
			}
		}
		if err := web.opts.Logins.Save(w, r, tx); err != nil {
			return err
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	})
}

// endLocalSession deletes the session and its tokens, then revokes the
// tokens at CONNECT: refresh token first (that ends the grant), then the
// access token. The session goes first, and nothing here depends on the
// visitor waiting: a closed tab must not leave the session alive. A
// revocation that fails is logged and the logout stands; the tokens
// expire anyway. It returns the ID token, the id_token_hint for CONNECT's
// logout.
func (web *Web) endLocalSession(r *http.Request) (string, error) {
	ctx := context.WithoutCancel(r.Context())
	tokens, err := web.opts.Sessions.LogOut(ctx)
	if err != nil {
		return "", err
	}
	web.RevokeTokens(ctx, tokens)
	return tokens.IDToken, nil
}

// LogoutCallback is GET /connect/logoutcallback, the post-logout redirect
// URI: CONNECT sends the browser here after ending its session, and an
// app-only logout comes here directly. A state that matches the logout
// this browser started says which kind it was; anything else gets a
// neutral page, since there is nothing to protect here and nothing a
// visitor did wrong.
func (web *Web) LogoutCallback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tx, err := web.opts.Logins.Take(w, r, r.URL.Query().Get("state"))
		confirmed := err == nil && tx.Logout
		if !confirmed && r.URL.Query().Has("state") {
			web.log(r.Context(), slog.LevelInfo, "logout callback without a matching logout state")
		}
		web.opts.LoggedOut(w, r, LogoutResult{AppOnly: confirmed && !tx.Everywhere, Everywhere: confirmed && tx.Everywhere})
	})
}
