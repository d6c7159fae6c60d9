package localconnect

import (
	"html"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// TestCatalogues checks every text of every language: the message files
// load (each has a text for every field of the catalogue, and no other), none
// is empty or holds a template action, each language has the same keys in
// its maps, and a format takes the same values in every language.
func TestCatalogues(t *testing.T) {
	if _, err := loadCatalogues(localeFiles); err != nil {
		t.Fatalf("the message files do not load: %v", err)
	}
	english := reflect.ValueOf(*catalogues["en"])
	for lang, c := range catalogues {
		compareTexts(t, lang, "", english, reflect.ValueOf(*c))
	}
	if len(catalogues) != len(languageCodes) {
		t.Errorf("%d catalogues for %d languages (%v)", len(catalogues), len(languageCodes), languageCodes)
	}
	for _, code := range languageCodes {
		if catalogues[code] == nil {
			t.Errorf("no catalogue for %q", code)
		}
	}
	for lang, c := range catalogues {
		if got := slices.Sorted(maps.Keys(c.Login.Scopes)); !slices.Equal(got, slices.Sorted(slices.Values(supportedScopes))) {
			t.Errorf("%s has words for the scopes %v, want one for each of %v", lang, got, supportedScopes)
		}
	}
}

// TestLoadCatalogues shows that a message file must have a text for each
// field of the catalogue, and nothing else.
func TestLoadCatalogues(t *testing.T) {
	files := func(t *testing.T, edit func(nb string) string) fstest.MapFS {
		t.Helper()
		fsys := fstest.MapFS{}
		for _, lang := range languageCodes {
			src, err := fs.ReadFile(localeFiles, "locales/"+lang+".toml")
			if err != nil {
				t.Fatal(err)
			}
			if lang == "nb" {
				src = []byte(edit(string(src)))
			}
			fsys["locales/"+lang+".toml"] = &fstest.MapFile{Data: src}
		}
		return fsys
	}
	tests := []struct {
		name, want string
		edit       func(nb string) string
	}{
		{"a text missing from one language stops the load", `locales/nb.toml has no text for login.heading`,
			func(nb string) string { return dropLine(nb, `"login.heading"`) }},
		{"every entry of a map missing stops the load", `locales/nb.toml has no text for login.scopes.*`,
			func(nb string) string {
				for _, scope := range supportedScopes {
					nb = dropLine(nb, `"login.scopes.`+scope+`"`)
				}
				return nb
			}},
		{"a text no field takes stops the load", `locales/nb.toml: "login.forgotten" is no text of the stand-in's`,
			func(nb string) string { return nb + "\n\"login.forgotten\" = \"Glemt\"\n" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadCatalogues(files(t, tt.edit))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
	t.Run("the files as they are load", func(t *testing.T) {
		if _, err := loadCatalogues(files(t, func(nb string) string { return nb })); err != nil {
			t.Error(err)
		}
	})
}

// dropLine is src without its line that starts with prefix.
func dropLine(src, prefix string) string {
	var keep []string
	for _, line := range strings.Split(src, "\n") {
		if !strings.HasPrefix(line, prefix) {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// TestEveryTextIsUsed fails for a text of the catalogue that no page or
// code of the stand-in shows: a field of a part (Login.Heading) must be
// named (.Heading) in a file that names the part (.T.Login,
// texts(lang).Login).
func TestEveryTextIsUsed(t *testing.T) {
	sources := map[string]string{}
	for _, pattern := range []string{"*.go", "templates/*.html"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") || file == "i18n.go" {
				continue
			}
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sources[file] = string(src)
		}
	}
	named := func(name string, in []string) bool {
		field := regexp.MustCompile(`\.` + name + `\b`)
		for _, file := range in {
			if field.MatchString(sources[file]) {
				return true
			}
		}
		return false
	}
	all := slices.Sorted(maps.Keys(sources))

	parts := reflect.TypeFor[catalogue]()
	for i := range parts.NumField() {
		part := parts.Field(i)
		var partFiles []string
		for _, file := range all {
			if named(part.Name, []string{file}) {
				partFiles = append(partFiles, file)
			}
		}
		if len(partFiles) == 0 {
			t.Errorf("no file names .%s", part.Name)
			continue
		}
		for j := range part.Type.NumField() {
			field := part.Type.Field(j)
			if !named(field.Name, partFiles) {
				t.Errorf("%s.%s is in the message files, but none of %v shows it", part.Name, field.Name, partFiles)
			}
			if field.Type.Kind() == reflect.Struct {
				for k := range field.Type.NumField() {
					if sub := field.Type.Field(k).Name; !named(sub, all) {
						t.Errorf("%s.%s.%s is in the message files, but no file shows it", part.Name, field.Name, sub)
					}
				}
			}
		}
	}
}

var formatVerb = regexp.MustCompile(`%[a-z]`)

func compareTexts(t *testing.T, lang, path string, want, got reflect.Value) {
	t.Helper()
	switch got.Kind() {
	case reflect.Struct:
		for i := range got.NumField() {
			name := path + "." + got.Type().Field(i).Name
			compareTexts(t, lang, name, want.Field(i), got.Field(i))
		}
	case reflect.Map:
		for _, k := range want.MapKeys() {
			if !got.MapIndex(k).IsValid() {
				t.Errorf("%s%s lacks key %q", lang, path, k)
			}
		}
		for _, k := range got.MapKeys() {
			name := path + "[" + k.String() + "]"
			if !want.MapIndex(k).IsValid() {
				t.Errorf("%s%s is not in English", lang, name)
				continue
			}
			compareTexts(t, lang, name, want.MapIndex(k), got.MapIndex(k))
		}
	case reflect.String:
		if strings.TrimSpace(got.String()) == "" {
			t.Errorf("%s%s is empty", lang, path)
		}
		if strings.Contains(got.String(), "{{") {
			t.Errorf("%s%s holds {{, which go-i18n and html/template would read as an action", lang, path)
		}
		gotVerbs := formatVerb.FindAllString(got.String(), -1)
		if wantVerbs := formatVerb.FindAllString(want.String(), -1); !slices.Equal(gotVerbs, wantVerbs) {
			t.Errorf("%s%s takes %v, English takes %v", lang, path, gotVerbs, wantVerbs)
		}
	default:
		t.Errorf("%s%s is a %s; the test knows structs, maps and strings", lang, path, got.Kind())
	}
}

// TestEveryPageSpeaksBothLanguages opens each page of the stand-in as a
// Norwegian and as an English browser would.
func TestEveryPageSpeaksBothLanguages(t *testing.T) {
	e := newTestEnv(t)
	reply := e.codeFlow(publicClient, nil) // a session, so the sessions page has a row
	_, challenge := pkcePair()

	pages := []struct {
		name string
		open func(e *testEnv, acceptLanguage string) response
		want func(c *catalogue) string
	}{
		{"the root page", getWith("/", nil), func(c *catalogue) string { return c.Root.Intro }},
		{"the issuer's page", getWith("/oauth", nil), func(c *catalogue) string { return c.Root.Intro }},
		{"a 404", getWith("/oauth/nothing", nil), func(c *catalogue) string { return c.Messages.NotFound.Detail }},
		{"the sessions page", getWith("/oauth/sessions", nil), func(c *catalogue) string { return c.Sessions.EndSession }},
		{"an unknown client", getWith("/oauth/authorize", url.Values{"client_id": {"nobody"}}),
			func(c *catalogue) string { return c.Messages.UnknownClient.Title }},
		{"an expired login page", func(e *testEnv, lang string) response {
			return e.post("/oauth/authorize", url.Values{"request_id": {"gone"}, "action": {"login"}},
				http.Header{"Accept-Language": {lang}, "Sec-Fetch-Site": {"same-origin"}})
		}, func(c *catalogue) string { return c.Messages.Expired.Text }},
		{"the login page", getWith("/oauth/authorize", forceLogin(authorizeQuery(publicClient, challenge))),
			func(c *catalogue) string { return c.Login.StaySignedInExplained }},
		{"the logged-out page", getWith("/oauth/logout", url.Values{"id_token_hint": {reply.IDToken}}),
			func(c *catalogue) string { return c.Messages.LoggedOut.Text }},
	}
	browsers := []struct{ acceptLanguage, lang string }{{"nb-NO,nb;q=0.9,en;q=0.5", "nb"}, {"en-GB,en;q=0.8", "en"}}
	for _, p := range pages {
		for _, b := range browsers {
			t.Run(p.name+" in "+b.lang, func(t *testing.T) {
				e := e.in(t)
				resp := p.open(e, b.acceptLanguage)
				c, other := texts(b.lang), texts(otherLanguage(b.lang))
				for _, want := range []string{`<html lang="` + b.lang + `">`, c.Layout.Banner, c.Layout.SessionsLink, p.want(c)} {
					if !strings.Contains(html.UnescapeString(resp.body), want) {
						t.Errorf("page lacks %q", want)
					}
				}
				if strings.Contains(resp.body, other.Layout.Banner) {
					t.Errorf("a %s page has the %s banner", b.lang, otherLanguage(b.lang))
				}
			})
		}
	}

	t.Run("the login page follows ui_locales before Accept-Language", func(t *testing.T) {
		e := e.in(t)
		q := forceLogin(authorizeQuery(publicClient, challenge))
		q.Set("ui_locales", "nb")
		page := getWith("/oauth/authorize", q)(e, "en")
		if !strings.Contains(page.body, `<html lang="nb">`) || !strings.Contains(html.UnescapeString(page.body), texts("nb").Login.Heading) {
			t.Errorf("login page with ui_locales=nb, Accept-Language en is not in Norwegian")
		}
	})
}

func otherLanguage(lang string) string {
	if lang == "nb" {
		return "en"
	}
	return "nb"
}

// getWith is a browser GET with an Accept-Language header.
func getWith(path string, query url.Values) func(e *testEnv, acceptLanguage string) response {
	return func(e *testEnv, acceptLanguage string) response {
		e.t.Helper()
		req, err := http.NewRequest(http.MethodGet, e.url+path+"?"+query.Encode(), nil)
		if err != nil {
			e.t.Fatal(err)
		}
		req.Header.Set("Accept-Language", acceptLanguage)
		return e.do(e.browser, req)
	}
}
