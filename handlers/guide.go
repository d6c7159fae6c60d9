package handlers

import (
	"net/http"
	"strconv"
	"strings"
)

// guideStep is one step of CONNECT's web integration guide
// (connect-integration-guide.txt): where this app shows it, which files do
// it, and what the app does there beyond it. Its words are in the
// catalogues under guide.N.title and guide.N.summary (locales/en.toml).
type guideStep struct {
	Number int
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
// CONNECT's pages show nothing without a login request. Label is a
// catalogue key.
type guideLink struct {
	Label   string
	Path    string
	StandIn bool
}

// beyondGuide is something the app does that a step does not name; its
// words are under Key+".what" and Key+".why".
type beyondGuide struct {
	Key   string
	Link  guideLink
	Files []string
}

// guideSteps are CONNECT's 13 steps, in CONNECT's order and numbering. The
// "Step N of 13" markers on the pages (the catalogues' step.marker_html)
// and docs/walkthrough.md use the same numbers; a page marks a step only
// if the step links it (TestStepMarkers).
var guideSteps = []guideStep{
	{
		Number: 1,
		Links: []guideLink{
			{Label: "guide.1.link.1", Path: "/setup#register"},
		},
		Files: []string{"handlers/setup.go", "templates/pages/setup.html"},
	},
	{
		Number: 2,
		Links: []guideLink{
			{Label: "guide.2.link.1", Path: "/setup#redirect-uri"},
		},
		Files: []string{"config/config.go", "connectweb/callback.go"},
	},
	{
		Number: 3,
		Links: []guideLink{
			{Label: "guide.3.link.1", Path: "/setup#credentials"},
			{Label: "guide.3.link.2", Path: "/setup#curl"},
		},
		Files: []string{"config/config.go", "config.example.env", "handlers/setup.go"},
		Beyond: []beyondGuide{
			{
				Key:   "guide.3.beyond.1",
				Link:  guideLink{Label: "guide.3.beyond.1.link", Path: "/setup#discovery"},
				Files: []string{"connect/client.go"},
			},
		},
	},
	{
		Number: 4,
		Links: []guideLink{
			{Label: "guide.4.link.1", Path: "/setup#client-auth"},
		},
		Files: []string{"connect/client.go", "connect/revoke.go"},
	},
	{
		Number: 5,
		Links: []guideLink{
			{Label: "guide.5.link.1", Path: "/protected"},
			{Label: "guide.5.link.2", Path: "/"},
			{Label: "guide.link.trace", Path: "/session#login-trace"},
		},
		Files: []string{"connectweb/tokens.go", "connectweb/login.go", "connect/authorize.go", "store/transaction.go"},
		Beyond: []beyondGuide{
			{
				Key:   "guide.5.beyond.1",
				Files: []string{"connect/authorize.go", "store/transaction.go"},
			},
			{
				Key:   "guide.5.beyond.2",
				Link:  guideLink{Label: "guide.5.beyond.2.link", Path: "/login?prompt=none&return_to=/protected"},
				Files: []string{"connectweb/login.go", "templates/pages/home.html"},
			},
		},
	},
	{
		Number: 6,
		Links: []guideLink{
			{Label: "guide.6.link.1", Path: "/profile#scopes"},
			{Label: "guide.link.trace", Path: "/session#login-trace"},
		},
		Files: []string{"handlers/scopes.go", "config/config.go"},
	},
	{
		Number: 7,
		Links: []guideLink{
			{Label: "guide.7.link.1", Path: "/protected"},
			{Label: "guide.link.trace", Path: "/session#login-trace"},
		},
		Files: []string{"connectweb/callback.go", "store/transaction.go"},
	},
	{
		Number: 8,
		Links: []guideLink{
			{Label: "guide.8.link.1", Path: "/login?prompt=none&return_to=/protected"},
			{Label: "guide.8.link.2", Path: "/"},
			{Label: "guide.link.trace", Path: "/session#login-trace"},
		},
		Files: []string{"connectweb/callback.go", "handlers/errors.go"},
	},
	{
		Number: 9,
		Links: []guideLink{
			{Label: "guide.9.link.1", Path: "/session"},
			{Label: "guide.link.trace", Path: "/session#login-trace"},
		},
		Files: []string{"connect/exchange.go", "connect/tokens.go", "store/tokens.go"},
	},
	{
		Number: 10,
		Links: []guideLink{
			{Label: "guide.10.link.1", Path: "/profile"},
			{Label: "guide.10.link.2", Path: "/session#api"},
			{Label: "guide.10.link.3", Path: "/session#refresh"},
			{Label: "guide.link.trace", Path: "/session#login-trace"},
		},
		Files: []string{"handlers/profile.go", "connect/userinfo.go", "handlers/api.go", "connect/accesstoken.go", "connectweb/tokens.go", "store/refresh.go", "connect/refresh.go"},
	},
	{
		Number: 11,
		Links: []guideLink{
			{Label: "guide.11.link.1", Path: "/protected"},
			{Label: "guide.11.link.2", Path: "/session#claims"},
			{Label: "guide.link.trace", Path: "/session#login-trace"},
		},
		Files: []string{"connect/idtoken.go", "connectweb/callback.go", "store/sessions.go"},
		Beyond: []beyondGuide{
			{
				Key:   "guide.11.beyond.1",
				Link:  guideLink{Label: "guide.11.beyond.1.link", Path: "/stepup"},
				Files: []string{"handlers/stepup.go", "connect/idtoken.go"},
			},
		},
	},
	{
		Number: 12,
		Links: []guideLink{
			{Label: "guide.12.link.1", Path: "/session#logout-title"},
			{Label: "guide.12.link.2", Path: "/sessions"},
		},
		Files: []string{"connectweb/logout.go", "connect/revoke.go", "connect/logout.go"},
		Beyond: []beyondGuide{
			{
				Key:   "guide.12.beyond.1",
				Link:  guideLink{Label: "guide.12.beyond.1.link", Path: "/oauth/sessions", StandIn: true},
				Files: []string{"connectweb/backchannel.go", "connect/logout.go", "store/index.go"},
			},
		},
	},
	{
		Number: 13,
		Links: []guideLink{
			{Label: "guide.13.link.1", Path: "/guide#code"},
		},
		Files: []string{"handlers/routes.go", "connect/client.go", "docs/walkthrough.md"},
	},
}

// codeMap is the repository at a glance, for step 13: the files and
// folders a partner reads first, with a catalogue key saying what each holds.
var codeMap = []struct{ Path, What string }{
	{"main.go", "guide.code.1"},
	{"handlers/routes.go", "guide.code.2"},
	{"handlers/", "guide.code.3"},
	{"connect/", "guide.code.4"},
	{"store/", "guide.code.5"},
	{"connectweb/", "guide.code.10"},
	{"docs/integrate.md", "guide.code.11"},
	{"config/", "guide.code.6"},
	{"localconnect/", "guide.code.7"},
	{"e2e/", "guide.code.8"},
	{"docs/walkthrough.md", "guide.code.9"},
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

// link resolves a guide link for this app, in the visitor's language: nil
// for a stand-in page while real CONNECT is in use, and for /setup where it
// is not served.
func (app *App) link(tr translator, l guideLink) *resolvedLink {
	switch {
	case l.Path == "":
		return nil
	case l.StandIn && app.StandInURL == "":
		return nil
	case l.StandIn:
		return &resolvedLink{Label: tr.T(l.Label), Href: app.StandInURL + l.Path}
	case strings.HasPrefix(l.Path, "/setup") && !app.ServeSetupPage:
		return nil
	}
	return &resolvedLink{Label: tr.T(l.Label), Href: l.Path}
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

// guideEntries resolves every step for this app, in the visitor's language.
func (app *App) guideEntries(tr translator) []guideEntry {
	entries := make([]guideEntry, len(guideSteps))
	for i, s := range guideSteps {
		key := "guide." + strconv.Itoa(s.Number)
		e := guideEntry{Number: s.Number, Title: tr.T(key + ".title"), Summary: tr.T(key + ".summary"), Files: app.codePaths(s.Files)}
		for _, l := range s.Links {
			if r := app.link(tr, l); r != nil {
				e.Links = append(e.Links, *r)
			}
		}
		for _, b := range s.Beyond {
			e.Beyond = append(e.Beyond, beyondEntry{What: tr.T(b.Key + ".what"), Why: tr.T(b.Key + ".why"),
				Link: app.link(tr, b.Link), Files: app.codePaths(b.Files)})
		}
		entries[i] = e
	}
	return entries
}

// handleGuide is GET /guide: CONNECT's 13 steps in CONNECT's numbering,
// each linked to the pages that show it and the files that do it.
func (app *App) handleGuide(w http.ResponseWriter, r *http.Request) error {
	tr := translatorFor(langOf(r.Context()))
	page := guidePage{Steps: app.guideEntries(tr), RepositoryURL: app.RepositoryURL}
	for _, c := range codeMap {
		page.Code = append(page.Code, codeMapEntry{codePath: app.codePaths([]string{c.Path})[0], What: tr.T(c.What)})
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
