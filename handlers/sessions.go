package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"

	"github.com/telenordigital/connect-web-sample/store"
)

// loadAndSaveSession does what scs's LoadAndSave does, in an order that
// keeps errors clean: the page is written into a buffer, the session is
// saved, and only then do the cookie, the status and the body go out. A
// session that cannot be saved (Redis is down) gives the 503 page alone,
// never a page followed by an error, nor a page whose changes were lost.
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
		page := &bufferedResponse{header: http.Header{}, status: http.StatusOK}
		next.ServeHTTP(page, r.WithContext(context.WithValue(ctx, sessionLoadedKey, true)))

		switch m.Status(ctx) {
		case scs.Modified:
			token, expiry, err := m.Commit(ctx)
			switch {
			case errors.Is(err, store.ErrSessionEnded):
				// Ended by a logout elsewhere while this request ran: the
				// page stands, but the browser keeps whatever cookie a newer
				// response gave it.
			case err != nil:
				// r, not the request with the session: the error page must
				// not show a login whose save just failed.
				app.serveError(w, r, fmt.Errorf("%w: save session: %v", store.ErrUnavailable, err))
				return
			default:
				m.WriteSessionCookie(ctx, w, token, expiry)
			}
		case scs.Destroyed:
			m.WriteSessionCookie(ctx, w, "", time.Time{})
		}
		for k, v := range page.header {
			w.Header()[k] = append(w.Header()[k], v...)
		}
		w.WriteHeader(page.status)
		w.Write(page.body.Bytes())
	})
}

// hasSession reports whether the request's session has been loaded; pages
// rendered outside loadAndSaveSession (a panic caught at the top, say) must
// not ask scs for data, which would panic again.
func hasSession(ctx context.Context) bool {
	loaded, _ := ctx.Value(sessionLoadedKey).(bool)
	return loaded
}

// bufferedResponse holds a page until the session is saved.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header         { return b.header }
func (b *bufferedResponse) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferedResponse) WriteHeader(status int)      { b.status = status }
