package handlers

import "net/http"

// handleHome is GET /: what the sample is, and a "Log in with CONNECT"
// button, or who is logged in.
func (app *App) handleHome(w http.ResponseWriter, r *http.Request) error {
	app.render(w, r, http.StatusOK, "home.html", homePage{EmbeddedRedis: app.EmbeddedRedis})
	return nil
}

type homePage struct {
	// EmbeddedRedis: the home page must not claim sessions are in a
	// Redis of the operator's when they are in the process's own.
	EmbeddedRedis bool
}
