package handlers

import (
	"net/http"
	"strings"

	"github.com/telenordigital/connect-web-sample/connect"
)

// handleSetup is GET /setup: what to register with Telenor, derived from
// this app's configuration, and whether that configuration works: client
// type, scopes, issuer, discovery and the warnings a production run must
// not have. It never shows the client secret, only whether one is set.
func (app *App) handleSetup(w http.ResponseWriter, r *http.Request) error {
	page := setupPage{
		RedirectURI:           app.Registration.RedirectURL,
		PostLogoutRedirectURI: app.Registration.PostLogoutRedirectURL,
		BackchannelLogoutURI:  app.Registration.BackchannelLogoutURL,
		InsecureBaseURL:       app.Registration.InsecureBaseURL,
		ClientID:              app.Connect.ClientID(),
		Confidential:          app.Connect.Confidential(),
		SSO:                   app.SSO,
		Scopes:                app.Scopes,
		Issuer:                app.Issuer,
		DiscoveryURL:          strings.TrimSuffix(app.Issuer, "/") + "/.well-known/openid-configuration",
		StandIn:               app.StandInURL != "",
		Warnings:              app.Warnings,
	}
	// A CONNECT that does not answer is exactly what this page must be able
	// to show, so a failed discovery is part of the page, not an error page.
	// Endpoints runs discovery if it has not succeeded yet.
	if endpoints, err := app.Connect.Endpoints(r.Context()); err != nil {
		app.Logger.Warn("setup page: discovery failed", "error", err, "request_id", requestID(r.Context()))
	} else {
		page.Endpoints, page.Discovered = endpoints, true
	}
	app.render(w, r, http.StatusOK, "setup.html", page)
	return nil
}

// setupPage is what setup.html shows. It has no field for the client
// secret, so no template change can print it.
type setupPage struct {
	RedirectURI           string
	PostLogoutRedirectURI string
	BackchannelLogoutURI  string
	// InsecureBaseURL: CONNECT would refuse these http redirect URIs.
	InsecureBaseURL bool
	ClientID        string
	Confidential    bool
	SSO             bool
	Scopes          []string
	Issuer          string
	DiscoveryURL    string
	Discovered      bool
	Endpoints       connect.Endpoints
	StandIn         bool
	Warnings        []string
}
