package handlers

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	i18ntemplate "github.com/nicksnyder/go-i18n/v2/i18n/template"
	"github.com/telenordigital/connect-web-sample/connectweb"
	"golang.org/x/text/language"
)

// The site speaks English and Norwegian Bokmål. Each visitor gets the
// language they chose with the switcher (GET /lang, remembered in a
// cookie), else the best match for their browser's Accept-Language, else
// English. Every word a page shows comes from one go-i18n message file
// per language (locales/en.toml, locales/nb.toml), by key; templates are
// parsed once per language at start with the words written in, so a page
// view looks nothing up but a map entry for a text with page data in it.

// Languages the site speaks; the first is the default.
var languages = []language.Tag{language.English, language.MustParse("nb")}

// languageMatcher maps a browser's preferences to one of languages; it
// treats Nynorsk and plain "no" as close enough to Bokmål.
var languageMatcher = language.NewMatcher(languages)

//go:embed locales/*.toml
var localeFiles embed.FS

// catalogues are the site's words by language, read from localeFiles when
// the program starts. The files are part of the binary, so one that does
// not load is a bug that TestCatalogues reports, like a bad regexp.
var catalogues = mustLoadCatalogues(localeFiles)

// catalogue is one language's words. Texts are Go format strings (%s, %d),
// not go-i18n templates: every call site passes its values positionally,
// and the texts are written into html/template sources, where a {{ would
// be an action. So go-i18n reads them as they are (IdentityParser) and T
// puts the values in with fmt.Sprintf.
type catalogue struct {
	// text is every message that has one form, looked up once at load.
	text map[string]string
	// localizer picks the CLDR plural form (one, other) of the messages
	// that have several, which depends on the count at hand.
	localizer *i18n.Localizer
}

// literally reads a message as it is written: no template actions.
var literally = i18ntemplate.IdentityParser{}

// loadCatalogues reads locales/{lang}.toml for each of languages with
// go-i18n.
func loadCatalogues(files fs.FS) (map[string]catalogue, error) {
	bundle := i18n.NewBundle(languages[0])
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	out := map[string]catalogue{}
	var errs []error
	for _, tag := range languages {
		lang := tag.String()
		name := "locales/" + lang + ".toml"
		src, err := fs.ReadFile(files, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		file, err := bundle.ParseMessageFileBytes(src, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		c := catalogue{text: make(map[string]string, len(file.Messages)), localizer: i18n.NewLocalizer(bundle, lang)}
		for _, m := range file.Messages {
			if m.Zero+m.One+m.Two+m.Few+m.Many != "" {
				continue // plural: count asks the localizer for the form
			}
			text, err := c.localizer.Localize(&i18n.LocalizeConfig{MessageID: m.ID, TemplateParser: literally})
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			c.text[m.ID] = text
		}
		out[lang] = c
	}
	return out, errors.Join(errs...)
}

func mustLoadCatalogues(files fs.FS) map[string]catalogue {
	c, err := loadCatalogues(files)
	if err != nil {
		panic("handlers: load message files: " + err.Error())
	}
	return c
}

// langCookie remembers the switcher's choice.
const langCookie = "lang"

// chooseLanguage is the language of this request: "en" or "nb".
func chooseLanguage(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil {
		if _, ok := catalogues[c.Value]; ok {
			return c.Value
		}
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return "en"
	}
	for i, tag := range tags {
		// A reader of Nynorsk, or of plain "Norwegian", reads Bokmål more
		// easily than English, whatever comes after it in the list.
		if base, _ := tag.Base(); base.String() == "nn" || base.String() == "no" {
			tags[i] = languages[1]
		}
	}
	_, index, confidence := languageMatcher.Match(tags...)
	if confidence == language.No {
		return "en"
	}
	base, _ := languages[index].Base()
	return base.String()
}

type langKey struct{}

// withLanguage puts the request's language in its context, for the pages
// and for ui_locales at CONNECT.
func withLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Language")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), langKey{}, chooseLanguage(r))))
	})
}

// langOf is the language withLanguage chose; English outside it.
func langOf(ctx context.Context) string {
	if lang, ok := ctx.Value(langKey{}).(string); ok {
		return lang
	}
	return "en"
}

// handleLanguage is GET /lang: the language switcher's links. Query to
// ("en" or "nb") and return_to (a path on this site): the choice is
// remembered for a year and the visitor goes back where they were. It
// changes nothing but the language, so a link may do it.
//
// On the page of a failure that cannot be loaded again (a callback's
// code is spent), the links also carry the failure's code: the failure is
// then shown once more, in the new language, on the home page (a page
// anyone may see), through a one-time message, with return_to as the
// page it was for. Only a code the message files name is taken, never
// text, so a link cannot make the site say anything of its own.
func (app *App) handleLanguage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	to := q.Get("to")
	if _, ok := catalogues[to]; !ok {
		return badRequest("language")
	}
	http.SetCookie(w, &http.Cookie{
		Name: langCookie, Value: to, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, Secure: app.HTTPS, SameSite: http.SameSiteLaxMode,
	})
	returnTo := connectweb.SafeReturnPath(q.Get("return_to"))
	if code := q.Get("failure"); code != "" {
		if knownFailure(code) {
			app.Messages.Set(w, failureMessage+code+" "+returnTo)
		}
		returnTo = "/"
	}
	http.Redirect(w, r, returnTo, http.StatusSeeOther)
	return nil
}

// uiLocales is what login requests send CONNECT as ui_locales: the
// configured CONNECT_UI_LOCALES, else the visitor's language here, so
// CONNECT's pages speak it too.
func (app *App) uiLocales(r *http.Request) string {
	if app.UILocales != "" {
		return app.UILocales
	}
	return langOf(r.Context())
}

// translator says things in one language.
type translator struct {
	lang string
	catalogue
}

func translatorFor(lang string) translator {
	return translator{lang: lang, catalogue: catalogues[lang]}
}

// T is the text under key, with args put in as by fmt.Sprintf. A key that
// is missing shows as itself, which TestKeysInUse makes impossible for
// the keys the code uses.
func (t translator) T(key string, args ...any) string {
	s, ok := t.text[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// template is T for templates: a text whose key ends in _html holds
// markup of our own (a <code>, a link), trusted as the catalogue is ours;
// its args are not, and are escaped, unless a function of ours already
// made them template.HTML (a URL from breakURL). An int holds no markup
// and stays an int, for the text's %d.
func (t translator) template(key string, args ...any) any {
	if !strings.HasSuffix(key, "_html") {
		return t.T(key, args...)
	}
	for i, a := range args {
		switch a := a.(type) {
		case int:
		case template.HTML:
			args[i] = string(a)
		default:
			args[i] = template.HTMLEscapeString(fmt.Sprint(a))
		}
	}
	return template.HTML(t.T(key, args...))
}

// staticText is a {{t "key"}} action whose arguments, if any, are
// numbers: text that is the same on every page view.
var staticText = regexp.MustCompile(`\{\{\s*t\s+"([a-z0-9_.]+)"((?:\s+[0-9]+)*)\s*\}\}`)

// translate writes one language's words into a template's source, before
// it is parsed: every {{t "key"}} (or {{t "key" 5}}, with numbers) becomes
// its text, HTML-escaped, or as it is for a key ending in _html, whose
// markup is ours. A page then costs no more to render in Norwegian than in
// English, and nothing for its words at all; only texts whose arguments
// come from the page's data ({{t "key" .X}}) are looked up as the page
// renders. A key missing from the catalogue stops start-up.
func (t translator) translate(name, src string) (string, error) {
	var missing []string
	out := staticText.ReplaceAllStringFunc(src, func(action string) string {
		m := staticText.FindStringSubmatch(action)
		key := m[1]
		if _, ok := t.text[key]; !ok {
			missing = append(missing, key)
			return action
		}
		var args []any
		for _, n := range strings.Fields(m[2]) {
			i, _ := strconv.Atoi(n)
			args = append(args, i)
		}
		text := t.T(key, args...)
		if strings.HasSuffix(key, "_html") {
			return text
		}
		return template.HTMLEscapeString(text)
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("template %s: no %s text for %s", name, t.lang, strings.Join(missing, ", "))
	}
	return out, nil
}

// funcs are the template functions of one language.
func (t translator) funcs() template.FuncMap {
	return template.FuncMap{
		"t":        t.template,
		"datetime": t.datetime,
		"duration": t.duration,
		"ago":      t.ago,
		"acr":      t.acr,
		"amr":      t.amr,
		"locale":   t.localeWords,
		"phone":    phone,
		"join":     strings.Join,
		"url":      breakURL,
	}
}

// acr writes a level of assurance as it came, and in words.
func (t translator) acr(level string) template.HTML {
	if level == "" {
		return "—"
	}
	words := t.T("acr.other")
	if level == "1" || level == "2" {
		words = t.T("acr." + level)
	}
	return template.HTML("<code>" + template.HTMLEscapeString(level) + "</code> " + template.HTMLEscapeString(words))
}

// amr writes the authentication methods as they came, each with words.
func (t translator) amr(methods []string) template.HTML {
	if len(methods) == 0 {
		return "—"
	}
	var b strings.Builder
	for i, m := range methods {
		if i > 0 {
			b.WriteString("; ")
		}
		words, ok := t.text["amr."+strings.ToLower(m)]
		if !ok {
			words = t.T("amr.other")
		}
		b.WriteString("<code>" + template.HTMLEscapeString(m) + "</code> " + template.HTMLEscapeString(words))
	}
	return template.HTML(b.String())
}

// datetime writes a moment as people of the language write it, in the
// time they live by, named: "30 November 2026, 14:03 UTC" on English
// pages, "30. november 2026 kl. 15:03 norsk tid" on Norwegian ones.
func (t translator) datetime(tm time.Time) string {
	if tm.IsZero() {
		return "—"
	}
	tm = tm.In(t.zone())
	month := t.T("month." + strconv.Itoa(int(tm.Month())))
	return t.T("format.datetime", tm.Day(), month, tm.Year(), tm.Format("15:04"))
}

// norwegianTime is Norway's time zone, for Norwegian pages. It is looked
// up once, when first needed: main imports time/tzdata, whose rules are
// in place only once every package is initialised. parseTemplates looks
// it up, so a program without the rules stops at start.
var norwegianTime = sync.OnceValues(func() (*time.Location, error) {
	return time.LoadLocation("Europe/Oslo")
})

// zone is the time of the language's pages: Norway's on Norwegian pages
// (format.datetime says "norsk tid"), UTC on English ones, whose readers
// may be anywhere.
func (t translator) zone() *time.Location {
	if t.lang == "nb" {
		if loc, err := norwegianTime(); err == nil {
			return loc
		}
	}
	return time.UTC
}

// localeWords writes a locale claim (BCP 47, as CONNECT sends it: "en",
// "nb-NO", "en_GB") in words: "engelsk (Norge)". A language or region
// the message files do not name leaves the claim as it came.
func (t translator) localeWords(locale string) string {
	lang, region, _ := strings.Cut(strings.ReplaceAll(locale, "_", "-"), "-")
	words, ok := t.text["locale.language."+strings.ToLower(lang)]
	if !ok {
		return locale
	}
	if region == "" {
		return words
	}
	place, ok := t.text["locale.region."+strings.ToUpper(region)]
	if !ok {
		return locale
	}
	return t.T("locale.with_region", words, place)
}

// phone writes a phone number as people of its country group it: a
// Norwegian number (+47 and eight digits) as "+47 412 34 567"; any other
// as it came, since its grouping depends on a plan we do not know.
func phone(number string) string {
	digits, ok := strings.CutPrefix(strings.ReplaceAll(number, " ", ""), "+47")
	if !ok || len(digits) != 8 || strings.Trim(digits, "0123456789") != "" {
		return number
	}
	return "+47 " + digits[:3] + " " + digits[3:5] + " " + digits[5:]
}

// duration writes a span in the largest whole unit it fills, rounded as
// a person would say it: "2 minutes" for 119 s, "1 time", "45 sekunder".
func (t translator) duration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return t.count(int(d.Round(24*time.Hour)/(24*time.Hour)), "day")
	case d >= time.Hour:
		return t.count(int(d.Round(time.Hour)/time.Hour), "hour")
	case d >= time.Minute:
		return t.count(int(d.Round(time.Minute)/time.Minute), "minute")
	default:
		return t.count(int(d.Round(time.Second)/time.Second), "second")
	}
}

// ago says how long before now t was: "just now", "3 minutes ago".
func (t translator) ago(now, tm time.Time) string {
	if tm.IsZero() {
		return "—"
	}
	d := now.Sub(tm)
	if d < time.Minute {
		return t.T("time.just_now")
	}
	return t.T("time.ago", t.duration(d.Truncate(time.Minute)))
}

// count is n of a unit, in the plural form the language's CLDR rules
// give n: unit.minute's one ("%d minute") or other ("%d minutes").
func (t translator) count(n int, unit string) string {
	key := "unit." + unit
	if t.localizer == nil {
		return key
	}
	format, err := t.localizer.Localize(&i18n.LocalizeConfig{MessageID: key, PluralCount: n, TemplateParser: literally})
	if err != nil {
		return key
	}
	return fmt.Sprintf(format, n)
}

// InEnglish is the text under key in English, for what the app logs (its
// start-up warnings, config.Warning): one set of words for the log and
// the pages.
func InEnglish(key string, args ...any) string { return translatorFor("en").T(key, args...) }
