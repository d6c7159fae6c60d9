package localconnect

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// TestLanguageIsRemembered checks that the language an app asks for with
// ui_locales stays with the stand-in's later pages, and that every page
// can switch language by itself.
func TestLanguageIsRemembered(t *testing.T) {
	env := newTestEnv(t)
	_, challenge := pkcePair()

	t.Run("ui_locales=nb on a login keeps the sessions page, the start page and a 404 in Norwegian", func(t *testing.T) {
		e := env.inNewBrowser(t)
		q := authorizeQuery(publicClient, challenge)
		q.Set("ui_locales", "nb")
		e.login(q, DefaultUsers()[0], "", true)
		nb := texts("nb")
		for _, p := range []struct{ path, want string }{
			{"/oauth/sessions", nb.Sessions.Intro},
			{"/", nb.Root.Intro},
			{"/oauth/nothing", nb.Messages.NotFound.Detail},
		} {
			r := getWith(p.path, nil)(e, "en-GB,en")
			if !strings.Contains(r.body, `<html lang="nb">`) || !strings.Contains(html.UnescapeString(r.body), p.want) {
				t.Errorf("GET %s after a login with ui_locales=nb (Accept-Language en) is not in Norwegian", p.path)
			}
		}
	})

	t.Run("without ui_locales the browser's language decides", func(t *testing.T) {
		e := env.inNewBrowser(t)
		e.login(authorizeQuery(publicClient, challenge), DefaultUsers()[0], "", true)
		r := getWith("/oauth/sessions", nil)(e, "en-GB,en")
		if !strings.Contains(r.body, `<html lang="en">`) {
			t.Errorf("GET /oauth/sessions after a login without ui_locales is not in English")
		}
	})

	t.Run("the language switch remembers the choice and goes back", func(t *testing.T) {
		e := env.inNewBrowser(t)
		page := getWith("/oauth/sessions", nil)(e, "en")
		link := `href="/oauth/lang?return_to=%2Foauth%2Fsessions&amp;to=nb"`
		if !strings.Contains(page.body, link) || !strings.Contains(page.body, `<span aria-current="true">English</span>`) {
			t.Fatalf("the sessions page has no switch to Norwegian (%s)", link)
		}
		r := e.get("/oauth/lang", url.Values{"to": {"nb"}, "return_to": {"/oauth/sessions"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/oauth/sessions" {
			t.Fatalf("GET /oauth/lang = %d to %q, want 303 to /oauth/sessions", r.status, r.header.Get("Location"))
		}
		if r := getWith("/oauth/sessions", nil)(e, "en"); !strings.Contains(r.body, `<html lang="nb">`) {
			t.Errorf("the sessions page after switching to Norwegian is not in Norwegian")
		}
	})

	t.Run("the language switch sends nobody to another site", func(t *testing.T) {
		e := env.inNewBrowser(t)
		for _, back := range []string{"https://evil.example/", "//evil.example/", `/\evil.example`, ""} {
			r := e.get("/oauth/lang", url.Values{"to": {"nb"}, "return_to": {back}})
			if r.status != http.StatusSeeOther || r.header.Get("Location") != "/oauth/" {
				t.Errorf("GET /oauth/lang return_to=%q = %d to %q, want 303 to /oauth/", back, r.status, r.header.Get("Location"))
			}
		}
		if r := e.get("/oauth/lang", url.Values{"to": {"de"}}); r.status != http.StatusNotFound {
			t.Errorf("GET /oauth/lang?to=de = %d, want 404", r.status)
		}
	})

	t.Run("the login page's switch asks again with the other ui_locales", func(t *testing.T) {
		e := env.inNewBrowser(t)
		q := authorizeQuery(publicClient, challenge)
		q.Set("ui_locales", "nb")
		page, _ := e.openLogin(q)
		m := regexp.MustCompile(`href="(/oauth/lang\?[^"]*to=en)"`).FindStringSubmatch(page.body)
		if m == nil {
			t.Fatal("the Norwegian login page has no switch to English")
		}
		switchURL, _ := url.Parse(html.UnescapeString(m[1]))
		back, _ := url.Parse(switchURL.Query().Get("return_to"))
		if back.Path != "/oauth/authorize" || back.Query().Get("ui_locales") != "en" || back.Query().Get("state") != "state-123" {
			t.Errorf("the switch returns to %q, want the same authorization request with ui_locales=en", back)
		}
		r := e.get(back.Path, back.Query())
		if !strings.Contains(r.body, `<html lang="en">`) {
			t.Errorf("the login page after the switch is not in English")
		}
	})
}

func TestStartPageTitleNamesTheStandInOnce(t *testing.T) {
	e := newTestEnv(t)
	for _, lang := range []string{"en", "nb"} {
		r := getWith("/", nil)(e.inNewBrowser(t), lang)
		title := regexp.MustCompile(`<title>([^<]*)</title>`).FindStringSubmatch(r.body)
		if title == nil || html.UnescapeString(title[1]) != texts(lang).Layout.TitleSuffix {
			t.Errorf("start page in %s: title %q, want %q", lang, title, texts(lang).Layout.TitleSuffix)
		}
	}
	r := getWith("/oauth/sessions", nil)(e.inNewBrowser(t), "en")
	if want := "<title>CONNECT sessions · CONNECT ID stand-in</title>"; !strings.Contains(r.body, want) {
		t.Errorf("sessions page lacks %s", want)
	}
}

func TestMomentsInTheReadersTime(t *testing.T) {
	summer := time.Date(2026, time.July, 1, 5, 36, 7, 0, time.UTC)
	if got, want := moment("nb", summer), "2026-07-01 kl. 07:36:07 norsk tid"; got != want {
		t.Errorf("nb: got %q, want %q", got, want)
	}
	if got, want := moment("en", summer), "2026-07-01, 05:36:07 UTC"; got != want {
		t.Errorf("en: got %q, want %q", got, want)
	}
}

// TestNorwegianPagesHaveNoEnglish opens every page of the stand-in with
// Norwegian chosen and looks in its visible text for each English text of
// three words or more that Norwegian says differently.
func TestNorwegianPagesHaveNoEnglish(t *testing.T) {
	english := englishPhrases(t)
	if len(english) < 50 {
		t.Fatalf("found only %d English phrases: the scan is broken", len(english))
	}
	e := newTestEnv(t).inNewBrowser(t)
	_, challenge := pkcePair()
	// Norwegian chosen as an app would choose it: ui_locales on a login.
	q := authorizeQuery(confidentialClient, challenge)
	q.Set("ui_locales", "nb")
	e.login(q, DefaultUsers()[0], "", true)

	hinted := forceLogin(authorizeQuery(publicClient, challenge))
	hinted.Set("login_hint", DefaultUsers()[0].Email)
	hinted.Set("acr_values", "2")
	pages := map[string]response{
		"the start page":        e.get("/", nil),
		"the issuer's page":     e.get("/oauth", nil),
		"the sessions page":     e.get("/oauth/sessions", nil),
		"a 404":                 e.get("/oauth/nothing", nil),
		"the login page":        e.get("/oauth/authorize", forceLogin(authorizeQuery(publicClient, challenge))),
		"the LoA2 hinted login": e.get("/oauth/authorize", hinted),
		"an unknown client":     e.get("/oauth/authorize", url.Values{"client_id": {"nobody"}}),
		"an unregistered URI":   e.get("/oauth/authorize", url.Values{"client_id": {publicClient}, "redirect_uri": {"https://x/"}}),
		"an expired login":      e.post("/oauth/authorize", url.Values{"request_id": {"gone"}}, http.Header{"Sec-Fetch-Site": {"same-origin"}}),
		"the logged-out page":   e.get("/oauth/logout", url.Values{"post_logout_redirect_uri": {"https://nowhere.example/"}}),
	}
	for name, page := range pages {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(page.body, `<html lang="nb">`) {
				t.Fatalf("%s is not in Norwegian (status %d)", name, page.status)
			}
			text := visibleText(page.body)
			for _, phrase := range english {
				if strings.Contains(text, phrase) {
					t.Errorf("%s shows English: %q", name, phrase)
				}
			}
		})
	}
}

// englishPhrases are the parts, between values (%s), of every English text
// of the stand-in that Norwegian says otherwise, of three words or more.
func englishPhrases(t *testing.T) []string {
	t.Helper()
	var en, nb map[string]string
	for lang, into := range map[string]*map[string]string{"en": &en, "nb": &nb} {
		if _, err := toml.DecodeFile("locales/"+lang+".toml", into); err != nil {
			t.Fatal(err)
		}
	}
	var phrases []string
	for key, text := range en {
		if text == nb[key] {
			continue
		}
		for _, part := range regexp.MustCompile(`%[a-z]`).Split(text, -1) {
			part = strings.Join(strings.Fields(strings.Trim(part, " .,:;()")), " ")
			if len(strings.Fields(part)) >= 3 {
				phrases = append(phrases, part)
			}
		}
	}
	return phrases
}

var (
	tags   = regexp.MustCompile(`(?s)<[^>]*>`)
	hidden = regexp.MustCompile(`(?s)<(head|script|style)\b.*?</(head|script|style)>`)
)

// visibleText is what a reader sees of a page: no markup, entities
// decoded, spaces collapsed.
func visibleText(page string) string {
	page = hidden.ReplaceAllString(page, " ")
	return strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(page, " "))), " ")
}
