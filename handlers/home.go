package handlers

import "net/http"

// handleHome is GET /: what the sample is, and a "Log in with CONNECT"
// button, or who is logged in.
func (app *App) handleHome(w http.ResponseWriter, r *http.Request) error {
	app.render(w, r, http.StatusOK, "home.html", nil)
	return nil
}
