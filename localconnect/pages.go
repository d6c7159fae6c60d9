package localconnect

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
)

//go:embed templates/*.html static/*.css
var assets embed.FS

// handleStatic serves GET {issuer}/static/{file}, the style sheet; anything
// else there is a 404 like any other.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := "static/" + r.PathValue("file")
	if info, err := fs.Stat(assets, name); err != nil || info.IsDir() {
		s.handleNotFound(w, r)
		return
	}
	http.ServeFileFS(w, r, assets, name)
}

// pages are the stand-in's templates, each the base layout plus one page,
// parsed once in New.
type pages struct {
	login, message, sessions, root *template.Template
}

func parsePages() (*pages, error) {
	var p pages
	for name, t := range map[string]**template.Template{
		"login.html": &p.login, "message.html": &p.message, "sessions.html": &p.sessions, "root.html": &p.root,
	} {
		parsed, err := template.ParseFS(assets, "templates/base.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		*t = parsed
	}
	return &p, nil
}

// page is what the base layout needs from every page, and the links to
// what a visitor may be looking for, which the root page and 404s show.
type page struct {
	Lang, Title string // an empty Title: the page is the stand-in's start page
	T           *catalogue
	CSS, Home   string
	Sessions    string // the sessions page
	Discovery   string
	Apps        []appLink
	Languages   []languageLink // the language switch
}

// appLink is where a registered client lives: the origin of a redirect URI.
type appLink struct{ ClientID, URL string }

// newPage is the frame of a page in lang; back is where the language
// switch comes back to (here).
func (s *Server) newPage(lang, title, back string) page {
	return page{Lang: lang, Title: title, T: texts(lang), CSS: s.basePath + "/static/standin.css",
		Home: s.basePath + "/", Sessions: s.basePath + "/sessions",
		Discovery: s.basePath + "/.well-known/openid-configuration", Apps: s.apps,
		Languages: s.languageLinks(lang, back)}
}

// appLinks lists the origins of the clients' redirect URIs, each once, in
// the order the clients were registered.
func appLinks(clients []Client) []appLink {
	var links []appLink
	seen := make(map[string]bool)
	for _, c := range clients {
		for _, uri := range c.RedirectURIs {
			u, err := url.Parse(uri)
			if err != nil || seen[u.Scheme+"://"+u.Host] {
				continue
			}
			seen[u.Scheme+"://"+u.Host] = true
			links = append(links, appLink{ClientID: c.ID, URL: u.Scheme + "://" + u.Host + "/"})
		}
	}
	return links
}

// visitorLanguage is the language of a page that belongs to no login: the
// one last chosen here (the language switch, or an app's ui_locales), else
// the browser's Accept-Language.
func visitorLanguage(r *http.Request) string {
	if c, err := r.Cookie(langCookieName); err == nil {
		if _, ok := catalogues[c.Value]; ok {
			return c.Value
		}
	}
	return chooseLanguage("", r.Header.Get("Accept-Language"))
}

// here is where a page's language switch comes back to: the page itself
// when a GET shows it again, else the start page.
func (s *Server) here(r *http.Request) string {
	if r.Method != http.MethodGet {
		return s.basePath + "/"
	}
	u := url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	return u.RequestURI()
}

// render executes t into a buffer first, so a template error never leaves
// half a page, then writes headers and body.
func (s *Server) render(w http.ResponseWriter, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", data); err != nil {
		s.log.Error("render page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// The language follows Accept-Language on most pages.
	h.Set("Vary", "Accept-Language")
	// No script at all, styles only from our own file. form-action stays
	// open: after the login form, the browser is redirected to the client.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// messagePage is a page with a heading, a text and an optional detail, and
// with Links, the links of the root page.
type messagePage struct {
	page
	Text, Detail string
	Links        bool
}

// with fills in the values the message's text takes.
func (m message) with(values ...any) message {
	m.Text = fmt.Sprintf(m.Text, values...)
	return m
}

func (s *Server) renderMessage(w http.ResponseWriter, r *http.Request, status int, lang string, m message) {
	s.render(w, status, s.pages.message, messagePage{page: s.newPage(lang, m.Title, s.here(r)), Text: m.Text, Detail: m.Detail})
}

// handleRoot serves GET / and GET {issuer}: what the stand-in is, and links
// to the app and the sessions page.
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	lang := visitorLanguage(r)
	// The stand-in's name is the start page's title, said once.
	s.render(w, http.StatusOK, s.pages.root, s.newPage(lang, "", s.here(r)))
}

// handleNotFound answers every path the stand-in does not serve, with the
// root page's links: a visitor who typed the stand-in's address by hand
// most likely wants the app.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	lang := visitorLanguage(r)
	m := texts(lang).Messages.NotFound.with(r.URL.Path)
	s.render(w, http.StatusNotFound, s.pages.message,
		messagePage{page: s.newPage(lang, m.Title, s.here(r)), Text: m.Text, Detail: m.Detail, Links: true})
}
