package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/connectweb"
	"github.com/telenordigital/connect-web-sample/store"
)

// handleProfile is GET /profile: the user's claims from CONNECT's userinfo
// endpoint, read with the session's access token (step 10 of CONNECT's
// guide: use the access token for protected resources). The token is
// refreshed first if it is due; a 401 gets one refresh and one retry.
//
// The answer is kept for up to a minute (store.MaxUserInfoAge), so a
// page view costs CONNECT nothing most of the time; the page says when it
// was fetched, and ?fetch=now ("Fetch again") asks CONNECT at once,
// rate-limited as refresh is.
func (app *App) handleProfile(w http.ResponseWriter, r *http.Request) error {
	u := connectweb.CurrentUser(r)
	kept, found, err := app.Sessions.KeptUserInfo(r.Context())
	if err != nil {
		return err
	}
	fetchNow := r.URL.Query().Get("fetch") == "now"
	if found && fetchNow {
		if wait, ok := app.refreshLimits.allow(u.ID); !ok {
			app.Metrics.rateLimited.WithLabelValues("refresh").Inc()
			app.tooManyRequests(w, r, wait, "too_many_refreshes")
			return nil
		}
	}
	// A kept answer is never kept past the point its tokens fall due, so
	// showing it needs no tokens: two Redis reads a view, not three.
	if !found || fetchNow {
		rec, err := app.web.Tokens(r)
		if err != nil {
			return err
		}
		if kept, err = app.fetchUserInfo(r, u, rec); err != nil {
			return err
		}
	}
	app.render(w, r, http.StatusOK, "profile.html", profilePage{
		Info:      kept.Info,
		FetchedAt: kept.FetchedAt,
		Now:       app.Now(),
		Scopes:    strings.Fields(kept.Scope),
		ScopeRows: scopeRows(app.Scopes, kept.Scope, kept.Info),
		Requested: app.Scopes,
		Username:  u.Claims.Username,
	})
	return nil
}

// fetchUserInfo asks CONNECT's userinfo endpoint, refreshing the tokens
// once if CONNECT answers 401, and keeps the answer.
func (app *App) fetchUserInfo(r *http.Request, u *store.User, rec store.TokenRecord) (*store.KeptUserInfo, error) {
	info, err := app.Connect.UserInfo(r.Context(), rec.Tokens.AccessToken, u.Claims.Subject)
	if errors.Is(err, connect.ErrAccessTokenRejected) {
		if rec, err = app.web.TokensAfter401(r, rec.Tokens.AccessToken); err != nil {
			return nil, err
		}
		info, err = app.Connect.UserInfo(r.Context(), rec.Tokens.AccessToken, u.Claims.Subject)
	}
	if err != nil {
		return nil, err
	}
	// Kept until the tokens fall due at the latest, so a view that shows
	// it need not look at them (handleProfile).
	return app.Sessions.KeepUserInfo(r.Context(), info, rec.Tokens.Scope, rec.Tokens.Expiry.Add(-app.RefreshMargin))
}

type profilePage struct {
	Info *connect.UserInfo
	// FetchedAt is when CONNECT gave Info; Now is the page's time.
	FetchedAt, Now time.Time
	Scopes         []string // granted
	// ScopeRows, Requested and Username are for the scopes section
	// (step 6, handlers/scopes.go).
	ScopeRows []scopeRow
	Requested []string
	Username  string // td_au from the ID token
}

// Granted reports whether a scope was granted, so the page can say why a
// claim is missing.
func (p profilePage) Granted(scope string) bool { return slices.Contains(p.Scopes, scope) }
