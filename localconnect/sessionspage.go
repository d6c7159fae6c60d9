package localconnect

import (
	"context"
	"net/http"
	"strings"
)

// sessionsPage is the data of templates/sessions.html.
type sessionsPage struct {
	page
	EndAction  string
	Rows       []sessionRow
	Deliveries []deliveryRow
}

// deliveryRow is a back-channel logout delivery with its time in words.
type deliveryRow struct {
	delivery
	When string
}

type sessionRow struct {
	SID, User, AuthTime, ACR, AMR, Clients string
	StaySignedIn                           bool
}

// handleSessionsPage serves GET {issuer}/sessions: the live CONNECT sessions,
// each with an "End session" button, and the latest back-channel logout
// deliveries, so a partner can watch back-channel logout happen.
func (s *Server) handleSessionsPage(w http.ResponseWriter, r *http.Request) {
	lang := visitorLanguage(r)
	data := sessionsPage{page: s.newPage(lang, texts(lang).Sessions.Title, s.here(r)), EndAction: s.basePath + "/sessions/end"}
	for _, sess := range s.store.activeSessions() {
		name := sess.sub
		if u, ok := s.user(sess.sub); ok {
			name = u.Name
		}
		data.Rows = append(data.Rows, sessionRow{
			SID:          sess.sid,
			User:         name,
			AuthTime:     moment(lang, sess.authTime),
			ACR:          sess.acr,
			AMR:          strings.Join(sess.amr, " "),
			Clients:      strings.Join(sess.clients, ", "),
			StaySignedIn: sess.staySignedIn,
		})
	}
	s.mu.Lock()
	for i := len(s.deliveries) - 1; i >= 0; i-- { // newest first
		data.Deliveries = append(data.Deliveries, deliveryRow{s.deliveries[i], moment(lang, s.deliveries[i].At)})
	}
	s.mu.Unlock()
	s.render(w, http.StatusOK, s.pages.sessions, data)
}

// handleEndSession serves POST {issuer}/sessions/end (form field sid): ends
// that session as a logout at CONNECT would, then shows the sessions again.
func (s *Server) handleEndSession(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := s.endSession(context.WithoutCancel(r.Context()), r.PostFormValue("sid")); err != nil {
		s.log.Info("end session from the sessions page", "err", err)
	}
	http.Redirect(w, r, s.basePath+"/sessions", http.StatusSeeOther)
}
