package handlers

import "net/http"

// guideStep is one step of CONNECT's web integration guide: what happens,
// where the app shows it, and which files implement it.
type guideStep struct {
	Number  int
	Title   string
	Summary string // one sentence
	// Page is the path of the page in this app that shows the step, or ""
	// when none does.
	Page      string
	PageLabel string
	// StandInPage is a path on the local stand-in that shows the step. It is
	// linked only while the stand-in is in use: real CONNECT's pages need a
	// login request to show anything.
	StandInPage string
	// Files implement the step, relative to the repository root.
	Files []string
}

// guideSteps are the 13 steps in the order and numbering of CONNECT's
// guide. The README's walkthrough and the "Step N" markers on the pages
// (templates/partials/step.html) use the same numbers.
var guideSteps = []guideStep{
	{
		Number:    1,
		Title:     "Register your client",
		Summary:   "Tell Telenor who you are and where CONNECT may send your users back: the redirect URI, and with SSO the post-logout redirect URI.",
		Page:      "/setup#register",
		PageLabel: "Setup: what to register",
		Files:     []string{"handlers/setup.go", "config/config.go"},
	},
	{
		Number:    2,
		Title:     "Configure the app",
		Summary:   "Put the issuer, client id and client secret you got back into the environment or a .env file; nothing in the code changes.",
		Page:      "/setup#configure",
		PageLabel: "Setup: this app's configuration",
		Files:     []string{"config/config.go", "config.example.env"},
	},
	{
		Number:    3,
		Title:     "Discover CONNECT's endpoints",
		Summary:   "The app reads every endpoint from CONNECT's discovery document instead of hard-coding URLs.",
		Page:      "/setup#discovery",
		PageLabel: "Setup: discovery",
		Files:     []string{"connect/client.go"},
	},
	{
		Number:    4,
		Title:     "Show a login button",
		Summary:   "A plain link to /login starts the login; the page itself needs no script.",
		Page:      "/",
		PageLabel: "Home page",
		Files:     []string{"templates/pages/home.html"},
	},
	{
		Number:    5,
		Title:     "Send the user to CONNECT (state, nonce, PKCE)",
		Summary:   "The app makes a fresh state, nonce and PKCE verifier, keeps them in a short-lived encrypted cookie, and redirects the browser to CONNECT's authorization endpoint.",
		Page:      "/login?return_to=/protected",
		PageLabel: "Log in now",
		Files:     []string{"handlers/login.go", "connect/authorize.go", "store/transaction.go"},
	},
	{
		Number:      6,
		Title:       "The user authenticates at CONNECT",
		Summary:     "CONNECT checks the user's phone or password, keeps its own session for single sign-on, and sends the browser back with a code.",
		StandInPage: "/oauth/sessions",
		PageLabel:   "The stand-in's CONNECT sessions",
		Files:       []string{"localconnect/authorize.go"},
	},
	{
		Number:    7,
		Title:     "Handle the callback (check state, handle errors)",
		Summary:   "The redirect URI matches the state to this browser's pending login before anything else, and turns an error from CONNECT into a friendly page.",
		Page:      "/protected",
		PageLabel: "Protected page: where the callback lands",
		Files:     []string{"handlers/callback.go"},
	},
	{
		Number:    8,
		Title:     "Exchange the code for tokens",
		Summary:   "The app's back end trades the single-use code and the PKCE verifier for access, refresh and ID tokens at the token endpoint.",
		Page:      "/session",
		PageLabel: "Session page: the tokens held",
		Files:     []string{"connect/exchange.go"},
	},
	{
		Number:    9,
		Title:     "Check the ID token and start the session",
		Summary:   "The ID token's signature, issuer, audience, expiry, nonce and level of assurance are checked before a new server-side session is created.",
		Page:      "/protected",
		PageLabel: "Protected page: the checked claims",
		Files:     []string{"connect/idtoken.go", "handlers/callback.go", "store/sessions.go"},
	},
	{
		Number:    10,
		Title:     "Use the access token (userinfo)",
		Summary:   "The app calls CONNECT's userinfo endpoint with the access token and checks that the sub matches the ID token.",
		Page:      "/profile",
		PageLabel: "Profile page",
		Files:     []string{"handlers/profile.go", "connect/userinfo.go"},
	},
	{
		Number:    11,
		Title:     "Keep access alive (refresh)",
		Summary:   "Shortly before the access token expires the app trades the refresh token for new tokens, once at a time per session, and keeps only the newest.",
		Page:      "/session",
		PageLabel: "Session page: Refresh now",
		Files:     []string{"handlers/refresh.go", "connect/refresh.go", "store/tokens.go"},
	},
	{
		Number:    12,
		Title:     "Log out (app only or everywhere; back-channel logout)",
		Summary:   "Logging out revokes the tokens and ends the app's session; \"everywhere\" also ends the CONNECT session, and CONNECT can end ours through back-channel logout.",
		Page:      "/session",
		PageLabel: "Session page: the two logout buttons",
		Files:     []string{"handlers/logout.go", "handlers/backchannel.go", "connect/revoke.go", "connect/logout.go"},
	},
	{
		Number:    13,
		Title:     "Demand a higher level of assurance (step-up)",
		Summary:   "A sensitive page asks CONNECT for a recent password login (acr 2) when the session's login was weaker or too old.",
		Page:      "/stepup",
		PageLabel: "Step-up page",
		Files:     []string{"handlers/stepup.go"},
	},
}

// guideEntry is a step as the guide page shows it, with its link resolved.
type guideEntry struct {
	guideStep
	// Href is where the step's link goes, or "" for no link.
	Href string
}

// guideEntries resolves each step's link for this app: a stand-in page is
// linked only when the stand-in runs.
func (app *App) guideEntries() []guideEntry {
	entries := make([]guideEntry, len(guideSteps))
	for i, s := range guideSteps {
		entries[i] = guideEntry{guideStep: s, Href: s.Page}
		if s.StandInPage != "" && app.StandInURL != "" {
			entries[i].Href = app.StandInURL + s.StandInPage
		}
	}
	return entries
}

// handleGuide is GET /guide: the 13 steps of CONNECT's web integration
// guide, each linked to the page that shows it and the files that
// implement it.
func (app *App) handleGuide(w http.ResponseWriter, r *http.Request) error {
	app.render(w, r, http.StatusOK, "guide.html", guidePage{Steps: app.guideEntries()})
	return nil
}

type guidePage struct {
	Steps []guideEntry
}
