package connectweb

import (
	"net/http"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/store"
)

// Step-up (step 11 of CONNECT's guide): a page that demands more than a
// login, an authentication at Options.StepUp's level no older than its
// MaxAge, sends a session that falls short to CONNECT again with
// acr_values and max_age. The callback checks that the new ID token
// really reached that level (connect.Exchange) and names the same user,
// and the page checks again when the browser comes back.

// SteppedUp reports whether u's authentication meets Options.StepUp now.
func (web *Web) SteppedUp(u *store.User) bool {
	return web.opts.Connect.Meets(u.Claims, web.opts.StepUp.ACR, web.opts.StepUp.MaxAge)
}

// StartStepUp sends the logged-in visitor to CONNECT to authenticate at
// Options.StepUp's level, to come back to returnTo.
func (web *Web) StartStepUp(w http.ResponseWriter, r *http.Request, returnTo string) error {
	u, ok := web.opts.Sessions.CurrentUser(r.Context())
	if !ok {
		web.redirectToLogin(w, r, returnTo, http.StatusFound)
		return nil
	}
	opts := connect.AuthOptions{
		ACRValues: web.opts.StepUp.ACR, MaxAge: web.opts.StepUp.MaxAge,
		UILocales: web.opts.UILocales(r), LoginHint: loginHintFor(u.Claims),
	}
	tx := store.LoginTransaction{ReturnTo: web.opts.ReturnPath(returnTo), StepUp: true, Subject: u.Claims.Subject}
	return web.startLogin(w, r, opts, tx)
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
