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

// handleStepUp is GET /stepup, a page that stands for an app's sensitive
// settings: it demands more than a login, an authentication at LoA2
// (acr >= 2) no older than STEPUP_MAX_AGE, connectweb's step-up rule.
//
// A session that falls short first gets a page in the app saying what the
// check protects and why CONNECT will ask for a password: a visitor sent
// straight from a menu link to a password prompt cannot tell whether it
// is the app or a phishing page asking. Its "Continue to CONNECT" button,
// GET /stepup?continue=1, is what sends the browser to CONNECT
// (connectweb/stepup.go); this page checks again when it comes back.
func (app *App) handleStepUp(w http.ResponseWriter, r *http.Request) error {
	u := connectweb.CurrentUser(r)
	page := stepUpPage{
		Claims:     u.Claims,
		Granted:    app.web.SteppedUp(u),
		ValidUntil: u.Claims.AuthTime.Time().Add(app.StepUpMaxAge),
		MaxAge:     app.StepUpMaxAge,
	}
	if !page.Granted && r.URL.Query().Get("continue") == "1" {
		return app.web.StartStepUp(w, r, "/stepup")
	}
	app.render(w, r, http.StatusOK, "stepup.html", page)
	return nil
}

type stepUpPage struct {
	Claims connect.Claims
	// Granted: the session meets the step-up rule, and the page opens.
	// Otherwise it explains, and offers to continue to CONNECT.
	Granted    bool
	ValidUntil time.Time
	MaxAge     time.Duration
}
