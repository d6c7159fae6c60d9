package handlers

import (
	"net/http"
	"strings"
)

// guideStep is one step of CONNECT's web integration guide
// (connect-integration-guide.txt): what the step asks, where this app
// shows it, which files do it, and what the app does there beyond it.
type guideStep struct {
	Number  int
	Title   string
	Summary string
	// Links are the pages or sections of this app that show the step; the
	// first is the step's home.
	Links []guideLink
	// Files do the step, relative to the repository root.
	Files []string
	// Beyond is what the app does at this step that the guide does not
	// ask for, each with the reason.
	Beyond []beyondGuide
}

// guideLink is a link from the guide to a page of the app, or to one of the
// stand-in's: those are linked only while the stand-in runs, since real
// CONNECT's pages show nothing without a login request.
type guideLink struct {
	Label   string
	Path    string
	StandIn bool
}

// beyondGuide is something the app does that a step does not name.
type beyondGuide struct {
	What  string
	Why   string
	Link  guideLink
	Files []string
}

// guideSteps are CONNECT's 13 steps, in CONNECT's order and numbering. The
// "Step N of 13" markers on the pages (templates/partials/step.html) and
// docs/walkthrough.md use the same numbers.
var guideSteps = []guideStep{
	{
		Number: 1,
		Title:  "Register the client with Telenor",
		Summary: "CONNECT only talks to clients Telenor knows. The registration names the organisation and product, " +
			"a name users see, a technical contact, the platform and application type (web), the client type, " +
			"the scopes, and the URIs of step 2. /setup fills in what this app would send.",
		Links: []guideLink{{Label: "Setup: what to register", Path: "/setup#register"}},
		Files: []string{"handlers/setup.go", "templates/pages/setup.html"},
	},
	{
		Number: 2,
		Title:  "Choose the redirect URI",
		Summary: "The redirect URI is where CONNECT sends the browser after the login; CONNECT accepts only a registered one, " +
			"compared character for character, and only https away from localhost. Here it is APP_BASE_URL followed by " +
			"/connect/oauth2callback, which is also CONNECT's default test registration. SSO clients add a post-logout redirect URI.",
		Links: []guideLink{{Label: "Setup: the URIs to register", Path: "/setup#redirect-uri"}},
		Files: []string{"config/config.go", "handlers/callback.go"},
	},
	{
		Number: 3,
		Title:  "Receive the client_id, the client_secret and cURL commands",
		Summary: "An approved registration brings a client_id, a client_secret for a confidential client, and cURL commands " +
			"to try CONNECT by hand. The app reads the first two from CONNECT_CLIENT_ID and CONNECT_CLIENT_SECRET; " +
			"/setup writes the cURL commands for the configured client, reading the secret from a shell variable.",
		Links: []guideLink{
			{Label: "Setup: your client_id and client_secret", Path: "/setup#credentials"},
			{Label: "Setup: the cURL commands", Path: "/setup#curl"},
		},
		Files: []string{"config/config.go", "config.example.env", "handlers/setup.go"},
		Beyond: []beyondGuide{{
			What: "Discovery: the endpoints come from CONNECT's discovery document, not from fixed paths.",
			Why: "The guide names fixed paths (/oauth/token, ...). Reading them from {issuer}/.well-known/openid-configuration " +
				"lets staging, production, the stand-in and any other OpenID provider work with CONNECT_ISSUER alone.",
			Link:  guideLink{Label: "Setup: discovery", Path: "/setup#discovery"},
			Files: []string{"connect/client.go"},
		}},
	},
	{
		Number: 4,
		Title:  "Authenticate the client: HTTP Basic, or client_id alone for a public client",
		Summary: "Only the token and revocation endpoints (/oauth/token, /oauth/revoke) want to know which client calls. " +
			"A confidential client sends HTTP Basic made of its client_id and client_secret; a public client has no secret " +
			"and sends its client_id in the form body.",
		Links: []guideLink{{Label: "Setup: how this client authenticates", Path: "/setup#client-auth"}},
		Files: []string{"connect/client.go", "connect/revoke.go"},
	},
	{
		Number: 5,
		Title:  "Send the user to /oauth/authorize with the scope, the redirect URI and a state",
		Summary: "A visitor who opens a page that needs a login is redirected to CONNECT's authorization endpoint with " +
			"response_type=code, the client_id, the scopes, the redirect URI and a state: a new random value, kept by the app " +
			"to check that the answer belongs to this very request.",
		Links: []guideLink{{Label: "A page that needs a login", Path: "/protected"}},
		Files: []string{"handlers/middleware.go", "handlers/login.go", "connect/authorize.go", "store/transaction.go"},
		Beyond: []beyondGuide{
			{
				What: "A nonce and PKCE (S256) go with every request, for confidential and public clients alike.",
				Why: "The nonce ties the ID token to this one login, so a token from another login cannot be slipped in. " +
					"PKCE makes an intercepted code worthless without the verifier, which never leaves the server; for a public " +
					"client, which has no secret, it is the one thing that keeps a stolen code from being redeemed.",
				Files: []string{"connect/authorize.go", "store/transaction.go"},
			},
			{
				What: "A silent SSO check: prompt=none asks CONNECT whether this browser already has a CONNECT session, showing no page.",
				Why: "With a CONNECT session the user is logged in here at once, without a click; without one CONNECT answers " +
					"error=login_required (step 8) and the home page says so.",
				Link:  guideLink{Label: "Check for a CONNECT session", Path: "/login?prompt=none&return_to=/protected"},
				Files: []string{"handlers/login.go", "templates/pages/home.html"},
			},
		},
	},
	{
		Number: 6,
		Title:  "Pick the scopes",
		Summary: "Scopes decide what the app may learn: openid brings the ID token, and profile, email and phone each add " +
			"claims to userinfo; CONNECT has no address scope. Request only scopes registered for the client.",
		Links: []guideLink{{Label: "Profile: scopes requested, granted, and the claims they brought", Path: "/profile#scopes"}},
		Files: []string{"handlers/scopes.go", "config/config.go"},
	},
	{
		Number: 7,
		Title:  "Receive the authorization code at the redirect URI",
		Summary: "After the login CONNECT redirects the browser to the redirect URI with a code, short-lived and good for one use, " +
			"and the state. The app first matches the state to the login this browser started and consumes it, and only then uses the code.",
		Links: []guideLink{{Label: "The protected page, where the callback sends you", Path: "/protected"}},
		Files: []string{"handlers/callback.go", "store/transaction.go"},
	},
	{
		Number: 8,
		Title:  "Handle the error parameter",
		Summary: "When CONNECT does not log the user in (the user cancelled, no session for prompt=none, a bad request, an outage), " +
			"the redirect carries error, and perhaps error_description, instead of a code. Those are for developers: " +
			"they go to the log, and the visitor gets a plain page.",
		Links: []guideLink{{Label: "Ask CONNECT silently: without a CONNECT session the answer is error=login_required", Path: "/login?prompt=none&return_to=/protected"}},
		Files: []string{"handlers/callback.go", "handlers/errors.go"},
	},
	{
		Number: 9,
		Title:  "Exchange the code for tokens at /oauth/token",
		Summary: "The app's back end posts the code, the redirect URI and the PKCE verifier to the token endpoint, and gets " +
			"an access token, a refresh token and, since openid was requested, an ID token. The scope granted is compared with the one asked for.",
		Links: []guideLink{{Label: "Session: what came back (never the tokens themselves)", Path: "/session"}},
		Files: []string{"connect/exchange.go", "connect/tokens.go", "store/tokens.go"},
	},
	{
		Number: 10,
		Title:  "Use the access token; resource servers validate it; refresh it",
		Summary: "The access token opens the user's resources: the app sends it as Authorization: Bearer to userinfo, and a " +
			"resource server that receives one must validate it before it answers. Access tokens live briefly: shortly before expiry " +
			"the refresh token buys a new access token and a new refresh token, and the old refresh token is dropped.",
		Links: []guideLink{
			{Label: "Profile: userinfo read with the access token", Path: "/profile"},
			{Label: "Session: the access token at a resource server, /api/me", Path: "/session#api"},
			{Label: "Session: Refresh now", Path: "/session#refresh"},
		},
		Files: []string{"handlers/profile.go", "connect/userinfo.go", "handlers/api.go", "connect/accesstoken.go",
			"handlers/refresh.go", "connect/refresh.go"},
	},
	{
		Number: 11,
		Title:  "Verify the user with the ID token",
		Summary: "The ID token is a JWT signed by CONNECT that says who the user is, and how and when they authenticated. " +
			"The app checks its signature against CONNECT's keys, and iss, aud, azp, exp, iat and nonce, before it trusts a claim " +
			"and starts a session under a new session id.",
		Links: []guideLink{
			{Label: "Protected page: the checked claims", Path: "/protected"},
			{Label: "Session: every claim of the ID token", Path: "/session#claims"},
		},
		Files: []string{"connect/idtoken.go", "handlers/callback.go", "store/sessions.go"},
		Beyond: []beyondGuide{{
			What: "Step-up: a sensitive page demands a recent password login (acr 2).",
			Why: "Some pages deserve more than any login. The ID token's acr and auth_time say how strongly and how recently " +
				"the user authenticated; short of that, the app asks CONNECT again with acr_values=2 and max_age.",
			Link:  guideLink{Label: "Sensitive settings", Path: "/stepup"},
			Files: []string{"handlers/stepup.go", "connect/idtoken.go"},
		}},
	},
	{
		Number: 12,
		Title:  "Log out, with and without single sign-on",
		Summary: "Logging out of the app revokes its tokens at /oauth/revoke and ends its session. A client with SSO can also " +
			"send the browser to /oauth/logout with id_token_hint, the post-logout redirect URI and a state, so CONNECT ends " +
			"its own session; otherwise the next login would pass without credentials.",
		Links: []guideLink{{Label: "Session: the logout buttons", Path: "/session#logout-title"}},
		Files: []string{"handlers/logout.go", "connect/revoke.go", "connect/logout.go"},
		Beyond: []beyondGuide{{
			What: "Back-channel logout: CONNECT's server tells the app that a CONNECT session ended.",
			Why: "When the user logs out at CONNECT or in another SSO client, the app's sessions of that CONNECT session end " +
				"at once, on every instance, instead of living on until a refresh fails.",
			Link:  guideLink{Label: "The stand-in's CONNECT sessions: End session", Path: "/oauth/sessions", StandIn: true},
			Files: []string{"handlers/backchannel.go", "connect/logout.go", "store/index.go"},
		}},
	},
	{
		Number: 13,
		Title:  "Example code: this repository",
		Summary: "CONNECT points to example clients; this repository is one, a Go web client to run against the stand-in, " +
			"read, and copy from. handlers/routes.go is the map of the site, and connect/ holds everything that talks to CONNECT, " +
			"ready to be lifted into another app.",
		Links: []guideLink{{Label: "Guide: where each part of the code lives", Path: "/guide#code"}},
		Files: []string{"handlers/routes.go", "connect/client.go", "docs/walkthrough.md"},
	},
}

// codeMap is the repository at a glance, for step 13: the files and
// folders a partner reads first.
var codeMap = []struct{ Path, What string }{
	{"main.go", "wiring only: configuration, Redis, sessions, the CONNECT client, the handlers, the server"},
	{"handlers/routes.go", "every route of the site on one screen"},
	{"handlers/", "one file per page or flow: login.go, callback.go, profile.go, refresh.go, logout.go, backchannel.go, stepup.go"},
	{"connect/", "the CONNECT client: discovery, authorization URL, code exchange, ID token checks, userinfo, refresh, revocation, logout"},
	{"store/", "sessions in Redis, tokens sealed at rest, the login-transaction cookie, the refresh lock"},
	{"config/", "the settings, read from the environment or .env and checked at start"},
	{"localconnect/", "the stand-in for CONNECT, for local runs and tests; never for production"},
	{"e2e/", "a real Chromium walking through every step"},
	{"docs/walkthrough.md", "these 13 steps with screenshots"},
}

// codePath is a file name as /guide shows it: a link to the repository's
// web view when REPOSITORY_URL is set, plain text otherwise.
type codePath struct {
	Path string
	Href string
}

// guideEntry is a step as /guide shows it, with its links resolved.
type guideEntry struct {
	Number  int
	Title   string
	Summary string
	Links   []resolvedLink
	Files   []codePath
	Beyond  []beyondEntry
}

type resolvedLink struct {
	Label string
	Href  string
}

type beyondEntry struct {
	What  string
	Why   string
	Link  *resolvedLink // nil: no page shows it here
	Files []codePath
}

// link resolves a guide link for this app: nil for a stand-in page while
// real CONNECT is in use.
func (app *App) link(l guideLink) *resolvedLink {
	switch {
	case l.Path == "":
		return nil
	case l.StandIn && app.StandInURL == "":
		return nil
	case l.StandIn:
		return &resolvedLink{Label: l.Label, Href: app.StandInURL + l.Path}
	}
	return &resolvedLink{Label: l.Label, Href: l.Path}
}

// codePaths links each path to the repository's web view, if there is one.
func (app *App) codePaths(paths []string) []codePath {
	out := make([]codePath, len(paths))
	for i, p := range paths {
		out[i] = codePath{Path: p}
		if app.RepositoryURL != "" {
			out[i].Href = app.RepositoryURL + "/" + strings.TrimSuffix(p, "/")
		}
	}
	return out
}

// guideEntries resolves every step for this app.
func (app *App) guideEntries() []guideEntry {
	entries := make([]guideEntry, len(guideSteps))
	for i, s := range guideSteps {
		e := guideEntry{Number: s.Number, Title: s.Title, Summary: s.Summary, Files: app.codePaths(s.Files)}
		for _, l := range s.Links {
			if r := app.link(l); r != nil {
				e.Links = append(e.Links, *r)
			}
		}
		for _, b := range s.Beyond {
			e.Beyond = append(e.Beyond, beyondEntry{What: b.What, Why: b.Why, Link: app.link(b.Link), Files: app.codePaths(b.Files)})
		}
		entries[i] = e
	}
	return entries
}

// handleGuide is GET /guide: CONNECT's 13 steps in CONNECT's numbering,
// each linked to the pages that show it and the files that do it.
func (app *App) handleGuide(w http.ResponseWriter, r *http.Request) error {
	page := guidePage{Steps: app.guideEntries(), RepositoryURL: app.RepositoryURL}
	for _, c := range codeMap {
		page.Code = append(page.Code, codeMapEntry{codePath: app.codePaths([]string{c.Path})[0], What: c.What})
	}
	app.render(w, r, http.StatusOK, "guide.html", page)
	return nil
}

type guidePage struct {
	Steps         []guideEntry
	Code          []codeMapEntry
	RepositoryURL string
}

type codeMapEntry struct {
	codePath
	What string
}
