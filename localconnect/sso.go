package localconnect

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// ssoCookieName is the stand-in's own session cookie. Its path is the
// issuer's, so an app on the same host never receives it.
const ssoCookieName = "localconnect_sso"

// browserSession returns the SSO session the browser's cookie refers to.
func (s *Server) browserSession(r *http.Request) (ssoSession, bool) {
	c, err := r.Cookie(ssoCookieName)
	if err != nil {
		return ssoSession{}, false
	}
	return s.store.sessionByCookie(c.Value)
}

// startSession records a fresh authentication and sets the SSO cookie. The
// cookie outlives the browser only when the user ticked "Stay signed in";
// that choice also reaches clients as td_sls in the ID token.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, sub, acr string, amr []string, staySignedIn bool) ssoSession {
	var cookie string
	if c, err := r.Cookie(ssoCookieName); err == nil {
		cookie = c.Value
	}
	sess, replaced := s.store.authenticated(cookie, sub, acr, amr, staySignedIn)
	if replaced != "" {
		// Another user logs in on this browser: the previous user's session
		// ends, and their clients hear of it.
		s.endSession(context.WithoutCancel(r.Context()), replaced)
	}
	c := &http.Cookie{
		Name:     ssoCookieName,
		Value:    sess.cookie,
		Path:     s.cookiePath(),
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	}
	if staySignedIn {
		c.MaxAge = int(persistentSessionTTL / time.Second)
	}
	http.SetCookie(w, c)
	return sess
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name:     ssoCookieName,
		Path:     s.cookiePath(),
		MaxAge:   -1,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) cookiePath() string {
	if s.basePath == "" {
		return "/"
	}
	return s.basePath
}

// EndSession ends a CONNECT session as if the user had logged out there: its
// tokens are revoked and every client that got tokens in it and registered a
// back-channel logout URI is sent a logout token. Delivery is best effort and
// is logged; the error reports only an unknown or already ended session.
func (s *Server) EndSession(sid string) error {
	return s.endSession(context.Background(), sid)
}

func (s *Server) endSession(ctx context.Context, sid string) error {
	sess, ok := s.store.endSession(sid)
	if !ok {
		return fmt.Errorf("localconnect: no active session with sid %q", sid)
	}
	s.log.Info("CONNECT session ended", "sid", sid, "sub", sess.sub)
	s.sendBackchannelLogouts(ctx, sess)
	return nil
}
