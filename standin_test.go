package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/telenordigital/connect-web-sample/config"
)

// partnerApp stands for a partner's own app: it only records what the
// stand-in posts to its back-channel logout URI.
type partnerApp struct {
	*httptest.Server
	mu          sync.Mutex
	backchannel []url.Values // the forms posted to /bcl
	elsewhere   []string     // paths of any other POSTs
}

func newPartnerApp(t *testing.T) *partnerApp {
	t.Helper()
	p := &partnerApp{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		r.ParseForm()
		p.mu.Lock()
		defer p.mu.Unlock()
		if r.URL.Path == "/bcl" {
			p.backchannel = append(p.backchannel, r.PostForm)
		} else {
			p.elsewhere = append(p.elsewhere, r.URL.Path)
		}
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *partnerApp) posts() ([]url.Values, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.backchannel...), append([]string(nil), p.elsewhere...)
}

var requestIDField = regexp.MustCompile(`name="request_id" value="([^"]+)"`)

// standInLogin runs the authorization code flow with PKCE as conf's client,
// the way a partner's app on golang.org/x/oauth2 does, with browser
// following no redirects: the login page, Kari chosen, the code at the
// client's redirect URI, the code exchanged. It fails the test unless
// every step does what a working login does.
func standInLogin(t *testing.T, ctx context.Context, conf *oauth2.Config, browser *http.Client) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-1"))
	page := fetch(t, browser, http.MethodGet, authURL, nil)
	if page.status != http.StatusOK {
		t.Fatalf("GET authorize as %s = %d, want 200 (the login page); body: %.300s", conf.ClientID, page.status, page.body)
	}
	m := requestIDField.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("login page has no request_id field:\n%.500s", page.body)
	}
	done := fetch(t, browser, http.MethodPost, conf.Endpoint.AuthURL,
		url.Values{"request_id": {m[1]}, "user": {"100000000001"}, "action": {"login"}})
	callback, err := url.Parse(done.location)
	if done.status != http.StatusFound || err != nil {
		t.Fatalf("POST login form = %d to %q, want 302 to %s", done.status, done.location, conf.RedirectURL)
	}
	if got := callback.Scheme + "://" + callback.Host + callback.Path; got != conf.RedirectURL {
		t.Fatalf("login redirected to %s, want the client's own redirect URI %s", got, conf.RedirectURL)
	}
	if got := callback.Query().Get("state"); got != "state-1" {
		t.Errorf("callback state = %q, want %q", got, "state-1")
	}
	tok, err := conf.Exchange(ctx, callback.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange the code as %s: %v", conf.ClientID, err)
	}
	return tok
}

type fetched struct {
	status   int
	location string
	body     string
}

func fetch(t *testing.T, client *http.Client, method, target string, form url.Values) fetched {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return fetched{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b)}
}

func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// TestStandInServesLocalConnectClients starts the stand-in as main does,
// with LOCAL_CONNECT_CLIENTS naming a partner's confidential and public
// clients, and logs in and out as them.
func TestStandInServesLocalConnectClients(t *testing.T) {
	partner := newPartnerApp(t)
	appPort, standInPort := freePort(t), freePort(t)
	cfg, err := config.Load(env(map[string]string{
		"APP_LISTEN":        "127.0.0.1:" + strconv.Itoa(appPort),
		"APP_BASE_URL":      "http://localhost:" + strconv.Itoa(appPort),
		"LOCAL_CONNECT_URL": "http://localhost:" + strconv.Itoa(standInPort),
		"LOCAL_CONNECT_CLIENTS": "id=my-shop,secret=s3cret," +
			"redirect=" + partner.URL + "/callback|" + partner.URL + "/other-callback," +
			"post_logout=" + partner.URL + "/bye,backchannel=" + partner.URL + "/bcl;" +
			"id=my-spa,redirect=" + partner.URL + "/spa",
	}), "")
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	srv, err := startStandIn(cfg, &http.Client{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("startStandIn: %v", err)
	}
	t.Cleanup(func() { srv.Close() })

	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, cfg.IssuerURL())
	if err != nil {
		t.Fatalf("discovery at the stand-in: %v", err)
	}
	shop := &oauth2.Config{
		ClientID: "my-shop", ClientSecret: "s3cret", RedirectURL: partner.URL + "/callback",
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile"},
	}
	shop.Endpoint.AuthStyle = oauth2.AuthStyleInHeader // CONNECT wants HTTP Basic
	spa := &oauth2.Config{
		ClientID: "my-spa", RedirectURL: partner.URL + "/spa",
		Endpoint: provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID},
	}
	spa.Endpoint.AuthStyle = oauth2.AuthStyleInParams // a public client sends client_id in the body

	var shopIDToken string
	t.Run("a partner's confidential client logs in and gets an ID token for itself", func(t *testing.T) {
		tok := standInLogin(t, ctx, shop, newBrowser(t))
		raw, _ := tok.Extra("id_token").(string)
		idToken, err := provider.Verifier(&oidc.Config{ClientID: "my-shop"}).Verify(ctx, raw)
		if err != nil {
			t.Fatalf("verify the ID token as my-shop: %v", err)
		}
		if idToken.Subject != "100000000001" || idToken.Nonce != "nonce-1" {
			t.Errorf("ID token sub, nonce = %q, %q; want %q, %q", idToken.Subject, idToken.Nonce, "100000000001", "nonce-1")
		}
		shopIDToken = raw
	})

	t.Run("a partner's client with no secret is a public client", func(t *testing.T) {
		tok := standInLogin(t, ctx, spa, newBrowser(t))
		if tok.AccessToken == "" {
			t.Error("no access token for the public client")
		}
		withSecret := *spa
		withSecret.ClientSecret = "guess"
		withSecret.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		verifier := oauth2.GenerateVerifier()
		if _, err := withSecret.Exchange(ctx, "any-code", oauth2.VerifierOption(verifier)); err == nil ||
			!strings.Contains(err.Error(), "invalid_client") {
			t.Errorf("token request as my-spa with HTTP Basic = %v, want invalid_client", err)
		}
	})

	t.Run("every registered redirect URI is accepted, one the client did not register is refused", func(t *testing.T) {
		other := *shop
		other.RedirectURL = partner.URL + "/other-callback"
		standInLogin(t, ctx, &other, newBrowser(t))

		for _, redirect := range []string{partner.URL + "/evil", cfg.RedirectURL(), partner.URL + "/spa"} {
			bad := *shop
			bad.RedirectURL = redirect
			got := fetch(t, newBrowser(t), http.MethodGet, bad.AuthCodeURL("s", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
			if got.status != http.StatusBadRequest || got.location != "" {
				t.Errorf("authorize as my-shop with redirect_uri %s = %d (Location %q), want 400 and no redirect", redirect, got.status, got.location)
			}
		}
	})

	t.Run("logout returns to the client's post-logout URI and tells its back-channel URI", func(t *testing.T) {
		if shopIDToken == "" {
			t.Skip("no ID token: the login failed")
		}
		endSession, _ := url.Parse(cfg.IssuerURL() + "/logout")
		endSession.RawQuery = url.Values{"id_token_hint": {shopIDToken},
			"post_logout_redirect_uri": {partner.URL + "/bye"}, "state": {"bye-1"}}.Encode()
		got := fetch(t, newBrowser(t), http.MethodGet, endSession.String(), nil)
		if want := partner.URL + "/bye?state=bye-1"; got.status != http.StatusFound || got.location != want {
			t.Errorf("logout = %d to %q, want 302 to %q", got.status, got.location, want)
		}

		forms, elsewhere := partner.posts()
		if len(forms) != 1 || len(elsewhere) != 0 {
			t.Fatalf("the partner got %d back-channel logouts at /bcl and POSTs at %q, want 1 and none elsewhere", len(forms), elsewhere)
		}
		logoutToken, err := provider.Verifier(&oidc.Config{ClientID: "my-shop"}).Verify(ctx, forms[0].Get("logout_token"))
		if err != nil {
			t.Fatalf("verify the logout token as my-shop: %v", err)
		}
		var claims struct {
			Events map[string]any `json:"events"`
		}
		if err := logoutToken.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if _, ok := claims.Events["http://schemas.openid.net/event/backchannel-logout"]; !ok || logoutToken.Subject != "100000000001" {
			t.Errorf("logout token sub %q, events %v; want Kari's sub and the back-channel logout event", logoutToken.Subject, claims.Events)
		}
	})

	t.Run("logout does not return to a post-logout URI the client did not register", func(t *testing.T) {
		browser := newBrowser(t)
		tok := standInLogin(t, ctx, shop, browser)
		raw, _ := tok.Extra("id_token").(string)
		endSession, _ := url.Parse(cfg.IssuerURL() + "/logout")
		endSession.RawQuery = url.Values{"id_token_hint": {raw},
			"post_logout_redirect_uri": {cfg.PostLogoutRedirectURL()}, "state": {"bye-2"}}.Encode()
		got := fetch(t, browser, http.MethodGet, endSession.String(), nil)
		if got.status != http.StatusOK || got.location != "" {
			t.Errorf("logout as my-shop to the app's post-logout URI = %d (Location %q), want 200, the stand-in's own page", got.status, got.location)
		}
	})
}

// TestStandInRegistersExampleMinimalByDefault: with LOCAL_CONNECT_CLIENTS
// unset, examples/minimal can log in against the stand-in with nothing set.
func TestStandInRegistersExampleMinimalByDefault(t *testing.T) {
	appPort, standInPort := freePort(t), freePort(t)
	cfg, err := config.Load(env(map[string]string{
		"APP_LISTEN":        "127.0.0.1:" + strconv.Itoa(appPort),
		"APP_BASE_URL":      "http://localhost:" + strconv.Itoa(appPort),
		"LOCAL_CONNECT_URL": "http://localhost:" + strconv.Itoa(standInPort),
	}), "")
	if err != nil {
		t.Fatalf("config.Load: %v", err)
	}
	srv, err := startStandIn(cfg, &http.Client{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("startStandIn: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, cfg.IssuerURL())
	if err != nil {
		t.Fatalf("discovery at the stand-in: %v", err)
	}
	minimal := &oauth2.Config{
		ClientID: "example-minimal", ClientSecret: "example-minimal-secret",
		RedirectURL: "http://localhost:8083/connect/oauth2callback",
		Endpoint:    provider.Endpoint(), Scopes: []string{oidc.ScopeOpenID},
	}
	minimal.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	if tok := standInLogin(t, ctx, minimal, newBrowser(t)); tok.Extra("id_token") == nil {
		t.Error("example-minimal got no ID token")
	}
}
