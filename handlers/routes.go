package handlers

import (
	"net/http"

	"github.com/telenordigital/connect-web-sample/static"
)

// Routes is the map of the whole site: every route, its method, and the
// middleware around it.
func (app *App) Routes() http.Handler {
	mux := http.NewServeMux()

	// No session: these must answer even when Redis is down.
	mux.Handle("GET /static/", http.StripPrefix("/static/", static.Handler()))
	mux.HandleFunc("GET /healthz", app.handleHealthz)
	mux.HandleFunc("GET /readyz", app.handleReadyz)
	// Posted by CONNECT's server, not a browser: no session, no cookies.
	mux.Handle("POST /connect/backchannellogout", app.web.BackchannelLogout())
	// A resource server: a bearer token, never a cookie or a session.
	mux.HandleFunc("GET /api/me", app.handleAPIMe)

	// Pages: the session is loaded from the store, and saved just before
	// the response goes out (store.Sessions.LoadAndSave).
	pages := http.NewServeMux()
	pages.Handle("GET /{$}", app.handle(app.handleHome))
	// CONNECT's web flow is connectweb's. Each login start and callback
	// costs a call to CONNECT: rate-limited.
	pages.Handle("GET /login", app.limitByAddress(app.web.Login()))
	pages.Handle("GET /connect/oauth2callback", app.limitByAddress(app.web.Callback()))
	pages.Handle("POST /logout", app.web.Logout())
	pages.Handle("GET /connect/logoutcallback", app.web.LogoutCallback())
	pages.Handle("GET /protected", app.web.RequireLogin(app.handle(app.handleProtected)))
	pages.Handle("GET /profile", app.web.RequireLogin(app.handle(app.handleProfile)))
	pages.Handle("GET /session", app.web.RequireLogin(app.handle(app.handleSession)))
	pages.Handle("POST /refresh", app.web.RequireLogin(app.limitRefreshes(app.handle(app.handleRefresh))))
	pages.Handle("GET /stepup", app.web.RequireLogin(app.handle(app.handleStepUp)))
	pages.Handle("GET /sessions", app.web.RequireLogin(app.handle(app.handleSessions)))
	pages.Handle("POST /sessions/end", app.web.RequireLogin(app.handle(app.handleEndSession)))
	if app.ServeSetupPage { // development only: otherwise a plain 404
		pages.Handle("GET /setup", app.handle(app.handleSetup))
		if app.RegistrationCheck != nil {
			// Each run calls CONNECT with the client's credentials.
			pages.Handle("POST /setup/check", app.limitByAddress(app.handle(app.handleSetupCheck)))
		}
	}
	pages.Handle("GET /guide", app.handle(app.handleGuide))
	// Any other GET is a 404 page; another method on a known path is a 405.
	pages.Handle("GET /", app.handle(app.handleNotFound))
	pages.Handle("GET /lang", app.handle(app.handleLanguage))
	mux.Handle("/", withLanguage(app.Sessions.LoadAndSave(noStore(notePattern(pages)))))

	// Outermost first: every request gets an id, a log line and its
	// latency measured, even one that panics; no body is read unchecked.
	return app.observeRequests(app.recoverPanic(securityHeaders(app.formTargets, app.HTTPS,
		app.crossOriginProtection(app.limitBodies(notePattern(mux))))))
}
