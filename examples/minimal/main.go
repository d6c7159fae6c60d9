// Command minimal is a small net/http site that gains CONNECT ID login:
// a public home page, a protected /orders page, and the wiring of connect,
// store and connectweb. docs/integrate.md walks through it, by the step
// numbers of CONNECT's guide. With a Redis on localhost:6379, run `go run .`
// (the app and its stand-in), then `go run ./examples/minimal`, and open
// http://localhost:8083.
package main

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/connectweb"
	"github.com/telenordigital/connect-web-sample/store"
)

func main() {
	s := settingsFrom(os.Getenv)
	handler, listen, err := newSite(s)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("open %s", s.baseURL)
	log.Fatal(http.ListenAndServe(listen, handler))
}

// settings have the full app's names (docs/configuration.md).
type settings struct {
	issuer, clientID, clientSecret, redisURL, sessionSecret, baseURL string
}

// settingsFrom reads them; the defaults are the app's stand-in and the
// client it registers for this example (LOCAL_CONNECT_CLIENTS).
func settingsFrom(getenv func(string) string) settings {
	return settings{
		issuer:        cmp.Or(getenv("CONNECT_ISSUER"), "http://localhost:8082/oauth"),
		clientID:      cmp.Or(getenv("CONNECT_CLIENT_ID"), "example-minimal"),
		clientSecret:  cmp.Or(getenv("CONNECT_CLIENT_SECRET"), "example-minimal-secret"),
		redisURL:      cmp.Or(getenv("REDIS_URL"), "redis://localhost:6379/0"),
		sessionSecret: getenv("SESSION_SECRET"),
		baseURL:       cmp.Or(getenv("EXAMPLE_BASE_URL"), "http://localhost:8083"),
	}
}

// newSite wires the site; listen is EXAMPLE_BASE_URL's host and port.
func newSite(s settings) (handler http.Handler, listen string, err error) {
	base, err := url.Parse(s.baseURL)
	if err != nil || base.Host == "" {
		return nil, "", fmt.Errorf("EXAMPLE_BASE_URL %q is not an absolute URL", s.baseURL)
	}
	secure := base.Scheme == "https"
	secret := []byte(s.sessionSecret)
	if len(secret) == 0 {
		// Fine for a try-out; logins then end when the process does.
		log.Print("SESSION_SECRET is not set: using a random one")
		secret = []byte(rand.Text() + rand.Text())
	}
	secrets, err := store.NewSecrets(secret, nil)
	if err != nil {
		return nil, "", fmt.Errorf("SESSION_SECRET: %w", err)
	}

	// Sessions live in Redis; the cookie holds only a random id.
	rdb, err := store.OpenRedis(s.redisURL, "")
	if err != nil {
		return nil, "", err
	}
	sessions, err := store.NewSessions(store.SessionOptions{
		Redis: rdb, Secrets: secrets, IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour,
		Secure: secure, CookieName: "shop_session", // the shop's own cookie names stay its own
	})
	if err != nil {
		return nil, "", err
	}

	// Steps 1 to 4: the client registered with CONNECT, its redirect URIs.
	client, err := connect.New(connect.Config{
		Issuer: s.issuer, ClientID: s.clientID, ClientSecret: s.clientSecret,
		RedirectURL:           s.baseURL + connectweb.DefaultPaths.Callback,
		PostLogoutRedirectURL: s.baseURL + connectweb.DefaultPaths.LogoutCallback,
		Scopes:                []string{"openid", "profile", "email", "phone"},
	})
	if err != nil {
		return nil, "", err
	}

	// Steps 5 to 12: login, callback, refresh and both logouts, with
	// plain-text pages; the full app plugs its own into these hooks.
	web, err := connectweb.New(connectweb.Options{
		Connect: client, Sessions: sessions, SSO: true,
		Logins: store.NewLoginTransactions(store.LoginTransactionOptions{Secrets: secrets, Secure: secure}),
	})
	if err != nil {
		return nil, "", err
	}
	mux := http.NewServeMux()
	web.Mount(mux)
	mux.HandleFunc("GET /{$}", home(sessions))
	mux.Handle("GET /orders", web.RequireLogin(orders(web)))
	// A logout is a POST; refuse one that another site's page sends.
	handler = http.NewCrossOriginProtection().Handler(sessions.LoadAndSave(mux))
	return handler, net.JoinHostPort(base.Hostname(), cmp.Or(base.Port(), "80")), nil
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<title>Shop</title>
<p><a href="/">Home</a> · <a href="/orders">Your orders</a></p>
{{if .Name}}<p>Logged in as {{.Name}}.</p>
<form method="post" action="/logout"><button>Log out</button>
<button name="everywhere" value="1">Log out everywhere</button></form>
{{else}}<p><a href="/login?return_to=/orders">Log in with CONNECT ID</a></p>{{end}}
<p>{{.Text}}</p>`))

type view struct{ Name, Text string }

// home is public: it only asks whether someone is logged in.
func home(sessions *store.Sessions) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := view{Text: "Welcome to the shop."}
		if u, ok := sessions.CurrentUser(r.Context()); ok {
			v.Name = u.Claims.Name
		}
		page.Execute(w, v)
	}
}

// orders is protected (RequireLogin). It asks for the tokens as a page
// that calls an API would (step 10): refreshed first when they are due.
func orders(web *connectweb.Web) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := connectweb.CurrentUser(r)
		rec, err := web.Tokens(r)
		if err != nil {
			web.Fail(w, r, err) // an ended grant becomes a new login
			return
		}
		left := time.Until(rec.Tokens.Expiry).Round(time.Second)
		page.Execute(w, view{Name: u.Claims.Name, Text: fmt.Sprintf(
			"No orders yet. Your access token is good for %s; refreshed %d times.", left, rec.Refreshes)})
	})
}
