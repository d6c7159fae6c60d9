package handlers

import (
	"html"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/telenordigital/connect-web-sample/templates"
)

// connectTopics are the words of each step of CONNECT's guide
// (connect-integration-guide.txt) that the step's title must carry, in
// CONNECT's order.
var connectTopics = [13][]string{
	{"register"},
	{"redirect uri"},
	{"client_id", "client_secret", "curl"},
	{"http basic", "public"},
	{"/oauth/authorize", "scope", "redirect uri", "state"},
	{"scopes"},
	{"code", "redirect uri"},
	{"error"},
	{"exchange", "/oauth/token"},
	{"access token", "validate", "refresh"},
	{"id token"},
	{"log out", "single sign-on"},
	{"example code"},
}

// beyondTopics are what the app does beyond CONNECT's guide, and the step
// each belongs to.
var beyondTopics = []struct {
	step int
	word string
}{
	{3, "discovery"},
	{5, "nonce"},
	{5, "pkce"},
	{5, "silent sso check"},
	{11, "step-up"},
	{12, "back-channel logout"},
}

func TestGuideSteps(t *testing.T) {
	en := translatorFor("en")
	t.Run("there are CONNECT's 13 steps, in CONNECT's order", func(t *testing.T) {
		if len(guideSteps) != 13 {
			t.Fatalf("got %d steps, want 13", len(guideSteps))
		}
		for i, s := range guideSteps {
			if s.Number != i+1 {
				t.Errorf("step %d at position %d, want number %d", s.Number, i, i+1)
			}
			title := en.T("guide." + strconv.Itoa(s.Number) + ".title")
			for _, word := range connectTopics[i] {
				if !strings.Contains(strings.ToLower(title), word) {
					t.Errorf("step %d is titled %q, want CONNECT's topic %q in it", s.Number, title, word)
				}
			}
			if len(s.Files) == 0 {
				t.Errorf("step %d lacks a summary or a file", s.Number)
			}
		}
	})
	t.Run("every step's first link is a page of the app, there with real CONNECT too", func(t *testing.T) {
		for _, s := range guideSteps {
			if len(s.Links) == 0 || s.Links[0].StandIn || !strings.HasPrefix(s.Links[0].Path, "/") {
				t.Errorf("step %d: got links %+v, want a path of this app first", s.Number, s.Links)
			}
			for _, l := range s.Links {
				if l.Label == "" {
					t.Errorf("step %d links %s without a label", s.Number, l.Path)
				}
			}
		}
	})
	t.Run("what the app does beyond the guide sits in its step, with the reason", func(t *testing.T) {
		for _, b := range beyondTopics {
			found := false
			for _, x := range guideSteps[b.step-1].Beyond {
				found = found || strings.Contains(strings.ToLower(en.T(x.Key+".what")), b.word)
			}
			if !found {
				t.Errorf("step %d says nothing beyond the guide about %q", b.step, b.word)
			}
		}
		for _, s := range guideSteps {
			for _, x := range s.Beyond {
				if x.Key == "" || len(x.Files) == 0 {
					t.Errorf("step %d: %+v lacks what, why or a file", s.Number, x)
				}
			}
		}
	})
	t.Run("every file the guide names exists", func(t *testing.T) {
		var named []string
		for _, s := range guideSteps {
			named = append(named, s.Files...)
			for _, x := range s.Beyond {
				named = append(named, x.Files...)
			}
		}
		for _, c := range codeMap {
			named = append(named, c.Path)
		}
		for _, f := range named {
			// Tests run in the handlers directory; the names are relative
			// to the repository root.
			if _, err := os.Stat("../" + f); err != nil {
				t.Errorf("the guide names %s: %v", f, err)
			}
		}
	})
}

func TestGuideEntriesWithRealCONNECT(t *testing.T) {
	app := &App{Options: Options{StandInURL: "", ServeSetupPage: true}}
	for _, e := range app.guideEntries(translatorFor("en")) {
		if len(e.Links) == 0 {
			t.Errorf("step %d has no link without the stand-in", e.Number)
		}
		for _, b := range e.Beyond {
			if b.Link != nil && !strings.HasPrefix(b.Link.Href, "/") {
				t.Errorf("step %d links %s although the stand-in is not running", e.Number, b.Link.Href)
			}
		}
	}
	if got := app.guideEntries(translatorFor("en"))[11].Beyond[0].Link; got != nil {
		t.Errorf("back-channel logout links %+v with real CONNECT, want no link", got)
	}
}

var (
	guideStepItem = regexp.MustCompile(`<li class="guide-step" id="step-(\d+)">[\s\S]*?</li>`)
	guideLinks    = regexp.MustCompile(`class="(?:step-page|beyond-page)" href="([^"]+)"`)
	codePathLink  = regexp.MustCompile(`<a class="code-path" href="([^"]+)"><code>([^<]+)</code></a>`)
)

func TestGuidePage(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	b := newBrowser(t)
	wantStatus(t, "login", b.logIn(site, "/protected", true), http.StatusOK)

	r := b.get(site.app.URL + "/guide")
	wantStatus(t, "GET /guide", r, http.StatusOK)
	items := guideStepItem.FindAllStringSubmatch(r.body, -1)

	t.Run("shows exactly the 13 steps, in order, with the anchors the markers link to", func(t *testing.T) {
		if len(items) != 13 {
			t.Fatalf("got %d steps on /guide, want 13", len(items))
		}
		for i, item := range items {
			if item[1] != strconv.Itoa(i+1) {
				t.Errorf("step at position %d is step-%s, want step-%d", i, item[1], i+1)
			}
			title := translatorFor("en").T("guide." + strconv.Itoa(i+1) + ".title")
			if !strings.Contains(item[0], html.EscapeString(title)) {
				t.Errorf("step %d does not show its title %q", i+1, title)
			}
		}
	})
	t.Run("marks the app's extras as beyond the guide", func(t *testing.T) {
		for _, x := range beyondTopics {
			item := items[x.step-1][0]
			if !strings.Contains(item, "beyond the guide") || !strings.Contains(strings.ToLower(item), x.word) {
				t.Errorf("step %d does not show %q beyond the guide", x.step, x.word)
			}
		}
	})
	t.Run("step 10 shows the resource server", func(t *testing.T) {
		if !strings.Contains(items[9][0], "/session#api") || !strings.Contains(items[9][0], "handlers/api.go") {
			t.Error("step 10 does not link /api/me's home or name its file")
		}
	})

	t.Run("every link of every step answers 200, at the section it names", func(t *testing.T) {
		for i, item := range items {
			links := guideLinks.FindAllStringSubmatch(item[0], -1)
			if len(links) == 0 {
				t.Errorf("step %d links to nothing", i+1)
			}
			for _, l := range links {
				href := html.UnescapeString(l[1])
				if strings.HasPrefix(href, "/") {
					href = site.app.URL + href
				}
				final, got := b.follow(href)
				if got.status != http.StatusOK {
					t.Errorf("step %d: GET %s ended at %s with %d, want 200", i+1, href, final, got.status)
					continue
				}
				if u, _ := url.Parse(href); u.Fragment != "" && !strings.Contains(got.body, `id="`+u.Fragment+`"`) {
					t.Errorf("step %d: %s has no element with id %q", i+1, final, u.Fragment)
				}
			}
		}
	})
	t.Run("shows file names as plain text without REPOSITORY_URL", func(t *testing.T) {
		if !strings.Contains(r.body, "<code>connect/exchange.go</code>") {
			t.Error("/guide does not name connect/exchange.go")
		}
		if strings.Contains(r.body, `class="code-path"`) {
			t.Error("/guide links file names although REPOSITORY_URL is not set")
		}
	})
}

func TestGuidePageLinksTheCodeToTheRepository(t *testing.T) {
	const repo = "https://github.com/partner/app/blob/main"
	site := newTestSite(t, siteOptions{repositoryURL: repo})
	r := newBrowser(t).get(site.app.URL + "/guide")
	wantStatus(t, "GET /guide", r, http.StatusOK)

	linked := map[string]bool{}
	for _, m := range codePathLink.FindAllStringSubmatch(r.body, -1) {
		path := html.UnescapeString(m[2])
		if want := repo + "/" + strings.TrimSuffix(path, "/"); html.UnescapeString(m[1]) != want {
			t.Errorf("%s links to %s, want %s", path, m[1], want)
		}
		linked[path] = true
	}
	for _, s := range guideSteps {
		for _, f := range s.Files {
			if !linked[f] {
				t.Errorf("step %d names %s without a link to the repository", s.Number, f)
			}
		}
	}
	if strings.Contains(r.body, "<code>connect/exchange.go</code>") && !linked["connect/exchange.go"] {
		t.Error("connect/exchange.go is plain text although REPOSITORY_URL is set")
	}
}

var stepMarkerUse = regexp.MustCompile(`\{\{t "step.marker_html" (\d+)\}\}`)

func TestStepMarkers(t *testing.T) {
	t.Run("a marker links to its step on /guide, in each language", func(t *testing.T) {
		for lang := range catalogues {
			src, err := translatorFor(lang).translate("x", `{{t "step.marker_html" 10}}`)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(src, `<a class="step-marker" href="/guide#step-10">`) || !strings.Contains(src, "10") {
				t.Errorf("%s marker: got %s, want a link to /guide#step-10", lang, src)
			}
		}
	})
	t.Run("the pages mark every one of CONNECT's 13 steps, and no other number", func(t *testing.T) {
		marked := map[int][]string{}
		err := fs.WalkDir(templates.FS, "pages", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			src, err := fs.ReadFile(templates.FS, path)
			for _, m := range stepMarkerUse.FindAllStringSubmatch(string(src), -1) {
				n, _ := strconv.Atoi(m[1])
				marked[n] = append(marked[n], path)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for n := 1; n <= 13; n++ {
			if len(marked[n]) == 0 {
				t.Errorf("no page carries the marker of step %d", n)
			}
			delete(marked, n)
		}
		for n, pages := range marked {
			t.Errorf("%v mark step %d; CONNECT's guide has 13", pages, n)
		}
	})
	t.Run("a page marks a step only if the step on /guide links that page", func(t *testing.T) {
		// The route of each page template; logged_out.html is where a logout
		// ends, not a page to link to.
		routes := map[string]string{"home.html": "/", "protected.html": "/protected", "profile.html": "/profile",
			"session.html": "/session", "sessions.html": "/sessions", "stepup.html": "/stepup", "setup.html": "/setup",
			"guide.html": "/guide", "logged_out.html": ""}
		for _, step := range guideSteps {
			linked := map[string]bool{}
			for _, l := range step.Links {
				linked[strings.SplitN(strings.SplitN(l.Path, "#", 2)[0], "?", 2)[0]] = true
			}
			for _, b := range step.Beyond {
				linked[strings.SplitN(strings.SplitN(b.Link.Path, "#", 2)[0], "?", 2)[0]] = true
			}
			for _, page := range pagesMarking(t, step.Number) {
				route, known := routes[page]
				if !known {
					t.Errorf("%s marks step %d; add its route to this test", page, step.Number)
				} else if route != "" && !linked[route] {
					t.Errorf("%s marks step %d, but the step on /guide does not link %s", page, step.Number, route)
				}
			}
		}
	})
}

// pagesMarking lists the page templates that carry step n's marker.
func pagesMarking(t *testing.T, n int) []string {
	t.Helper()
	pages, err := fs.Glob(templates.FS, "pages/*.html")
	if err != nil {
		t.Fatal(err)
	}
	var marking []string
	for _, page := range pages {
		src, err := fs.ReadFile(templates.FS, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range stepMarkerUse.FindAllStringSubmatch(string(src), -1) {
			if m[1] == strconv.Itoa(n) {
				marking = append(marking, path.Base(page))
				break
			}
		}
	}
	return marking
}

// follow gets rawURL and follows redirects as a browser would, returning
// where it ended and what it got there.
func (b *browser) follow(rawURL string) (string, response) {
	b.t.Helper()
	for range 10 {
		r := b.get(rawURL)
		switch r.status {
		case http.StatusFound, http.StatusSeeOther, http.StatusMovedPermanently, http.StatusTemporaryRedirect:
			rawURL = r.location
		default:
			return rawURL, r
		}
	}
	b.t.Fatalf("more than 10 redirects from %s", rawURL)
	return "", response{}
}
