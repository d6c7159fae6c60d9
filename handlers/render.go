package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/telenordigital/connect-web-sample/connectweb"
	"github.com/telenordigital/connect-web-sample/store"
	"github.com/telenordigital/connect-web-sample/templates"
)

// templateCache holds one parsed template set per language and page: the
// layout, the partials and the page itself, with the language's words
// written in (i18n.go).
type templateCache map[string]map[string]*template.Template

func parseTemplates() (templateCache, error) {
	pages, err := fs.Glob(templates.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	shared, err := fs.Glob(templates.FS, "partials/*.html")
	if err != nil {
		return nil, err
	}
	// Norwegian pages give times in Norway's time.
	if _, err := norwegianTime(); err != nil {
		return nil, fmt.Errorf("the time zone of Norway: %w", err)
	}
	cache := templateCache{}
	for lang := range catalogues {
		tr := translatorFor(lang)
		cache[lang] = map[string]*template.Template{}
		for _, page := range pages {
			t := template.New("layout.html").Funcs(tr.funcs())
			for _, file := range append([]string{"layout.html", page}, shared...) {
				src, err := fs.ReadFile(templates.FS, file)
				if err != nil {
					return nil, err
				}
				translated, err := tr.translate(file, string(src))
				if err != nil {
					return nil, err
				}
				into := t // the layout is the set's root; each other file joins it
				if file != "layout.html" {
					into = t.New(path.Base(file))
				}
				if _, err := into.Parse(translated); err != nil {
					return nil, fmt.Errorf("parse template %s: %w", file, err)
				}
			}
			cache[lang][path.Base(page)] = t
		}
	}
	return cache, nil
}

// templateData is what every page gets: who is logged in, a pending
// message, and the page's own data.
type templateData struct {
	User      *store.User
	Flash     string
	SSO       bool
	StandIn   *standInBanner
	RequestID string
	Page      any
	// LangSwitcher is the language links, back to this page.
	LangSwitcher template.HTML

	// LogoutEverywhere: SSO, and the provider has an end-session endpoint.
	LogoutEverywhere bool
	// ServeSetup: /setup is served (SETUP_PAGE), so it is linked.
	ServeSetup bool
	// ReturnTo is this page's path, query-escaped, for the language
	// switcher's links to come back to; on the page of a failure that
	// cannot be loaded again, it also carries the failure (errors.go).
	ReturnTo string
	// LoginURL is the header's "Log in": back to this page, or, from the
	// home page or an error page, to the page its failure was for, else
	// the protected page (logInURL).
	LoginURL string
	// Failure is a failure shown once more after a change of language.
	Failure *errorPage
}

func (app *App) newTemplateData(w http.ResponseWriter, r *http.Request, page any) templateData {
	d := templateData{
		SSO:              app.SSO,
		StandIn:          app.standInBanners[langOf(r.Context())],
		RequestID:        requestID(r.Context()),
		Page:             page,
		LogoutEverywhere: app.SSO && app.Connect.CanLogOutEverywhere(),
		ServeSetup:       app.ServeSetupPage,
	}
	here := connectweb.SafeReturnPath(r.URL.RequestURI())
	d.ReturnTo, d.LoginURL = url.QueryEscape(here), logInURL(here)
	if p, ok := page.(errorPage); ok {
		d.LoginURL = logInURL(p.returnTo)
		if p.again != "" {
			d.ReturnTo = p.again
		}
	}
	tr := translatorFor(langOf(r.Context()))
	d.LangSwitcher, _ = tr.template("lang.switcher_html", d.ReturnTo).(template.HTML)
	if msg := app.Messages.Pop(w, r); strings.HasPrefix(msg, failureMessage) {
		d.Failure = failureNotice(tr, msg)
	} else if msg != "" {
		d.Flash = tr.T(msg)
	}
	if app.Sessions.Loaded(r.Context()) {
		d.User, _ = app.Sessions.CurrentUser(r.Context())
	}
	return d
}

// render executes the page into a buffer first, so a template error gives
// the error page rather than half a page with a 200 status.
func (app *App) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t, ok := app.templates[langOf(r.Context())][page]
	if !ok {
		app.Logger.Error("no such template", "page", page)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	// Most pages are 4–8 KB. The buffers are reused, so a page view
	// allocates none (bench/README.md).
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	if err := t.ExecuteTemplate(buf, "layout.html", app.newTemplateData(w, r, data)); err != nil {
		app.Logger.Error("render template", "page", page, "error", err, "request_id", requestID(r.Context()))
		if page != "error.html" {
			app.serveError(w, r, failure(http.StatusInternalServerError, "render"))
			return
		}
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// With its length known, net/http sends the page as it is rather than
	// in chunks.
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// showLoggedOut is connectweb's LoggedOut hook: the page after a logout.
func (app *App) showLoggedOut(w http.ResponseWriter, r *http.Request, l connectweb.LogoutResult) {
	app.render(w, r, http.StatusOK, "logged_out.html", l)
}

// notify is connectweb's Notify hook: its notices are one-time messages,
// in the message files under "message."+notice.
func (app *App) notify(w http.ResponseWriter, r *http.Request, n connectweb.Notice) {
	app.Messages.Set(w, "message."+string(n))
}

// standInBanner is the banner that says the stand-in is in use, in one
// language: the same on every page, so written once, at start-up.
type standInBanner struct{ Long, Short template.HTML }

// standInBanners are the banner in each language, or nil without the
// stand-in.
func standInBanners(standInURL string) map[string]*standInBanner {
	if standInURL == "" {
		return nil
	}
	banners := map[string]*standInBanner{}
	for lang := range catalogues {
		tr := translatorFor(lang)
		long, _ := tr.template("layout.standin_html", standInURL).(template.HTML)
		short, _ := tr.template("layout.standin_short_html", standInURL).(template.HTML)
		banners[lang] = &standInBanner{Long: long, Short: short}
	}
	return banners
}

// renderBuffers hold pages while they are rendered.
var renderBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 8<<10)) }}

func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 64<<10 {
		return // a rare huge page's buffer is not kept
	}
	buf.Reset()
	renderBuffers.Put(buf)
}
