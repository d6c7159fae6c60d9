package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/telenordigital/connect-web-sample/store"
)

// loadAndSaveSession does what scs's LoadAndSave does, in an order that
// keeps errors clean. The session is loaded before the page (one Redis
// read), and saved just before the response's first byte goes out, which
// is after the page has been rendered into a buffer (render.go). So a
// session that cannot be saved (Redis is down) gives the 503 page alone,
// never a page followed by an error, nor a page whose changes were lost.
// Most page views change nothing and save nothing (store.Sessions.BeforeSave).
func (app *App) loadAndSaveSession(next http.Handler) http.Handler {
	m := app.Sessions.Manager
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Cookie")
		var token string
		if c, err := r.Cookie(m.Cookie.Name); err == nil {
			token = c.Value
		}
		ctx, err := m.Load(r.Context(), token)
		if err != nil {
			app.serveError(w, r, fmt.Errorf("%w: load session: %v", store.ErrUnavailable, err))
			return
		}
		withSession := r.WithContext(context.WithValue(ctx, sessionLoadedKey, true))
		sw := &sessionWriter{ResponseWriter: w, save: func() error { return app.saveSession(w, withSession) }}
		// The error page after a failed save must not show a login whose
		// save just failed: it is rendered for r, without the session.
		sw.failed = func(err error) { app.serveError(w, r, err) }
		next.ServeHTTP(sw, withSession)
		sw.saveOnce() // a handler that wrote nothing at all
	})
}

// saveSession writes the session back if this request changed it (or its
// idle timeout is due to move), and sets or clears the cookie.
func (app *App) saveSession(w http.ResponseWriter, r *http.Request) error {
	m, ctx := app.Sessions.Manager, r.Context()
	app.Sessions.BeforeSave(ctx, app.Now())
	switch m.Status(ctx) {
	case scs.Modified:
		token, expiry, err := m.Commit(ctx)
		switch {
		case errors.Is(err, store.ErrSessionEnded):
			// Ended by a logout elsewhere while this request ran: the
			// page stands, but the browser keeps whatever cookie a newer
			// response gave it.
		case err != nil:
			return fmt.Errorf("%w: save session: %v", store.ErrUnavailable, err)
		default:
			m.WriteSessionCookie(ctx, w, token, expiry)
		}
	case scs.Destroyed:
		m.WriteSessionCookie(ctx, w, "", time.Time{})
	}
	return nil
}

// hasSession reports whether the request's session has been loaded; pages
// rendered outside loadAndSaveSession (a panic caught at the top, say) must
// not ask scs for data, which would panic again.
func hasSession(ctx context.Context) bool {
	loaded, _ := ctx.Value(sessionLoadedKey).(bool)
	return loaded
}

// sessionWriter saves the session when the response's status is written,
// before any header reaches the client. If the save fails, the 503 page
// goes out instead, and what the handler writes after that is dropped.
type sessionWriter struct {
	http.ResponseWriter
	save     func() error
	failed   func(error)
	saved    bool
	replaced bool // the error page went out instead of the handler's response
}

func (sw *sessionWriter) saveOnce() {
	if sw.saved {
		return
	}
	sw.saved = true
	if err := sw.save(); err != nil {
		sw.replaced = true
		// A redirect that cannot keep its promise must not be followed.
		sw.Header().Del("Location")
		sw.failed(err)
	}
}

func (sw *sessionWriter) WriteHeader(status int) {
	sw.saveOnce()
	if !sw.replaced {
		sw.ResponseWriter.WriteHeader(status)
	}
}

func (sw *sessionWriter) Write(b []byte) (int, error) {
	sw.saveOnce()
	if sw.replaced {
		return len(b), nil
	}
	return sw.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (sw *sessionWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }
