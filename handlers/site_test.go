package handlers

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/telenordigital/connect-web-sample/config"
	"github.com/telenordigital/connect-web-sample/connect"
	"github.com/telenordigital/connect-web-sample/localconnect"
	"github.com/telenordigital/connect-web-sample/regcheck"
	"github.com/telenordigital/connect-web-sample/store"
	"github.com/telenordigital/connect-web-sample/store/storetest"
)

// testSite is the app and the CONNECT stand-in, each behind a real HTTP
// server, wired as main wires them, with sessions in the tests' Redis.
type testSite struct {
	app      *httptest.Server
	provider *localconnect.Server
	issuer   *httptest.Server
	sessions *store.Sessions
	logs     *syncBuffer
	clock    *testClock

	// What a second instance of the app needs to share with the first.
	secrets *store.Secrets
	redis   redis.UniversalClient
	prefix  string // of every Redis key this site writes
	opts    siteOptions
}

type siteOptions struct {
	clientSecret string                // empty: public client
	redis        redis.UniversalClient // nil: the tests' Redis
	// noBackchannel registers the client without a back-channel logout
	// URI, so only a failing refresh tells the app a session has ended.
	noBackchannel bool
	// insecureBaseURL and warnings are what config would say of a bad
	// APP_BASE_URL, for /setup.
	insecureBaseURL bool
	warnings        []config.Warning
	// repositoryURL is REPOSITORY_URL, for /guide's links to the code.
	repositoryURL string
	// scopes are CONNECT_SCOPES; nil means openid profile email phone.
	scopes []string
	// introspection and jwtAccessTokens switch on the stand-in's token
	// introspection and its RFC 9068 access tokens.
	introspection   bool
	jwtAccessTokens bool
	// noSetupPage is SETUP_PAGE=off (or auto on a deployment).
	noSetupPage bool
	// rateLimitPerAddress and rateLimitRefresh are the rate limits; zero
	// for the defaults. trustedProxies are TRUSTED_PROXIES.
	rateLimitPerAddress int
	rateLimitRefresh    int
	trustedProxies      []netip.Prefix
	// metrics, when set, counts the app's events for the test to read.
	metrics *Metrics
	// apiAudience is API_AUDIENCE; empty means the client id.
	// apiAllowedClients is API_ALLOWED_CLIENTS; nil means the client id.
	// noUserInfoAtAPI is API_ALLOW_USERINFO=false.
	apiAudience       string
	apiAllowedClients []string
	noUserInfoAtAPI   bool
	// otherClients are public clients the stand-in registers beside the
	// app, so a test can get tokens issued to them (otherClientToken).
	otherClients []string
	// uiLocales is CONNECT_UI_LOCALES; empty sends the visitor's language.
	uiLocales string
	// acrValues is CONNECT_ACR_VALUES, the floor of every login.
	acrValues string
}

// testClock is the app's clock: real time, moved forward by the test to
// make tokens due for refresh without waiting. The stand-in keeps real
// time, as CONNECT would.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

const testClientID = "sample-web"

// parsedTemplates parses the templates once per test binary: every App
// would parse the same set, and with the race detector a parse takes 50 ms.
var parsedTemplates = sync.OnceValues(parseTemplates)

// providerKey signs for every test site's stand-in: made once per test
// binary, as making an RSA key costs more than most tests.
var providerKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newTestSite(t testing.TB, opts siteOptions) *testSite {
	t.Helper()
	// Both servers listen first, so each knows the other's URL.
	appServer := httptest.NewServer(nil)
	issuerServer := httptest.NewServer(nil)
	t.Cleanup(appServer.Close)
	t.Cleanup(issuerServer.Close)

	client := localconnect.Client{
		ID:                     testClientID,
		Secret:                 opts.clientSecret,
		RedirectURIs:           []string{appServer.URL + "/connect/oauth2callback"},
		PostLogoutRedirectURIs: []string{appServer.URL + "/connect/logoutcallback"},
		BackchannelLogoutURI:   appServer.URL + "/connect/backchannellogout",
	}
	if opts.noBackchannel {
		client.BackchannelLogoutURI = ""
	}
	accessTokens := localconnect.OpaqueAccessTokens
	if opts.jwtAccessTokens {
		accessTokens = localconnect.JWTAccessTokens
	}
	clients := []localconnect.Client{client}
	for _, id := range opts.otherClients {
		clients = append(clients, localconnect.Client{ID: id, RedirectURIs: []string{otherClientRedirect(id)}})
	}
	provider, err := localconnect.New(localconnect.Options{Issuer: issuerServer.URL + "/oauth", Clients: clients,
		SigningKey: providerKey(), Introspection: opts.introspection, AccessTokens: accessTokens})
	if err != nil {
		t.Fatal(err)
	}
	issuerServer.Config.Handler = provider

	secrets, err := store.NewSecrets([]byte("a test secret of at least 32 bytes long"), nil)
	if err != nil {
		t.Fatal(err)
	}
	site := &testSite{app: appServer, provider: provider, issuer: issuerServer, logs: &syncBuffer{}, clock: &testClock{},
		secrets: secrets, redis: opts.redis, prefix: storetest.KeyPrefix(t), opts: opts}
	if site.redis == nil {
		site.redis = storetest.Redis(t)
	}
	appServer.Config.Handler, site.sessions = site.newInstance(t, appServer.URL, opts.clientSecret)
	return site
}

// newInstance builds one instance of the app, as main does: its own CONNECT
// client and session manager, sharing Redis and the secret with the site.
func (site *testSite) newInstance(t testing.TB, appURL, clientSecret string) (http.Handler, *store.Sessions) {
	t.Helper()
	scopes := site.opts.scopes
	if scopes == nil {
		scopes = []string{"openid", "profile", "email", "phone"}
	}
	var backEnd *http.Client // connect's default
	if site.opts.metrics != nil {
		backEnd = &http.Client{Timeout: 10 * time.Second, Transport: site.opts.metrics.CountConnectErrors(http.DefaultTransport)}
	}
	client, err := connect.New(connect.Config{
		HTTPClient:            backEnd,
		Issuer:                site.provider.Issuer(),
		ClientID:              testClientID,
		ClientSecret:          clientSecret,
		RedirectURL:           appURL + "/connect/oauth2callback",
		PostLogoutRedirectURL: appURL + "/connect/logoutcallback",
		Scopes:                scopes,
		Now:                   site.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := store.NewSessions(store.SessionOptions{Redis: site.redis, Secrets: site.secrets,
		IdleTimeout: 30 * time.Minute, Lifetime: 12 * time.Hour, KeyPrefix: site.prefix, Now: site.clock.Now, ACRFloor: site.opts.acrValues,
		EndedSessionMemory: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	templates, err := parsedTemplates()
	if err != nil {
		t.Fatal(err)
	}
	app, err := newApp(Options{
		Connect:         client,
		Sessions:        sessions,
		Logins:          store.NewLoginTransactions(store.LoginTransactionOptions{Secrets: site.secrets}),
		Messages:        store.NewMessages(store.MessageOptions{Secrets: site.secrets}),
		ValidatedTokens: store.NewValidatedTokens(site.redis, site.secrets, site.prefix),
		BaseURL:         appURL,
		APIPolicy: connect.AccessTokenPolicy{
			Audience:       cmp.Or(site.opts.apiAudience, testClientID),
			AllowedClients: site.opts.apiAllowedClients, // nil: connect's default, the client id
			AllowUserInfo:  !site.opts.noUserInfoAtAPI,
		},
		Ping:   func(ctx context.Context) error { return store.Ping(ctx, site.redis) },
		Logger: slog.New(slog.NewTextHandler(site.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Issuer: site.provider.Issuer(),
		Registration: Registration{
			RedirectURL:           appURL + "/connect/oauth2callback",
			PostLogoutRedirectURL: appURL + "/connect/logoutcallback",
			BackchannelLogoutURL:  appURL + "/connect/backchannellogout",
			InsecureBaseURL:       site.opts.insecureBaseURL,
		},
		Warnings:           site.opts.warnings,
		Scopes:             scopes,
		StandInURL:         site.issuer.URL,
		RepositoryURL:      site.opts.repositoryURL,
		UILocales:          site.opts.uiLocales,
		ACRValues:          site.opts.acrValues,
		SSO:                true,
		RefreshMargin:      time.Minute,
		StepUpMaxAge:       5 * time.Minute,
		EndedSessionMemory: 24 * time.Hour,
		Now:                site.clock.Now,

		ServeSetupPage: !site.opts.noSetupPage,
		// /setup's button, as main wires it, against the site's stand-in.
		RegistrationCheck: func(ctx context.Context) []regcheck.Line {
			return regcheck.Run(ctx, regcheck.Options{
				Issuer: site.provider.Issuer(), StandIn: true,
				ClientID: testClientID, ClientSecret: clientSecret,
				RedirectURL: appURL + "/connect/oauth2callback", BaseURL: appURL,
				BackchannelLogoutURL: appURL + "/connect/backchannellogout",
				Scopes:               scopes, ACRValues: site.opts.acrValues,
				PingRedis: func(ctx context.Context) error { return store.Ping(ctx, site.redis) },
			})
		},
		RateLimitPerAddress: site.opts.rateLimitPerAddress,
		RateLimitRefresh:    site.opts.rateLimitRefresh,
		TrustedProxies:      site.opts.trustedProxies,
		Metrics:             site.opts.metrics,
	}, templates)
	if err != nil {
		t.Fatal(err)
	}
	return app.Routes(), sessions
}

// secondInstance starts another app server sharing the site's Redis and
// session secret, like a second replica behind a load balancer.
func (site *testSite) secondInstance(t *testing.T) *httptest.Server {
	t.Helper()
	server := httptest.NewServer(nil)
	t.Cleanup(server.Close)
	server.Config.Handler, _ = site.newInstance(t, site.app.URL, "")
	return server
}

// browser is a visitor: a cookie jar, and redirects followed one at a time
// by the test so every hop can be checked.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// sending makes every later request of b carry the header name: value, as a
// browser with a language preference, a User-Agent of its own or a proxy in
// front of the app would.
func (b *browser) sending(name, value string) *browser {
	next := b.client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	b.client.Transport = headerTransport{name: name, value: value, next: next}
	return b
}

type headerTransport struct {
	name, value string
	next        http.RoundTripper
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.name, h.value)
	return h.next.RoundTrip(r)
}

// response is what the browser got: status, Location, cookies set, body.
type response struct {
	status   int
	location string
	cookies  []*http.Cookie
	body     string
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	loc := resp.Header.Get("Location")
	if loc != "" {
		if u, err := req.URL.Parse(loc); err == nil {
			loc = u.String()
		}
	}
	return response{status: resp.StatusCode, location: loc, cookies: resp.Cookies(), body: string(body)}
}

func (b *browser) get(rawURL string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(rawURL string, form url.Values) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) cookie(site *testSite, name string) *http.Cookie {
	u, _ := url.Parse(site.app.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var requestIDField = regexp.MustCompile(`name="request_id"[^>]*value="([^"]+)"`)

// loginAt plays the user at the stand-in's login page: pick a user, tick
// or untick "Stay signed in", press the button. It returns the stand-in's
// answer, a redirect to the app's callback.
func (b *browser) loginAt(authorizeURL string, user string, staySignedIn bool, action string) response {
	b.t.Helper()
	form := url.Values{"user": {user}, "action": {action}}
	if staySignedIn {
		form.Set("stay_signed_in", "on")
	}
	return b.submitLogin(authorizeURL, form)
}

// submitLogin fills the stand-in's login form with the given fields.
func (b *browser) submitLogin(authorizeURL string, form url.Values) response {
	b.t.Helper()
	page := b.get(authorizeURL)
	if page.status != http.StatusOK {
		b.t.Fatalf("GET stand-in login page = %d, want 200; body: %s", page.status, page.body)
	}
	m := requestIDField.FindStringSubmatch(page.body)
	if m == nil {
		b.t.Fatalf("stand-in login page has no request_id field:\n%s", page.body)
	}
	form.Set("request_id", m[1])
	u, _ := url.Parse(authorizeURL)
	u.RawQuery = ""
	return b.post(u.String(), form)
}

// logIn walks the whole login from a protected page and returns the last
// response, the protected page itself. When the stand-in still has an SSO
// session for this browser, there is no login page to fill in.
func (b *browser) logIn(site *testSite, path string, staySignedIn bool) response {
	b.t.Helper()
	return b.logInAs(site, path, testUser(), staySignedIn)
}

// logInAs is logIn as a given test user.
func (b *browser) logInAs(site *testSite, path string, user localconnect.User, staySignedIn bool) response {
	b.t.Helper()
	r := b.get(site.app.URL + path)
	wantStatus(b.t, "GET "+path, r, http.StatusFound)
	r = b.get(r.location) // /login
	wantStatus(b.t, "GET /login", r, http.StatusFound)
	if page := b.get(r.location); page.status == http.StatusFound {
		r = page // CONNECT knew the browser (SSO): no login page
	} else {
		r = b.loginAt(r.location, user.Sub, staySignedIn, "login")
	}
	wantStatus(b.t, "POST stand-in login", r, http.StatusFound)
	r = b.get(r.location) // the callback
	wantStatus(b.t, "GET callback", r, http.StatusSeeOther)
	return b.get(r.location)
}

func testUser() localconnect.User { return localconnect.DefaultUsers()[0] }

func wantStatus(t *testing.T, what string, r response, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s = %d, want %d\nLocation: %s\n%s", what, r.status, want, r.location, r.body)
	}
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
