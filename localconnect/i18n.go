package localconnect

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	i18ntemplate "github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

// The stand-in speaks English and Norwegian Bokmål. Every word it shows is
// in one go-i18n message file per language (locales/en.toml,
// locales/nb.toml), read into a catalogue at start, so pages and code name
// a text as a field (.T.Login.Heading); TestCatalogues fails when a text is
// missing, empty or unused, or a format's verbs differ, in either language.

// catalogue is every text of the stand-in's pages in one language. Texts
// that take values (%s, %q) say so.
type catalogue struct {
	Layout   layoutTexts
	Login    loginTexts
	Sessions sessionsTexts
	Root     rootTexts
	Messages messageTexts
}

// layoutTexts are the base layout's: on every page.
type layoutTexts struct {
	Banner, TitleSuffix, Footer, Home, SessionsLink string
	Language                                        string // the language switch's label
	// DateTime is a moment: the date (yyyy-mm-dd) and the time, in UTC on
	// English pages and in Norway's time on Norwegian ones.
	DateTime string
}

// loginTexts are the login page's.
type loginTexts struct {
	Title, Heading, ClientLabel, RequestedAccess string
	Scopes                                       map[string]string // scope => what it gives the app
	LevelLabel, Level1, Level2, Level1Explained  string
	ChooseUser, PasswordIs                       string
	HintedUser, Everyone                         string // the login_hint note, and the button that lifts it
	Password, PasswordExplained                  string
	StaySignedIn, StaySignedInExplained          string
	LogIn, Cancel                                string
	ChooseUserError, WrongPassword               string // WrongPassword takes the user's name
}

// sessionsTexts are the sessions page's.
type sessionsTexts struct {
	Title, Intro, Caption                                  string
	User, Authenticated, StaySignedIn, Apps, Action        string
	Yes, No, NoAppsYet, EndSession, EndSessionOf, NoneLive string // EndSessionOf takes the user's name
	DeliveriesHeading, DeliveredTo, DeliveredAt, Failed    string
	NoDeliveries                                           string
}

// rootTexts are those of the root page, and of the links every 404 offers.
type rootTexts struct {
	Title, Intro, Warning                            string
	WhereTo, App, AppExplained                       string // App takes the client id
	SessionsExplained, Discovery, DiscoveryExplained string
}

// message is the text of a message page: a heading, a text and a detail.
type message struct{ Title, Text, Detail string }

// messageTexts are the message pages'. Texts with values say which.
type messageTexts struct {
	UnknownClient    message // Text takes the client_id
	RedirectURI      message // Text takes the redirect_uri, the client_id and the registered URIs
	Expired          message // a login page older than pendingTTL
	Answered         message // a login page posted twice
	UnknownAction    message
	LoggedOut        message
	LoggedOutNotBack string  // why the browser was not sent back to the app
	NotFound         message // Text takes the path
}

//go:embed locales/*.toml
var localeFiles embed.FS

// catalogues holds one catalogue per language the stand-in speaks, read
// from localeFiles when the program starts. It is read-only. The files are
// part of the binary, so one that does not load is a bug that
// TestCatalogues reports, like a bad regexp.
var catalogues = mustLoadCatalogues(localeFiles)

// loadCatalogues reads locales/{lang}.toml for each of languageCodes with
// go-i18n, as the app's handlers read theirs, and fills a catalogue from
// each: a text's key is the path of its field in snake case,
// "login.stay_signed_in" for Login.StaySignedIn, and a map's entries are
// the keys under its own, "login.scopes.openid". A field with no text, or
// a text with no field, is an error. Texts are fmt formats (%s, %q), not
// templates, so go-i18n reads them as they are written (IdentityParser).
func loadCatalogues(files fs.FS) (map[string]*catalogue, error) {
	bundle := i18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	out := map[string]*catalogue{}
	var errs []error
	for _, lang := range languageCodes {
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
		localizer := i18n.NewLocalizer(bundle, lang)
		texts := make(map[string]string, len(file.Messages))
		for _, m := range file.Messages {
			text, err := localizer.Localize(&i18n.LocalizeConfig{MessageID: m.ID, TemplateParser: i18ntemplate.IdentityParser{}})
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
			texts[m.ID] = text
		}
		c := new(catalogue)
		for _, missing := range fill(reflect.ValueOf(c).Elem(), "", texts) {
			errs = append(errs, fmt.Errorf("%s has no text for %s", name, missing))
		}
		for _, unused := range slices.Sorted(maps.Keys(texts)) {
			errs = append(errs, fmt.Errorf("%s: %q is no text of the stand-in's", name, unused))
		}
		out[lang] = c
	}
	return out, errors.Join(errs...)
}

func mustLoadCatalogues(files fs.FS) map[string]*catalogue {
	c, err := loadCatalogues(files)
	if err != nil {
		panic("localconnect: load message files: " + err.Error())
	}
	return c
}

// fill sets each string in v, a catalogue or a part of one, to the text
// under its key, and each map to the texts under its key and a dot,
// taking them out of texts. It returns the keys it found no text for.
func fill(v reflect.Value, key string, texts map[string]string) (missing []string) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			name := snakeCase(v.Type().Field(i).Name)
			if key != "" {
				name = key + "." + name
			}
			missing = append(missing, fill(v.Field(i), name, texts)...)
		}
	case reflect.Map:
		m := map[string]string{}
		for k, text := range texts {
			if entry, ok := strings.CutPrefix(k, key+"."); ok {
				m[entry] = text
				delete(texts, k)
			}
		}
		if len(m) == 0 {
			return []string{key + ".*"}
		}
		v.Set(reflect.ValueOf(m))
	case reflect.String:
		text, ok := texts[key]
		if !ok {
			return []string{key}
		}
		v.SetString(text)
		delete(texts, key)
	default:
		panic("localconnect: a catalogue holds strings, maps of strings and structs of them, not " + v.Kind().String())
	}
	return missing
}

// snakeCase is a field's name as a message key: StaySignedIn is
// stay_signed_in, RedirectURI redirect_uri, Level1Explained
// level1_explained.
func snakeCase(name string) string {
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) {
			lowerBefore := i > 0 && !unicode.IsUpper(r[i-1])
			wordAfter := i > 0 && i+1 < len(r) && unicode.IsUpper(r[i-1]) && unicode.IsLower(r[i+1])
			if lowerBefore || wordAfter {
				b.WriteByte('_')
			}
			c = unicode.ToLower(c)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// languages matches what a visitor asks for against what the stand-in
// speaks; its order is that of languageCodes, English first as the default.
// It also gives nn and no Bokmål, and da too, which Danes read well.
var (
	languageCodes = []string{"en", "nb"}
	languages     = language.NewMatcher([]language.Tag{language.English, language.MustParse("nb")})
)

// chooseLanguage returns "en" or "nb": the best match for the first of
// uiLocales (OIDC Core 3.1.2.1) the stand-in speaks, else for the
// Accept-Language header, else English. A page that belongs to no login
// passes an empty uiLocales.
func chooseLanguage(uiLocales, acceptLanguage string) string {
	if lang, ok := uiLanguage(uiLocales); ok {
		return lang
	}
	asked, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	_, i, _ := languages.Match(asked...)
	return languageCodes[i]
}

// uiLanguage is the best match for the first of uiLocales the stand-in
// speaks, if any does.
func uiLanguage(uiLocales string) (string, bool) {
	var asked []language.Tag
	for _, s := range strings.Fields(uiLocales) {
		if tag, err := language.Parse(s); err == nil {
			asked = append(asked, tag)
		}
	}
	if _, i, confidence := languages.Match(asked...); len(asked) > 0 && confidence != language.No {
		return languageCodes[i], true
	}
	return "", false
}

// texts returns the catalogue for lang, "en" or "nb".
func texts(lang string) *catalogue {
	if c, ok := catalogues[lang]; ok {
		return c
	}
	return catalogues["en"]
}
