package localconnect

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/go-jose/go-jose/v4/jwt"
)

// handleLogout serves GET {issuer}/logout, the end-session endpoint (OIDC
// RP-Initiated Logout 1.0). It ends the browser's CONNECT session (or, with
// no cookie, the one id_token_hint names), then returns to the client when
// id_token_hint names it and post_logout_redirect_uri is registered for it;
// otherwise it shows a "logged out" page.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if s.currentFaults().NoEndSession {
		s.handleNotFound(w, r)
		return
	}
	q := r.URL.Query()
	var client Client
	var hint struct {
		jwt.Claims
		SID string `json:"sid"`
	}
	hasClient := false
	if raw := q.Get("id_token_hint"); raw != "" {
		// The hint must be our own ID token; expired ones are fine.
		if err := s.keys.verify(raw, &hint); err != nil || hint.Issuer != s.issuer || len(hint.Audience) == 0 {
			s.log.Info("logout: ignoring an id_token_hint that is not ours")
			hint.SID = ""
		} else {
			client, hasClient = s.clients[hint.Audience[0]]
		}
	}

	sid := hint.SID
	if sess, ok := s.browserSession(r); ok {
		sid = sess.sid
	}
	if sid != "" {
		// A back-channel receiver should not be cut off because the user
		// closed the tab.
		s.endSession(context.WithoutCancel(r.Context()), sid)
	}
	s.clearSessionCookie(w)

	target := q.Get("post_logout_redirect_uri")
	if hasClient && target != "" && slices.Contains(client.PostLogoutRedirectURIs, target) {
		redirectTo(w, r, target, url.Values{}, q.Get("state"))
		return
	}
	// RP-Initiated Logout 1.0 section 2 lets the app pass ui_locales here too.
	lang := s.languageOf(w, r)
	m := texts(lang).Messages.LoggedOut
	if target != "" {
		m.Detail = texts(lang).Messages.LoggedOutNotBack
	}
	s.render(w, http.StatusOK, s.pages.message,
		messagePage{page: s.newPage(lang, m.Title, s.here(r)), Text: m.Text, Detail: m.Detail, Links: true})
}
