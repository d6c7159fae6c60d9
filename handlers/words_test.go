package handlers

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/telenordigital/connect-web-sample/config"
)

// TestNorwegianPagesHaveNoEnglish renders every page in Norwegian, logged
// in and out, and looks in its visible text for each English text of
// three words or more that Norwegian says differently.
func TestNorwegianPagesHaveNoEnglish(t *testing.T) {
	english := englishPhrases(t)
	if len(english) < 200 {
		t.Fatalf("found only %d English phrases: the scan is broken", len(english))
	}
	site := newTestSite(t, siteOptions{warnings: []config.Warning{
		{Key: "warning.standin", Args: []any{"http://localhost:8082/oauth"}},
		{Key: "warning.embedded_redis"},
		{Key: "warning.random_secret"},
		{Key: "warning.refresh_margin", Args: []any{"2m0s", "2m0s"}},
		{Key: "warning.insecure_base_url", Args: []any{"http://app.example.com"}},
	}})
	pages := map[string]response{}
	b := newBrowserSpeaking(t, "nb")
	for _, path := range []string{"/", "/guide", "/setup", "/no-such-page", "/lang?to=de"} {
		pages["logged out: "+path] = b.get(site.app.URL + path)
	}
	pages["a cancelled login"] = b.get(b.loginAt(b.startLogin(site, "return_to=/profile"), testUser().Sub, true, "cancel").location)
	b.get(site.app.URL + "/lang?to=nb&return_to=%2Fprofile&failure=login_cancelled")
	pages["a failure shown again after a change of language"] = b.get(site.app.URL + "/")
	b.logIn(site, "/protected", true)
	for _, path := range []string{"/", "/protected", "/profile", "/session", "/sessions", "/guide", "/setup", "/no-such-page"} {
		pages["logged in: "+path] = b.get(site.app.URL + path)
	}
	b.stepUp(site)
	pages["logged in: /stepup"] = b.get(site.app.URL + "/stepup")
	pages["the logged-out page"] = b.logOutOfApp(site)

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

// englishPhrases are the parts, between values (%s, %d) and with markup
// taken out, of every English text that Norwegian says otherwise, of
// three words or more.
func englishPhrases(t *testing.T) []string {
	t.Helper()
	en, nb := messageTexts(t, "en"), messageTexts(t, "nb")
	var phrases []string
	for key, text := range en {
		// Markup out: the switcher's "English · Norsk" is the same words
		// in both languages, in other markup.
		text = html.UnescapeString(tags.ReplaceAllString(text, " "))
		if text == html.UnescapeString(tags.ReplaceAllString(nb[key], " ")) {
			continue
		}
		for _, part := range valueVerb.Split(text, -1) {
			part = strings.Join(strings.Fields(strings.Trim(part, " .,:;()")), " ")
			if len(strings.Fields(part)) >= 3 && !slices.Contains(phrases, part) {
				phrases = append(phrases, part)
			}
		}
	}
	return phrases
}

var (
	valueVerb = regexp.MustCompile(`%[a-z]`)
	tags      = regexp.MustCompile(`(?s)<[^>]*>`)
	hidden    = regexp.MustCompile(`(?s)<(head|script|style)\b.*?</(head|script|style)>`)
)

// visibleText is what a reader sees of a page: no markup, entities
// decoded, spaces collapsed.
func visibleText(page string) string {
	page = hidden.ReplaceAllString(page, " ")
	return strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(page, " "))), " ")
}

func TestLocaleInWords(t *testing.T) {
	en, nb := translatorFor("en"), translatorFor("nb")
	for _, tt := range []struct{ claim, en, nb string }{
		{"en", "English", "engelsk"},
		{"nb-NO", "Norwegian Bokmål (Norway)", "norsk bokmål (Norge)"},
		{"en-NO", "English (Norway)", "engelsk (Norge)"},
		{"en_GB", "English (United Kingdom)", "engelsk (Storbritannia)"},
		{"nn-no", "Norwegian Nynorsk (Norway)", "norsk nynorsk (Norge)"},
		{"sv-SE", "Swedish (Sweden)", "svensk (Sverige)"},
		{"da-DK", "Danish (Denmark)", "dansk (Danmark)"},
		{"en-US", "English (United States)", "engelsk (USA)"},
		{"de-DE", "de-DE", "de-DE"}, // a language the files do not name
		{"en-ZZ", "en-ZZ", "en-ZZ"}, // a region the files do not name
		{"", "", ""},
	} {
		t.Run(tt.claim+" is said in words", func(t *testing.T) {
			if got := en.localeWords(tt.claim); got != tt.en {
				t.Errorf("en: got %q, want %q", got, tt.en)
			}
			if got := nb.localeWords(tt.claim); got != tt.nb {
				t.Errorf("nb: got %q, want %q", got, tt.nb)
			}
		})
	}
}

func TestPhoneNumbersGrouped(t *testing.T) {
	for _, tt := range []struct{ number, want string }{
		{"+4741234567", "+47 412 34 567"},
		{"+47 41234567", "+47 412 34 567"},
		{"+47 412 34 567", "+47 412 34 567"},
		{"+474123456", "+474123456"},     // seven digits: as given
		{"+4641234567", "+4641234567"},   // Sweden: as given
		{"+47412345678", "+47412345678"}, // nine digits: as given
		{"+47ABCDEFGH", "+47ABCDEFGH"},
		{"41234567", "41234567"},
		{"", ""},
	} {
		if got := phone(tt.number); got != tt.want {
			t.Errorf("phone(%q) = %q, want %q", tt.number, got, tt.want)
		}
	}
}

func TestProfileSaysLocaleAndPhoneInWords(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	user := testUser()
	b := newBrowserSpeaking(t, "nb")
	b.logIn(site, "/protected", true)
	r := b.get(site.app.URL + "/profile")
	wantStatus(t, "GET /profile", r, http.StatusOK)
	text := visibleText(r.body)
	if want := translatorFor("nb").localeWords(user.Locale) + " " + user.Locale; user.Locale == "" || !strings.Contains(text, want) {
		t.Errorf("/profile in Norwegian: no %q", want)
	}
	if want := phone(user.PhoneNumber); !strings.Contains(text, want) || !strings.Contains(want, " ") {
		t.Errorf("/profile: no phone number grouped as %q", want)
	}
}

// TestErrorPagesOfferTheWayOn: a failed login's page goes back to where
// the visitor was, and its language switch shows the same failure again
// in the other language without loading the spent callback again.
func TestErrorPagesOfferTheWayOn(t *testing.T) {
	site := newTestSite(t, siteOptions{})

	t.Run("a cancelled login offers the way back to its page", func(t *testing.T) {
		b := newBrowser(t)
		r := b.get(b.loginAt(b.startLogin(site, "return_to=/profile"), testUser().Sub, true, "cancel").location)
		wantStatus(t, "the cancelled login's callback", r, http.StatusForbidden)
		if !strings.Contains(r.body, `href="/profile">Back to where you were</a>`) {
			t.Errorf("the cancelled login's page has no way back to /profile")
		}
	})

	t.Run("the language switch on a callback's error page shows the failure again, not the callback", func(t *testing.T) {
		b := newBrowser(t)
		r := b.get(b.loginAt(b.startLogin(site, "return_to=/profile"), testUser().Sub, true, "cancel").location)
		m := switcherLink.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("the error page has no switch to Norwegian")
		}
		link := html.UnescapeString(m[1])
		if strings.Contains(link, "oauth2callback") || strings.Contains(link, "state=") || strings.Contains(link, "code=") {
			t.Fatalf("the switch %q goes back to the callback", link)
		}
		u, _ := url.Parse(link)
		if got := u.Query().Get("failure"); got != "login_cancelled" {
			t.Errorf("the switch carries failure %q, want login_cancelled", got)
		}
		r = b.get(site.app.URL + link)
		wantStatus(t, "GET "+link, r, http.StatusSeeOther)
		if r.location != site.app.URL+"/" {
			t.Errorf("GET %s went to %q, want / (a page anyone may see)", link, r.location)
		}
		r = b.get(r.location)
		wantStatus(t, "the home page after the switch", r, http.StatusOK)
		nb := translatorFor("nb")
		for _, want := range []string{nb.T("error.login_cancelled.title"), nb.T("error.login_cancelled.message"), nb.T("action.back")} {
			if !strings.Contains(html.UnescapeString(r.body), want) {
				t.Errorf("the home page after the switch lacks %q", want)
			}
		}
		if !strings.Contains(r.body, `href="/profile">`+nb.T("action.back")) {
			t.Errorf("the failure shown again has no way back to /profile")
		}
		// Once: the next page does not show it again.
		r = b.get(site.app.URL + "/")
		if strings.Contains(html.UnescapeString(r.body), nb.T("error.login_cancelled.title")) {
			t.Errorf("the failure is shown a second time")
		}
	})

	t.Run("only a known failure code is shown again, never text of the link's", func(t *testing.T) {
		b := newBrowser(t)
		for _, code := range []string{"you have won", "<b>x</b>", "no_such_code"} {
			r := b.get(site.app.URL + "/lang?to=nb&return_to=%2F&failure=" + url.QueryEscape(code))
			wantStatus(t, "GET /lang with failure "+code, r, http.StatusSeeOther)
			r = b.get(r.location)
			if strings.Contains(r.body, `class="problem"`) || strings.Contains(r.body, "you have won") {
				t.Errorf("failure %q was shown", code)
			}
		}
	})

	t.Run("a 404's language switch simply loads the page again", func(t *testing.T) {
		r := newBrowser(t).get(site.app.URL + "/no-such-page")
		if !strings.Contains(r.body, `href="/lang?to=nb&amp;return_to=%2Fno-such-page"`) {
			t.Errorf("the 404's switch does not come back to the page")
		}
	})
}

func TestHeaderLoginComesBack(t *testing.T) {
	site := newTestSite(t, siteOptions{})
	for _, tt := range []struct{ path, want string }{
		{"/guide", `href="/login?return_to=%2Fguide"`},
		{"/setup", `href="/login?return_to=%2Fsetup"`},
		{"/", `href="/login?return_to=%2Fprotected"`},             // the home page has nothing more to show
		{"/no-such-page", `href="/login?return_to=%2Fprotected"`}, // never back to an error
	} {
		r := newBrowser(t).get(site.app.URL + tt.path)
		if !strings.Contains(r.body, tt.want) {
			t.Errorf("GET %s: the header's Log in is not %s", tt.path, tt.want)
		}
	}
}
