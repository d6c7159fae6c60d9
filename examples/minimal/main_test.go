package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// TestTheShopLogsInRefreshesAndLogsOut walks the example as a visitor
// would, over HTTP, against the CONNECT stand-in started in-process: the
// protected page sends them to log in, the page then shows the user,
// its tokens are refreshed when due, and logging out everywhere ends the
// session here and at CONNECT.
func TestTheShopLogsInRefreshesAndLogsOut(t *testing.T) {
	shop := httptest.NewUnstartedServer(nil)
	shop.Start()
	t.Cleanup(shop.Close)
	connectSrv := httptest.NewUnstartedServer(nil)
	connectSrv.Start()
	t.Cleanup(connectSrv.Close)

	// Access tokens live 30 s, inside the one-minute refresh margin: every
	// view of /orders refreshes, which the page counts.
	standIn, err := localconnect.New(localconnect.Options{
		Issuer: connectSrv.URL + "/oauth",
		Clients: []localconnect.Client{{
			ID: "example-minimal", Secret: "example-minimal-secret",
			RedirectURIs:           []string{shop.URL + "/connect/oauth2callback"},
			PostLogoutRedirectURIs: []string{shop.URL + "/connect/logoutcallback"},
			BackchannelLogoutURI:   shop.URL + "/connect/backchannellogout",
		}},
		AccessTokenTTL: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	connectSrv.Config.Handler = standIn

	handler, _, err := newSite(settingsFrom(env{
		"CONNECT_ISSUER":   connectSrv.URL + "/oauth",
		"REDIS_URL":        redisURL(t),
		"SESSION_SECRET":   "lwDGuwQeQWpQdwkOnNR2LeZLk4L9dRFGb9j6SSpFx3yBcP2jX+2wGnBUOOk0RtnL", // openssl rand -base64 48, for this test only
		"EXAMPLE_BASE_URL": shop.URL,
	}.get))
	if err != nil {
		t.Fatal(err)
	}
	shop.Config.Handler = handler
	b := newBrowser(t)

	r := b.get(shop.URL + "/orders")
	want(t, "GET /orders, logged out", r, http.StatusFound, "/login?return_to=%2Forders")
	r = b.get(shop.URL + r.location)
	want(t, "GET /login", r, http.StatusFound, connectSrv.URL+"/oauth/authorize?")
	authorize := r.location
	page := b.get(authorize)
	want(t, "CONNECT's login page", page, http.StatusOK, "")
	form := url.Values{"user": {localconnect.DefaultUsers()[0].Sub}, "action": {"login"},
		"request_id": {requestIDField.FindStringSubmatch(page.body)[1]}}
	r = b.post(strings.Split(authorize, "?")[0], form)
	want(t, "log in at CONNECT", r, http.StatusFound, shop.URL+"/connect/oauth2callback?")
	r = b.get(r.location)
	want(t, "the callback", r, http.StatusSeeOther, "/orders")

	name := localconnect.DefaultUsers()[0].Name
	r = b.get(shop.URL + "/orders")
	want(t, "GET /orders, logged in", r, http.StatusOK, "Logged in as "+name)
	if !strings.Contains(r.body, "refreshed 1 times") {
		t.Errorf("the first view of /orders did not refresh the due tokens:\n%s", r.body)
	}
	r = b.get(shop.URL + "/orders")
	if !strings.Contains(r.body, "refreshed 2 times") {
		t.Errorf("the second view of /orders did not refresh with the rotated refresh token:\n%s", r.body)
	}

	r = b.post(shop.URL+"/logout", url.Values{"everywhere": {"1"}})
	want(t, "POST /logout everywhere", r, http.StatusSeeOther, connectSrv.URL+"/oauth/")
	r = b.get(r.location)
	want(t, "CONNECT's end-session", r, http.StatusFound, shop.URL+"/connect/logoutcallback?state=")
	r = b.get(r.location)
	want(t, "the post-logout page", r, http.StatusOK, "logged out here and at CONNECT ID")
	r = b.get(shop.URL + "/orders")
	want(t, "GET /orders after logout", r, http.StatusFound, "/login?return_to=%2Forders")
	r = b.get(shop.URL + "/login?return_to=/orders")
	if r = b.get(r.location); r.status != http.StatusOK {
		t.Errorf("after logging out everywhere, CONNECT logged the browser in without asking: %d %s", r.status, r.location)
	}
}

type env map[string]string

func (e env) get(name string) string { return e[name] }

// redisURL is the tests' Redis, or an embedded one on a machine with none.
func redisURL(t *testing.T) string {
	if u, ok := storetest.URL(); ok {
		return u
	}
	return "redis://" + miniredis.RunT(t).Addr()
}

var requestIDField = regexp.MustCompile(`name="request_id"[^>]*value="([^"]+)"`)

type response struct {
	status         int
	location, body string
}

type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(u string) response { return b.do(http.NewRequest(http.MethodGet, u, nil)) }

func (b *browser) post(u string, form url.Values) response {
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err == nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return b.do(req, err)
}

func (b *browser) do(req *http.Request, err error) response {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body)}
}

// want checks a response's status and that its Location (for a
// redirect) or body (otherwise) holds part.
func want(t *testing.T, what string, r response, status int, part string) {
	t.Helper()
	got := r.body
	if status >= 300 && status < 400 {
		got = r.location
	}
	if r.status != status || !strings.Contains(got, part) {
		t.Fatalf("%s = %d %q, want %d with %q", what, r.status, got, status, part)
	}
}
