package handlers

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/telenordigital/connect-web-sample/connect"
)

// handleSetup is GET /setup: what to register with Telenor, derived from
// this app's configuration, and whether that configuration works: client
// type, scopes, issuer, discovery and the warnings a production run must
// not have. It never shows the client secret, only whether one is set.
func (app *App) handleSetup(w http.ResponseWriter, r *http.Request) error {
	page := setupPage{
		RedirectURI:           app.baseURL + "/connect/oauth2callback",
		PostLogoutRedirectURI: app.baseURL + "/connect/logoutcallback",
		BackchannelLogoutURI:  app.baseURL + "/connect/backchannellogout",
		HTTPSWarning:          httpsWarning(app.baseURL),
		ClientID:              app.connect.ClientID(),
		Confidential:          app.connect.Confidential(),
		SSO:                   app.sso,
		Scopes:                app.scopes,
		Issuer:                app.issuer,
		DiscoveryURL:          strings.TrimSuffix(app.issuer, "/") + "/.well-known/openid-configuration",
		StandIn:               app.standInURL != "",
		Warnings:              app.warnings,
	}
	// A CONNECT that does not answer is exactly what this page must be able
	// to show, so a failed discovery is part of the page, not an error page.
	// Endpoints runs discovery if it has not succeeded yet.
	if endpoints, err := app.connect.Endpoints(r.Context()); err != nil {
		app.log.Warn("setup page: discovery failed", "error", err, "request_id", requestID(r.Context()))
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
	// HTTPSWarning is why CONNECT would refuse the redirect URIs, or "".
	HTTPSWarning string
	ClientID     string
	Confidential bool
	SSO          bool
	Scopes       []string
	Issuer       string
	DiscoveryURL string
	Discovered   bool
	Endpoints    connect.Endpoints
	StandIn      bool
	Warnings     []string
}

// httpsWarning explains why CONNECT would refuse redirect URIs derived from
// baseURL, or returns "" when it would accept them: CONNECT requires https
// for every redirect URI except on localhost.
func httpsWarning(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return "APP_BASE_URL is not an absolute URL, so the redirect URIs below cannot be registered. Set it to the address your users type, e.g. https://app.example.com."
	}
	if u.Scheme == "https" || isLocalhost(u.Hostname()) {
		return ""
	}
	return "APP_BASE_URL uses " + u.Scheme + " on " + u.Hostname() + ": CONNECT accepts non-https redirect URIs only on localhost. Serve the app over https and set APP_BASE_URL to its https:// address."
}

// isLocalhost reports whether host is this machine: localhost or a
// loopback address, the only hosts CONNECT lets a redirect URI use http.
func isLocalhost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
