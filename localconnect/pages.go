package localconnect

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed templates/*.html static/*.css
var assets embed.FS

func staticFiles() fs.FS {
	sub, err := fs.Sub(assets, "static")
	if err != nil {
		panic(err) // "static" is a literal directory of the embed above
	}
	return sub
}

// pages are the stand-in's templates, each the base layout plus one page,
// parsed once in New.
type pages struct {
	login, message, sessions *template.Template
}

func parsePages() (*pages, error) {
	var p pages
	for name, t := range map[string]**template.Template{
		"login.html": &p.login, "message.html": &p.message, "sessions.html": &p.sessions,
	} {
		parsed, err := template.ParseFS(assets, "templates/base.html", "templates/"+name)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		*t = parsed
	}
	return &p, nil
}

// page is what the base layout needs from every page.
type page struct {
	Lang, Title       string
	CSS, SessionsPage string
}

func (s *Server) newPage(lang, title string) page {
	return page{Lang: lang, Title: title, CSS: s.basePath + "/static/standin.css", SessionsPage: s.basePath + "/sessions"}
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
	// No script at all, styles only from our own file. form-action stays
	// open: after the login form, the browser is redirected to the client.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// messagePage is a page with a heading, a text and an optional detail.
type messagePage struct {
	page
	Text, Detail string
}

func (s *Server) renderMessage(w http.ResponseWriter, status int, title, text, detail string) {
	s.render(w, status, s.pages.message, messagePage{page: s.newPage("en", title), Text: text, Detail: detail})
}

// handleNotFound answers every path the stand-in does not serve.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.renderMessage(w, http.StatusNotFound, "Not found",
		fmt.Sprintf("The CONNECT ID stand-in has nothing at %s.", r.URL.Path),
		fmt.Sprintf("Its endpoints are listed at %s/.well-known/openid-configuration.", s.issuer))
}
