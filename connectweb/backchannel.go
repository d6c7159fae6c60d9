package connectweb

import (
	"encoding/json"
	"errors"
	"net/http"

	"log/slog"

	"github.com/telenordigital/connect-web-sample/connect"
)

// BackchannelLogout is POST /connect/backchannellogout: CONNECT's
// server tells us, directly and without the browser, that a user's CONNECT
// session ended (OIDC Back-Channel Logout). We end every local session of
// that CONNECT session (sid), or of that user (sub) when no sid is given,
// on every app instance.
//
// Answers: 200 when done (also for a replayed token, which ends nothing
// new), 400 for a token that fails any check, 503 when Redis or CONNECT's
// keys cannot be reached, so that CONNECT may retry. Never cached. No
// session or cookie is involved: mount it where none is needed. Each
// answer is counted.
func (web *Web) BackchannelLogout() http.Handler {
	return http.HandlerFunc(web.backchannelLogout)
}

func (web *Web) backchannelLogout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	ctx := r.Context()
	// A logout token is a few KB; nothing bigger is read.
	r.Body = http.MaxBytesReader(w, r.Body, maxBackchannelBody)

	token, err := web.opts.Connect.VerifyLogoutToken(ctx, r.PostFormValue("logout_token"))
	if err != nil {
		if errors.Is(err, connect.ErrUnavailable) {
			web.backchannelAnswer(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", err)
			return
		}
		web.backchannelAnswer(w, r, http.StatusBadRequest, "invalid_request", err)
		return
	}
	seen, err := web.opts.Sessions.LogoutTokenSeen(ctx, token.ID)
	if err != nil {
		web.backchannelAnswer(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", err)
		return
	}
	if seen {
		web.log(ctx, slog.LevelInfo, "back-channel logout token replayed; nothing more to end")
		web.count("backchannel_logout", "accepted", "replayed")
		w.WriteHeader(http.StatusOK)
		return
	}
	ended, err := web.opts.Sessions.EndSessions(ctx, token.SessionID, token.Subject)
	if err != nil {
		web.backchannelAnswer(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", err)
		return
	}
	// Recorded only once its sessions are ended: a retry after a failure
	// part-way must still end them.
	if err := web.opts.Sessions.RememberLogoutToken(ctx, token.ID, token.Expiry); err != nil {
		web.backchannelAnswer(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", err)
		return
	}
	web.log(ctx, slog.LevelInfo, "back-channel logout", "sessions_ended", ended, "by_sid", token.SessionID != "")
	web.count("backchannel_logout", "accepted", "")
	w.WriteHeader(http.StatusOK)
}

// backchannelAnswer writes the short JSON error CONNECT gets, and logs why.
func (web *Web) backchannelAnswer(w http.ResponseWriter, r *http.Request, status int, code string, err error) {
	// The error may quote the posted token's claims (its iss, say).
	web.log(r.Context(), slog.LevelInfo, "back-channel logout refused", "status", status, "error", ClipForLog(err.Error()))
	outcome := "invalid"
	if status == http.StatusServiceUnavailable {
		outcome = "unavailable"
	}
	web.count("backchannel_logout", outcome, "")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code})
}

// maxBackchannelBody bounds the form CONNECT posts: a logout token is a
// signed JWT of a few hundred bytes.
const maxBackchannelBody = 64 << 10
