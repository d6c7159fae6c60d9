package handlers

import (
	"net/http"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// stepUpACR is the level of assurance the sensitive page demands: "2",
// a password on top of the mobile phone.
const stepUpACR = "2"

// handleStepUp is GET /stepup, a "sensitive settings" page that demands
// more than a login: an authentication at LoA2 (acr >= 2) no older than
// STEPUP_MAX_AGE. A session that falls short is sent to CONNECT again with
// acr_values=2 and max_age; the callback checks that the new ID token
// really reached that level and is for the same user, and this page checks
// again when the browser comes back.
func (app *App) handleStepUp(w http.ResponseWriter, r *http.Request) error {
	u := currentUser(r)
	if app.Connect.Meets(u.Claims, stepUpACR, app.StepUpMaxAge) {
		app.render(w, r, http.StatusOK, "stepup.html", stepUpPage{
			Claims:     u.Claims,
			ValidUntil: u.Claims.AuthTime.Time().Add(app.StepUpMaxAge),
			MaxAge:     app.StepUpMaxAge,
		})
		return nil
	}
	opts := connect.AuthOptions{ACRValues: stepUpACR, MaxAge: app.StepUpMaxAge, UILocales: app.uiLocales(r.Context()),
		LoginHint: loginHintFor(u.Claims)}
	return app.startLogin(w, r, opts, store.LoginTransaction{ReturnTo: "/stepup", StepUp: true, Subject: u.Claims.Subject})
}

// loginHintFor is the username CONNECT should ask the password of: the
// one this user logged in with (td_au, given when both the email and
// phone scopes were granted), else their e-mail or phone number. Without
// it, CONNECT's page may offer whoever logged in last in that browser, and
// a password typed for another user is a step-up that cannot count.
func loginHintFor(c connect.Claims) string {
	for _, hint := range []string{c.Username, c.Email, c.PhoneNumber} {
		if hint != "" && plausibleLoginHint(hint) {
			return hint
		}
	}
	return ""
}

type stepUpPage struct {
	Claims     connect.Claims
	ValidUntil time.Time
	MaxAge     time.Duration
}
