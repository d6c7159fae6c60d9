package handlers

import (
	"net/http"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/connectweb"
)

// stepUpACR is the level of assurance the sensitive page demands: "2",
// a password on top of the mobile phone.
const stepUpACR = "2"

// handleStepUp is GET /stepup, a "sensitive settings" page that demands
// more than a login: an authentication at LoA2 (acr >= 2) no older than
// STEPUP_MAX_AGE, connectweb's step-up rule. A session that falls short
// is sent to CONNECT again (connectweb/stepup.go), and this page checks
// again when the browser comes back.
func (app *App) handleStepUp(w http.ResponseWriter, r *http.Request) error {
	u := connectweb.CurrentUser(r)
	if !app.web.SteppedUp(u) {
		return app.web.StartStepUp(w, r, "/stepup")
	}
	app.render(w, r, http.StatusOK, "stepup.html", stepUpPage{
		Claims:     u.Claims,
		ValidUntil: u.Claims.AuthTime.Time().Add(app.StepUpMaxAge),
		MaxAge:     app.StepUpMaxAge,
	})
	return nil
}

type stepUpPage struct {
	Claims     connect.Claims
	ValidUntil time.Time
	MaxAge     time.Duration
}
