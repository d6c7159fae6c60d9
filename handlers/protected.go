package handlers

import (
	"cmp"
	"html/template"
	"net/http"

	"github.com/telenordigital/connect-web-sample/connectweb"
	"github.com/telenordigital/connect-web-sample/store"
)

// handleProtected is GET /protected: a page only logged-in users see. It
// shows who CONNECT says the user is, from the checked ID token; no call to
// CONNECT is needed to show it.
func (app *App) handleProtected(w http.ResponseWriter, r *http.Request) error {
	tr := translatorFor(langOf(r.Context()))
	app.render(w, r, http.StatusOK, "protected.html", newIdentity(tr, connectweb.CurrentUser(r)))
	return nil
}

// identity is who the user is, as the identity partial shows it: ready
// strings, so the most viewed page runs no template function through
// reflection (bench/README.md has what that bought).
type identity struct {
	Name, Subject      string
	ACR, AMR           template.HTML
	AuthTime, LoggedIn string
	ShortLived         bool
}

func newIdentity(tr translator, u *store.User) identity {
	return identity{
		Name:       cmp.Or(u.Claims.Name, "—"),
		Subject:    u.Claims.Subject,
		ACR:        tr.acr(u.Claims.ACR),
		AMR:        tr.amr(u.Claims.AMR),
		AuthTime:   tr.datetime(u.Claims.AuthTime.Time()),
		LoggedIn:   tr.datetime(u.LoggedInAt),
		ShortLived: u.Claims.ShortLivedSession,
	}
}
