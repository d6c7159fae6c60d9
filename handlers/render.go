package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/telenordigital/connect-web-sample/store"
	"github.com/telenordigital/connect-web-sample/templates"
)

// templateCache holds one parsed template set per page: the layout, the
// partials and the page itself.
type templateCache map[string]*template.Template

var templateFuncs = template.FuncMap{
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"join": strings.Join,
	"ago":  ago,
}

// ago says how long before now t was, in the words a person would use.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return "—"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	default:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

func parseTemplates() (templateCache, error) {
	pages, err := fs.Glob(templates.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	cache := templateCache{}
	for _, page := range pages {
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templates.FS, "layout.html", "partials/*.html", page)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", page, err)
		}
		cache[path.Base(page)] = t
	}
	return cache, nil
}

// templateData is what every page gets: who is logged in, a pending
// message, and the page's own data.
type templateData struct {
	User       *store.User
	Flash      string
	SSO        bool
	StandInURL string
	RequestID  string
	Page       any

	// LogoutEverywhere: SSO, and the provider has an end-session endpoint.
	LogoutEverywhere bool
}

func (app *App) newTemplateData(w http.ResponseWriter, r *http.Request, page any) templateData {
	d := templateData{
		SSO:        app.SSO,
		StandInURL: app.StandInURL,
		RequestID:  requestID(r.Context()),
		Flash:      app.Messages.Pop(w, r),
		Page:       page,
	}
	d.LogoutEverywhere = app.SSO && app.Connect.CanLogOutEverywhere()
	if hasSession(r.Context()) {
		d.User, _ = app.Sessions.CurrentUser(r.Context())
	}
	return d
}

// render executes the page into a buffer first, so a template error gives
// the error page rather than half a page with a 200 status.
func (app *App) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := app.templates[page]
	if !ok {
		app.Logger.Error("no such template", "page", page)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", app.newTemplateData(w, r, data)); err != nil {
		app.Logger.Error("render template", "page", page, "error", err, "request_id", requestID(r.Context()))
		if page != "error.html" {
			app.render(w, r, http.StatusInternalServerError, "error.html", errorPage{Status: 500, Title: "Something went wrong",
				Message: "This page could not be shown. Please try again."})
			return
		}
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	buf.WriteTo(w)
}
