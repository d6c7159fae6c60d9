package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/telenordigital/connect-web-sample/store"
)

// Sessions and devices: every session of the logged-in user, on every app
// instance and in every browser, read from the session index in Redis
// (store/index.go), so a user can see where they are logged in and end a
// session they do not recognise.
//
// Each device's CONNECT session is its own. Ending a session here ends it
// in this app and revokes its tokens, and remembers the device's CONNECT
// session (sid) for ENDED_SESSION_MEMORY: until then, single sign-on from
// it is not enough, and the device must authenticate afresh
// (connectweb/callback.go). Without a sid from CONNECT there is nothing to
// recognise the device by, and the page says it may come back.

// handleSessions is GET /sessions: this user's active sessions.
func (app *App) handleSessions(w http.ResponseWriter, r *http.Request) error {
	sessions, err := app.Sessions.List(r.Context())
	if err != nil {
		return err
	}
	app.render(w, r, http.StatusOK, "sessions.html", sessionsPage{Sessions: sessions, Now: app.Now(), EndedMemory: app.EndedSessionMemory})
	return nil
}

type sessionsPage struct {
	Sessions []store.ActiveSession
	Now      time.Time
	// EndedMemory is how long an ended device must authenticate afresh.
	EndedMemory time.Duration
}

// Others reports whether there is a session besides this browser's.
func (p sessionsPage) Others() bool {
	for _, s := range p.Sessions {
		if !s.Current {
			return true
		}
	}
	return false
}

// handleEndSession is POST /sessions/end: form field session (an ID from
// the sessions page, never a session token) ends that session; others=1
// ends every session but this one. Their tokens are revoked at CONNECT.
func (app *App) handleEndSession(w http.ResponseWriter, r *http.Request) error {
	ctx := context.WithoutCancel(r.Context()) // a closed tab must not leave tokens valid
	if r.PostFormValue("others") == "1" {
		ended, err := app.Sessions.EndOthers(ctx)
		if err != nil {
			return err
		}
		for _, tokens := range ended {
			app.web.RevokeTokens(ctx, tokens)
		}
		app.Messages.Set(w, messageOthersEnded)
		http.Redirect(w, r, "/sessions", http.StatusSeeOther)
		return nil
	}
	id := r.PostFormValue("session")
	if id == "" {
		return badRequest("no_session_named")
	}
	tokens, ended, err := app.Sessions.End(ctx, id)
	if err != nil {
		return err
	}
	if ended {
		app.web.RevokeTokens(ctx, tokens)
		app.Messages.Set(w, messageSessionEnded)
	} else {
		app.Messages.Set(w, messageSessionGone)
	}
	http.Redirect(w, r, "/sessions", http.StatusSeeOther)
	return nil
}

// The one-time messages of this page.
const (
	messageSessionEnded = "message.session_ended"
	messageSessionGone  = "message.session_gone"
	messageOthersEnded  = "message.others_ended"
)
