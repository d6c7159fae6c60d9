package localconnect

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The stand-in speaks the language the app asked for with ui_locales, and
// keeps to it: an authorization or logout request that names a language
// the stand-in speaks sets its language cookie, so its later pages (the
// sessions page, the start page, a 404) stay in that language. Every page
// also has a language switch of its own, a pair of links like the app's:
// GET {issuer}/lang?to=nb&return_to=/oauth/sessions.

// langCookieName is the stand-in's language cookie. Its path is "/", as
// the start page is served at "/" too; it holds nothing but "en" or "nb".
const langCookieName = "localconnect_lang"

// norwegianTime is Norway's time zone, for Norwegian pages; New looks it
// up, so a binary without the zone's rules (main imports time/tzdata)
// stops at start.
var norwegianTime = sync.OnceValues(func() (*time.Location, error) {
	return time.LoadLocation("Europe/Oslo")
})

// moment writes t as a page in lang does: in UTC on English pages, in
// Norway's time on Norwegian ones, the zone named (Layout.DateTime).
func moment(lang string, t time.Time) string {
	loc := time.UTC
	if norway, err := norwegianTime(); lang == "nb" && err == nil {
		loc = norway
	}
	t = t.In(loc)
	return fmt.Sprintf(texts(lang).Layout.DateTime, t.Format(time.DateOnly), t.Format(time.TimeOnly))
}

// languageLink is one link of the language switch.
type languageLink struct {
	Code, Name, URL string
	Current         bool
}

// languageNames are the languages by their own names.
var languageNames = map[string]string{"en": "English", "nb": "Norsk"}

// languageOf is the language of a page that answers a request from an
// app: the request's ui_locales, which the stand-in then remembers, else
// the visitor's.
func (s *Server) languageOf(w http.ResponseWriter, r *http.Request) string {
	lang, ok := uiLanguage(r.URL.Query().Get("ui_locales"))
	if !ok {
		return visitorLanguage(r)
	}
	s.setLanguage(w, lang)
	return lang
}

func (s *Server) setLanguage(w http.ResponseWriter, lang string) {
	http.SetCookie(w, &http.Cookie{
		Name: langCookieName, Value: lang, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// languageLinks are the language switch of a page in lang whose switch
// comes back to back. A request that names ui_locales (the login page)
// is asked again with the new language in it, as ui_locales wins over the
// cookie.
func (s *Server) languageLinks(lang, back string) []languageLink {
	var links []languageLink
	for _, code := range languageCodes {
		to := back
		if u, err := url.Parse(back); err == nil && u.Query().Has("ui_locales") {
			q := u.Query()
			q.Set("ui_locales", code)
			u.RawQuery = q.Encode()
			to = u.String()
		}
		links = append(links, languageLink{Code: code, Name: languageNames[code], Current: code == lang,
			URL: s.basePath + "/lang?" + url.Values{"to": {code}, "return_to": {to}}.Encode()})
	}
	return links
}

// handleLanguage serves GET {issuer}/lang: query to ("en" or "nb") and
// return_to, a path on the stand-in. It remembers the language and goes
// back; it changes nothing else, so a link may do it.
func (s *Server) handleLanguage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	to := q.Get("to")
	if _, ok := catalogues[to]; !ok {
		s.handleNotFound(w, r)
		return
	}
	s.setLanguage(w, to)
	back := q.Get("return_to")
	// Only a path here: never another site ("//host", "/\host").
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = s.basePath + "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
