package handlers

import (
	"net/http"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/connectweb"
	"github.com/telenordigital/connect-web-sample/store"
)

// handleSession is GET /session: what the app holds for this session, to
// learn from. It shows facts about the tokens (expiry, scope, refreshes)
// and the decoded ID token claims, never a token itself. With ?api=ask it
// also sends the access token to /api/me's validation and shows the
// answer: only when asked, since that may cost a call to CONNECT. It is
// the one page that reads the session's login trace.
func (app *App) handleSession(w http.ResponseWriter, r *http.Request) error {
	u := connectweb.CurrentUser(r)
	// Read as a page that uses them would: refreshed when due, so the
	// page shows a refresh as it happens.
	rec, err := app.web.Tokens(r)
	if err != nil {
		return err
	}
	trace, err := app.loginTrace(r.Context(), translatorFor(langOf(r.Context())))
	if err != nil {
		return err
	}
	// The page gets facts about the tokens, never the tokens themselves,
	// so no template change can print one.
	app.render(w, r, http.StatusOK, "session.html", sessionPage{
		Expiry:          rec.Tokens.Expiry,
		ExpiresIn:       rec.Tokens.Expiry.Sub(app.Now()).Round(time.Second),
		Scope:           rec.Tokens.Scope,
		HasRefreshToken: rec.Tokens.RefreshToken != "",
		RefreshedAt:     rec.RefreshedAt,
		Refreshes:       rec.Refreshes,
		RefreshMargin:   app.RefreshMargin,
		NextRefresh:     rec.Tokens.Expiry.Add(-app.RefreshMargin),
		Claims:          newestClaims(u, rec),
		LoggedInAt:      u.LoggedInAt,
		Persistent:      u.PersistentCookie(),
		API:             app.demoAPI(r, rec.Tokens.AccessToken, r.URL.Query().Get("api") == "ask"),
		Trace:           trace,
	})
	return nil
}

// handleRefresh is POST /refresh: "Refresh now" on the session page. It
// refreshes the tokens at once and returns to the session page.
func (app *App) handleRefresh(w http.ResponseWriter, r *http.Request) error {
	if _, err := app.web.RefreshNow(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, "/session", http.StatusSeeOther)
	return nil
}

type sessionPage struct {
	Expiry          time.Time
	ExpiresIn       time.Duration
	Scope           string
	HasRefreshToken bool
	RefreshedAt     time.Time
	Refreshes       int
	RefreshMargin   time.Duration
	// NextRefresh is when the tokens fall due: the first page that needs
	// them after then (this one too) refreshes them.
	NextRefresh time.Time
	Claims      connect.Claims
	// API is this session's access token sent to /api/me, as a resource
	// server receives it (step 10 of CONNECT's guide).
	API        apiDemo
	LoggedInAt time.Time
	Persistent bool
	// Trace is "Your login, step by step": how the login and the latest
	// refresh went over the wire, nothing secret in it.
	Trace traceView
}

// newestClaims are the claims of the newest ID token, the one the record
// holds (a refresh's, if one brought one, else the login's), every claim
// of it: the session keeps only those its pages use.
func newestClaims(u *store.User, rec store.TokenRecord) connect.Claims {
	if c, err := connect.ClaimsOf(rec.Tokens.IDToken); err == nil {
		return c
	}
	return u.Claims
}
