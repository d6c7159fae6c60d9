package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/connectweb"
)

// handleProfile is GET /profile: the user's claims from CONNECT's userinfo
// endpoint, read with the session's access token (step 10 of CONNECT's
// guide: use the access token for protected resources). The token is
// refreshed first if it is due; a 401 gets one refresh and one retry.
func (app *App) handleProfile(w http.ResponseWriter, r *http.Request) error {
	u := connectweb.CurrentUser(r)
	rec, err := app.web.Tokens(r)
	if err != nil {
		return err
	}
	info, err := app.Connect.UserInfo(r.Context(), rec.Tokens.AccessToken, u.Claims.Subject)
	if errors.Is(err, connect.ErrAccessTokenRejected) {
		if rec, err = app.web.TokensAfter401(r, rec.Tokens.AccessToken); err != nil {
			return err
		}
		info, err = app.Connect.UserInfo(r.Context(), rec.Tokens.AccessToken, u.Claims.Subject)
	}
	if err != nil {
		return err
	}
	app.render(w, r, http.StatusOK, "profile.html", profilePage{
		Info:      info,
		Scopes:    strings.Fields(rec.Tokens.Scope),
		ScopeRows: scopeRows(app.Scopes, rec.Tokens.Scope, info),
		Requested: app.Scopes,
		Username:  u.Claims.Username,
	})
	return nil
}

type profilePage struct {
	Info   *connect.UserInfo
	Scopes []string // granted
	// ScopeRows, Requested and Username are for the scopes section
	// (step 6, handlers/scopes.go).
	ScopeRows []scopeRow
	Requested []string
	Username  string // td_au from the ID token
}

// Granted reports whether a scope was granted, so the page can say why a
// claim is missing.
func (p profilePage) Granted(scope string) bool { return slices.Contains(p.Scopes, scope) }
