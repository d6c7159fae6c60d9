package handlers

import "net/http"

// handleProtected is GET /protected: a page only logged-in users see. It
// shows who CONNECT says the user is, from the checked ID token; no call to
// CONNECT is needed to show it.
func (app *App) handleProtected(w http.ResponseWriter, r *http.Request) error {
	app.render(w, r, http.StatusOK, "protected.html", nil)
	return nil
}
