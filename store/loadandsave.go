package store

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/telenordigital/connect-web-sample/connect"
)

// loadedKey marks a request context whose session LoadAndSave loaded.
type loadedKey struct{}

// LoadAndSave is the session middleware, in the shape of scs's own
// SessionManager.LoadAndSave: the session is loaded before next runs (one
// Redis read), and saved just before the response's first byte goes out
// (its WriteHeader or first Write), or after next if it wrote nothing.
// Most page views change nothing and save nothing (BeforeSave, which runs
// before each save).
//
// Why not scs's own (v2.9.0): when its save fails, it calls its ErrorFunc
// on the response and then still writes the handler's: the status (a
// superfluous WriteHeader, with a redirect's Location header still set)
// and the page, after the error page's body. Here a failed save gives
// ErrorFunc's answer alone: the Location header is dropped, so a redirect
// that cannot keep its promise is not followed, and whatever next writes
// afterwards is discarded. ErrorFunc gets the request as it came in,
// without the session, so the error page does not show a login whose save
// just failed. A session ended by a logout elsewhere while next ran
// (ErrSessionEnded) is no error: the page stands, without the dead
// session's cookie. And scs's ErrorFunc answers 500 where an unreachable
// Redis is a 503. Like scs's, it saves at the first byte, not after next
// returns, so a page rendered into a buffer first (as it should be) is not
// yet sent when the save fails, and can still be replaced.
//
// Errors that reach ErrorFunc wrap ErrUnavailable.
func (s *Sessions) LoadAndSave(next http.Handler) http.Handler {
	m := s.Manager
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Cookie")
		var token string
		if c, err := r.Cookie(m.Cookie.Name); err == nil {
			token = c.Value
		}
		ctx, err := m.Load(r.Context(), token)
		if err != nil {
			s.fail(w, r, fmt.Errorf("%w: load session: %v", ErrUnavailable, err))
			return
		}
		if err := s.endIfOutlived(ctx); err != nil {
			s.fail(w, r, err)
			return
		}
		withSession := r.WithContext(context.WithValue(ctx, loadedKey{}, true))
		sw := &sessionWriter{ResponseWriter: w, save: func() error { return s.save(w, withSession) }}
		// The error page after a failed save must not show a login whose
		// save just failed: it is rendered for r, without the session.
		sw.failed = func(err error) { s.fail(w, r, err) }
		next.ServeHTTP(sw, withSession)
		sw.saveOnce() // a handler that wrote nothing at all
	})
}

// Loaded reports whether LoadAndSave loaded this request's session. A
// page rendered outside it (after a panic caught further out, say) must
// not ask for the session: scs panics when it finds none in the context.
func (s *Sessions) Loaded(ctx context.Context) bool {
	loaded, _ := ctx.Value(loadedKey{}).(bool)
	return loaded
}

// fail answers with ErrorFunc, or a plain 503 when there is none.
func (s *Sessions) fail(w http.ResponseWriter, r *http.Request, err error) {
	if s.ErrorFunc != nil {
		s.ErrorFunc(w, r, err)
		return
	}
	http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
}

// save writes the session back if this request changed it (or its idle
// timeout is due to move), and sets or clears the cookie.
func (s *Sessions) save(w http.ResponseWriter, r *http.Request) error {
	m, ctx := s.Manager, r.Context()
	s.BeforeSave(ctx, s.now())
	switch m.Status(ctx) {
	case scs.Modified:
		token, expiry, err := m.Commit(ctx)
		switch {
		case errors.Is(err, ErrSessionEnded):
			// Ended by a logout elsewhere while this request ran: the
			// page stands, but the browser keeps whatever cookie a newer
			// response gave it.
		case err != nil:
			return fmt.Errorf("%w: save session: %v", ErrUnavailable, err)
		default:
			m.WriteSessionCookie(ctx, w, token, expiry)
		}
	case scs.Destroyed:
		m.WriteSessionCookie(ctx, w, "", time.Time{})
	}
	return nil
}

// sessionWriter saves the session when the response's status is written,
// before any header reaches the client. If the save fails, the error
// answer goes out instead, and what the handler writes after that is
// dropped.
type sessionWriter struct {
	http.ResponseWriter
	save     func() error
	failed   func(error)
	saved    bool
	replaced bool // the error answer went out instead of the handler's response
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

// endIfOutlived ends a loaded session that is past its sealed limits: its
// lifetime (the deadline scs sealed with it), its idle timeout (the last
// save it sealed), or the level of assurance the app now demands. Redis's
// expiry normally removes such a session first; this check is what holds
// when it does not, for a value someone made persistent or restored.
func (s *Sessions) endIfOutlived(ctx context.Context) error {
	u, ok := s.CurrentUser(ctx)
	if !ok {
		return nil
	}
	now := s.now()
	outlived := now.After(s.Manager.Deadline(ctx)) || now.Sub(u.LastSeen) > s.maxIdle ||
		(s.acrFloor != "" && !connect.ACRAtLeast(u.Claims.ACR, s.acrFloor))
	if !outlived {
		return nil
	}
	// The tokens go with the session; they expire at CONNECT anyway.
	_, err := s.LogOut(ctx)
	return err
}
