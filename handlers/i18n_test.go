package handlers

import (
	"fmt"
	"html"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/templates"
)

// formatVerb is one of fmt's verbs in a text: %s, %d, %[1]s, %5.2f.
var formatVerb = regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[a-zA-Z%]`)

// verbs are the arguments a text takes, in order; %% takes none.
func verbs(text string) []string {
	var out []string
	for _, v := range formatVerb.FindAllString(text, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	return out
}

// markupTag is one tag of an _html text, with its attributes.
var markupTag = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*>`)

// unbalanced says what is wrong with the nesting of a text's tags, or "".
func unbalanced(text string) string {
	var open []string
	for _, m := range markupTag.FindAllStringSubmatch(text, -1) {
		closing, name := m[1] == "/", strings.ToLower(m[2])
		switch {
		case name == "br" || name == "img" || name == "input" || name == "hr" || name == "wbr":
		case !closing:
			open = append(open, name)
		case len(open) == 0 || open[len(open)-1] != name:
			return fmt.Sprintf("</%s> closes nothing open (open: %v)", name, open)
		default:
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		return fmt.Sprintf("left open: %v", open)
	}
	return ""
}

// messageTexts are the texts of one language's message file, read with
// go-i18n as the site reads them, by key; the forms of a plural text are
// under key#one and key#other.
func messageTexts(t *testing.T, lang string) map[string]string {
	t.Helper()
	name := "locales/" + lang + ".toml"
	src, err := fs.ReadFile(localeFiles, name)
	if err != nil {
		t.Fatal(err)
	}
	file, err := i18n.ParseMessageFileBytes(src, name, map[string]i18n.UnmarshalFunc{"toml": toml.Unmarshal})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	texts := map[string]string{}
	for _, m := range file.Messages {
		if _, dup := texts[m.ID]; dup {
			t.Errorf("%s has %q twice", name, m.ID)
		}
		forms := map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many}
		plural := false
		for form, text := range forms {
			if text != "" {
				texts[m.ID+"#"+form] = text
				plural = true
			}
		}
		if plural {
			texts[m.ID+"#other"] = m.Other
		} else {
			texts[m.ID] = m.Other
		}
	}
	return texts
}

// pluralForms are the CLDR plural forms of each language's cardinal
// numbers: what a plural text must have, and all it may have.
var pluralForms = map[string][]string{"en": {"one", "other"}, "nb": {"one", "other"}}

func TestCatalogues(t *testing.T) {
	if _, err := loadCatalogues(localeFiles); err != nil {
		t.Fatalf("the message files do not load: %v", err)
	}
	langs := slices.Sorted(maps.Keys(catalogues))
	if !slices.Equal(langs, []string{"en", "nb"}) {
		t.Fatalf("catalogues are %v, want [en nb]", langs)
	}
	files := map[string]map[string]string{}
	for _, lang := range langs {
		files[lang] = messageTexts(t, lang)
	}
	english, norwegian := files["en"], files["nb"]

	t.Run("both languages have the same keys", func(t *testing.T) {
		for _, lang := range langs {
			for _, other := range langs {
				for key := range files[other] {
					if _, ok := files[lang][key]; !ok {
						t.Errorf("locales/%s.toml has no %q (locales/%s.toml has it)", lang, key, other)
					}
				}
			}
		}
	})

	t.Run("a plural text has the forms of its language and no others", func(t *testing.T) {
		for _, lang := range langs {
			stems := map[string][]string{}
			for key := range files[lang] {
				if stem, form, ok := strings.Cut(key, "#"); ok {
					stems[stem] = append(stems[stem], form)
				}
			}
			for stem, forms := range stems {
				slices.Sort(forms)
				if want := pluralForms[lang]; !slices.Equal(forms, want) {
					t.Errorf("%s %q has the forms %v, want %v", lang, stem, forms, want)
				}
			}
		}
	})

	t.Run("no text is empty", func(t *testing.T) {
		for _, lang := range langs {
			for key, text := range files[lang] {
				if strings.TrimSpace(text) == "" {
					t.Errorf("%s %q is empty", lang, key)
				}
			}
		}
	})

	t.Run("each text takes the same arguments in the same order in both languages", func(t *testing.T) {
		for key, en := range english {
			nb, ok := norwegian[key]
			if !ok {
				continue // reported above
			}
			if got, want := verbs(nb), verbs(en); !slices.Equal(got, want) {
				t.Errorf("nb %q takes %v, want %v as in en", key, got, want)
			}
		}
	})

	t.Run("no text holds a template action", func(t *testing.T) {
		for _, lang := range langs {
			for key, text := range files[lang] {
				if strings.Contains(text, "{{") || strings.Contains(text, "}}") {
					t.Errorf("%s %q holds {{ or }}: the text is written into the template and would be parsed as an action", lang, key)
				}
			}
		}
	})

	t.Run("only _html texts hold markup, and theirs is balanced", func(t *testing.T) {
		for _, lang := range langs {
			for key, text := range files[lang] {
				if !strings.HasSuffix(key, "_html") {
					if markupTag.MatchString(text) {
						t.Errorf("%s %q holds markup, which would be shown escaped: name it %s_html", lang, key, key)
					}
					continue
				}
				if problem := unbalanced(text); problem != "" {
					t.Errorf("%s %q: %s", lang, key, problem)
				}
			}
		}
	})

	t.Run("the markup of each _html text is the same in both languages", func(t *testing.T) {
		for key, en := range english {
			nb, ok := norwegian[key]
			if !ok || !strings.HasSuffix(key, "_html") || key == "lang.switcher_html" {
				// The switcher's markup differs by design: each language
				// links to the other.
				continue
			}
			if got, want := markupTag.FindAllString(nb, -1), markupTag.FindAllString(en, -1); !slices.Equal(got, want) {
				t.Errorf("nb %q has the tags\n%q\nwant\n%q", key, got, want)
			}
		}
	})

	t.Run("the site reads each text as the file writes it", func(t *testing.T) {
		for _, lang := range langs {
			tr := translatorFor(lang)
			for key, want := range files[lang] {
				if strings.Contains(key, "#") {
					continue // plural: TestDatesAndDurations
				}
				if got := tr.text[key]; got != want {
					t.Errorf("%s %q: got %q, want %q", lang, key, got, want)
				}
			}
		}
	})
}

// messageKeys are the keys of the English message file, a plural text's
// once.
func messageKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	for key := range messageTexts(t, "en") {
		stem, _, _ := strings.Cut(key, "#")
		if !slices.Contains(keys, stem) {
			keys = append(keys, stem)
		}
	}
	slices.Sort(keys)
	return keys
}

// catalogueKey is how the code names a text: "error.not_found",
// "guide.3.title". Its first part is one the catalogues use.
func catalogueKey(t *testing.T) *regexp.Regexp {
	var parts []string
	for _, key := range messageKeys(t) {
		part, _, _ := strings.Cut(key, ".")
		if !slices.Contains(parts, part) {
			parts = append(parts, part)
		}
	}
	slices.Sort(parts)
	return regexp.MustCompile(`"((?:` + strings.Join(parts, "|") + `)\.[a-z0-9_.]*)"`)
}

// templateText is a t call in a template: {{t "key" ...}}, (t "key"),
// {{t (printf "setup.curl.%s.title" .ID)}}, or {{t .Note}} with a key
// that the Go code holds.
var templateText = regexp.MustCompile(`(?:\{\{-?|\()\s*t\s+("[^"]*"|\(printf\s+"[^"]*"|[^\s)}]+)`)

// keysInUse is every catalogue key the site can look up, with where it
// is used.
func keysInUse(t *testing.T) map[string]string {
	t.Helper()
	used := map[string]string{}
	use := func(key, where string) {
		if _, seen := used[key]; !seen {
			used[key] = where
		}
	}

	// curlIDs are the commands /setup shows: all of them, with an
	// introspection endpoint.
	curl := curlSteps(curlInput{Confidential: true, Endpoints: connect.Endpoints{Introspection: "https://x/introspect"}})
	curlIDs := []string{curl.Discovery.ID}
	for _, c := range curl.Commands {
		curlIDs = append(curlIDs, c.ID)
	}

	// The templates: literal keys, and keys built from a curl command's ID.
	err := fs.WalkDir(templates.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		src, err := fs.ReadFile(templates.FS, path)
		if err != nil {
			return err
		}
		where := "templates/" + path
		for _, m := range templateText.FindAllStringSubmatch(string(src), -1) {
			arg := m[1]
			switch {
			case strings.HasPrefix(arg, `"`):
				use(strings.Trim(arg, `"`), where)
			case strings.HasPrefix(arg, "(printf"):
				format := arg[strings.Index(arg, `"`)+1 : len(arg)-1]
				if !strings.HasPrefix(format, "setup.curl.") {
					t.Errorf("%s builds keys from %q: teach keysInUse its values", where, format)
					continue
				}
				for _, id := range curlIDs {
					use(fmt.Sprintf(format, id), where+" (curl "+id+")")
				}
			default:
				// A key held by the Go code ({{t .}} for a scope's note):
				// the scan of the Go files below finds it.
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The Go files: every string literal shaped like a key. The
	// registration check's lines are regcheck's keys, in its own files.
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	regcheckFiles, err := filepath.Glob("../regcheck/*.go")
	if err != nil || len(regcheckFiles) == 0 {
		t.Fatalf("no regcheck files to scan: %v", err)
	}
	files = append(files, regcheckFiles...)
	literal := catalogueKey(t)
	beyondStem := regexp.MustCompile(`^guide\.\d+\.beyond\.\d+$`)
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		where := "handlers/" + file
		if strings.HasPrefix(file, "../") {
			where = strings.TrimPrefix(file, "../")
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			key := m[1]
			switch {
			case strings.HasSuffix(key, ".html") || strings.HasSuffix(key, ".go"):
				// a template or file name, not a key
			case key == "month.":
				for n := 1; n <= 12; n++ {
					use("month."+strconv.Itoa(n), where)
				}
			case key == "unit.":
				for _, unit := range []string{"second", "minute", "hour", "day"} {
					use("unit."+unit, where)
				}
			case key == "guide.":
				// guide.N.title and .summary: from guideSteps, below.
			case key == "acr.":
				use("acr.1", where)
				use("acr.2", where)
			case key == "amr.":
				for _, method := range []string{"ok", "uid_pwd", "hdr", "otp", "sso"} {
					use("amr."+method, where)
				}
			case key == "locale.language." || key == "locale.region.":
				// every language and region the message files name: a
				// claim may hold any of them.
				for k := range messageTexts(t, "en") {
					if strings.HasPrefix(k, key) {
						use(k, where)
					}
				}
			case key == "error." || key == "message.":
				// "error."+code and "message."+notice: from failureCodes.
			case strings.HasSuffix(key, "."):
				t.Errorf("%s builds keys from %q at run time: teach keysInUse its values", where, key)
			case strings.HasPrefix(key, "error."):
				// a pageError: its page has a title and a message.
				use(key+".title", where)
				use(key+".message", where)
			case beyondStem.MatchString(key):
				// what the app does beyond a step: from guideSteps, below.
			default:
				use(key, where)
			}
		}
	}

	// The start-up warnings: config names them by key, /setup says them.
	src, err := os.ReadFile("../config/config.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"(warning\.[a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		use(m[1], "config/config.go")
	}

	// The failures' and notices' words, by the codes that name them.
	for where, codes := range failureCodes(t) {
		for _, code := range codes {
			use(code, where)
		}
	}

	// The guide's steps and the map of the code, from the data itself.
	for _, s := range guideSteps {
		where := "handlers/guide.go (step " + strconv.Itoa(s.Number) + ")"
		use("guide."+strconv.Itoa(s.Number)+".title", where)
		use("guide."+strconv.Itoa(s.Number)+".summary", where)
		for _, l := range s.Links {
			use(l.Label, where)
		}
		for _, b := range s.Beyond {
			use(b.Key+".what", where)
			use(b.Key+".why", where)
			if b.Link.Label != "" {
				use(b.Link.Label, where)
			}
		}
	}
	for _, c := range codeMap {
		use(c.What, "handlers/guide.go (codeMap)")
	}
	for _, s := range knownScopes {
		if s.Note != "" {
			use(s.Note, "handlers/scopes.go")
		}
	}
	return used
}

func TestKeysInUse(t *testing.T) {
	used := keysInUse(t)

	t.Run("the scan finds the keys of every page", func(t *testing.T) {
		// A broken pattern would find nothing and pass everything.
		for _, key := range []string{"home.heading", "step.marker_html", "error.not_found.title", "guide.13.summary",
			"setup.curl.revoke.then", "setup.curl.introspect.title", "month.12", "unit.day", "scopes.note_openid", "message.silent_login"} {
			if _, ok := used[key]; !ok {
				t.Errorf("keysInUse did not find %q", key)
			}
		}
	})

	t.Run("every key the code uses is in both message files", func(t *testing.T) {
		for _, lang := range []string{"en", "nb"} {
			keys := map[string]bool{}
			for key := range messageTexts(t, lang) {
				stem, _, _ := strings.Cut(key, "#")
				keys[stem] = true
			}
			for key, where := range used {
				if !keys[key] {
					t.Errorf("%s uses %q, which locales/%s.toml does not have", where, key, lang)
				}
			}
		}
	})

	t.Run("every text of the message files is used", func(t *testing.T) {
		for _, key := range messageKeys(t) {
			if _, ok := used[key]; !ok {
				t.Errorf("%q is in the message files, but no page uses it", key)
			}
		}
	})
}

func TestDatesAndDurations(t *testing.T) {
	en, nb := translatorFor("en"), translatorFor("nb")
	moment := time.Date(2026, time.November, 30, 14, 3, 27, 0, time.FixedZone("CET", 3600))

	t.Run("a moment reads as each language writes it, in UTC in English and Norway's time in Norwegian", func(t *testing.T) {
		if got, want := en.datetime(moment), "30 November 2026, 13:03 UTC"; got != want {
			t.Errorf("en: got %q, want %q", got, want)
		}
		if got, want := nb.datetime(moment), "30. november 2026 kl. 14:03 norsk tid"; got != want {
			t.Errorf("nb: got %q, want %q", got, want)
		}
	})

	t.Run("Norway's summer time is kept", func(t *testing.T) {
		summer := time.Date(2026, time.July, 1, 5, 36, 0, 0, time.UTC)
		if got, want := nb.datetime(summer), "1. juli 2026 kl. 07:36 norsk tid"; got != want {
			t.Errorf("nb: got %q, want %q", got, want)
		}
		if got, want := en.datetime(summer), "1 July 2026, 05:36 UTC"; got != want {
			t.Errorf("en: got %q, want %q", got, want)
		}
	})

	tests := []struct {
		d      time.Duration
		en, nb string
	}{
		{time.Second, "1 second", "1 sekund"},
		{45 * time.Second, "45 seconds", "45 sekunder"},
		{time.Minute, "1 minute", "1 minutt"},
		{89 * time.Second, "1 minute", "1 minutt"},
		{119 * time.Second, "2 minutes", "2 minutter"},
		{2 * time.Minute, "2 minutes", "2 minutter"},
		{5 * time.Minute, "5 minutes", "5 minutter"},
		{time.Hour, "1 hour", "1 time"},
		{3 * time.Hour, "3 hours", "3 timer"},
		{24 * time.Hour, "24 hours", "24 timer"},
		{48 * time.Hour, "2 days", "2 dager"},
	}
	for _, tt := range tests {
		t.Run("a span of "+tt.d.String()+" is said in whole units", func(t *testing.T) {
			if got := en.duration(tt.d); got != tt.en {
				t.Errorf("en: got %q, want %q", got, tt.en)
			}
			if got := nb.duration(tt.d); got != tt.nb {
				t.Errorf("nb: got %q, want %q", got, tt.nb)
			}
		})
	}

	t.Run("how long ago is said in words", func(t *testing.T) {
		now := moment.Add(3*time.Minute + 20*time.Second)
		if got, want := nb.ago(now, moment), "for 3 minutter siden"; got != want {
			t.Errorf("nb: got %q, want %q", got, want)
		}
		if got, want := en.ago(now, moment), "3 minutes ago"; got != want {
			t.Errorf("en: got %q, want %q", got, want)
		}
		if got, want := nb.ago(moment.Add(10*time.Second), moment), "akkurat nå"; got != want {
			t.Errorf("nb: got %q, want %q", got, want)
		}
	})
}

func TestTextsWithArguments(t *testing.T) {
	for _, lang := range []string{"en", "nb"} {
		tr := translatorFor(lang)
		t.Run("a number keeps its %d in an _html text of "+lang, func(t *testing.T) {
			got := string(tr.template("session.api_answer_html", 200).(template.HTML))
			if !strings.Contains(got, "<code>200</code>") || strings.Contains(got, "%!") {
				t.Errorf("got %q, want the status as <code>200</code>", got)
			}
		})
		t.Run("a string is escaped in an _html text of "+lang, func(t *testing.T) {
			got := string(tr.template("home.welcome_html", `<script>"x"</script>`).(template.HTML))
			if !strings.Contains(got, "<strong>&lt;script&gt;&#34;x&#34;&lt;/script&gt;</strong>") {
				t.Errorf("got %q, want the name escaped inside <strong>", got)
			}
		})
		t.Run("a plain text is left to html/template to escape in "+lang, func(t *testing.T) {
			if got, ok := tr.template("sessions.device", "<b>", "Linux").(string); !ok || !strings.HasPrefix(got, "<b>") {
				t.Errorf("got %#v, want the plain string, which the template escapes", got)
			}
		})
	}
}

// newBrowserSpeaking is a browser whose user prefers the given languages.
func newBrowserSpeaking(t *testing.T, languages string) *browser {
	return newBrowser(t).sending("Accept-Language", languages)
}

// switcherLink is the language switcher's link to Norwegian.
var switcherLink = regexp.MustCompile(`href="(/lang\?to=nb&amp;return_to=[^"]*)"`)

// goDuration is a time.Duration as Go prints it: "1m0s", "2h0m0s".
var goDuration = regexp.MustCompile(`\b\d+h\d+m\d+(\.\d+)?s\b|\b\d+m\d+(\.\d+)?s\b`)

var (
	norwegianDate = regexp.MustCompile(`\d{1,2}\. (januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember) \d{4} kl\. \d\d:\d\d norsk tid`)
	englishDate   = regexp.MustCompile(`\d{1,2} (January|February|March|April|May|June|July|August|September|October|November|December) \d{4}, \d\d:\d\d UTC`)
)

// wantLanguage fails unless page is in lang: its html element says so, it
// has the text under key in lang, and no longer text of the other language.
func wantLanguage(t *testing.T, what string, page response, lang, key string) {
	t.Helper()
	if want := `<html lang="` + lang + `">`; !strings.Contains(page.body, want) {
		t.Errorf("%s: no %s in the page", what, want)
	}
	if i := strings.Index(page.body, "%!"); i >= 0 {
		t.Errorf("%s: a text was given the wrong arguments: %q", what, page.body[i:min(i+40, len(page.body))])
	}
	text := html.UnescapeString(page.body)
	if want := catalogues[lang].text[key]; !strings.Contains(text, want) {
		t.Errorf("%s: the page does not say %q (%s)", what, want, key)
	}
	other := "nb"
	if lang == "nb" {
		other = "en"
	}
	for k, s := range catalogues[other].text {
		if len(s) >= 20 && s != catalogues[lang].text[k] && !strings.Contains(s, "%") && strings.Contains(text, s) {
			t.Errorf("%s: the %s page holds the %s text of %q: %q", what, lang, other, k, s)
		}
	}
}

func TestLanguageChoice(t *testing.T) {
	site := newTestSite(t, siteOptions{})

	t.Run("the browser's languages choose the page's", func(t *testing.T) {
		tests := []struct {
			acceptLanguage, want string
		}{
			{"nb-NO,nb;q=0.9,en;q=0.5", "nb"},
			{"nn", "nb"},
			{"nn-NO,en;q=0.5", "nb"},
			{"no", "nb"},
			{"de", "en"},
			{"de-CH,fr;q=0.8", "en"},
			{"en-GB,nb;q=0.5", "en"},
			{"", "en"},
		}
		for _, tt := range tests {
			r := newBrowserSpeaking(t, tt.acceptLanguage).get(site.app.URL + "/")
			wantStatus(t, "GET / with Accept-Language "+tt.acceptLanguage, r, http.StatusOK)
			wantLanguage(t, fmt.Sprintf("GET / with Accept-Language %q", tt.acceptLanguage), r, tt.want, "home.lead")
		}
	})

	t.Run("the switcher remembers the choice for a year and goes back", func(t *testing.T) {
		b := newBrowserSpeaking(t, "en")
		r := b.get(site.app.URL + "/lang?to=nb&return_to=/guide")
		wantStatus(t, "GET /lang?to=nb", r, http.StatusSeeOther)
		if want := site.app.URL + "/guide"; r.location != want {
			t.Errorf("Location = %q, want %q", r.location, want)
		}
		var c *http.Cookie
		for _, set := range r.cookies {
			if set.Name == langCookie {
				c = set
			}
		}
		switch {
		case c == nil:
			t.Fatalf("no %s cookie set; got %v", langCookie, r.cookies)
		case c.Value != "nb" || c.Path != "/" || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 365*24*60*60:
			t.Errorf("cookie = %q, want lang=nb; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax", c.String())
		}
		wantLanguage(t, "GET /guide after choosing Norsk, with Accept-Language en", b.get(site.app.URL+"/guide"), "nb", "guide.lead")

		r = b.get(site.app.URL + "/lang?to=en&return_to=/guide")
		wantStatus(t, "GET /lang?to=en", r, http.StatusSeeOther)
		wantLanguage(t, "GET /guide after choosing English", b.get(site.app.URL+"/guide"), "en", "guide.lead")
	})

	t.Run("the switcher's link comes back to this very page", func(t *testing.T) {
		b := newBrowserSpeaking(t, "en")
		r := b.get(site.app.URL + "/guide?from=test")
		m := switcherLink.FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("/guide has no link to /lang?to=nb:\n%s", r.body)
		}
		r = b.get(site.app.URL + html.UnescapeString(m[1]))
		wantStatus(t, "GET the switcher's link", r, http.StatusSeeOther)
		if want := site.app.URL + "/guide?from=test"; r.location != want {
			t.Errorf("Location = %q, want %q", r.location, want)
		}
	})

	t.Run("an unknown language is a 400 page", func(t *testing.T) {
		r := newBrowserSpeaking(t, "nb").get(site.app.URL + "/lang?to=xx&return_to=/guide")
		wantStatus(t, "GET /lang?to=xx", r, http.StatusBadRequest)
		wantLanguage(t, "GET /lang?to=xx", r, "nb", "error.language.message")
		for _, set := range r.cookies {
			if set.Name == langCookie {
				t.Errorf("a %s cookie was set: %q", langCookie, set.String())
			}
		}
	})

	t.Run("the switcher sends nobody to another site", func(t *testing.T) {
		for _, returnTo := range []string{"https://evil.example/", "//evil.example/x", `/\evil.example`} {
			r := newBrowser(t).get(site.app.URL + "/lang?to=nb&return_to=" + returnTo)
			wantStatus(t, "GET /lang with return_to "+returnTo, r, http.StatusSeeOther)
			if want := site.app.URL + "/"; r.location != want {
				t.Errorf("return_to %q: Location = %q, want %q", returnTo, r.location, want)
			}
		}
	})

	t.Run("CONNECT is asked to speak the visitor's language", func(t *testing.T) {
		for _, lang := range []string{"nb", "en"} {
			b := newBrowserSpeaking(t, lang)
			r := b.get(site.app.URL + "/login?return_to=/protected")
			wantStatus(t, "GET /login", r, http.StatusFound)
			if got := query(t, r.location, "ui_locales"); got != lang {
				t.Errorf("Accept-Language %s: ui_locales = %q, want %q", lang, got, lang)
			}
			if lang == "nb" {
				if page := b.get(r.location); !strings.Contains(page.body, `lang="nb"`) {
					t.Errorf("the stand-in's login page is not in Norwegian:\n%s", page.body)
				}
			}
		}
	})

	t.Run("CONNECT_UI_LOCALES, when set, is sent instead", func(t *testing.T) {
		configured := newTestSite(t, siteOptions{uiLocales: "en nb"})
		r := newBrowserSpeaking(t, "nb").get(configured.app.URL + "/login?return_to=/protected")
		wantStatus(t, "GET /login", r, http.StatusFound)
		if got := query(t, r.location, "ui_locales"); got != "en nb" {
			t.Errorf("ui_locales = %q, want %q (CONNECT_UI_LOCALES)", got, "en nb")
		}
	})

	t.Run("error pages, messages and step markers are in Norwegian too", func(t *testing.T) {
		b := newBrowserSpeaking(t, "nb")
		r := b.get(site.app.URL + "/no-such-page")
		wantStatus(t, "GET /no-such-page", r, http.StatusNotFound)
		wantLanguage(t, "GET /no-such-page", r, "nb", "error.not_found.title")

		r = b.get(site.app.URL + "/")
		if want := "Steg 5 av 13"; !strings.Contains(r.body, want) {
			t.Errorf("the Norwegian home page has no %q marker", want)
		}

		b.logIn(site, "/protected", true)
		r = b.post(site.app.URL+"/refresh", map[string][]string{"return_to": {"/session"}})
		wantStatus(t, "POST /refresh", r, http.StatusSeeOther)
		r = b.get(r.location)
		wantLanguage(t, "GET /session after a refresh", r, "nb", "message.tokens_refreshed")
	})

	// dates checks a page's dates and durations in lang.
	dates := func(t *testing.T, what string, page response, lang string, words ...string) {
		t.Helper()
		date := englishDate
		if lang == "nb" {
			date = norwegianDate
		}
		if !date.MatchString(page.body) {
			t.Errorf("%s: no date written as %s writes it (%s)", what, lang, date)
		}
		if i := strings.Index(page.body, "%!"); i >= 0 {
			t.Errorf("%s: a text was given the wrong arguments: %q", what, page.body[i:min(i+40, len(page.body))])
		}
		if m := goDuration.FindString(page.body); m != "" {
			t.Errorf("%s: a duration as Go prints it: %q", what, m)
		}
		for _, w := range words {
			if !strings.Contains(page.body, w) {
				t.Errorf("%s: no %q", what, w)
			}
		}
	}

	for _, tt := range []struct {
		lang                    string
		session, stepup, recent string
	}{
		{"nb", "1 minutt før det utløper", "5 minutter etter autentiseringen", "akkurat nå"},
		{"en", "1 minute before it expires", "5 minutes after the authentication", "just now"},
	} {
		t.Run("dates and durations are written in words of "+tt.lang, func(t *testing.T) {
			b := newBrowserSpeaking(t, tt.lang)
			b.logIn(site, "/protected", true)

			r := b.get(site.app.URL + "/session")
			wantStatus(t, "GET /session", r, http.StatusOK)
			dates(t, "/session", r, tt.lang, tt.session)

			r = b.get(site.app.URL + "/sessions")
			wantStatus(t, "GET /sessions", r, http.StatusOK)
			dates(t, "/sessions", r, tt.lang, tt.recent)

			_, callback := b.stepUp(site)
			wantStatus(t, "step-up callback", callback, http.StatusSeeOther)
			r = b.get(site.app.URL + "/stepup")
			wantStatus(t, "GET /stepup", r, http.StatusOK)
			dates(t, "/stepup", r, tt.lang, tt.stepup)
		})
	}

	t.Run("every page reads in Norwegian", func(t *testing.T) {
		b := newBrowserSpeaking(t, "nb")
		b.logIn(site, "/protected", true)
		for _, p := range []struct{ path, key string }{
			{"/", "home.lead"},
			{"/protected", "protected.lead"},
			{"/profile", "profile.heading"},
			{"/session", "session.lead"},
			{"/sessions", "sessions.lead"},
			{"/guide", "guide.lead"},
			{"/setup", "setup.lead"},
		} {
			r := b.get(site.app.URL + p.path)
			wantStatus(t, "GET "+p.path, r, http.StatusOK)
			wantLanguage(t, "GET "+p.path, r, "nb", p.key)
		}
		r := b.logOutOfApp(site)
		wantStatus(t, "the logged-out page", r, http.StatusOK)
		wantLanguage(t, "the logged-out page", r, "nb", "loggedout.app")
	})
}

// failureCodes finds, in the Go files of this package and of connectweb,
// every failure code and notice, and returns the keys they name:
// "error."+code+".title" and ".message", and "message."+notice.
func failureCodes(t *testing.T) map[string][]string {
	t.Helper()
	failure := regexp.MustCompile(`(?m)(?:fail|failure|badRequest|tooManyRequests)\([^"()]*"([a-z_]+)"\)|Code:\s*"([a-z_]+)"|failureCode :?= "([a-z_]+)"|^\t\{[\w.()]+, http\.Status\w+, "([a-z_]+)"`)
	notice := regexp.MustCompile(`Notice = "([a-z_]+)"`)
	keys := map[string][]string{}
	for _, glob := range []string{"*.go", "../connectweb/*.go"} {
		files, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range failure.FindAllStringSubmatch(string(src), -1) {
				code := m[1] + m[2] + m[3] + m[4]
				keys[file] = append(keys[file], "error."+code+".title", "error."+code+".message")
			}
			for _, m := range notice.FindAllStringSubmatch(string(src), -1) {
				keys[file] = append(keys[file], "message."+m[1])
			}
		}
	}
	return keys
}
