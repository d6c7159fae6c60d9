package handlers

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/telenordigital/connect-web-sample/connect"
)

// handleBackchannelLogout is POST /connect/backchannellogout: CONNECT's
// server tells us, directly and without the browser, that a user's CONNECT
// session ended (OIDC Back-Channel Logout). We end every local session of
// that CONNECT session (sid), or of that user (sub) when no sid is given,
// on every app instance.
//
// Answers: 200 when done (also for a replayed token, which ends nothing
// new), 400 for a token that fails any check, 503 when Redis or CONNECT's
// keys cannot be reached, so that CONNECT may retry. Never cached.
func (app *App) handleBackchannelLogout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context() // limitBodies has bounded and parsed the form

	token, err := app.Connect.VerifyLogoutToken(ctx, r.PostFormValue("logout_token"))
	if err != nil {
		if errors.Is(err, connect.ErrUnavailable) {
			app.backchannelAnswer(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", err)
			return
		}
		app.backchannelAnswer(w, r, http.StatusBadRequest, "invalid_request", err)
		return
	}
	seen, err := app.Sessions.LogoutTokenSeen(ctx, token.ID)
	if err != nil {
		app.backchannelAnswer(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", err)
		return
	}
	if seen {
		app.Logger.Info("back-channel logout token replayed; nothing more to end", "request_id", requestID(ctx))
		w.WriteHeader(http.StatusOK)
		return
	}
	ended, err := app.Sessions.EndSessions(ctx, token.SessionID, token.Subject)
	if err != nil {
		app.backchannelAnswer(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", err)
		return
	}
	// Recorded only once its sessions are ended: a retry after a failure
	// part-way must still end them.
	if err := app.Sessions.RememberLogoutToken(ctx, token.ID, token.Expiry); err != nil {
		app.backchannelAnswer(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", err)
		return
	}
	app.Logger.Info("back-channel logout", "sessions_ended", ended, "by_sid", token.SessionID != "", "request_id", requestID(ctx))
	w.WriteHeader(http.StatusOK)
}

// backchannelAnswer writes the short JSON error CONNECT gets, and logs why.
func (app *App) backchannelAnswer(w http.ResponseWriter, r *http.Request, status int, code string, err error) {
	// The error may quote the posted token's claims (its iss, say).
	app.Logger.Info("back-channel logout refused", "status", status, "error", clipForLog(err.Error()), "request_id", requestID(r.Context()))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}
